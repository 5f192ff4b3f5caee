"""The doctor's checklist: the one table of its checks, in the order they run.

Everything that lists the checks reads this table: the order :func:`~tf1_recipes.doctor.run.run_checks`
runs them in, the numbered titles of the report, the choices and help of ``tf1-recipes doctor
--check``, and the package's documentation. It imports no TensorFlow, so the command line can
build its parser from it without loading TensorFlow.
"""

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class Check:
    """One row of the checklist."""

    number: int  # its place in the run order, from 1
    name: str  # ``--check NAME``, ``Finding.check``, the key in the JSON and the run record
    label: str  # the report's title, after the number
    function: str  # the function in :mod:`tf1_recipes.doctor.checks` that runs it: ``(target, budget) -> Finding``
    description: str  # one line: what it measures

    @property
    def title(self):
        """``"<number>. <label>"``, as the report prints it."""
        return f"{self.number}. {self.label}"

    def run(self, target, budget):
        """The check on a :class:`~tf1_recipes.doctor.target.Target`; returns its Finding."""
        checks = importlib.import_module("tf1_recipes.doctor.checks")  # TensorFlow: loaded when a check runs
        return getattr(checks, self.function)(target, budget)


_ROWS = [
    ("initial_loss", "Initial loss", "check_initial_loss",
     "the loss at step 0 against chance (-ln(1/C) for a softmax, ln 2 for a sigmoid) beside the label "
     "distribution, and the initial accuracy; restored weights must beat chance; a training/inference gap is "
     "put down to the dropout rates found"),
    ("gradient_check", "Gradient check", "check_gradients",
     "tf.gradients against central differences on a float64 slice of the loss"),
    ("wiring", "Wiring", "check_wiring",
     "every trainable variable gets a non-zero gradient (none: where the backward pass stops); activation and "
     "gradient statistics per layer (dead ReLUs, saturated sigmoids, vanishing gradients)"),
    ("batch_norm", "Batch norm", "check_batch_norm",
     "a training step moves the moving statistics, inference uses them, evaluation does not run in training "
     "mode, no statistics shared between towers, no dropout feeding a batch-norm layer"),
    ("regularisation", "Regularisation", "check_regularisation",
     "the regularisation loss against the data loss, at step 0 and after a few steps"),
    ("overfit", "Overfit a tiny batch", "check_overfit",
     "the model's own training step drives the data loss on a few dozen examples to near zero"),
    ("learning_rate", "Learning rate", "check_learning_rate",
     "a learning-rate range test: where the loss is lowest and where it diverges, beside the model's own rate "
     "read from its graph (a schedule's global_step must advance)"),
]

#: The checklist: check name -> :class:`Check`, in run order.
CHECKS = {name: Check(number, name, label, function, description)
          for number, (name, label, function, description) in enumerate(_ROWS, start=1)}


#: How ``doctor --graph`` (:func:`tf1_recipes.user_graph.find_tensors`) finds a tensor the user did not name:
#: role (its ``--flag``) -> the rule, tried in order.
GRAPH_CONVENTIONS = {
    "inputs": "X:0, else the one non-scalar float placeholder the logits depend on",
    "labels": "y:0, else the one placeholder the loss depends on and the logits do not",
    "loss": "what the training step's optimiser differentiates, else loss/loss:0, loss:0, the LOSSES collection, "
            "a scalar named loss/cost/mse",
    "train_op": "the TRAIN_OP collection (minimize() fills it), else an op named train_op or training_op",
    "training": "training:0 if it is a bool, else the one scalar bool placeholder the loss depends on",
}


def describe():
    """The checklist as text, one numbered line per check (for ``--help`` and the package docstring)."""
    return "\n".join(f"{check.number}. {check.name}: {check.description}" for check in CHECKS.values())
