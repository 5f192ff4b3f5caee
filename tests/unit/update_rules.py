"""The faster optimizers' update rules in NumPy, written from their equations as TF1 applies them.

Each rule is a small class: ``rule.step(theta, grad)`` returns the updated parameters and
keeps the rule's state (its slots) for the next step. Symbols: learning rate eta,
gradient g, parameters theta; every product and quotient is element-wise.

* Momentum (``ApplyMomentum``): ``m <- beta m + g``, ``theta <- theta - eta m``. TF1 keeps
  the learning rate out of ``m``; with a constant rate this is the textbook
  ``m <- beta m - eta g``, ``theta <- theta + m``.
* Nesterov, as TF1 implements it (``use_nesterov=True``): ``m <- beta m + g``,
  ``theta <- theta - eta (g + beta m)``, i.e. the gradient step plus the look-ahead
  momentum step, with the gradient taken at ``theta`` itself.
* AdaGrad (``ApplyAdagrad``): ``s <- s + g^2``, ``theta <- theta - eta g / sqrt(s)``; TF1
  has no epsilon but starts ``s`` at ``initial_accumulator_value`` = 0.1.
* RMSProp with momentum (``ApplyRMSProp``): ``s <- rho s + (1 - rho) g^2``,
  ``m <- mu m + eta g / sqrt(s + epsilon)``, ``theta <- theta - m``; TF1 starts ``s`` at 1
  (its ``rms`` slot is initialised with ones) and ``m`` at 0.
* Adam (``ApplyAdam``): ``m <- beta1 m + (1 - beta1) g``, ``s <- beta2 s + (1 - beta2) g^2``,
  and with ``t`` the step number,
  ``theta <- theta - eta_t m / (sqrt(s) + epsilon)``, ``eta_t = eta sqrt(1 - beta2^t) / (1 - beta1^t)``.
  This is the bias-corrected update ``eta m_hat / (sqrt(s_hat) + epsilon)`` with
  ``m_hat = m / (1 - beta1^t)`` and ``s_hat = s / (1 - beta2^t)``, except that TF1 adds
  epsilon to ``sqrt(s)`` rather than ``sqrt(s_hat)`` (the paper's "epsilon hat" form):
  the two differ only when ``sqrt(s)`` is not much larger than epsilon.

``m`` and ``s`` in Adam (and ``s`` in RMSProp) are exponentially weighted averages, see
:func:`exponentially_weighted_average`.
"""

import numpy as np


def exponentially_weighted_average(values, beta, bias_correction=False):
    """``v_t = beta v_{t-1} + (1 - beta) theta_t`` from ``v_0 = 0``, for t = 1..len(values).

    Starting from zero pulls the first averages towards zero; with ``bias_correction``
    each ``v_t`` is divided by ``1 - beta**t``, which removes that pull exactly (a constant
    sequence then averages to the constant from the first step). Returns the list of v_t.
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    average, out = 0.0, []
    for t, value in enumerate(values, start=1):
        average = beta * average + (1.0 - beta) * np.asarray(value, dtype=np.float64)
        out.append(average / (1.0 - beta**t) if bias_correction else average)
    return out


class Momentum:
    """TF1's MomentumOptimizer: plain momentum, or Nesterov with ``use_nesterov``."""

    def __init__(self, learning_rate, momentum, use_nesterov=False):
        self.learning_rate, self.momentum, self.use_nesterov = learning_rate, momentum, use_nesterov
        self.m = None

    def step(self, theta, grad):
        if self.m is None:
            self.m = np.zeros_like(theta)
        self.m = self.momentum * self.m + grad
        if self.use_nesterov:
            return theta - self.learning_rate * (grad + self.momentum * self.m)
        return theta - self.learning_rate * self.m


class AdaGrad:
    """TF1's AdagradOptimizer: squared gradients summed from ``initial_accumulator_value``."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive, got {initial_accumulator_value}")
        self.learning_rate, self.initial_accumulator_value = learning_rate, initial_accumulator_value
        self.s = None

    def step(self, theta, grad):
        if self.s is None:
            self.s = np.full_like(theta, self.initial_accumulator_value)
        self.s = self.s + grad * grad
        return theta - self.learning_rate * grad / np.sqrt(self.s)


class RMSProp:
    """TF1's RMSPropOptimizer (uncentred): decayed mean square from 1, then momentum."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10):
        self.learning_rate, self.decay, self.momentum, self.epsilon = learning_rate, decay, momentum, epsilon
        self.s = self.m = None

    def step(self, theta, grad):
        if self.s is None:
            self.s, self.m = np.ones_like(theta), np.zeros_like(theta)
        self.s = self.decay * self.s + (1.0 - self.decay) * grad * grad
        self.m = self.momentum * self.m + self.learning_rate * grad / np.sqrt(self.s + self.epsilon)
        return theta - self.m


class Adam:
    """TF1's AdamOptimizer: bias-corrected moment estimates, epsilon added to sqrt(s)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.learning_rate, self.beta1, self.beta2, self.epsilon = learning_rate, beta1, beta2, epsilon
        self.m = self.s = None
        self.t = 0

    def step(self, theta, grad):
        if self.m is None:
            self.m, self.s = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        self.m = self.beta1 * self.m + (1.0 - self.beta1) * grad
        self.s = self.beta2 * self.s + (1.0 - self.beta2) * grad * grad
        eta_t = self.learning_rate * np.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        return theta - eta_t * self.m / (np.sqrt(self.s) + self.epsilon)
