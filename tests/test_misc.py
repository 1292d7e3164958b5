"""training/misc.py: grids, dynamic range, atomic pickles, run and snapshot lookup, previous-run config."""

import os
import pickle
import re

import numpy as np
import pytest

import config
import dnnlib
from training import misc

ORIGINAL_CONFIG_TXT = """{   'D': {'func_name': 'training.networks_stylegan.D_basic'},
    'D_loss': {'func_name': 'training.loss.D_logistic_simplegp', 'r1_gamma': 10.0},
    'dataset': {'tfrecord_dir': 'ffhq'},
    'desc': 'sgan-ffhq-8gpu',
    'sched': {   'D_lrate_dict': {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003},
                 'minibatch_dict': {4: 512, 8: 256, 16: 128, 32: 64, 64: 32}},
    'tf_config': {'rnd.np_random_seed': 1000},
    'train': {'mirror_augment': True, 'run_func_name': 'training.training_loop.training_loop', 'total_kimg': 25000}}
"""


def test_image_grid_and_dynamic_range(tmp_path):
    images = np.arange(5 * 1 * 2 * 3).reshape(5, 1, 2, 3)
    grid = misc.create_image_grid(images)
    assert grid.shape == (1, 2 * 2, 3 * 3)
    np.testing.assert_array_equal(grid[:, 2:4, 3:6], images[4])
    assert misc.create_image_grid(images, grid_size=(5, 1)).shape == (1, 2, 15)
    np.testing.assert_allclose(misc.adjust_dynamic_range(np.array([0.0, 255.0]), [0, 255], [-1, 1]), [-1, 1], rtol=1e-6)  # float32 scale
    misc.save_image_grid(np.zeros([4, 3, 8, 8]), str(tmp_path / "g.png"), drange=[-1, 1])
    import PIL.Image
    assert PIL.Image.open(tmp_path / "g.png").size == (16, 16)


def test_save_pkl_is_atomic(tmp_path, monkeypatch):
    target = str(tmp_path / "snap.pkl")
    misc.save_pkl({"a": 1}, target)
    with open(target, "rb") as f:
        assert pickle.load(f) == {"a": 1}

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(pickle, "dump", crash)
    with pytest.raises(RuntimeError):
        misc.save_pkl({"a": 2}, target)
    with open(target, "rb") as f:
        assert pickle.load(f) == {"a": 1}  # the previous snapshot is intact
    assert os.listdir(tmp_path) == ["snap.pkl"]


def test_locate_runs_and_snapshots(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "result_dir", str(tmp_path))
    run_dir = tmp_path / "00100-sgan-x"
    os.makedirs(run_dir)
    for name in ["network-snapshot-000140.pkl", "network-snapshot-000280.pkl", "network-final.pkl"]:
        (run_dir / name).write_bytes(b"")
    assert misc.locate_run_dir(100) == str(run_dir)
    assert misc.locate_run_dir(str(run_dir)) == str(run_dir)
    with pytest.raises(IOError):
        misc.locate_run_dir(7)
    assert [os.path.basename(p) for p in misc.list_network_pkls(100)] == ["network-snapshot-000140.pkl", "network-snapshot-000280.pkl", "network-final.pkl"]
    assert len(misc.list_network_pkls(100, include_final=False)) == 2
    assert misc.locate_network_pkl(100).endswith("network-final.pkl")
    assert misc.locate_network_pkl(100, 140).endswith("network-snapshot-000140.pkl")
    with pytest.raises(IOError):
        misc.locate_network_pkl(100, 999)
    assert misc.get_id_string_for_network_pkl("results/00001-x/network-snapshot-000140.pkl") == "00001-x-network-snapshot-000140"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_only_regular_files_are_snapshots(tmp_path, monkeypatch):
    """A FIFO named like the newest snapshot would make --resume wait forever on its read, and a directory of that
    name would fail it: neither is listed."""
    monkeypatch.setattr(config, "result_dir", str(tmp_path))
    run_dir = tmp_path / "00003-x[1]"  # and a run dir whose name reads as a glob pattern
    os.makedirs(run_dir / "network-snapshot-000300.pkl")
    (run_dir / "network-snapshot-000100.pkl").write_bytes(b"")
    os.mkfifo(run_dir / "network-snapshot-000200.pkl")
    assert [os.path.basename(p) for p in misc.list_network_pkls(str(run_dir))] == ["network-snapshot-000100.pkl"]


def test_progress_files(tmp_path):
    pkl = str(tmp_path / "network-snapshot-000140.pkl")
    assert misc.load_progress(pkl) == (140.0, 0.0)  # from the name alone
    misc.save_progress(pkl, 141234, 3600.5)
    assert misc.load_progress(pkl) == (141.234, 3600.5)


def test_parse_config_for_previous_run(tmp_path):
    (tmp_path / "config.txt").write_text(ORIGINAL_CONFIG_TXT)
    cfg = misc.parse_config_for_previous_run(str(tmp_path))
    assert cfg["dataset"] == {"tfrecord_dir": "ffhq"}
    assert cfg["train"] == {"mirror_augment": True, "run_func_name": "training.training_loop.training_loop", "total_kimg": 25000}
    (tmp_path / "config.txt").write_text("{   'dataset': {'file_pattern': 'x/celebahq-r??.tfrecords', 'max_labels': 'all', 'mirror_augment': 1},\n    'train': {'total_kimg': 5}}\n")
    cfg = misc.parse_config_for_previous_run(str(tmp_path))
    assert cfg["dataset"] == {"tfrecord_dir": "x/celebahq", "max_label_size": "full"} and cfg["train"]["mirror_augment"] == 1


def test_mirror_augment():
    images = np.arange(2 * 1 * 2 * 2).reshape(2, 1, 2, 2)
    np.random.seed(0)
    out = misc.apply_mirror_augment(images)
    for img, ref in zip(out, images):
        assert np.array_equal(img, ref) or np.array_equal(img, ref[:, :, ::-1])


def test_snapshot_grid_layouts(session):
    class Classes:
        shape = [1, 8, 8]
        dtype = "uint8"
        label_size = 3
        label_dtype = "float32"

        def __init__(self):
            self.count = 0

        def get_minibatch_np(self, n):
            labels = np.eye(3, dtype=np.float32)[[(self.count + i) % 3 for i in range(n)]]
            images = np.full([n, 1, 8, 8], self.count % 256, np.uint8)
            self.count += n
            return images, labels
    G = dnnlib.EasyDict(output_shape=[None, 1, 8, 8], input_shape=[None, 4])
    (gw, gh), reals, labels, latents = misc.setup_snapshot_image_grid(G, Classes(), size="1080p", layout="row_per_class")
    assert (gw, gh) == (32, 32) and reals.shape == (1024, 1, 8, 8) and latents.shape == (1024, 4)
    assert np.all(labels[:32].argmax(1) == 0) and np.all(labels[32:64].argmax(1) == 1) and np.all(labels[64:96].argmax(1) == 2)
    (gw, gh), reals, labels, _ = misc.setup_snapshot_image_grid(dnnlib.EasyDict(output_shape=[None, 1, 1024, 1024], input_shape=[None, 4]), Classes(), size="4k")
    assert (gw, gh) == (7, 4) and reals.shape == (28, 1, 8, 8)


def test_broken_progress_files_are_one_clear_error(tmp_path):
    import dnnlib
    pkl = str(tmp_path / "network-snapshot-000140.pkl")
    hostile = ['{"cur_nimg": 1%s, "total_time": 1}' % ("0" * 400), '{"cur_nimg": 1024, "total_time": NaN}', '{"cur_nimg": 1024, "total_time": -Infinity}',
               '{"cur_nimg": -1000, "total_time": 5}', '{"cur_nimg": true, "total_time": false}']  # would overflow, crash later or resume at -1 kimg
    for text in ["", "{", "[1, 2]", '{"cur_nimg": "lots", "total_time": 1}'] + hostile:
        (tmp_path / "network-snapshot-000140.json").write_text(text)
        with pytest.raises(dnnlib.util.UserError, match=r"Cannot read '.*network-snapshot-000140.json'.*Delete it"):
            misc.load_progress(pkl)
    (tmp_path / "network-snapshot-000140.json").write_text('{"layers": []}')  # someone else's json: not a progress file
    assert misc.load_progress(pkl) == (140.0, 0.0)
    assert misc.load_snapshot_options(pkl) is None
    misc.save_progress(pkl, 141000, 12.5, dataset_args={"tfrecord_dir": "x", "resolution": 8}, mirror_augment=True)
    assert misc.load_progress(pkl) == (141.0, 12.5)
    assert misc.load_snapshot_options(pkl) == {"dataset_args": {"tfrecord_dir": "x", "resolution": 8}, "mirror_augment": True}


HOSTILE_DATASET_SETTINGS = [  # (dataset settings a run's file may hold, what the error says)
    ({"tfrecord_dir": "x", "class_name": "subprocess.run", "args": ["touch", "pwned"]}, "class_name 'subprocess.run'"),
    ({"class_name": "training.dataset.TFRecordDataset"}, "with a tfrecord_dir"),
    ({"tfrecord_dir": "x", "verbose": True}, "'verbose' is no setting of TFRecordDataset"),
    ({"tfrecord_dir": ["x"]}, "tfrecord_dir = ['x'] is not a value it takes"),
    ({"tfrecord_dir": "x", "resolution": "1" * 5000}, "resolution = '1111"),
    ({"tfrecord_dir": "x", "max_label_size": True}, "max_label_size = True"),
    ({"tfrecord_dir": "x", "resolution": 0}, "resolution = 0"),  # each of these crashed the dataset (TensorFlow or NumPy)
    ({"tfrecord_dir": "x", "resolution": 48}, "resolution = 48"),
    ({"tfrecord_dir": "x", "buffer_mb": 2 ** 60}, "buffer_mb = 1152921504606846976"),
    ({"tfrecord_dir": "x", "num_threads": 0}, "num_threads = 0"),
    ({"tfrecord_dir": "x", "num_threads": 2 ** 40}, "num_threads = 1099511627776"),
    ({"tfrecord_dir": "x", "repeat": False}, "repeat = False is not a value it takes"),  # metrics read on past the end
]


@pytest.mark.parametrize("settings, message", HOSTILE_DATASET_SETTINGS)
def test_dataset_settings_read_back_from_a_run_cannot_name_code(tmp_path, settings, message):
    """A snapshot's json and a run dir's config.txt may come with a downloaded network: only TFRecordDataset's settings,
    as plain values, are read back from them (dataset.load_dataset would call any class_name with any arguments)."""
    import dnnlib
    pkl = str(tmp_path / "network-snapshot-000140.pkl")
    misc.save_progress(pkl, 140000, 1.0, dataset_args=settings, mirror_augment=False)
    with pytest.raises(dnnlib.util.UserError, match=r"Cannot use the dataset settings in '.*network-snapshot-000140.json': .*%s" % re.escape(message)):
        misc.load_snapshot_options(pkl)
    (tmp_path / "config.txt").write_text("{   'dataset': %r,\n    'train': {'total_kimg': 5}}\n" % (settings,))
    with pytest.raises(dnnlib.util.UserError, match=r"Cannot use the dataset settings in '.*config.txt': .*%s" % re.escape(message)):
        misc.parse_config_for_previous_run(str(tmp_path))
    assert not (tmp_path / "pwned").exists() and not os.path.exists("pwned")


def test_unreadable_run_config_is_one_clear_error(tmp_path):
    import dnnlib
    for text in ["dataset = " + "[" * 100000 + "]" * 100000, "dataset = [1, 2]", "dataset = {'tfrecord_dir': __import__('os')}"]:
        (tmp_path / "config.txt").write_text(text + "\n")
        with pytest.raises(dnnlib.util.UserError, match=r"Cannot read the dataset settings in '.*config.txt'"):
            misc.parse_config_for_previous_run(str(tmp_path))
    for text, message in [("dataset = {'file_pattern': 5}", "tfrecord_dir = 5"),  # older releases' keys, renamed
                          ("dataset = {'tfrecord_dir': 'x', 'max_labels': [1]}", "max_label_size = [1]")]:
        (tmp_path / "config.txt").write_text(text + "\n")
        with pytest.raises(dnnlib.util.UserError, match=r"Cannot use the dataset settings in '.*config.txt': %s is not a value it takes" % re.escape(message)):
            misc.parse_config_for_previous_run(str(tmp_path))
    (tmp_path / "config.txt").write_bytes(b"dataset = {'tfrecord_dir': 'x'}\n\xff\n")
    with pytest.raises(dnnlib.util.UserError, match=r"Cannot read '.*config.txt' \(not UTF-8 text\)"):
        misc.parse_config_for_previous_run(str(tmp_path))
    pkl = str(tmp_path / "network-snapshot-000140.pkl")
    (tmp_path / "network-snapshot-000140.json").write_text('{"cur_nimg": 0, "total_time": 0, "dataset_args": %s}' % ("[" * 100000 + "]" * 100000))
    with pytest.raises(dnnlib.util.UserError, match=r"Cannot read '.*network-snapshot-000140.json' \(maximum recursion"):
        misc.load_snapshot_options(pkl)


def test_the_default_dataset_class_and_every_setting_are_read_back(tmp_path):
    pkl = str(tmp_path / "network-snapshot-000140.pkl")
    settings = {"class_name": "training.dataset.TFRecordDataset", "tfrecord_dir": "x", "resolution": 1024, "label_file": None,
                "max_label_size": "full", "repeat": True, "shuffle_mb": 0, "prefetch_mb": 16, "buffer_mb": 8, "num_threads": 1}
    misc.save_progress(pkl, 140000, 1.0, dataset_args=settings, mirror_augment=True)
    assert misc.load_snapshot_options(pkl) == {"dataset_args": settings, "mirror_augment": True}
