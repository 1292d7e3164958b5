"""pretrained_example.py and generate_figures.py end to end on small local pickles; bad --network values."""

import os

import PIL.Image
import pytest

from conftest import DATA_DIR, run_python

SGAN32 = os.path.join(DATA_DIR, "sgan32.pkl")
COND = os.path.join(DATA_DIR, "sgan32_cond_fused.pkl")


@pytest.mark.slow
def test_pretrained_example_writes_png(tmp_path):
    result = run_python(["pretrained_example.py", "--network", SGAN32, "--outdir", str(tmp_path), "--seed", "3"])
    assert result.returncode == 0, result.stderr
    assert "Total                       226460" in result.stdout
    image = PIL.Image.open(tmp_path / "example.png")
    assert image.size == (32, 32) and image.mode == "RGB"


@pytest.mark.slow
def test_generate_figures_at_network_resolution(tmp_path):
    result = run_python(["generate_figures.py", "--network", "ffhq=" + SGAN32, "--network", "cats=" + COND, "--outdir", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    expected = {  # the original's canvases divided by 32 (ffhq: 1024 -> 32) and by 8 (cats: 256 -> 32)
        "figure02-uncurated-ffhq.png": (72, 96), "figure03-style-mixing.png": (192, 224), "figure04-noise-detail.png": (96, 64),
        "figure05-noise-components.png": (64, 64), "figure08-truncation-trick.png": (192, 64), "figure12-uncurated-cats.png": (120, 160),
    }
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    for name, size in expected.items():
        assert PIL.Image.open(tmp_path / name).size == size, name


@pytest.mark.parametrize("script,args,message", [
    ("pretrained_example.py", ["--network", "no-such-file.pkl"], "neither a preset"),
    ("pretrained_example.py", ["--network", "http://localhost/x.pkl"], "not a usable URL"),
    ("generate_figures.py", ["--network", "dogs=x.pkl"], "NAME=PKL_OR_URL"),
    ("generate_figures.py", ["--figures", "7"], "No figure 7"),
])
def test_bad_arguments_give_one_line(script, args, message):
    result = run_python([script] + args)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_corrupt_and_truncated_pickles(tmp_path):
    (tmp_path / "corrupt.pkl").write_bytes(b"this is a text file, not a pickle")
    with open(SGAN32, "rb") as f:
        (tmp_path / "cut.pkl").write_bytes(f.read()[:1000])
    for name, message in [("corrupt.pkl", "not a valid network pickle"), ("cut.pkl", "truncated file")]:
        result = run_python(["pretrained_example.py", "--network", str(tmp_path / name), "--outdir", str(tmp_path)])
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "example.png").exists()


def test_offline_download_error(tmp_path):
    result = run_python(["pretrained_example.py", "--network", "http://127.0.0.1:9/net.pkl", "--outdir", str(tmp_path)],
                        env_extra={"STYLEGAN_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 1
    error = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "http://127.0.0.1:9/net.pkl" in error[0] and "local file path" in error[0]


def single_error_line(result):
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert result.returncode == 1 and len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    return errors[0]


def test_unwritable_outputs_are_one_line(tmp_path):
    """Output, result and cache dirs that cannot be created (a file stands in the way: fails even for root)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = str(blocker / "sub")
    cases = [
        ["pretrained_example.py", "--network", SGAN32, "--outdir", out],
        ["generate_figures.py", "--network", "ffhq=" + SGAN32, "--figures", "2", "--outdir", out],
        ["run_metrics.py", "--network", SGAN32, "--metrics", "dummy", "--result-dir", out],
    ]
    for args in cases:
        line = single_error_line(run_python(args))
        assert "a-file" in line, (args[0], line)


def test_class_option_errors(tmp_path):
    assert "Class 12 does not exist: this network has 10 classes" in single_error_line(
        run_python(["pretrained_example.py", "--class", "12", "--outdir", str(tmp_path)]))
    assert "not class-conditional" in single_error_line(
        run_python(["pretrained_example.py", "--network", SGAN32, "--class", "1", "--outdir", str(tmp_path)]))
    assert not (tmp_path / "example.png").exists()
