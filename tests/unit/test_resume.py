"""TrainingState: the state file always names a complete checkpoint, and clear() forgets both."""

import json

import numpy as np
import pytest

from tf1_recipes import resume
from tf1_recipes.compat import tf, tf1


@pytest.fixture
def session():
    with tf1.Graph().as_default():
        counter = tf1.get_variable("counter", initializer=tf.constant(0.0))
        step = tf1.assign_add(counter, 1.0)
        with tf1.Session() as sess:
            sess.run(counter.initializer)
            yield sess, counter, step


def test_each_save_names_a_complete_checkpoint_and_keeps_the_previous_one(session, tmp_path):
    sess, counter, step = session
    state = resume.TrainingState(tmp_path, "abc")
    for epoch in (1, 2, 3):
        sess.run(step)
        state.save(sess, epoch, best_loss=0.5, series={"valid_loss": [0.5] * epoch})
        saved = json.loads((tmp_path / resume.STATE_NAME).read_text())
        assert saved["epoch"] == epoch and saved["checkpoint"] == f"{resume.RESUME_DIR}/model.ckpt-{epoch}"
        assert not list(tmp_path.glob(f".{resume.STATE_NAME}.*")), "the temporary state file was left behind"
    kept = sorted(p.name for p in (tmp_path / resume.RESUME_DIR).glob("*.index"))
    assert kept == ["model.ckpt-2.index", "model.ckpt-3.index"]  # the one before the state's survives

    loaded = state.load()
    assert (loaded["epoch"], loaded["best_loss"], loaded["series"]) == (3, 0.5, {"valid_loss": [0.5] * 3})
    sess.run(tf1.assign(counter, 100.0))
    state.restore(sess, loaded)
    assert sess.run(counter) == np.float32(3.0)

    state.clear()
    assert state.load() is None and not (tmp_path / resume.RESUME_DIR).exists()


def test_a_state_naming_a_missing_checkpoint_or_garbage_is_an_error(session, tmp_path):
    state = resume.TrainingState(tmp_path, "abc")
    (tmp_path / resume.STATE_NAME).write_text(json.dumps({"fingerprint": "abc", "epoch": 4, "checkpoint": "resume/gone"}))
    with pytest.raises(resume.ResumeStateError, match=r"names a damaged or missing checkpoint \(no resume checkpoint at .*resume/gone.*delete"):
        state.load()
    (tmp_path / resume.STATE_NAME).write_text("{torn")
    with pytest.raises(resume.ResumeStateError, match=r"training_state.json is damaged \(not JSON"):
        state.load()
