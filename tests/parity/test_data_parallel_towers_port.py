"""The data_parallel_towers port: MirroredStrategy replicas in step, and two worker processes (MultiWorkerMirroredStrategy).

The forward pass, K-step and end-to-end parity against the TF1 towers are the shared
tests (test_equivalence.py, test_end_to_end.py: one case per preset). Here: the replicas'
copies of every variable stay identical, the first-replica aggregation is what makes the
``tower0`` moving statistics TF1's, and the port run by two worker processes on localhost
(``TF_CONFIG``, TensorFlow's own collective ops over gRPC) ends with the weights the
single-process port ends with.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tf1_recipes.tf2 import parity

HERE = Path(__file__).resolve().parent
#: The multi-worker run's size: K steps of the preset's 200 images.
K_STEPS = 20
#: How long the two workers may take together before they are killed (start-up included).
WORKER_TIMEOUT = 240


@pytest.mark.parametrize("preset", ["2towers", "4towers_sync"])
def test_every_replica_holds_the_same_values_after_k_steps(pair, preset):
    _, tf2_trace, _ = pair("data_parallel_towers", preset)
    port = tf2_trace.extras["port"]
    assert port.strategy.num_replicas_in_sync == port.hyper["n_towers"]
    for variable in port.model.variables:
        copies = [np.asarray(v) for v in port.strategy.experimental_local_results(variable.value)]
        assert len(copies) == port.hyper["n_towers"]
        for copy in copies[1:]:
            np.testing.assert_array_equal(copy, copies[0], err_msg=variable.path)


def test_keras_batch_norm_with_averaged_replicas_is_not_tower_0s_statistics(pair):
    """A plain Keras BatchNormalization whose moving statistics average the replicas' (aggregation "mean")
    trains the same weights but keeps other moving statistics than TF1's tower 0."""
    import keras

    from tf1_recipes.tf2 import data_parallel_towers as module

    tf1_trace, _, result = pair("data_parallel_towers", "2towers")  # two replicas show it as well as four
    assert result.k_steps_ok, result.summary()

    class MeanOfReplicas(keras.layers.BatchNormalization):
        def add_weight(self, *args, **kwargs):
            if kwargs.get("trainable") is False:
                kwargs["aggregation"] = "mean"
            return super().add_weight(*args, **kwargs)

    original = module.FirstReplicaBatchNormalization
    module.FirstReplicaBatchNormalization = MeanOfReplicas
    try:
        port = parity.build_port("data_parallel_towers", "2towers")
    finally:
        module.FirstReplicaBatchNormalization = original
    _, other = parity.against(tf1_trace, "data_parallel_towers", "2towers", port=port)
    moving = {k: v for k, v in other.per_variable.items() if "moving" in k}
    assert not other.k_steps_ok and max(moving.values()) > 1e-3, other.summary()
    assert max(v for k, v in other.per_variable.items() if "moving" not in k) < 1e-5  # the weights still agree


def _free_ports(count):
    """``count`` TCP ports on localhost that nothing listens on now (the OS picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _stop(processes):
    """Kill every worker still running (its whole process group) and reap it."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _checkpoint(path):
    """{key: value} of every variable a TF2 checkpoint holds (the model's 18 and the optimizer's)."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(path)
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map() if k.endswith("VARIABLE_VALUE")}


def test_two_worker_processes_end_with_the_single_process_ports_weights(tmp_path, run_quiet):
    train_size = K_STEPS * 200
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    processes = []
    try:
        for index in range(2):
            env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
            processes.append(subprocess.Popen(
                [sys.executable, str(HERE / "multiworker_worker.py"), "2towers", str(tmp_path / f"worker{index}"), str(train_size)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            ))
        outputs = [process.communicate(timeout=WORKER_TIMEOUT)[0] for process in processes]
    finally:
        _stop(processes)
    assert all(process.poll() is not None for process in processes)  # no worker left behind
    assert [process.returncode for process in processes] == [0, 0], "\n".join(outputs)

    single = run_quiet("data_parallel_towers", "2towers", tf2=True, out_dir=str(tmp_path / "single"),
                       overrides={"n_epochs": 1, "train_size": train_size, "eval_split": "valid"})
    reference = _checkpoint(single.checkpoint_path)
    assert sum("moving_" in k for k in reference) == 6 and len(reference) == 20  # + 12 weights, iterations, rate
    assert int(reference["optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"]) == K_STEPS
    records = [json.loads((tmp_path / f"worker{i}" / "runs.jsonl").read_text().splitlines()[-1]) for i in range(2)]
    assert records[0]["history"] == records[1]["history"]
    assert records[0]["history"][0] == pytest.approx(single.history[0], abs=2e-4)  # at most one validation image
    for index in range(2):
        worker = _checkpoint(str(tmp_path / f"worker{index}" / "model.ckpt"))
        assert set(worker) == set(reference)
        ratio = max(
            float(np.max(np.abs(worker[k] - reference[k]) / (parity.WEIGHT_ATOL + parity.WEIGHT_RTOL * np.abs(reference[k]))))
            for k in reference
        )
        worst = max(float(np.max(np.abs(worker[k] - reference[k]))) for k in reference)
        print(f"worker {index}: max |diff| {worst:.3g} ({ratio:.2g} of the K-step tolerance)")
        assert ratio <= 1.0, f"worker {index}: {worst:.3g}"
