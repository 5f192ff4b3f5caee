"""Damaged checkpoints and resume state: one line naming the file, the cause and what to do
(exit 2), nothing partial written, the user's files unchanged; a damaged resume state falls
back to the previous intact checkpoint with a note.

Each damage is applied to a copy of one small checkpoint built once per module: TF1 Saver
files (``checkpoint`` state file, ``.index``, ``.data-*``, ``.meta``) read by ``migrate-ckpt``,
the TF2 checkpoint it writes (read by ``restore_model``), ``training_state.json`` with
``resume/`` (tf1_recipes.resume) and ``resume_tf2/`` (tf1_recipes.tf2.resume).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tf1_recipes import checkpoints, cli, resume
from tf1_recipes.compat import tf, tf1

RECIPE, PRESET = "gradient_clipping", "reference"
DATA = "model.ckpt.data-00000-of-00001"


def hashes(directory):
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(directory).rglob("*")) if p.is_file()
    }


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf1-recipes: error: ") and "Traceback" not in err, err
    return lines[0]


def flip(offset):
    def damage(path):
        data = bytearray(path.read_bytes())
        where = {"early": 2, "middle": len(data) // 2, "late": len(data) - 3}[offset]
        data[where] ^= 0xFF
        path.write_bytes(bytes(data))

    return damage


def truncate(fraction):
    def damage(path):
        data = path.read_bytes()
        path.write_bytes(data[: max(1, int(len(data) * fraction))] if fraction else b"")

    return damage


def missing(path):
    path.unlink()


def wrong_type(path):  # another kind of file under the name: text where binary is expected
    path.write_text("# not a checkpoint: a text file saved under this name\n")


DAMAGES = {
    "missing": missing,
    "empty": truncate(0),
    "truncated_1_byte": truncate(1e-9),
    "truncated_half": truncate(0.5),
    "truncated_last_byte": lambda p: p.write_bytes(p.read_bytes()[:-1]),
    "flip_early": flip("early"),
    "flip_middle": flip("middle"),
    "flip_late": flip("late"),
    "wrong_type": wrong_type,
}


# --------------------------------------------------------------------------- TF1 -> migrate-ckpt


@pytest.fixture(scope="module")
def tf1_run(tmp_path_factory):
    """A tiny gradient_clipping run's folder (state file, index, data, meta) and its variables."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("tf1_run")
    run_recipe(RecipeConfig(RECIPE, PRESET, overrides={"n_epochs": 1, "train_size": 1000}, out_dir=str(out), quiet=True, progress=False))
    reader = tf.train.load_checkpoint(str(out / "model.ckpt"))
    return out, {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


@pytest.fixture
def tf1_copy(tf1_run, tmp_path):
    src, values = tf1_run
    copy = tmp_path / "tf1"
    shutil.copytree(src, copy)
    return copy, values


def assert_converted(out, values):
    """The TF2 checkpoint in ``out`` holds exactly the TF1 checkpoint's values."""
    from tf1_recipes.tf2.migrate import restore_model
    from tf1_recipes.tf2.parity import build_port

    port = build_port(RECIPE, PRESET)
    restore_model(port, out)
    for tf1_name, variable in port.mapped_variables().items():
        np.testing.assert_array_equal(variable.numpy(), values[tf1_name], err_msg=tf1_name)


def migrate(capsys, source, out):
    code = cli.main(["migrate-ckpt", RECIPE, str(source), str(out), "--preset", PRESET])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("name", [DATA, "model.ckpt.index"])
def test_a_damaged_saver_file_is_one_line_naming_it_and_nothing_is_written(tf1_copy, tmp_path, capsys, name, damage):
    copy, values = tf1_copy
    DAMAGES[damage](copy / name)
    before = hashes(copy)
    out = tmp_path / "tf2"
    code, stdout, err = migrate(capsys, copy / "model.ckpt", out)
    assert hashes(copy) == before
    if code == 0:  # a flipped byte the index format does not notice: the values must then be the checkpoint's
        assert (name, damage) == ("model.ckpt.index", "flip_middle"), err
        assert_converted(out, values)
        return
    line = one_error_line(err)
    assert code == 2 and not out.exists() and not list(tmp_path.glob(".tf2.*")), line
    if name == "model.ckpt.index" and damage == "missing":
        assert f"no TF1 checkpoint at {copy / 'model.ckpt'}: {copy / name} is missing" in line
    else:
        assert f"{copy / name} " in line or f"{copy / name};" in line, line
        assert "re-save it (Saver.save in your training script; for a recipe, run it again with --out) or give another TF1 checkpoint" in line



def test_a_saver_file_this_user_may_not_read_is_permission_denied_not_damaged(tf1_copy, tmp_path, capsys, monkeypatch):
    """TensorFlow's reader called an unreadable shard damaged ("save it again"). The suite runs as root here, so the
    refusal a user without permission gets from the OS is simulated at the one place the files are opened first."""
    copy, _ = tf1_copy
    shard = copy / DATA

    def closed(path, *args, **kwargs):
        if Path(path) == shard:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(checkpoints, "open", closed, raising=False)
    code, _, err = migrate(capsys, copy / "model.ckpt", tmp_path / "tf2")
    assert code == 2 and one_error_line(err) == (
        f"tf1-recipes: error: {shard}: permission denied: it, or a folder on its path, is not open to this user; "
        "change the permissions or give another path")
    assert not (tmp_path / "tf2").exists()


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_the_meta_graph_is_not_read_by_migrate_ckpt_so_its_damage_does_not_matter(tf1_copy, tmp_path, capsys, damage):
    copy, values = tf1_copy
    DAMAGES[damage](copy / "model.ckpt.meta")
    code, stdout, err = migrate(capsys, copy / "model.ckpt", tmp_path / "tf2")
    assert code == 0 and "wrote" in stdout, err
    assert_converted(tmp_path / "tf2", values)


@pytest.mark.parametrize("damage", ["missing", "empty", "truncated_half", "flip_early", "flip_late", "wrong_type"])
def test_a_damaged_state_file_in_a_directory_is_one_line_naming_it(tf1_copy, tmp_path, capsys, damage):
    copy, _ = tf1_copy
    DAMAGES[damage](copy / "checkpoint")
    before = hashes(copy)
    code, stdout, err = migrate(capsys, copy, tmp_path / "tf2")
    if code == 0:  # the damage left a state file that still parses and names the checkpoint
        assert damage in ("flip_late", "truncated_half") and "wrote" in stdout
        return
    line = one_error_line(err)
    assert code == 2 and not (tmp_path / "tf2").exists() and hashes(copy) == before
    if damage == "missing":
        assert f"{copy}: no TF1 checkpoint state file ('checkpoint') in this directory; give the prefix, e.g. {copy / 'model.ckpt'}" in line
    else:
        assert f"checkpoint state file {copy / 'checkpoint'} " in line and f"give the checkpoint prefix instead (e.g. {copy / 'model.ckpt'})" in line


def test_a_moved_folder_reads_the_checkpoint_beside_its_state_file_and_says_so(tf1_run, tmp_path, capsys):
    src, _ = tf1_run
    moved = tmp_path / "moved"
    shutil.copytree(src, moved)  # the state file still names the original folder's absolute path
    assert str(src) in (moved / "checkpoint").read_text()
    code, stdout, err = migrate(capsys, moved, tmp_path / "tf2")
    assert code == 0, err
    assert f"tf1-recipes: note: {moved / 'checkpoint'} names {src / 'model.ckpt'}, which is outside this directory" in err
    assert f"using {moved / 'model.ckpt'} beside it" in err


def test_a_state_file_naming_a_gone_checkpoint_with_none_beside_it_is_refused_naming_both(tf1_copy, tmp_path, capsys):
    copy, _ = tf1_copy
    (copy / "checkpoint").write_text('model_checkpoint_path: "/gone/elsewhere/model.ckpt"\n')
    for suffix in (".index", ".meta", ".data-00000-of-00001"):
        os.replace(copy / f"model.ckpt{suffix}", copy / f"other.ckpt{suffix}")
    code, _, err = migrate(capsys, copy, tmp_path / "tf2")
    line = one_error_line(err)
    assert code == 2 and "names the TF1 checkpoint /gone/elsewhere/model.ckpt, which does not exist" in line
    assert f"no model.ckpt beside it either ({copy / 'model.ckpt'}.index missing)" in line


@pytest.mark.parametrize("suffix", [".index", ".meta", ".data-00000-of-00001"])
def test_a_file_of_the_checkpoint_stands_for_its_prefix_with_a_note(tf1_run, tmp_path, capsys, suffix):
    src, _ = tf1_run
    code, stdout, err = migrate(capsys, f"{src / 'model.ckpt'}{suffix}", tmp_path / "tf2")
    assert code == 0 and "wrote" in stdout
    assert f"tf1-recipes: note: {src / 'model.ckpt'}{suffix} is a file of the checkpoint {src / 'model.ckpt'}: reading that prefix" in err


def test_paths_that_are_no_checkpoint_say_what_they_are(tf1_run, tmp_path, capsys):
    src, _ = tf1_run
    code, _, err = migrate(capsys, tmp_path / "nowhere" / "model.ckpt", tmp_path / "tf2")
    assert code == 2 and f"{tmp_path / 'nowhere' / 'model.ckpt'}: does not exist" in one_error_line(err)
    code, _, err = migrate(capsys, src / "runs.jsonl", tmp_path / "tf2")
    assert code == 2 and "not a TF1 checkpoint (a file with no runs.jsonl.index beside it)" in one_error_line(err)
    code, _, err = migrate(capsys, tmp_path / "gone.ckpt.index", tmp_path / "tf2")
    assert code == 2 and "not a complete TF1 checkpoint (gone.ckpt.index missing beside it)" in one_error_line(err)
    assert not (tmp_path / "tf2").exists()


def test_an_output_folder_under_a_file_is_one_line_and_nothing_is_written(tf1_run, tmp_path, capsys):
    src, _ = tf1_run
    user_file = tmp_path / "notes.txt"
    user_file.write_text("mine\n")
    code, out, err = migrate(capsys, src / "model.ckpt", user_file / "tf2")
    assert code == 2 and out == ""
    assert one_error_line(err) == (f"tf1-recipes: error: {user_file / 'tf2'}: {user_file} is a file, not a directory; "
                                   "give a directory for the TF2 checkpoint")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"] and user_file.read_text() == "mine\n"


def test_migrating_into_a_folder_holding_a_tf2_checkpoint_is_refused(tf1_run, tmp_path, capsys):
    src, _ = tf1_run
    assert migrate(capsys, src / "model.ckpt", tmp_path / "tf2")[0] == 0
    before = hashes(tmp_path / "tf2")
    code, _, err = migrate(capsys, src / "model.ckpt", tmp_path / "tf2")
    assert code == 2 and "already holds a checkpoint" in one_error_line(err) and hashes(tmp_path / "tf2") == before


def test_migrating_into_the_tf1_checkpoints_own_folder_is_refused_not_written_over(tf1_copy, capsys):
    """Both state files are named ``checkpoint``: the TF2 one would replace the Saver's (was refused as "a TF2
    checkpoint", with "delete that one" as the remedy)."""
    src, _ = tf1_copy
    before = hashes(src)
    code, out, err = migrate(capsys, src / "model.ckpt", src)
    assert code == 2 and out == "" and hashes(src) == before
    assert one_error_line(err) == (f"tf1-recipes: error: {src} is the TF1 checkpoint's own directory: the TF2 "
                                   "checkpoint's state file would replace its checkpoint; give another output directory")


def test_a_damaged_data_shard_is_one_line_from_a_new_process_too(tf1_copy, tmp_path):
    copy, _ = tf1_copy
    flip("middle")(copy / DATA)
    project = Path(cli.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "tf1_recipes", "migrate-ckpt", RECIPE, str(copy / "model.ckpt"), str(tmp_path / "tf2")],
                          capture_output=True, text=True, env=env, timeout=300)
    ours = [line for line in done.stderr.splitlines() if line.startswith("tf1-recipes")]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(ours) == 1 and f"{copy / DATA} (" in ours[0] and "Checksum does not match" in ours[0]
    assert not (tmp_path / "tf2").exists()


# --------------------------------------------------------------------------- TF2 (restore_model)


@pytest.fixture(scope="module")
def tf2_checkpoint(tf1_run, tmp_path_factory):
    from tf1_recipes.tf2.migrate import migrate_checkpoint

    out = tmp_path_factory.mktemp("tf2") / "converted"
    migrate_checkpoint(RECIPE, tf1_run[0] / "model.ckpt", out, PRESET)
    return out


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("name", ["ckpt-1.index", "ckpt-1.data-00000-of-00001", "checkpoint"])
def test_a_damaged_tf2_checkpoint_is_one_line_naming_the_file(tf2_checkpoint, tmp_path, name, damage):
    from tf1_recipes.tf2.migrate import CheckpointMismatchError, restore_model
    from tf1_recipes.tf2.parity import build_port

    copy = tmp_path / "tf2"
    shutil.copytree(tf2_checkpoint, copy)
    DAMAGES[damage](copy / name)
    before = hashes(copy)
    port = build_port(RECIPE, PRESET)
    try:
        restore_model(port, copy)
    except (checkpoints.CheckpointError, CheckpointMismatchError) as err:
        message = str(err)
    else:  # only damage the formats tolerate: the restored values are the checkpoint's
        assert (name, damage) in {("ckpt-1.index", "flip_middle"), *(("checkpoint", d) for d in ("flip_late", "truncated_half", "truncated_last_byte"))}
        reference = build_port(RECIPE, PRESET)
        restore_model(reference, tf2_checkpoint)
        for mine, theirs in zip(port.model.weights, reference.model.weights):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
        return
    assert "\n" not in message and "Traceback" not in message
    assert str(copy / name) in message or (name == "checkpoint" and str(copy) in message), message
    assert "run migrate-ckpt again into an empty directory" in message or "give the checkpoint prefix" in message
    assert hashes(copy) == before


def test_a_tf2_checkpoint_of_another_model_is_one_line_naming_it(tf2_checkpoint):
    from tf1_recipes.tf2.migrate import CheckpointMismatchError, restore_model
    from tf1_recipes.tf2.parity import build_port

    with pytest.raises(CheckpointMismatchError) as err:
        restore_model(build_port("batch_norm", None), tf2_checkpoint)
    message = str(err.value)
    assert "\n" not in message and str(tf2_checkpoint) in message and "not a TF2 checkpoint of batch_norm" in message


# --------------------------------------------------------------------------- TF1 resume state


@pytest.fixture
def tf1_state(tmp_path):
    """A TrainingState after saves at epochs 1, 2, 3 of a one-variable model (kept: 2 and 3)."""
    with tf1.Graph().as_default():
        counter = tf1.get_variable("counter", initializer=tf.constant(0.0))
        step = tf1.assign_add(counter, 1.0)
        with tf1.Session() as sess:
            sess.run(counter.initializer)
            state = resume.TrainingState(tmp_path, "abc")
            for epoch in (1, 2, 3):
                sess.run(step)
                state.save(sess, epoch, best_loss=1.0 / epoch, series={"valid_loss": [0.5] * epoch})
            yield tmp_path, state, sess, counter


STATE_DAMAGES = {**DAMAGES, "json_list": lambda p: p.write_text("[1, 2]"), "no_epoch": lambda p: p.write_text('{"fingerprint": "abc"}'),
                 "a_directory": lambda p: (p.unlink(), p.mkdir())}


@pytest.mark.parametrize("damage", list(STATE_DAMAGES))
def test_a_damaged_state_file_falls_back_to_the_newest_intact_checkpoint_with_a_note(tf1_state, capsys, damage):
    out, state, sess, counter = tf1_state
    STATE_DAMAGES[damage](out / resume.STATE_NAME)
    loaded = state.load(required=("best_loss", "series"))
    err = capsys.readouterr().err
    if damage in ("flip_late", "truncated_last_byte") and "note" not in err:
        pytest.fail(f"a {damage} state file was taken as it is: {loaded}")
    assert loaded["epoch"] == 3 and loaded["best_loss"] == pytest.approx(1 / 3)
    assert err.count("\n") == 1 and f"tf1-recipes: note: {out / resume.STATE_NAME} " in err
    assert f"resuming from the newest intact checkpoint {out / 'resume' / 'model.ckpt-3'} (epoch 3)" in err
    sess.run(tf1.assign(counter, 100.0))
    state.restore(sess, loaded)
    assert sess.run(counter) == 3.0


@pytest.mark.parametrize("damage", ["missing", "empty", "truncated_half", "flip_middle", "wrong_type"])
@pytest.mark.parametrize("name", ["model.ckpt-3.index", "model.ckpt-3.data-00000-of-00001"])
def test_a_damaged_resume_checkpoint_falls_back_to_the_previous_one(tf1_state, capsys, name, damage):
    out, state, sess, counter = tf1_state
    DAMAGES[damage](out / "resume" / name)
    loaded = state.load()
    err = capsys.readouterr().err
    if name.endswith(".index") and damage == "flip_middle" and not err:
        assert loaded["epoch"] == 3  # the index format's blind spot; the data's CRC guards the values
        return
    assert loaded["epoch"] == 2 and err.count("\n") == 1
    assert f"{out / resume.STATE_NAME} names a damaged or missing checkpoint" in err and str(out / "resume" / name) in err
    assert f"resuming from the newest intact checkpoint {out / 'resume' / 'model.ckpt-2'} (epoch 2)" in err
    state.restore(sess, loaded)
    assert sess.run(counter) == 2.0


def test_with_no_intact_checkpoint_left_it_refuses_naming_what_to_delete(tf1_state, capsys):
    out, state, _, _ = tf1_state
    truncate(0.5)(out / "resume" / "model.ckpt-3.data-00000-of-00001")
    flip("middle")(out / "resume" / "model.ckpt-2.data-00000-of-00001")
    before = hashes(out)
    with pytest.raises(resume.ResumeStateError) as raised:
        state.load()
    message = str(raised.value)
    assert "\n" not in message and f"{out / 'resume' / 'model.ckpt-3.data-00000-of-00001'}" in message
    assert f"keeps no earlier intact checkpoint to resume from; delete {out / resume.STATE_NAME} and {out / 'resume'} to start afresh" in message
    assert hashes(out) == before


def test_a_missing_state_file_beside_kept_checkpoints_resumes_with_a_note_never_afresh(tf1_state, capsys):
    out, state, _, _ = tf1_state
    (out / resume.STATE_NAME).unlink()
    assert state.load()["epoch"] == 3
    assert "is missing but" in capsys.readouterr().err


def test_a_damaged_state_makes_the_run_refuse_through_the_cli_path(tmp_path, run_quiet):
    (tmp_path / resume.STATE_NAME).write_text('{"fingerprint": ')
    with pytest.raises(resume.ResumeStateError, match=r"training_state.json is damaged \(not JSON.*delete .*training_state.json and .*resume"):
        run_quiet("early_stopping", "smoke", overrides={"n_epochs": 1, "train_size": 1000}, out_dir=str(tmp_path))
    assert (tmp_path / resume.STATE_NAME).read_text() == '{"fingerprint": ' and not (tmp_path / "model.ckpt.index").exists()


# --------------------------------------------------------------------------- TF2 resume state


@pytest.fixture
def tf2_state(tmp_path):
    import keras

    from tf1_recipes.tf2 import resume as tf2_resume

    def make():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        optimizer = keras.optimizers.Adam(0.1)
        optimizer.build(model.trainable_variables)
        return tf2_resume.TrainingState(tmp_path, "abc", model=model, optimizer=optimizer), model, optimizer

    state, model, optimizer = make()
    for epoch in (1, 2, 3):
        optimizer.apply_gradients([(tf.ones_like(v), v) for v in model.trainable_variables])
        state.save(epoch, best_loss=1.0 / epoch, series={})
    return tmp_path / tf2_resume.RESUME_DIR, make


@pytest.mark.parametrize("damage", ["missing", "empty", "truncated_half", "flip_early", "wrong_type"])
@pytest.mark.parametrize("name", ["checkpoint", "model.ckpt-3.index", "model.ckpt-3.data-00000-of-00001"])
def test_a_damaged_tf2_resume_state_falls_back_with_a_note(tf2_state, capsys, name, damage):
    directory, make = tf2_state
    DAMAGES[damage](directory / name)
    state, model, _ = make()
    loaded = state.load(required=("best_loss", "series"))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tf1-recipes: note: " in err and "resuming from the newest intact checkpoint" in err
    expected = 3 if name == "checkpoint" else 2
    assert loaded["epoch"] == expected and f"model.ckpt-{expected} (epoch {expected})" in err
    assert state.restore()["epoch"] == expected
    state.save(4, best_loss=0.1, series={})  # the manager carries on from the rewritten index
    assert "model.ckpt-4" in (directory / "checkpoint").read_text()


def test_tf2_resume_with_no_intact_checkpoint_refuses(tf2_state):
    directory, make = tf2_state
    for epoch in (2, 3):
        flip("middle")(directory / f"model.ckpt-{epoch}.data-00000-of-00001")
    before = hashes(directory)
    with pytest.raises(resume.ResumeStateError, match=f"keeps no earlier intact checkpoint to resume from; delete {directory} to start afresh"):
        make()[0].load()
    assert hashes(directory) == before


# --------------------------------------------------------------------------- .meta (the cached pretrained models' graphs)


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_meta_graph_is_one_line_naming_it(tf1_copy, damage):
    copy, _ = tf1_copy
    meta = copy / "model.ckpt.meta"
    DAMAGES[damage](meta)
    before = hashes(copy)
    try:
        checkpoints.verify_meta_graph(copy / "model.ckpt", "delete it")
    except checkpoints.CheckpointError as err:
        message = str(err)
        assert "\n" not in message and str(meta) in message and message.endswith("; delete it")
        assert ("is missing" in message) == (damage == "missing")
    else:  # protobuf has no checksum: a flip inside a value may leave a graph that imports
        assert damage.startswith("flip_"), damage
        with tf1.Graph().as_default():
            tf1.train.import_meta_graph(str(meta))
    assert hashes(copy) == before


def test_a_damaged_cached_pretrained_checkpoint_is_refused_naming_the_cache_folder(monkeypatch, tmp_path, tf1_run):
    """pretrained_checkpoint() verifies a cache hit: a damaged one says which folder to delete."""
    src, _ = tf1_run
    config = checkpoints.RecipeConfig("pretrain_5layer", "smoke")
    spec, preset, settings, hyper = config.resolve()
    monkeypatch.setenv(checkpoints.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(checkpoints, "cache_key", lambda *args: "k")
    directory = tmp_path / "cache" / f"{spec.name}-{preset}-k"
    shutil.copytree(src, directory)
    (directory / checkpoints.RECORD_NAME).write_text("{}")
    flip("middle")(directory / DATA)
    with pytest.raises(checkpoints.CheckpointDamagedError) as raised:
        checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke")
    assert f"cached pretrain_5layer/smoke checkpoint file {directory / DATA} (" in str(raised.value)
    assert str(raised.value).endswith(f"delete {directory} so that it is trained again")
