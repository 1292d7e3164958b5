"""dataset_tool.py: every command on inputs made in their real formats; levels, order and labels checked exactly."""

import glob
import gzip
import io
import os
import pickle

import numpy as np
import PIL.Image
import pytest
import tensorflow.compat.v1 as tf

import dataset_tool
from conftest import run_python
from training.dataset import parse_tfrecord_np


def run_tool(*args):
    """Run a command in-process; returns the exit status (0 on success)."""
    try:
        dataset_tool.execute_cmdline(["dataset_tool.py"] + [str(a) for a in args])
    except SystemExit as exit_:
        return exit_.code
    return 0


def read_level(tfrecord_dir, res):
    name = os.path.basename(os.path.normpath(tfrecord_dir))
    path = os.path.join(tfrecord_dir, "%s-r%02d.tfrecords" % (name, res))
    options = tf.io.TFRecordOptions(compression_type="GZIP" if open(path, "rb").read(2) == b"\x1f\x8b" else "")
    return np.stack([parse_tfrecord_np(r) for r in tf.io.tf_record_iterator(path, options)])


def expected_levels(images):
    """The pyramid the format specifies: float 2x2 averages of the previous float level, stored with round-half-even."""
    levels, level = [], images.astype(np.float64)
    while level.shape[-1] >= 4:
        levels.append(np.rint(level).clip(0, 255).astype(np.uint8))
        level = (level[..., 0::2, 0::2] + level[..., 0::2, 1::2] + level[..., 1::2, 0::2] + level[..., 1::2, 1::2]) * 0.25
    return levels


def assert_dataset(tfrecord_dir, images_in_order, labels_in_order=None):
    res_log2 = int(np.log2(images_in_order.shape[-1]))
    for level, expected in zip(range(res_log2, 1, -1), expected_levels(images_in_order)):
        np.testing.assert_array_equal(read_level(tfrecord_dir, level), expected)
    assert not os.path.exists(os.path.join(tfrecord_dir, "%s-r01.tfrecords" % os.path.basename(tfrecord_dir)))
    label_files = glob.glob(os.path.join(tfrecord_dir, "*-rxx.labels"))
    if labels_in_order is None:
        assert label_files == []
    else:
        labels = np.load(label_files[0])
        assert labels.dtype == np.float32
        np.testing.assert_array_equal(labels, labels_in_order)


def shuffled(n):
    return np.random.RandomState(123).permutation(n)  # the same as shuffling arange(n) in place


def one_hot(labels, n):
    return np.eye(n, dtype=np.float32)[labels]


def test_half_even_rounding_of_levels(tmp_path):
    img = np.array([[[1, 2, 3, 4, 0, 1, 5, 5], [3, 4, 3, 4, 2, 2, 5, 6]] * 4], np.uint8)  # [1, 8, 8]
    with dataset_tool.TFRecordExporter(str(tmp_path / "ds"), 1, print_progress=False) as tfr:
        tfr.add_image(img)
    level4 = read_level(str(tmp_path / "ds"), 2)[0, 0, 0]
    assert list(level4) == [2, 4, 1, 5]  # 2.5 -> 2, 3.5 -> 4, 1.25 -> 1, 5.25 -> 5


def write_mnist(mnist_dir, n=40):
    rnd = np.random.RandomState(0)
    images = rnd.randint(0, 256, size=[n, 28, 28]).astype(np.uint8)
    labels = rnd.randint(0, 10, size=[n]).astype(np.uint8)
    os.makedirs(mnist_dir)
    with gzip.open(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz"), "wb") as f:
        f.write(b"\x00\x00\x08\x03" + np.array([n, 28, 28], ">i4").tobytes() + images.tobytes())
    with gzip.open(os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(b"\x00\x00\x08\x01" + np.array([n], ">i4").tobytes() + labels.tobytes())
    return images, labels


def test_create_mnist_and_mnistrgb(tmp_path):
    images, labels = write_mnist(str(tmp_path / "mnist"))
    assert run_tool("create_mnist", tmp_path / "ds" / "mnist", tmp_path / "mnist") == 0
    padded = np.pad(images, [(0, 0), (2, 2), (2, 2)])[:, np.newaxis]
    order = shuffled(len(images))
    assert_dataset(str(tmp_path / "ds" / "mnist"), padded[order], one_hot(labels, 10)[order])

    assert run_tool("create_mnistrgb", tmp_path / "ds" / "rgb", tmp_path / "mnist", "--num_images", 7, "--random_seed", 5) == 0
    rnd = np.random.RandomState(5)
    expected = np.stack([padded[rnd.randint(len(images), size=3), 0] for _ in range(7)])
    assert_dataset(str(tmp_path / "ds" / "rgb"), expected)


def test_create_cifar10_cifar100(tmp_path):
    rnd = np.random.RandomState(1)
    os.makedirs(tmp_path / "c10")
    all_data, all_labels = [], []
    for batch in range(1, 6):
        data = rnd.randint(0, 256, size=[3, 3072]).astype(np.uint8)
        labels = list(rnd.randint(0, 10, size=3))
        with open(tmp_path / "c10" / ("data_batch_%d" % batch), "wb") as f:
            pickle.dump({"batch_label": "b", "labels": labels, "data": data, "filenames": ["x"] * 3}, f)
        all_data.append(data)
        all_labels += labels
    assert run_tool("create_cifar10", tmp_path / "ds10", tmp_path / "c10") == 0
    images = np.concatenate(all_data).reshape(-1, 3, 32, 32)
    order = shuffled(15)
    assert_dataset(str(tmp_path / "ds10"), images[order], one_hot(np.array(all_labels), 10)[order])

    os.makedirs(tmp_path / "c100")
    data = rnd.randint(0, 256, size=[6, 3072]).astype(np.uint8)
    fine = list(rnd.randint(0, 100, size=6))
    with open(tmp_path / "c100" / "train", "wb") as f:
        pickle.dump({"data": data, "fine_labels": fine, "coarse_labels": [0] * 6}, f)
    assert run_tool("create_cifar100", tmp_path / "ds100", tmp_path / "c100") == 0
    assert_dataset(str(tmp_path / "ds100"), data.reshape(-1, 3, 32, 32)[shuffled(6)], one_hot(np.array(fine), 100)[shuffled(6)])


def test_create_svhn(tmp_path):
    rnd = np.random.RandomState(2)
    os.makedirs(tmp_path / "svhn")
    images, labels = [], []
    for part in range(1, 4):
        x = rnd.randint(0, 256, size=[2, 3, 32, 32]).astype(np.uint8)
        y = rnd.randint(0, 10, size=[2]).astype(np.uint8)
        with open(tmp_path / "svhn" / ("train_%d.pkl" % part), "wb") as f:
            pickle.dump((x, y), f)
        images.append(x)
        labels.append(y)
    assert run_tool("create_svhn", tmp_path / "ds", tmp_path / "svhn") == 0
    order = shuffled(6)
    assert_dataset(str(tmp_path / "ds"), np.concatenate(images)[order], one_hot(np.concatenate(labels), 10)[order])


def test_data_pickles_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch %s" % (tmp_path / "pwned"),))
    os.makedirs(tmp_path / "c100")
    with open(tmp_path / "c100" / "train", "wb") as f:
        pickle.dump({"data": Evil()}, f)
    assert run_tool("create_cifar100", tmp_path / "ds", tmp_path / "c100") == 1
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "ds").exists()


def encoded(array, fmt):
    buf = io.BytesIO()
    PIL.Image.fromarray(array).save(buf, fmt)
    return buf.getvalue()


def test_create_lsun_and_lsun_wide(tmp_path):
    lmdb = pytest.importorskip("lmdb")
    rnd = np.random.RandomState(3)
    sources = [rnd.randint(0, 256, size=shape).astype(np.uint8) for shape in [(20, 30, 3), (24, 16, 3), (30, 40, 3), (10, 40, 3)]]
    env = lmdb.open(str(tmp_path / "lmdb"), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i, img in enumerate(sources):
            txn.put(b"%03d" % i, encoded(img, "PNG"))
        txn.put(b"999", b"not an image")
    env.close()

    assert run_tool("create_lsun", tmp_path / "ds", tmp_path / "lmdb", "--resolution", 8) == 0
    expected = []
    for img in sources:
        c = min(img.shape[:2])
        crop = img[(img.shape[0] - c) // 2:(img.shape[0] + c) // 2, (img.shape[1] - c) // 2:(img.shape[1] + c) // 2]
        expected.append(np.asarray(PIL.Image.fromarray(crop).resize((8, 8), PIL.Image.LANCZOS)).transpose(2, 0, 1))
    assert_dataset(str(tmp_path / "ds"), np.stack(expected))

    assert run_tool("create_lsun_wide", tmp_path / "wide", tmp_path / "lmdb", "--width", 16, "--height", 12) == 0
    wide = read_level(str(tmp_path / "wide"), 4)
    assert wide.shape == (2, 3, 16, 16)  # only the two sources at least 16 wide with enough rows
    assert np.all(wide[:, :, :2] == 0) and np.all(wide[:, :, 14:] == 0)  # letterbox rows


def test_create_celeba(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_tool, "CELEBA_NUM_IMAGES", 3)
    os.makedirs(tmp_path / "celeba" / "img_align_celeba_png")
    rnd = np.random.RandomState(4)
    images = [rnd.randint(0, 256, size=[218, 178, 3]).astype(np.uint8) for _ in range(3)]
    for i, img in enumerate(images):
        PIL.Image.fromarray(img).save(tmp_path / "celeba" / "img_align_celeba_png" / ("%06d.png" % i))
    assert run_tool("create_celeba", tmp_path / "ds", tmp_path / "celeba") == 0
    crops = np.stack([img[121 - 64:121 + 64, 89 - 64:89 + 64].transpose(2, 0, 1) for img in images])
    assert_dataset(str(tmp_path / "ds"), crops[shuffled(3)])
    monkeypatch.setattr(dataset_tool, "CELEBA_NUM_IMAGES", 202599)
    assert run_tool("create_celeba", tmp_path / "ds2", tmp_path / "celeba") == 1


def test_create_from_hdf5(tmp_path):
    h5py = pytest.importorskip("h5py")
    rnd = np.random.RandomState(5)
    data = rnd.randint(0, 256, size=[5, 3, 16, 16]).astype(np.uint8)
    labels = rnd.rand(5, 4).astype(np.float32)
    with h5py.File(tmp_path / "arch.h5", "w") as f:
        f["data8x8"] = data[:, :, ::2, ::2]
        f["data16x16"] = data
    np.save(tmp_path / "arch-labels.npy", labels)
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "arch.h5") == 0
    assert_dataset(str(tmp_path / "ds"), data[shuffled(5)], labels[shuffled(5)])
    assert run_tool("create_from_hdf5", tmp_path / "ds2", tmp_path / "arch.h5", "--shuffle", 0) == 0
    assert_dataset(str(tmp_path / "ds2"), data, labels)


def make_images(folder, count=6, size=16, mode="RGB", ext="png", seed=6):
    os.makedirs(folder, exist_ok=True)
    rnd = np.random.RandomState(seed)
    arrays = []
    for i in range(count):
        shape = [size, size, 3] if mode == "RGB" else [size, size]
        arr = rnd.randint(0, 256, size=shape).astype(np.uint8)
        PIL.Image.fromarray(arr, mode).save(os.path.join(folder, "img%03d.%s" % (i, ext)))
        arrays.append(arr.transpose(2, 0, 1) if arr.ndim == 3 else arr[np.newaxis])
    return np.stack(arrays)


def test_create_from_images_and_round_trip(session, tmp_path, capsys):
    images = make_images(str(tmp_path / "imgs"))
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 0
    assert_dataset(str(tmp_path / "ds"), images[shuffled(6)])
    assert "Skipping 1 files" in capsys.readouterr().out

    assert run_tool("create_from_images", tmp_path / "ds_plain", tmp_path / "imgs", "--shuffle", 0, "--compress") == 0
    assert open(glob.glob(str(tmp_path / "ds_plain" / "*-r04.tfrecords"))[0], "rb").read(2) == b"\x1f\x8b"
    assert_dataset(str(tmp_path / "ds_plain"), images)

    assert run_tool("extract", tmp_path / "ds_plain", tmp_path / "out") == 0
    extracted = sorted(os.listdir(tmp_path / "out"))
    assert extracted == ["img%08d.png" % i for i in range(6)]
    for i, name in enumerate(extracted):
        np.testing.assert_array_equal(np.asarray(PIL.Image.open(tmp_path / "out" / name)).transpose(2, 0, 1), images[i])

    capsys.readouterr()
    assert run_tool("compare", tmp_path / "ds", tmp_path / "ds", "--ignore_labels", 1) == 0
    assert "Identical images: 6 / 6" in capsys.readouterr().out
    assert run_tool("compare", tmp_path / "ds", tmp_path / "ds_plain", "--ignore_labels", 1) == 0
    out = capsys.readouterr().out
    assert "is different" in out and "Identical images: 6 / 6" not in out


def test_from_images_converts_modes(tmp_path, capsys):
    make_images(str(tmp_path / "imgs"), count=2, mode="L", seed=1)
    PIL.Image.new("RGBA", (16, 16), (10, 20, 30, 128)).save(tmp_path / "imgs" / "z_rgba.png")
    PIL.Image.new("P", (16, 16), 7).save(tmp_path / "imgs" / "z_palette.png")
    PIL.Image.new("L", (16, 16), 99).save(tmp_path / "imgs" / "z_gray.bmp")
    PIL.Image.new("L", (16, 16), 42).save(tmp_path / "imgs" / "z_gray.webp", lossless=True)
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 0
    assert "Converting 3 images (P, RGB, RGBA) to L" in capsys.readouterr().out  # WebP stores no grayscale mode
    assert read_level(str(tmp_path / "ds"), 4).shape == (6, 1, 16, 16)


@pytest.mark.parametrize("setup,message", [
    ("empty", "No input images found"),
    ("mixed", "2 images differ from 16x16: img004.png is 8x8; img005.png is 8x8"),
    ("unreadable", "Cannot read image"),
    ("nonsquare", "same width and height"),
    ("npot", "power-of-two"),
    ("exists", "already exists; pass --overwrite"),
])
def test_from_images_bad_input(tmp_path, capsys, setup, message):
    folder = tmp_path / "imgs"
    os.makedirs(folder)
    if setup == "mixed":
        make_images(str(folder), count=4)
        make_images(str(tmp_path / "small"), count=2, size=8)
        for i, name in enumerate(sorted(os.listdir(tmp_path / "small"))):
            os.rename(tmp_path / "small" / name, folder / ("img%03d.png" % (4 + i)))
    elif setup == "unreadable":
        make_images(str(folder), count=2)
        (folder / "img999.png").write_bytes(b"broken png")
    elif setup == "nonsquare":
        PIL.Image.new("RGB", (16, 8)).save(folder / "a.png")
    elif setup == "npot":
        PIL.Image.new("RGB", (12, 12)).save(folder / "a.png")
    elif setup == "exists":
        make_images(str(folder), count=2)
        os.makedirs(tmp_path / "ds")
    assert run_tool("create_from_images", tmp_path / "ds", folder) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0]
    leftovers = [p for p in os.listdir(tmp_path) if p.startswith(".ds")]
    assert leftovers == [] and (setup == "exists" or not os.path.exists(tmp_path / "ds"))


def test_overwrite_replaces_dataset(tmp_path):
    make_images(str(tmp_path / "imgs"), count=2)
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 0
    make_images(str(tmp_path / "imgs"), count=3, seed=9)
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs", "--overwrite") == 0
    assert read_level(str(tmp_path / "ds"), 4).shape[0] == 3


def test_missing_inputs_and_modules(tmp_path, monkeypatch, capsys):
    assert run_tool("create_mnist", tmp_path / "ds", tmp_path / "nowhere") == 1
    assert "MNIST images not found" in capsys.readouterr().out
    import builtins
    real_import = builtins.__import__

    def no_optional(name, *args, **kwargs):
        if name in ("lmdb", "h5py"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_optional)
    assert run_tool("create_lsun", tmp_path / "ds", tmp_path) == 1
    assert "pip install -e .[lsun]" in capsys.readouterr().out
    (tmp_path / "x.h5").write_bytes(b"")
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "x.h5") == 1
    assert "pip install -e .[hdf5]" in capsys.readouterr().out
    assert not os.path.exists(tmp_path / "ds")


@pytest.mark.slow
def test_command_line_help_and_errors(tmp_path):
    result = run_python(["dataset_tool.py"])
    assert result.returncode == 0 and "Tool for creating multi-resolution TFRecords datasets" in result.stdout
    result = run_python(["dataset_tool.py", "create_from_images", str(tmp_path / "ds"), str(tmp_path / "missing")])
    assert result.returncode == 1 and result.stdout.strip().splitlines()[-1].startswith("Error: Image directory not found")
    assert "Traceback" not in result.stderr
