"""What ``tf1-recipes doctor`` writes: the printed report, ``--json``, ``--plot`` PNGs and the run record."""

import dataclasses
import json
from pathlib import Path

import numpy as np

from tf1_recipes import outputs

PLOT_EXTRA = "pip install matplotlib"


class PlotUnavailable(Exception):
    """``--plot`` was asked for but matplotlib is not installed."""


def require_matplotlib():
    """matplotlib's pyplot on the Agg backend (:func:`tf1_recipes.report.load_pyplot`), or PlotUnavailable saying how to install it."""
    from tf1_recipes.report import load_pyplot

    plt = load_pyplot()
    if plt is None:
        raise PlotUnavailable(f"--plot needs matplotlib, which is not installed: {PLOT_EXTRA}")
    return plt


def _safe(name):
    return name.replace("/", "_").replace(":", "_")


def write_plots(report, directory):
    """PNGs of the activation histograms per layer and of the learning-rate sweep; returns their paths."""
    plt = require_matplotlib()
    directory = outputs.make_folder(directory, "--plot", "the plots")
    written = []
    activations = next((f.arrays.get("activations") for f in report.findings if f.arrays.get("activations")), None)
    if activations:
        fig, axes = plt.subplots(1, len(activations), figsize=(3.2 * len(activations), 2.8), squeeze=False)
        for ax, (name, values) in zip(axes[0], activations.items()):
            ax.hist(np.asarray(values).ravel(), bins=50, color="tab:blue")
            ax.set_title(name, fontsize=8)
            ax.set_xlabel("activation")
        axes[0][0].set_ylabel("count")
        fig.suptitle(f"{report.target}: activations at step 0")
        fig.tight_layout()
        path = directory / f"{_safe(report.target)}_activations.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    sweep = next((f.arrays.get("sweep") for f in report.findings if f.arrays.get("sweep") is not None), None)
    if sweep is not None:
        rates, losses, smoothed = sweep
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(rates, losses, ".", alpha=0.5, label="loss per step")
        ax.plot(rates[: len(smoothed)], smoothed, "-", label="smoothed")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (gradient descent)")
        ax.set_ylabel("loss")
        finite = [v for v in losses if np.isfinite(v)]
        if finite:
            ax.set_ylim(0, min(max(finite), 4 * max(min(finite), 1e-3) + 1))
        ax.set_title(f"{report.target}: learning-rate range test")
        ax.legend()
        fig.tight_layout()
        path = directory / f"{_safe(report.target)}_lr_sweep.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


@dataclasses.dataclass
class DoctorRecord:
    """The run record of one ``doctor`` (one JSON line in ``runs.jsonl``, beside the runs')."""

    recipe: str
    preset: str
    config: dict
    report: object
    provenance: dict

    def to_dict(self):
        return {"kind": "doctor", "recipe": self.recipe, "preset": self.preset, "config": self.config,
                "status": self.report.status, "seconds": round(self.report.seconds, 3),
                "checks": [f.to_dict() for f in self.report.findings], "provenance": self.provenance}


def write_record(out_dir, recipe, preset, seed, report):
    """Append the doctor's record to ``<out_dir>/runs.jsonl``."""
    from tf1_recipes.compat import configure_tensorflow
    from tf1_recipes.harness import RecipeConfig
    from tf1_recipes.provenance import provenance
    from tf1_recipes.runlog import append_run_record

    _, preset, settings, hyper = RecipeConfig(recipe, preset=preset, seed=seed).resolve()
    record = DoctorRecord(recipe, preset, {**settings, **hyper}, report, provenance(configure_tensorflow()))
    return append_run_record(out_dir, record)


def write_graph_record(out_dir, args, report):
    """Append the record of ``doctor --graph`` to ``<out_dir>/runs.jsonl``.

    Its ``recipe`` is ``graph:<the .meta path>``, its ``preset`` ``checkpoint`` or ``initial``
    (where the values started), its ``config`` the files and names given, with the SHA-256 of
    the ``.meta`` and the ``.npz`` (what was examined, byte for byte).
    """
    import hashlib

    from tf1_recipes.compat import configure_tensorflow
    from tf1_recipes.provenance import provenance
    from tf1_recipes.runlog import append_run_record

    config = {key: getattr(args, key) for key in ("graph", "checkpoint", "data", "inputs", "labels", "loss", "train_op",
                                                   "training", "train_feed", "eval_feed", "quick", "checks")}
    config["sha256"] = {key: hashlib.sha256(Path(getattr(args, key)).read_bytes()).hexdigest()
                        for key in ("graph", "data")}
    record = DoctorRecord(f"graph:{args.graph}", "checkpoint" if args.checkpoint else "initial", config, report,
                          provenance(configure_tensorflow()))
    return append_run_record(out_dir, record)


def to_json(report, **more):
    """The report with every number, as one JSON line."""
    return json.dumps({**report.to_dict(), **more}, default=_jsonable)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
