"""bench/bench_generate.py on a network pickle, end to end: a conditional one is fed labels as Gs.run feeds them."""

import os
import re

import pytest

from conftest import DATA_DIR, run_python


@pytest.mark.slow
def test_bench_generate_times_and_profiles_a_conditional_network():
    result = run_python(["bench/bench_generate.py", "--network", os.path.join(DATA_DIR, "sgan32_cond_fused.pkl"), "--minibatch", "2",
                         "--repeats", "1", "--profile"])
    assert result.returncode == 0, result.stderr
    row = re.search(r"sgan32_cond_fused\.pkl\s+2\s+default\s+float32\s+([\d.]+)\s+([\d.]+)", result.stdout)
    assert row and float(row.group(1)) > 0 and float(row.group(2)) > 0, result.stdout
    assert "Conv2D" in result.stdout and "peak RSS" in result.stdout
