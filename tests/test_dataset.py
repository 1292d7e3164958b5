"""training/dataset.py: TFRecordDataset and SyntheticDataset reading what dataset_tool writes (and the original's format)."""

import glob
import re
import os

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dataset_tool
from training import dataset


def write_dataset(path, images, labels=None, compress=False):
    with dataset_tool.TFRecordExporter(str(path), len(images), print_progress=False, compress=compress) as tfr:
        for img in images:
            tfr.add_image(img)
        if labels is not None:
            tfr.add_labels(labels)


@pytest.fixture
def images():
    rnd = np.random.RandomState(0)
    return rnd.randint(0, 256, size=[10, 3, 16, 16]).astype(np.uint8)


def test_minibatches_at_each_lod(session, tmp_path, images):
    labels = np.eye(5, dtype=np.float32)[np.arange(10) % 5]
    write_dataset(tmp_path / "ds", images, labels)
    dset = dataset.load_dataset(tfrecord_dir="ds", data_dir=str(tmp_path), max_label_size="full", shuffle_mb=0)
    assert dset.shape == [3, 16, 16] and dset.resolution_log2 == 4 and dset.label_size == 5 and dset.label_dtype == "float32"
    x, y = dset.get_minibatch_np(4)
    assert x.dtype == np.uint8 and x.shape == (4, 3, 16, 16)
    np.testing.assert_array_equal(x, images[:4])          # no shuffling: file order
    np.testing.assert_array_equal(y, labels[:4])          # labels line up with images
    for lod, size in [(1, 8), (2, 4)]:
        x, y = dset.get_minibatch_np(3, lod=lod)
        assert x.shape == (3, 3, size, size) and y.shape == (3, 5)
        assert x.min() >= 0 and x.max() <= 255
    assert dset.get_random_labels_np(6).shape == (6, 5)
    assert tf.get_default_session().run(dset.get_random_labels_tf(2)).shape == (2, 5)


def test_label_options_and_gzip(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images, np.arange(30, dtype=np.float32).reshape(10, 3), compress=True)
    unlabeled = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0)
    assert unlabeled.label_size == 0
    x, y = unlabeled.get_minibatch_np(2)
    np.testing.assert_array_equal(x, images[:2])
    assert y.shape == (2, 0)
    first_column = dataset.TFRecordDataset(str(tmp_path / "ds"), max_label_size=1, shuffle_mb=0)
    assert first_column.label_size == 1
    np.testing.assert_array_equal(first_column.get_minibatch_np(2)[1], [[0.0], [3.0]])


def test_reads_records_in_either_field_order(session, tmp_path, images):
    """The original's records may serialize 'data' before 'shape'; the reader must not care."""
    write_dataset(tmp_path / "ds", images)
    for path in glob.glob(str(tmp_path / "ds" / "*.tfrecords")):
        records = list(tf.io.tf_record_iterator(path))
        with tf.io.TFRecordWriter(path) as writer:
            for record in records:
                example = tf.train.Example.FromString(record)
                writer.write(example.SerializeToString(deterministic=True))
    x, _ = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0).get_minibatch_np(10)
    np.testing.assert_array_equal(x, images)


def test_shuffle_and_repeat(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images)
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=1, prefetch_mb=1)
    seen = np.concatenate([dset.get_minibatch_np(4)[0] for _ in range(5)])  # 20 > 10 images: repeats
    assert seen.shape[0] == 20
    assert {img.tobytes() for img in seen} == {img.tobytes() for img in images}


def test_configure_restarts_stream_only_on_change(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images)
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0, repeat=False)
    np.testing.assert_array_equal(dset.get_minibatch_np(2)[0], images[:2])
    np.testing.assert_array_equal(dset.get_minibatch_np(2)[0], images[2:4])
    np.testing.assert_array_equal(dset.get_minibatch_np(3)[0], images[:3])
    with pytest.raises(tf.errors.OutOfRangeError):
        for _ in range(5):
            dset.get_minibatch_np(3)


def test_bad_dataset_dirs(session, tmp_path, images):
    with pytest.raises(dataset.DatasetError, match="does not exist"):
        dataset.TFRecordDataset(str(tmp_path / "missing"))
    os.makedirs(tmp_path / "empty")
    with pytest.raises(dataset.DatasetError, match="No .tfrecords"):
        dataset.TFRecordDataset(str(tmp_path / "empty"))
    write_dataset(tmp_path / "ds", images)
    os.remove(glob.glob(str(tmp_path / "ds" / "*-r03.tfrecords"))[0])
    with pytest.raises(dataset.DatasetError, match="8x8"):
        dataset.TFRecordDataset(str(tmp_path / "ds"))


def test_lower_resolution_from_full_dataset(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images)
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), resolution=8, shuffle_mb=0)
    assert dset.shape == [3, 8, 8]
    assert dset.get_minibatch_np(2)[0].shape == (2, 3, 8, 8)


def test_synthetic_dataset(session):
    dset = dataset.load_dataset(class_name="training.dataset.SyntheticDataset", resolution=16, num_channels=1, label_size=2)
    x, y = dset.get_minibatch_np(3, lod=1)
    assert x.shape == (3, 1, 8, 8) and x.dtype == np.uint8 and y.shape == (3, 2)
    assert dset.get_random_labels_np(4).shape == (4, 2)


# ----------------------------------------------------------------------------
# Hostile datasets: each test damages a dataset it wrote itself.

def level_file(path, res):
    return glob.glob(str(path / ("*-r%02d.tfrecords" % res)))[0]


def records_of(path):
    return list(tf.io.tf_record_iterator(path, tf.io.TFRecordOptions(compression_type=dataset.compression_type(path))))


def test_unreadable_directory_and_files_say_so(session, tmp_path, monkeypatch, images):
    """We run as root, where permission bits do not stop reads: the OS refusal is simulated at os.listdir / open."""
    write_dataset(tmp_path / "ds", images)
    real_listdir, real_open = os.listdir, open

    def listdir(path):
        if os.path.samefile(path, tmp_path / "ds"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)
    monkeypatch.setattr(dataset.os, "listdir", listdir)
    with pytest.raises(dataset.DatasetError, match="Cannot read dataset directory .*Permission denied"):
        dataset.TFRecordDataset(str(tmp_path / "ds"))
    monkeypatch.setattr(dataset.os, "listdir", real_listdir)

    def guarded_open(path, *args, **kwargs):
        if str(path).endswith("-r03.tfrecords"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(dataset, "open", guarded_open, raising=False)
    with pytest.raises(dataset.DatasetError, match=r"Cannot read '.*-r03\.tfrecords': Permission denied"):
        dataset.TFRecordDataset(str(tmp_path / "ds"))


@pytest.mark.parametrize("compress", [False, True])
def test_level_cut_at_a_record_boundary_is_refused(session, tmp_path, images, compress):
    write_dataset(tmp_path / "ds", images, compress=compress)
    path = level_file(tmp_path / "ds", 3)
    kept = records_of(path)[:5]
    with tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression_type="GZIP" if compress else "")) as writer:
        for record in kept:
            writer.write(record)
    expected = r"r03.tfrecords' holds 5 records but .*-r0[24].tfrecords' holds 10" if not compress else "r03.tfrecords' does not hold 10 records"
    with pytest.raises(dataset.DatasetError, match=expected):
        dataset.TFRecordDataset(str(tmp_path / "ds"))


def test_level_cut_inside_a_record_is_refused(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images)
    path = level_file(tmp_path / "ds", 4)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) * 55 // 100)  # 5.5 records
    with pytest.raises(dataset.DatasetError, match=r"-r04.tfrecords' is truncated: record 5 needs"):
        dataset.TFRecordDataset(str(tmp_path / "ds"))


def test_count_records_walks_headers_of_unequal_records(tmp_path):
    path = str(tmp_path / "x.tfrecords")
    with tf.io.TFRecordWriter(path) as writer:
        for size in [3, 30, 300]:
            writer.write(b"x" * size)
    assert dataset.count_records(path) == 3 and dataset.check_record_counts([path]) == 3


def test_label_rows_must_match_images(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images, np.zeros([10, 2], np.float32))
    label_file = glob.glob(str(tmp_path / "ds" / "*.labels"))[0]
    np.save(open(label_file, "wb"), np.zeros([9, 2], np.float32))
    with pytest.raises(dataset.DatasetError, match="has 9 rows for 10 images"):
        dataset.TFRecordDataset(str(tmp_path / "ds"), max_label_size="full")
    assert dataset.TFRecordDataset(str(tmp_path / "ds")).label_size == 0  # labels unused: not checked


def test_corrupt_record_names_file_and_record(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images)
    path = level_file(tmp_path / "ds", 4)
    data = bytearray(open(path, "rb").read())
    record_bytes = len(data) // 10
    data[3 * record_bytes + 100] ^= 0xFF  # inside record 3's payload: its CRC no longer matches
    open(path, "wb").write(bytes(data))
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0, repeat=False)
    with pytest.raises(dataset.DatasetError, match=r"-r04.tfrecords': corrupt data in record 3 "):
        dset.get_minibatch_np(10)
    # Graph consumers (the training loop) translate the DataLossError themselves.
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0, repeat=False)
    images_tf, _labels_tf = dset.get_minibatch_tf()
    dset.configure(10)
    with pytest.raises(tf.errors.DataLossError) as caught:
        session.run(images_tf)
    err = dset.read_error(caught.value)
    assert isinstance(err, dataset.DatasetError) and isinstance(err, dataset.dnnlib.util.UserError)
    assert "-r04.tfrecords" in str(err) and "record 3" in str(err)


def _example(shape, data):
    return tf.train.Example(features=tf.train.Features(feature={
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=list(shape))),
        "data": tf.train.Feature(bytes_list=tf.train.BytesList(value=[bytes(data)]))})).SerializeToString()


def _replace_record(path, index, record):
    """Rewrite a level file with one record replaced: framing and CRCs valid, only the contents are hostile."""
    records = records_of(path)
    records[index] = record
    with tf.io.TFRecordWriter(path) as writer:
        for item in records:
            writer.write(item)


@pytest.mark.parametrize("record, expected", [
    (_example([3, 16, 16], b"\x01" * 16), r"-r04.tfrecords': a record is not an image of this dataset \(Input to reshape is a tensor with 16 values"),
    (b"\xff\xfe not an Example \xff", r"-r04.tfrecords': a record is not an image of this dataset \(not an image Example\)"),
    (_example([3, 8, 8], b"\x01" * 192), r"-r04.tfrecords': a record is not an image of this dataset \(Shape of tensor \w+ \[3,8,8\] is not compatible with expected shape \[3,16,16\]\)"),
], ids=["lying shape", "not an Example", "another size"])
def test_records_with_hostile_contents_are_one_error(session, tmp_path, images, record, expected):
    """CRC-valid records that lie about their shape, are no Example, or hold an image of another size: one DatasetError
    from get_minibatch_np; and in graph code (the training loop's minibatches of several), an error that
    is_read_error() tells from the network's own, which read_error() turns into the same line."""
    write_dataset(tmp_path / "ds", images)
    _replace_record(level_file(tmp_path / "ds", 4), 3, record)
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0, repeat=False)
    with pytest.raises(dataset.DatasetError, match=expected) as info:
        for _ in range(10):
            dset.get_minibatch_np(1)
    assert "\n" not in str(info.value)
    dset = dataset.TFRecordDataset(str(tmp_path / "ds"), shuffle_mb=0, repeat=False)
    images_tf, _labels_tf = dset.get_minibatch_tf()
    dset.configure(2)
    with pytest.raises(dataset.READ_ERRORS) as caught:
        for _ in range(5):
            session.run(tf.reduce_sum(tf.cast(images_tf, tf.float32)))
    assert dataset.TFRecordDataset.is_read_error(caught.value)
    assert re.search(expected, str(dset.read_error(caught.value)))
    assert not dataset.TFRecordDataset.is_read_error(tf.errors.InvalidArgumentError(None, None, "a bad graph"))


@pytest.mark.parametrize("shape", [[0, 0, 0], [3, 16], [3, 12, 12]])
def test_first_records_of_impossible_shapes_are_refused(session, tmp_path, images, shape):
    write_dataset(tmp_path / "ds", images)
    _replace_record(level_file(tmp_path / "ds", 4), 0, _example(shape, b"\x00" * int(np.prod(shape))))
    with pytest.raises(dataset.DatasetError, match=r"-r04.tfrecords' holds images of shape %s, not \[channels, height, width\] with a power-of-two"
                       % re.escape(str(shape))):
        dataset.TFRecordDataset(str(tmp_path / "ds"))


def test_hostile_label_files_are_one_error(session, tmp_path, images):
    write_dataset(tmp_path / "ds", images, np.zeros([10, 2], np.float32))
    label_file = glob.glob(str(tmp_path / "ds" / "*.labels"))[0]
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (10, 1000000000000), }"
    header += b" " * (118 - len(header)) + b"\n"
    cases = {
        "an archive of arrays \\(.npz\\)": lambda f: np.savez(f, labels=np.zeros([10, 2])),
        "declares 10x1000000000000 values, more than the file holds": lambda f: f.write(b"\x93NUMPY\x01\x00" + bytes([len(header), 0]) + header + b"\0" * 64),
        "holds <U3 values, not numbers": lambda f: np.save(f, np.array([["pig"] * 2] * 10)),
        "holds NaN or infinite values": lambda f: np.save(f, np.full([10, 2], np.nan, np.float32)),
        "holds object values, not numbers": lambda f: np.save(f, np.array([[None] * 2] * 10, dtype=object), allow_pickle=True),
    }
    for expected, write in cases.items():
        with open(label_file, "wb") as f:
            write(f)
        with pytest.raises(dataset.DatasetError, match=expected):
            dataset.TFRecordDataset(str(tmp_path / "ds"), max_label_size="full")
