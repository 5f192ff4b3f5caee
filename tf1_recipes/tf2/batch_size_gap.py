"""TF2 port of :mod:`tf1_recipes.recipes.batch_size_gap`: the 300/100 ReLU MLP, GD 0.1, small vs large batches.

TF1's ``global_step`` (advanced by ``minimize``) is the optimizer's ``iterations`` counter.
"""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp


@port("batch_size_gap")
class BatchSizeGap(Port):
    """ReLU 300/100 MLP, GD; validation accuracy, steps so far and validation loss per epoch."""

    variables = dense_variables("hidden1", "hidden2", "outputs")
    tf1_optimizer_globals = ("train/global_step",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate):
        return mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs), keras.optimizers.SGD(learning_rate)

    def report(self, run, epoch, X_eval, y_eval):
        accuracy, loss = self.evaluate(X_eval, y_eval)
        run.report(epoch, accuracy, steps=int(self.optimizer.iterations), loss=loss)
