"""Evaluate metrics (FID, perceptual path length, linear separability) on network pickles or training runs.

Edit-and-run as the original (the tasks and metrics lists in main()), or use
the command line, e.g.:
  python run_metrics.py --network ffhq --metrics fid50k --dataset ffhq --mirror-augment 1
  python run_metrics.py --network results/00000-x/network-final.pkl --metrics fid50k,ppl_wend --num-images 1000
Each evaluation is a run of its own in results/ (log.txt holds the result line).
"""

import argparse
import ast
import copy
import os

import config
import dnnlib
import dnnlib.tflib as tflib
import pretrained_networks
from dnnlib import EasyDict
from metrics import metric_base
from training import misc

# ----------------------------------------------------------------------------


def _evaluate(submit_config, metric_args, header, evaluations):
    """Shared by the run functions: a RunContext, the header line, then metric.run(pkl, **kwargs) per evaluation."""
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
        except (ValueError, SyntaxError):
            parsed[name] = value
    return parsed


def _parse_command_line(metrics, tasks, num_gpus):
    parser = argparse.ArgumentParser(description="Evaluate metrics on a network pickle. Without options, runs the tasks edited in main().")
    parser.add_argument("--network", help="preset (%s), URL or .pkl to evaluate" % ", ".join(sorted(pretrained_networks.PRESETS)))
    parser.add_argument("--metrics", help="comma-separated: fid50k, ppl_zfull, ppl_wfull, ppl_zend, ppl_wend, ls, dummy")
    parser.add_argument("--dataset", help="real images for FID: dataset directory name inside --data-dir")
    parser.add_argument("--data-dir", help="where datasets live (default: %s)" % config.data_dir)
    parser.add_argument("--result-dir", help="where the evaluation runs go (default: %s)" % config.result_dir)
    parser.add_argument("--mirror-augment", type=int, choices=[0, 1], help="mirror the reals (FID statistics), as in training")
    parser.add_argument("--num-images", type=int, help="images (or samples) per metric instead of the metric's default, for quick runs")
    parser.add_argument("--num-gpus", type=int, help="number of GPUs (default: %d)" % num_gpus)
    parser.add_argument("--metric-arg", action="append", default=[], metavar="NAME=VALUE",
                        help="extra metric argument, e.g. feature_network=my-inception.pkl (FID), perceptual_network=... (PPL), classifiers=[...] (LS)")
    args = parser.parse_args()

    if args.data_dir is not None:
        config.data_dir = args.data_dir
    if args.result_dir is not None:
        config.result_dir = args.result_dir
    if args.metrics is not None:
        names = [n.strip() for n in args.metrics.split(",") if n.strip()]
        unknown = [n for n in names if not isinstance(getattr(metric_base, n, None), dict)]
        if unknown or not names:
            raise dnnlib.util.UserError("Unknown metric '%s'; choose from fid50k, ppl_zfull, ppl_wfull, ppl_zend, ppl_wend, ls, dummy." % (unknown or [""])[0])
        metrics = [getattr(metric_base, n) for n in names]
    if args.metric_arg:
        metrics = [EasyDict(dict(m, **_parse_metric_args(args.metric_arg))) for m in metrics]
    if args.num_images is not None:
        if args.num_images < 2:
            raise dnnlib.util.UserError("--num-images must be at least 2.")
        metrics = [_metric_with_size(m, args.num_images) for m in metrics]
    if args.network is not None:
        network = pretrained_networks.resolve_network(args.network)
        dataset_args = EasyDict(tfrecord_dir=args.dataset or "ffhq", shuffle_mb=0)
        mirror = bool(args.mirror_augment) if args.mirror_augment is not None else args.dataset is None  # FFHQ (the default) was mirrored
        tasks = [EasyDict(run_func_name="run_metrics.run_pickle", network_pkl=network, dataset_args=dataset_args, mirror_augment=mirror)]
    else:
        for task in tasks:
            if "dataset_args" in task and args.dataset is not None:
                task.dataset_args.tfrecord_dir = args.dataset
            if "mirror_augment" in task and args.mirror_augment is not None:
                task.mirror_augment = bool(args.mirror_augment)
    for task in tasks:
        if "dataset_args" in task and any("num_images" in m for m in metrics):  # FID reads real images
            path = os.path.join(config.data_dir, task.dataset_args.tfrecord_dir)
            if not os.path.isdir(path):
                raise dnnlib.util.UserError("Dataset '%s' not found (looked in %s); pass --dataset/--data-dir." % (task.dataset_args.tfrecord_dir, path))
    return metrics, tasks, (args.num_gpus or num_gpus)


def main():
    metrics, tasks, num_gpus = _parse_command_line(*default_tasks())
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
