"""Keras 3 optimizers with TF1's update rules where Keras' differ (the NumPy rules in tests/unit/update_rules.py).

* :class:`TF1Momentum`: TF1's ``MomentumOptimizer`` keeps the learning rate *out of* the
  momentum buffer (``m <- beta m + g``, ``theta <- theta - eta_t m``); Keras' ``SGD``
  folds it in (``m <- beta m - eta_t g``, ``theta <- theta + m``). With a constant rate the
  two are the same; with a schedule (``exponential_decay``, a rate fed per epoch) TF1
  applies today's rate to the whole buffer, Keras each step's rate to its own gradient.
  Each variable's update is TF1's own kernel (``ResourceApplyMomentum``).
* :class:`TF1RMSprop`: TF1's ``RMSPropOptimizer`` starts its mean-square accumulator at
  **1** (its ``rms`` slot is initialised with ones); Keras' ``RMSprop`` starts it at 0, which
  makes the first steps about ``1/sqrt(1 - rho)`` = 3.2 times larger. Its ``decay`` is
  Keras' ``rho``; its ``epsilon`` default is 1e-10 (Keras: 1e-7). With momentum, each
  variable's update is TF1's one fused kernel (``ResourceApplyRMSProp``).
* :class:`FusedAdam`: the same rule as Keras' ``Adam``, each variable's update run as the one
  fused kernel TF1's ``AdamOptimizer`` runs (``ResourceApplyAdam``) instead of Keras 3's ten
  element-wise ops: the speed of the TF1 step (README, "Benchmarks").
* :class:`TF1Adam`: :class:`FusedAdam` with TF1's ``beta1_power``/``beta2_power``: running
  products (``b``, then ``x b`` after every step) where Keras computes ``pow(b, t)``, a float32
  rounding apart that Adam's step amplifies; with them, TF1's ``AdamOptimizer``'s numbers bit
  for bit (the early_stopping, transfer_digits_5_to_9 and adam ports).
* :class:`FusedAdagrad`: Keras' ``Adagrad``; with ``epsilon=0`` (TF1's ``AdagradOptimizer`` adds
  nothing under the root) each variable's update is TF1's one kernel (``ResourceApplyAdagrad``).
* :class:`FusedSGD`: Keras' ``SGD`` (its rule, momentum and Nesterov included), each variable's
  update one kernel: ``ResourceApplyGradientDescent`` (TF1's ``GradientDescentOptimizer``'s) without
  momentum, ``ResourceApplyKerasMomentum`` with it.
"""

import keras
import tensorflow as tf


class TF1Momentum(keras.optimizers.SGD):
    """``keras.optimizers.SGD(momentum=...)`` with TF1's momentum rule (the rate outside the buffer).

    At ``momentum=0`` it is plain gradient descent, as TF1's ``MomentumOptimizer(lr, 0.0)``
    is, and like it keeps a (zero-decay) accumulator per variable: Keras' SGD builds none at
    momentum 0, so :meth:`build` makes them whatever the momentum.

    Each variable's update is the kernel TF1's ``MomentumOptimizer`` runs, ``ResourceApplyMomentum``
    on Keras' ``momentums`` slot (``tensorflow/core/kernels/training_ops.cc``, ``ApplyMomentum``:
    ``accum = accum * momentum + grad``, ``var -= accum * lr``; Nesterov ``var -= grad * lr + accum * momentum * lr``):
    TF1's numbers bit for bit, in one kernel.
    """

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        if not self.momentums:  # Keras skips the slots at momentum 0; TF1 has them
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyMomentum(var=variable.handle, accum=keras_slots(self, variable)["momentum"].handle,
                                         lr=tf.cast(learning_rate, dtype), grad=tf.cast(gradient, dtype),
                                         momentum=tf.cast(self.momentum, dtype), use_nesterov=self.nesterov)


class TF1RMSprop(keras.optimizers.RMSprop):
    """``keras.optimizers.RMSprop`` whose mean-square accumulators start at 1, as TF1's do.

    With ``momentum > 0`` (TF1's ``RMSPropOptimizer`` always keeps a momentum slot; Keras
    only then) each variable's update is the one kernel TF1 runs, ``ResourceApplyRMSProp``
    (``ResourceApplyCenteredRMSProp`` when ``centered``), on Keras' slots: ``ms <- ms + (g^2 - ms)(1 - rho)``,
    ``mom <- momentum mom + lr g / sqrt(ms + eps)``, ``w <- w - mom`` (centered: ``ms - mg^2`` under
    the root; ``tensorflow/core/kernels/training_ops.cc``, ``ApplyRMSProp``). Keras writes the
    same rule as about eight element-wise ops per variable (``keras/src/optimizers/rmsprop.py``,
    ``update_step``, its accumulator as ``rho ms + (1 - rho) g^2``: a float32 rounding apart).
    Without momentum the update is Keras' ops.
    """

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        for velocity in self._velocities:
            velocity.assign(tf.ones_like(velocity))

    def update_step(self, gradient, variable, learning_rate):
        if self.momentum <= 0:  # Keras keeps no momentum slot: its ops
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        slots = keras_slots(self, variable)
        hyper = dict(lr=tf.cast(learning_rate, dtype), rho=tf.cast(self.rho, dtype),
                     momentum=tf.cast(self.momentum, dtype), epsilon=tf.cast(self.epsilon, dtype),
                     grad=tf.cast(gradient, dtype))
        if self.centered:
            tf.raw_ops.ResourceApplyCenteredRMSProp(var=variable.handle, mg=slots["mg"].handle, ms=slots["rms"].handle,
                                                    mom=slots["momentum"].handle, **hyper)
        else:
            tf.raw_ops.ResourceApplyRMSProp(var=variable.handle, ms=slots["rms"].handle, mom=slots["momentum"].handle,
                                            **hyper)


class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update of each variable is one ``ResourceApplyAdam`` kernel, as TF1's ``AdamOptimizer``'s.

    The rule is Keras' (and TF1's; Kingma & Ba, "Adam", ICLR 2015, Algorithm 1 with the bias
    corrections folded into the step size): ``m <- m + (1 - b1)(g - m)``, ``v <- v + (1 - b2)(g^2 - v)``,
    ``w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``, ``t = iterations + 1``
    (``tensorflow/core/kernels/training_ops.cc``, ``ApplyAdamNonCuda``). Keras 3 writes it as about
    ten element-wise ops per variable (``keras/src/optimizers/adam.py``, ``update_step``); a step of
    the adam recipe's small MLP then spends more time dispatching ops than the fused kernel takes.
    Same slots (``momentums``, ``velocities``), same checkpoint; ``amsgrad=True`` keeps Keras' ops
    (TF1 has no AMSGrad).
    """

    def beta_powers(self, dtype):
        """``(b1^t, b2^t)`` of this step as ``dtype`` scalars, ``t = iterations + 1``: Keras' ``pow``."""
        local_step = tf.cast(self.iterations + 1, dtype)
        return tf.pow(tf.cast(self.beta_1, dtype), local_step), tf.pow(tf.cast(self.beta_2, dtype), local_step)

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        beta1_power, beta2_power = self.beta_powers(dtype)
        slots = keras_slots(self, variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=slots["m"].handle, v=slots["v"].handle, beta1_power=beta1_power, beta2_power=beta2_power,
            lr=tf.cast(learning_rate, dtype), beta1=tf.cast(self.beta_1, dtype), beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype),
        )


class TF1Adam(FusedAdam):
    """:class:`FusedAdam` with TF1's beta powers: TF1's ``AdamOptimizer``'s numbers bit for bit.

    TF1 keeps ``b1^t`` and ``b2^t`` in two variables, ``beta1_power`` and ``beta2_power``, which
    start at ``b1``, ``b2`` and are multiplied by them after every step
    (``tensorflow/python/training/adam.py``, ``_create_slots`` and ``_finish``); Keras computes
    ``pow(b, iterations + 1)`` (``keras/src/optimizers/adam.py``), which differs from the running
    product in the last bits after a few steps. Adam divides each gradient by its running RMS,
    so on a weight whose gradient nearly cancels such a bit moves the step: the early_stopping
    port drifted up to 7.5e-5 from TF1 in its 13-step epoch with Keras' Adam, and is TF1's
    bit for bit with this one (``tests/parity/test_early_stopping_ports.py``). Here the powers
    are two more optimizer variables, ``beta_1_power`` and ``beta_2_power`` (checkpointed with
    the slots; ``migrate-ckpt --optimizer-state`` copies TF1's into them), which
    :class:`FusedAdam`'s ``ResourceApplyAdam`` reads (:meth:`beta_powers`); the powers advance
    after the step's last update, as TF1's ``_finish`` does. ``amsgrad`` is refused: TF1 has none.

    Raises:
        ValueError: ``amsgrad=True``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ValueError("TF1Adam has TF1's AdamOptimizer rule, which has no AMSGrad; use keras.optimizers.Adam(amsgrad=True)")

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # One value for all replicas under a tf.distribute strategy, as Keras' own iterations.
        self.beta_1_power, self.beta_2_power = (
            self.add_variable((), initializer=keras.initializers.Constant(beta), aggregation="only_first_replica", name=name)
            for beta, name in ((self.beta_1, "beta_1_power"), (self.beta_2, "beta_2_power"))
        )

    def beta_powers(self, dtype):
        """``(beta_1_power, beta_2_power)`` as ``dtype`` scalars: TF1's running products."""
        return tf.cast(self.beta_1_power, dtype), tf.cast(self.beta_2_power, dtype)

    def apply(self, grads, trainable_variables=None):
        super().apply(grads, trainable_variables)
        if len(grads):  # a step was taken (Keras counts it in iterations)
            self.beta_1_power.assign(self.beta_1_power * self.beta_1)
            self.beta_2_power.assign(self.beta_2_power * self.beta_2)


class FusedAdagrad(keras.optimizers.Adagrad):
    """``keras.optimizers.Adagrad`` whose update of each variable, with ``epsilon=0``, is TF1's one ``ResourceApplyAdagrad`` kernel.

    TF1's ``AdagradOptimizer``: ``s <- s + g^2``, ``w <- w - lr g / sqrt(s)``
    (``tensorflow/core/kernels/training_ops.cc``, ``ApplyAdagrad``); Keras' ``Adagrad`` divides by
    ``sqrt(s + epsilon)`` in about six element-wise ops per variable (``keras/src/optimizers/adagrad.py``,
    ``update_step``), the same rule at ``epsilon=0``. With another epsilon (which TF1's kernel has no
    place for) the update is Keras' ops. Same slot (``accumulators``), same checkpoint.
    """

    def update_step(self, gradient, variable, learning_rate):
        if self.epsilon != 0:  # not TF1's rule: Keras' ops
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyAdagrad(var=variable.handle, accum=keras_slots(self, variable)["accumulator"].handle,
                                        lr=tf.cast(learning_rate, dtype), grad=tf.cast(gradient, dtype))


class FusedSGD(keras.optimizers.SGD):
    """``keras.optimizers.SGD`` whose update of each variable is one kernel instead of Keras 3's two to five ops.

    * ``momentum=0``: ``w <- w - lr g``, ``ResourceApplyGradientDescent``, the kernel TF1's
      ``GradientDescentOptimizer`` runs (``tensorflow/core/kernels/training_ops.cc``,
      ``ApplyGradientDescent``: ``var -= grad * lr``); Keras writes ``assign_sub(variable, g * lr)``,
      a product the size of the variable, then the subtraction (``keras/src/optimizers/sgd.py``,
      ``update_step``).
    * ``momentum > 0``: Keras' rule (the rate *inside* the buffer: ``m <- beta m - lr g``, ``w <- w + m``;
      Nesterov ``w <- w + beta m - lr g``), ``ResourceApplyKerasMomentum`` (``ApplyKerasMomentum``, the
      kernel tf.keras' ``SGD`` ran), on Keras' ``momentums`` slot. TF1's ``MomentumOptimizer`` keeps the
      rate out of the buffer: :class:`TF1Momentum`.

    Same slots, same checkpoint, the same products and differences in the same order as Keras' ops
    (tests/parity/test_defaults.py compares them bit for bit). A sparse gradient (``tf.IndexedSlices``,
    an embedding's) keeps Keras' ops, which update only its rows.
    """

    def update_step(self, gradient, variable, learning_rate):
        if isinstance(gradient, tf.IndexedSlices):  # Keras scatters it into the rows it names
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        lr, grad = tf.cast(learning_rate, dtype), tf.cast(gradient, dtype)
        if self.momentum == 0:
            tf.raw_ops.ResourceApplyGradientDescent(var=variable.handle, alpha=lr, delta=grad)
            return
        tf.raw_ops.ResourceApplyKerasMomentum(var=variable.handle, accum=keras_slots(self, variable)["momentum"].handle,
                                              lr=lr, grad=grad, momentum=tf.cast(self.momentum, dtype),
                                              use_nesterov=self.nesterov)


def keras_slots(optimizer, variable):
    """{role: slot variable} that a built Keras 3 optimizer keeps for the model variable ``variable``.

    Roles, named as the TF1 optimizers' slots are understood (tf1_recipes.tf2.optimizer_state):

    * ``Adam``: ``m`` (Keras ``momentum``), ``v`` (``velocity``); ``v_hat`` with ``amsgrad``;
    * ``SGD`` (and :class:`TF1Momentum`): ``momentum`` (only when it keeps one);
    * ``RMSprop`` (and :class:`TF1RMSprop`): ``rms`` (``velocity``), ``momentum`` (when
      ``momentum > 0``), ``mg`` (``average_gradient``, when ``centered``);
    * ``Adagrad``: ``accumulator``.

    Keras 3 keeps these in per-optimizer lists indexed by
    ``optimizer._get_variable_index(variable)`` (keras/src/optimizers/{adam,sgd,rmsprop,adagrad}.py,
    ``build``/``update_step``); this function is the one place that reads them. Another
    optimizer class gives {}.

    Raises:
        KeyError: ``variable`` is not one the optimizer was built on.
    """
    import keras

    index = optimizer._get_variable_index(variable)  # pylint: disable=protected-access

    def pick(**lists):
        return {role: items[index] for role, items in lists.items() if items}

    if isinstance(optimizer, keras.optimizers.Adam):
        return pick(m=optimizer._momentums, v=optimizer._velocities, v_hat=getattr(optimizer, "_velocity_hats", None))
    if isinstance(optimizer, keras.optimizers.SGD):
        return pick(momentum=optimizer.momentums)
    if isinstance(optimizer, keras.optimizers.RMSprop):
        return pick(rms=optimizer._velocities, momentum=optimizer._momentums, mg=optimizer._average_gradients)
    if isinstance(optimizer, keras.optimizers.Adagrad):
        return pick(accumulator=optimizer._accumulators)
    return {}


def learning_rate_at(optimizer, iterations):
    """``(rate, scheduled)``: the learning rate a Keras 3 optimizer applies at step ``iterations`` (a float), and
    whether it follows a ``LearningRateSchedule`` (else it is a constant or a variable).

    Keras evaluates a schedule at ``optimizer.iterations`` before incrementing it
    (keras/src/optimizers/base_optimizer.py, ``_get_current_learning_rate``); the
    optimizer's own counter is not changed here.
    """
    import keras

    schedule = getattr(optimizer, "_learning_rate", None)  # pylint: disable=protected-access
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return float(schedule(iterations)), True
    return float(optimizer.learning_rate), False
