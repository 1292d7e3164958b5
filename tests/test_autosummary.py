"""autosummary: accumulated mean/std written to TensorBoard event files with the custom-scalars layout."""

import glob

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib


def read_events(log_dir):
    values, tags = {}, []
    for path in glob.glob(str(log_dir) + "/events.*"):
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                tags.append(value.tag)
                if value.HasField("simple_value"):
                    values.setdefault(value.tag, []).append((event.step, value.simple_value))
    return tags, values


def test_graph_and_python_values_reach_event_file(session, fresh_autosummary, tmp_path):
    autosummary = fresh_autosummary
    x = tf.placeholder(tf.float32, [None])
    passthru = autosummary.autosummary("Loss/scores/real", x)
    writer = tf.summary.FileWriter(str(tmp_path))
    tflib.run(passthru, {x: [1.0, 2.0, 3.0]})
    tflib.run(passthru, {x: [4.0, np.nan]})  # non-finite samples are dropped whole
    assert autosummary.autosummary("Progress/kimg", 12.5) == 12.5
    autosummary.autosummary("Progress/kimg", 14.5)
    autosummary.save_summaries(writer, global_step=7)
    tflib.run(passthru, {x: [10.0]})
    autosummary.save_summaries(writer, global_step=8)
    writer.close()

    tags, values = read_events(tmp_path)
    assert "custom_scalars__config__" in tags
    assert values["Loss/scores/real"][0] == (7, 2.0)
    assert np.isclose(values["xCustomScalars/Loss/scores/real/margin_hi"][0][1], 2.0 + np.sqrt(2.0 / 3.0))
    assert values["Progress/kimg"][0] == (7, 13.5)
    assert np.isclose(values["xCustomScalars/Progress/kimg/margin_lo"][0][1], 12.5)
    assert values["Loss/scores/real"][1] == (8, 10.0)  # each save covers the values since the previous one
    assert np.isnan(values["Progress/kimg"][1][1])


def test_layout_groups_by_category(session, fresh_autosummary):
    autosummary = fresh_autosummary
    for name in ["Loss/scores/real", "Loss/scores/fake", "TrainG/learning_rate"]:
        autosummary.autosummary(name, 1.0)
    layout = autosummary.finalize_autosummaries()
    payload = tf.make_ndarray(layout.value[0].tensor).item()
    assert layout.value[0].metadata.plugin_data.plugin_name == "custom_scalars"
    for text in [b"Loss", b"scores", b"TrainG", b"learning_rate", b"xCustomScalars/Loss/scores/fake/margin_lo"]:
        assert text in payload
    assert autosummary.finalize_autosummaries() is None


def test_recording_runs_nothing_before_the_save_and_a_name_never_recorded_reports_nan(session, fresh_autosummary, tmp_path, monkeypatch):
    """Graph values' accumulators start at their first update and Python values are fed at the save: recording runs
    nothing (on a cluster each run after the graph grew resends the graph to the master), and a name never
    evaluated reports NaN instead of failing."""
    autosummary, runs, real_run = fresh_autosummary, [], tf.Session.run
    monkeypatch.setattr(tf.Session, "run", lambda self, *args, **kwargs: runs.append(args) or real_run(self, *args, **kwargs))
    x = tf.placeholder(tf.float32, [None])
    recorded = autosummary.autosummary("Loss/recorded", x)
    autosummary.autosummary("Loss/never", x * 2)
    for value in (2.0, np.inf, 4.0):  # Python values wait in Python for the save (a non-finite one is dropped)
        assert autosummary.autosummary("Progress/tick", value) == value
    assert runs == []
    writer = tf.summary.FileWriter(str(tmp_path))
    tflib.run(recorded, {x: [1.0, 3.0]})
    tflib.run(recorded, {x: [5.0]})  # the second update adds to the first
    autosummary.save_summaries(writer, global_step=1)
    writer.close()
    values = read_events(tmp_path)[1]
    assert values["Loss/recorded"] == [(1, 3.0)]
    assert values["Progress/tick"] == [(1, 3.0)]
    assert np.isnan(values["Loss/never"][0][1])
