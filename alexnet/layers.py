"""The two building blocks the paper's network needs beyond stock Keras layers.

* `LocalResponseNorm`: section 3.3 of Krizhevsky et al. (2012),

      b[x,y,i] = a[x,y,i] / (k + alpha * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} a[x,y,j]^2) ** beta

  with k=2, n=5, alpha=1e-4, beta=0.75. Framework conventions differ: TensorFlow's
  `tf.nn.local_response_normalization` takes the window *radius* (n//2 = 2) and
  uses alpha as written here, while Caffe and PyTorch divide alpha by n. These
  constants are the paper's, unscaled. The normalisation is computed in float32
  even under a bfloat16 policy (the sum of squares benefits from the precision).
  Under TensorFlow the forward pass and the gradient are each one XLA-compiled
  kernel (`_lrn_tensorflow`) rather than `tf.nn.local_response_normalization`:
  LRN reads and writes the whole activation a few times and does little
  arithmetic, so fusing its steps is what makes it cheap (on a 2-core CPU the
  stock op took about a third of the small-image network's evaluation time).

* `TwoTower`: one layer of the paper's two-GPU network. Each tower is its own
  Keras layer (an explicit branch, not `Conv2D(groups=2)`, which is ~10x slower
  on CPU in TensorFlow 2.21 and cannot be placed on two devices). A tower layer
  either sees only its own tower's input (conv2, conv4, conv5, and the per-tower
  LRN, pooling and dropout), or the concatenation of both towers (conv3, fc6,
  fc7 — the only places the paper lets the GPUs communicate).
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import keras
from keras import ops


def _lrn_generic(x, depth_radius: int, bias: float, alpha: float, beta: float):
    """LRN with keras.ops (any backend): sum of squares over a channel window."""
    return x / ops.power(bias + alpha * _window_sum(ops.square(x), depth_radius), beta)


def _window_sum(v, radius: int):
    """sum_{j=i-radius}^{i+radius} v[..., j] for every channel i, zero beyond the edges (keras.ops)."""
    channels = v.shape[-1]
    padded = ops.pad(v, [[0, 0]] * (len(v.shape) - 1) + [[radius, radius]])
    return sum(padded[..., j:j + channels] for j in range(2 * radius + 1))


@functools.lru_cache(maxsize=None)
def _lrn_tensorflow(depth_radius: int, bias: float, alpha: float, beta: float):
    """LRN for TensorFlow as a function x -> y with its own gradient, each side one XLA kernel.

    With base = bias + alpha * window(x^2) and y = x * base^-beta, the gradient
    with respect to x of a loss with upstream gradient g is
        g * base^-beta - 2 * alpha * beta * x * window(g * y / base),
    since channel m lies in channel i's window exactly when i lies in m's.
    `base` is recomputed in the backward pass rather than kept (cheaper than
    storing it). Inputs and outputs keep their dtype; the arithmetic is float32.
    """
    import tensorflow as tf

    def base_of(x32):
        return bias + alpha * _window_sum(tf.square(x32), depth_radius)

    def power(base):  # base^-beta; the paper's 0.75 without a pow
        return tf.math.rsqrt(base) * tf.math.rsqrt(tf.sqrt(base)) if beta == 0.75 else tf.pow(base, -beta)

    @tf.function(jit_compile=True)
    def forward(x):
        x32 = tf.cast(x, tf.float32)
        return tf.cast(x32 * power(base_of(x32)), x.dtype)

    @tf.function(jit_compile=True)
    def backward(x, g):
        x32, g32 = tf.cast(x, tf.float32), tf.cast(g, tf.float32)
        base = base_of(x32)
        scale = power(base)
        dx = g32 * scale - 2.0 * alpha * beta * x32 * _window_sum(g32 * x32 * scale / base, depth_radius)
        return tf.cast(dx, x.dtype)

    @tf.custom_gradient
    def lrn(x):
        return forward(x), lambda g: backward(x, g)
    return lrn


@keras.saving.register_keras_serializable(package="alexnet")
class LocalResponseNorm(keras.layers.Layer):
    """Local response normalisation across channels (paper section 3.3).

    Args:
      size: n, the number of adjacent channels summed over (odd).
      k, alpha, beta: the paper's constants, alpha NOT divided by n.
    """

    def __init__(self, size: int = 5, k: float = 2.0, alpha: float = 1e-4, beta: float = 0.75, **kwargs):
        super().__init__(**kwargs)
        if size % 2 != 1:
            raise ValueError(f"LRN size must be odd, got {size}")
        self.size, self.k, self.alpha, self.beta = size, k, alpha, beta

    def call(self, x):
        radius = self.size // 2
        if keras.backend.backend() == "tensorflow":
            return _lrn_tensorflow(radius, float(self.k), float(self.alpha), float(self.beta))(x)
        dtype = x.dtype
        y = _lrn_generic(ops.cast(x, "float32"), radius, self.k, self.alpha, self.beta)
        return ops.cast(y, dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "size": self.size, "k": self.k, "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package="alexnet")
class TwoTower(keras.layers.Layer):
    """A pair of identical layers, one per tower (one per GPU in the paper).

    Input: a tensor (both towers see it, e.g. the image for conv1) or a list of
    two tensors [tower0, tower1]. Output: a list of two tensors.

    Args:
      make_layer: builds one tower's layer; called with the tower index and a name.
      cross: if True each tower sees both towers' inputs concatenated on the
        channel axis (conv3, fc6, fc7); if False only its own (conv2, conv4, conv5).
      devices: optional (device0, device1): runs tower i under `tf.device(devices[i])`
        (TensorFlow backend only), the paper's model parallelism.
      flatten: flatten each tower's input first (fc6 reads pool5's maps).
    """

    def __init__(self, make_layer: Callable[[int, str], keras.layers.Layer], cross: bool = False,
                 devices: Sequence[str] | None = None, flatten: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.towers = [make_layer(i, f"{self.name}_tower{i}") for i in range(2)]
        self.cross = cross
        self.devices = tuple(devices) if devices else None
        self.flatten = flatten

    def build(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape, input_shape]
        for i, tower in enumerate(self.towers):
            if not tower.built:  # a .keras file restores the towers before building the pair
                tower.build(self._tower_input_shape(shapes, i))
        self.built = True

    def _tower_input_shape(self, shapes, i):
        shape = list(shapes[i])
        if self.cross:
            shape[-1] = shapes[0][-1] + shapes[1][-1]
        if self.flatten:
            n = 1
            for d in shape[1:]:
                n *= d
            shape = [shape[0], n]
        return tuple(shape)

    def _inputs(self, x):
        parts = x if isinstance(x, (list, tuple)) else [x, x]
        if self.cross and isinstance(x, (list, tuple)):
            joined = ops.concatenate(list(parts), axis=-1)
            parts = [joined, joined]
        if self.flatten:
            parts = [ops.reshape(p, (ops.shape(p)[0], -1)) for p in parts]
        return parts

    def call(self, x, training=None):
        parts = self._inputs(x)
        outputs = []
        for i, (tower, part) in enumerate(zip(self.towers, parts)):
            kwargs = {"training": training} if isinstance(tower, keras.layers.Dropout) else {}
            if self.devices and keras.backend.backend() == "tensorflow":
                import tensorflow as tf
                with tf.device(self.devices[i]):
                    outputs.append(tower(part, **kwargs))
            else:
                outputs.append(tower(part, **kwargs))
        return outputs

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape, input_shape]
        return [tower.compute_output_shape(self._tower_input_shape(shapes, i))
                for i, tower in enumerate(self.towers)]

    def get_config(self):
        # The towers' own configs stand for `make_layer`, so a saved model
        # (.keras) rebuilds each tower exactly; device placement is not saved.
        return {**super().get_config(), "towers": [keras.layers.serialize(t) for t in self.towers],
                "cross": self.cross, "flatten": self.flatten}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        towers = config.pop("towers")
        return cls(lambda i, name: keras.layers.deserialize(towers[i]), **config)
