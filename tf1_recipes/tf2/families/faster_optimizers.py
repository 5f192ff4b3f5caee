"""The faster-optimizer ports' model: one 300/50 ReLU MLP; each port (``tf2/adam.py``, ...) makes its Keras optimizer.


TF1 optimizer → Keras 3, with every argument whose default differs passed explicitly:

* ``MomentumOptimizer(lr, 0.9)`` → ``SGD(lr, momentum=0.9)`` (same rule at a constant rate);
* ``MomentumOptimizer(..., use_nesterov=True)`` → ``SGD(..., nesterov=True)``;
* ``AdagradOptimizer(lr)`` → ``Adagrad(lr, initial_accumulator_value=0.1, epsilon=0)``:
  TF1 divides by ``sqrt(s)``, Keras by ``sqrt(s + epsilon)`` with epsilon 1e-7 by default;
* ``RMSPropOptimizer(lr, momentum, decay, epsilon)`` → :class:`TF1RMSprop` (``rho=decay``,
  accumulators from 1, ``epsilon`` 1e-10 where Keras defaults to 1e-7);
* ``AdamOptimizer(lr)`` → ``Adam(lr, epsilon=ADAM_EPSILON)``: TF1's epsilon is 1e-8, Keras' 1e-7 (the port's
  :class:`TF1Adam` also keeps TF1's running beta powers: TF1's numbers bit for bit)
  (``ADAM_EPSILON`` is in :mod:`tf1_recipes.tf2.adam`, the AdaGrad constants in :mod:`tf1_recipes.tf2.adagrad`).
"""

from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp


class ReluMLP(Port):
    """The 300/50 ReLU MLP of tf1_recipes.recipes.families.relu_mlp; subclasses make the optimizer from their hyperparameters."""

    variables = dense_variables("hidden1", "hidden2", "outputs")

    def mlp(self, n_inputs, n_hidden1, n_hidden2, n_outputs):
        return mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs, activation="relu")
