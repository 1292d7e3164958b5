"""dnnlib.util: EasyDict, names to objects, time formatting, and open_url against a local HTTP server."""

import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading

import pytest

import dnnlib
from dnnlib import util


def test_easydict_and_format_time():
    d = dnnlib.EasyDict(a=1)
    d.b = 2
    assert d == {"a": 1, "b": 2} and d.items == d.items
    del d.a
    with pytest.raises(AttributeError):
        d.a
    assert [util.format_time(s) for s in (2.5, 42, 59.5, 125, 3725, 90061)] == ["2s", "42s", "1m 00s", "2m 05s", "1h 02m 05s", "1d 01h 01m"]


def test_names_to_objects():
    assert util.get_obj_by_name("np.float32").__name__ == "float32"
    assert util.get_obj_by_name("dnnlib.util.format_time") is util.format_time
    module, name = util.get_module_from_obj_name("dnnlib.util.EasyDict.keys")
    assert module is util and name == "EasyDict.keys"
    assert util.call_func_by_name(3, 4, func_name="builtins.max") == 4
    assert util.get_top_level_function_name(util.format_time) == "dnnlib.util.format_time"
    with pytest.raises(ImportError):
        util.get_obj_by_name("no_such_module_xyz.thing")
    dtype, ctype = util.get_dtype_and_ctype("float32")
    assert dtype.itemsize == 4 and ctype.__name__ == "c_float"


def test_is_url():
    assert util.is_url("https://drive.google.com/uc?id=1")
    assert util.is_url("http://127.0.0.1:8000/x")
    assert not util.is_url("http://localhost/x")
    assert not util.is_url("results/network.pkl")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Routes: /file, /flaky (500 once), /truncated (short body), /drive (Drive virus-scan page), /confirmed, /loop (redirects to itself)."""
    calls = {}

    def log_message(self, *args):
        pass

    def _send(self, code, body, headers=()):
        self.send_response(code)
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        count = self.calls[path] = self.calls.get(path, 0) + 1
        if path == "/file":
            self._send(200, b"payload" * 2000, [("Content-Disposition", 'attachment; filename="net work.pkl"')])
        elif path == "/flaky":
            self._send(500, b"oops") if count == 1 else self._send(200, b"second time lucky")
        elif path == "/truncated":
            self._send(200, b"short", [("Content-Length", "100")])
        elif path == "/drive":
            page = b'<a href="/confirmed?id=1&amp;confirm=t&amp;export=download">Download anyway</a>'
            self._send(200, page, [("Set-Cookie", "download_warning_123=abc")])
        elif path == "/confirmed":
            self._send(200, b"big file contents", [("Content-Disposition", 'attachment; filename="big.pkl"')])
        elif path == "/loop":
            self._send(302, b"", [("Location", "/loop")])
        elif path == "/plain":
            self._send(200, b"no name sent")
        elif path == "/binary":
            self._send(200, bytes(range(256)) * 4, [("Content-Disposition", 'attachment; filename="small.bin"')])  # < 8 KiB, not UTF-8
        else:
            self._send(404, b"missing")


@pytest.fixture
def server():
    _Handler.calls = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()


def test_open_url_cache_miss_then_hit(server, tmp_path):
    url = server + "/file"
    with util.open_url(url, cache_dir=str(tmp_path), verbose=False) as f:
        assert f.read() == b"payload" * 2000
    md5 = hashlib.md5(url.encode("utf-8")).hexdigest()
    assert os.listdir(tmp_path) == [md5 + "_net_work.pkl"]
    with util.open_url(url, cache_dir=str(tmp_path), verbose=False) as f:
        assert f.read() == b"payload" * 2000
    assert _Handler.calls["/file"] == 1


def test_open_url_retries_after_server_error(server, tmp_path, capsys):
    with util.open_url(server + "/flaky", cache_dir=str(tmp_path), num_attempts=3) as f:
        assert f.read() == b"second time lucky"
    assert capsys.readouterr().out == "Downloading %s/flaky .... done\n" % server  # " ..." then one "." per retry


def test_cache_takes_long_urls_paths_with_glob_characters_and_clears_killed_downloads(server, tmp_path):
    """A signed URL longer than a file name may be, a cache dir named like a glob pattern, and the temporary file of
    a download whose process was killed: cached once, found again, debris removed."""
    cache = tmp_path / "cache[1]*"
    url = server + "/plain?X-Amz-Signature=" + "a" * 400
    md5 = hashlib.md5(url.encode("utf-8")).hexdigest()
    os.makedirs(cache)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    debris = cache / ("%s_plain.tmp-%s-%d-0123abcd" % (md5, util._host_tag(), dead.pid))
    debris.write_bytes(b"half a download")
    assert util.cached_files(str(cache), url) == []  # a temporary file is never taken for the cached one
    for _ in range(2):
        with util.open_url(url, cache_dir=str(cache), verbose=False) as f:
            assert f.read() == b"no name sent"
    assert _Handler.calls["/plain"] == 1
    (cached,) = os.listdir(cache)
    assert cached.startswith(md5 + "_http___127.0.0.1_") and len(cached) == 33 + util._CACHE_NAME_CHARS


def test_open_url_never_caches_truncated_body(server, tmp_path):
    with pytest.raises(util.DownloadError, match="Cannot download"):
        util.open_url(server + "/truncated", cache_dir=str(tmp_path), num_attempts=2, verbose=False)
    assert os.listdir(tmp_path) == []


def test_open_url_follows_drive_confirmation(server, tmp_path):
    with util.open_url(server + "/drive", cache_dir=str(tmp_path), verbose=False) as f:
        assert f.read() == b"big file contents"
    assert os.listdir(tmp_path)[0].endswith("_big.pkl")


def test_open_url_offline_message(tmp_path):
    url = "http://127.0.0.1:9/unreachable.pkl"
    with pytest.raises(util.DownloadError) as info:
        util.open_url(url, cache_dir=str(tmp_path), num_attempts=1, verbose=False)
    message = str(info.value)
    assert url in message and "local file path" in message and hashlib.md5(url.encode()).hexdigest() in message
    assert "\n" not in message


def test_client_errors_are_not_retried_and_name_the_cache_file(server, tmp_path):
    url = server + "/gone"
    util.register_file_names({url: "karras2019stylegan-ffhq-1024x1024.pkl"})
    with pytest.raises(util.DownloadError) as info:
        util.open_url(url, cache_dir=str(tmp_path), num_attempts=10, verbose=False)
    assert _Handler.calls["/gone"] == 1  # a 404 does not get better by asking again
    message = str(info.value)
    assert "HTTP 404" in message and "%s_karras2019stylegan-ffhq-1024x1024.pkl" % hashlib.md5(url.encode()).hexdigest() in message


def test_small_binary_download_is_not_mistaken_for_a_page(server, tmp_path):
    with util.open_url(server + "/binary", cache_dir=str(tmp_path), verbose=False) as f:
        assert f.read() == bytes(range(256)) * 4


def test_atomic_output_and_stale_temp_files(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with util.atomic_output(str(target)) as temp:
            open(temp, "wb").write(b"half")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.bin"]  # the failed write left nothing
    with util.atomic_output(str(target)) as temp:
        open(temp, "wb").write(b"new")
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["out.bin"]

    mine = util.temp_path_for(str(tmp_path / "snap.pkl"))  # this process is alive: kept
    dead = re.sub(r"-\d+-([0-9a-f]{8})$", r"-%d-\1" % (2 ** 22 + 1), mine)  # above any pid_max: a dead writer
    foreign = tmp_path / "snap.pkl.tmp-1234"  # not our naming: never touched
    for path in (mine, dead, str(foreign)):
        open(path, "wb").write(b"x")
    assert util.remove_stale_temp_files(str(tmp_path)) == [dead]
    assert sorted(os.listdir(tmp_path)) == sorted(["out.bin", os.path.basename(mine), "snap.pkl.tmp-1234"])


def test_a_redirect_loop_is_named_and_not_retried(server, tmp_path):
    with pytest.raises(util.DownloadError, match="the server redirects in a loop") as info:
        util.open_url(server + "/loop", cache_dir=str(tmp_path), num_attempts=10, verbose=False)
    assert "HTTP 302" not in str(info.value)
    assert 20 <= _Handler.calls["/loop"] <= 31  # one attempt: requests follows up to 30 redirects, then gives up


def test_error_lines_escape_control_characters(capsys):
    """A message naming a hostile file ('x\\nError: ...', terminal escapes) is still one line, visibly escaped."""
    def fail():
        raise util.UserError("Cannot read 'x\nError: forged \x1b[2J'.")
    with pytest.raises(SystemExit) as exit_:
        util.run_command_line(fail)
    assert exit_.value.code == 1
    assert capsys.readouterr().err == "Error: Cannot read 'x\\nError: forged \\x1b[2J'.\n"
