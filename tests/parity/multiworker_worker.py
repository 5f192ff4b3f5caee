"""One worker of the MultiWorkerMirroredStrategy test (tests/parity/test_data_parallel_towers_port.py).

    TF_CONFIG='{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": I}}' \\
        python tests/parity/multiworker_worker.py PRESET OUT_DIR TRAIN_SIZE

Runs the data_parallel_towers port exactly as ``tf1-recipes run data_parallel_towers --tf2
--preset PRESET --epochs 1 --out OUT_DIR`` does (``run_recipe`` with ``tf2=True``), on the first
TRAIN_SIZE training images: the port sees TF_CONFIG and trains with
MultiWorkerMirroredStrategy, one replica in this process. The trained model is OUT_DIR's
TF2 checkpoint (``model.ckpt``).
"""

import sys

from tf1_recipes.harness import RecipeConfig, run_recipe


def main(preset, out_dir, train_size):
    overrides = {"n_epochs": 1, "train_size": int(train_size), "eval_split": "valid"}
    run_recipe(RecipeConfig("data_parallel_towers", preset=preset, tf2=True, overrides=overrides, out_dir=out_dir,
                            quiet=True, progress=False))


if __name__ == "__main__":
    main(*sys.argv[1:])
