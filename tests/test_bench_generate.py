"""bench/bench_generate.py: a conditional network is fed labels as Gs.run feeds them; each setting profiles its own graph."""

import os
import re
import sys

import numpy as np
import pytest

from conftest import DATA_DIR, run_python

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import bench_generate  # noqa: E402


@pytest.mark.slow
def test_bench_generate_times_and_profiles_a_conditional_network():
    result = run_python(["bench/bench_generate.py", "--network", os.path.join(DATA_DIR, "sgan32_cond_fused.pkl"), "--minibatch", "2",
                         "--repeats", "1", "--profile"])
    assert result.returncode == 0, result.stderr
    row = re.search(r"sgan32_cond_fused\.pkl\s+2\s+default\s+float32\s+([\d.]+)\s+([\d.]+)", result.stdout)
    assert row and float(row.group(1)) > 0 and float(row.group(2)) > 0, result.stdout
    assert "Conv2D" in result.stdout and "peak RSS" in result.stdout


def test_profile_runs_the_graph_of_its_own_settings(session):
    """With several precisions, each one's profile traces its own run graph, not the newest one built."""
    Gs = bench_generate.official_layout_Gs(8)
    latents = np.random.RandomState(0).randn(1, 512)
    settings = [dict(bench_generate.run_kwargs(1, None), **bench_generate.precision_kwargs(p)) for p in bench_generate.PRECISIONS]
    for kwargs in settings:
        Gs.run(latents, None, **kwargs)
    graphs = [bench_generate.run_graph_of(Gs, kwargs) for kwargs in settings]
    assert len(Gs._run_cache) == len(settings) and graphs[0] is not graphs[1]
    assert bench_generate.profile_run(Gs, latents, settings[0])[0].get("Cast", 0) == 0  # float32 throughout
    assert bench_generate.profile_run(Gs, latents, settings[1])[0].get("Cast", 0) > 0
