"""What the doctor found: one :class:`Finding` per check, gathered in a :class:`Report`."""

import dataclasses

from tf1_recipes.doctor.checklist import CHECKS

PASS, WARN, FAIL, SKIP = "PASS", "WARN", "FAIL", "SKIP"


@dataclasses.dataclass
class Finding:
    """One check's outcome: status, the numbers it measured, and what to do about it.

    ``status`` is PASS, WARN, FAIL or SKIP (the check does not apply). ``numbers`` (serialised in
    ``--json`` and the run record) holds, besides ``seconds`` (the check's wall-clock time):

    - initial_loss: ``loss`` (mean cross-entropy on ``batch`` examples, training mode, in nats), ``expected``
      (-ln(1/C) for a softmax, ln 2 for a sigmoid), ``difference``, ``ratio``, ``accuracy``, ``chance_accuracy``
      (1/C) and ``majority_fraction`` (fractions), ``label_distribution`` (class -> fraction of the batch),
      ``n_classes``, ``kind`` (sparse_softmax, softmax, sigmoid), ``logits_std``, ``inference_loss`` (with a
      training flag), ``dropout`` ([{scope, rate, in_training_mode_only}]), ``restored`` (trained weights);
    - gradient_check: ``worst_relative_error`` (|analytic - numeric| / max(|analytic|, |numeric|,
      rounding noise)) at ``worst_variable[worst_index]`` with ``worst_analytic`` and ``worst_numeric``
      (d loss / d entry), ``per_variable`` (name -> worst relative error), ``entries_checked``,
      ``dtype`` and ``delta`` (the finite-difference step);
    - wiring: ``global_gradient_norm`` (L2 over every gradient at step 0),
      ``first_to_last_kernel_gradient_ratio`` (of their RMS), ``variables`` (name -> gradient ``mean``,
      ``std``, ``rms``, ``norm``, ``weight_rms``, ``trained``), ``activations`` (op -> ``mean``,
      ``std`` and the ``dead_fraction`` / ``saturated_fraction`` of units), ``clipping``; when nothing gets a
      gradient, ``gradient_stops`` (the ops where the backward pass stops) and ``connected``;
    - batch_norm: ``moving_statistics_change`` (variable -> largest absolute change in one step),
      ``inference_response_to_moving_statistics`` (largest absolute change of the logits, or the
      loss, when the moving statistics change), ``evaluations_in_training_mode`` (count), ``update_ops_per_variable``;
    - regularisation: data and regularisation loss and their ratio at step 0 and after ``steps``;
    - overfit: ``initial_loss``, ``final_loss``, ``target_loss`` (nats), ``steps``, ``curve``
      ([(step, data loss)]);
    - learning_rate: ``rates``, ``losses``, ``smoothed`` (one per sweep step), ``best_rate``,
      ``diverging_rate``, ``suggested_rate``, ``model_rate`` (given, recorded, or read from the graph),
      ``model_rate_in_graph`` (``tensor``, ``optimizer``, ``graph_rate``, ``step_variables``; for a schedule
      ``schedule``, ``rate_after_one_step``, ``step_advances``), ``decrease`` (fraction of the starting loss).
    """

    check: str  # the check's name in the checklist (:data:`~tf1_recipes.doctor.checklist.CHECKS`)
    status: str
    summary: str
    advice: str = ""
    numbers: dict = dataclasses.field(default_factory=dict)
    details: list = dataclasses.field(default_factory=list)
    #: Raw arrays for plots (activations, the learning-rate sweep); not serialised.
    arrays: dict = dataclasses.field(default_factory=dict, repr=False)
    #: The check's numbered title ("4. Batch norm"), from the checklist.
    title: str = dataclasses.field(init=False)

    def __post_init__(self):
        self.title = CHECKS[self.check].title

    def to_dict(self):
        return {k: getattr(self, k) for k in ("check", "title", "status", "summary", "advice", "numbers", "details")}


@dataclasses.dataclass
class Report:
    """Every finding for one target; ``status`` is FAIL if any FAILs, else WARN if any WARNs, else PASS."""

    target: str
    findings: list
    seconds: float = 0.0
    notes: list = dataclasses.field(default_factory=list)

    @property
    def status(self):
        statuses = {f.status for f in self.findings}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS

    def finding(self, check):
        return next(f for f in self.findings if f.check == check)

    def to_dict(self):
        return {"target": self.target, "status": self.status, "seconds": round(self.seconds, 3), "notes": self.notes,
                "checks": [f.to_dict() for f in self.findings]}

    def format(self):
        lines = [f"doctor: {self.target}"]
        lines += [f"  note: {n}" for n in self.notes]
        for f in self.findings:
            lines.append(f"[{f.status}] {f.title}: {f.summary}")
            lines += [f"       {d}" for d in f.details]
            if f.advice and f.status in (WARN, FAIL):
                lines.append(f"       -> {f.advice}")
        counts = {s: sum(f.status == s for f in self.findings) for s in (PASS, WARN, FAIL, SKIP)}
        lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f"  ({self.seconds:.1f} s): {self.status}")
        return "\n".join(lines)

