"""TF2 port of :mod:`tf1_recipes.recipes.bad_init`: five sigmoid layers with N(0, 1) kernels.

``tf.random_normal_initializer(stddev=s)`` → ``keras.initializers.RandomNormal(stddev=s)``;
the defaults differ (TF1 stddev 1.0, Keras 0.05), so the stddev is always passed.
"""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD


@port("bad_init")
class BadInit(Port):
    """Sigmoid MLP, every kernel (outputs too) from N(0, init_stddev); GD; validation loss reported."""

    def build(self, *, n_inputs, n_hidden, n_layers, n_outputs, learning_rate, init_stddev):
        self.variables = dense_variables(*[f"hidden{i}" for i in range(1, n_layers + 1)], "outputs")
        model = mlp(
            self.recipe,
            n_inputs,
            [n_hidden] * n_layers,
            n_outputs,
            activation="sigmoid",
            kernel_initializer=keras.initializers.RandomNormal(stddev=init_stddev),
        )
        return model, FusedSGD(learning_rate)

    def report(self, run, epoch, X_eval, y_eval):
        accuracy, loss = self.evaluate(X_eval, y_eval)
        run.report(epoch, accuracy, loss=loss)
