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


class DatasetError(dnnlib.util.UserError):
    """A dataset directory that cannot be used; the message says why."""


def parse_tfrecord_tf(record):
    """Graph op: serialized Example -> uint8 [C, H, W]."""
    features = tf.io.parse_single_example(record, features={
        "shape": tf.io.FixedLenFeature([3], tf.int64),
        "data": tf.io.FixedLenFeature([], tf.string)})
    data = tf.io.decode_raw(features["data"], tf.uint8)
    return tf.reshape(data, features["shape"])


def parse_tfrecord_np(record):
    """NumPy: serialized Example -> uint8 [C, H, W]."""
    example = tf.train.Example()
    example.ParseFromString(record)
    shape = example.features.feature["shape"].int64_list.value
    data = example.features.feature["data"].bytes_list.value[0]
    return np.frombuffer(data, np.uint8).reshape(shape)


def compression_type(tfr_file):
    """'GZIP' for gzip-compressed record files (magic bytes 1f 8b), else '' (the original's format)."""
    with open(tfr_file, "rb") as f:
        return "GZIP" if f.read(2) == b"\x1f\x8b" else ""


def read_first_record(tfr_file):
    options = tf.io.TFRecordOptions(compression_type=compression_type(tfr_file))
    try:
        for record in tf.io.tf_record_iterator(tfr_file, options):
            return parse_tfrecord_np(record)
    except Exception as err:
        raise DatasetError("Cannot read '%s': %s" % (tfr_file, str(err).splitlines()[0] if str(err) else type(err).__name__))
    raise DatasetError("'%s' holds no records." % tfr_file)


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
        self.resolution = None
        self.resolution_log2 = None
        self.shape = []                     # [channel, height, width]
        self.dtype = "uint8"
        self.dynamic_range = [0, 255]
        self.label_file = label_file
        self.label_size = None
        self.label_dtype = None
        self._np_labels = None
        self._tf_minibatch_in = None
        self._tf_labels_var = None
        self._tf_labels_dataset = None
        self._tf_datasets = dict()
        self._tf_iterator = None
        self._tf_init_ops = dict()
        self._tf_minibatch_np = None
        self._cur_minibatch = -1
        self._cur_lod = -1

        files, shapes, lods = self._inspect_files(resolution)
        self._np_labels = self._load_labels(max_label_size)
        self.label_size = self._np_labels.shape[1]
        self.label_dtype = self._np_labels.dtype.name

        with tf.name_scope("Dataset"), tf.device("/cpu:0"):
            self._tf_minibatch_in = tf.placeholder(tf.int64, name="minibatch_in", shape=[])
            self._tf_labels_var = tflib.create_var_with_large_initial_value(self._np_labels, name="labels_var")
            self._tf_labels_dataset = tf.data.Dataset.from_tensor_slices(self._tf_labels_var)
            for tfr_file, tfr_shape, tfr_lod in zip(files, shapes, lods):
                if tfr_lod < 0:
                    continue
                dset = tf.data.TFRecordDataset(tfr_file, compression_type=compression_type(tfr_file), buffer_size=buffer_mb << 20)
                dset = dset.map(parse_tfrecord_tf, num_parallel_calls=num_threads)
                dset = tf.data.Dataset.zip((dset, self._tf_labels_dataset))
                bytes_per_item = int(np.prod(tfr_shape)) * np.dtype(self.dtype).itemsize
                if shuffle_mb > 0:
                    dset = dset.shuffle(((shuffle_mb << 20) - 1) // bytes_per_item + 1)
                if repeat:
                    dset = dset.repeat()
                if prefetch_mb > 0:
                    dset = dset.prefetch(((prefetch_mb << 20) - 1) // bytes_per_item + 1)
                dset = dset.batch(self._tf_minibatch_in)
                self._tf_datasets[tfr_lod] = dset
            self._tf_iterator = tf.data.Iterator.from_structure(tf.data.get_output_types(self._tf_datasets[0]),
                                                                tf.data.get_output_shapes(self._tf_datasets[0]))
            self._tf_init_ops = {lod: self._tf_iterator.make_initializer(dset) for lod, dset in self._tf_datasets.items()}

    def _inspect_files(self, resolution):
        """Find the record files, check that they form a complete pyramid, and set the shape attributes."""
        if not os.path.isdir(self.tfrecord_dir):
            raise DatasetError("Dataset directory '%s' does not exist." % self.tfrecord_dir)
        files = sorted(glob.glob(os.path.join(self.tfrecord_dir, "*.tfrecords")))
        if not files:
            raise DatasetError("No .tfrecords files in '%s'; create the dataset with dataset_tool.py." % self.tfrecord_dir)
        if self.label_file is None:
            guess = sorted(glob.glob(os.path.join(self.tfrecord_dir, "*.labels")))
            self.label_file = guess[0] if guess else None
        elif not os.path.isfile(self.label_file):
            guess = os.path.join(self.tfrecord_dir, self.label_file)
            if os.path.isfile(guess):
                self.label_file = guess

        shapes = [read_first_record(f).shape for f in files]
        max_shape = max(shapes, key=np.prod)
        self.resolution = resolution if resolution is not None else max_shape[1]
        self.resolution_log2 = int(np.log2(self.resolution))
        self.shape = [max_shape[0], self.resolution, self.resolution]
        lods = [self.resolution_log2 - int(np.log2(shape[1])) for shape in shapes]
        for tfr_file, shape, lod in zip(files, shapes, lods):
            if shape[0] != max_shape[0]:
                raise DatasetError("'%s' has %d channels, other files %d." % (tfr_file, shape[0], max_shape[0]))
            if shape[1] != shape[2]:
                raise DatasetError("'%s' holds non-square %dx%d images." % (tfr_file, shape[2], shape[1]))
            if lod >= 0 and shape[1] != self.resolution // (2 ** lod):
                raise DatasetError("'%s' has resolution %d, which is not %d / 2^k." % (tfr_file, shape[1], self.resolution))
        missing = [lod for lod in range(self.resolution_log2 - 1) if lod not in lods]
        if missing:
            raise DatasetError("'%s' lacks the %s resolution files needed for resolution %d." % (
                self.tfrecord_dir, ", ".join("%dx%d" % (self.resolution >> lod, self.resolution >> lod) for lod in missing), self.resolution))
        return files, shapes, lods

    def _load_labels(self, max_label_size):
        if not (max_label_size == "full" or (isinstance(max_label_size, int) and max_label_size >= 0)):
            raise DatasetError("max_label_size must be 'full' or a number >= 0, not %r." % (max_label_size,))
        labels = np.zeros([1 << 20, 0], dtype=np.float32)
        if self.label_file is not None and max_label_size != 0:
            labels = np.load(self.label_file)
            if labels.ndim != 2:
                raise DatasetError("Label file '%s' must hold a 2-D array, not shape %s." % (self.label_file, labels.shape))
        if max_label_size != "full" and labels.shape[1] > max_label_size:
            labels = labels[:, :max_label_size]
        return labels

    def configure(self, minibatch_size, lod=0):
        """Select minibatch size and level of detail; restarts the stream only when either changes."""
        lod = int(np.floor(lod))
        assert minibatch_size >= 1 and lod in self._tf_datasets
        if self._cur_minibatch != minibatch_size or self._cur_lod != lod:
            self._tf_init_ops[lod].run({self._tf_minibatch_in: minibatch_size})
            self._cur_minibatch = minibatch_size
            self._cur_lod = lod

    def get_minibatch_tf(self):
        """(images uint8 [N, C, H, W], labels [N, label_size]) as graph tensors."""
        return self._tf_iterator.get_next()

    def get_minibatch_np(self, minibatch_size, lod=0):
        self.configure(minibatch_size, lod)
        if self._tf_minibatch_np is None:
            self._tf_minibatch_np = self.get_minibatch_tf()
        return tflib.run(self._tf_minibatch_np)

    def get_random_labels_tf(self, minibatch_size):
        if self.label_size > 0:
            with tf.device("/cpu:0"):
                indices = tf.random_uniform([minibatch_size], 0, self._np_labels.shape[0], dtype=tf.int32)
                return tf.gather(self._tf_labels_var, indices)
        return tf.zeros([minibatch_size, 0], self.label_dtype)

    def get_random_labels_np(self, minibatch_size):
        if self.label_size > 0:
            return self._np_labels[np.random.randint(self._np_labels.shape[0], size=[minibatch_size])]
        return np.zeros([minibatch_size, 0], self.label_dtype)


class SyntheticDataset:
    """A stand-in dataset that generates images on the fly (zeros unless a subclass draws something)."""

    def __init__(self, resolution=1024, num_channels=3, dtype="uint8", dynamic_range=[0, 255], label_size=0, label_dtype="float32"):
        self.resolution = resolution
        self.resolution_log2 = int(np.log2(resolution))
        self.shape = [num_channels, resolution, resolution]
        self.dtype = dtype
        self.dynamic_range = dynamic_range
        self.label_size = label_size
        self.label_dtype = label_dtype
        self._tf_minibatch_var = None
        self._tf_lod_var = None
        self._tf_minibatch_np = None
        self._tf_labels_np = None

        assert self.resolution == 2 ** self.resolution_log2
        with tf.name_scope("Dataset"):
            self._tf_minibatch_var = tf.Variable(np.int32(0), name="minibatch_var")
            self._tf_lod_var = tf.Variable(np.int32(0), name="lod_var")

    def configure(self, minibatch_size, lod=0):
        lod = int(np.floor(lod))
        assert minibatch_size >= 1 and 0 <= lod <= self.resolution_log2
        tflib.set_vars({self._tf_minibatch_var: minibatch_size, self._tf_lod_var: lod})

    def get_minibatch_tf(self):
        with tf.name_scope("SyntheticDataset"):
            shrink = tf.cast(2.0 ** tf.cast(self._tf_lod_var, tf.float32), tf.int32)
            shape = [self.shape[0], self.shape[1] // shrink, self.shape[2] // shrink]
            images = self._generate_images(self._tf_minibatch_var, self._tf_lod_var, shape)
            labels = self._generate_labels(self._tf_minibatch_var)
            return images, labels

    def get_minibatch_np(self, minibatch_size, lod=0):
        self.configure(minibatch_size, lod)
        if self._tf_minibatch_np is None:
            self._tf_minibatch_np = self.get_minibatch_tf()
        return tflib.run(self._tf_minibatch_np)

    def get_random_labels_tf(self, minibatch_size):
        with tf.name_scope("SyntheticDataset"):
            return self._generate_labels(minibatch_size)

    def get_random_labels_np(self, minibatch_size):
        self.configure(minibatch_size)
        if self._tf_labels_np is None:
            self._tf_labels_np = self.get_random_labels_tf(minibatch_size)
        return tflib.run(self._tf_labels_np)

    def _generate_images(self, minibatch, lod, shape):
        return tf.zeros([minibatch] + shape, self.dtype)

    def _generate_labels(self, minibatch):
        return tf.zeros([minibatch, self.label_size], self.label_dtype)


def load_dataset(class_name="training.dataset.TFRecordDataset", data_dir=None, verbose=False, **kwargs):
    """Construct a dataset by class name; tfrecord_dir is taken relative to data_dir."""
    adjusted_kwargs = dict(kwargs)
    if "tfrecord_dir" in adjusted_kwargs and data_dir is not None:
        adjusted_kwargs["tfrecord_dir"] = os.path.join(data_dir, adjusted_kwargs["tfrecord_dir"])
    if verbose:
        print("Streaming data using %s..." % class_name)
    dataset = dnnlib.util.get_obj_by_name(class_name)(**adjusted_kwargs)
    if verbose:
        print("Dataset shape =", np.int32(dataset.shape).tolist())
        print("Dynamic range =", dataset.dynamic_range)
        print("Label size    =", dataset.label_size)
    return dataset
