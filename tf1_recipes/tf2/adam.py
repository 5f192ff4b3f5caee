"""TF2 port of :mod:`tf1_recipes.recipes.adam`: ``AdamOptimizer(lr)`` → ``Adam(lr, epsilon=ADAM_EPSILON)``: TF1's epsilon is 1e-8, Keras' 1e-7.

The optimizer is :class:`~tf1_recipes.tf2.optimizers.TF1Adam`: Keras' ``Adam`` (same rule and
slots) updating each variable with the one kernel TF1's ``AdamOptimizer`` runs, which keeps the
port's step as fast as the TF1 step (Keras 3's Adam spends ten ops per variable), reading TF1's
running beta powers instead of ``pow(b, t)``: TF1's numbers bit for bit.
"""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP
from tf1_recipes.tf2.optimizers import TF1Adam


#: tf.compat.v1.train.AdamOptimizer's epsilon (keras.optimizers.Adam: 1e-7).
ADAM_EPSILON = 1e-8


@port("adam")
class Adam(ReluMLP):
    tf1_slots = ("Adam", "Adam_1")
    tf1_optimizer_globals = ("train/beta1_power", "train/beta2_power")
    # Adam divides each gradient by its running RMS. For a weight whose gradient is mostly
    # cancellation (a pixel that is rarely lit), last-bit differences in the gradient become
    # relative differences of its step, which is at most ~learning_rate (1e-3): 20 steps
    # drift by up to ~2.5e-6 (observed with Keras' pow(b, t) beta powers; with TF1Adam's running
    # products: 0). 1e-5 is 1% of one step; the Keras-default epsilon (1e-7) moves weights by
    # ~1e-2 in the same 20 steps.
    k_step_atol = 1e-5

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate):
        optimizer = TF1Adam(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=ADAM_EPSILON)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer
