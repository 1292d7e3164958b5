"""Tool for creating multi-resolution TFRecords datasets for StyleGAN and ProGAN.

Datasets are written into a temporary directory next to the target and
renamed into place only when complete, so a failed or interrupted command
leaves nothing behind. Formats and preprocessing follow spec/40-dataset-tool.md.
"""

import argparse
import glob
import gzip
import io
import os
import shutil
import sys
import time
import uuid

import numpy as np
import PIL.Image

import dnnlib

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
CELEBA_NUM_IMAGES = 202599


class DatasetToolError(dnnlib.util.UserError):
    """Bad input for a dataset_tool command."""


def error(msg):
    print("Error: " + msg)
    sys.exit(1)


def _tf():
    """TensorFlow, imported on first use so that `dataset_tool.py -h` stays fast."""
    import dnnlib.tflib  # noqa: F401 (puts TensorFlow into the TF1 behaviour our reader expects)
    import tensorflow.compat.v1 as tf
    return tf

# ----------------------------------------------------------------------------
# Writing.


class _AtomicDirectory:
    """A temporary directory beside `target` that replaces it only when commit() is called."""

    def __init__(self, target, overwrite=False):
        self.target = os.path.normpath(target)
        if os.path.exists(self.target) and not overwrite:
            raise DatasetToolError("'%s' already exists; pass --overwrite to replace it." % target)
        parent = os.path.dirname(os.path.abspath(self.target))
        os.makedirs(parent, exist_ok=True)
        self.path = os.path.join(parent, ".%s.tmp-%s" % (os.path.basename(self.target), uuid.uuid4().hex[:8]))
        os.makedirs(self.path)

    def commit(self):
        if os.path.exists(self.target):
            shutil.rmtree(self.target)
        os.replace(self.path, self.target)

    def discard(self):
        shutil.rmtree(self.path, ignore_errors=True)


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
        self.progress_interval = max(int(progress_interval), 1)
        self.compress = compress
        self._start_time = time.time()

        if self.print_progress:
            print(f'Creating dataset "{tfrecord_dir}"')
        self._output = _AtomicDirectory(tfrecord_dir, overwrite=overwrite)
        name = os.path.basename(os.path.normpath(tfrecord_dir))
        self.tfr_prefix = os.path.join(self._output.path, name)

    def close(self):
        if self.print_progress:
            print("%-40s\r" % "Flushing data...", end="", flush=True)
        for writer in self.tfr_writers:
            writer.close()
        self.tfr_writers = []
        if self.cur_images == 0:
            self._output.discard()
            raise DatasetToolError("No images were added to '%s'." % self.tfrecord_dir)
        self._output.commit()
        if self.print_progress:
            print("%-40s\r" % "", end="", flush=True)
            print("Added %d images." % self.cur_images)

    def abort(self):
        for writer in self.tfr_writers:
            writer.close()
        self.tfr_writers = []
        self._output.discard()

    def choose_shuffled_order(self):
        """The order in which images (and labels) are written: a fixed permutation (seed 123)."""
        order = np.arange(self.expected_images)
        np.random.RandomState(seed=123).shuffle(order)  # fixed, whatever --random_seed says
        return order

    def _report_progress(self):
        if not self.print_progress or self.cur_images % self.progress_interval != 0:
            return
        line = "%d / %d" % (self.cur_images, self.expected_images)
        if self.cur_images > 0:
            rate = self.cur_images / max(time.time() - self._start_time, 1e-6)
            line += "  %.0f img/s  ETA %s" % (rate, dnnlib.util.format_time((self.expected_images - self.cur_images) / rate))
        print("%-50s\r" % line, end="", flush=True)

    def _open_writers(self, shape):
        tf = _tf()
        self.shape = shape
        self.resolution_log2 = int(np.log2(shape[1]))
        if shape[0] not in (1, 3):
            raise DatasetToolError("Images must have 1 or 3 channels, not %d." % shape[0])
        if shape[1] != shape[2]:
            raise DatasetToolError("Images must be square, not %dx%d." % (shape[2], shape[1]))
        if shape[1] != 2 ** self.resolution_log2 or shape[1] < 4:
            raise DatasetToolError("Image resolution must be a power of two of at least 4, not %d." % shape[1])
        options = tf.io.TFRecordOptions(compression_type="GZIP" if self.compress else "")
        for level in range(self.resolution_log2, 1, -1):  # full size down to 4x4: -r10 ... -r02 at 1024
            self.tfr_writers.append(tf.io.TFRecordWriter("%s-r%02d.tfrecords" % (self.tfr_prefix, level), options))

    def add_image(self, img):
        """img: uint8 [C, H, W]. Each further level is the 2x2 average of the previous level's float values."""
        tf = _tf()
        self._report_progress()
        if self.shape is None:
            self._open_writers(img.shape)
        if img.shape != self.shape:
            raise DatasetToolError("Image %d has shape %s, expected %s like the first one." % (self.cur_images, list(img.shape), list(self.shape)))
        level = img.astype(np.float32)
        for lod, writer in enumerate(self.tfr_writers):
            if lod:
                level = (level[:, 0::2, 0::2] + level[:, 0::2, 1::2] + level[:, 1::2, 0::2] + level[:, 1::2, 1::2]) * 0.25
            quantized = np.rint(level).clip(0, 255).astype(np.uint8)
            example = tf.train.Example(features=tf.train.Features(feature={
                "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=quantized.shape)),
                "data": tf.train.Feature(bytes_list=tf.train.BytesList(value=[quantized.tobytes()]))}))
            writer.write(example.SerializeToString())
        self.cur_images += 1

    def add_labels(self, labels):
        if self.print_progress:
            print("%-40s\r" % "Saving labels...", end="", flush=True)
        if labels.shape[0] != self.cur_images:
            raise DatasetToolError("Got %d labels for %d images." % (labels.shape[0], self.cur_images))
        with open(self.tfr_prefix + "-rxx.labels", "wb") as f:
            np.save(f, labels.astype(np.float32))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _one_hot(labels, num_classes):
    return np.eye(num_classes, dtype=np.float32)[labels]


def _write_shuffled(tfrecord_dir, images, onehot, compress, overwrite):
    with TFRecordExporter(tfrecord_dir, images.shape[0], compress=compress, overwrite=overwrite) as tfr:
        order = tfr.choose_shuffled_order()
        for idx in range(order.size):
            tfr.add_image(images[order[idx]])
        if onehot is not None:
            tfr.add_labels(onehot[order])

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
    print(f'Loading dataset "{tfrecord_dir}"')
    dset = _open_dataset(tfrecord_dir, 0)
    print(f'Extracting images to "{output_dir}"')
    output = _AtomicDirectory(output_dir, overwrite=overwrite)
    try:
        idx = 0
        while True:
            if idx % 10 == 0:
                print("%d\r" % idx, end="", flush=True)
            images, _labels = _next_image(dset)
            if images is None:
                break
            image = images[0]
            pil = PIL.Image.fromarray(image[0], "L") if image.shape[0] == 1 else PIL.Image.fromarray(image.transpose(1, 2, 0), "RGB")
            pil.save(os.path.join(output.path, "img%08d.png" % idx))
            idx += 1
    except BaseException:
        output.discard()
        raise
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
    idx = identical_images = identical_labels = 0
    while True:
        if idx % 100 == 0:
            print("%d\r" % idx, end="", flush=True)
        (images_a, labels_a), (images_b, labels_b) = _next_image(dset_a), _next_image(dset_b)
        ended = [images is None for images in (images_a, images_b)]
        if any(ended):
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
    print("Identical images: %d / %d" % (identical_images, idx))
    if not ignore_labels:
        print("Identical labels: %d / %d" % (identical_labels, idx))

# ----------------------------------------------------------------------------
# Creating datasets from the classic benchmarks.


def _require_file(path, what):
    if not os.path.isfile(path):
        raise DatasetToolError("%s not found: '%s'." % (what, path))
    return path


def _load_mnist_images(mnist_dir):
    path = _require_file(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz"), "MNIST images")
    with gzip.open(path, "rb") as file:
        images = np.frombuffer(file.read()[16:], dtype=np.uint8)  # after the idx header
    if images.size % (28 * 28) != 0:
        raise DatasetToolError("'%s' is not a 28x28 idx image file." % path)
    images = images.reshape(-1, 1, 28, 28)
    return np.pad(images, [(0, 0), (0, 0), (2, 2), (2, 2)], "constant", constant_values=0)


def create_mnist(tfrecord_dir, mnist_dir, compress=False, overwrite=False):
    print(f'Loading MNIST from "{mnist_dir}"')
    images = _load_mnist_images(mnist_dir)
    path = _require_file(os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz"), "MNIST labels")
    with gzip.open(path, "rb") as file:
        labels = np.frombuffer(file.read()[8:], dtype=np.uint8)
    if labels.shape != (images.shape[0],) or labels.max() > 9:
        raise DatasetToolError("'%s' does not hold one label 0..9 per image." % path)
    _write_shuffled(tfrecord_dir, images, _one_hot(labels, 10), compress, overwrite)


def create_mnistrgb(tfrecord_dir, mnist_dir, num_images=1000000, random_seed=123, compress=False, overwrite=False):
    print(f'Loading MNIST from "{mnist_dir}"')
    images = _load_mnist_images(mnist_dir)[:, 0]
    with TFRecordExporter(tfrecord_dir, num_images, compress=compress, overwrite=overwrite) as tfr:
        rng = np.random.RandomState(random_seed)
        for _ in range(num_images):
            picks = rng.randint(len(images), size=3)  # three random digits become R, G and B
            tfr.add_image(images[picks])


def _load_data_pickle(path):
    """A pickle of plain data (NumPy arrays, lists, dicts); never executes code from the file."""
    from dnnlib.tflib.loader import NUMPY_GLOBALS, SafeUnpickler
    _require_file(path, "Data file")
    with open(path, "rb") as file:
        try:
            return SafeUnpickler(file, allowed=NUMPY_GLOBALS, encoding="latin1").load()
        except Exception as err:
            raise DatasetToolError("Cannot read '%s': %s" % (path, err))


def _check_class_images(images, labels, num_classes, source):
    if images.ndim != 4 or images.shape[1:] != (3, 32, 32):
        raise DatasetToolError("%s: expected 3x32x32 images, got shape %s." % (source, list(images.shape)))
    if labels.shape != (images.shape[0],) or labels.min() < 0 or labels.max() >= num_classes:
        raise DatasetToolError("%s: expected one label 0..%d per image." % (source, num_classes - 1))


def create_cifar10(tfrecord_dir, cifar10_dir, compress=False, overwrite=False):
    print(f'Loading CIFAR-10 from "{cifar10_dir}"')
    images, labels = [], []
    for batch in range(1, 6):
        data = _load_data_pickle(os.path.join(cifar10_dir, "data_batch_%d" % batch))
        images.append(np.asarray(data["data"], np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(data["labels"], np.int64))
    images, labels = np.concatenate(images), np.concatenate(labels)
    _check_class_images(images, labels, 10, cifar10_dir)
    _write_shuffled(tfrecord_dir, images, _one_hot(labels, 10), compress, overwrite)


def create_cifar100(tfrecord_dir, cifar100_dir, compress=False, overwrite=False):
    print(f'Loading CIFAR-100 from "{cifar100_dir}"')
    data = _load_data_pickle(os.path.join(cifar100_dir, "train"))
    images = np.asarray(data["data"], np.uint8).reshape(-1, 3, 32, 32)
    labels = np.asarray(data["fine_labels"], np.int64)
    _check_class_images(images, labels, 100, cifar100_dir)
    _write_shuffled(tfrecord_dir, images, _one_hot(labels, 100), compress, overwrite)


def create_svhn(tfrecord_dir, svhn_dir, compress=False, overwrite=False):
    print(f'Loading SVHN from "{svhn_dir}"')
    images, labels = [], []
    for batch in range(1, 4):
        data = _load_data_pickle(os.path.join(svhn_dir, "train_%d.pkl" % batch))
        images.append(np.asarray(data[0], np.uint8))
        labels.append(np.asarray(data[1], np.int64))
    images, labels = np.concatenate(images), np.concatenate(labels)
    _check_class_images(images, labels, 10, svhn_dir)
    _write_shuffled(tfrecord_dir, images, _one_hot(labels, 10), compress, overwrite)

# ----------------------------------------------------------------------------
# LSUN (LMDB archives of encoded images).


def _open_lmdb(lmdb_dir):
    try:
        import lmdb
    except ImportError:
        raise DatasetToolError("LSUN commands need the lmdb module: pip install -e .[lsun]")
    if not os.path.exists(lmdb_dir):
        raise DatasetToolError("LMDB database not found: '%s'." % lmdb_dir)
    try:
        return lmdb.open(lmdb_dir, readonly=True, lock=False)
    except lmdb.Error as err:
        raise DatasetToolError("Cannot open LMDB database '%s': %s" % (lmdb_dir, err))


def _decode_image(value):
    """RGB uint8 HWC from encoded bytes: OpenCV when installed (as the original), else PIL."""
    try:
        import cv2
        img = cv2.imdecode(np.frombuffer(value, dtype=np.uint8), 1)
        if img is not None:
            return img[:, :, ::-1]
    except ImportError:
        pass
    return np.asarray(PIL.Image.open(io.BytesIO(value)).convert("RGB"))


def _export_lsun(tfrecord_dir, lmdb_dir, max_images, convert, compress, overwrite, wide=False):
    """Shared by the LSUN commands: convert(decoded RGB image) -> CHW image or None (skip); broken entries are reported and skipped."""
    print(f'Loading LSUN dataset from "{lmdb_dir}"')
    with _open_lmdb(lmdb_dir).begin(write=False) as txn:
        total_images = txn.stat()["entries"]
        if max_images is None:
            max_images = total_images
        with TFRecordExporter(tfrecord_dir, max_images, print_progress=not wide, compress=compress, overwrite=overwrite) as tfr:
            for entry, (_key, value) in enumerate(txn.cursor(), start=1):
                try:
                    img = convert(_decode_image(value))
                    if img is not None:
                        tfr.add_image(img)
                        if wide:  # create_lsun_wide reports entries read => images added instead of the exporter's progress
                            print("\r%d / %d => %d " % (entry, total_images, tfr.cur_images), end="")
                except DatasetToolError:
                    raise
                except Exception as err:  # as in the original
                    print(err)
                if tfr.cur_images == max_images:
                    break
    if wide:
        print()


def create_lsun(tfrecord_dir, lmdb_dir, resolution=256, max_images=None, compress=False, overwrite=False):
    def center_square(img):
        crop = np.min(img.shape[:2])
        img = img[(img.shape[0] - crop) // 2: (img.shape[0] + crop) // 2, (img.shape[1] - crop) // 2: (img.shape[1] + crop) // 2]
        img = PIL.Image.fromarray(img, "RGB").resize((resolution, resolution), PIL.Image.LANCZOS)
        return np.asarray(img).transpose([2, 0, 1])
    _export_lsun(tfrecord_dir, lmdb_dir, max_images, center_square, compress, overwrite)


def create_lsun_wide(tfrecord_dir, lmdb_dir, width=512, height=384, max_images=None, compress=False, overwrite=False):
    if width != 2 ** int(np.round(np.log2(width))):
        raise DatasetToolError("--width must be a power of two, not %d." % width)
    if height > width:
        raise DatasetToolError("--height (%d) must not exceed --width (%d)." % (height, width))

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
    _export_lsun(tfrecord_dir, lmdb_dir, max_images, letterbox, compress, overwrite, wide=True)

# ----------------------------------------------------------------------------
# Folders of images.


def create_celeba(tfrecord_dir, celeba_dir, cx=89, cy=121, compress=False, overwrite=False):
    print(f'Loading CelebA from "{celeba_dir}"')
    image_filenames = sorted(glob.glob(os.path.join(celeba_dir, "img_align_celeba_png", "*.png")))
    if len(image_filenames) != CELEBA_NUM_IMAGES:
        raise DatasetToolError("Expected to find %d images" % CELEBA_NUM_IMAGES)
    with TFRecordExporter(tfrecord_dir, len(image_filenames), compress=compress, overwrite=overwrite) as tfr:
        order = tfr.choose_shuffled_order()
        for idx in range(order.size):
            with PIL.Image.open(image_filenames[order[idx]]) as pil:
                img = np.asarray(pil)
            if img.shape != (218, 178, 3):
                raise DatasetToolError("'%s' is %s, expected 178x218 RGB." % (image_filenames[order[idx]], img.shape))
            img = img[cy - 64: cy + 64, cx - 64: cx + 64]
            tfr.add_image(img.transpose(2, 0, 1))


def _list_images(image_dir):
    if not os.path.isdir(image_dir):
        raise DatasetToolError("Image directory not found: '%s'." % image_dir)
    files = sorted(glob.glob(os.path.join(image_dir, "*")))
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
        try:
            with PIL.Image.open(path) as img:
                sizes.append(img.size)
                modes.append(img.mode)
        except Exception as err:
            raise DatasetToolError("Cannot read image '%s': %s" % (path, str(err).splitlines()[0] if str(err) else type(err).__name__))
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
    channels = 1 if modes[0] in ("1", "L", "I", "I;16", "F") else 3
    target_mode = "L" if channels == 1 else "RGB"
    converted = sorted(set(mode for mode in modes if mode != target_mode))
    if converted:
        count = sum(mode != target_mode for mode in modes)
        print("Converting %d images (%s) to %s" % (count, ", ".join(converted), target_mode))
    return target_mode


def create_from_images(tfrecord_dir, image_dir, shuffle, compress=False, overwrite=False):
    print(f'Loading images from "{image_dir}"')
    image_filenames = _list_images(image_dir)
    mode = _inspect_images(image_filenames)
    with TFRecordExporter(tfrecord_dir, len(image_filenames), compress=compress, overwrite=overwrite) as tfr:
        order = np.arange(len(image_filenames)) if not shuffle else tfr.choose_shuffled_order()
        for idx in range(order.size):
            path = image_filenames[order[idx]]
            try:
                with PIL.Image.open(path) as pil:
                    img = np.asarray(pil.convert(mode) if pil.mode != mode else pil)
            except Exception as err:
                raise DatasetToolError("Cannot read image '%s': %s" % (path, str(err).splitlines()[0] if str(err) else type(err).__name__))
            img = img[np.newaxis, :, :] if img.ndim == 2 else img.transpose([2, 0, 1])
            tfr.add_image(img)


def create_from_hdf5(tfrecord_dir, hdf5_filename, shuffle, compress=False, overwrite=False):
    print(f'Loading HDF5 archive from "{hdf5_filename}"')
    try:
        import h5py
    except ImportError:
        raise DatasetToolError("create_from_hdf5 needs the h5py module: pip install -e .[hdf5]")
    _require_file(hdf5_filename, "HDF5 archive")
    try:
        hdf5_file = h5py.File(hdf5_filename, "r")
    except OSError as err:
        raise DatasetToolError("Cannot open HDF5 archive '%s': %s" % (hdf5_filename, err))
    with hdf5_file:
        candidates = [hdf5_file[key] for key in hdf5_file.keys() if key.startswith("data")]
        if not candidates:
            raise DatasetToolError("'%s' has no datasets named data*." % hdf5_filename)
        hdf5_data = max(candidates, key=lambda lod: lod.shape[3])
        with TFRecordExporter(tfrecord_dir, hdf5_data.shape[0], compress=compress, overwrite=overwrite) as tfr:
            order = np.arange(len(hdf5_data)) if not shuffle else tfr.choose_shuffled_order()
            for idx in range(order.size):
                tfr.add_image(hdf5_data[order[idx]])
            npy_filename = os.path.splitext(hdf5_filename)[0] + "-labels.npy"
            if os.path.isfile(npy_filename):
                archive_labels = np.load(npy_filename)
                tfr.add_labels(archive_labels[order])

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
    p.add_argument("--num_images", help="Number of composite images to create (default: 1000000)", type=int, default=1000000)
    p.add_argument("--random_seed", help="Random seed (default: 123)", type=int, default=123)

    add_command("create_cifar10", "Create dataset for CIFAR-10.", "create_cifar10 datasets/cifar10 ~/downloads/cifar10", source=("cifar10_dir", "Directory containing CIFAR-10"))

    add_command("create_cifar100", "Create dataset for CIFAR-100.", "create_cifar100 datasets/cifar100 ~/downloads/cifar100", source=("cifar100_dir", "Directory containing CIFAR-100"))

    add_command("create_svhn", "Create dataset for SVHN.", "create_svhn datasets/svhn ~/downloads/svhn", source=("svhn_dir", "Directory containing SVHN"))

    p = add_command("create_lsun", "Create dataset for single LSUN category.",
                    "create_lsun datasets/lsun-car-100k ~/downloads/lsun/car_lmdb --resolution 256 --max_images 100000", source=("lmdb_dir", "Directory containing LMDB database"))
    p.add_argument("--resolution", help="Output resolution (default: 256)", type=int, default=256)
    p.add_argument("--max_images", help="Maximum number of images (default: none)", type=int, default=None)

    p = add_command("create_lsun_wide", "Create LSUN dataset with non-square aspect ratio.",
                    "create_lsun_wide datasets/lsun-car-512x384 ~/downloads/lsun/car_lmdb --width 512 --height 384", source=("lmdb_dir", "Directory containing LMDB database"))
    p.add_argument("--width", help="Output width (default: 512)", type=int, default=512)
    p.add_argument("--height", help="Output height (default: 384)", type=int, default=384)
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
    except KeyboardInterrupt:
        error("Interrupted; no dataset was written.")


if __name__ == "__main__":
    execute_cmdline(sys.argv)
