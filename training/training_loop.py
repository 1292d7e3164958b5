"""The progressive-growing training loop of StyleGAN and ProGAN.

training_loop() is what train.py submits: it builds G, D and the running
average Gs (or resumes them from a snapshot), grows the resolution on the
schedule of training_schedule(), and writes image grids, network snapshots,
metrics and TensorBoard summaries into the run dir.
"""

import contextlib
import os
import sys
import time
from typing import NamedTuple

import numpy as np
import tensorflow.compat.v1 as tf

import config
import dnnlib
import dnnlib.tflib as tflib
from dnnlib.tflib import cluster as tfcluster
from dnnlib.tflib.autosummary import autosummary
from metrics import metric_base
from training import dataset, misc

# ----------------------------------------------------------------------------


def process_reals(x, lod, mirror_augment,
                  drange_data, drange_net):
    """Real images as D sees them at this lod: scaled to drange_net, mirrored, faded and upscaled to full size."""
    with tf.name_scope("ProcessReals"):
        with tf.name_scope("DynamicRange"):
            x = misc.adjust_dynamic_range(tf.cast(x, tf.float32), drange_data, drange_net)
        if mirror_augment:
            with tf.name_scope("MirrorAugment"):
                n, c, h, w = tf.unstack(tf.shape(x))
                coin = tf.tile(tf.random.uniform([n, 1, 1, 1], 0.0, 1.0), [1, c, h, w])  # one draw per image
                x = tf.where(coin < 0.5, x, x[:, :, :, ::-1])
        with tf.name_scope("FadeLOD"):  # blend towards the 2x box-downsampled image during a fade
            n, c, h, w = tf.unstack(tf.shape(x))
            blocks = tf.reshape(x, [-1, c, h // 2, 2, w // 2, 2])
            box = tf.reshape(tf.tile(tf.reduce_mean(blocks, axis=[3, 5], keepdims=True), [1, 1, 1, 2, 1, 2]), [-1, c, h, w])
            x = tflib.lerp(x, box, lod - tf.floor(lod))
        with tf.name_scope("UpscaleLOD"):  # nearest-neighbour upscale to the network's full resolution
            n, c, h, w = tf.unstack(tf.shape(x))
            k = tf.cast(2 ** tf.floor(lod), tf.int32)
            x = tf.tile(tf.reshape(x, [-1, c, h, 1, w, 1]), [1, 1, 1, k, 1, k])
            x = tf.reshape(x, [-1, c, h * k, w * k])
        return x

# ----------------------------------------------------------------------------


def training_schedule(
    cur_nimg,
    training_set,
    num_gpus,
    lod_initial_resolution  = 4,
    lod_training_kimg       = 600,      # per resolution: kimg of stable training ...
    lod_transition_kimg     = 600,      # ... then kimg of fading in the next resolution
    minibatch_base          = 16,
    minibatch_dict          = {},       # resolution -> total minibatch
    max_minibatch_per_gpu   = {},       # resolution -> cap per GPU
    G_lrate_base            = 0.001,
    G_lrate_dict            = {},       # resolution -> G learning rate
    D_lrate_base            = 0.001,
    D_lrate_dict            = {},       # resolution -> D learning rate
    lrate_rampup_kimg       = 0,        # 0 = no learning-rate warm-up
    tick_kimg_base          = 160,
    tick_kimg_dict          = {4: 160, 8: 140, 16: 120, 32: 100, 64: 80, 128: 60, 256: 40, 512: 30, 1024: 20}):  # resolution -> kimg per tick
    """lod, resolution, minibatch, learning rates and tick length after cur_nimg training images."""
    s = dnnlib.EasyDict(kimg=cur_nimg / 1000.0)
    phase_kimg = lod_training_kimg + lod_transition_kimg
    phase = int(np.floor(s.kimg / phase_kimg)) if phase_kimg > 0 else 0
    into_phase = s.kimg - phase * phase_kimg

    fading = max(into_phase - lod_training_kimg, 0.0) / lod_transition_kimg if lod_transition_kimg > 0 else 0.0
    s.lod = max(training_set.resolution_log2 - np.floor(np.log2(lod_initial_resolution)) - phase - fading, 0.0)
    s.resolution = 2 ** int(training_set.resolution_log2 - np.floor(s.lod))  # during a fade: the new, higher one

    minibatch = minibatch_dict.get(s.resolution, minibatch_base)
    minibatch -= minibatch % num_gpus
    cap = max_minibatch_per_gpu.get(s.resolution)
    s.minibatch = minibatch if cap is None else min(minibatch, cap * num_gpus)

    warmup = min(s.kimg / lrate_rampup_kimg, 1.0) if lrate_rampup_kimg > 0 else 1.0
    s.G_lrate = G_lrate_dict.get(s.resolution, G_lrate_base) * warmup
    s.D_lrate = D_lrate_dict.get(s.resolution, D_lrate_base) * warmup
    s.tick_kimg = tick_kimg_dict[s.resolution] if s.resolution in tick_kimg_dict else tick_kimg_base
    return s

# ----------------------------------------------------------------------------


def _load_or_construct_networks(training_set, G_args, D_args, resume_pkls):
    """(G, D, Gs, pkl): from the newest loadable of resume_pkls (newest first), or freshly constructed (pkl None)."""
    with tf.device("/gpu:0"):
        for index, pkl in enumerate(resume_pkls):
            print('Loading networks from "%s"...' % pkl)
            try:
                networks = misc.load_pkl(pkl)
            except dnnlib.util.UserError as err:
                if index + 1 == len(resume_pkls):
                    raise
                print("Skipping it: %s" % err)
                continue
            G, D, Gs = _check_resumed(networks, training_set, pkl)
            break
        else:
            print("Constructing networks...")
            shape = dict(num_channels=training_set.shape[0], resolution=training_set.shape[1], label_size=training_set.label_size)
            G = tflib.Network("G", **shape, **G_args)
            D = tflib.Network("D", **shape, **D_args)
            Gs, pkl = G.clone("Gs"), None
    G.print_layers()
    D.print_layers()
    return G, D, Gs, pkl


def _check_resumed(networks, training_set, pkl):
    """The (G, D, Gs) of a resume pickle, refused with one line when they cannot train on this dataset."""
    if not (isinstance(networks, tuple) and len(networks) == 3 and all(isinstance(net, tflib.Network) for net in networks)):
        raise dnnlib.util.UserError("Cannot resume from '%s': it holds no (G, D, Gs) networks." % pkl)
    G, D, Gs = networks
    want = dict(image_shape=list(training_set.shape), label_size=training_set.label_size)
    have = dict(image_shape=G.output_shape[1:], label_size=G.input_shapes[1][1] if G.num_inputs > 1 else 0)
    if want != have or D.input_shapes[0][1:] != want["image_shape"]:
        raise dnnlib.util.UserError("Cannot resume from '%s': its networks take images %s with %d labels, the dataset has %s with %d labels."
                                    % (pkl, have["image_shape"], have["label_size"], want["image_shape"], want["label_size"]))
    return G, D, Gs


class TrainingGraph(NamedTuple):
    """What build_training_graph returns: the schedule's inputs and the ops one training step runs."""
    inputs: dnnlib.EasyDict     # placeholders lod_in, lrate_in, minibatch_in
    G_opt: tflib.Optimizer
    D_opt: tflib.Optimizer
    G_train_op: tf.Operation
    D_train_op: tf.Operation
    Gs_update_op: tf.Operation


def build_training_graph(*, G, D, Gs, training_set, num_gpus=1, G_smoothing_kimg=10.0, G_opt_args={}, D_opt_args={},
                         G_loss_args={}, D_loss_args={}, mirror_augment=False, drange_net=[-1, 1], towers=None) -> TrainingGraph:
    """Per-GPU towers with their losses, the optimizers' training ops and the Gs moving-average op.

    towers (ours, for several machines): [(device, get_minibatch_tf)] of towers that all use G and D where they
    are, instead of num_gpus towers on this machine with a copy of the networks each (see cluster_towers()).
    """
    print("Building TensorFlow graph...")
    shared = towers is not None
    if not shared:
        towers = [("/gpu:%d" % index, training_set.get_minibatch_tf) for index in range(num_gpus)]
    with tf.name_scope("Inputs"), tf.device("/cpu:0"):
        inputs = dnnlib.EasyDict(lod_in=tf.placeholder(tf.float32, name="lod_in", shape=[]),
                                 lrate_in=tf.placeholder(tf.float32, name="lrate_in", shape=[]),
                                 minibatch_in=tf.placeholder(tf.int32, name="minibatch_in", shape=[]))
        per_tower = inputs.minibatch_in // len(towers)
        if G_smoothing_kimg > 0.0:  # half-life of G_smoothing_kimg thousand images
            Gs_beta = tf.pow(0.5, tf.cast(inputs.minibatch_in, tf.float32) / (G_smoothing_kimg * 1000.0))
        else:
            Gs_beta = 0.0

    G_opt = tflib.Optimizer(name="TrainG", learning_rate=inputs.lrate_in, **G_opt_args)
    D_opt = tflib.Optimizer(name="TrainD", learning_rate=inputs.lrate_in, **D_opt_args)
    for tower, (device, get_minibatch_tf) in enumerate(towers):
        with tf.name_scope("GPU%d" % tower), tf.device(device):
            G_tower, D_tower = (G, D) if tower == 0 or shared else (G.clone(G.name + "_shadow"), D.clone(D.name + "_shadow"))
            if tower == 0 or not shared:
                set_lod = [tf.assign(net.find_var("lod"), inputs.lod_in) for net in (G_tower, D_tower)]
            images, labels = get_minibatch_tf()
            images = process_reals(images, inputs.lod_in, mirror_augment, training_set.dynamic_range, drange_net)
            common = dict(G=G_tower, D=D_tower, training_set=training_set, minibatch_size=per_tower)
            with tf.name_scope("G_loss"), tf.control_dependencies(set_lod):
                G_loss = dnnlib.util.call_func_by_name(opt=G_opt, **common, **G_loss_args)
            with tf.name_scope("D_loss"), tf.control_dependencies(set_lod):
                D_loss = dnnlib.util.call_func_by_name(opt=D_opt, reals=images, labels=labels, **common, **D_loss_args)
            G_opt.register_gradients(tf.reduce_mean(G_loss), G_tower.trainables)
            D_opt.register_gradients(tf.reduce_mean(D_loss), D_tower.trainables)
    G_train_op, D_train_op = G_opt.apply_updates(), D_opt.apply_updates()
    Gs_update_op = Gs.setup_as_moving_average_of(src_net=G, beta=Gs_beta)  # non-trainables (lod, noise, dlatent_avg) copied
    return TrainingGraph(inputs, G_opt, D_opt, G_train_op, D_train_op, Gs_update_op)


def cluster_towers(tower_devices, training_set, tfrecord_dir=None):
    """[(device, get_minibatch_tf)] for build_training_graph's towers on other machines.

    The towers of one worker share a reader on that worker's CPU, over the worker's shard of the dataset,
    read from tfrecord_dir as the worker sees it; a dataset without add_reader (synthetic) is used as is,
    so its ops run in each tower.
    """
    readers, towers = {}, []
    machines = sorted({(spec.job, spec.task) for spec in map(tf.DeviceSpec.from_string, tower_devices)})
    for device in tower_devices:
        spec = tf.DeviceSpec.from_string(device)
        machine = (spec.job, spec.task)
        if machine not in readers:
            readers[machine] = (training_set.add_reader("/job:%s/task:%d/device:CPU:0" % machine, machines.index(machine), len(machines), tfrecord_dir)
                                if hasattr(training_set, "add_reader") else training_set)
        towers.append((device, readers[machine].get_minibatch_tf))
    return towers


def _nonfinite_check(networks):
    """An op giving the name of the first network with a NaN or infinite variable, or '' when all are finite."""
    with tf.name_scope("FiniteCheck"), tf.device("/cpu:0"):
        verdict = tf.constant("")
        for net in reversed(networks):
            finite = tf.reduce_all([tf.reduce_all(tf.is_finite(var)) for var in net.vars.values()])
            verdict = tf.where(finite, verdict, tf.constant(net.name))
        return verdict


class TrainingDiverged(dnnlib.util.UserError):
    """Weights became NaN or infinite; the last snapshot on disk is the last good one."""


def _peak_gpu_memory_gb():
    """Peak memory of the first GPU in GiB; 0 on CPU-only machines (tf.contrib.memory_stats is gone in TF 2)."""
    try:
        if tf.config.list_physical_devices("GPU"):
            return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2 ** 30
    except (ValueError, RuntimeError, AttributeError):
        pass
    return 0.0


def _tick_line(cur_tick, cur_nimg, sched, total_time, tick_time, tick_kimg, maintenance_time, num_workers=None):
    """The progress line, every value recorded through autosummary as in the original (ours: `workers N` on a cluster)."""
    fields = [
        ("tick", "%-5d", "Progress/tick", cur_tick),
        ("kimg", "%-8.1f", "Progress/kimg", cur_nimg / 1000.0),
        ("lod", "%-5.2f", "Progress/lod", sched.lod),
        ("minibatch", "%-4d", "Progress/minibatch", sched.minibatch),
        ("time", "%-12s", "Timing/total_sec", total_time),
        ("sec/tick", "%-7.1f", "Timing/sec_per_tick", tick_time),
        ("sec/kimg", "%-7.2f", "Timing/sec_per_kimg", tick_time / tick_kimg),
        ("maintenance", "%-6.1f", "Timing/maintenance_sec", maintenance_time),
        ("gpumem", "%-4.1f", "Resources/peak_gpu_mem_gb", _peak_gpu_memory_gb()),
    ] + ([("workers", "%-3d", "Resources/workers", num_workers)] if num_workers else [])
    parts = []
    for label, fmt, tag, value in fields:
        value = autosummary(tag, value)
        parts.append(label + " " + fmt % (dnnlib.util.format_time(value) if tag == "Timing/total_sec" else value))
    return " ".join(parts)


def _lod_changed(lod, prev_lod):
    """True on the first step, when a fade starts and when it ends (Adam's moments are reset then)."""
    return np.floor(lod) != np.floor(prev_lod) or np.ceil(lod) != np.ceil(prev_lod)


def training_loop(
    submit_config,
    G_args                  = {},       # kwargs of tflib.Network for G (func_name and network options)
    D_args                  = {},       # kwargs of tflib.Network for D
    G_opt_args              = {},       # kwargs of tflib.Optimizer for G
    D_opt_args              = {},       # kwargs of tflib.Optimizer for D
    G_loss_args             = {},       # func_name and options of the G loss
    D_loss_args             = {},       # func_name and options of the D loss
    dataset_args            = {},       # kwargs of dataset.load_dataset
    sched_args              = {},       # kwargs of training_schedule
    grid_args               = {},       # kwargs of misc.setup_snapshot_image_grid
    metric_arg_list         = [],       # metrics evaluated at every network snapshot
    tf_config               = {},       # kwargs of tflib.init_tf
    G_smoothing_kimg        = 10.0,     # half-life of the Gs moving average, in thousands of images
    D_repeats               = 1,        # D steps per G step
    minibatch_repeats       = 4,        # minibatches between schedule updates
    reset_opt_for_new_lod   = True,     # restart Adam's moments when the resolution changes
    total_kimg              = 15000,    # length of training in thousands of real images
    mirror_augment          = False,    # random horizontal flips of the reals
    drange_net              = [-1, 1],  # value range of images inside the networks
    image_snapshot_ticks    = 1,        # ticks between fakes*.png
    network_snapshot_ticks  = 10,       # ticks between network-snapshot-*.pkl
    save_tf_graph           = False,    # write the graph to the TensorBoard log
    save_weight_histograms  = False,    # write weight histograms to the TensorBoard log
    resume_run_id           = None,     # run id, run dir or pkl to continue from; None = from scratch
    resume_snapshot         = None,     # kimg of the snapshot (or a pkl); None = the latest
    resume_kimg             = 0.0,      # progress at resume; 0 = read it from the snapshot (ours)
    resume_time             = 0.0,      # seconds trained before resume; 0 = read it from the snapshot (ours)
    snapshot_minutes        = 15.0,     # ours: also snapshot when this long has passed since the last one (0 = off) ...
    keep_time_snapshots     = 3,        # ... keeping only the newest few of those extra snapshots
    cluster_args            = {}):      # ours: kwargs of dnnlib.tflib.cluster.Cluster (workers, ...) to train on several machines; {} = this one
    """Train G and D with progressive growing, writing grids, snapshots, metrics and summaries into the run dir."""
    ctx = dnnlib.RunContext(submit_config)  # config.txt is written by the caller (train.py), with the run dir
    num_gpus = submit_config.num_gpus
    run_dir = submit_config.run_dir
    cluster = tfcluster.Cluster(**cluster_args) if cluster_args else None
    tflib.init_tf(tf_config, **({} if cluster is None else dict(target=cluster.target, session_config=cluster.session_config())))
    run_options = dict(dataset_args=dict(dataset_args, shuffle_mb=0), mirror_augment=bool(mirror_augment))  # what metrics need
    snapshots = []  # every snapshot this run resumed from or wrote, newest last
    with _on_cluster(cluster, run_dir, lambda: snapshots[-1] if snapshots else None):
        tower_devices = cluster.find_towers(tf.get_default_session(), num_gpus) if cluster else None
        num_towers = num_gpus if cluster is None else len(tower_devices)  # the minibatch is split over all of them
        if cluster is not None:
            print(cluster.describe(tower_devices))
        training_set = dataset.load_dataset(verbose=True, data_dir=config.data_dir, **dataset_args)
        resume_pkls = _resume_candidates(resume_run_id, resume_snapshot) if resume_run_id is not None else []
        G, D, Gs, resume_pkl = _load_or_construct_networks(training_set, G_args, D_args, resume_pkls)
        if resume_pkl is not None:
            if (resume_kimg, resume_time) == (0.0, 0.0):
                resume_kimg, resume_time = misc.load_progress(resume_pkl)
            print('Resuming from "%s" at %.1f kimg' % (resume_pkl, resume_kimg))
            snapshots.append(resume_pkl)
        towers = None if cluster is None else cluster_towers(tower_devices, training_set, _worker_tfrecord_dir(cluster, dataset_args))
        graph = build_training_graph(G=G, D=D, Gs=Gs, training_set=training_set, num_gpus=num_gpus, G_smoothing_kimg=G_smoothing_kimg,
                                     G_opt_args=G_opt_args, D_opt_args=D_opt_args, G_loss_args=G_loss_args, D_loss_args=D_loss_args,
                                     mirror_augment=mirror_augment, drange_net=drange_net, towers=towers)
        nonfinite_network = _nonfinite_check([G, D, Gs])

        print("Setting up snapshot image grid...")
        grid = misc.setup_snapshot_image_grid(G, training_set, **grid_args)
        grid_size, grid_reals, grid_labels, grid_latents = grid
        final_sched = training_schedule(cur_nimg=total_kimg * 1000, training_set=training_set, num_gpus=num_towers, **sched_args)
        grid_minibatch = max(final_sched.minibatch // num_towers, 1)

        def save_fakes(kimg):
            fakes = Gs.run(grid_latents, grid_labels, is_validation=True, minibatch_size=grid_minibatch)
            misc.save_image_grid(fakes, os.path.join(run_dir, "fakes%06d.png" % kimg), drange=drange_net, grid_size=grid_size)

        def save_networks(filename, nimg, seconds, **extra):
            """A snapshot and its json, only ever of finite networks (the last snapshot on disk stays the last good one)."""
            bad = tflib.run(nonfinite_network).decode()
            if bad:
                raise TrainingDiverged("Training diverged at %.1f kimg: network %s has NaN or infinite weights; stopped without saving them. "
                                       "The newest snapshot in %s is the last good one (resume from it with a lower learning rate)." % (nimg / 1000.0, bad, run_dir))
            pkl = os.path.join(run_dir, filename)
            misc.save_pkl((G, D, Gs), pkl)
            misc.save_progress(pkl, nimg, seconds, **run_options, **extra)  # ours: resume and metrics read these
            snapshots.append(pkl)
            return pkl

        print("Setting up run dir...")
        misc.save_image_grid(grid_reals, os.path.join(run_dir, "reals.png"), drange=training_set.dynamic_range, grid_size=grid_size)
        save_fakes(resume_kimg)
        summary_log = tf.summary.FileWriter(run_dir)
        if save_tf_graph:
            summary_log.add_graph(graph=tf.get_default_graph())
        if save_weight_histograms:
            for net in (G, D):
                net.setup_weight_histograms()
        metrics = metric_base.MetricGroup(list(metric_arg_list))

        print("Training...\n")
        ctx.update("", cur_epoch=resume_kimg, max_epoch=total_kimg)
        maintenance_time = ctx.last_update_interval
        end_nimg = total_kimg * 1000
        cur_nimg = tick_start_nimg = int(resume_kimg * 1000)
        cur_tick, prev_lod, last_snapshot_time = 0, -1.0, time.time()
        tick_steps = dict(G=0, D=0)
        while cur_nimg < end_nimg and not ctx.should_stop():
            sched = training_schedule(cur_nimg, training_set, num_towers, **sched_args)
            training_set.configure(sched.minibatch // num_towers, sched.lod)
            if reset_opt_for_new_lod and _lod_changed(sched.lod, prev_lod):
                graph.G_opt.reset_optimizer_state()
                graph.D_opt.reset_optimizer_state()
            prev_lod = sched.lod

            feed = {graph.inputs.lod_in: sched.lod, graph.inputs.minibatch_in: sched.minibatch}
            try:
                for _ in range(minibatch_repeats):
                    for _ in range(D_repeats):  # only D steps count images; Gs follows G after every D step
                        tflib.run([graph.D_train_op, graph.Gs_update_op], {**feed, graph.inputs.lrate_in: sched.D_lrate})
                        cur_nimg += sched.minibatch
                        tick_steps["D"] += 1
                    tflib.run([graph.G_train_op], {**feed, graph.inputs.lrate_in: sched.G_lrate})
                    tick_steps["G"] += 1
            except dataset.READ_ERRORS as err:  # a corrupt record: name the file; the last snapshot stays intact
                if not (hasattr(training_set, "is_read_error") and training_set.is_read_error(err)):
                    raise
                raise training_set.read_error(err) from err

            done = cur_nimg >= end_nimg
            if not done and cur_nimg < tick_start_nimg + sched.tick_kimg * 1000:
                continue
            cur_tick += 1
            _check_losses_finite(graph, tick_steps, cur_nimg, run_dir)
            tick_steps = dict(G=0, D=0)
            tick_kimg, tick_start_nimg = (cur_nimg - tick_start_nimg) / 1000.0, cur_nimg
            tick_time, total_time = ctx.get_time_since_last_update(), resume_time + ctx.get_time_since_start()
            print(_tick_line(cur_tick, cur_nimg, sched, total_time, tick_time, tick_kimg, maintenance_time, cluster and len(cluster.workers)))
            autosummary("Timing/total_hours", total_time / 3600.0)
            autosummary("Timing/total_days", total_time / 86400.0)

            if done or cur_tick % image_snapshot_ticks == 0:
                save_fakes(cur_nimg // 1000)
            snapshot_name = "network-snapshot-%06d.pkl" % (cur_nimg // 1000)
            if done or cur_tick == 1 or cur_tick % network_snapshot_ticks == 0:
                pkl = save_networks(snapshot_name, cur_nimg, total_time)
                metrics.run(pkl, run_dir=run_dir, num_gpus=num_gpus, tf_config=tf_config, **run_options)
                last_snapshot_time = time.time()
            elif snapshot_minutes > 0 and time.time() - last_snapshot_time >= snapshot_minutes * 60:
                save_networks(snapshot_name, cur_nimg, total_time, time_snapshot=True)
                _prune_time_snapshots(run_dir, keep_time_snapshots)
                last_snapshot_time = time.time()

            metrics.update_autosummaries()
            tflib.autosummary.save_summaries(summary_log, global_step=cur_nimg)
            ctx.update("%.2f" % sched.lod, cur_epoch=cur_nimg // 1000, max_epoch=total_kimg)
            maintenance_time = ctx.last_update_interval - tick_time  # snapshots, metrics, summaries

        save_networks("network-final.pkl", cur_nimg, ctx.get_time_since_start() + resume_time)  # also after abort.txt
        summary_log.close()
    ctx.close()


@contextlib.contextmanager
def _on_cluster(cluster, run_dir, newest_snapshot):
    """On several machines: whatever is not pinned to a worker goes to the chief; a lost worker stops training with one line
    naming the snapshot to resume from (newest_snapshot() gives it)."""
    if cluster is None:
        yield
        return
    if tf.compat.as_str(tf.get_default_session().sess_str) != cluster.target:
        raise RuntimeError("this process has a default session already; training on a cluster needs its own")
    cluster.watch(lambda error: _exit_now(error, run_dir), newest_snapshot)  # a step waiting for a hung worker may never return: the watchdog ends the process
    try:
        with tf.device(tfcluster.CHIEF_DEVICE):
            yield
    except tfcluster.WORKER_ERRORS as err:
        raise cluster.worker_lost(err, newest_snapshot)
    finally:
        cluster.close_session(tf.get_default_session())


def _exit_now(error, run_dir):
    """End the process from another thread with the usual one error line (the main thread is stuck in a session run)."""
    print("Error: %s" % dnnlib.util.one_line(error), file=sys.stderr, flush=True)
    sys.stdout.flush()
    with open(os.path.join(run_dir, "_finished.txt"), "w"):  # as dnnlib's run_wrapper leaves a run dir after any end
        pass
    os._exit(1)


def _worker_tfrecord_dir(cluster, dataset_args):
    """Where the workers find the dataset's files: under the cluster's data_dir, else the same absolute path as here."""
    if "tfrecord_dir" not in dataset_args:
        return None
    return os.path.join(cluster.data_dir or os.path.abspath(config.data_dir), dataset_args["tfrecord_dir"])


def _check_losses_finite(graph, tick_steps, cur_nimg, run_dir):
    """Stop when every step of the tick was skipped for a NaN or infinite loss (the optimizer never applies those)."""
    skipped = dict(zip("GD", tflib.run([graph.G_opt.skipped_in_a_row, graph.D_opt.skipped_in_a_row])))
    for net in "DG":
        if tick_steps[net] and skipped[net] >= tick_steps[net]:
            raise TrainingDiverged("Training diverged at %.1f kimg: the %s loss has been NaN or infinite for the last %d steps "
                                   "(each was skipped). The newest snapshot in %s is the last good one (resume from it with a lower "
                                   "learning rate)." % (cur_nimg / 1000.0, net, skipped[net], run_dir))


def _resume_candidates(resume_run_id, resume_snapshot):
    """The pickles to try, newest first: the one asked for, or a run's snapshots (skipping unloadable ones)."""
    newest = misc.locate_network_pkl(resume_run_id, resume_snapshot)
    if resume_snapshot is not None or os.path.isfile(str(resume_run_id)):
        return [newest]
    run_dir = misc.locate_run_dir(resume_run_id)
    dnnlib.util.remove_stale_temp_files(run_dir)
    return list(reversed(misc.list_network_pkls(run_dir)))


def _prune_time_snapshots(run_dir, keep):
    """Delete all but the newest `keep` time-triggered snapshots (the regular ones always stay)."""
    timed = [pkl for pkl in misc.list_network_pkls(run_dir, include_final=False) if misc.is_time_snapshot(pkl)]
    for pkl in timed[:max(len(timed) - keep, 0)]:
        for path in (pkl, misc.progress_file_for(pkl)):
            if os.path.exists(path):
                os.remove(path)
