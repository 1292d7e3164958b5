"""Multi-resolution TFRecord datasets as written by dataset_tool.py (and by the original tool).

A dataset directory holds one .tfrecords file per resolution (4x4 up to the
full size) and optionally a .labels file (NumPy, one row per image). Records
may be GZIP-compressed; the reader detects that from the file contents. On
opening, every level must hold the same number of records and the labels as
many rows; corrupt records met later raise DatasetError naming the file.
"""

import gzip
import os
import re
import struct

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib
import dnnlib.tflib as tflib

_MAX_UNLABELED_IMAGES = 1 << 20  # without labels, images are zipped with this many empty label rows (the original's limit)


class DatasetError(dnnlib.util.UserError):
    """A dataset directory that cannot be used, or a record that cannot be read; the message says why."""


READ_ERRORS = (tf.errors.DataLossError, tf.errors.InvalidArgumentError, UnicodeDecodeError)
"""What a session run that reads records can raise on a bad record; TFRecordDataset.is_read_error() tells which are."""


def _reason(err):
    """The first line of an exception's message (an OSError's strerror), for one-line errors."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _op_error_reason(err):
    """What a TensorFlow op error says went wrong: the line after its 'Node:' line when it has one, else its first
    line that is no heading ('Graph execution error:'), stack frame or node list; without the chain of dataset
    stages before the last ': '."""
    lines = [line.strip() for line in str(err).splitlines()]
    node_lines = [index for index, line in enumerate(lines) if line.startswith("Node: ")]
    if node_lines:
        lines = lines[node_lines[-1] + 1:]
    said = [line for line in lines if line and not line.startswith(("[[", "File ", "Detected at ")) and not line.endswith(":")]
    return said[0].split(": ")[-1].rstrip(".") if said else type(err).__name__


def _list_dir(path):
    """Sorted non-hidden entries of a directory (as glob '*' lists them), or DatasetError saying why not."""
    try:
        return sorted(name for name in os.listdir(path) if not name.startswith("."))
    except OSError as err:
        raise DatasetError("Cannot read dataset directory '%s': %s." % (path, _reason(err)))


def read_label_array(path):
    """The numbers of a label file (a .npy array: a dataset's .labels, HDF5's -labels.npy), whose header may not
    declare more than the file holds (dnnlib.util.npy_header); DatasetError saying why otherwise."""
    try:
        with open(path, "rb") as file:
            _shape, dtype = dnnlib.util.npy_header(file, os.fstat(file.fileno()).st_size)
            if dtype.kind not in "biuf":
                raise DatasetError("Label file '%s' holds %s values, not numbers." % (path, dtype))
            labels = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError, MemoryError) as err:
        raise DatasetError("Cannot read label file '%s': %s." % (path, _reason(err).rstrip(".")))
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise DatasetError("Label file '%s' holds NaN or infinite values." % path)
    return labels


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
    try:
        with open(tfr_file, "rb") as f:
            magic = f.read(2)
    except OSError as err:
        raise DatasetError("Cannot read '%s': %s." % (tfr_file, _reason(err)))
    return "GZIP" if magic == b"\x1f\x8b" else ""


def read_first_record(tfr_file):
    options = tf.io.TFRecordOptions(compression_type=compression_type(tfr_file))
    try:
        for record in tf.io.tf_record_iterator(tfr_file, options):
            return parse_tfrecord_np(record)
    except Exception as err:
        raise DatasetError("Cannot read '%s': %s" % (tfr_file, _reason(err)))
    raise DatasetError("'%s' holds no records." % tfr_file)

# ----------------------------------------------------------------------------
# Counting records from their headers. A record is framed as uint64 length,
# masked CRC32C of the length, payload, masked CRC32C of the payload.

_FRAMING_BYTES = 16


def _record_starts(file, size, tfr_file):
    """Byte offsets of the records of an open (decompressed) record stream; reads only the headers."""
    starts, offset = [], 0
    while offset < size:
        file.seek(offset)
        header = file.read(8)
        if len(header) < 8:
            raise DatasetError("'%s' is truncated: record %d is cut off after %d bytes." % (tfr_file, len(starts), len(header)))
        end = offset + struct.unpack("<Q", header)[0] + _FRAMING_BYTES
        if end > size:
            raise DatasetError("'%s' is truncated: record %d needs %d bytes, the file ends after %d." % (tfr_file, len(starts), end - offset, size - offset))
        starts.append(offset)
        offset = end
    return starts


def _open_records(tfr_file):
    """(binary file of the decompressed record stream, its size) for plain or GZIP record files."""
    if compression_type(tfr_file) == "GZIP":
        try:
            with gzip.open(tfr_file, "rb") as f:
                size = f.seek(0, os.SEEK_END)  # decompresses the whole file: used for small files only
        except (OSError, EOFError) as err:
            raise DatasetError("Cannot read '%s': %s." % (tfr_file, _reason(err)))
        return gzip.open(tfr_file, "rb"), size
    return open(tfr_file, "rb"), os.path.getsize(tfr_file)


def count_records(tfr_file):
    """Exact number of records in a record file, reading only record headers (GZIP files are decompressed)."""
    file, size = _open_records(tfr_file)
    with file:
        try:
            return len(_record_starts(file, size, tfr_file))
        except (OSError, EOFError) as err:
            raise DatasetError("Cannot read '%s': %s." % (tfr_file, _reason(err)))


def _quick_count(tfr_file):
    """Record count of a plain record file from its size, as every record of a level has the same size.

    None when that does not hold or cannot be seen cheaply (GZIP); the caller then counts exactly.
    """
    if compression_type(tfr_file) == "GZIP":
        return None
    with open(tfr_file, "rb") as f:
        header = f.read(8)
    size = os.path.getsize(tfr_file)
    if len(header) < 8:
        return None
    record_bytes = struct.unpack("<Q", header)[0] + _FRAMING_BYTES
    return size // record_bytes if size % record_bytes == 0 else None


def _gzip_size_matches(tfr_file, num_records):
    """Whether a GZIP record file's trailer (uncompressed size mod 2**32) fits num_records records like its first."""
    try:
        with gzip.open(tfr_file, "rb") as f:
            record_bytes = struct.unpack("<Q", f.read(8))[0] + _FRAMING_BYTES
        with open(tfr_file, "rb") as f:
            f.seek(-4, os.SEEK_END)
            stream_size = struct.unpack("<I", f.read(4))[0]
    except (OSError, EOFError, struct.error):
        return False
    return stream_size == (num_records * record_bytes) & 0xFFFFFFFF


def check_record_counts(paths):
    """Number of images, after checking that every level file holds the same number of records.

    Cheap: plain files are counted from their size (headers are walked only where the size does not
    divide evenly); GZIP files are checked through the size field of their gzip trailer, against the
    plain files or, when all are GZIP, against the smallest file counted exactly.
    """
    gzipped = [path for path in paths if compression_type(path) == "GZIP"]
    plain = [path for path in paths if path not in gzipped]
    counted = plain or [min(paths, key=os.path.getsize)]
    counts = {path: _quick_count(path) if path in plain else None for path in counted}
    counts = {path: count_records(path) if count is None else count for path, count in counts.items()}
    values = list(counts.values())
    expected = max(set(values), key=lambda value: (values.count(value), value))
    reference = next(path for path in counted if counts[path] == expected)
    for path in counted:
        if counts[path] != expected and count_records(path) != expected:  # the size-based count assumes equal record sizes
            raise DatasetError("'%s' holds %d records but '%s' holds %d: the dataset is incomplete; create it again with dataset_tool.py."
                               % (path, count_records(path), reference, expected))
    for path in gzipped:
        if path not in counts and not _gzip_size_matches(path, expected):
            raise DatasetError("'%s' does not hold %d records like '%s': it is truncated or corrupt; create the dataset again with dataset_tool.py."
                               % (path, expected, reference))
    return expected


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
        self.num_images = check_record_counts([path for path, _shape, _lod in levels])
        self._level_files = {lod: path for path, _shape, lod in levels}
        self._labels = self._read_labels(max_label_size)
        self.label_size = int(self._labels.shape[1])
        self.label_dtype = self._labels.dtype.name

        self._levels = [(path, shape, lod) for path, shape, lod in levels if lod >= 0]
        self._pipeline_args = dict(repeat=repeat, shuffle_mb=shuffle_mb, prefetch_mb=prefetch_mb, buffer_mb=buffer_mb, num_threads=num_threads)
        self._readers = []  # ours: add_reader()'s iterators on other machines, configured with this one
        with tf.name_scope("Dataset"), tf.device("/cpu:0"):
            self._minibatch_in = tf.placeholder(tf.int64, name="minibatch_in", shape=[])
            self._labels_var = tflib.create_var_with_large_initial_value(self._labels, name="labels_var")
            self._iterator, self._initializers = self._make_iterator(self.tfrecord_dir)

    def _make_iterator(self, tfrecord_dir, shard=None):
        """(iterator, {lod: initializer}) over the level files as found in tfrecord_dir; shard = (index, count) or None."""
        label_rows = tf.data.Dataset.from_tensor_slices(self._labels_var)
        pipelines = {lod: self._pipeline(path, os.path.join(tfrecord_dir, os.path.basename(path)), shape, label_rows, shard, **self._pipeline_args)
                     for path, shape, lod in self._levels}
        image_shapes, label_shapes = tf.data.get_output_shapes(pipelines[0])
        any_level = (tf.TensorShape([None] * image_shapes.ndims), label_shapes)  # each level's pipeline has its own image size
        iterator = tf.data.Iterator.from_structure(tf.data.get_output_types(pipelines[0]), any_level)
        return iterator, {lod: iterator.make_initializer(pipeline) for lod, pipeline in pipelines.items()}

    def _pipeline(self, path, read_path, shape, label_rows, shard, repeat, shuffle_mb, prefetch_mb, buffer_mb, num_threads):
        """records -> (image, label) pairs -> shuffle -> repeat -> prefetch -> minibatches, for one resolution.

        path is the file here (its format is read from it); read_path is where the pipeline's device finds it.
        """
        item_bytes = int(np.prod(shape)) * np.dtype(self.dtype).itemsize
        # Each image is checked against the level's shape (tf.ensure_shape): a record of another size fails here, in the
        # input pipeline (an error is_read_error() tells), not later in a network op.
        images = tf.data.TFRecordDataset(read_path, compression_type=compression_type(path), buffer_size=buffer_mb << 20)
        if shard is not None:  # every count-th record and label row from index on: the images stay paired with their labels
            images, label_rows = images.shard(shard[1], shard[0]), label_rows.shard(shard[1], shard[0])
        pairs = tf.data.Dataset.zip((images.map(lambda record: tf.ensure_shape(parse_tfrecord_tf(record), shape), num_parallel_calls=num_threads), label_rows))
        if shuffle_mb > 0:  # a buffer beyond the record count shuffles no better, but TF reserves every slot (GBs at 4x4)
            pairs = pairs.shuffle(min(_items_in(shuffle_mb, item_bytes), max(self.num_images, 1)))
        if repeat:
            pairs = pairs.repeat()
        if prefetch_mb > 0:
            pairs = pairs.prefetch(min(_items_in(prefetch_mb, item_bytes), max(self.num_images, 1)))  # likewise: small images, huge counts
        return pairs.batch(self._minibatch_in)

    def add_reader(self, device, shard_index=0, num_shards=1, tfrecord_dir=None):
        """Ours, for training on several machines: an iterator of its own on `device` (a worker's CPU) over every
        num_shards-th image from shard_index on, reading the level files from tfrecord_dir as that machine sees it
        (default: the same path as here). configure() keeps it at the same minibatch size and lod as this dataset.
        Returns an object with get_minibatch_tf(); DatasetError when that machine lacks a file.
        """
        tfrecord_dir = self.tfrecord_dir if tfrecord_dir is None else tfrecord_dir
        if not 0 <= shard_index < num_shards:
            raise ValueError("shard_index %d is not in 0..%d" % (shard_index, num_shards - 1))
        with tf.name_scope("DatasetReader%d" % len(self._readers)), tf.device(device):
            read_paths = [os.path.join(tfrecord_dir, os.path.basename(path)) for path, _shape, _lod in self._levels]
            found = tflib.run([tf.size(tf.io.matching_files(path)) for path in read_paths])
            missing = [path for path, count in zip(read_paths, found) if count == 0]
            if missing:
                raise DatasetError("'%s' does not exist on %s, which reads the dataset from its own disk: put the dataset at that path "
                                   "on every machine (a shared filesystem, or a copy) or name its directory there (train.py --worker-data-dir)." % (missing[0], device))
            iterator, initializers = self._make_iterator(tfrecord_dir, shard=(shard_index, num_shards))
        reader = dnnlib.EasyDict(device=device, initializers=initializers, get_minibatch_tf=iterator.get_next)
        self._readers.append(reader)
        if self._lod >= 0:
            tflib.run(initializers[self._lod], {self._minibatch_in: self._minibatch_size})
        return reader

    def _find_levels(self, resolution):
        """[(file, shape, lod)] after checking that the files form a complete pyramid; sets the shape attributes."""
        if not os.path.exists(self.tfrecord_dir) or not os.path.isdir(self.tfrecord_dir):
            raise DatasetError("Dataset directory '%s' does not exist." % self.tfrecord_dir)
        names = _list_dir(self.tfrecord_dir)
        paths = [os.path.join(self.tfrecord_dir, name) for name in names if name.endswith(".tfrecords")]
        if not paths:
            raise DatasetError("No .tfrecords files in '%s'; create the dataset with dataset_tool.py." % self.tfrecord_dir)
        self._locate_label_file(names)

        shapes = [read_first_record(path).shape for path in paths]
        for path, shape in zip(paths, shapes):
            if len(shape) != 3 or min(shape) < 1 or shape[1] & (shape[1] - 1):
                raise DatasetError("'%s' holds images of shape %s, not [channels, height, width] with a power-of-two size; "
                                   "create the dataset again with dataset_tool.py." % (path, list(shape)))
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

    def _locate_label_file(self, names):
        if self.label_file is None:
            found = [os.path.join(self.tfrecord_dir, name) for name in names if name.endswith(".labels")]
            self.label_file = found[0] if found else None
        elif not os.path.isfile(self.label_file) and os.path.isfile(os.path.join(self.tfrecord_dir, self.label_file)):
            self.label_file = os.path.join(self.tfrecord_dir, self.label_file)

    def _read_labels(self, max_label_size):
        if not (max_label_size == "full" or (isinstance(max_label_size, int) and max_label_size >= 0)):
            raise DatasetError("max_label_size must be 'full' or a number >= 0, not %r." % (max_label_size,))
        if self.label_file is None or max_label_size == 0:
            return np.zeros([_MAX_UNLABELED_IMAGES, 0], dtype=np.float32)
        labels = read_label_array(self.label_file)
        if labels.ndim != 2:
            raise DatasetError("Label file '%s' must hold a 2-D array, not shape %s." % (self.label_file, labels.shape))
        if labels.shape[0] != self.num_images:
            raise DatasetError("Label file '%s' has %d rows for %d images; create the dataset again with dataset_tool.py."
                               % (self.label_file, labels.shape[0], self.num_images))
        return labels if max_label_size == "full" else labels[:, :max_label_size]

    def configure(self, minibatch_size,
                  lod=0):
        """Select minibatch size and level of detail; restarts the stream only when either changes."""
        lod = int(np.floor(lod))
        assert minibatch_size > 0 and lod in self._initializers, "no data for lod %d" % lod
        if (minibatch_size, lod) != (self._minibatch_size, self._lod):
            tflib.run([self._initializers[lod]] + [reader.initializers[lod] for reader in self._readers], {self._minibatch_in: minibatch_size})
            self._minibatch_size, self._lod = minibatch_size, lod

    def get_minibatch_tf(self):
        """(images uint8 [N, C, H, W], labels [N, label_size]) as graph tensors."""
        return self._iterator.get_next()

    def get_minibatch_np(self, minibatch_size,
                         lod=0):
        self.configure(minibatch_size, lod)
        if self._numpy_batch is None:
            self._numpy_batch = self.get_minibatch_tf()
        try:
            return tflib.run(self._numpy_batch)
        except READ_ERRORS as err:
            if not self.is_read_error(err):
                raise
            raise self.read_error(err) from err

    @staticmethod
    def is_read_error(err):
        """Whether a session run failed on the records: broken framing (DataLossError), a record whose contents do
        not parse, do not fill its stated shape or are not of the level's shape (InvalidArgumentError from the
        iterator), or a parse error whose message quotes the record's bytes (TensorFlow then fails to decode its
        own message)."""
        return (isinstance(err, (tf.errors.DataLossError, UnicodeDecodeError))
                or (isinstance(err, tf.errors.InvalidArgumentError) and "IteratorGetNext" in str(err)))

    def read_error(self, err):
        """DatasetError naming the file (and record, counted from 0) behind an error met while reading.

        Graph code that consumes get_minibatch_tf() (the training loop) should catch the errors is_read_error()
        tells around its session runs and `raise dataset.read_error(err) from err`.
        """
        path = self._level_files.get(self._lod, self.tfrecord_dir)
        if not isinstance(err, tf.errors.DataLossError):
            detail = "not an image Example" if isinstance(err, UnicodeDecodeError) else _op_error_reason(err)
            return DatasetError("Cannot read '%s': a record is not an image of this dataset (%s); create the dataset again "
                                "with dataset_tool.py." % (path, detail))
        where = ""
        offset = re.search(r"corrupted record at (\d+)", str(err))
        if offset is not None and os.path.isfile(path) and compression_type(path) == "":
            where = " at byte %s" % offset.group(1)
            try:
                with open(path, "rb") as file:
                    starts = _record_starts(file, os.path.getsize(path), path)
                index = np.searchsorted(starts, int(offset.group(1)), side="right") - 1
                where = " in record %d (byte %s)" % (index, offset.group(1))
            except (DatasetError, OSError, EOFError):
                pass
        return DatasetError("Cannot read '%s': corrupt data%s; create the dataset again with dataset_tool.py." % (path, where))

    def get_random_labels_tf(self, count):
        """Labels of random dataset rows (a [count, 0] tensor without labels)."""
        if self.label_size == 0:
            return tf.zeros(shape=[count, 0], dtype=self.label_dtype)
        with tf.device(self._labels_var.device):  # beside the labels: only the rows drawn travel to a tower on another machine
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
