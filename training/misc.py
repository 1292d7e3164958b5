"""Helpers of the training loop and scripts: pickles, image grids, run-dir lookup, previous-run config."""

import ast
import glob
import json
import os
import pickle
import re
import uuid

import numpy as np
import PIL.Image

import config
import dnnlib
import dnnlib.submission.submit as submit

# ----------------------------------------------------------------------------
# Pickles.


def open_file_or_url(file_or_url):
    if dnnlib.util.is_url(file_or_url):
        return dnnlib.util.open_url(file_or_url, cache_dir=config.cache_dir)
    return open(file_or_url, "rb")


def load_pkl(file_or_url, safe=True):
    """Unpickle a network snapshot (or other pickle); safe=False is needed for pickles of unknown architectures."""
    import dnnlib.tflib as tflib
    with open_file_or_url(file_or_url) as file:
        return tflib.loader.loads_network_pkl(file.read(), safe=safe, label="'%s'" % file_or_url)


def save_pkl(obj, filename):
    """Pickle atomically: a crash while writing never leaves a truncated file under `filename`."""
    temp = "%s.tmp-%s" % (filename, uuid.uuid4().hex[:8])
    try:
        with open(temp, "wb") as file:
            pickle.dump(obj, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, filename)
    finally:
        if os.path.exists(temp):
            os.remove(temp)

# ----------------------------------------------------------------------------
# Images.


def adjust_dynamic_range(data, drange_in, drange_out):
    if drange_in != drange_out:
        scale = (np.float32(drange_out[1]) - np.float32(drange_out[0])) / (np.float32(drange_in[1]) - np.float32(drange_in[0]))
        bias = np.float32(drange_out[0]) - np.float32(drange_in[0]) * scale
        data = data * scale + bias
    return data


def create_image_grid(images, grid_size=None):
    """Tile [N, C, H, W] or [N, H, W] images row by row into one image."""
    assert images.ndim == 3 or images.ndim == 4
    num, img_w, img_h = images.shape[0], images.shape[-1], images.shape[-2]
    if grid_size is not None:
        grid_w, grid_h = tuple(grid_size)
    else:
        grid_w = max(int(np.ceil(np.sqrt(num))), 1)
        grid_h = max((num - 1) // grid_w + 1, 1)
    grid = np.zeros(list(images.shape[1:-2]) + [grid_h * img_h, grid_w * img_w], dtype=images.dtype)
    for idx in range(num):
        x = (idx % grid_w) * img_w
        y = (idx // grid_w) * img_h
        grid[..., y: y + img_h, x: x + img_w] = images[idx]
    return grid


def convert_to_pil_image(image, drange=[0, 1]):
    assert image.ndim == 2 or image.ndim == 3
    if image.ndim == 3:
        image = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
    image = adjust_dynamic_range(image, drange, [0, 255])
    image = np.rint(image).clip(0, 255).astype(np.uint8)
    return PIL.Image.fromarray(image, "RGB" if image.ndim == 3 else "L")


def save_image(image, filename, drange=[0, 1], quality=95):
    img = convert_to_pil_image(image, drange)
    if ".jpg" in filename:
        img.save(filename, "JPEG", quality=quality, optimize=True)
    else:
        img.save(filename)


def save_image_grid(images, filename, drange=[0, 1], grid_size=None):
    convert_to_pil_image(create_image_grid(images, grid_size), drange).save(filename)


def apply_mirror_augment(minibatch):
    """Flip a random half of the NumPy images horizontally."""
    mask = np.random.rand(minibatch.shape[0]) < 0.5
    minibatch = np.array(minibatch)
    minibatch[mask] = minibatch[mask, :, :, ::-1]
    return minibatch

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


def list_network_pkls(run_id_or_run_dir, include_final=True):
    run_dir = locate_run_dir(run_id_or_run_dir)
    pkls = sorted(glob.glob(os.path.join(run_dir, "network-*.pkl")))
    if len(pkls) >= 1 and os.path.basename(pkls[0]) == "network-final.pkl":
        final = pkls.pop(0)
        if include_final:
            pkls.append(final)
    return pkls


def locate_network_pkl(run_id_or_run_dir_or_network_pkl, snapshot_or_network_pkl=None):
    for candidate in [snapshot_or_network_pkl, run_id_or_run_dir_or_network_pkl]:
        if isinstance(candidate, str):
            if os.path.isfile(candidate):
                return candidate
            converted = submit.convert_path(candidate)
            if os.path.isfile(converted):
                return converted

    pkls = list_network_pkls(run_id_or_run_dir_or_network_pkl)
    if len(pkls) >= 1 and snapshot_or_network_pkl is None:
        return pkls[-1]
    for pkl in pkls:
        try:
            name = os.path.splitext(os.path.basename(pkl))[0]
            if int(name.split("-")[-1]) == int(snapshot_or_network_pkl):
                return pkl
        except (ValueError, IndexError, TypeError):
            pass
    raise IOError("Cannot locate network pkl for snapshot", snapshot_or_network_pkl)


def get_id_string_for_network_pkl(network_pkl):
    p = network_pkl.replace(".pkl", "").replace("\\", "/").split("/")
    return "-".join(p[max(len(p) - 2, 0):])


def load_network_pkl(run_id_or_run_dir_or_network_pkl, snapshot_or_network_pkl=None):
    return load_pkl(locate_network_pkl(run_id_or_run_dir_or_network_pkl, snapshot_or_network_pkl))

# ----------------------------------------------------------------------------
# Training progress stored beside each snapshot (ours: resuming needs no resume_kimg by hand).


def progress_file_for(network_pkl):
    return os.path.splitext(network_pkl)[0] + ".json"


def save_progress(network_pkl, cur_nimg, total_time):
    with open(progress_file_for(network_pkl) + ".tmp", "w") as file:
        json.dump({"cur_nimg": int(cur_nimg), "kimg": cur_nimg / 1000.0, "total_time": float(total_time)}, file)
    os.replace(progress_file_for(network_pkl) + ".tmp", progress_file_for(network_pkl))


def load_progress(network_pkl):
    """(kimg, total seconds) of a snapshot: from its progress file, else from its name (network-snapshot-000140.pkl)."""
    path = progress_file_for(network_pkl)
    if os.path.isfile(path):
        with open(path) as file:
            state = json.load(file)
        return state["cur_nimg"] / 1000.0, state["total_time"]
    match = re.search(r"-(\d+)\.pkl$", os.path.basename(network_pkl))
    return (float(match.group(1)) if match else 0.0), 0.0

# ----------------------------------------------------------------------------
# The configuration of a previous run.


def parse_config_for_previous_run(run_id):
    """The `dataset` and `train` settings of a run, read back from its config.txt (without executing it)."""
    run_dir = locate_run_dir(run_id)
    cfg = {"dataset": {}, "train": {}}
    with open(os.path.join(run_dir, "config.txt"), "rt") as file:
        for line in file:
            line = re.sub(r"^{?\s*'(\w+)':\s*{(.*)(},|}})$", r"\1 = {\2}", line.strip())
            for key in ("dataset", "train"):
                if line.startswith(key + " ="):
                    cfg[key] = ast.literal_eval(line[len(key) + 2:].strip())

    # Settings written by older releases.
    dataset = cfg["dataset"]
    if "file_pattern" in dataset:
        dataset["tfrecord_dir"] = dataset.pop("file_pattern").replace("-r??.tfrecords", "")
    if "mirror_augment" in dataset:
        cfg["train"]["mirror_augment"] = dataset.pop("mirror_augment")
    if "max_labels" in dataset:
        max_labels = dataset.pop("max_labels")
        dataset["max_label_size"] = {None: 0, "all": "full"}.get(max_labels, max_labels)
    dataset.pop("max_images", None)
    return cfg


def load_dataset_for_previous_run(run_id, **kwargs):
    from training import dataset
    cfg = parse_config_for_previous_run(run_id)
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
    reals = np.zeros([gw * gh] + training_set.shape, dtype=training_set.dtype)
    labels = np.zeros([gw * gh, training_set.label_size], dtype=training_set.label_dtype)
    latents = np.random.randn(gw * gh, *G.input_shape[1:])

    if layout == "random":
        reals[:], labels[:] = training_set.get_minibatch_np(gw * gh)

    class_blocks = dict(row_per_class=[gw, 1], col_per_class=[1, gh], class4x4=[4, 4])
    if layout in class_blocks:
        bw, bh = class_blocks[layout]
        nw = (gw - 1) // bw + 1
        nh = (gh - 1) // bh + 1
        blocks = [[] for _ in range(nw * nh)]
        for _ in range(1000000):
            real, label = training_set.get_minibatch_np(1)
            idx = np.argmax(label[0])
            while idx < len(blocks) and len(blocks[idx]) >= bw * bh:
                idx += training_set.label_size
            if idx < len(blocks):
                blocks[idx].append((real, label))
                if all(len(block) >= bw * bh for block in blocks):
                    break
        for i, block in enumerate(blocks):
            for j, (real, label) in enumerate(block):
                x = (i % nw) * bw + j % bw
                y = (i // nw) * bh + j // bw
                if x < gw and y < gh:
                    reals[x + y * gw] = real[0]
                    labels[x + y * gw] = label[0]

    return (gw, gh), reals, labels, latents
