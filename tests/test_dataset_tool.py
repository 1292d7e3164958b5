"""dataset_tool.py: every command on inputs made in their real formats; levels, order and labels checked exactly."""

import glob
import gzip
import io
import os
import pickle
import re

import numpy as np
import PIL.Image
import pytest
import tensorflow.compat.v1 as tf

import dataset_tool
import dnnlib.util
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

    write_mnist(str(tmp_path / "empty"), n=0)
    assert run_tool("create_mnistrgb", tmp_path / "ds" / "none", tmp_path / "empty", "--num_images", 3) == 1
    assert not os.path.exists(tmp_path / "ds" / "none")


def test_images_beyond_the_pixel_limit_are_refused_not_warned_about(tmp_path, capsys, monkeypatch):
    """Between Pillow's limit and twice that, Pillow only warns (two lines on stderr, then the work): refused here."""
    make_images(str(tmp_path / "imgs"), count=2)
    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 200)  # 16x16 = 256 pixels: a warning, not Pillow's error
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 1
    assert "Image size (256 pixels) exceeds limit of 200 pixels, could be decompression bomb DOS attack." in error_line(capsys)
    assert not capsys.readouterr().err


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


def test_extract_refuses_images_png_cannot_hold(session, tmp_path, capsys):
    """A 4-channel dataset (written by hand; training can use one) is refused by extract with one line, before any
    PNG is written."""
    os.makedirs(tmp_path / "ds")
    for res in (4, 8):
        example = tf.train.Example(features=tf.train.Features(feature={
            "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=[4, res, res])),
            "data": tf.train.Feature(bytes_list=tf.train.BytesList(value=[bytes(4 * res * res)]))}))
        with tf.io.TFRecordWriter(str(tmp_path / "ds" / ("ds-r%02d.tfrecords" % int(np.log2(res))))) as writer:
            writer.write(example.SerializeToString())
    assert run_tool("extract", tmp_path / "ds", tmp_path / "out") == 1
    assert "holds 4-channel images; extract writes 1-channel (L) or 3-channel (RGB) PNGs" in error_line(capsys)
    assert not os.path.exists(tmp_path / "out")


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
    ("newline", "1 images differ from 16x16: p\\nError: forged.png is 8x8"),  # a name's newline cannot forge a line
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
    elif setup == "newline":
        make_images(str(folder), count=2)
        PIL.Image.new("RGB", (8, 8)).save(folder / "p\nError: forged.png")
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
    assert run_tool("create_lsun", tmp_path / "ds", tmp_path / "lmdb") == 1
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


# ----------------------------------------------------------------------------
# Hostile inputs: each test crafts its own and expects one "Error: ..." line, exit 1, nothing half-written.

def error_line(capsys):
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, lines
    return lines[0]


def temp_dirs(folder):
    return [name for name in os.listdir(folder) if ".tmp-" in name]


@pytest.mark.parametrize("layout", ["same", "relative_dotdot", "symlink", "target_inside", "source_inside"])
def test_overlapping_source_and_target_are_refused(tmp_path, monkeypatch, capsys, layout):
    images = tmp_path / "imgs"
    make_images(str(images), count=2)
    before = sorted(os.listdir(images))
    monkeypatch.chdir(tmp_path)
    target = {"same": images, "relative_dotdot": os.path.join("imgs", "..", "imgs"), "symlink": tmp_path / "link",
              "target_inside": images / "ds", "source_inside": tmp_path}[layout]
    if layout == "symlink":
        os.symlink(images, tmp_path / "link")
    assert run_tool("create_from_images", target, "imgs", "--overwrite") == 1
    assert "overlap" in error_line(capsys)
    assert sorted(os.listdir(images)) == before  # the user's images are untouched


@pytest.mark.parametrize("kind", ["file", "symlink", "foreign_file", "subdir"])
def test_overwrite_replaces_only_a_dataset(tmp_path, capsys, kind):
    make_images(str(tmp_path / "imgs"), count=2)
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("precious")
    elif kind == "symlink":
        os.makedirs(tmp_path / "elsewhere")
        os.symlink(tmp_path / "elsewhere", target)
    else:
        assert run_tool("create_from_images", target, tmp_path / "imgs") == 0
        if kind == "foreign_file":
            (target / "notes.txt").write_text("precious")
        else:
            os.makedirs(target / "sub")
    capsys.readouterr()
    assert run_tool("create_from_images", target, tmp_path / "imgs", "--overwrite") == 1
    message = {"file": "not a directory", "symlink": "symbolic link", "foreign_file": "holds 'notes.txt'", "subdir": "holds 'sub'"}[kind]
    assert message in error_line(capsys)
    assert os.path.lexists(target) and temp_dirs(tmp_path) == []
    if kind == "file":
        assert target.read_text() == "precious"


def test_overwrite_accepts_an_empty_directory(tmp_path):
    make_images(str(tmp_path / "imgs"), count=2)
    os.makedirs(tmp_path / "ds")
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs", "--overwrite") == 0
    assert read_level(str(tmp_path / "ds"), 4).shape[0] == 2


def test_stale_temp_dirs_of_dead_runs_are_removed(tmp_path):
    import subprocess
    import sys
    make_images(str(tmp_path / "imgs"), count=2)
    dead_pid = int(open("/proc/sys/kernel/pid_max").read()) + 1 if os.path.exists("/proc/sys/kernel/pid_max") else 2 ** 22 + 1  # never a live pid
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        def craft(pid, host_tag=dnnlib.util._host_tag()):
            path = tmp_path / (".ds.tmp-%s-%d-0badc0de" % (host_tag, pid))
            os.makedirs(path)
            (path / "ds-r04.tfrecords").write_bytes(b"x" * 1000)
            return path.name
        other_host = "%06x" % ((int(dnnlib.util._host_tag(), 16) + 1) % 2 ** 24)
        dead, live, elsewhere = craft(dead_pid), craft(sleeper.pid), craft(dead_pid, host_tag=other_host)
        (tmp_path / ".ds.tmp-1234").mkdir()  # not named by us: never touched
        assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 0
        assert sorted(temp_dirs(tmp_path)) == sorted([live, elsewhere, ".ds.tmp-1234"])  # only this machine's dead run's directory went
        assert dead not in temp_dirs(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.slow
def test_debris_of_a_killed_run_is_removed_by_the_next(tmp_path):
    import signal
    import subprocess
    import sys
    make_images(str(tmp_path / "imgs"), count=2)
    script = ("import sys, time, numpy as np, dataset_tool\n"
              "tfr = dataset_tool.TFRecordExporter(sys.argv[1], 10, print_progress=False)\n"
              "tfr.add_image(np.zeros([3, 16, 16], np.uint8))\n"
              "print('ready', flush=True)\n"
              "time.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), TF_CPP_MIN_LOG_LEVEL="3")
    victim = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "ds")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert victim.stdout.readline().strip() == "ready"
        assert len(temp_dirs(tmp_path)) == 1
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 0
    assert temp_dirs(tmp_path) == [] and read_level(str(tmp_path / "ds"), 4).shape[0] == 2


class FailingWriter:
    """Stands in for tf.io.TFRecordWriter on a full disk: the third write fails, and so does close()."""
    writes, error = 0, None

    def __init__(self, path, compress):
        pass

    def write(self, record):
        FailingWriter.writes += 1
        if FailingWriter.writes == 3:
            raise FailingWriter.error

    def close(self):
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("error", ["oserror", "tf_error"])
def test_disk_full_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys, error):
    make_images(str(tmp_path / "imgs"), count=4)
    FailingWriter.writes = 0
    FailingWriter.error = OSError(28, "No space left on device") if error == "oserror" else \
        tf.errors.ResourceExhaustedError(None, None, "%s; No space left on device" % (tmp_path / ".ds.tmp-1-2" / "ds-r04.tfrecords"))
    monkeypatch.setattr(dataset_tool, "_open_record_writer", FailingWriter)
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 1
    assert error_line(capsys) == "Error: Cannot write dataset '%s': No space left on device." % (tmp_path / "ds")
    assert not os.path.exists(tmp_path / "ds") and temp_dirs(tmp_path) == []


def test_failed_labels_write_leaves_nothing(tmp_path, monkeypatch, capsys):
    write_mnist(str(tmp_path / "mnist"), n=4)
    monkeypatch.setattr(dataset_tool.np, "save", lambda *args: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    assert run_tool("create_mnist", tmp_path / "ds", tmp_path / "mnist") == 1
    assert "Cannot write dataset" in error_line(capsys)
    assert not os.path.exists(tmp_path / "ds") and temp_dirs(tmp_path) == []


def write_png_16bit(path, values):
    """A 16-bit PNG written byte by byte: values uint16 [H, W] (grayscale) or [H, W, 3] (RGB)."""
    import struct
    import zlib
    height, width = values.shape[:2]
    color_type = 0 if values.ndim == 2 else 2
    rows = b"".join(b"\x00" + values[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_16bit_pngs_are_scaled_to_8_bits(tmp_path):
    rnd = np.random.RandomState(7)
    gray = rnd.randint(0, 65536, size=[8, 8]).astype(np.uint16)
    gray[0, :4] = [0, 65535, 128, 129]
    rgb = rnd.randint(0, 65536, size=[8, 8, 3]).astype(np.uint16)
    os.makedirs(tmp_path / "gray")
    write_png_16bit(tmp_path / "gray" / "a.png", gray)
    assert run_tool("create_from_images", tmp_path / "ds_gray", tmp_path / "gray") == 0
    stored = read_level(str(tmp_path / "ds_gray"), 3)[0, 0]
    np.testing.assert_array_equal(stored, np.floor(gray / 257.0 + 0.5).astype(np.uint8))
    assert list(stored[0, :4]) == [0, 255, 0, 1] and stored.mean() < 200  # not the clipped, nearly white image

    os.makedirs(tmp_path / "rgb")
    write_png_16bit(tmp_path / "rgb" / "a.png", rgb)
    write_png_16bit(tmp_path / "rgb" / "b.png", gray)  # grayscale 16-bit in an RGB dataset: replicated
    assert run_tool("create_from_images", tmp_path / "ds_rgb", tmp_path / "rgb", "--shuffle", 0) == 0
    stored = read_level(str(tmp_path / "ds_rgb"), 3)
    assert np.abs(stored[0].astype(int) - np.rint(rgb.transpose(2, 0, 1) / 257.0)).max() <= 1  # Pillow keeps the high byte
    np.testing.assert_array_equal(stored[1], np.repeat(np.floor(gray / 257.0 + 0.5).astype(np.uint8)[np.newaxis], 3, axis=0))


@pytest.mark.parametrize("mode", ["I", "F"])
def test_images_without_an_8bit_scale_are_refused(tmp_path, capsys, mode):
    os.makedirs(tmp_path / "imgs")
    PIL.Image.fromarray(np.full([8, 8], 70000, np.int32 if mode == "I" else np.float32), mode).save(tmp_path / "imgs" / "a.tif")
    PIL.Image.new("L", (8, 8)).save(tmp_path / "imgs" / "b.png")
    dataset_tool.IMAGE_EXTENSIONS, saved = dataset_tool.IMAGE_EXTENSIONS + (".tif",), dataset_tool.IMAGE_EXTENSIONS
    try:
        assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 1
    finally:
        dataset_tool.IMAGE_EXTENSIONS = saved
    line = error_line(capsys)
    assert "a.tif" in line and "(PIL mode %s)" % mode in line and not os.path.exists(tmp_path / "ds")


@pytest.mark.parametrize("damage,message", [
    ("truncated_gzip", "truncated or corrupt gzip file"),
    ("not_gzip", "truncated or corrupt gzip file"),
    ("short_data", "is truncated or malformed"),
    ("wrong_magic", "is not an MNIST idx file"),
    ("extra_data", "the file holds more bytes of data"),  # a gzip bomb behind a plausible header: read no further
    ("huge_header", "is malformed: its header announces 100000000x28x28 from a"),  # refused before reading
])
def test_corrupt_mnist_is_one_line(tmp_path, capsys, damage, message):
    write_mnist(str(tmp_path / "mnist"))
    path = tmp_path / "mnist" / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    if damage == "truncated_gzip":
        path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    elif damage == "not_gzip":
        path.write_bytes(b"<html>404 Not Found</html>")
    elif damage == "short_data":
        path.write_bytes(gzip.compress(raw[:-100]))
    elif damage == "extra_data":
        path.write_bytes(gzip.compress(raw + bytes(10 ** 7)))
    elif damage == "huge_header":
        path.write_bytes(gzip.compress(raw[:4] + np.array([10 ** 8, 28, 28], ">i4").tobytes() + raw[16:]))
    else:
        path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + raw[4:]))
    assert run_tool("create_mnist", tmp_path / "ds", tmp_path / "mnist") == 1
    line = error_line(capsys)
    assert message in line and "train-images-idx3-ubyte.gz" in line
    assert not os.path.exists(tmp_path / "ds") and temp_dirs(tmp_path) == []


@pytest.mark.parametrize("damage,message", [
    ("truncated", "Cannot read"),
    ("missing_key", "does not hold images and labels as 'data' and 'fine_labels'"),
    ("odd_size", "does not hold 3x32x32 images"),
    ("memo_bomb", "images are a list holding list, not integers"),  # nested references: 64^3 rows from 6 KB
    ("range_labels", "labels are a range, not integers"),
    ("float_images", "images are a float32 array, not integers"),
    ("float_labels", "labels are a list holding float, not integers"),
    ("huge_label", "labels hold integers beyond int64"),
    ("values_beyond_255", "image values must be 0..255, not 300..300"),
])
def test_corrupt_cifar_pickle_is_one_line(tmp_path, capsys, damage, message):
    """Pickles the safe unpickler reads, whose contents are no CIFAR data or would expand far beyond the file."""
    os.makedirs(tmp_path / "c100")
    content = {"data": np.zeros([2, 3072], np.uint8), "fine_labels": [1, 2]}
    if damage == "missing_key":
        del content["fine_labels"]
    elif damage == "odd_size":
        content["data"] = np.zeros([2, 3000], np.uint8)
    elif damage == "memo_bomb":
        content["data"] = [[[[0] * 3072] * 64] * 64] * 64
    elif damage == "range_labels":
        content["fine_labels"] = range(3 * 10 ** 9)
    elif damage == "float_images":
        content["data"] = np.full([2, 3072], np.nan, np.float32)
    elif damage == "float_labels":
        content["fine_labels"] = [0.9, 1.5]
    elif damage == "huge_label":
        content["fine_labels"] = [2 ** 70, 1]
    elif damage == "values_beyond_255":
        content["data"] = np.full([2, 3072], 300, np.int16)
    data = pickle.dumps(content)
    (tmp_path / "c100" / "train").write_bytes(data[:len(data) // 2] if damage == "truncated" else data)
    assert run_tool("create_cifar100", tmp_path / "ds", tmp_path / "c100") == 1
    line = error_line(capsys)
    assert message in line and "train" in line


def test_svhn_in_hwc_layout_is_one_line(tmp_path, capsys):
    os.makedirs(tmp_path / "svhn")
    for part in range(1, 4):
        with open(tmp_path / "svhn" / ("train_%d.pkl" % part), "wb") as f:
            pickle.dump((np.zeros([2, 32, 32, 3], np.uint8), np.zeros([2], np.uint8)), f)
    assert run_tool("create_svhn", tmp_path / "ds", tmp_path / "svhn") == 1
    assert "expected 3x32x32 images" in error_line(capsys)


def test_hdf5_in_the_original_tools_layout_converts(session, tmp_path):
    """Grown chunk by chunk (resizable, gzip, a last chunk only partly filled), as the original's h5 tool writes:
    every chunk is stored, so nothing is refused."""
    h5py = pytest.importorskip("h5py")
    images = np.random.RandomState(1).randint(0, 256, size=[10, 3, 8, 8]).astype(np.uint8)
    with h5py.File(tmp_path / "grown.h5", "w") as f:
        for res in (4, 8):
            data = f.create_dataset("data%dx%d" % (res, res), shape=(0, 3, res, res), maxshape=(None, 3, res, res), dtype=np.uint8,
                                    chunks=(4, 3, res, res), compression="gzip")
            data.resize(10, axis=0)
            data[:] = images[:, :, ::8 // res, ::8 // res]
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "grown.h5", "--shuffle", 0) == 0
    np.testing.assert_array_equal(read_level(str(tmp_path / "ds"), 3), images)


def test_corrupt_hdf5_and_labels_are_one_line(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    (tmp_path / "junk.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "junk.h5") == 1
    assert "Cannot open HDF5 archive" in error_line(capsys)
    with h5py.File(tmp_path / "unwritten.h5", "w") as f:  # 1.4 KB declaring 2^31 images: unwritten chunks read as zeros
        f.create_dataset("data4x4", shape=(2 ** 31, 3, 4, 4), dtype=np.uint8, chunks=(4096, 3, 4, 4))
        f.create_dataset("data2x2", shape=(2, 3, 2, 2), dtype=np.uint8)
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "unwritten.h5") == 1
    assert "declares 2147483648x3x4x4 images but the file does not store them all" in error_line(capsys)
    with h5py.File(tmp_path / "contiguous.h5", "w") as f:  # never written: no storage at all
        f.create_dataset("data4x4", shape=(1000, 3, 4, 4), dtype=np.uint8)
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "contiguous.h5") == 1
    assert "declares 1000x3x4x4 images but the file does not store them all" in error_line(capsys)
    with h5py.File(tmp_path / "huge.h5", "w") as f:
        f.create_dataset("data32768x32768", shape=(1, 3, 32768, 32768), dtype=np.uint8, chunks=(1, 3, 256, 256))
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "huge.h5") == 1
    assert "holds 32768x32768 images, more than 89478485 pixels" in error_line(capsys)
    with h5py.File(tmp_path / "arch.h5", "w") as f:
        f["data8x8"] = np.zeros([2, 3, 8, 8], np.uint8)
    (tmp_path / "arch-labels.npy").write_bytes(b"\x93NUMPY garbage")
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "arch.h5") == 1
    assert "Cannot read label file" in error_line(capsys)
    np.save(tmp_path / "arch-labels.npy", np.array(["cat", "dog"]))
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "arch.h5") == 1
    assert "holds <U3 values, not numbers" in error_line(capsys)
    np.savez(tmp_path / "arch-labels.npy", labels=np.zeros([2, 1]))
    os.replace(tmp_path / "arch-labels.npy.npz", tmp_path / "arch-labels.npy")
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "arch.h5") == 1
    assert "an archive of arrays (.npz), not one array (.npy)" in error_line(capsys)
    assert not os.path.exists(tmp_path / "ds")
    with h5py.File(tmp_path / "wide.h5", "w") as f:
        f["data8x8"] = np.zeros([2, 3, 8, 8], np.uint16)
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "wide.h5") == 1
    assert "expected uint8" in error_line(capsys)
    with h5py.File(tmp_path / "chunks.h5", "w") as f:  # compressed chunks, then damage near the end of the file
        f.create_dataset("data8x8", data=np.random.RandomState(0).randint(0, 256, size=[64, 3, 8, 8]).astype(np.uint8),
                         chunks=(1, 3, 8, 8), compression="gzip")
    data = bytearray((tmp_path / "chunks.h5").read_bytes())
    data[-3000:-1000] = bytes(b ^ 0x5A for b in data[-3000:-1000])
    (tmp_path / "chunks.h5").write_bytes(bytes(data))
    assert run_tool("create_from_hdf5", tmp_path / "ds", tmp_path / "chunks.h5") == 1
    assert re.search(r"Cannot read image \d+ of '.*chunks.h5'", error_line(capsys))
    assert not os.path.exists(tmp_path / "ds") and temp_dirs(tmp_path) == []


def test_corrupt_lmdb_is_one_line(tmp_path, capsys):
    pytest.importorskip("lmdb")
    os.makedirs(tmp_path / "lmdb")
    (tmp_path / "lmdb" / "data.mdb").write_bytes(b"\x00" * 5000)
    assert run_tool("create_lsun", tmp_path / "ds", tmp_path / "lmdb") == 1
    assert "LMDB database" in error_line(capsys)


def test_permission_errors_are_one_line(tmp_path, monkeypatch, capsys):
    """We run as root, where permission bits do not stop us: the OS refusals are simulated with PermissionError."""
    make_images(str(tmp_path / "imgs"), count=2)
    write_mnist(str(tmp_path / "mnist"))
    denied = PermissionError(13, "Permission denied")
    real_listdir, real_open, real_makedirs, real_image_open = os.listdir, open, os.makedirs, PIL.Image.open

    def refuse(real, forbidden):
        def call(path, *args, **kwargs):
            if str(path).startswith(str(forbidden)):
                raise denied
            return real(path, *args, **kwargs)
        return call

    monkeypatch.setattr(dataset_tool.os, "listdir", refuse(real_listdir, tmp_path / "imgs"))
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 1
    assert error_line(capsys) == "Error: Cannot read image directory '%s': Permission denied." % (tmp_path / "imgs")
    monkeypatch.setattr(dataset_tool.os, "listdir", real_listdir)

    monkeypatch.setattr(PIL.Image, "open", refuse(real_image_open, tmp_path / "imgs" / "img001"))
    assert run_tool("create_from_images", tmp_path / "ds", tmp_path / "imgs") == 1
    assert error_line(capsys) == "Error: Cannot read image '%s': Permission denied." % (tmp_path / "imgs" / "img001.png")
    monkeypatch.setattr(PIL.Image, "open", real_image_open)

    monkeypatch.setattr(dataset_tool, "open", refuse(real_open, tmp_path / "mnist"), raising=False)
    assert run_tool("create_mnist", tmp_path / "ds", tmp_path / "mnist") == 1
    assert "Cannot read MNIST images" in error_line(capsys)
    monkeypatch.delattr(dataset_tool, "open")

    def makedirs(path, exist_ok=False):  # nothing may be created at or below tmp_path/locked
        if str(path).startswith(str(tmp_path / "locked")) and not os.path.isdir(path):
            raise denied
        return real_makedirs(path, exist_ok=exist_ok)
    monkeypatch.setattr(dataset_tool.os, "makedirs", makedirs)
    assert run_tool("create_from_images", tmp_path / "locked" / "ds", tmp_path / "imgs") == 1
    assert error_line(capsys) == "Error: Cannot create '%s': Permission denied." % (tmp_path / "locked")
    real_makedirs(tmp_path / "locked")
    assert run_tool("create_from_images", tmp_path / "locked" / "ds", tmp_path / "imgs") == 1
    assert error_line(capsys) == "Error: Cannot write to '%s': Permission denied." % (tmp_path / "locked")
    assert not os.path.exists(tmp_path / "ds") and os.listdir(tmp_path / "locked") == []


def test_progress_in_a_log_is_a_few_plain_lines(tmp_path, capsys):
    write_mnist(str(tmp_path / "mnist"), n=500)
    assert run_tool("create_mnist", tmp_path / "ds", tmp_path / "mnist") == 0
    out = capsys.readouterr().out  # captured: not a terminal
    assert "\r" not in out
    progress = [line for line in out.splitlines() if line.startswith("Images ")]
    assert 5 <= len(progress) <= 11 and progress[-1].startswith("Images 500 / 500")
    assert "ETA" not in out  # a job this short never shows an estimate
