"""TF2 ports of :mod:`tf1_recipes.recipes.faster_optimizers`: one 300/50 ReLU MLP, five Keras optimizers.

TF1 optimizer → Keras 3, with every argument whose default differs passed explicitly:

* ``MomentumOptimizer(lr, 0.9)`` → ``SGD(lr, momentum=0.9)`` (same rule at a constant rate);
* ``MomentumOptimizer(..., use_nesterov=True)`` → ``SGD(..., nesterov=True)``;
* ``AdagradOptimizer(lr)`` → ``Adagrad(lr, initial_accumulator_value=0.1, epsilon=0)``:
  TF1 divides by ``sqrt(s)``, Keras by ``sqrt(s + epsilon)`` with epsilon 1e-7 by default;
* ``RMSPropOptimizer(lr, momentum, decay, epsilon)`` → :class:`TF1RMSprop` (``rho=decay``,
  accumulators from 1, ``epsilon`` 1e-10 where Keras defaults to 1e-7);
* ``AdamOptimizer(lr)`` → ``Adam(lr, epsilon=ADAM_EPSILON)``: TF1's epsilon is 1e-8, Keras' 1e-7.
"""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import TF1RMSprop

#: tf.compat.v1.train.AdamOptimizer's epsilon (keras.optimizers.Adam: 1e-7).
ADAM_EPSILON = 1e-8
#: tf.compat.v1.train.AdagradOptimizer adds nothing under the square root (keras.optimizers.Adagrad: 1e-7).
ADAGRAD_EPSILON = 0.0
#: tf.compat.v1.train.AdagradOptimizer's initial accumulator (Keras' default is the same 0.1).
ADAGRAD_INITIAL_ACCUMULATOR = 0.1


class ReluMLP(Port):
    """The 300/50 ReLU MLP of tf1_recipes.relu_mlp; subclasses make the optimizer from their hyperparameters."""

    variables = dense_variables("hidden1", "hidden2", "outputs")

    def mlp(self, n_inputs, n_hidden1, n_hidden2, n_outputs):
        return mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs, activation="relu")


@port("momentum")
class Momentum(ReluMLP):
    tf1_slots = ("Momentum",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum):
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), keras.optimizers.SGD(learning_rate, momentum=momentum)


@port("nesterov")
class Nesterov(ReluMLP):
    tf1_slots = ("Momentum",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum):
        optimizer = keras.optimizers.SGD(learning_rate, momentum=momentum, nesterov=True)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer


@port("adagrad")
class AdaGrad(ReluMLP):
    tf1_slots = ("Adagrad",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate):
        optimizer = keras.optimizers.Adagrad(
            learning_rate, initial_accumulator_value=ADAGRAD_INITIAL_ACCUMULATOR, epsilon=ADAGRAD_EPSILON
        )
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer


@port("rmsprop")
class RMSProp(ReluMLP):
    tf1_slots = ("RMSProp", "RMSProp_1")

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum, decay, epsilon):
        optimizer = TF1RMSprop(learning_rate, rho=decay, momentum=momentum, epsilon=epsilon)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer


@port("adam")
class Adam(ReluMLP):
    tf1_slots = ("Adam", "Adam_1")
    tf1_optimizer_globals = ("train/beta1_power", "train/beta2_power")
    # Adam divides each gradient by its running RMS. For a weight whose gradient is mostly
    # cancellation (a pixel that is rarely lit), last-bit differences in the gradient become
    # relative differences of its step, which is at most ~learning_rate (1e-3): 20 steps
    # drift by up to ~2.5e-6 (observed). 1e-5 is 1% of one step; the Keras-default epsilon
    # (1e-7) moves weights by ~1e-2 in the same 20 steps.
    k_step_atol = 1e-5

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate):
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=ADAM_EPSILON)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer
