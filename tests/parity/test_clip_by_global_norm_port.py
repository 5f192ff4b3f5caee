"""clip_by_global_norm's port: summary.FileWriter → tf.summary.create_file_writer, the same norms at the same steps."""

from pathlib import Path

import numpy as np
import tensorflow as tf

TINY = {"n_epochs": 1, "train_size": 1000}
TAGS = ("per_step/global_norm_before", "per_step/global_norm_after")


def norms_logged(out_dir):
    """{tag: {step: value}} of the per-step norm summaries in every event file under ``out_dir``."""
    found = {tag: {} for tag in TAGS}
    for path in Path(out_dir).rglob("events.out.tfevents*"):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag in found:
                    number = value.simple_value if value.HasField("simple_value") else tf.make_ndarray(value.tensor)
                    found[value.tag][event.step] = float(number)
    return found


def test_the_port_logs_the_same_norms_at_the_same_steps_as_the_file_writer(run_quiet, tmp_path):
    tf1_run = run_quiet("clip_by_global_norm", "global_norm", overrides=TINY, out_dir=str(tmp_path / "tf1"))
    tf2_run = run_quiet("clip_by_global_norm", "global_norm", overrides=TINY, out_dir=str(tmp_path / "tf2"), tf2=True)
    tf1_logged, tf2_logged = norms_logged(tmp_path / "tf1"), norms_logged(tmp_path / "tf2")
    steps = TINY["train_size"] // 50
    for tag in TAGS:
        assert sorted(tf1_logged[tag]) == sorted(tf2_logged[tag]) == list(range(steps)), tag
        ours, theirs = (np.array([d[tag][s] for s in range(steps)]) for d in (tf2_logged, tf1_logged))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=tag)
    # Clipping by global norm really acted: after <= threshold, below before on some steps.
    after = np.array(list(tf2_logged["per_step/global_norm_after"].values()))
    assert after.max() <= 0.5 + 1e-6 and np.mean(after < np.array(list(tf2_logged["per_step/global_norm_before"].values()))) > 0.1
    np.testing.assert_allclose(tf2_run.extras["clipped_fraction"], tf1_run.extras["clipped_fraction"])
