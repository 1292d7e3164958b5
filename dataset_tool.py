"""Tool for creating multi-resolution TFRecords datasets for StyleGAN and ProGAN.

Each input format has an open_* function that yields (image, label) pairs in
the order they are stored; one loop, convert_dataset(), writes them. Datasets
are written into a temporary directory next to the target and renamed into
place only when complete, so a failed or interrupted command leaves nothing
behind. Formats, orders and preprocessing are the original tool's, so datasets are interchangeable.
"""

import argparse
import contextlib
import fnmatch
import gzip
import io
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import PIL.Image

import dnnlib
from dnnlib import arguments

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
CELEBA_NUM_IMAGES = 202599
DATASET_FILES = ("*.tfrecords", "*-rxx.labels")  # what --overwrite may replace in a create_* target
EXTRACTED_FILES = ("img*.png",)                  # ... and in an extract target


class DatasetToolError(dnnlib.util.UserError):
    """Bad input for a dataset_tool command."""


def error(msg):
    print("Error: " + dnnlib.util.one_line(msg))
    sys.exit(1)


def _tf():
    """TensorFlow, imported on first use so that `dataset_tool.py -h` stays fast."""
    import dnnlib.tflib  # noqa: F401 (puts TensorFlow into the TF1 behaviour our reader expects)
    import tensorflow.compat.v1 as tf
    return tf


def _reason(err):
    """One line saying why an operation failed: an OSError's strerror, else the message's first line."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    text = err.message if isinstance(getattr(err, "message", None), str) else str(err)
    text = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return text.rsplit("; ", 1)[-1] if text.startswith(os.sep) else text  # TensorFlow's "<path>; <reason>"


def _open_input(path, what):
    """An input file opened for binary reading; a missing or unreadable file is one DatasetToolError."""
    if not os.path.isfile(path):
        raise DatasetToolError("%s not found: '%s'." % (what, path))
    try:
        return open(path, "rb")
    except OSError as err:
        raise DatasetToolError("Cannot read %s '%s': %s." % (what, path, _reason(err)))


def _list_dir(path, what):
    """Sorted names in a directory, without hidden ones (as glob '*' lists them)."""
    if not os.path.isdir(path):
        raise DatasetToolError("%s not found: '%s'." % (what, path))
    try:
        return sorted(name for name in os.listdir(path) if not name.startswith("."))
    except OSError as err:
        raise DatasetToolError("Cannot read %s '%s': %s." % (what.lower(), path, _reason(err)))

# ----------------------------------------------------------------------------
# Output directories: checked before any work, written beside the target, renamed into place.


def _check_output(target, overwrite, sources=(), replaceable=DATASET_FILES):
    """Refuse a target that overlaps an input, or that --overwrite must not replace (anything but a dataset)."""
    real_target = os.path.realpath(target)
    for source in sources:
        real_source = os.path.realpath(source)
        try:
            common = os.path.commonpath([real_target, real_source])
        except ValueError:  # different drives
            continue
        if common in (real_target, real_source):
            raise DatasetToolError("Output '%s' and input '%s' overlap; choose an output outside the input (and vice versa)." % (target, source))
    if not os.path.lexists(target):
        return
    if not overwrite:
        raise DatasetToolError("'%s' already exists; pass --overwrite to replace it." % target)
    if os.path.islink(target) or not os.path.isdir(target):
        raise DatasetToolError("'%s' is %s; --overwrite replaces only a directory it created." % (target, "a symbolic link" if os.path.islink(target) else "not a directory"))
    try:
        names = os.listdir(target)
    except OSError as err:
        raise DatasetToolError("Cannot read '%s': %s." % (target, _reason(err)))
    for name in sorted(names):
        path = os.path.join(target, name)
        if os.path.islink(path) or not os.path.isfile(path) or not any(fnmatch.fnmatchcase(name, pattern) for pattern in replaceable):
            raise DatasetToolError("'%s' holds '%s', which this tool did not write; --overwrite replaces only a directory of %s files."
                                   % (target, name, " and ".join(replaceable)))


def _remove_stale_temp_dirs(parent):
    """Remove temporary directories left by runs (on this machine) that no longer exist."""
    for path in dnnlib.util.remove_stale_temp_files(parent):
        print("Removed '%s' left by an interrupted run" % path)


class _AtomicDirectory:
    """A temporary directory beside `target` that replaces it only when commit() is called."""

    def __init__(self, target, overwrite=False, replaceable=DATASET_FILES):
        self.target = os.path.normpath(target)
        self.overwrite, self.replaceable = overwrite, replaceable
        _check_output(self.target, overwrite, replaceable=replaceable)
        self.parent = os.path.dirname(os.path.abspath(self.target))
        self.name = os.path.basename(self.target)
        try:
            os.makedirs(self.parent, exist_ok=True)
        except OSError as err:
            raise DatasetToolError("Cannot create '%s': %s." % (self.parent, _reason(err)))
        _remove_stale_temp_dirs(self.parent)
        self.path = self._make_temp_dir()

    def _make_temp_dir(self):
        path = dnnlib.util.temp_path_for(os.path.join(self.parent, "." + self.name))
        try:
            os.makedirs(path)
        except OSError as err:
            shutil.rmtree(path, ignore_errors=True)
            raise DatasetToolError("Cannot write to '%s': %s." % (self.parent, _reason(err)))
        return path

    def commit(self):
        """Move the finished directory into place; an old target is moved aside first and removed last."""
        old = None
        try:
            if os.path.lexists(self.target):
                _check_output(self.target, self.overwrite, replaceable=self.replaceable)  # it may have changed since we started
                old = self._make_temp_dir()
                os.replace(self.target, os.path.join(old, self.name))
            os.replace(self.path, self.target)
        except BaseException as err:
            self._put_back(old)
            self.discard()
            if isinstance(err, OSError):
                raise DatasetToolError("Cannot write '%s': %s." % (self.target, _reason(err))) from err
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _put_back(self, old):
        """Undo moving the old target aside (best effort: never raises over the error that led here)."""
        if old is None:
            return
        moved = os.path.join(old, self.name)
        try:
            if os.path.lexists(moved) and not os.path.lexists(self.target):
                os.replace(moved, self.target)
        except OSError:
            return
        shutil.rmtree(old, ignore_errors=True)

    def discard(self):
        shutil.rmtree(self.path, ignore_errors=True)

# ----------------------------------------------------------------------------
# Writing.


def _open_record_writer(path, compress):
    tf = _tf()
    return tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression_type="GZIP" if compress else ""))


def _shuffled_order(num_images):
    """The order in which shuffled datasets store images (and labels): a fixed permutation, seed 123."""
    order = np.arange(num_images)
    np.random.RandomState(seed=123).shuffle(order)  # fixed, whatever --random_seed says
    return order


def _write_order(num_images, shuffle):
    return _shuffled_order(num_images) if shuffle else np.arange(num_images)


def _status(text):
    """A transient status line, drawn only on a terminal (it is overwritten by the next line)."""
    if sys.stdout.isatty():
        print("%-40s\r" % text, end="", flush=True)


class TFRecordExporter:
    """Writes images as one TFRecord file per resolution (full size down to 4x4), plus optional labels."""

    def __init__(self, tfrecord_dir, expected_images, print_progress=True, progress_interval=10, compress=False, overwrite=False):
        self.tfrecord_dir = tfrecord_dir
        self.expected_images = expected_images
        self.cur_images = 0
        self.shape = None
        self.resolution_log2 = None
        self.tfr_writers = []
        self.print_progress = print_progress
        self.progress_interval = max(int(progress_interval), 1)  # kept for the original's signature; ProgressMonitor paces the output
        self.compress = compress

        if self.print_progress:
            print(f'Creating dataset "{tfrecord_dir}"')
        self._output = _AtomicDirectory(tfrecord_dir, overwrite=overwrite)
        self._progress = dnnlib.util.ProgressMonitor("Images", expected_images) if print_progress else None
        self.tfr_prefix = os.path.join(self._output.path, self._output.name)

    @contextlib.contextmanager
    def _writing(self):
        """Turns a failed write (disk full, I/O error) into one DatasetToolError naming the dataset."""
        tf = _tf()
        try:
            yield
        except (OSError, tf.errors.OpError) as err:
            raise DatasetToolError("Cannot write dataset '%s': %s." % (self.tfrecord_dir, _reason(err)))

    def _close_writers(self):
        """Close every writer, then raise the first failure (if any)."""
        writers, self.tfr_writers = self.tfr_writers, []
        failure = None
        for writer in writers:
            try:
                writer.close()
            except Exception as err:
                failure = failure or err
        if failure is not None:
            raise failure

    def close(self):
        if self._progress is not None:
            self._progress.close()
        if self.print_progress:
            _status("Flushing data...")
        try:
            with self._writing():
                self._close_writers()
            if self.cur_images == 0:
                raise DatasetToolError("No images were added to '%s'." % self.tfrecord_dir)
        except BaseException:
            self._output.discard()
            raise
        self._output.commit()
        if self.print_progress:
            _status("")
            print("Added %d images." % self.cur_images)

    def abort(self):
        """Discard everything written; never raises, so the error that led here is the one reported."""
        if self._progress is not None:
            self._progress.close()
        try:
            self._close_writers()
        except Exception:
            pass
        self._output.discard()

    def choose_shuffled_order(self):
        """The order in which images (and labels) are written: a fixed permutation (seed 123)."""
        return _shuffled_order(self.expected_images)

    def _open_writers(self, shape):
        self.shape = shape
        self.resolution_log2 = int(np.log2(shape[1]))
        if shape[0] not in (1, 3):
            raise DatasetToolError("Images must have 1 or 3 channels, not %d." % shape[0])
        if shape[1] != shape[2]:
            raise DatasetToolError("Images must be square, not %dx%d." % (shape[2], shape[1]))
        if shape[1] != 2 ** self.resolution_log2 or shape[1] < 4:
            raise DatasetToolError("Image resolution must be a power of two of at least 4, not %d." % shape[1])
        with self._writing():
            for level in range(self.resolution_log2, 1, -1):  # full size down to 4x4: -r10 ... -r02 at 1024
                self.tfr_writers.append(_open_record_writer("%s-r%02d.tfrecords" % (self.tfr_prefix, level), self.compress))

    def add_image(self, img):
        """img: uint8 [C, H, W]. Each further level is the 2x2 average of the previous level's float values."""
        tf = _tf()
        if self.shape is None:
            self._open_writers(img.shape)
        if img.shape != self.shape:
            raise DatasetToolError("Image %d has shape %s, expected %s like the first one." % (self.cur_images, list(img.shape), list(self.shape)))
        level = img.astype(np.float32)
        with self._writing():
            for lod, writer in enumerate(self.tfr_writers):
                if lod:
                    level = (level[:, 0::2, 0::2] + level[:, 0::2, 1::2] + level[:, 1::2, 0::2] + level[:, 1::2, 1::2]) * 0.25
                quantized = np.rint(level).clip(0, 255).astype(np.uint8)
                example = tf.train.Example(features=tf.train.Features(feature={
                    "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=quantized.shape)),
                    "data": tf.train.Feature(bytes_list=tf.train.BytesList(value=[quantized.tobytes()]))}))
                writer.write(example.SerializeToString())
        self.cur_images += 1
        if self._progress is not None:
            self._progress.update(self.cur_images)

    def add_labels(self, labels):
        if self.print_progress:
            _status("Saving labels...")
        if labels.shape[0] != self.cur_images:
            raise DatasetToolError("Got %d labels for %d images." % (labels.shape[0], self.cur_images))
        with self._writing(), open(self.tfr_prefix + "-rxx.labels", "wb") as f:
            np.save(f, labels.astype(np.float32))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def convert_dataset(tfrecord_dir, num_images, items, compress=False, overwrite=False, print_progress=True):
    """The one writer loop: stores (uint8 [C, H, W] image, label row or None) pairs in the order given."""
    labels = []
    with TFRecordExporter(tfrecord_dir, num_images, print_progress=print_progress, compress=compress, overwrite=overwrite) as tfr:
        for img, label in items:
            tfr.add_image(img)
            if label is not None:
                labels.append(label)
        if labels:
            tfr.add_labels(np.stack(labels))


def _indexed(images, labels, order):
    """(count, items) of images[i] (with labels[i], if any) for i in order; works on arrays and HDF5 datasets."""
    def items():
        for idx in order:
            yield images[idx], (None if labels is None else labels[idx])
    return len(order), items()


def _one_hot(labels, num_classes):
    return np.eye(num_classes, dtype=np.float32)[labels]

# ----------------------------------------------------------------------------
# Reading datasets.


def _open_dataset(tfrecord_dir, max_label_size):
    import dnnlib.tflib as tflib
    from training import dataset
    tflib.init_tf({"gpu_options.allow_growth": True})
    dset = dataset.TFRecordDataset(tfrecord_dir, max_label_size=max_label_size, repeat=False, shuffle_mb=0)
    tflib.init_uninitialized_vars()
    return dset


def _next_image(dset):
    tf = _tf()
    try:
        return dset.get_minibatch_np(1)
    except tf.errors.OutOfRangeError:
        return None, None


def display(tfrecord_dir):
    print(f'Loading dataset "{tfrecord_dir}"')
    try:
        import cv2
    except ImportError:
        raise DatasetToolError("display needs OpenCV and a screen: pip install opencv-python")
    dset = _open_dataset(tfrecord_dir, "full")
    idx = 0
    while True:
        images, labels = _next_image(dset)
        if images is None:
            break
        if idx == 0:
            print("Displaying images")
            cv2.namedWindow("dataset_tool")
            print("Press SPACE or ENTER to advance, ESC to exit")
        print("\nidx = %-8d\nlabel = %s" % (idx, labels[0].tolist()))
        cv2.imshow("dataset_tool", images[0].transpose(1, 2, 0)[:, :, ::-1])
        idx += 1
        if cv2.waitKey() == 27:
            break
    print("\nDisplayed %d images." % idx)


def extract(tfrecord_dir, output_dir, overwrite=False):
    _check_output(output_dir, overwrite, sources=[tfrecord_dir], replaceable=EXTRACTED_FILES)
    print(f'Loading dataset "{tfrecord_dir}"')
    dset = _open_dataset(tfrecord_dir, 0)
    print(f'Extracting images to "{output_dir}"')
    output = _AtomicDirectory(output_dir, overwrite=overwrite, replaceable=EXTRACTED_FILES)
    progress = dnnlib.util.ProgressMonitor("Extracted", dset.num_images)
    try:
        idx = 0
        while True:
            images, _labels = _next_image(dset)
            if images is None:
                break
            image = images[0]
            if image.shape[0] not in (1, 3):
                raise DatasetToolError("'%s' holds %d-channel images; extract writes 1-channel (L) or 3-channel (RGB) PNGs." % (tfrecord_dir, image.shape[0]))
            pil = PIL.Image.fromarray(image[0], "L") if image.shape[0] == 1 else PIL.Image.fromarray(image.transpose(1, 2, 0), "RGB")
            try:
                pil.save(os.path.join(output.path, "img%08d.png" % idx))
            except OSError as err:
                raise DatasetToolError("Cannot write '%s': %s." % (output_dir, _reason(err)))
            idx += 1
            progress.update(idx)
    except BaseException:
        output.discard()
        raise
    finally:
        progress.close()
    output.commit()
    print("Extracted %d images." % idx)


def compare(tfrecord_dir_a, tfrecord_dir_b,
            ignore_labels):
    max_label_size = 0 if ignore_labels else "full"
    print(f'Loading dataset "{tfrecord_dir_a}"')
    dset_a = _open_dataset(tfrecord_dir_a, max_label_size)
    print(f'Loading dataset "{tfrecord_dir_b}"')
    dset_b = _open_dataset(tfrecord_dir_b, max_label_size)
    print("Comparing datasets")
    progress = dnnlib.util.ProgressMonitor("Compared", max(dset_a.num_images, dset_b.num_images))
    idx = identical_images = identical_labels = 0
    while True:
        (images_a, labels_a), (images_b, labels_b) = _next_image(dset_a), _next_image(dset_b)
        ended = [images is None for images in (images_a, images_b)]
        if any(ended):
            progress.close()
            if not all(ended):
                print("Datasets contain different number of images")
            break
        same_image = np.array_equal(images_a, images_b)
        same_label = np.array_equal(labels_a, labels_b)
        identical_images += same_image
        identical_labels += same_label
        if not same_image:
            print("Image %d is different" % idx)
        if not same_label:
            print("Label %d is different" % idx)
        idx += 1
        progress.update(idx)
    print("Identical images: %d / %d" % (identical_images, idx))
    if not ignore_labels:
        print("Identical labels: %d / %d" % (identical_labels, idx))

# ----------------------------------------------------------------------------
# The classic benchmarks: MNIST, CIFAR, SVHN.


_MAX_GZIP_RATIO = 64  # MNIST's files inflate about 5x; a gzip bomb about 1000x


def _read_idx(mnist_dir, name, what, magic, item_shape):
    """The array in a gzipped MNIST idx file: big-endian magic, one uint32 per dimension, then uint8 data. The header
    is read first, then exactly the data it announces, which may not be more than _MAX_GZIP_RATIO times the file."""
    path = os.path.join(mnist_dir, name)
    header_bytes = 4 * (1 + 1 + len(item_shape))
    with _open_input(path, what) as file:
        compressed = os.fstat(file.fileno()).st_size
        try:
            stream = gzip.GzipFile(fileobj=file, mode="rb")
            header = stream.read(header_bytes)
            if len(header) < header_bytes or struct.unpack(">I", header[:4])[0] != magic:
                raise DatasetToolError("'%s' is not an MNIST idx file (wrong header)." % path)
            dims = struct.unpack(">%dI" % (1 + len(item_shape)), header[4:])
            announced = int(np.prod(dims, dtype=object))
            if tuple(dims[1:]) != item_shape:
                raise DatasetToolError("'%s' holds items of %s, not %s." % (path, "x".join(map(str, dims[1:])), "x".join(map(str, item_shape)) or "single bytes"))
            if announced > _MAX_GZIP_RATIO * max(compressed, 1 << 16):
                raise DatasetToolError("'%s' is malformed: its header announces %s from a %d-byte file." % (path, "x".join(map(str, dims)), compressed))
            data = stream.read(announced + 1)
        except (OSError, EOFError, zlib.error) as err:
            raise DatasetToolError("Cannot read %s '%s': truncated or corrupt gzip file (%s)." % (what, path, _reason(err)))
    if len(data) != announced:
        raise DatasetToolError("'%s' is truncated or malformed: its header announces %s, the file holds %s bytes of data."
                               % (path, "x".join(map(str, dims)), len(data) if len(data) < announced else "more"))
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def _load_mnist_images(mnist_dir):
    images = _read_idx(mnist_dir, "train-images-idx3-ubyte.gz", "MNIST images", 0x803, (28, 28))
    return np.pad(images[:, np.newaxis], [(0, 0), (0, 0), (2, 2), (2, 2)], "constant", constant_values=0)


def open_mnist(mnist_dir):
    images = _load_mnist_images(mnist_dir)
    labels = _read_idx(mnist_dir, "train-labels-idx1-ubyte.gz", "MNIST labels", 0x801, ())
    if labels.shape != (images.shape[0],) or labels.max(initial=0) > 9:
        raise DatasetToolError("'%s' does not hold one label 0..9 per image." % os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz"))
    return _indexed(images, _one_hot(labels, 10), _shuffled_order(len(images)))


def open_mnistrgb(mnist_dir, num_images, random_seed):
    images = _load_mnist_images(mnist_dir)[:, 0]
    if len(images) == 0:
        raise DatasetToolError("'%s' holds no MNIST images to combine." % mnist_dir)

    def items():
        rng = np.random.RandomState(random_seed)
        for _ in range(num_images):
            yield images[rng.randint(len(images), size=3)], None  # three random digits become R, G and B
    return num_images, items()


def _load_data_pickle(path):
    """A pickle of plain data (NumPy arrays, lists, dicts); never executes code from the file, whose declared sizes
    must fit in it (the safe loader's opcode scan)."""
    from dnnlib.tflib.loader import NUMPY_GLOBALS, SafeUnpickler, scan_pickle
    with _open_input(path, "Data file") as file:
        try:
            data = file.read()
            scan_pickle(data, "'%s'" % path, what="data pickle")
            return SafeUnpickler(io.BytesIO(data), allowed=NUMPY_GLOBALS, encoding="latin1").load()
        except dnnlib.util.UserError:
            raise
        except Exception as err:
            raise DatasetToolError("Cannot read '%s': %s" % (path, _reason(err)))


def _integer_array(value, path, what):
    """value as an integer ndarray: an array stored in the file, or a flat list of ints (CIFAR's labels). Never a
    nested list or a range: a few bytes of memo references can make those as long as they like."""
    if isinstance(value, list):
        kinds = sorted({type(item).__name__ for item in value if not isinstance(item, (int, np.integer)) or isinstance(item, bool)})
        if kinds:
            raise DatasetToolError("'%s': %s are a list holding %s, not integers." % (path, what, ", ".join(kinds)))
        try:
            value = np.array(value, np.int64) if value else np.zeros([0], np.int64)
        except OverflowError:
            raise DatasetToolError("'%s': %s hold integers beyond int64." % (path, what)) from None
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "ui":
        kind = ("%s array" % value.dtype) if isinstance(value, np.ndarray) else type(value).__name__
        raise DatasetToolError("'%s': %s are a %s, not integers stored as an array or a flat list." % (path, what, kind))
    return value


def _class_arrays(path, images_key, labels_key, flat):
    """(uint8 images, int64 labels) from one CIFAR/SVHN data file; flat: rows of 3072 bytes (CIFAR) to reshape to 3x32x32."""
    data = _load_data_pickle(path)
    try:
        images, labels = data[images_key], data[labels_key]
    except (KeyError, IndexError, TypeError) as err:
        raise DatasetToolError("'%s' does not hold images and labels as %r and %r (%s: %s)." % (path, images_key, labels_key, type(err).__name__, _reason(err)))
    images, labels = _integer_array(images, path, "images"), _integer_array(labels, path, "labels")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise DatasetToolError("'%s': image values must be 0..255, not %d..%d." % (path, images.min(), images.max()))
    try:
        images = images.astype(np.uint8).reshape(-1, 3, 32, 32) if flat else images.astype(np.uint8)
    except ValueError as err:
        raise DatasetToolError("'%s' does not hold 3x32x32 images (%s)." % (path, _reason(err)))
    return images, labels.astype(np.int64)


def _open_class_dataset(files, images_key, labels_key, num_classes, source, flat=True):
    images, labels = zip(*[_class_arrays(path, images_key, labels_key, flat) for path in files])
    if any(batch.ndim != 4 or batch.shape[1:] != (3, 32, 32) for batch in images):
        raise DatasetToolError("%s: expected 3x32x32 images, got shapes %s." % (source, [list(batch.shape) for batch in images]))
    images, labels = np.concatenate(images), np.concatenate(labels)
    if labels.shape != (images.shape[0],) or labels.min(initial=0) < 0 or labels.max(initial=0) >= num_classes:
        raise DatasetToolError("%s: expected one label 0..%d per image." % (source, num_classes - 1))
    return _indexed(images, _one_hot(labels, num_classes), _shuffled_order(len(images)))


def open_cifar10(cifar10_dir):
    files = [os.path.join(cifar10_dir, "data_batch_%d" % batch) for batch in range(1, 6)]
    return _open_class_dataset(files, "data", "labels", 10, cifar10_dir)


def open_cifar100(cifar100_dir):
    return _open_class_dataset([os.path.join(cifar100_dir, "train")], "data", "fine_labels", 100, cifar100_dir)


def open_svhn(svhn_dir):
    files = [os.path.join(svhn_dir, "train_%d.pkl" % part) for part in range(1, 4)]
    return _open_class_dataset(files, 0, 1, 10, svhn_dir, flat=False)


def create_mnist(tfrecord_dir, mnist_dir, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[mnist_dir])
    print(f'Loading MNIST from "{mnist_dir}"')
    convert_dataset(tfrecord_dir, *open_mnist(mnist_dir), compress=compress, overwrite=overwrite)


def create_mnistrgb(tfrecord_dir, mnist_dir, num_images=1000000, random_seed=123, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[mnist_dir])
    print(f'Loading MNIST from "{mnist_dir}"')
    convert_dataset(tfrecord_dir, *open_mnistrgb(mnist_dir, num_images, random_seed), compress=compress, overwrite=overwrite)


def create_cifar10(tfrecord_dir, cifar10_dir, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[cifar10_dir])
    print(f'Loading CIFAR-10 from "{cifar10_dir}"')
    convert_dataset(tfrecord_dir, *open_cifar10(cifar10_dir), compress=compress, overwrite=overwrite)


def create_cifar100(tfrecord_dir, cifar100_dir, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[cifar100_dir])
    print(f'Loading CIFAR-100 from "{cifar100_dir}"')
    convert_dataset(tfrecord_dir, *open_cifar100(cifar100_dir), compress=compress, overwrite=overwrite)


def create_svhn(tfrecord_dir, svhn_dir, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[svhn_dir])
    print(f'Loading SVHN from "{svhn_dir}"')
    convert_dataset(tfrecord_dir, *open_svhn(svhn_dir), compress=compress, overwrite=overwrite)

# ----------------------------------------------------------------------------
# LSUN (LMDB archives of encoded images).


@contextlib.contextmanager
def _lmdb_transaction(lmdb_dir):
    """A read transaction on an LMDB database; LMDB failures (also while iterating) become one DatasetToolError."""
    try:
        import lmdb
    except ImportError:
        raise DatasetToolError("LSUN commands need the lmdb module: pip install -e .[lsun]")
    if not os.path.exists(lmdb_dir):
        raise DatasetToolError("LMDB database not found: '%s'." % lmdb_dir)
    try:
        env = lmdb.open(lmdb_dir, readonly=True, lock=False)
    except lmdb.Error as err:
        raise DatasetToolError("Cannot open LMDB database '%s': %s" % (lmdb_dir, _reason(err)))
    try:
        with env, env.begin(write=False) as txn:
            yield txn
    except lmdb.Error as err:
        raise DatasetToolError("Cannot read LMDB database '%s': %s" % (lmdb_dir, _reason(err)))


def _decode_image(value):
    """RGB uint8 HWC from encoded bytes: OpenCV when installed (as the original), else PIL."""
    try:
        import cv2
        img = cv2.imdecode(np.frombuffer(value, dtype=np.uint8), 1)
        if img is not None:
            return img[:, :, ::-1]
    except ImportError:
        pass
    return np.asarray(dnnlib.util.open_image(io.BytesIO(value)).convert("RGB"))


def open_lsun(txn, convert, max_images, report_entries=False):
    """Entries converted by convert(decoded RGB image) -> CHW image or None (skip); broken entries are printed and skipped.

    report_entries: print the original create_lsun_wide's "entries read / total => images added" at the end.
    """
    if max_images is not None and max_images < 1:
        raise DatasetToolError("--max_images must be at least 1, not %d." % max_images)
    total_entries = txn.stat()["entries"]
    num_images = total_entries if max_images is None else max_images

    def items():
        added = entry = 0
        for entry, (_key, value) in enumerate(txn.cursor(), start=1):  # noqa: B007 (entry is reported after the loop)
            try:
                img = convert(_decode_image(value))
            except Exception as err:  # as in the original
                print(err)
                continue
            if img is not None:
                yield img, None
                added += 1
            if added == num_images:
                break
        if report_entries:
            print("%d / %d => %d" % (entry, total_entries, added))
    return num_images, items()


def create_lsun(tfrecord_dir, lmdb_dir, resolution=256, max_images=None, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[lmdb_dir])

    def center_square(img):
        crop = np.min(img.shape[:2])
        img = img[(img.shape[0] - crop) // 2: (img.shape[0] + crop) // 2, (img.shape[1] - crop) // 2: (img.shape[1] + crop) // 2]
        img = PIL.Image.fromarray(img, "RGB").resize((resolution, resolution), PIL.Image.LANCZOS)
        return np.asarray(img).transpose([2, 0, 1])
    print(f'Loading LSUN dataset from "{lmdb_dir}"')
    with _lmdb_transaction(lmdb_dir) as txn:
        convert_dataset(tfrecord_dir, *open_lsun(txn, center_square, max_images), compress=compress, overwrite=overwrite)


def create_lsun_wide(tfrecord_dir, lmdb_dir, width=512, height=384, max_images=None, compress=False, overwrite=False):
    if height > width:
        raise DatasetToolError("--height (%d) must not exceed --width (%d)." % (height, width))
    _check_output(tfrecord_dir, overwrite, sources=[lmdb_dir])

    def letterbox(img):
        rows_h, cols_w = img.shape[:2]
        crop_h = int(np.round(width * rows_h / cols_w))  # the height that keeps the aspect ratio at `width`
        if cols_w < width or crop_h < height:
            return None
        img = img[(rows_h - crop_h) // 2: (rows_h + crop_h) // 2]  # rows only, as the original
        img = PIL.Image.fromarray(img, "RGB").resize((width, height), PIL.Image.LANCZOS)
        canvas = np.zeros((3, width, width), np.uint8)
        canvas[:, (width - height) // 2: (width + height) // 2] = np.asarray(img).transpose([2, 0, 1])
        return canvas
    print(f'Loading LSUN dataset from "{lmdb_dir}"')
    with _lmdb_transaction(lmdb_dir) as txn:
        num_images, items = open_lsun(txn, letterbox, max_images, report_entries=True)
        convert_dataset(tfrecord_dir, num_images, items, compress=compress, overwrite=overwrite, print_progress=False)

# ----------------------------------------------------------------------------
# Folders of images and HDF5 archives.

@contextlib.contextmanager
def _open_image(path):
    """A PIL image (within Pillow's pixel limit, dnnlib.util.open_image); any failure to read or decode it (inside
    the with block too) is one DatasetToolError."""
    try:
        with dnnlib.util.open_image(path) as img:
            yield img
    except DatasetToolError:
        raise
    except Exception as err:
        raise DatasetToolError("Cannot read image '%s': %s." % (path, _reason(err).rstrip(".")))


def _check_pixel_format(img, path):
    if img.mode in ("I", "F") and not dnnlib.util.is_16bit_gray(img):
        raise DatasetToolError("'%s' stores %s pixels (PIL mode %s) with no fixed 8-bit scale; convert it to 8-bit grayscale or RGB first."
                               % (path, "32-bit integer" if img.mode == "I" else "floating-point", img.mode))


def _pixels(img, mode, path):
    """uint8 HW or HWC pixels in `mode` ('L', 'RGB', or None = as stored); 16-bit grayscale is scaled by 1/257."""
    _check_pixel_format(img, path)
    if dnnlib.util.is_16bit_gray(img):
        gray = dnnlib.util.gray16_to_uint8(img)
        return np.repeat(gray[:, :, np.newaxis], 3, axis=2) if mode == "RGB" else gray
    return np.asarray(img if mode is None or img.mode == mode else img.convert(mode))


def _read_image(path, mode=None):
    with _open_image(path) as img:
        return _pixels(img, mode, path)


def open_celeba(celeba_dir, cx, cy):
    folder = os.path.join(celeba_dir, "img_align_celeba_png")
    image_filenames = [os.path.join(folder, name) for name in _list_dir(folder, "CelebA image directory") if name.endswith(".png")]
    if len(image_filenames) != CELEBA_NUM_IMAGES:
        raise DatasetToolError("Expected to find %d images" % CELEBA_NUM_IMAGES)

    def items():
        for idx in _shuffled_order(len(image_filenames)):
            img = _read_image(image_filenames[idx])
            if img.shape != (218, 178, 3):
                raise DatasetToolError("'%s' is %s, expected 178x218 RGB." % (image_filenames[idx], img.shape))
            yield img[cy - 64: cy + 64, cx - 64: cx + 64].transpose(2, 0, 1), None
    return len(image_filenames), items()


def _list_images(image_dir):
    names = _list_dir(image_dir, "Image directory")
    files = [os.path.join(image_dir, name) for name in names]
    images = [f for f in files if os.path.splitext(f)[1].lower() in IMAGE_EXTENSIONS and os.path.isfile(f)]
    if len(images) < len(files):
        print("Skipping %d files that are not %s images" % (len(files) - len(images), "/".join(e[1:] for e in IMAGE_EXTENSIONS)))
    if not images:
        raise DatasetToolError("No input images found in '%s'." % image_dir)
    return images


def _inspect_images(image_filenames):
    """Check every image's size (header only) and choose the channel count from the first one."""
    sizes, modes = [], []
    for path in image_filenames:
        with _open_image(path) as img:
            _check_pixel_format(img, path)
            sizes.append(img.size)
            modes.append(img.mode)
    width, height = sizes[0]
    if width != height:
        raise DatasetToolError("Input images must have the same width and height (%s is %dx%d)." % (image_filenames[0], width, height))
    if width != 2 ** int(np.floor(np.log2(width))) or width < 4:
        raise DatasetToolError("Input image resolution must be a power-of-two, at least 4 (%s is %dx%d)." % (image_filenames[0], width, height))
    wrong = [(path, size) for path, size in zip(image_filenames, sizes) if size != sizes[0]]
    if wrong:
        listing = "; ".join("%s is %dx%d" % (os.path.basename(p), s[0], s[1]) for p, s in wrong[:20])
        more = " and %d more" % (len(wrong) - 20) if len(wrong) > 20 else ""
        raise DatasetToolError("%d images differ from %dx%d: %s%s." % (len(wrong), width, height, listing, more))
    channels = 1 if modes[0] in ("1", "L") or modes[0].startswith("I") else 3
    target_mode = "L" if channels == 1 else "RGB"
    converted = sorted(set(mode for mode in modes if mode != target_mode))
    if converted:
        count = sum(mode != target_mode for mode in modes)
        print("Converting %d images (%s) to %s" % (count, ", ".join(converted), target_mode))
    return target_mode


def open_image_folder(image_dir, shuffle):
    image_filenames = _list_images(image_dir)
    mode = _inspect_images(image_filenames)

    def items():
        for idx in _write_order(len(image_filenames), shuffle):
            img = _read_image(image_filenames[idx], mode)
            yield (img[np.newaxis, :, :] if img.ndim == 2 else img.transpose([2, 0, 1])), None
    return len(image_filenames), items()


def create_celeba(tfrecord_dir, celeba_dir, cx=89, cy=121, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[celeba_dir])
    print(f'Loading CelebA from "{celeba_dir}"')
    convert_dataset(tfrecord_dir, *open_celeba(celeba_dir, cx, cy), compress=compress, overwrite=overwrite)


def create_from_images(tfrecord_dir, image_dir, shuffle, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[image_dir])
    print(f'Loading images from "{image_dir}"')
    convert_dataset(tfrecord_dir, *open_image_folder(image_dir, shuffle), compress=compress, overwrite=overwrite)


def open_hdf5(hdf5_file, hdf5_filename, shuffle):
    """The largest data* dataset of an open HDF5 archive, with labels from '<name>-labels.npy' if that exists."""
    import h5py
    candidates = [item for key, item in hdf5_file.items() if key.startswith("data") and isinstance(item, h5py.Dataset) and item.ndim == 4]
    if not candidates:
        raise DatasetToolError("'%s' has no 4-D datasets named data*." % hdf5_filename)
    hdf5_data = max(candidates, key=lambda lod: lod.shape[3])
    if hdf5_data.dtype != np.uint8:
        raise DatasetToolError("'%s': %s holds %s values, expected uint8." % (hdf5_filename, hdf5_data.name, hdf5_data.dtype))
    if PIL.Image.MAX_IMAGE_PIXELS and hdf5_data.shape[2] * hdf5_data.shape[3] > PIL.Image.MAX_IMAGE_PIXELS:  # create_from_images' limit
        raise DatasetToolError("'%s': %s holds %dx%d images, more than %d pixels." % (hdf5_filename, hdf5_data.name, hdf5_data.shape[3],
                                                                                       hdf5_data.shape[2], PIL.Image.MAX_IMAGE_PIXELS))
    if not _stored_in_full(hdf5_data):
        raise DatasetToolError("'%s': %s declares %s images but the file does not store them all (unwritten parts would read as zeros)."
                               % (hdf5_filename, hdf5_data.name, "x".join(map(str, hdf5_data.shape))))
    labels = None
    npy_filename = os.path.splitext(hdf5_filename)[0] + "-labels.npy"
    if os.path.isfile(npy_filename):
        from training.dataset import read_label_array
        labels = read_label_array(npy_filename)
        if labels.ndim == 0 or labels.shape[0] < hdf5_data.shape[0]:
            raise DatasetToolError("'%s' has %d rows for %d images." % (npy_filename, labels.shape[0] if labels.ndim else 0, hdf5_data.shape[0]))
    return _indexed(_HDF5Images(hdf5_data, hdf5_filename), labels, _write_order(hdf5_data.shape[0], shuffle))


def _stored_in_full(data):
    """Whether an HDF5 dataset stores every element it declares. Unwritten chunks, or an unwritten contiguous dataset,
    read as the fill value: a 1 KB file could declare terabytes of images."""
    if data.chunks is None:
        return data.id.get_storage_size() >= data.size * data.dtype.itemsize
    chunks_per_axis = [-(-dim // chunk) for dim, chunk in zip(data.shape, data.chunks)]
    if not hasattr(data.id, "get_num_chunks"):
        raise DatasetToolError("create_from_hdf5 needs h5py built on HDF5 1.10.5 or newer (to count a dataset's stored chunks).")
    return data.id.get_num_chunks() == int(np.prod(chunks_per_axis, dtype=object))


class _HDF5Images:
    """Indexing into an HDF5 dataset, with read failures (corrupt chunks) reported as one line."""

    def __init__(self, data, filename):
        self.data, self.filename = data, filename

    def __getitem__(self, idx):
        try:
            return self.data[idx]
        except (OSError, ValueError, KeyError) as err:
            raise DatasetToolError("Cannot read image %d of '%s': %s." % (idx, self.filename, _reason(err)))


def create_from_hdf5(tfrecord_dir, hdf5_filename, shuffle, compress=False, overwrite=False):
    _check_output(tfrecord_dir, overwrite, sources=[hdf5_filename])
    print(f'Loading HDF5 archive from "{hdf5_filename}"')
    try:
        import h5py
    except ImportError:
        raise DatasetToolError("create_from_hdf5 needs the h5py module: pip install -e .[hdf5]")
    _open_input(hdf5_filename, "HDF5 archive").close()
    try:
        hdf5_file = h5py.File(hdf5_filename, "r")
    except OSError as err:
        raise DatasetToolError("Cannot open HDF5 archive '%s': %s" % (hdf5_filename, _reason(err)))
    with hdf5_file:
        convert_dataset(tfrecord_dir, *open_hdf5(hdf5_file, hdf5_filename, shuffle), compress=compress, overwrite=overwrite)

# ----------------------------------------------------------------------------


def execute_cmdline(argv):
    prog = argv[0]
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Tool for creating multi-resolution TFRecords datasets for StyleGAN and ProGAN.",
        epilog='Type "%s <command> -h" for more information.' % prog)
    subparsers = parser.add_subparsers(dest="command")
    subparsers.required = True

    def add_command(cmd, desc, example=None, creates=True, source=None):
        """A subcommand; create_* commands get tfrecord_dir and their (name, help) source argument."""
        epilog = "Example: %s %s" % (prog, example) if example is not None else None
        command = subparsers.add_parser(cmd, description=desc, help=desc, epilog=epilog)
        if source is not None:
            command.add_argument("tfrecord_dir", help="New dataset directory to be created")
            command.add_argument(source[0], help=source[1])
        if creates:
            command.add_argument("--compress", action="store_true", help="Write GZIP-compressed records (readable by this reader only)")
        if creates or cmd == "extract":
            command.add_argument("--overwrite", action="store_true", help="Replace the output directory if it exists")
        return command

    p = add_command("display", "Display images in dataset.", "display datasets/mnist", creates=False)
    p.add_argument("tfrecord_dir", help="Directory containing dataset")

    p = add_command("extract", "Extract images from dataset.", "extract datasets/mnist mnist-images", creates=False)
    p.add_argument("tfrecord_dir", help="Directory containing dataset")
    p.add_argument("output_dir", help="Directory to extract the images into")

    p = add_command("compare", "Compare two datasets.", "compare datasets/mydataset datasets/mnist", creates=False)
    p.add_argument("tfrecord_dir_a", help="Directory containing first dataset")
    p.add_argument("tfrecord_dir_b", help="Directory containing second dataset")
    p.add_argument("--ignore_labels", help="Ignore labels (default: 0)", type=int, default=0)

    add_command("create_mnist", "Create dataset for MNIST.", "create_mnist datasets/mnist ~/downloads/mnist", source=("mnist_dir", "Directory containing MNIST"))

    p = add_command("create_mnistrgb", "Create dataset for MNIST-RGB.", "create_mnistrgb datasets/mnistrgb ~/downloads/mnist", source=("mnist_dir", "Directory containing MNIST"))
    p.add_argument("--num_images", help="Number of composite images to create (default: 1000000)", type=arguments.nonnegative_int, default=1000000)
    p.add_argument("--random_seed", help="Random seed (default: 123)", type=arguments.seed, default=123)

    add_command("create_cifar10", "Create dataset for CIFAR-10.", "create_cifar10 datasets/cifar10 ~/downloads/cifar10", source=("cifar10_dir", "Directory containing CIFAR-10"))

    add_command("create_cifar100", "Create dataset for CIFAR-100.", "create_cifar100 datasets/cifar100 ~/downloads/cifar100", source=("cifar100_dir", "Directory containing CIFAR-100"))

    add_command("create_svhn", "Create dataset for SVHN.", "create_svhn datasets/svhn ~/downloads/svhn", source=("svhn_dir", "Directory containing SVHN"))

    p = add_command("create_lsun", "Create dataset for single LSUN category.",
                    "create_lsun datasets/lsun-car-100k ~/downloads/lsun/car_lmdb --resolution 256 --max_images 100000", source=("lmdb_dir", "Directory containing LMDB database"))
    p.add_argument("--resolution", help="Output resolution (default: 256)", type=arguments.image_size, default=256)
    p.add_argument("--max_images", help="Maximum number of images (default: none)", type=int, default=None)

    p = add_command("create_lsun_wide", "Create LSUN dataset with non-square aspect ratio.",
                    "create_lsun_wide datasets/lsun-car-512x384 ~/downloads/lsun/car_lmdb --width 512 --height 384", source=("lmdb_dir", "Directory containing LMDB database"))
    p.add_argument("--width", help="Output width (default: 512)", type=arguments.image_size, default=512)
    p.add_argument("--height", help="Output height (default: 384)", type=arguments.positive_int, default=384)
    p.add_argument("--max_images", help="Maximum number of images (default: none)", type=int, default=None)

    p = add_command("create_celeba", "Create dataset for CelebA.", "create_celeba datasets/celeba ~/downloads/celeba", source=("celeba_dir", "Directory containing CelebA"))
    p.add_argument("--cx", help="Center X coordinate (default: 89)", type=int, default=89)
    p.add_argument("--cy", help="Center Y coordinate (default: 121)", type=int, default=121)

    p = add_command("create_from_images", "Create dataset from a directory full of images.", "create_from_images datasets/mydataset myimagedir", source=("image_dir", "Directory containing the images"))
    p.add_argument("--shuffle", help="Randomize image order (default: 1)", type=int, default=1)

    p = add_command("create_from_hdf5", "Create dataset from legacy HDF5 archive.", "create_from_hdf5 datasets/celebahq ~/downloads/celeba-hq-1024x1024.h5", source=("hdf5_filename", "HDF5 archive containing the images"))
    p.add_argument("--shuffle", help="Randomize image order (default: 1)", type=int, default=1)

    args = parser.parse_args(argv[1:] if len(argv) > 1 else ["-h"])
    func = globals()[args.command]
    del args.command
    try:
        func(**vars(args))
    except (DatasetToolError, dnnlib.util.UserError) as err:
        error(str(err))
    except OSError as err:  # a failure no command anticipated: still one line
        error("%s%s." % ("'%s': " % err.filename if err.filename else "", _reason(err)))
    except KeyboardInterrupt:
        error("Interrupted; no dataset was written.")


if __name__ == "__main__":
    execute_cmdline(sys.argv)
