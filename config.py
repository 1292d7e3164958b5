"""Where results, datasets and downloads live; each may be overridden by an environment variable."""

import os

result_dir = os.environ.get("STYLEGAN_RESULT_DIR", "results")
data_dir = os.environ.get("STYLEGAN_DATA_DIR", "datasets")
cache_dir = os.environ.get("STYLEGAN_CACHE_DIR", "cache")
run_dir_ignore = ["results", "datasets", "cache", ".git", ".venv", "venv"]  # ours adds the last three: never copy them into run dirs
