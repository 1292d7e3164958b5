"""projector.py, run_projector.py and style_mix_projected.py on the bundled demo network (offline, pixel distance or a stand-in LPIPS)."""

import glob
import importlib.util
import json
import os
import sys
import zipfile

import numpy as np
import PIL.Image
import pytest

import dataset_tool
import dnnlib
import dnnlib.tflib as tflib
import pretrained_networks
import projector
import run_projector
import style_mix_projected
from conftest import DATA_DIR, run_python

SEEDS = [0, 1, 2, 3]
STEPS = 200
# Measured (run_projector.py, pixel distance, demo network, PSNR of the final PNG against the target PNG, seeds 0-3):
# 100 steps 32.3-34.5 dB, 200 steps 33.1-35.6 dB, 500 steps 33.7-36.7 dB, 1000 steps (the default) 33.9-36.8 dB.
# 1000 steps take about 10 s per image on 2 cores; 200 steps keep the suite quick, and 32 dB leaves a margin below 33.1.
MIN_PSNR_DB = 32.0


def png(path):
    return np.asarray(PIL.Image.open(path), dtype=np.float64)


def load_demo_Gs():
    _G, _D, Gs = pretrained_networks.load_networks("demo")
    return Gs


def set_noise(synthesis, noises):
    tflib.set_vars({synthesis.vars[name]: value for name, value in noises.items()})


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory):
    """One project-generated-images run on the demo network: seeds 0-3, pixel distance, 200 steps."""
    results = tmp_path_factory.mktemp("results")
    result = run_python(["run_projector.py", "project-generated-images", "--network", "demo", "--seeds", "0-3", "--distance", "pixel",
                         "--num-steps", str(STEPS), "--save-steps", "0,100", "--result-dir", str(results)])
    assert result.returncode == 0, result.stderr
    run_dirs = glob.glob(str(results / "*-project-generated-images"))
    assert len(run_dirs) == 1
    return run_dirs[0]

# ----------------------------------------------------------------------------
# The projector itself.


def test_schedules():
    assert projector.learning_rate_at(0.0) == 0.0
    assert projector.learning_rate_at(0.05) == pytest.approx(0.1)
    assert projector.learning_rate_at(0.5) == pytest.approx(0.1)
    assert projector.learning_rate_at(0.875) == pytest.approx(0.05)
    assert projector.learning_rate_at(1.0) == pytest.approx(0.0)
    assert projector.dlatent_noise_strength_at(0.0, 2.0) == pytest.approx(0.1)
    assert projector.dlatent_noise_strength_at(0.375, 2.0) == pytest.approx(0.025)
    assert projector.dlatent_noise_strength_at(0.8, 2.0) == 0.0


def test_images_for_lpips_sizes(session):
    import tensorflow.compat.v1 as tf
    small = np.random.RandomState(0).uniform(-1, 1, [2, 1, 32, 32]).astype(np.float32)
    large = np.random.RandomState(1).uniform(-1, 1, [1, 3, 512, 512]).astype(np.float32)
    up, up_256, down = session.run([projector.images_for_lpips(tf.constant(small)), projector.images_for_lpips(tf.constant(small), min_size=256),
                                    projector.images_for_lpips(tf.constant(large))])
    assert up.shape == (2, 3, 64, 64) and up_256.shape == (2, 3, 256, 256) and down.shape == (1, 3, 256, 256)
    for enlarged, factor in [(up, 2), (up_256, 8)]:  # pixel repetition, gray to RGB
        expected = np.repeat(np.repeat(np.repeat((small + 1) * 127.5, 3, axis=1), factor, axis=2), factor, axis=3)
        np.testing.assert_allclose(enlarged, expected, rtol=1e-6)
    medium = np.zeros([1, 3, 128, 128], np.float32)
    assert session.run(projector.images_for_lpips(tf.constant(medium))).shape == (1, 3, 128, 128)  # used as it is
    expected_down = ((large + 1) * 127.5).reshape(1, 3, 256, 2, 256, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(down, expected_down, rtol=1e-5)


def test_noise_regularization_is_small_for_white_noise(session):
    import tensorflow.compat.v1 as tf
    white = tf.constant(np.random.RandomState(0).randn(1, 1, 64, 64).astype(np.float32))
    smooth = tf.constant(np.ones([1, 1, 64, 64], np.float32))
    white_reg, smooth_reg = session.run([projector.noise_regularization([white]), projector.noise_regularization([smooth])])
    assert white_reg < 1e-2 and smooth_reg == pytest.approx(2 * 4)  # 64, 32, 16, 8: four scales, two directions, each 1


@pytest.mark.parametrize("w_plus", [False, True])
def test_dlatents_and_noise_reproduce_the_projection(session, w_plus):
    Gs = load_demo_Gs()
    synthesis = Gs.components.synthesis
    labels = pretrained_networks.one_hot_labels(Gs, [3])
    target = Gs.run(np.random.RandomState(7).randn(1, 64), labels, truncation_psi=1.0, randomize_noise=False)
    stored_noise = {name: synthesis.get_var(name) for name in synthesis.vars if name.startswith("noise")}

    proj = projector.Projector(distance="pixel", num_steps=20, w_plus=w_plus, dlatent_avg_samples=1000)
    proj.set_network(Gs)
    proj.start(target, labels)
    distances = [proj.step()[0] for _ in range(proj.num_steps)]
    assert proj.get_cur_step() == 20 and distances[-1] < distances[0]
    for name, value in stored_noise.items():  # the projector works on a clone: Gs's own noise maps are untouched
        np.testing.assert_array_equal(synthesis.get_var(name), value)

    dlatents, noises = proj.get_dlatents(), proj.get_noises()
    assert dlatents.shape == (1, 8, 64) and sorted(noises) == sorted(stored_noise)
    assert np.allclose(dlatents, dlatents[:, :1]) != w_plus  # W: one dlatent tiled to every layer; W+: one per layer
    for value in noises.values():  # renormalised after every step
        assert abs(value.mean()) < 1e-4 and value.std() == pytest.approx(1.0, abs=1e-3)
    set_noise(synthesis, noises)
    images = synthesis.run(dlatents, randomize_noise=False)
    np.testing.assert_allclose(images, proj.get_images(), atol=1e-5)
    mse = np.mean(np.square(images - target))
    assert proj.get_distance() == pytest.approx(mse, rel=1e-4)


def test_dlatent_stats_follow_the_class(session):
    Gs = load_demo_Gs()
    proj = projector.Projector(distance="pixel", dlatent_avg_samples=500)
    proj.set_network(Gs)
    avg_a, std_a = proj.dlatent_stats(pretrained_networks.one_hot_labels(Gs, [1]))
    avg_b, _ = proj.dlatent_stats(pretrained_networks.one_hot_labels(Gs, [8]))
    avg_all, _ = proj.dlatent_stats(None)
    assert avg_a.shape == (1, 1, 64) and std_a > 0
    assert not np.allclose(avg_a, avg_b) and not np.allclose(avg_a, avg_all)
    latents = np.random.RandomState(123).randn(500, 64)
    expected = Gs.components.mapping.run(latents, np.repeat(pretrained_networks.one_hot_labels(Gs, [1]), 500, axis=0))[:, 0].mean(axis=0)
    np.testing.assert_allclose(avg_a[0, 0], expected, rtol=1e-4, atol=1e-5)

# ----------------------------------------------------------------------------
# project-generated-images end to end.


@pytest.mark.slow
def test_generated_images_reach_psnr(generated_run):
    for seed in SEEDS:
        target = png(os.path.join(generated_run, "seed%04d-target.png" % seed))
        final = png(os.path.join(generated_run, "seed%04d-step%04d.png" % (seed, STEPS)))
        assert target.shape == final.shape == (32, 32)
        mse = np.mean(np.square(target - final))
        assert 10 * np.log10(255 ** 2 / mse) >= MIN_PSNR_DB, "seed %d" % seed
    summaries = [json.loads(line) for line in open(os.path.join(generated_run, "projections.jsonl"))]
    assert [s["name"] for s in summaries] == ["seed%04d" % s for s in SEEDS]
    assert all(s["psnr"] >= MIN_PSNR_DB and s["distance_kind"] == "pixel" for s in summaries)
    assert [s["label"] for s in summaries] == [seed % 10 for seed in SEEDS]  # each seed's class generated and projected


@pytest.mark.slow
def test_generated_run_files(generated_run):
    names = set(os.listdir(generated_run))
    for seed in SEEDS:
        prefix = "seed%04d" % seed
        assert {prefix + "-target.png", prefix + "-step0000.png", prefix + "-step0100.png", prefix + "-step0200.png"} <= names
        assert np.load(os.path.join(generated_run, prefix + "-dlatents.npy")).shape == (8, 64)
        with np.load(os.path.join(generated_run, prefix + "-noise.npz")) as noise:
            assert sorted(noise.files) == sorted("noise%d" % i for i in range(8))
        log = [json.loads(line) for line in open(os.path.join(generated_run, prefix + "-log.jsonl"))]
        assert [entry["step"] for entry in log] == list(range(STEPS + 1))
        assert log[-1]["distance"] < log[0]["distance"] / 10
    grid = PIL.Image.open(os.path.join(generated_run, "projections.png"))
    assert grid.size == (64, 32 * len(SEEDS))  # a row per image: target | projection
    assert not any(".tmp-" in name for name in names)


@pytest.mark.slow
def test_saved_dlatents_reproduce_the_saved_projection(session, generated_run):
    Gs = load_demo_Gs()
    synthesis = Gs.components.synthesis
    for seed in SEEDS:
        prefix = os.path.join(generated_run, "seed%04d" % seed)
        with np.load(prefix + "-noise.npz") as noise:
            set_noise(synthesis, {name: noise[name] for name in noise.files})
        images = synthesis.run(np.load(prefix + "-dlatents.npy")[np.newaxis], randomize_noise=False,
                               output_transform=dict(func=tflib.convert_images_to_uint8))
        np.testing.assert_array_equal(images[0, 0], png(prefix + "-step%04d.png" % STEPS))

# ----------------------------------------------------------------------------
# project-real-images, and bad input.


def run_main(module, argv, capsys):
    """(exit code, stdout, stderr) of module.main(argv) run as the command line runs it."""
    try:
        dnnlib.util.run_command_line(module.main, argv)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(run_projector, "_networks", {})  # each test has its own graph


def save_gray(path, array):
    PIL.Image.fromarray(np.asarray(array, np.uint8), "L").save(path)


def demo_images(count):
    """uint8 [count, 1, 32, 32] images of the demo network (seeds 10..), with their classes."""
    Gs = load_demo_Gs()
    classes = [(10 + i) % 10 for i in range(count)]
    latents = np.stack([np.random.RandomState(10 + i).randn(64) for i in range(count)])
    images = Gs.run(latents, pretrained_networks.one_hot_labels(Gs, classes), truncation_psi=0.7,
                    output_transform=dict(func=tflib.convert_images_to_uint8))
    return images, classes


def test_real_images_from_folder_and_center_crop(session, tmp_path, capsys, fresh_cache):
    images, _ = demo_images(2)
    folder = tmp_path / "photos"
    folder.mkdir()
    save_gray(folder / "a.png", images[0, 0])
    wide = np.zeros([32, 48], np.uint8)
    wide[:, 8:40] = images[1, 0]
    PIL.Image.fromarray(wide, "L").convert("RGB").save(folder / "b.jpg", quality=100)  # gray content stored as RGB
    (folder / "notes.txt").write_text("not an image, and not listed")
    code, out, err = run_main(run_projector, ["project-real-images", "--images", str(folder), "--center-crop", "--distance", "pixel",
                                              "--num-steps", "30", "--num-snapshots", "3", "--result-dir", str(tmp_path / "results")], capsys)
    assert code == 0, err
    run_dir, = glob.glob(str(tmp_path / "results" / "*-project-real-images"))
    names = set(os.listdir(run_dir))
    assert {"image0000-step0010.png", "image0000-step0020.png", "image0000-step0030.png", "image0001-target.png"} <= names
    np.testing.assert_array_equal(png(os.path.join(run_dir, "image0000-target.png")), images[0, 0])
    cropped = png(os.path.join(run_dir, "image0001-target.png"))
    assert np.abs(cropped - images[1, 0]).mean() < 2  # the central square of the wide JPEG
    summaries = [json.loads(line) for line in open(os.path.join(run_dir, "projections.jsonl"))]
    assert [s["source"] for s in summaries] == [str(folder / "a.png"), str(folder / "b.jpg")]
    assert all(s["label"] is None for s in summaries)  # no --class, no labels: the mean over all classes


def test_real_images_from_dataset_with_labels_and_lpips_standin(session, tmp_path, capsys, fresh_cache):
    images, classes = demo_images(3)
    with dataset_tool.TFRecordExporter(str(tmp_path / "data" / "fmnist"), len(images), print_progress=False) as tfr:
        for image in images:
            tfr.add_image(image)
        tfr.add_labels(np.eye(10, dtype=np.float32)[classes])
    code, out, err = run_main(run_projector, ["project-real-images", "--data-dir", str(tmp_path / "data"), "--dataset", "fmnist", "--num-images", "2",
                                              "--distance", "lpips", "--perceptual-network", "tests.standin_networks.make_lpips_standin",
                                              "--num-steps", "10", "--w-plus", "--result-dir", str(tmp_path / "results")], capsys)
    assert code == 0, err
    run_dir, = glob.glob(str(tmp_path / "results" / "*-project-real-images"))
    summaries = [json.loads(line) for line in open(os.path.join(run_dir, "projections.jsonl"))]
    assert [s["label"] for s in summaries] == classes[:2]  # the dataset's labels choose the starting class
    assert all(s["distance_kind"] == "lpips" and s["w_plus"] for s in summaries)
    for index in range(2):
        np.testing.assert_array_equal(png(os.path.join(run_dir, "image%04d-target.png" % index)), images[index, 0])
    assert "lpips distance" in out


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="the optional video extra (imageio-ffmpeg) is not installed")
def test_video(session, tmp_path, capsys, fresh_cache):
    images, _ = demo_images(1)
    save_gray(tmp_path / "a.png", images[0, 0])
    code, _out, err = run_main(run_projector, ["project-real-images", "--images", str(tmp_path / "a.png"), "--distance", "pixel", "--num-steps", "12",
                                               "--video", "--result-dir", str(tmp_path / "results")], capsys)
    assert code == 0, err
    video, = glob.glob(str(tmp_path / "results" / "*" / "image0000.mp4"))
    assert os.path.getsize(video) > 1000


def _bad_inputs(tmp_path):
    colour = np.random.RandomState(0).randint(0, 256, [32, 32, 3]).astype(np.uint8)
    PIL.Image.fromarray(colour, "RGB").save(tmp_path / "colour.png")
    save_gray(tmp_path / "wide.png", np.zeros([32, 48]))
    (tmp_path / "text.png").write_text("this is not a PNG")
    (tmp_path / "empty").mkdir()
    PIL.Image.new("L", (10000, 10000)).save(tmp_path / "bomb.png")  # 100 Mpx in about 100 KB
    real = ["project-real-images", "--distance", "pixel", "--num-steps", "5"]
    generated = ["project-generated-images", "--distance", "pixel", "--num-steps", "5"]
    return {
        "missing file": (real + ["--images", str(tmp_path / "nope.png")], "no such file or folder"),
        "non-image": (real + ["--images", str(tmp_path / "text.png")], "is not an image that can be read"),
        "channel count": (real + ["--images", str(tmp_path / "colour.png")], "colour image (3 channels) but the network makes grayscale"),
        "non-square": (real + ["--images", str(tmp_path / "wide.png")], "is 48x32, not square"),
        "empty folder": (real + ["--images", str(tmp_path / "empty")], "holds no images"),
        "no source": (real, "--images PATH or --dataset NAME"),
        "missing dataset": (real + ["--dataset", "nope", "--data-dir", str(tmp_path)], "does not exist"),
        "class out of range": (generated + ["--class", "10"], "Class 10 does not exist"),
        "class unconditional": (generated + ["--network", os.path.join(DATA_DIR, "sgan32.pkl"), "--class", "1"], "not class-conditional"),
        "bad seeds": (generated + ["--seeds", "3-1"], "--seeds takes numbers"),
        "save step too late": (generated + ["--save-steps", "6"], "--save-steps takes values up to 5"),
        "huge seed range": (generated + ["--seeds", "0-99999999999"], "--seeds takes values up to 4294967295, at most 65536 of them"),
        "seed beyond numpy": (generated + ["--seeds", "4294967296"], "--seeds takes values up to 4294967295"),
        "huge save-step range": (generated + ["--save-steps", "0-99999999999"], "--save-steps takes values up to 5"),
        "5000-digit seed": (generated + ["--seeds", "1" * 5000], "--seeds takes numbers and ranges"),
        "steps beyond the limit": (["project-generated-images", "--num-steps", "1" + "0" * 23], "--num-steps takes at most 16777216"),
        "beyond the pixel limit": (real + ["--images", str(tmp_path / "bomb.png")], "exceeds limit of 89478485 pixels"),  # Pillow would only warn
        "perceptual network": (["project-generated-images", "--perceptual-network", str(tmp_path / "none.pkl")], "neither a named network"),
        "video extra": (generated + ["--video"], "pip install imageio-ffmpeg"),
    }


@pytest.mark.parametrize("case", ["missing file", "non-image", "channel count", "non-square", "empty folder", "no source", "missing dataset",
                                  "class out of range", "class unconditional", "bad seeds", "save step too late", "huge seed range",
                                  "seed beyond numpy", "huge save-step range", "5000-digit seed", "steps beyond the limit",
                                  "beyond the pixel limit",
                                  "perceptual network", "video extra"])
def test_bad_input_is_one_line_and_leaves_no_run_dir(session, tmp_path, capsys, monkeypatch, fresh_cache, case):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if the video extra were not installed
    argv, message = _bad_inputs(tmp_path)[case]
    results = tmp_path / "results"
    code, _out, err = run_main(run_projector, argv + ["--result-dir", str(results)], capsys)
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert code == 1 and len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err
    assert not results.exists() or not os.listdir(results)


def test_bad_input_on_the_command_line(tmp_path):
    save_gray(tmp_path / "wide.png", np.zeros([40, 32]))
    result = run_python(["run_projector.py", "project-real-images", "--images", str(tmp_path / "wide.png"), "--distance", "pixel",
                         "--result-dir", str(tmp_path / "results")])
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "is 32x40, not square" in errors[0] and "--center-crop" in errors[0]
    assert not (tmp_path / "results").exists()

# ----------------------------------------------------------------------------
# style_mix_projected.py.


@pytest.mark.slow
def test_style_mixing_with_projected_dlatents(generated_run, tmp_path):
    dlatents = [os.path.join(generated_run, "seed%04d-dlatents.npy" % seed) for seed in SEEDS]
    out = tmp_path / "mix.png"
    result = run_python(["style_mix_projected.py", "--network", "demo", "--rows", "%s,%s,5" % (dlatents[0], dlatents[1]),
                         "--cols", "7,%s,8" % dlatents[2], "--styles", "coarse,middle,0-7", "--out", str(out)])
    assert result.returncode == 0, result.stderr
    canvas = np.asarray(PIL.Image.open(out).convert("L"), np.float64)
    assert canvas.shape == (4 * 32, 4 * 32)
    assert (canvas[:32, :32] == 255).all()  # the blank corner

    def cell(row, col):
        return canvas[32 * row:32 * (row + 1), 32 * col:32 * (col + 1)]
    np.testing.assert_array_equal(cell(1, 0), png(os.path.join(generated_run, "seed0000-step%04d.png" % STEPS)))  # a projection, its own noise
    np.testing.assert_array_equal(cell(0, 2), png(os.path.join(generated_run, "seed0002-step%04d.png" % STEPS)))
    assert not np.array_equal(cell(1, 2), cell(1, 0)) and not np.array_equal(cell(1, 2), cell(0, 2))  # coarse styles of seed 2 on seed 0
    # Row 3 takes all 8 layers from its column: the column's dlatents with the row's noise maps.
    assert np.abs(cell(3, 2) - cell(0, 2)).mean() < np.abs(cell(3, 0) - cell(0, 2)).mean()


def test_saved_steps():
    """Evenly spaced snapshots with the last step; more snapshots than steps save every step (quick smoke runs)."""
    assert run_projector.saved_steps(3, 5, None) == [1, 2, 3]
    assert run_projector.saved_steps(1000, 5, None) == [200, 400, 600, 800, 1000]
    assert run_projector.saved_steps(10, 5, "0,3-4") == [0, 3, 4, 10]


def test_style_mixing_bad_input(session, tmp_path, capsys):
    np.save(tmp_path / "wrong.npy", np.zeros([18, 512], np.float32))
    np.save(tmp_path / "nan.npy", np.full([8, 64], np.nan, np.float32))  # would draw a black image, exit status 0
    np.save(tmp_path / "strings.npy", np.full([8, 64], "x"))
    np.savez(tmp_path / "archive.npz", dlatents=np.zeros([8, 64], np.float32))
    os.replace(tmp_path / "archive.npz", tmp_path / "archive.npy")
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    (tmp_path / "huge.npy").write_bytes(b"\x93NUMPY\x01\x00" + bytes([len(header) + 1, 0]) + header + b"\n")  # 3.6 TiB in 90 bytes
    np.save(tmp_path / "ok-dlatents.npy", np.zeros([8, 64], np.float32))
    with zipfile.ZipFile(tmp_path / "ok-noise.npz", "w", zipfile.ZIP_DEFLATED) as archive:  # noise0 declares 4 GiB: refused before inflating
        big = b"{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296,), }"
        with archive.open("noise0.npy", "w", force_zip64=True) as member:
            member.write(b"\x93NUMPY\x01\x00" + bytes([len(big) + 1, 0]) + big + b"\n" + bytes(1 << 20))
        for layer in range(1, 8):
            archive.writestr("noise%d.npy" % layer, b"")
    np.save(tmp_path / "odd-dlatents.npy", np.zeros([8, 64], np.float32))
    with zipfile.ZipFile(tmp_path / "odd-noise.npz", "w", zipfile.ZIP_BZIP2) as archive:  # a codec np.savez never uses
        for layer in range(8):
            archive.writestr("noise%d.npy" % layer, b"")
    cases = [
        (["--rows", str(tmp_path / "odd-dlatents.npy"), "--cols", "2"], "noise0.npy is encrypted or compressed other than np.savez does"),
        (["--rows", "1", "--cols", "2", "--styles", "fine"], "Style 'fine' needs layers 8 and up; this network has 8 layers"),
        (["--rows", "1", "--cols", "2", "--styles", "0-99999999999999999999"], "needs layers 0-99999999999999999999; this network has 8"),
        (["--rows", str(tmp_path / "wrong.npy"), "--cols", "2"], "this network takes real numbers of shape [8, 64] or [1, 8, 64]"),
        (["--rows", "1,2", "--cols", "2", "--styles", "coarse,middle,fine"], "3 styles for 2 rows"),
        (["--rows", str(tmp_path / "nope.npy"), "--cols", "2"], "neither a seed (0 to 2**32-1) nor an existing dlatents file"),
        (["--rows", "4294967296", "--cols", "2"], "'4294967296' is neither a seed (0 to 2**32-1)"),
        (["--rows", "1" * 5000, "--cols", "2"], "is neither a seed (0 to 2**32-1)"),
        (["--rows", "1", "--cols", "2", "--styles", "0-" + "9" * 5000], "--styles takes coarse, middle, fine or a layer range"),
        (["--rows", str(tmp_path / "nan.npy"), "--cols", "2"], "it holds NaN or infinite values (in float32)"),
        (["--rows", str(tmp_path / "strings.npy"), "--cols", "2"], "it holds <U1 values of shape [8, 64]"),
        (["--rows", str(tmp_path / "archive.npy"), "--cols", "2"], "an archive of arrays (.npz), not one array (.npy)"),
        (["--rows", str(tmp_path / "huge.npy"), "--cols", "2"], "it declares 1000000x1000000 values, more than the file holds"),
        (["--rows", str(tmp_path / "ok-dlatents.npy"), "--cols", "2"], "noise map noise0 of '%s': it declares 4294967296 values, more than the file holds"
         % (tmp_path / "ok-noise.npz")),
    ]
    code, _out, err = run_main(style_mix_projected, ["--rows", "1", "--cols", "2", "--out", str(tmp_path)], capsys)
    assert code == 1 and "is a directory; give the PNG's file name" in err and "Traceback" not in err, err
    for argv, message in cases:
        code, _out, err = run_main(style_mix_projected, argv + ["--out", str(tmp_path / "mix.png")], capsys)
        assert code == 1 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "mix.png").exists()


def test_16bit_grayscale_targets_are_scaled_as_dataset_tool_stores_them(tmp_path):
    """A 16-bit grayscale PNG projects as its 8-bit version (round(v / 257)), not clipped at 255 as PIL converts it."""
    values = np.random.RandomState(16).randint(0, 65536, [8, 8]).astype(np.uint16)
    values[0, :3] = [0, 128, 65535]
    path = str(tmp_path / "gray16.png")
    PIL.Image.fromarray(values).save(path)
    expected = np.floor(values / 257.0 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(run_projector.load_image(path, 8, 1), expected[np.newaxis])
    np.testing.assert_array_equal(run_projector.load_image(path, 8, 3), np.repeat(expected[np.newaxis], 3, axis=0))


def test_a_palette_with_more_transparency_entries_than_colours_is_one_error(tmp_path):
    """Pillow fails converting such a PNG (palette index out of range): a UserError naming the file, not a traceback."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\x00" + bytes(8) for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 3, 0, 0, 0)  # 8x8, 8-bit palette
    path = tmp_path / "palette.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", bytes(12)) + chunk(b"tRNS", bytes(300))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    with pytest.raises(dnnlib.util.UserError, match="'.*palette.png' is not an image that can be read"):
        run_projector.load_image(str(path), 8, 3)
