"""Evaluate metrics (FID, KID, perceptual path length, linear separability) on network pickles or training runs.

Edit-and-run as the original (the tasks and metrics lists in main()), or use
the command line, e.g.:
  python run_metrics.py --network ffhq --metrics fid50k --dataset ffhq --mirror-augment 1
  python run_metrics.py --network demo --metrics fid10k,kid10k --dataset fashion-mnist --metric-arg feature_network=fmnist
Each evaluation is a run of its own in results/ (log.txt holds the result line).
Everything is checked (network, dataset, auxiliary networks) before a run dir is created.
"""

import argparse
import ast
import copy
import glob
import os

import config
import dnnlib
from dnnlib import arguments
import pretrained_networks
from dnnlib import EasyDict
from metrics import metric_base
from training import misc

# ----------------------------------------------------------------------------


def _evaluate(submit_config, metric_args, header, evaluations):
    """Shared by the run functions: a RunContext, the header line, then metric.run(pkl, **kwargs) per evaluation."""
    import dnnlib.tflib as tflib  # TensorFlow loads here, not for --help
    ctx = dnnlib.RunContext(submit_config)
    tflib.init_tf()
    print(header)
    metric = dnnlib.util.call_func_by_name(**dict(metric_args))
    print()
    for index, (pkl, run_kwargs) in enumerate(evaluations):
        ctx.update("", index, len(evaluations))
        metric.run(pkl, num_gpus=submit_config.num_gpus, **run_kwargs)
    print()
    ctx.close()


def run_pickle(submit_config, metric_args, network_pkl,
               dataset_args, mirror_augment):
    """Evaluate one pickle; the result line goes to this run's log.txt."""
    header = 'Evaluating %s metric on network_pkl "%s"...' % (metric_args.name, network_pkl)
    _evaluate(submit_config, metric_args, header, [(network_pkl, dict(dataset_args=dataset_args, mirror_augment=mirror_augment))])


def run_snapshot(submit_config, metric_args,
                 run_id, snapshot):
    """Evaluate one snapshot of a training run; appends to that run's metric-<name>.txt."""
    header = "Evaluating %s metric on run_id %s, snapshot %s..." % (metric_args.name, run_id, snapshot)
    run_dir = misc.locate_run_dir(run_id)
    _evaluate(submit_config, metric_args, header, [(misc.locate_network_pkl(run_dir, snapshot), dict(run_dir=run_dir))])


def run_all_snapshots(submit_config, metric_args,
                      run_id):
    """Evaluate every snapshot of a training run, network-final.pkl last."""
    header = "Evaluating %s metric on all snapshots of run_id %s..." % (metric_args.name, run_id)
    run_dir = misc.locate_run_dir(run_id)
    _evaluate(submit_config, metric_args, header, [(pkl, dict(run_dir=run_dir)) for pkl in misc.list_network_pkls(run_dir)])

# ----------------------------------------------------------------------------


def default_tasks():
    """The original's edit-and-run choices: (metrics, tasks, num_gpus)."""
    metrics = []
    metrics += [metric_base.fid50k]
    #metrics += [metric_base.ppl_zfull]
    #metrics += [metric_base.ppl_wfull]
    #metrics += [metric_base.ppl_zend]
    #metrics += [metric_base.ppl_wend]
    #metrics += [metric_base.ls]
    #metrics += [metric_base.dummy]

    tasks = []
    tasks += [EasyDict(run_func_name="run_metrics.run_pickle", network_pkl=pretrained_networks.PRESETS["ffhq"],
                       dataset_args=EasyDict(tfrecord_dir="ffhq", shuffle_mb=0), mirror_augment=True)]  # karras2019stylegan-ffhq-1024x1024.pkl
    #tasks += [EasyDict(run_func_name="run_metrics.run_snapshot", run_id=100, snapshot=25000)]
    #tasks += [EasyDict(run_func_name="run_metrics.run_all_snapshots", run_id=100)]

    num_gpus = 1
    #num_gpus = 2
    #num_gpus = 4
    #num_gpus = 8
    return metrics, tasks, num_gpus


def _metric_with_size(metric, num_images):
    """A copy of the metric dict evaluated on num_images images or samples (for quick runs)."""
    metric = EasyDict(copy.deepcopy(metric))
    if "num_images" in metric:
        metric.num_images = num_images
    if "num_samples" in metric:
        metric.num_samples = num_images
        if "num_keep" in metric:
            metric.num_keep = min(metric.num_keep, max(num_images // 2, 1))
    return metric


def _parse_metric_args(specs):
    """['name=value', ...] -> dict; values are Python literals where they parse as such, else strings."""
    parsed = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.isidentifier():
            raise dnnlib.util.UserError("--metric-arg takes NAME=VALUE (got '%s')." % spec)
        try:
            parsed[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):  # (the last two: literals nested beyond the parser)
            parsed[name] = value
    return parsed


def _with_metric_args(metrics, extra):
    """Each NAME=VALUE goes to the metrics that take it (feature_network to FID and KID, ...); one no metric takes is an error."""
    accepted = [metric_base.accepted_args(m) for m in metrics]
    for name in extra:
        if not any(name in names for names in accepted):
            raise dnnlib.util.UserError("--metric-arg %s: none of the metrics (%s) takes it." % (name, ", ".join(m.name for m in metrics)))
    return [EasyDict(m, **{k: v for k, v in extra.items() if k in names}) for m, names in zip(metrics, accepted)]


_HELP_EPILOG = """\
Auxiliary networks: feature_network (FID, KID), perceptual_network (PPL) and classifiers (LS) take a
URL, a .pkl file, a named network (fmnist: bundled Fashion-MNIST classifier, offline, 32x32 images) or
'module.function'. NVIDIA's metric pickles run code stored in the file when loaded; they are accepted
when fetched from their official URLs into the cache. Any other pickle that is not a network of a known
architecture is refused unless you pass --trust-pickles: only use it for files you trust."""


def _parse_command_line(metrics, tasks, num_gpus):
    parser = argparse.ArgumentParser(description="Evaluate metrics on a network pickle. Without options, runs the tasks edited in main().",
                                     epilog=_HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", help="preset (demo, %s), URL or .pkl to evaluate" % ", ".join(sorted(pretrained_networks.PRESETS)))
    parser.add_argument("--metrics", help="comma-separated: %s" % ", ".join(metric_base.list_metrics()))
    parser.add_argument("--dataset", help="real images (FID, KID) and labels (class-conditional networks): dataset directory inside --data-dir "
                                          "(default: the one a snapshot of ours was trained on, from its .json; else ffhq)")
    parser.add_argument("--data-dir", help="where datasets live (default: %s)" % config.data_dir)
    parser.add_argument("--result-dir", help="where the evaluation runs go (default: %s)" % config.result_dir)
    parser.add_argument("--mirror-augment", type=int, choices=[0, 1], help="mirror the reals (FID statistics), as in training "
                                                                          "(default: as the snapshot's .json says; 1 for ffhq)")
    parser.add_argument("--num-images", type=arguments.sample_count, help="images (or samples) per metric instead of the metric's default, for quick runs")
    parser.add_argument("--num-gpus", type=arguments.positive_int, help="number of GPUs (default: %d)" % num_gpus)
    parser.add_argument("--metric-arg", action="append", default=[], metavar="NAME=VALUE",
                        help="extra metric argument, e.g. feature_network=fmnist (FID, KID), perceptual_network=... (PPL), classifiers=[...] (LS)")
    parser.add_argument("--trust-pickles", action="store_true",
                        help="allow auxiliary network pickles (--metric-arg) that run code stored in them; see below")
    args = parser.parse_args()

    if args.data_dir is not None:
        config.data_dir = args.data_dir
    if args.result_dir is not None:
        config.result_dir = args.result_dir
    if args.metrics is not None:
        names = [n.strip() for n in args.metrics.split(",") if n.strip()]
        metrics = [metric_base.get_metric(n) for n in names or [""]]
    if args.metric_arg:
        metrics = _with_metric_args(metrics, _parse_metric_args(args.metric_arg))
    if args.trust_pickles:
        metrics = [EasyDict(m, trust_pickles=True) for m in metrics]
    if args.num_images is not None:
        metrics = [_metric_with_size(m, args.num_images) for m in metrics]
    if args.network is not None:
        network = pretrained_networks.resolve_network(args.network)
        trained = metric_base.snapshot_dataset(network) if args.dataset is None else None
        if trained is not None:  # one of our snapshots: evaluated on the dataset it was trained on, mirrored as it was
            dataset_args, mirror = trained
        else:
            dataset_args = EasyDict(tfrecord_dir=args.dataset or "ffhq", shuffle_mb=0)
            mirror = args.dataset is None  # FFHQ (the default) was mirrored
        if args.mirror_augment is not None:
            mirror = bool(args.mirror_augment)
        tasks = [EasyDict(run_func_name="run_metrics.run_pickle", network_pkl=network, dataset_args=dataset_args, mirror_augment=mirror)]
    else:
        for task in tasks:
            if "dataset_args" in task and args.dataset is not None:
                task.dataset_args.tfrecord_dir = args.dataset
            if "mirror_augment" in task and args.mirror_augment is not None:
                task.mirror_augment = bool(args.mirror_augment)
    return metrics, tasks, (args.num_gpus or num_gpus)

# ----------------------------------------------------------------------------
# Checks before any run dir is created.


def _dataset_dir_with_labels(dataset_args):
    """(dataset directory, whether it has a labels file)."""
    path = os.path.join(config.data_dir, dataset_args["tfrecord_dir"])
    return path, bool(dataset_args.get("label_file") or glob.glob(os.path.join(path, "*.labels")))


def _task_pkls(task):
    """The network pickles a task evaluates, with the dataset settings they are evaluated with (None: from the run)."""
    if task.run_func_name.endswith("run_pickle"):
        return [task.network_pkl], task.dataset_args
    run_dir = misc.locate_run_dir(task.run_id)
    if task.run_func_name.endswith("run_snapshot"):
        return [misc.locate_network_pkl(run_dir, task.snapshot)], None
    pkls = misc.list_network_pkls(run_dir)
    if not pkls:
        raise dnnlib.util.UserError("Run '%s' has no network pickles." % run_dir)
    return pkls, None


def _label_size_of(network_pkl):
    """Load the pickle safely in a throwaway graph: it must hold (G, D, Gs); returns Gs's label size."""
    import dnnlib.tflib as tflib
    import tensorflow.compat.v1 as tf
    with tf.Graph().as_default(), tflib.create_session().as_default():
        _G, _D, Gs = metric_base.load_networks_pkl(network_pkl)
        return Gs.input_shapes[1][1] if len(Gs.input_shapes) > 1 else 0


def validate(metrics, tasks):
    """Every network loads, every dataset a metric needs exists, every auxiliary network can be had; UserError otherwise."""
    objects = [metric_base.create_metric(m) for m in metrics]
    for task in tasks:
        try:
            pkls, dataset_args = _task_pkls(task)
        except IOError as err:
            raise dnnlib.util.UserError("%s." % " ".join(str(a) for a in err.args)) from err
        label_sizes = [_label_size_of(pkl) for pkl in pkls[-1:]]  # the last one stands for all snapshots of a run
        if dataset_args is None:
            continue
        path, has_labels = _dataset_dir_with_labels(dataset_args)
        needs_reals = any(m.uses_dataset() for m in objects)
        needs_labels = max(label_sizes) > 0 and any(not isinstance(m, metric_base.DummyMetric) for m in objects)
        if (needs_reals or needs_labels) and not os.path.isdir(path):
            raise dnnlib.util.UserError("Dataset '%s' not found (looked in %s); pass --dataset/--data-dir." % (dataset_args["tfrecord_dir"], path))
        if needs_labels and not has_labels:
            raise dnnlib.util.UserError("The network is class-conditional but dataset '%s' has no labels; the metrics draw labels from it." % path)
    metric_base.prepare_metrics(metrics, way_out=None)

# ----------------------------------------------------------------------------


def main():
    metrics, tasks, num_gpus = _parse_command_line(*default_tasks())
    validate(metrics, tasks)
    submit_config = dnnlib.SubmitConfig()
    submit_config.num_gpus = num_gpus
    submit_config.run_dir_root = dnnlib.submission.submit.get_template_from_path(path=config.result_dir)
    submit_config.run_dir_ignore = submit_config.run_dir_ignore + config.run_dir_ignore
    for task in tasks:
        for metric in metrics:
            submit_config.run_desc = "%s-%s" % (task.run_func_name, metric.name)
            if task.run_func_name.endswith("run_snapshot"):
                submit_config.run_desc += "-%s-%s" % (task.run_id, task.snapshot)
            if task.run_func_name.endswith("run_all_snapshots"):
                submit_config.run_desc += "-%s" % task.run_id
            submit_config.run_desc += "-%dgpu" % submit_config.num_gpus
            dnnlib.submit_run(submit_config, **task, metric_args=metric)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
