"""Main entry point for training StyleGAN and ProGAN networks.

Edit-and-run, as the original: pick options by (un)commenting lines in the
blocks below, then `python train.py`. Or override the common choices without
editing: `python train.py --config=tiny --dataset=mydataset --total-kimg=6`
(see `python train.py -h`). Results go to results/NNNNN-<desc>/.
"""

import argparse
import copy
import json
import os
import pprint
import re
import sys

import config
import dnnlib
from dnnlib import EasyDict
from dnnlib.submission.run_context import settings_text
from dnnlib import arguments
from metrics import metric_base


def _config_from_argv():
    """The preset named by --config, read before the blocks below run (they depend on it)."""
    for i, arg in enumerate(sys.argv[1:]):
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
        if arg == "--config" and i + 2 < len(sys.argv):
            return sys.argv[i + 2]
    return "sgan"


_config_name = _config_from_argv() if __name__ == "__main__" else "sgan"
_TRAINING_LOOP = "training.training_loop.training_loop"
_STYLEGAN, _PROGAN, _LOSS = "training.networks_stylegan.", "training.networks_progan.", "training.loss."
_ADAM = dict(beta1=0.0, beta2=0.99, epsilon=1e-8)
_SEED = {"rnd.np_random_seed": 1000}

# ----------------------------------------------------------------------------
# Official training configs for StyleGAN (the original's "if 1:" block).

if _config_name == "sgan":
    # The settings every run records in config.txt; each is a plain dict of keyword arguments.
    desc          = "sgan"
    train         = EasyDict(run_func_name=_TRAINING_LOOP)
    G             = EasyDict(func_name=_STYLEGAN + "G_style")
    D             = EasyDict(func_name=_STYLEGAN + "D_basic")
    G_opt         = EasyDict(_ADAM)
    D_opt         = EasyDict(_ADAM)
    G_loss        = EasyDict(func_name=_LOSS + "G_logistic_nonsaturating")
    D_loss        = EasyDict(func_name=_LOSS + "D_logistic_simplegp", r1_gamma=10.0)
    dataset       = EasyDict()
    sched         = EasyDict()
    grid          = EasyDict(layout="random", size="4k")
    metrics       = [metric_base.fid50k]
    submit_config = dnnlib.SubmitConfig()
    tf_config     = dict(_SEED)

    # Dataset.
    dataset = EasyDict(tfrecord_dir="ffhq"); train.mirror_augment = True; desc += "-ffhq"
    #desc += "-ffhq512";  dataset = EasyDict(tfrecord_dir="ffhq", resolution=512); train.mirror_augment = True
    #desc += "-ffhq256";  dataset = EasyDict(tfrecord_dir="ffhq", resolution=256); train.mirror_augment = True
    #desc += "-celebahq"; dataset = EasyDict(tfrecord_dir="celebahq");             train.mirror_augment = True
    #desc += "-bedroom";  dataset = EasyDict(tfrecord_dir="lsun-bedroom-full");    train.mirror_augment = False
    #desc += "-car";      dataset = EasyDict(tfrecord_dir="lsun-car-512x384");     train.mirror_augment = False
    #desc += "-cat";      dataset = EasyDict(tfrecord_dir="lsun-cat-full");        train.mirror_augment = False

    # Number of GPUs.
    #desc += "-1gpu"; submit_config.num_gpus = 1; sched.minibatch_base = 4; sched.minibatch_dict = {4: 128, 8: 128, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8, 512: 4}
    #desc += "-2gpu"; submit_config.num_gpus = 2; sched.minibatch_base = 8; sched.minibatch_dict = {4: 256, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8}
    #desc += "-4gpu"; submit_config.num_gpus = 4; sched.minibatch_base = 16; sched.minibatch_dict = {4: 512, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16}
    desc += "-8gpu"; submit_config.num_gpus = 8; sched.minibatch_base, sched.minibatch_dict = 32, {4: 512, 8: 256, 16: 128, 32: 64, 64: 32}

    # Default options.
    train.total_kimg = 25000
    sched.lod_initial_resolution = 8
    _lrates = {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003}
    sched.G_lrate_dict, sched.D_lrate_dict = _lrates, EasyDict(_lrates)  # D gets a copy

    # WGAN-GP loss for CelebA-HQ.
    #desc += "-wgangp"; G_loss = EasyDict(func_name="training.loss.G_wgan"); D_loss = EasyDict(func_name="training.loss.D_wgan_gp"); sched.G_lrate_dict = {k: min(v, 0.002) for k, v in sched.G_lrate_dict.items()}; sched.D_lrate_dict = EasyDict(sched.G_lrate_dict)

    # Table 1.
    #desc += "-tuned-baseline"; G.use_styles = False; G.use_pixel_norm = True; G.use_instance_norm = False; G.mapping_layers = 0; G.truncation_psi = None; G.const_input_layer = False; G.style_mixing_prob = 0.0; G.use_noise = False
    #desc += "-add-mapping-and-styles"; G.const_input_layer = False; G.style_mixing_prob = 0.0; G.use_noise = False
    #desc += "-remove-traditional-input"; G.style_mixing_prob = 0.0; G.use_noise = False
    #desc += "-add-noise-inputs"; G.style_mixing_prob = 0.0
    #desc += "-mixing-regularization" # default

    # Table 2.
    #desc += "-mix0"; G.style_mixing_prob = 0.0
    #desc += "-mix50"; G.style_mixing_prob = 0.5
    #desc += "-mix90"; G.style_mixing_prob = 0.9 # default
    #desc += "-mix100"; G.style_mixing_prob = 1.0

    # Table 4.
    #desc += "-traditional-0"; G.use_styles = False; G.use_pixel_norm = True; G.use_instance_norm = False; G.mapping_layers = 0; G.truncation_psi = None; G.const_input_layer = False; G.style_mixing_prob = 0.0; G.use_noise = False
    #desc += "-traditional-8"; G.use_styles = False; G.use_pixel_norm = True; G.use_instance_norm = False; G.mapping_layers = 8; G.truncation_psi = None; G.const_input_layer = False; G.style_mixing_prob = 0.0; G.use_noise = False
    #desc += "-stylebased-0"; G.mapping_layers = 0
    #desc += "-stylebased-1"; G.mapping_layers = 1
    #desc += "-stylebased-2"; G.mapping_layers = 2
    #desc += "-stylebased-8"; G.mapping_layers = 8 # default

# ----------------------------------------------------------------------------
# Official training configs for Progressive GAN (the original"s "if 0:" block).

if _config_name == "pgan":
    desc          = "pgan"
    train         = EasyDict(run_func_name=_TRAINING_LOOP)
    G             = EasyDict(func_name=_PROGAN + "G_paper")
    D             = EasyDict(func_name=_PROGAN + "D_paper")
    G_opt         = EasyDict(_ADAM)
    D_opt         = EasyDict(_ADAM)
    G_loss        = EasyDict(func_name=_LOSS + "G_wgan")
    D_loss        = EasyDict(func_name=_LOSS + "D_wgan_gp")
    dataset       = EasyDict()
    sched         = EasyDict()
    grid          = EasyDict(layout="random", size="1080p")
    metrics       = [metric_base.fid50k]
    submit_config = dnnlib.SubmitConfig()
    tf_config     = dict(_SEED)

    # Dataset (choose one).
    dataset = EasyDict(tfrecord_dir="celebahq"); train.mirror_augment = True; desc += "-celebahq"
    #desc += "-celeba";              dataset = EasyDict(tfrecord_dir="celeba"); train.mirror_augment = True
    #desc += "-cifar10";             dataset = EasyDict(tfrecord_dir="cifar10")
    #desc += "-cifar100";            dataset = EasyDict(tfrecord_dir="cifar100")
    #desc += "-svhn";                dataset = EasyDict(tfrecord_dir="svhn")
    #desc += "-mnist";               dataset = EasyDict(tfrecord_dir="mnist")
    #desc += "-mnistrgb";            dataset = EasyDict(tfrecord_dir="mnistrgb")
    #desc += "-syn1024rgb";          dataset = EasyDict(class_name="training.dataset.SyntheticDataset", resolution=1024, num_channels=3)
    #desc += "-lsun-airplane";       dataset = EasyDict(tfrecord_dir="lsun-airplane-100k");       train.mirror_augment = True
    #desc += "-lsun-bedroom";        dataset = EasyDict(tfrecord_dir="lsun-bedroom-100k");        train.mirror_augment = True
    #desc += "-lsun-bicycle";        dataset = EasyDict(tfrecord_dir="lsun-bicycle-100k");        train.mirror_augment = True
    #desc += "-lsun-bird";           dataset = EasyDict(tfrecord_dir="lsun-bird-100k");           train.mirror_augment = True
    #desc += "-lsun-boat";           dataset = EasyDict(tfrecord_dir="lsun-boat-100k");           train.mirror_augment = True
    #desc += "-lsun-bottle";         dataset = EasyDict(tfrecord_dir="lsun-bottle-100k");         train.mirror_augment = True
    #desc += "-lsun-bridge";         dataset = EasyDict(tfrecord_dir="lsun-bridge-100k");         train.mirror_augment = True
    #desc += "-lsun-bus";            dataset = EasyDict(tfrecord_dir="lsun-bus-100k");            train.mirror_augment = True
    #desc += "-lsun-car";            dataset = EasyDict(tfrecord_dir="lsun-car-100k");            train.mirror_augment = True
    #desc += "-lsun-cat";            dataset = EasyDict(tfrecord_dir="lsun-cat-100k");            train.mirror_augment = True
    #desc += "-lsun-chair";          dataset = EasyDict(tfrecord_dir="lsun-chair-100k");          train.mirror_augment = True
    #desc += "-lsun-churchoutdoor";  dataset = EasyDict(tfrecord_dir="lsun-churchoutdoor-100k");  train.mirror_augment = True
    #desc += "-lsun-classroom";      dataset = EasyDict(tfrecord_dir="lsun-classroom-100k");      train.mirror_augment = True
    #desc += "-lsun-conferenceroom"; dataset = EasyDict(tfrecord_dir="lsun-conferenceroom-100k"); train.mirror_augment = True
    #desc += "-lsun-cow";            dataset = EasyDict(tfrecord_dir="lsun-cow-100k");            train.mirror_augment = True
    #desc += "-lsun-diningroom";     dataset = EasyDict(tfrecord_dir="lsun-diningroom-100k");     train.mirror_augment = True
    #desc += "-lsun-diningtable";    dataset = EasyDict(tfrecord_dir="lsun-diningtable-100k");    train.mirror_augment = True
    #desc += "-lsun-dog";            dataset = EasyDict(tfrecord_dir="lsun-dog-100k");            train.mirror_augment = True
    #desc += "-lsun-horse";          dataset = EasyDict(tfrecord_dir="lsun-horse-100k");          train.mirror_augment = True
    #desc += "-lsun-kitchen";        dataset = EasyDict(tfrecord_dir="lsun-kitchen-100k");        train.mirror_augment = True
    #desc += "-lsun-livingroom";     dataset = EasyDict(tfrecord_dir="lsun-livingroom-100k");     train.mirror_augment = True
    #desc += "-lsun-motorbike";      dataset = EasyDict(tfrecord_dir="lsun-motorbike-100k");      train.mirror_augment = True
    #desc += "-lsun-person";         dataset = EasyDict(tfrecord_dir="lsun-person-100k");         train.mirror_augment = True
    #desc += "-lsun-pottedplant";    dataset = EasyDict(tfrecord_dir="lsun-pottedplant-100k");    train.mirror_augment = True
    #desc += "-lsun-restaurant";     dataset = EasyDict(tfrecord_dir="lsun-restaurant-100k");     train.mirror_augment = True
    #desc += "-lsun-sheep";          dataset = EasyDict(tfrecord_dir="lsun-sheep-100k");          train.mirror_augment = True
    #desc += "-lsun-sofa";           dataset = EasyDict(tfrecord_dir="lsun-sofa-100k");           train.mirror_augment = True
    #desc += "-lsun-tower";          dataset = EasyDict(tfrecord_dir="lsun-tower-100k");          train.mirror_augment = True
    #desc += "-lsun-train";          dataset = EasyDict(tfrecord_dir="lsun-train-100k");          train.mirror_augment = True
    #desc += "-lsun-tvmonitor";      dataset = EasyDict(tfrecord_dir="lsun-tvmonitor-100k");      train.mirror_augment = True

    # Conditioning & snapshot options.
    #desc += "-cond"; dataset.max_label_size = "full" # conditioned on full label
    #desc += "-cond1"; dataset.max_label_size = 1 # conditioned on first component of the label
    #desc += "-g4k"; grid.size = "4k"
    #desc += "-grpc"; grid.layout = "row_per_class"

    # Config presets (choose one).
    #desc += "-preset-v1-1gpu"; submit_config.num_gpus = 1; D.mbstd_group_size = 16; sched.minibatch_base = 16; sched.minibatch_dict = {256: 14, 512: 6, 1024: 3}; sched.lod_training_kimg = 800; sched.lod_transition_kimg = 800; train.total_kimg = 19000
    desc += "-preset-v2-1gpu"; submit_config.num_gpus = 1; train.total_kimg = 12000
    sched.minibatch_base, sched.minibatch_dict = 4, {4: 128, 8: 128, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8, 512: 4}
    sched.G_lrate_dict = {1024: 0.0015}; sched.D_lrate_dict = EasyDict(sched.G_lrate_dict.items())
    #desc += "-preset-v2-2gpus"; submit_config.num_gpus = 2; sched.minibatch_base = 8; sched.minibatch_dict = {4: 256, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8}; sched.G_lrate_dict = {512: 0.0015, 1024: 0.002}; sched.D_lrate_dict = EasyDict(sched.G_lrate_dict); train.total_kimg = 12000
    #desc += "-preset-v2-4gpus"; submit_config.num_gpus = 4; sched.minibatch_base = 16; sched.minibatch_dict = {4: 512, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16}; sched.G_lrate_dict = {256: 0.0015, 512: 0.002, 1024: 0.003}; sched.D_lrate_dict = EasyDict(sched.G_lrate_dict); train.total_kimg = 12000
    #desc += "-preset-v2-8gpus"; submit_config.num_gpus = 8; sched.minibatch_base = 32; sched.minibatch_dict = {4: 512, 8: 256, 16: 128, 32: 64, 64: 32}; sched.G_lrate_dict = {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003}; sched.D_lrate_dict = EasyDict(sched.G_lrate_dict); train.total_kimg = 12000

    # Numerical precision (choose one).
    sched.max_minibatch_per_gpu = {256: 16, 512: 8, 1024: 4}; desc += "-fp32"
    #desc += "-fp16"; G.dtype = "float16"; D.dtype = "float16"; G.pixelnorm_epsilon=1e-4; G_opt.use_loss_scaling = True; D_opt.use_loss_scaling = True; sched.max_minibatch_per_gpu = {512: 16, 1024: 8}

    # Disable individual features.
    #desc += "-nogrowing"; sched.lod_initial_resolution = 1024; sched.lod_training_kimg = 0; sched.lod_transition_kimg = 0; train.total_kimg = 10000
    #desc += "-nopixelnorm"; G.use_pixelnorm = False
    #desc += "-nowscale"; G.use_wscale = False; D.use_wscale = False
    #desc += "-noleakyrelu"; G.use_leakyrelu = False
    #desc += "-nosmoothing"; train.G_smoothing_kimg = 0.0
    #desc += "-norepeat"; train.minibatch_repeats = 1
    #desc += "-noreset"; train.reset_opt_for_new_lod = False

    # Special modes.
    #desc += "-BENCHMARK"; sched.lod_initial_resolution = 4; sched.lod_training_kimg = 3; sched.lod_transition_kimg = 3; train.total_kimg = (8*2+1)*3; sched.tick_kimg_base = 1; sched.tick_kimg_dict = {}; train.image_snapshot_ticks = 1000; train.network_snapshot_ticks = 1000
    #desc += "-BENCHMARK0"; sched.lod_initial_resolution = 1024; train.total_kimg = 10; sched.tick_kimg_base = 1; sched.tick_kimg_dict = {}; train.image_snapshot_ticks = 1000; train.network_snapshot_ticks = 1000
    #desc += "-VERBOSE"; sched.tick_kimg_base = 1; sched.tick_kimg_dict = {}; train.image_snapshot_ticks = 1; train.network_snapshot_ticks = 100
    #desc += "-GRAPH"; train.save_tf_graph = True
    #desc += "-HIST"; train.save_weight_histograms = True

# ----------------------------------------------------------------------------
# Ours: a tiny StyleGAN for CPU smoke runs. Progressive growing 4x4 -> 8x8 -> 16x16 ... within minutes.

if _config_name == "tiny":
    desc          = "tiny"
    train         = EasyDict(run_func_name=_TRAINING_LOOP, total_kimg=6, image_snapshot_ticks=1, network_snapshot_ticks=2)
    G             = EasyDict(func_name=_STYLEGAN + "G_style", fmap_base=128, fmap_max=32, latent_size=32, dlatent_size=32, mapping_fmaps=32, mapping_layers=2)
    D             = EasyDict(func_name=_STYLEGAN + "D_basic", fmap_base=128, fmap_max=32)
    G_opt         = EasyDict(_ADAM)
    D_opt         = EasyDict(_ADAM)
    G_loss        = EasyDict(func_name=_LOSS + "G_logistic_nonsaturating")
    D_loss        = EasyDict(func_name=_LOSS + "D_logistic_simplegp", r1_gamma=10.0)
    dataset       = EasyDict(tfrecord_dir="tiny")
    sched         = EasyDict(lod_initial_resolution=4, lod_training_kimg=1, lod_transition_kimg=1, minibatch_base=16, tick_kimg_base=1, tick_kimg_dict={})
    grid          = EasyDict(layout="random", size="1080p")
    metrics       = []
    submit_config = dnnlib.SubmitConfig()
    tf_config     = dict(_SEED)

# Ours: the class-conditional 32x32 StyleGAN behind networks/stylegan-fashion-mnist-32x32.pkl (see its model card).

if _config_name == "fashion32":
    desc          = "sgan-fashion32"
    train         = EasyDict(run_func_name=_TRAINING_LOOP, total_kimg=600, mirror_augment=False, network_snapshot_ticks=2)
    G             = EasyDict(func_name=_STYLEGAN + "G_style", fmap_base=512, fmap_max=64, latent_size=64, dlatent_size=64, mapping_fmaps=64, mapping_layers=4)
    D             = EasyDict(func_name=_STYLEGAN + "D_basic", fmap_base=512, fmap_max=64)
    G_opt         = EasyDict(_ADAM)
    D_opt         = EasyDict(_ADAM)
    G_loss        = EasyDict(func_name=_LOSS + "G_logistic_nonsaturating")
    D_loss        = EasyDict(func_name="training.loss.D_logistic_simplegp", r1_gamma=1.0)
    dataset       = EasyDict(tfrecord_dir="fashion-mnist", max_label_size="full")
    sched         = EasyDict(lod_initial_resolution=8, lod_training_kimg=30, lod_transition_kimg=30, minibatch_base=32, G_lrate_base=0.002, D_lrate_base=0.002, tick_kimg_base=10, tick_kimg_dict={})
    grid          = EasyDict(size="1080p", layout="row_per_class")
    metrics       = [EasyDict(metric_base.fid10k, feature_network="fmnist")]  # FID in the bundled classifier's feature space: offline
    submit_config = dnnlib.SubmitConfig()
    tf_config     = dict(_SEED)

# ----------------------------------------------------------------------------
# Command line (ours): override the common choices without editing the blocks above.

_PRESETS = ("sgan", "pgan", "tiny", "fashion32")
_GPU_LINES = {  # num_gpus -> (desc suffix, minibatch_base, minibatch_dict) of the blocks' GPU lines
    "sgan": {1: ("-1gpu", 4, {4: 128, 8: 128, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8, 512: 4}),
             2: ("-2gpu", 8, {4: 256, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8}),
             4: ("-4gpu", 16, {4: 512, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16}),
             8: ("-8gpu", 32, {4: 512, 8: 256, 16: 128, 32: 64, 64: 32})},
    "pgan": {1: ("-preset-v2-1gpu", 4, {4: 128, 8: 128, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8, 512: 4}),
             2: ("-preset-v2-2gpus", 8, {4: 256, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8}),
             4: ("-preset-v2-4gpus", 16, {4: 512, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16}),
             8: ("-preset-v2-8gpus", 32, {4: 512, 8: 256, 16: 128, 32: 64, 64: 32})},
}


def _parse_args():
    parser = argparse.ArgumentParser(description="Train StyleGAN or ProGAN. Without options this runs the blocks of train.py as edited.")
    parser.add_argument("--config", default="sgan", choices=_PRESETS, help="preset block: sgan (default), pgan, tiny (CPU smoke run), fashion32")
    parser.add_argument("--dataset", help="dataset directory name inside --data-dir (tfrecord_dir)")
    parser.add_argument("--data-dir", help="where datasets live (default: %s)" % config.data_dir)
    parser.add_argument("--result-dir", help="where run dirs are created (default: %s)" % config.result_dir)
    parser.add_argument("--num-gpus", type=arguments.positive_int, help="number of GPUs (towers); picks that GPU line's minibatch sizes")
    parser.add_argument("--total-kimg", type=arguments.positive_float, help="length of training in thousands of images")
    parser.add_argument("--resolution", type=arguments.image_size, help="train at this resolution (dataset must have it)")
    parser.add_argument("--mirror-augment", type=int, choices=[0, 1], help="random horizontal flips (1) or not (0)")
    parser.add_argument("--resume", help="continue from a run id, run dir or network pkl (kimg and time are restored)")
    parser.add_argument("--metrics", help="comma-separated metrics evaluated at snapshots (%s), or 'none'" % ", ".join(metric_base.list_metrics()))
    parser.add_argument("--trust-pickles", action="store_true",
                        help="let metrics load auxiliary network pickles from local files (they run the file's code, as NVIDIA's metric networks need)")
    parser.add_argument("--snapshot-minutes", type=arguments.nonnegative_float,
                        help="also snapshot when this many minutes passed since the last snapshot, keeping the newest 3 such (default 15; 0 = off)")
    parser.add_argument("--dry-run", action="store_true", help="print the resolved configuration and exit")
    several = parser.add_argument_group("training on several machines (TensorFlow's distributed runtime; or set TF_CONFIG)")
    several.add_argument("--cluster", help="workers' HOST:PORT,HOST:PORT,...: the same list for the run (the chief) and every worker")
    several.add_argument("--worker", action="store_true", help="be worker --task of --cluster: serve until killed (ignores the training options)")
    several.add_argument("--task", type=arguments.nonnegative_int, help="this worker's position in --cluster, from 0")
    several.add_argument("--chief-address", help="HOST:PORT where the workers reach this run (default: this machine's address towards "
                                                 "the first worker, any free port); on a worker: the chief's, which it then answers too")
    several.add_argument("--worker-data-dir", help="where the workers find --dataset (default: --data-dir as an absolute path, e.g. on a shared filesystem)")
    several.add_argument("--worker-timeout", type=arguments.positive_float, default=600.0, help="seconds a training step may wait for the workers before the run "
                                                                             "stops (default 600; a worker that died stops it at once)")
    return parser.parse_args()


def _apply_overrides(args, num_workers=1):
    """Apply command-line choices to the module-level settings, so config.txt records what actually ran.

    On a cluster, --num-gpus counts each worker's GPUs; the preset's minibatch line is that of all the cluster's GPUs.
    """
    global desc, metrics
    if args.data_dir is not None:
        config.data_dir = args.data_dir
    if args.result_dir is not None:
        config.result_dir = args.result_dir
    if args.dataset is not None:
        old_name = dataset.get("tfrecord_dir")
        dataset.tfrecord_dir = args.dataset
        desc = desc.replace("-" + old_name, "-" + args.dataset) if old_name and ("-" + old_name) in desc else desc + "-" + args.dataset
    if args.resolution is not None:
        dataset.resolution = args.resolution
    if args.mirror_augment is not None:
        train.mirror_augment = bool(args.mirror_augment)
    if args.total_kimg is not None:
        train.total_kimg = args.total_kimg
    if args.num_gpus is not None:
        lines = _GPU_LINES.get(_config_name)
        if lines is not None:
            if args.num_gpus * num_workers not in lines:
                if num_workers > 1:
                    raise dnnlib.util.UserError("--num-gpus times the %d workers must be one of %s for --config=%s." % (num_workers, sorted(lines), _config_name))
                raise dnnlib.util.UserError("--num-gpus must be one of %s for --config=%s." % (sorted(lines), _config_name))
            suffix, sched.minibatch_base, sched.minibatch_dict = lines[args.num_gpus * num_workers]
            old = [s for s, _, _ in lines.values() if re.search(re.escape(s) + "(-|$)", desc)]
            desc = desc.replace(old[0], suffix, 1) if old else desc + suffix  # keep the suffix where the block put it
        submit_config.num_gpus = args.num_gpus
    if args.resume is not None:
        train.resume_run_id = args.resume
    if args.metrics is not None:
        names = [] if args.metrics.strip().lower() == "none" else [n.strip() for n in args.metrics.split(",") if n.strip()]
        metrics = [metric_base.get_metric(n) for n in names]
    if args.snapshot_minutes is not None:
        if args.snapshot_minutes < 0:
            raise dnnlib.util.UserError("--snapshot-minutes must be 0 (off) or positive.")
        train.snapshot_minutes = args.snapshot_minutes


def _check_inputs(trust_pickles=False):
    """Refuse missing datasets, resume targets and metric networks before any work starts (and before a run dir exists)."""
    if dataset.get("class_name", "training.dataset.TFRecordDataset") == "training.dataset.TFRecordDataset":
        path = os.path.join(config.data_dir, dataset.tfrecord_dir)
        if not os.path.isdir(path):
            raise dnnlib.util.UserError("Dataset '%s' not found (looked in %s). Create it with dataset_tool.py, or pass --dataset/--data-dir." % (dataset.tfrecord_dir, path))
    if train.get("resume_run_id") is not None:
        from training import misc
        try:
            resume_pkl = misc.locate_network_pkl(train.resume_run_id, train.get("resume_snapshot"))
        except IOError:
            raise dnnlib.util.UserError("Cannot find a network pickle to resume from '%s'." % train.resume_run_id)
        resumed_kimg = train.get("resume_kimg") or misc.load_progress(resume_pkl)[0]
        total_kimg = train.get("total_kimg", 15000)
        if total_kimg <= resumed_kimg:
            raise dnnlib.util.UserError("Nothing to train: '%s' is at %.1f kimg and --total-kimg is %g; pass a larger --total-kimg."
                                        % (resume_pkl, resumed_kimg, total_kimg))
    metric_base.prepare_metrics(metrics, trust_pickles=trust_pickles)


def _training_options(kwargs):
    """training_options.json: every argument of the training loop (what ran), as JSON."""
    from training import misc
    options = {key: value for key, value in kwargs.items() if key != "submit_config"}
    options.update(num_gpus=kwargs.submit_config.num_gpus, data_dir=config.data_dir, result_dir=config.result_dir)
    return json.dumps(options, indent=2, sort_keys=True, default=misc.json_fallback) + "\n"


def _cluster_role(args):
    """EasyDict(role, workers, chief, task) from --worker/--cluster/--task/--chief-address or TF_CONFIG; None on one machine."""
    if args.cluster is None and not os.environ.get("TF_CONFIG", "").strip():
        if args.worker or args.task is not None or args.chief_address is not None:
            raise dnnlib.util.UserError("--worker, --task and --chief-address need --cluster=HOST:PORT,... (or TF_CONFIG).")
        return None
    from dnnlib.tflib import cluster as tfcluster  # TensorFlow only when a cluster is asked for
    if args.cluster is not None:
        found = EasyDict(role="chief", workers=tfcluster.parse_addresses(args.cluster), task=args.task, chief=None)
    else:
        found = tfcluster.from_tf_config()
    if args.worker:
        found.role = "worker"
    if args.task is not None:
        found.task = args.task
    if args.chief_address is not None:
        found.chief = tfcluster.parse_address(args.chief_address, "--chief-address")
    if found.role == "worker" and found.task is None:
        raise dnnlib.util.UserError("A worker needs --task=N, its position in --cluster.")
    if found.role == "chief" and args.task is not None:
        raise dnnlib.util.UserError("--task is for workers (with --worker); the training run is the chief.")
    return found


def _cluster_args(role, args):
    """The training loop's cluster_args (kwargs of dnnlib.tflib.cluster.Cluster)."""
    if args.worker_timeout <= 0:
        raise dnnlib.util.UserError("--worker-timeout must be positive.")
    if G_opt.get("use_loss_scaling") or D_opt.get("use_loss_scaling"):
        raise dnnlib.util.UserError("Loss scaling (the fp16 presets) is not supported on several machines yet.")
    return EasyDict(workers=role.workers, chief_address=role.chief, timeout=args.worker_timeout, data_dir=args.worker_data_dir)


def main():
    args = _parse_args() if __name__ == "__main__" else None
    role = _cluster_role(args) if args is not None else None
    if role is not None and role.role == "worker":
        from dnnlib.tflib import cluster as tfcluster
        tfcluster.serve_worker(role.workers, role.task, role.chief)
        return
    if args is not None:
        _apply_overrides(args, num_workers=len(role.workers) if role else 1)

    run_config = copy.deepcopy(submit_config)
    run_config.run_dir_root = dnnlib.submission.submit.get_template_from_path(config.result_dir)
    run_config.run_dir_ignore = run_config.run_dir_ignore + config.run_dir_ignore
    run_config.run_desc = desc
    kwargs = EasyDict(train)  # run_func_name, total_kimg, mirror_augment, ... then the option dicts
    kwargs.update({"G_args": G, "D_args": D, "G_opt_args": G_opt, "D_opt_args": D_opt, "G_loss_args": G_loss, "D_loss_args": D_loss,
                   "dataset_args": dataset, "sched_args": sched, "grid_args": grid, "metric_arg_list": metrics, "tf_config": tf_config,
                   "submit_config": run_config})

    if role is not None:
        kwargs.cluster_args = _cluster_args(role, args)
    if args is not None and args.dry_run:
        print("Run dir: %s/NNNNN-%s" % (config.result_dir, desc))
        pprint.pprint({k: v for k, v in kwargs.items() if k != "submit_config"}, indent=4, width=120)
        print("num_gpus: %d, data_dir: %s" % (kwargs.submit_config.num_gpus, config.data_dir))
        return
    _check_inputs(trust_pickles=bool(args and args.trust_pickles))
    if role is not None:
        from dnnlib.tflib import cluster as tfcluster
        tfcluster.check_reachable(role.workers)  # before submit_run makes the run dir
    run_config.run_dir_files = {"config.txt": settings_text(sys.modules[__name__]), "training_options.json": _training_options(kwargs)}
    dnnlib.submit_run(**kwargs)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
