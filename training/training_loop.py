"""The progressive-growing training loop of StyleGAN and ProGAN.

training_loop() is what train.py submits: it builds G, D and the running
average Gs (or resumes them from a snapshot), grows the resolution on the
schedule of training_schedule(), and writes image grids, network snapshots,
metrics and TensorBoard summaries into the run dir.
"""

import os

import numpy as np
import tensorflow.compat.v1 as tf

import config
import dnnlib
import dnnlib.tflib as tflib
from dnnlib.tflib.autosummary import autosummary
from metrics import metric_base
from training import dataset, misc

# ----------------------------------------------------------------------------


def process_reals(x, lod, mirror_augment, drange_data, drange_net):
    """Real images as D sees them at this lod: scaled to drange_net, mirrored, faded and upscaled to full size."""
    with tf.name_scope("ProcessReals"):
        with tf.name_scope("DynamicRange"):
            x = tf.cast(x, tf.float32)
            x = misc.adjust_dynamic_range(x, drange_data, drange_net)
        if mirror_augment:
            with tf.name_scope("MirrorAugment"):
                s = tf.shape(x)
                mask = tf.random_uniform([s[0], 1, 1, 1], 0.0, 1.0)
                mask = tf.tile(mask, [1, s[1], s[2], s[3]])
                x = tf.where(mask < 0.5, x, tf.reverse(x, axis=[3]))
        with tf.name_scope("FadeLOD"):  # blend towards the 2x box-downsampled image during a fade
            s = tf.shape(x)
            y = tf.reshape(x, [-1, s[1], s[2] // 2, 2, s[3] // 2, 2])
            y = tf.reduce_mean(y, axis=[3, 5], keepdims=True)
            y = tf.tile(y, [1, 1, 1, 2, 1, 2])
            y = tf.reshape(y, [-1, s[1], s[2], s[3]])
            x = tflib.lerp(x, y, lod - tf.floor(lod))
        with tf.name_scope("UpscaleLOD"):  # nearest-neighbour upscale to the network's full resolution
            s = tf.shape(x)
            factor = tf.cast(2 ** tf.floor(lod), tf.int32)
            x = tf.reshape(x, [-1, s[1], s[2], 1, s[3], 1])
            x = tf.tile(x, [1, 1, 1, factor, 1, factor])
            x = tf.reshape(x, [-1, s[1], s[2] * factor, s[3] * factor])
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
    s = dnnlib.EasyDict()
    s.kimg = cur_nimg / 1000.0

    phase_dur = lod_training_kimg + lod_transition_kimg
    phase_idx = int(np.floor(s.kimg / phase_dur)) if phase_dur > 0 else 0
    phase_kimg = s.kimg - phase_idx * phase_dur

    s.lod = training_set.resolution_log2
    s.lod -= np.floor(np.log2(lod_initial_resolution))
    s.lod -= phase_idx
    if lod_transition_kimg > 0:
        s.lod -= max(phase_kimg - lod_training_kimg, 0.0) / lod_transition_kimg
    s.lod = max(s.lod, 0.0)
    s.resolution = 2 ** (training_set.resolution_log2 - int(np.floor(s.lod)))

    s.minibatch = minibatch_dict.get(s.resolution, minibatch_base)
    s.minibatch -= s.minibatch % num_gpus
    if s.resolution in max_minibatch_per_gpu:
        s.minibatch = min(s.minibatch, max_minibatch_per_gpu[s.resolution] * num_gpus)

    s.G_lrate = G_lrate_dict.get(s.resolution, G_lrate_base)
    s.D_lrate = D_lrate_dict.get(s.resolution, D_lrate_base)
    if lrate_rampup_kimg > 0:
        rampup = min(s.kimg / lrate_rampup_kimg, 1.0)
        s.G_lrate *= rampup
        s.D_lrate *= rampup

    s.tick_kimg = tick_kimg_dict.get(s.resolution, tick_kimg_base)
    return s

# ----------------------------------------------------------------------------


def _load_or_construct_networks(training_set, G_args, D_args, resume_pkl):
    with tf.device("/gpu:0"):
        if resume_pkl is not None:
            print('Loading networks from "%s"...' % resume_pkl)
            G, D, Gs = misc.load_pkl(resume_pkl)
        else:
            print("Constructing networks...")
            shape = dict(num_channels=training_set.shape[0], resolution=training_set.shape[1], label_size=training_set.label_size)
            G = tflib.Network("G", **shape, **G_args)
            D = tflib.Network("D", **shape, **D_args)
            Gs = G.clone("Gs")
    G.print_layers()
    D.print_layers()
    return G, D, Gs


def _build_training_graph(G, D, Gs, training_set, num_gpus, G_smoothing_kimg, G_opt_args, D_opt_args, G_loss_args, D_loss_args,
                          mirror_augment, drange_net):
    """Per-GPU towers with their losses, the optimizers' training ops and the Gs moving-average op."""
    print("Building TensorFlow graph...")
    with tf.name_scope("Inputs"), tf.device("/cpu:0"):
        lod_in = tf.placeholder(tf.float32, name="lod_in", shape=[])
        lrate_in = tf.placeholder(tf.float32, name="lrate_in", shape=[])
        minibatch_in = tf.placeholder(tf.int32, name="minibatch_in", shape=[])
        minibatch_split = minibatch_in // num_gpus
        Gs_beta = 0.5 ** tf.div(tf.cast(minibatch_in, tf.float32), G_smoothing_kimg * 1000.0) if G_smoothing_kimg > 0.0 else 0.0

    G_opt = tflib.Optimizer(name="TrainG", learning_rate=lrate_in, **G_opt_args)
    D_opt = tflib.Optimizer(name="TrainD", learning_rate=lrate_in, **D_opt_args)
    for gpu in range(num_gpus):
        with tf.name_scope("GPU%d" % gpu), tf.device("/gpu:%d" % gpu):
            G_gpu = G if gpu == 0 else G.clone(G.name + "_shadow")
            D_gpu = D if gpu == 0 else D.clone(D.name + "_shadow")
            lod_assign_ops = [tf.assign(G_gpu.find_var("lod"), lod_in), tf.assign(D_gpu.find_var("lod"), lod_in)]
            reals, labels = training_set.get_minibatch_tf()
            reals = process_reals(reals, lod_in, mirror_augment, training_set.dynamic_range, drange_net)
            with tf.name_scope("G_loss"), tf.control_dependencies(lod_assign_ops):
                G_loss = dnnlib.util.call_func_by_name(G=G_gpu, D=D_gpu, opt=G_opt, training_set=training_set,
                                                       minibatch_size=minibatch_split, **G_loss_args)
            with tf.name_scope("D_loss"), tf.control_dependencies(lod_assign_ops):
                D_loss = dnnlib.util.call_func_by_name(G=G_gpu, D=D_gpu, opt=D_opt, training_set=training_set,
                                                       minibatch_size=minibatch_split, reals=reals, labels=labels, **D_loss_args)
            G_opt.register_gradients(tf.reduce_mean(G_loss), G_gpu.trainables)
            D_opt.register_gradients(tf.reduce_mean(D_loss), D_gpu.trainables)
    G_train_op = G_opt.apply_updates()
    D_train_op = D_opt.apply_updates()
    Gs_update_op = Gs.setup_as_moving_average_of(G, beta=Gs_beta)
    inputs = dnnlib.EasyDict(lod_in=lod_in, lrate_in=lrate_in, minibatch_in=minibatch_in)
    return inputs, G_opt, D_opt, G_train_op, D_train_op, Gs_update_op


def _peak_gpu_memory_gb():
    """Peak memory of the first GPU in GiB; 0 on CPU-only machines (tf.contrib.memory_stats is gone in TF 2)."""
    try:
        if tf.config.list_physical_devices("GPU"):
            return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2 ** 30
    except (ValueError, RuntimeError, AttributeError):
        pass
    return 0.0


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
    resume_time             = 0.0):     # seconds trained before resume; 0 = read it from the snapshot (ours)
    """Train G and D with progressive growing; see spec/30-training.md section 3."""
    import train  # train.py's module-level settings go into config.txt, as in the original
    ctx = dnnlib.RunContext(submit_config, train)
    tflib.init_tf(tf_config)
    num_gpus = submit_config.num_gpus

    training_set = dataset.load_dataset(data_dir=config.data_dir, verbose=True, **dataset_args)
    resume_pkl = None
    if resume_run_id is not None:
        resume_pkl = misc.locate_network_pkl(resume_run_id, resume_snapshot)
        if resume_kimg == 0.0 and resume_time == 0.0:
            resume_kimg, resume_time = misc.load_progress(resume_pkl)
        print('Resuming from "%s" at %.1f kimg' % (resume_pkl, resume_kimg))
    G, D, Gs = _load_or_construct_networks(training_set, G_args, D_args, resume_pkl)

    inputs, G_opt, D_opt, G_train_op, D_train_op, Gs_update_op = _build_training_graph(
        G, D, Gs, training_set, num_gpus, G_smoothing_kimg, G_opt_args, D_opt_args, G_loss_args, D_loss_args, mirror_augment, drange_net)

    print("Setting up snapshot image grid...")
    grid_size, grid_reals, grid_labels, grid_latents = misc.setup_snapshot_image_grid(G, training_set, **grid_args)
    sched = training_schedule(cur_nimg=total_kimg * 1000, training_set=training_set, num_gpus=num_gpus, **sched_args)
    grid_minibatch = max(sched.minibatch // num_gpus, 1)
    grid_fakes = Gs.run(grid_latents, grid_labels, is_validation=True, minibatch_size=grid_minibatch)

    print("Setting up run dir...")
    run_dir = submit_config.run_dir
    misc.save_image_grid(grid_reals, os.path.join(run_dir, "reals.png"), drange=training_set.dynamic_range, grid_size=grid_size)
    misc.save_image_grid(grid_fakes, os.path.join(run_dir, "fakes%06d.png" % resume_kimg), drange=drange_net, grid_size=grid_size)
    summary_log = tf.summary.FileWriter(run_dir)
    if save_tf_graph:
        summary_log.add_graph(tf.get_default_graph())
    if save_weight_histograms:
        G.setup_weight_histograms()
        D.setup_weight_histograms()
    metrics = metric_base.MetricGroup(metric_arg_list)

    def save_snapshot(filename, cur_nimg, total_time):
        pkl = os.path.join(run_dir, filename)
        misc.save_pkl((G, D, Gs), pkl)
        misc.save_progress(pkl, cur_nimg, total_time)
        return pkl

    print("Training...\n")
    ctx.update("", cur_epoch=resume_kimg, max_epoch=total_kimg)
    maintenance_time = ctx.get_last_update_interval()
    cur_nimg = int(resume_kimg * 1000)
    cur_tick = 0
    tick_start_nimg = cur_nimg
    prev_lod = -1.0
    total_time = resume_time
    while cur_nimg < total_kimg * 1000:
        if ctx.should_stop():
            break

        # Choose the training parameters and configure the data pipeline.
        sched = training_schedule(cur_nimg, training_set, num_gpus, **sched_args)
        training_set.configure(sched.minibatch // num_gpus, sched.lod)
        if reset_opt_for_new_lod:
            if np.floor(sched.lod) != np.floor(prev_lod) or np.ceil(sched.lod) != np.ceil(prev_lod):
                G_opt.reset_optimizer_state()
                D_opt.reset_optimizer_state()
        prev_lod = sched.lod

        # Run the training ops.
        for _mb_repeat in range(minibatch_repeats):
            for _D_repeat in range(D_repeats):
                tflib.run([D_train_op, Gs_update_op], {inputs.lod_in: sched.lod, inputs.lrate_in: sched.D_lrate, inputs.minibatch_in: sched.minibatch})
                cur_nimg += sched.minibatch
            tflib.run([G_train_op], {inputs.lod_in: sched.lod, inputs.lrate_in: sched.G_lrate, inputs.minibatch_in: sched.minibatch})

        # Report progress.
        done = cur_nimg >= total_kimg * 1000
        if cur_nimg >= tick_start_nimg + sched.tick_kimg * 1000 or done:
            cur_tick += 1
            tick_kimg = (cur_nimg - tick_start_nimg) / 1000.0
            tick_start_nimg = cur_nimg
            tick_time = ctx.get_time_since_last_update()
            total_time = ctx.get_time_since_start() + resume_time

            print("tick %-5d kimg %-8.1f lod %-5.2f minibatch %-4d time %-12s sec/tick %-7.1f sec/kimg %-7.2f maintenance %-6.1f gpumem %-4.1f" % (
                autosummary("Progress/tick", cur_tick),
                autosummary("Progress/kimg", cur_nimg / 1000.0),
                autosummary("Progress/lod", sched.lod),
                autosummary("Progress/minibatch", sched.minibatch),
                dnnlib.util.format_time(autosummary("Timing/total_sec", total_time)),
                autosummary("Timing/sec_per_tick", tick_time),
                autosummary("Timing/sec_per_kimg", tick_time / tick_kimg),
                autosummary("Timing/maintenance_sec", maintenance_time),
                autosummary("Resources/peak_gpu_mem_gb", _peak_gpu_memory_gb())))
            autosummary("Timing/total_hours", total_time / (60.0 * 60.0))
            autosummary("Timing/total_days", total_time / (24.0 * 60.0 * 60.0))

            # Save snapshots.
            if cur_tick % image_snapshot_ticks == 0 or done:
                grid_fakes = Gs.run(grid_latents, grid_labels, is_validation=True, minibatch_size=grid_minibatch)
                misc.save_image_grid(grid_fakes, os.path.join(run_dir, "fakes%06d.png" % (cur_nimg // 1000)), drange=drange_net, grid_size=grid_size)
            if cur_tick % network_snapshot_ticks == 0 or done or cur_tick == 1:
                pkl = save_snapshot("network-snapshot-%06d.pkl" % (cur_nimg // 1000), cur_nimg, total_time)
                metrics.run(pkl, run_dir=run_dir, num_gpus=num_gpus, tf_config=tf_config)

            # Update summaries and RunContext.
            metrics.update_autosummaries()
            tflib.autosummary.save_summaries(summary_log, cur_nimg)
            ctx.update("%.2f" % sched.lod, cur_epoch=cur_nimg // 1000, max_epoch=total_kimg)
            maintenance_time = ctx.get_last_update_interval() - tick_time

    # Write final results.
    save_snapshot("network-final.pkl", cur_nimg, ctx.get_time_since_start() + resume_time)
    summary_log.close()
    ctx.close()
