"""Helpers of the training loop and scripts: pickles, image grids, run-dir lookup, previous-run config."""

import ast
import glob
import json
import math
import os
import pickle
import re
import reprlib

import numpy as np
import PIL.Image

import config
import dnnlib
import dnnlib.submission.submit as submit

# ----------------------------------------------------------------------------
# Pickles.


def open_file_or_url(file_or_url):
    if dnnlib.util.is_url(file_or_url):
        return dnnlib.util.open_url(file_or_url, config.cache_dir)
    return open(file_or_url, "rb")


def load_pkl(file_or_url, safe=True):
    """Unpickle a network snapshot (or other pickle); safe=False is needed for pickles of unknown architectures."""
    import dnnlib.tflib as tflib
    with open_file_or_url(file_or_url) as stream:
        data = stream.read()
    return tflib.loader.loads_network_pkl(data, safe=safe, label="'%s'" % file_or_url)


def save_pkl(obj, filename):
    """Pickle atomically: a crash while writing never leaves a truncated file under `filename`."""
    dnnlib.util.remove_stale_temp_files(os.path.dirname(filename) or ".")
    with dnnlib.util.atomic_output(filename) as temp:
        with open(temp, "wb") as file:
            pickle.dump(obj, file, pickle.HIGHEST_PROTOCOL)

# ----------------------------------------------------------------------------
# Images.


def adjust_dynamic_range(data, drange_in,
                         drange_out):
    """Map values linearly from drange_in to drange_out (float32 coefficients, as the original)."""
    if drange_in == drange_out:
        return data
    lo_in, hi_in = np.float32(drange_in[0]), np.float32(drange_in[1])
    lo_out, hi_out = np.float32(drange_out[0]), np.float32(drange_out[1])
    scale = (hi_out - lo_out) / (hi_in - lo_in)
    return data * scale + (lo_out - lo_in * scale)


def create_image_grid(images, grid_size=None) -> np.ndarray:
    """Tile [N, C, H, W] or [N, H, W] images row by row into one image (a square-ish grid by default)."""
    assert images.ndim in (3, 4)
    count = len(images)
    height, width = images.shape[-2:]
    if grid_size is None:
        columns = max(int(np.ceil(np.sqrt(count))), 1)
        rows = max(-(-count // columns), 1)
    else:
        columns, rows = grid_size
    canvas = np.zeros(images.shape[1:-2] + (rows * height, columns * width), dtype=images.dtype)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        canvas[..., row * height:(row + 1) * height, column * width:(column + 1) * width] = image
    return canvas


def convert_to_pil_image(image, drange=[0, 1]):
    assert image.ndim in (2, 3)
    if image.ndim == 3:
        image = image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0))
    image = np.clip(np.rint(adjust_dynamic_range(image, drange, [0, 255])), 0, 255).astype(np.uint8)
    return PIL.Image.fromarray(image, "RGB" if image.ndim == 3 else "L")


def save_image(image, filename, drange=[0, 1], quality=95):
    pil = convert_to_pil_image(image, drange)
    if ".jpg" in filename:
        pil.save(filename, "JPEG", quality=quality, optimize=True)
    else:
        pil.save(filename)


def save_image_grid(images, filename, drange=[0, 1], grid_size=None):
    grid = create_image_grid(images, grid_size)
    with dnnlib.util.atomic_output(filename) as temp:
        image_format = PIL.Image.registered_extensions().get(os.path.splitext(filename)[1].lower(), "PNG")
        convert_to_pil_image(grid, drange).save(temp, format=image_format)


def apply_mirror_augment(minibatch):
    """Flip a random half of the NumPy images horizontally."""
    flip = np.random.rand(len(minibatch)) < 0.5
    result = np.array(minibatch)
    result[flip] = result[flip][..., ::-1]
    return result

# ----------------------------------------------------------------------------
# Finding runs and snapshots.


def locate_run_dir(run_id_or_run_dir):
    """A run dir from a path, or from a run id looked up in config.result_dir (100 -> results/00100-...)."""
    if isinstance(run_id_or_run_dir, str):
        if os.path.isdir(run_id_or_run_dir):
            return run_id_or_run_dir
        converted = submit.convert_path(run_id_or_run_dir)
        if os.path.isdir(converted):
            return converted

    run_dir = os.path.join(config.result_dir, str(run_id_or_run_dir))
    if os.path.isdir(run_dir):
        return run_dir
    pattern = re.compile("^0*%s-" % re.escape(str(run_id_or_run_dir)))
    matches = [d for d in sorted(glob.glob(os.path.join(config.result_dir, "*"))) if pattern.match(os.path.basename(d)) and os.path.isdir(d)]
    if len(matches) == 1:
        return matches[0]
    raise IOError("Cannot locate result subdir for run", run_id_or_run_dir)


def list_network_pkls(run_id_or_run_dir,
                      include_final=True):
    """The run's network-*.pkl files in name order, network-final.pkl last (or left out). Only regular files: a
    directory or a FIFO of that name (whose read would wait forever) is not a snapshot."""
    found = sorted(path for path in glob.glob(os.path.join(glob.escape(locate_run_dir(run_id_or_run_dir)), "network-*.pkl")) if os.path.isfile(path))
    finals = [p for p in found if os.path.basename(p) == "network-final.pkl"]
    snapshots = [p for p in found if p not in finals]
    return snapshots + (finals if include_final else [])


def locate_network_pkl(run_id_or_run_dir_or_network_pkl,
                       snapshot_or_network_pkl=None):
    """A pkl path given directly, else the run's snapshot with that kimg number, else its latest pkl."""
    run, snapshot = run_id_or_run_dir_or_network_pkl, snapshot_or_network_pkl
    for candidate in (snapshot, run):
        if isinstance(candidate, str):
            for path in (candidate, submit.convert_path(candidate)):
                if os.path.isfile(path):
                    return path

    pkls = list_network_pkls(run)
    if snapshot is None and pkls:
        return pkls[-1]
    for pkl in pkls:
        suffix = os.path.splitext(os.path.basename(pkl))[0].rsplit("-", 1)[-1]
        if suffix.isdigit() and snapshot is not None and str(snapshot).isdigit() and int(suffix) == int(snapshot):
            return pkl
    raise IOError("Cannot locate network pkl for snapshot", snapshot)


def get_id_string_for_network_pkl(network_pkl) -> str:  # 'results/00001-x/network-snapshot-000140.pkl' -> '00001-x-network-snapshot-000140'
    p = network_pkl.replace(".pkl", "").replace("\\", "/").split("/")
    return "-".join(p[max(len(p) - 2, 0):])


def load_network_pkl(run_id_or_run_dir_or_network_pkl,
                     snapshot_or_network_pkl=None):
    path = locate_network_pkl(run_id_or_run_dir_or_network_pkl, snapshot_or_network_pkl)
    return load_pkl(path)

# ----------------------------------------------------------------------------
# Training progress stored beside each snapshot (ours: resuming needs no resume_kimg by hand).


def progress_file_for(network_pkl):
    return os.path.splitext(network_pkl)[0] + ".json"


def save_progress(network_pkl, cur_nimg, total_time, **run_options):
    """The snapshot's json: training progress (for resuming) and the run options metrics need (dataset_args, mirror_augment)."""
    state = {"cur_nimg": int(cur_nimg), "kimg": cur_nimg / 1000.0, "total_time": float(total_time)}
    state.update(run_options)
    with dnnlib.util.atomic_output(progress_file_for(network_pkl)) as temp:
        with open(temp, "w") as file:
            json.dump(state, file, default=json_fallback)


def json_fallback(value):
    """JSON for the few non-JSON settings (ranges, tuples inside EasyDicts, NumPy scalars)."""
    if isinstance(value, (range, tuple, set)):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


def _is_count(value):
    return type(value) is int and 0 <= value < 2 ** 53  # JSON's true is no count, nor are 400 digits


def _is_duration(value):
    return type(value) in (int, float) and math.isfinite(value) and value >= 0


def _read_progress_file(network_pkl):
    """The snapshot's json as a dict, or None when absent; a broken one is an error naming the file."""
    path = progress_file_for(network_pkl)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as file:
            state = json.load(file)
        if isinstance(state, dict) and "cur_nimg" not in state:
            return None  # some other json that happens to share the pickle's name
        if not isinstance(state, dict) or not _is_count(state.get("cur_nimg")) or not _is_duration(state.get("total_time")):
            raise ValueError("cur_nimg and total_time are not image counts and seconds")
    except (OSError, ValueError, RecursionError) as err:
        raise dnnlib.util.UserError("Cannot read '%s' (%s). Delete it to resume from the kimg in the snapshot's name." % (path, dnnlib.util.one_line(err)))
    return state


def is_time_snapshot(network_pkl):
    """Whether a snapshot was written because time passed (not on the tick schedule); those are pruned."""
    try:
        state = _read_progress_file(network_pkl)
    except dnnlib.util.UserError:
        return False
    return bool(state and state.get("time_snapshot"))


def load_snapshot_options(network_pkl):
    """dict(dataset_args=..., mirror_augment=...) the run trained with, from the snapshot's json; None for older runs."""
    state = _read_progress_file(network_pkl)
    if state is None or "dataset_args" not in state:
        return None
    dataset_args = checked_dataset_args(state["dataset_args"], progress_file_for(network_pkl))
    return dict(dataset_args=dataset_args, mirror_augment=bool(state.get("mirror_augment", False)))


_DATASET_CLASS = "training.dataset.TFRecordDataset"


def _is_int_in(least, most):
    return lambda value: type(value) is int and least <= value <= most


_DATASET_SETTINGS = {  # what a run's files may set for its dataset, and to what (metrics read past its end: repeat)
    "tfrecord_dir": lambda value: type(value) is str, "repeat": lambda value: value is True,
    "resolution": lambda value: value is None or _is_int_in(4, 2 ** 16)(value) and value & (value - 1) == 0,
    "label_file": lambda value: value is None or type(value) is str,
    "max_label_size": lambda value: value == "full" or _is_int_in(0, 2 ** 31 - 1)(value),
    "shuffle_mb": _is_int_in(0, 2 ** 20), "prefetch_mb": _is_int_in(0, 2 ** 20), "buffer_mb": _is_int_in(0, 2 ** 20),
    "num_threads": _is_int_in(1, 256)}


def checked_dataset_args(dataset_args, source):
    """dataset_args read back from a run's files (a snapshot's json, a run dir's config.txt), which may have come with
    a downloaded network: TFRecordDataset's settings as plain values, so that no such file can name a class or
    function to call (class_name) or hand it arguments. UserError naming source otherwise."""
    def refuse(why):
        raise dnnlib.util.UserError("Cannot use the dataset settings in '%s': %s." % (source, why))
    if not isinstance(dataset_args, dict) or "tfrecord_dir" not in dataset_args:
        refuse("not a dict of dataset settings with a tfrecord_dir")
    for key, value in dataset_args.items():
        if key == "class_name":
            if value != _DATASET_CLASS:
                refuse("class_name %s; only %s is read back from a run's files" % (dnnlib.util.one_line(reprlib.repr(value)), _DATASET_CLASS))
        elif key not in _DATASET_SETTINGS:
            refuse("%s is no setting of TFRecordDataset" % dnnlib.util.one_line(reprlib.repr(key)))
        elif not _DATASET_SETTINGS[key](value):
            refuse("%s = %s is not a value it takes" % (key, dnnlib.util.one_line(reprlib.repr(value))))
    return dataset_args


def load_progress(network_pkl):
    """(kimg, total seconds) of a snapshot: from its progress file, else from its name (network-snapshot-000140.pkl)."""
    state = _read_progress_file(network_pkl)
    if state is not None:
        return state["cur_nimg"] / 1000.0, float(state["total_time"])
    match = re.search(r"-(\d+)\.pkl$", os.path.basename(network_pkl))
    return (float(match.group(1)) if match else 0.0), 0.0

# ----------------------------------------------------------------------------
# The configuration of a previous run.


_CONFIG_LINE = re.compile(r"^{?\s*'(\w+)':\s*{(.*)(},|}})$")  # "'dataset': {...}," -> "dataset = {...}"


def parse_config_for_previous_run(run_id) -> dict:
    """The `dataset` and `train` settings of a run, read back from its config.txt (without executing it)."""
    run_dir = locate_run_dir(run_id)
    path = os.path.join(run_dir, "config.txt")
    cfg = {"dataset": {}, "train": {}}
    with open(path, "rt", encoding="utf-8") as file:
        try:
            lines = file.readlines()
        except UnicodeDecodeError:
            raise dnnlib.util.UserError("Cannot read '%s' (not UTF-8 text)." % path) from None
    for line in lines:
        line = _CONFIG_LINE.sub(r"\1 = {\2}", line.strip())
        for key in ("dataset", "train"):
            if line.startswith(key + " ="):
                try:
                    cfg[key] = ast.literal_eval(line[len(key) + 2:].strip())
                except (ValueError, SyntaxError, MemoryError, RecursionError) as err:
                    raise dnnlib.util.UserError("Cannot read the %s settings in '%s' (%s)." % (key, path, type(err).__name__)) from None
                if not isinstance(cfg[key], dict):
                    raise dnnlib.util.UserError("Cannot read the %s settings in '%s' (not a dict)." % (key, path))

    # Settings written by older releases, renamed; checked_dataset_args then checks their values.
    dataset = cfg["dataset"]
    if "file_pattern" in dataset:
        pattern = dataset.pop("file_pattern")
        dataset["tfrecord_dir"] = pattern.replace("-r??.tfrecords", "") if isinstance(pattern, str) else pattern
    if "mirror_augment" in dataset:
        cfg["train"]["mirror_augment"] = dataset.pop("mirror_augment")
    if "max_labels" in dataset:
        max_labels = dataset.pop("max_labels")
        dataset["max_label_size"] = 0 if max_labels is None else "full" if max_labels == "all" else max_labels
    dataset.pop("max_images", None)
    if dataset:
        checked_dataset_args(dataset, path)
    return cfg


def load_dataset_for_previous_run(run_id, **kwargs) -> tuple:
    from training import dataset
    cfg = parse_config_for_previous_run(run_id=run_id)
    cfg["dataset"].update(kwargs)
    dset = dataset.load_dataset(data_dir=config.data_dir, **cfg["dataset"])
    return dset, cfg["train"].get("mirror_augment", False)

# ----------------------------------------------------------------------------
# The snapshot image grid.


def _grid_shape(size, img_w, img_h):
    if size == "1080p":
        return np.clip(1920 // img_w, 3, 32), np.clip(1080 // img_h, 2, 32)
    if size == "4k":
        return np.clip(3840 // img_w, 7, 32), np.clip(2160 // img_h, 4, 32)
    return 1, 1


def setup_snapshot_image_grid(G, training_set, size="1080p", layout="random"):
    """((gw, gh), reals, labels, latents) for the reals.png / fakes*.png grids."""
    gw, gh = [int(v) for v in _grid_shape(size, G.output_shape[3], G.output_shape[2])]
    cells = gw * gh
    latents = np.random.randn(cells, *G.input_shape[1:])  # drawn first, from the global RNG (seeded by tf_config)
    reals = np.zeros([cells] + list(training_set.shape), dtype=training_set.dtype)
    labels = np.zeros([cells, training_set.label_size], dtype=training_set.label_dtype)
    if layout == "random":
        reals[:], labels[:] = training_set.get_minibatch_np(cells)

    class_blocks = dict(row_per_class=[gw, 1], col_per_class=[1, gh], class4x4=[4, 4])
    if layout in class_blocks:
        bw, bh = class_blocks[layout]
        nw = (gw - 1) // bw + 1
        nh = (gh - 1) // bh + 1
        blocks = [[] for _ in range(nw * nh)]
        per_block = bw * bh
        for _ in range(1000000):
            image, label = training_set.get_minibatch_np(1)
            slot = int(np.argmax(label[0]))
            while slot < len(blocks) and len(blocks[slot]) >= per_block:  # class full: its next block
                slot += training_set.label_size
            if slot < len(blocks):
                blocks[slot].append((image, label))
                if min(len(block) for block in blocks) >= per_block:
                    break
        for i, block in enumerate(blocks):
            for j, (image, label) in enumerate(block):
                x = (i % nw) * bw + j % bw
                y = (i // nw) * bh + j // bw
                if x < gw and y < gh:
                    reals[x + y * gw], labels[x + y * gw] = image[0], label[0]

    return (gw, gh), reals, labels, latents
