"""The max-norm recipes' shim: ``max_norm_dnn`` of the TF1 body, ``MomentumOptimizer``, the clipping after each step.

The model is :func:`tf1_recipes.recipes.families.max_norm.max_norm_dnn`, the function the
TF1 graph is built with. The TF1 loop runs the clipping ops after every training op
(``sess.run(clip_all_weights)``); here :meth:`MaxNormMLP.after_step` does it, inside the
traced step. What breaks at rung 2, and what the shim does instead:

* ``ref_variables`` (``variable_scope(use_resource=False)``): the TF1 recipe builds the layers
  with TF1 reference variables so that ``get_tensor_by_name("hidden1/kernel:0")`` is the kernel;
  eagerly TensorFlow refuses it ("When eager execution is enabled, use_resource cannot be set
  to false"). The shim calls ``max_norm_dnn`` without it: its variables are resource variables.
* ``get_tensor_by_name`` (``max_norm_manual``): no graph to look in. The shim takes the
  kernels from :meth:`~tf1_recipes.shim.base.ShimPort.keras_variables` by the same TF1 names
  and applies the recipe's own :func:`~tf1_recipes.recipes.families.max_norm.clip_max_norm`.
* The ``max_norm`` collection (``max_norm_regularizer``): the recipe's ``kernel_regularizer``
  builds ``assign(W, clip_by_norm(W))`` once, at graph construction, and puts it in a
  collection the loop runs after each training op. Passed to the layers of a shim, the same
  function is called by the layer machinery, at times that have nothing to do with the
  training step: ``track_tf1_style_variables`` keeps it as a callable loss of the shim layer,
  which Keras calls at every read of the layer's ``losses`` (eagerly: each read clips the
  kernels on the spot), and inside a ``tf.function`` trace the legacy ``tf.compat.v1.layers``
  call it again from ``add_weight`` on every forward pass, so the kernels are clipped *before*
  the logits are computed (tests/parity/test_shim_max_norm.py shows both). Measured over the
  K parity steps with the regularizer given to the layers and ``losses`` read after each
  step: weights 0.0033 off the TF1 run (3,000 times the tolerance). The side effect
  of a regularizer is not part of the model's computation that rung 2 carries over, so the
  shim builds the layers without it (``max_norm_reg=None``) and runs what the collection held,
  the recipe's own ``max_norm`` function on each kernel it regularises (hidden1, hidden2:
  ``max_norm_dnn`` gives it to both), in :meth:`MaxNormMLP.after_step`.

The parity runs use the native port's ``parity_overrides`` (threshold 0.5, which clips from
the first step; the reference 1.0 clips nothing within K steps).
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.max_norm import CLIPPING, clip_max_norm, max_norm_dnn, max_norm_regularizer
from tf1_recipes.shim.base import ShimPort

#: The kernels clipped: the names ``max_norm_manual`` passes to ``get_tensor_by_name`` (without ``:0``), and
#: the kernels ``max_norm_dnn`` gives ``max_norm_regularizer``'s regularizer to.
CLIPPED = ("hidden1/kernel", "hidden2/kernel")


class MaxNormMLP(ShimPort):
    """The 300/50 ReLU MLP in a shim layer, TF1 momentum; the hidden kernels' rows clipped after every step."""

    def build(self, **hyper):
        if hyper["clipping"] not in CLIPPING:
            raise ValueError(f"unknown clipping {hyper['clipping']!r}; choose one of {', '.join(CLIPPING)}")
        self.clipping, self.threshold = hyper["clipping"], hyper["threshold"]
        # The recipe's regularizer function, run after each step instead of given to the layers (see the module).
        self.max_norm = max_norm_regularizer(threshold=self.threshold)
        return super().build(**hyper)

    def forward(self, X, training):
        h = self.hyper
        return max_norm_dnn(X, n_hidden1=h["n_hidden1"], n_hidden2=h["n_hidden2"], n_outputs=h["n_outputs"],
                            max_norm_reg=None)

    def tf1_optimizer(self):
        return tf1.train.MomentumOptimizer(self.hyper["learning_rate"], self.hyper["momentum"])

    def after_step(self):
        """TF1's ``sess.run(clip_all_weights)`` after the training op."""
        kernels = self.keras_variables()
        clip = (lambda kernel: clip_max_norm(kernel, self.threshold)) if self.clipping == "manual" else self.max_norm
        for name in CLIPPED:
            clip(kernels[name])
