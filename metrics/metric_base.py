"""Common machinery of the metrics: running on a network pickle, result strings and logs, real-statistics cache."""

import hashlib
import os
import time

import numpy as np
import tensorflow.compat.v1 as tf

import config
import dnnlib
import dnnlib.tflib as tflib
from dnnlib.tflib.autosummary import autosummary
from training import dataset, misc

# ----------------------------------------------------------------------------
# The predefined metrics, as in the original (each is built with call_func_by_name(**dict)).

fid50k = dnnlib.EasyDict(func_name="metrics.frechet_inception_distance.FID", name="fid50k", num_images=50000, minibatch_per_gpu=8)
ppl_zfull = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_zfull", num_samples=100000, epsilon=1e-4, space="z", sampling="full", minibatch_per_gpu=16)
ppl_wfull = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_wfull", num_samples=100000, epsilon=1e-4, space="w", sampling="full", minibatch_per_gpu=16)
ppl_zend = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_zend", num_samples=100000, epsilon=1e-4, space="z", sampling="end", minibatch_per_gpu=16)
ppl_wend = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_wend", num_samples=100000, epsilon=1e-4, space="w", sampling="end", minibatch_per_gpu=16)
ls = dnnlib.EasyDict(func_name="metrics.linear_separability.LS", name="ls", num_samples=200000, num_keep=100000, attrib_indices=range(40), minibatch_per_gpu=4)
dummy = dnnlib.EasyDict(func_name="metrics.metric_base.DummyMetric", name="dummy")


class MetricBase:
    """A metric evaluated on the Gs of a network pickle; subclasses implement _evaluate(Gs, num_gpus)."""

    def __init__(self, name):
        self.name = name
        self._network_pkl = None
        self._dataset_args = None
        self._mirror_augment = None
        self._results = []
        self._eval_time = None

    def run(self, network_pkl, run_dir=None, dataset_args=None,
            mirror_augment=None, num_gpus=1, tf_config=None, log_results=True):
        """Evaluate on the Gs of network_pkl in a fresh graph; dataset settings default to those of run_dir's config.txt."""
        self._network_pkl, self._results = network_pkl, []
        self._dataset_args, self._mirror_augment = dataset_args, mirror_augment
        if run_dir is not None and None in (dataset_args, mirror_augment):
            previous = misc.parse_config_for_previous_run(run_dir)
            self._dataset_args = dict(previous["dataset"], shuffle_mb=0)
            self._mirror_augment = previous["train"].get("mirror_augment", False)

        started = time.time()
        graph = tf.Graph()
        with graph.as_default(), tflib.create_session(tf_config).as_default():
            networks = misc.load_pkl(self._network_pkl)
            self._evaluate(networks[2], num_gpus=num_gpus)  # (G, D, Gs): the metrics look at Gs
        self._eval_time = time.time() - started

        if log_results:
            result_str = self.get_result_str()
            if run_dir is not None:
                with dnnlib.util.Logger(os.path.join(run_dir, "metric-%s.txt" % self.name), "a"):
                    print(result_str)
            else:
                print(result_str)

    def get_result_str(self):
        network_name, _ext = os.path.splitext(os.path.basename(self._network_pkl))
        if len(network_name) > 29:
            network_name = "..." + network_name[-26:]
        result_str = "%-30s" % network_name
        result_str += " time %-12s" % dnnlib.util.format_time(self._eval_time)
        for res in self._results:
            result_str += " " + self.name + res.suffix + " "
            result_str += res.fmt % res.value
        return result_str

    def update_autosummaries(self):
        for res in self._results:
            autosummary("Metrics/" + self.name + res.suffix, res.value)

    def _evaluate(self, Gs, num_gpus):
        raise NotImplementedError  # to be overridden by subclasses

    def _report_result(self, value, suffix="", fmt="%-10.4f"):
        self._results.append(dnnlib.EasyDict(fmt=fmt, suffix=suffix, value=value))

    def _get_cache_file_for_reals(self, extension="pkl", **kwargs):
        """Where statistics of the real images are cached: md5 of the metric, dataset and arguments."""
        all_args = dnnlib.EasyDict({"metric_name": self.name, "mirror_augment": self._mirror_augment}, **self._dataset_args)
        all_args.update(kwargs)  # the hash depends on these exact reprs (True vs 1, int vs float)
        md5 = hashlib.md5(repr(sorted(all_args.items())).encode("utf-8"))
        dataset_name = self._dataset_args["tfrecord_dir"].replace("\\", "/").split("/")[-1]
        return os.path.join(config.cache_dir, "%s-%s-%s.%s" % (md5.hexdigest(), self.name, dataset_name, extension))

    def _iterate_reals(self, batch_size):
        """Real uint8 NCHW minibatches forever (the dataset repeats), mirrored at random if the run was."""
        reals = dataset.load_dataset(data_dir=config.data_dir, **self._dataset_args)
        while True:
            batch = reals.get_minibatch_np(batch_size)[0]
            yield misc.apply_mirror_augment(batch) if self._mirror_augment else batch

    def _iterate_fakes(self, Gs, batch_size, num_gpus):
        """Generated uint8 NHWC minibatches forever (not used by the three metrics; kept from the original's API)."""
        to_uint8 = dict(func=tflib.convert_images_to_uint8, nchw_to_nhwc=True)
        while True:
            z = np.random.randn(batch_size, *Gs.input_shape[1:])
            yield Gs.run(z, None, output_transform=to_uint8, is_validation=True, num_gpus=num_gpus, assume_frozen=True)


def load_aux_network(spec, description):
    """An auxiliary network (feature extractor, LPIPS, classifier) from a URL, a local pickle, or 'module.function'.

    URLs and pickles are NVIDIA's trusted files whose TF1 source runs through
    the compatibility layer (safe=False); a function name builds a stand-in.
    """
    if dnnlib.util.is_url(spec) or os.path.isfile(spec):
        try:
            return misc.load_pkl(spec, safe=False)
        except dnnlib.util.DownloadError as err:
            raise dnnlib.util.UserError("%s is unavailable: %s" % (description, err))
    try:
        return dnnlib.util.call_func_by_name(func_name=spec)
    except ImportError:
        raise dnnlib.util.UserError("%s: '%s' is neither a URL, an existing file, nor a function name." % (description, spec))


class Progress:
    """'<label> done/total ETA ...' on one refreshed line, for long evaluations."""

    def __init__(self, label, total):
        self.label, self.total, self.start = label, total, time.time()

    def update(self, done):
        elapsed = time.time() - self.start
        eta = dnnlib.util.format_time(elapsed / done * (self.total - done)) if done else "?"
        print("\r%s %d / %d  ETA %s  " % (self.label, done, self.total, eta), end="" if done < self.total else "\n", flush=True)


def per_gpu(num_gpus, build):
    """[build(gpu_index) for every GPU], each built under /gpu:<index> (soft placement runs them on the CPU if need be)."""
    outputs = []
    for gpu in range(num_gpus):
        with tf.device("/gpu:%d" % gpu):
            outputs.append(build(gpu))
    return outputs


def minibatch_ranges(total, minibatch_size):
    """(begin, end) of each minibatch covering [0, total)."""
    return [(begin, min(begin + minibatch_size, total)) for begin in range(0, total, minibatch_size)]


def collect(label, per_gpu_exprs, total, minibatch_size):
    """Run the per-GPU expressions once per minibatch until `total` samples are covered; one result per GPU and run."""
    results = []
    progress = Progress(label, total)
    for _begin, end in minibatch_ranges(total, minibatch_size):
        results.extend(tflib.run(per_gpu_exprs))
        progress.update(end)
    return results


class MetricGroup:
    """Several metrics run one after another on the same pickle."""

    def __init__(self, metric_kwarg_list):
        self.metrics = [dnnlib.util.call_func_by_name(**args) for args in metric_kwarg_list]

    def run(self, *args, **kwargs):
        for metric in self.metrics:
            metric.run(*args, **kwargs)

    def get_result_str(self):
        return " ".join(metric.get_result_str() for metric in self.metrics)

    def update_autosummaries(self):
        for metric in self.metrics:
            metric.update_autosummaries()


class DummyMetric(MetricBase):
    """Reports 0.0; for testing the machinery."""

    def _evaluate(self, Gs, num_gpus):
        _ = Gs, num_gpus
        self._report_result(0.0)
