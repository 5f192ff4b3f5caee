"""TF2 port of :mod:`tf1_recipes.recipes.adagrad`: ``AdagradOptimizer(lr)`` → ``Adagrad(lr, initial_accumulator_value=0.1, epsilon=0)``.

TF1 divides by ``sqrt(s)``, Keras by ``sqrt(s + epsilon)`` with epsilon 1e-7 by default. The port's
``FusedAdagrad`` is that Keras ``Adagrad`` run as TF1's one ``ResourceApplyAdagrad`` kernel per variable
(:mod:`tf1_recipes.tf2.optimizers`).
"""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP
from tf1_recipes.tf2.optimizers import FusedAdagrad


#: tf.compat.v1.train.AdagradOptimizer adds nothing under the square root (keras.optimizers.Adagrad: 1e-7).
ADAGRAD_EPSILON = 0.0
#: tf.compat.v1.train.AdagradOptimizer's initial accumulator (Keras' default is the same 0.1).
ADAGRAD_INITIAL_ACCUMULATOR = 0.1


@port("adagrad")
class AdaGrad(ReluMLP):
    tf1_slots = ("Adagrad",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate):
        optimizer = FusedAdagrad(
            learning_rate, initial_accumulator_value=ADAGRAD_INITIAL_ACCUMULATOR, epsilon=ADAGRAD_EPSILON
        )
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer
