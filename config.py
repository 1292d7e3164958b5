"""Where results, datasets and downloads live; each may be overridden by an environment variable."""

import os

import dnnlib.util

result_dir = os.environ.get("STYLEGAN_RESULT_DIR", "results")
data_dir = os.environ.get("STYLEGAN_DATA_DIR", "datasets")
cache_dir = os.environ.get("STYLEGAN_CACHE_DIR", "cache")
run_dir_ignore = ["results", "datasets", "cache", "venv", "tests", "bench", "networks"]  # ours adds the last four: not needed to run
dnnlib.util.set_cache_dir(cache_dir)
