"""Common machinery of the metrics: the metric registry, auxiliary networks (fetched, trusted or refused),
running on a network pickle, result strings and logs, real-statistics cache, generated-image features."""

import copy
import glob
import hashlib
import inspect
import os
import reprlib
import time
from collections import OrderedDict

import numpy as np

import config
import dnnlib
from dnnlib import arguments
from training import misc


def _tflib():
    """dnnlib.tflib, imported on first use: the registry (and --help of the scripts) needs no TensorFlow."""
    import dnnlib.tflib as tflib
    import training.networks_classifier  # noqa: F401 (registers C_classifier: the bundled feature network loads safely)
    return tflib


def _tf():
    _tflib()  # first: it switches TensorFlow to graph mode
    import tensorflow.compat.v1 as tf
    return tf

# ----------------------------------------------------------------------------
# The predefined metrics, as in the original (each is built with call_func_by_name(**dict)), plus ours.

fid50k = dnnlib.EasyDict(func_name="metrics.frechet_inception_distance.FID", name="fid50k", num_images=50000, minibatch_per_gpu=8)
ppl_zfull = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_zfull", num_samples=100000, epsilon=1e-4, space="z", sampling="full", minibatch_per_gpu=16)
ppl_wfull = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_wfull", num_samples=100000, epsilon=1e-4, space="w", sampling="full", minibatch_per_gpu=16)
ppl_zend = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_zend", num_samples=100000, epsilon=1e-4, space="z", sampling="end", minibatch_per_gpu=16)
ppl_wend = dnnlib.EasyDict(func_name="metrics.perceptual_path_length.PPL", name="ppl_wend", num_samples=100000, epsilon=1e-4, space="w", sampling="end", minibatch_per_gpu=16)
ls = dnnlib.EasyDict(func_name="metrics.linear_separability.LS", name="ls", num_samples=200000, num_keep=100000, attrib_indices=range(40), minibatch_per_gpu=4)
dummy = dnnlib.EasyDict(func_name="metrics.metric_base.DummyMetric", name="dummy")

# Ours: FID on fewer images, and KID (Binkowski et al. 2018) with stylegan2-ada's subset sizes.
fid10k = dnnlib.EasyDict(func_name="metrics.frechet_inception_distance.FID", name="fid10k", num_images=10000, minibatch_per_gpu=8)
kid50k = dnnlib.EasyDict(func_name="metrics.kernel_inception_distance.KID", name="kid50k", num_images=50000, num_subsets=100, max_subset_size=1000, minibatch_per_gpu=8)
kid10k = dnnlib.EasyDict(func_name="metrics.kernel_inception_distance.KID", name="kid10k", num_images=10000, num_subsets=100, max_subset_size=1000, minibatch_per_gpu=8)

_REGISTRY = OrderedDict((m.name, m) for m in [fid50k, fid10k, kid50k, kid10k, ppl_zfull, ppl_wfull, ppl_zend, ppl_wend, ls, dummy])


def list_metrics():
    """Names of the predefined metrics, in the order the help texts show them."""
    return list(_REGISTRY)


def get_metric(name):
    """A copy of the predefined metric's EasyDict (safe to modify)."""
    if name not in _REGISTRY:
        raise dnnlib.util.UserError("Unknown metric '%s'; choose from %s." % (name, ", ".join(_REGISTRY)))
    return dnnlib.EasyDict(copy.deepcopy(dict(_REGISTRY[name])))

# ----------------------------------------------------------------------------
# Auxiliary networks (feature extractors, LPIPS, attribute classifiers).
#
# A spec is a name from NAMED_NETWORKS, a URL, a local pickle, or 'module.function' (a stand-in
# built by code on the Python path). NVIDIA's official metric pickles embed TF1 source that must
# run to rebuild them; that is allowed only for the official URLs (fetched into the cache), for
# files the user trusts explicitly (trust_pickles, --trust-pickles), or for networks of
# architectures registered with dnnlib.tflib (which the safe loader rebuilds from our own code).

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMED_NETWORKS = {
    "fmnist": os.path.join(_REPO_ROOT, "networks", "fashion-mnist-classifier-32x32.pkl"),
}
"""Networks shipped with the repository, usable by name wherever a feature network pickle is accepted."""

NVIDIA_CDN = "https://nvlabs-fi-cdn.nvidia.com/stylegan/networks/metrics/"
_official_files = {}  # URL (Google Drive or NVIDIA's CDN) -> file name, e.g. 'inception_v3_features.pkl'


def register_official_network(drive_url, file_name):
    """Declare one of NVIDIA's metric pickles: its original Drive URL and its mirror on NVIDIA's CDN."""
    _official_files[drive_url] = file_name
    _official_files[NVIDIA_CDN + file_name] = file_name


def official_urls(url):
    """All URLs of the official file behind `url`, NVIDIA's CDN first (Drive often refuses: quota); [] if not official."""
    import metrics.frechet_inception_distance, metrics.linear_separability, metrics.perceptual_path_length  # noqa: F401,E401 (they register theirs)
    name = _official_files.get(url)
    if name is None:
        return []
    return [NVIDIA_CDN + name] + sorted(u for u, n in _official_files.items() if n == name and not u.startswith(NVIDIA_CDN))


_trusted_digests = set()  # md5 of pickles the user trusted in this process (prepare_metrics with trust_pickles)


def _cache_entry(url):
    """The file the download cache holds for url, or None (see dnnlib.util.open_url)."""
    found = dnnlib.util.cached_files(config.cache_dir, url)
    return found[0] if len(found) == 1 else None


def _short_reason(err):
    cause = err.__cause__ or err
    text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    if type(cause).__name__ == "ConnectionError":
        return "no network connection"
    return text if len(text) <= 120 else text[:117] + "..."


MAX_AUX_PICKLE_BYTES = 1 << 31  # NVIDIA's metric networks are 60-100 MB


class _AuxSpec:
    """What an auxiliary network spec points at: kind 'function', 'file' or 'url'."""

    def __init__(self, spec, description, offline_hint=None, way_out=None):
        if not isinstance(spec, str):
            raise dnnlib.util.UserError("%s: expected a name, URL, file or function name, not %r." % (description, spec))
        self.spec, self.description, self.offline_hint, self.way_out = spec, description, offline_hint, way_out
        self.official = bool(official_urls(spec))
        if spec in NAMED_NETWORKS:
            self.kind, self.location = "file", NAMED_NETWORKS[spec]
            if not os.path.isfile(self.location):
                raise dnnlib.util.UserError("%s '%s': the bundled file %s is missing from this checkout." % (description, spec, self.location))
        elif dnnlib.util.is_url(spec):
            self.kind, self.location = "url", spec
        elif os.path.isfile(spec):
            self.kind, self.location = "file", spec
        elif "://" not in spec and not os.path.splitext(spec)[1] == ".pkl" and self._is_function(spec):
            self.kind, self.location = "function", spec
        else:
            raise dnnlib.util.UserError("%s: '%s' is neither a named network (%s), a URL, an existing file, nor a function name."
                                        % (description, spec, ", ".join(NAMED_NETWORKS)))

    @staticmethod
    def _is_function(spec):
        try:
            return callable(dnnlib.util.get_obj_by_name(spec))
        except Exception:
            return False

    def _unavailable(self, reason, url):
        file_name = _official_files.get(url) or os.path.basename(url.split("?")[0]) or "the file"
        entry = os.path.join(config.cache_dir, "%s_%s" % (hashlib.md5(url.encode("utf-8")).hexdigest(), file_name))
        message = "%s %s is not available (%s). Download %s and save it as %s" % (self.description, file_name, reason, url, entry)
        if self.offline_hint:
            message += ", or use %s" % self.offline_hint
        if self.way_out:
            message += ", or %s" % self.way_out
        return dnnlib.util.UserError(message + ".")

    def cached(self):
        """True when the file is local or already in the download cache (nothing to fetch)."""
        if self.kind != "url":
            return True
        return any(_cache_entry(url) for url in (official_urls(self.location) or [self.location]))

    def read(self):
        """The pickle's bytes: from the file, the cache (any mirror), or a download (each mirror in turn)."""
        if self.kind == "file":
            if os.path.getsize(self.location) > MAX_AUX_PICKLE_BYTES:  # a sparse file can claim any size
                raise dnnlib.util.UserError("%s '%s' is %d bytes, more than a network pickle holds (%d)."
                                            % (self.description, self.spec, os.path.getsize(self.location), MAX_AUX_PICKLE_BYTES))
            with open(self.location, "rb") as f:
                return f.read()
        urls = official_urls(self.location) or [self.location]
        for url in urls:
            entry = _cache_entry(url)
            if entry is not None:
                with open(entry, "rb") as f:
                    return f.read()
        failures = []
        for url in urls:
            try:
                with dnnlib.util.open_url(url, cache_dir=config.cache_dir, num_attempts=3 if len(urls) > 1 else 10) as f:
                    return f.read()
            except dnnlib.util.DownloadError as err:
                failures.append(err)
        raise self._unavailable(_short_reason(failures[0]), urls[0])

    def trusted(self, data, trust_pickles):
        """Whether code stored in the pickle may run: official file, the user said so, or trusted earlier in this process."""
        return self.official or trust_pickles or hashlib.md5(data).hexdigest() in _trusted_digests

    def untrusted_error(self):
        return dnnlib.util.UserError(
            "%s '%s' is not a network of a known architecture: loading it runs code stored in the file. Pass --trust-pickles "
            "if you trust it (NVIDIA's metric pickles are trusted when fetched from their official URLs into %s)."
            % (self.description, self.spec, config.cache_dir))


def _load_pickle_bytes(aux, data, safe):
    """A Network from pickle bytes; one-line UserErrors for unsafe, broken or non-network files."""
    tflib = _tflib()
    try:
        net = tflib.loader.loads_network_pkl(data, safe=safe, label="'%s'" % aux.spec)
    except tflib.loader.NetworkPickleError as err:
        if isinstance(err.__cause__, tflib.network.UnsafePickleError):
            raise aux.untrusted_error() from err
        raise dnnlib.util.UserError("%s: %s" % (aux.description, err)) from err
    if not isinstance(net, tflib.Network):
        raise dnnlib.util.UserError("%s '%s' holds a %s, not a network." % (aux.description, aux.spec, type(net).__name__))
    return net


def prepare_aux_network(spec, description, trust_pickles=False, offline_hint=None, way_out=None, num_inputs=None):
    """Make sure an auxiliary network can be loaded later, without building anything in the caller's graph.

    Downloads official files into the cache (a cached one costs a glob), checks
    that other pickles load with the safe loader or are trusted, and that
    functions and such pickles give a network of num_inputs inputs (when given);
    raises dnnlib.util.UserError with one line saying what to do otherwise.
    """
    aux = _AuxSpec(spec, description, offline_hint, way_out)
    if aux.official and aux.cached():
        return
    if aux.kind == "function":
        with _tf().Graph().as_default(), _tflib().create_session().as_default():
            load_aux_network(spec, description, num_inputs=num_inputs)
        return
    data = aux.read()
    if aux.trusted(data, trust_pickles):
        _trusted_digests.add(hashlib.md5(data).hexdigest())
        return
    with _tf().Graph().as_default(), _tflib().create_session().as_default():
        _with_inputs(_load_pickle_bytes(aux, data, safe=True), aux, num_inputs)


def _with_inputs(net, aux, num_inputs):
    """net, once it takes the num_inputs inputs its use gives it (LPIPS two image batches, a feature network one)."""
    if num_inputs is not None and net.num_inputs != num_inputs:
        raise dnnlib.util.UserError("%s '%s' takes %d input%s; it is used here with %d." % (aux.description, aux.spec, net.num_inputs,
                                                                                          "" if net.num_inputs == 1 else "s", num_inputs))
    return net


def load_aux_network(spec, description, trust_pickles=False, num_inputs=None):
    """An auxiliary network in the current graph, from a name, URL, pickle or 'module.function'; with num_inputs
    inputs when given."""
    aux = _AuxSpec(spec, description)
    if aux.kind == "function":
        build = dnnlib.util.get_obj_by_name(spec)
        problem = dnnlib.util.arguments_error(build)
        if problem:
            raise dnnlib.util.UserError("%s: '%s' cannot build a network without arguments (%s)." % (description, spec, problem))
        net = build()
        if not isinstance(net, _tflib().Network):
            raise dnnlib.util.UserError("%s: '%s' returned a %s, not a network." % (description, spec, type(net).__name__))
        return _with_inputs(net, aux, num_inputs)
    data = aux.read()
    return _with_inputs(_load_pickle_bytes(aux, data, safe=not aux.trusted(data, trust_pickles)), aux, num_inputs)


def aux_network_digest(spec):
    """md5 of a local or named pickle's contents (for cache names), None for URLs and functions."""
    path = NAMED_NETWORKS.get(spec, spec)
    if not isinstance(path, str) or dnnlib.util.is_url(path) or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def _takes_any_keyword(func):
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(func).parameters.values())


def _constructors(metric_factory):
    """What a metric dict's keyword arguments reach: a factory function, or a class's __init__ methods, its own
    first, then each base class's while the one before passes on **kwargs."""
    if not inspect.isclass(metric_factory):
        yield metric_factory
        return
    for cls in inspect.getmro(metric_factory)[:-1]:  # not object's
        init = vars(cls).get("__init__")
        if init is not None:
            yield init
            if not _takes_any_keyword(init):
                return


def accepted_args(metric):
    """Keyword arguments the class of a metric dict takes (its own and its base classes')."""
    names = set()
    for init in _constructors(dnnlib.util.get_obj_by_name(metric["func_name"])):
        names.update(name for name, p in inspect.signature(init).parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    return names - {"self"}


_COUNTS = {"num_images": (2, arguments.MOST_SAMPLES), "num_samples": (2, arguments.MOST_SAMPLES), "num_keep": (1, arguments.MOST_SAMPLES),
           "minibatch_per_gpu": (1, 4096), "num_subsets": (1, arguments.MOST_SUBSETS), "max_subset_size": (2, arguments.MOST_SAMPLES)}
"""Metric arguments that are counts, with their least and largest sensible values (statistics need two samples)."""
_EPSILON_RANGE = (1e-8, 1.0)  # PPL's step (1e-4): below 1e-8 the float32 lerp does not move, and 1/epsilon**2 overflows


def _settings_problem(kwargs):
    """Why a metric's counts (and PPL's epsilon) make no sense ('' when they do): checked before any run dir exists,
    so that --metric-arg num_images=-5 is one line, not a traceback in the run."""
    for name, (least, most) in _COUNTS.items():
        value = kwargs.get(name, least)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not least <= value <= most:
            return "%s must be a whole number from %d to %d, not %s" % (name, least, most, reprlib.repr(value))
    if kwargs.get("num_keep", 1) > kwargs.get("num_samples", np.inf):
        return "num_keep (%d) must not exceed num_samples (%d)" % (kwargs["num_keep"], kwargs["num_samples"])
    epsilon = kwargs.get("epsilon", _EPSILON_RANGE[1])
    if not isinstance(epsilon, (int, float, np.number)) or isinstance(epsilon, bool) or not _EPSILON_RANGE[0] <= epsilon <= _EPSILON_RANGE[1]:
        return "epsilon must be a number from %g to %g, not %s" % (_EPSILON_RANGE + (reprlib.repr(epsilon),))
    return ""


def create_metric(metric_kwargs):
    """The metric object of one metric dict. Wrong arguments become one-line UserErrors, checked before the call so
    that a TypeError of the metric's own stays a bug with its traceback."""
    kwargs = dict(metric_kwargs)
    factory = dnnlib.util.get_obj_by_name(kwargs.pop("func_name"))
    problem = dnnlib.util.arguments_error(factory, **kwargs) or _settings_problem(kwargs)
    unknown = sorted(set(kwargs) - accepted_args(metric_kwargs))
    if unknown and not problem and not _takes_any_keyword(list(_constructors(factory))[-1]):  # a base class refuses them
        problem = "unexpected keyword argument %s" % ", ".join(repr(name) for name in unknown)
    if problem:
        raise dnnlib.util.UserError("Metric '%s': %s." % (kwargs.get("name", factory.__name__), problem))
    return factory(**kwargs)


def prepare_metrics(metric_kwarg_list, trust_pickles=False, way_out="--metrics none"):
    """Resolve every auxiliary network of the metrics now (cache, local path or download), before long work starts.

    Raises dnnlib.util.UserError with one line naming the missing file, where to
    put it and `way_out` (train.py: '--metrics none'). trust_pickles allows pickles
    that run code, for the rest of this process too. Cheap when all is cached.
    """
    for metric_kwargs in metric_kwarg_list:
        metric = create_metric(metric_kwargs)
        for spec, description, offline_hint, *num_inputs in metric.aux_networks():  # (a 3-tuple: inputs unchecked)
            num_inputs = num_inputs[0] if num_inputs else None
            prepare_aux_network(spec, description, trust_pickles=trust_pickles or metric.trust_pickles, num_inputs=num_inputs,
                                offline_hint=offline_hint, way_out=way_out)

# ----------------------------------------------------------------------------


def _is_networks_tuple(obj):
    return isinstance(obj, tuple) and len(obj) == 3 and all(isinstance(net, _tflib().Network) for net in obj)


def load_networks_pkl(network_pkl):
    """(G, D, Gs) from a network pickle, loaded safely; a pickle of anything else is a UserError."""
    networks = misc.load_pkl(network_pkl)
    if not _is_networks_tuple(networks):
        raise dnnlib.util.UserError("'%s' does not hold a (G, D, Gs) tuple of networks." % network_pkl)
    return networks


class LabelFeeder:
    """Labels for a class-conditional generator, drawn from the real dataset's label rows (its label distribution)."""

    def __init__(self, label_rows):
        self.label_rows = label_rows  # None for unconditional generators
        self.placeholders = []

    def placeholder(self, count):
        """A [count, label_size] input for G (None, i.e. zeros [N, 0], for unconditional generators)."""
        if self.label_rows is None:
            return None
        tf = _tf()
        labels = tf.placeholder(tf.float32, [count, self.label_rows.shape[1]], name="labels_in")
        self.placeholders.append(labels)
        return labels

    def feed(self):
        return {p: self.label_rows[np.random.randint(len(self.label_rows), size=p.shape.as_list()[0])] for p in self.placeholders}


def _match_channels_np(images, channels):
    """Grayscale images repeated to RGB when the feature network takes RGB (e.g. Inception on Fashion-MNIST)."""
    if channels == 3 and images.shape[1] == 1:
        return np.repeat(images, 3, axis=1)
    return images


def _match_channels_tf(images, channels):
    if channels == 3 and images.shape.as_list()[1] == 1:
        return _tf().tile(images, [1, 3, 1, 1])
    return images


def snapshot_dataset(network_pkl):
    """(dataset_args, mirror_augment) to evaluate one of our snapshots with: as it was trained, from its json (checked
    settings), unshuffled; None where there is no such json (official pickles, older runs)."""
    options = misc.load_snapshot_options(network_pkl) if os.path.isfile(str(network_pkl)) else None
    if options is None or options.get("dataset_args") is None:
        return None
    return dnnlib.EasyDict(options["dataset_args"], shuffle_mb=0), bool(options.get("mirror_augment", False))


class MetricBase:
    """A metric evaluated on the Gs of a network pickle; subclasses implement _evaluate(Gs, num_gpus)."""

    def __init__(self, name, trust_pickles=False):
        self.name = name
        self.trust_pickles = trust_pickles  # auxiliary pickles that run code are accepted (--trust-pickles)
        self._network_pkl = None
        self._dataset_args = None
        self._mirror_augment = None
        self._results = []
        self._eval_time = None

    def aux_networks(self):
        """[(spec, description, offline hint or None, number of inputs)] of the auxiliary networks this metric loads."""
        return []

    def uses_dataset(self):
        """Whether the metric reads real images (then the dataset must exist)."""
        return False

    def run(self, network_pkl, run_dir=None, dataset_args=None,
            mirror_augment=None, num_gpus=1, tf_config=None, log_results=True):
        """Evaluate on the Gs of network_pkl in a fresh graph; dataset settings default to the snapshot's, else run_dir's config.txt."""
        self._network_pkl, self._results, self._eval_time = network_pkl, [], None
        self._dataset_args, self._mirror_augment = dataset_args, mirror_augment
        if None in (dataset_args, mirror_augment):
            self._use_training_options(run_dir)

        started = time.time()
        graph = _tf().Graph()
        with graph.as_default(), _tflib().create_session(tf_config).as_default():
            networks = load_networks_pkl(self._network_pkl)
            self._evaluate(networks[2], num_gpus=num_gpus)  # (G, D, Gs): the metrics look at Gs
        self._eval_time = time.time() - started

        if log_results:
            result_str = self.get_result_str()
            if run_dir is not None:
                with dnnlib.util.Logger(os.path.join(run_dir, "metric-%s.txt" % self.name), "a"):
                    print(result_str)
            else:
                print(result_str)

    def _use_training_options(self, run_dir):
        """Dataset and mirroring as the network was trained: the snapshot's json, else (older runs) run_dir's config.txt."""
        trained = snapshot_dataset(self._network_pkl)
        if trained is not None:
            self._dataset_args, self._mirror_augment = trained
        elif run_dir is not None:
            previous = misc.parse_config_for_previous_run(run_dir)
            self._dataset_args = dict(previous["dataset"], shuffle_mb=0)
            self._mirror_augment = previous["train"].get("mirror_augment", False)

    def get_result_str(self):
        network_name, _ext = os.path.splitext(os.path.basename(self._network_pkl))
        if len(network_name) > 29:
            network_name = "..." + network_name[-26:]
        result_str = "%-30s" % network_name
        result_str += " time %-12s" % (dnnlib.util.format_time(self._eval_time) if self._eval_time is not None else "-")
        for res in self._results:
            result_str += " " + self.name + res.suffix + " "
            result_str += res.fmt % res.value
        return result_str

    def update_autosummaries(self):
        for res in self._results:
            _tflib().autosummary.autosummary("Metrics/" + self.name + res.suffix, res.value)

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

    def _require_dataset_args(self, why):
        if not self._dataset_args or "tfrecord_dir" not in self._dataset_args:
            raise dnnlib.util.UserError("Metric %s needs a dataset (%s); pass dataset_args (run_metrics.py: --dataset)." % (self.name, why))

    def _iterate_reals(self, batch_size):
        """Real uint8 NCHW minibatches forever (the dataset repeats), mirrored at random if the run was."""
        self._require_dataset_args("real images")
        from training import dataset
        reals = dataset.load_dataset(data_dir=config.data_dir, **self._dataset_args)
        while True:
            batch = reals.get_minibatch_np(batch_size)[0]
            yield misc.apply_mirror_augment(batch) if self._mirror_augment else batch

    def _label_feeder(self, Gs):
        """Labels for Gs: none for an unconditional generator, else rows of the dataset's label file, drawn at random."""
        label_size = Gs.input_shapes[1][1] if len(Gs.input_shapes) > 1 else 0
        if not label_size:
            return LabelFeeder(None)
        self._require_dataset_args("a class-conditional generator gets labels drawn from the dataset's")
        tfrecord_dir = os.path.join(config.data_dir, self._dataset_args["tfrecord_dir"])
        label_file = self._dataset_args.get("label_file")
        if label_file is None:
            found = sorted(glob.glob(os.path.join(tfrecord_dir, "*.labels")))
            label_file = found[0] if found else None
        elif not os.path.isfile(label_file):
            label_file = os.path.join(tfrecord_dir, label_file)
        if label_file is None or not os.path.isfile(label_file):
            raise dnnlib.util.UserError("The generator is class-conditional (%d labels) but dataset '%s' has no labels file."
                                        % (label_size, tfrecord_dir))
        from training import dataset
        rows = dataset.read_label_array(label_file)
        if rows.ndim != 2 or rows.shape[1] < label_size:
            raise dnnlib.util.UserError("'%s' holds labels of shape %s; the generator takes %d." % (label_file, list(rows.shape), label_size))
        return LabelFeeder(rows[:, :label_size].astype(np.float32))

    # Features of real and generated images (FID and KID).

    def _real_features(self, feature_net, num_images, minibatch_size, num_gpus):
        """[num_images, D] features of real images (the dataset wraps around when it holds fewer)."""
        channels = feature_net.input_shape[1]
        features = np.empty([num_images, feature_net.output_shape[1]], dtype=np.float32)
        progress = dnnlib.util.ProgressMonitor("%s reals" % self.name, num_images)
        try:
            for (begin, end), images in zip(minibatch_ranges(num_images, minibatch_size), self._iterate_reals(minibatch_size)):
                features[begin:end] = feature_net.run(_match_channels_np(images[:end - begin], channels), num_gpus=num_gpus, assume_frozen=True)
                progress.update(end)
        finally:
            progress.close()
        return features

    def _fake_features(self, Gs, feature_net, num_images, minibatch_per_gpu, num_gpus):
        """[num_images, D] features of generated images (no truncation; labels from the dataset for conditional Gs)."""
        tf, tflib = _tf(), _tflib()
        labels = self._label_feeder(Gs)
        channels = feature_net.input_shape[1]

        def features_of_fakes(_gpu):
            generator, extractor = Gs.clone(), feature_net.clone()
            z = tf.random.normal([minibatch_per_gpu] + generator.input_shape[1:])
            images = generator.get_output_for(z, labels.placeholder(minibatch_per_gpu), is_validation=True, randomize_noise=True)
            return extractor.get_output_for(_match_channels_tf(tflib.convert_images_to_uint8(images), channels))
        exprs = per_gpu(num_gpus, features_of_fakes)
        batches = collect("%s fakes" % self.name, exprs, num_images, minibatch_per_gpu * num_gpus, feed=labels.feed)
        return np.concatenate(batches, axis=0)[:num_images]


def per_gpu(num_gpus, build):
    """[build(gpu_index) for every GPU], each built under /gpu:<index> (soft placement runs them on the CPU if need be)."""
    tf = _tf()
    outputs = []
    for gpu in range(num_gpus):
        with tf.device("/gpu:%d" % gpu):
            outputs.append(build(gpu))
    return outputs


def minibatch_ranges(total, minibatch_size):
    """(begin, end) of each minibatch covering [0, total)."""
    return [(begin, min(begin + minibatch_size, total)) for begin in range(0, total, minibatch_size)]


def collect(label, per_gpu_exprs, total, minibatch_size, feed=None):
    """Run the per-GPU expressions once per minibatch until `total` samples are covered; one result per GPU and run.

    feed: a function returning the feed dict of each run (e.g. fresh labels), or None.
    """
    results = []
    progress = dnnlib.util.ProgressMonitor(label, total)
    try:
        for _begin, end in minibatch_ranges(total, minibatch_size):
            results.extend(_tflib().run(per_gpu_exprs, feed() if feed is not None else None))
            progress.update(end)
    finally:
        progress.close()
    return results


def _one_line(err):
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    if isinstance(err, dnnlib.util.UserError):
        return text
    return "%s: %s" % (type(err).__name__, text) if text else type(err).__name__


class MetricGroup:
    """Several metrics run one after another on the same pickle; one that fails is reported and skipped."""

    def __init__(self, metric_kwarg_list):
        self.metrics = [create_metric(args) for args in metric_kwarg_list]

    def run(self, *args, **kwargs):
        """metric.run(*args, **kwargs) for each metric; an exception is printed as 'Metric <name> failed: ...' (log.txt in a run)."""
        for metric in self.metrics:
            try:
                metric.run(*args, **kwargs)
            except Exception as err:
                print("Metric %s failed: %s" % (metric.name, _one_line(err)), flush=True)

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
