"""Multi-resolution TFRecord datasets as written by dataset_tool.py (and by the original tool).

A dataset directory holds one .tfrecords file per resolution (4x4 up to the
full size) and optionally a .labels file (NumPy, one row per image). Records
may be GZIP-compressed; the reader detects that from the file contents.
"""

import glob
import os

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib
import dnnlib.tflib as tflib

_MAX_UNLABELED_IMAGES = 1 << 20  # without labels, images are zipped with this many empty label rows (the original's limit)


class DatasetError(dnnlib.util.UserError):
    """A dataset directory that cannot be used; the message says why."""


def parse_tfrecord_tf(record):
    """Graph op: serialized Example -> uint8 [C, H, W]."""
    spec = {"shape": tf.io.FixedLenFeature([3], tf.int64), "data": tf.io.FixedLenFeature([], tf.string)}
    parsed = tf.io.parse_single_example(record, features=spec)
    return tf.reshape(tf.io.decode_raw(parsed["data"], tf.uint8), parsed["shape"])


def parse_tfrecord_np(record):
    """NumPy: serialized Example -> uint8 [C, H, W]."""
    features = tf.train.Example.FromString(record).features.feature
    pixels = np.frombuffer(features["data"].bytes_list.value[0], dtype=np.uint8)
    return pixels.reshape(tuple(features["shape"].int64_list.value))


def compression_type(tfr_file):
    """'GZIP' for gzip-compressed record files (magic bytes 1f 8b), else '' (the original's format)."""
    with open(tfr_file, "rb") as f:
        magic = f.read(2)
    return "GZIP" if magic == b"\x1f\x8b" else ""


def read_first_record(tfr_file):
    options = tf.io.TFRecordOptions(compression_type=compression_type(tfr_file))
    try:
        for record in tf.io.tf_record_iterator(tfr_file, options):
            return parse_tfrecord_np(record)
    except Exception as err:
        raise DatasetError("Cannot read '%s': %s" % (tfr_file, str(err).splitlines()[0] if str(err) else type(err).__name__))
    raise DatasetError("'%s' holds no records." % tfr_file)


def _items_in(megabytes, item_bytes):
    """How many items of item_bytes fit in a buffer of `megabytes` MB (rounded up)."""
    return -(-(megabytes << 20) // item_bytes)


class TFRecordDataset:
    """Streams minibatches of one level of detail (lod) from a multi-resolution TFRecord dataset."""

    def __init__(self,
                 tfrecord_dir,              # directory with the .tfrecords files (and an optional .labels file)
                 resolution=None,           # None = highest resolution in the directory
                 label_file=None,           # None = first *.labels in the directory
                 max_label_size=0,          # 0 = no labels, 'full' = all columns, N = first N columns
                 repeat=True,               # loop over the data forever
                 shuffle_mb=4096,           # shuffle buffer in MB; 0 = no shuffling
                 prefetch_mb=2048,          # prefetch buffer in MB; 0 = none
                 buffer_mb=256,             # read buffer per file in MB
                 num_threads=2):            # parallel record parsing
        self.tfrecord_dir = tfrecord_dir
        self.label_file = label_file
        self.dtype = "uint8"
        self.dynamic_range = [0, 255]
        self._minibatch_size = self._lod = -1
        self._numpy_batch = None

        levels = self._find_levels(resolution)
        self._labels = self._read_labels(max_label_size)
        self.label_size = int(self._labels.shape[1])
        self.label_dtype = self._labels.dtype.name

        with tf.name_scope("Dataset"), tf.device("/cpu:0"):
            self._minibatch_in = tf.placeholder(tf.int64, name="minibatch_in", shape=[])
            self._labels_var = tflib.create_var_with_large_initial_value(self._labels, name="labels_var")
            label_rows = tf.data.Dataset.from_tensor_slices(self._labels_var)
            pipelines = {lod: self._pipeline(path, shape, label_rows, repeat, shuffle_mb, prefetch_mb, buffer_mb, num_threads)
                         for path, shape, lod in levels if lod >= 0}
            self._iterator = tf.data.Iterator.from_structure(tf.data.get_output_types(pipelines[0]), tf.data.get_output_shapes(pipelines[0]))
            self._initializers = {lod: self._iterator.make_initializer(pipeline) for lod, pipeline in pipelines.items()}

    def _pipeline(self, path, shape, label_rows, repeat, shuffle_mb, prefetch_mb, buffer_mb, num_threads):
        """records -> (image, label) pairs -> shuffle -> repeat -> prefetch -> minibatches, for one resolution."""
        item_bytes = int(np.prod(shape)) * np.dtype(self.dtype).itemsize
        images = tf.data.TFRecordDataset(path, compression_type=compression_type(path), buffer_size=buffer_mb << 20)
        pairs = tf.data.Dataset.zip((images.map(parse_tfrecord_tf, num_parallel_calls=num_threads), label_rows))
        if shuffle_mb > 0:
            pairs = pairs.shuffle(_items_in(shuffle_mb, item_bytes))
        if repeat:
            pairs = pairs.repeat()
        if prefetch_mb > 0:
            pairs = pairs.prefetch(_items_in(prefetch_mb, item_bytes))
        return pairs.batch(self._minibatch_in)

    def _find_levels(self, resolution):
        """[(file, shape, lod)] after checking that the files form a complete pyramid; sets the shape attributes."""
        if not os.path.exists(self.tfrecord_dir) or not os.path.isdir(self.tfrecord_dir):
            raise DatasetError("Dataset directory '%s' does not exist." % self.tfrecord_dir)
        paths = sorted(glob.glob(os.path.join(self.tfrecord_dir, "*.tfrecords")))
        if not paths:
            raise DatasetError("No .tfrecords files in '%s'; create the dataset with dataset_tool.py." % self.tfrecord_dir)
        self._locate_label_file()

        shapes = [read_first_record(path).shape for path in paths]
        largest = max(shapes, key=lambda shape: int(np.prod(shape)))
        self.resolution = largest[1] if resolution is None else resolution
        self.resolution_log2 = int(np.round(np.log2(self.resolution)))
        self.shape = [largest[0], self.resolution, self.resolution]
        lods = [self.resolution_log2 - int(np.log2(shape[1])) for shape in shapes]
        for path, (channels, height, width), lod in zip(paths, shapes, lods):
            if channels != largest[0]:
                raise DatasetError("'%s' has %d channels, other files %d." % (path, channels, largest[0]))
            if height != width:
                raise DatasetError("'%s' holds non-square %dx%d images." % (path, width, height))
            if lod >= 0 and height * 2 ** lod != self.resolution:
                raise DatasetError("'%s' has resolution %d, which is not %d / 2^k." % (path, height, self.resolution))
        missing = sorted(set(range(self.resolution_log2 - 1)) - set(lods))
        if missing:
            sizes = ", ".join("%dx%d" % (self.resolution >> lod, self.resolution >> lod) for lod in missing)
            raise DatasetError("'%s' lacks the %s resolution files needed for resolution %d." % (self.tfrecord_dir, sizes, self.resolution))
        return list(zip(paths, shapes, lods))

    def _locate_label_file(self):
        if self.label_file is None:
            found = sorted(glob.glob(os.path.join(self.tfrecord_dir, "*.labels")))
            self.label_file = found[0] if found else None
        elif not os.path.isfile(self.label_file) and os.path.isfile(os.path.join(self.tfrecord_dir, self.label_file)):
            self.label_file = os.path.join(self.tfrecord_dir, self.label_file)

    def _read_labels(self, max_label_size):
        if not (max_label_size == "full" or (isinstance(max_label_size, int) and max_label_size >= 0)):
            raise DatasetError("max_label_size must be 'full' or a number >= 0, not %r." % (max_label_size,))
        if self.label_file is None or max_label_size == 0:
            return np.zeros([_MAX_UNLABELED_IMAGES, 0], dtype=np.float32)
        labels = np.load(self.label_file)
        if labels.ndim != 2:
            raise DatasetError("Label file '%s' must hold a 2-D array, not shape %s." % (self.label_file, labels.shape))
        return labels if max_label_size == "full" else labels[:, :max_label_size]

    def configure(self, minibatch_size,
                  lod=0):
        """Select minibatch size and level of detail; restarts the stream only when either changes."""
        lod = int(np.floor(lod))
        assert minibatch_size > 0 and lod in self._initializers, "no data for lod %d" % lod
        if (minibatch_size, lod) != (self._minibatch_size, self._lod):
            tflib.run(self._initializers[lod], {self._minibatch_in: minibatch_size})
            self._minibatch_size, self._lod = minibatch_size, lod

    def get_minibatch_tf(self):
        """(images uint8 [N, C, H, W], labels [N, label_size]) as graph tensors."""
        return self._iterator.get_next()

    def get_minibatch_np(self, minibatch_size,
                         lod=0):
        self.configure(minibatch_size, lod)
        if self._numpy_batch is None:
            self._numpy_batch = self.get_minibatch_tf()
        return tflib.run(self._numpy_batch)

    def get_random_labels_tf(self, count):
        """Labels of random dataset rows (a [count, 0] tensor without labels)."""
        if self.label_size == 0:
            return tf.zeros(shape=[count, 0], dtype=self.label_dtype)
        with tf.device("/cpu:0"):
            rows = tf.random.uniform([count], 0, self._labels.shape[0], dtype=tf.int32)
            return tf.gather(self._labels_var, rows)

    def get_random_labels_np(self, count):
        if self.label_size == 0:
            return np.zeros((count, 0), dtype=self.label_dtype)
        return self._labels[np.random.randint(self._labels.shape[0], size=[count])]


class SyntheticDataset:
    """A stand-in dataset that generates images on the fly (zeros unless a subclass draws something)."""

    def __init__(self, resolution=1024, num_channels=3, dtype="uint8", dynamic_range=[0, 255], label_size=0, label_dtype="float32"):
        self.resolution = resolution
        self.resolution_log2 = int(np.round(np.log2(resolution)))
        assert 2 ** self.resolution_log2 == resolution, "resolution must be a power of two"
        self.shape = [num_channels] + [resolution] * 2
        self.dtype, self.dynamic_range = dtype, dynamic_range
        self.label_size, self.label_dtype = label_size, label_dtype
        self._cached = {}
        with tf.name_scope("Dataset"):
            self._minibatch = tf.Variable(np.int32(0), name="minibatch_var")
            self._lod = tf.Variable(np.int32(0), name="lod_var")

    def configure(self, minibatch_size,
                  lod=0):
        lod = int(np.floor(lod))
        assert minibatch_size > 0 and lod in range(self.resolution_log2 + 1)
        tflib.set_vars({self._minibatch: minibatch_size, self._lod: lod})

    def get_minibatch_tf(self):
        with tf.name_scope("SyntheticDataset"):
            shrink = tf.bitwise.left_shift(1, self._lod)
            size = [self.shape[0]] + [side // shrink for side in self.shape[1:]]
            return self._generate_images(self._minibatch, self._lod, size), self._generate_labels(self._minibatch)

    def _run_cached(self, key, make):
        if key not in self._cached:
            self._cached[key] = make()
        return tflib.run(self._cached[key])

    def get_minibatch_np(self, minibatch_size,
                         lod=0):
        self.configure(minibatch_size, lod)
        return self._run_cached("minibatch", self.get_minibatch_tf)

    def get_random_labels_tf(self, count):
        with tf.name_scope("SyntheticDataset"):
            return self._generate_labels(count)

    def get_random_labels_np(self, count):
        self.configure(count)
        return self._run_cached("labels", lambda: self.get_random_labels_tf(self._minibatch))

    def _generate_images(self, count, lod, shape):  # override to draw something
        return tf.zeros(tf.concat([[count], shape], axis=0), self.dtype)

    def _generate_labels(self, count):  # override to draw labels
        return tf.zeros(shape=[count, self.label_size], dtype=self.label_dtype)


def load_dataset(class_name="training.dataset.TFRecordDataset", data_dir=None, verbose=False, **kwargs):
    """Construct a dataset by class name; tfrecord_dir is taken relative to data_dir."""
    if data_dir is not None and "tfrecord_dir" in kwargs:
        kwargs = dict(kwargs, tfrecord_dir=os.path.join(data_dir, kwargs["tfrecord_dir"]))
    if verbose:
        print("Streaming data using %s..." % class_name)
    dataset_class = dnnlib.util.get_obj_by_name(class_name)
    dataset = dataset_class(**kwargs)
    if verbose:
        print("Dataset shape =", [int(v) for v in dataset.shape])
        print("Dynamic range =", dataset.dynamic_range)
        print("Label size    =", dataset.label_size)
    return dataset
