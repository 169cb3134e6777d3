"""Plain-Keras references: each project network's layers from stock pieces, and a bare training step.

The bench (scripts/bench_train.py) times each project network's own training
step (alexnet.trainer.Trainer: distribution strategy, coupled weight decay,
running statistics, the custom LRN and two-tower layers) against the same
layers written the plainest way: `keras.Sequential`-style stock layers,
`tf.nn.local_response_normalization` for LRN, tower branches as slices of the
channel axis, and a step of forward, cross-entropy plus the same weight decay
(the objective must be the same), gradients and SGD with momentum. The ratio
of the two speeds is the project code's overhead.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from alexnet.model import kernel_variables
from alexnet.optim import weight_decay_loss


def _lrn(size: int = 5, k: float = 2.0, alpha: float = 1e-4, beta: float = 0.75):
    # tf.nn's LRN sums over 2·radius+1 channels and multiplies by alpha, as the paper does.
    def lrn(x):
        y = tf.nn.local_response_normalization(tf.cast(x, tf.float32), size // 2, k, alpha, beta)
        return tf.cast(y, x.dtype)
    return layers.Lambda(lrn)


def _conv(filters, size, strides=1, padding="same"):
    return layers.Conv2D(filters, size, strides=strides, padding=padding, activation="relu")


def _head(x, units, num_classes, dropout, first_dropout=False):
    x = layers.Flatten()(x)
    if first_dropout:
        x = layers.Dropout(dropout)(x)
    for n in units:
        x = layers.Dropout(dropout)(layers.Dense(n, activation="relu")(x)) if n else x
    return layers.Dense(num_classes)(x)


def _small(x, widths, units, num_classes, conv1_stride=1):
    pool = lambda: layers.MaxPooling2D(3, 2, padding="same")  # noqa: E731
    x = pool()(_lrn()(_conv(widths[0], 5, conv1_stride)(x)))
    x = pool()(_lrn()(_conv(widths[1], 5)(x)))
    for w in widths[2:]:
        x = _conv(w, 3)(x)
    return _head(pool()(x), units, num_classes, 0.5)


def _alexnet2014(x, num_classes):
    x = layers.ZeroPadding2D(2)(x)
    x = layers.MaxPooling2D(3, 2)(_conv(64, 11, 4, "valid")(x))
    x = layers.MaxPooling2D(3, 2)(_conv(192, 5)(x))
    x = _conv(256, 3)(_conv(256, 3)(_conv(384, 3)(x)))
    x = layers.MaxPooling2D(3, 2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dropout(0.5)(layers.Dense(4096, activation="relu")(x))
    x = layers.Dense(4096, activation="relu")(x)
    return layers.Dense(num_classes)(x)


def _alexnet2012(x, num_classes):
    """The two towers as explicit branches: conv2, conv4, conv5 read only their own tower's half."""
    def split(t):
        c = t.shape[-1] // 2
        return layers.Lambda(lambda v: v[..., :c])(t), layers.Lambda(lambda v: v[..., c:])(t)

    def own(t, filters, size):
        a, b = split(t)
        return layers.Concatenate()([_conv(filters, size)(a), _conv(filters, size)(b)])

    def both(t, filters, size):
        return layers.Concatenate()([_conv(filters, size)(t), _conv(filters, size)(t)])

    x = layers.ZeroPadding2D(2)(x)
    x = layers.Concatenate()([_conv(48, 11, 4, "valid")(x), _conv(48, 11, 4, "valid")(x)])
    def per_tower_lrn(t):  # the paper normalises within a tower: no window straddles the two
        a, b = split(t)
        return layers.Concatenate()([_lrn()(a), _lrn()(b)])

    x = layers.MaxPooling2D(3, 2)(per_tower_lrn(x))
    x = layers.MaxPooling2D(3, 2)(per_tower_lrn(own(x, 128, 5)))
    x = own(own(both(x, 192, 3), 192, 3), 128, 3)
    x = layers.Flatten()(layers.MaxPooling2D(3, 2)(x))
    for _ in range(2):
        x = layers.Concatenate()([layers.Dense(2048, activation="relu")(x), layers.Dense(2048, activation="relu")(x)])
        x = layers.Dropout(0.5)(x)
    return layers.Dense(num_classes)(x)


def reference_model(arch: str, num_classes: int, image_size: int) -> keras.Model:
    """The plain-Keras version of a project network (same layers, shapes and parameter count)."""
    inputs = keras.Input((image_size, image_size, 3))
    if arch == "alexnet2014":
        x = _alexnet2014(inputs, num_classes)
    elif arch == "alexnet2012":
        x = _alexnet2012(inputs, num_classes)
    elif arch == "alexnet64":
        x = _small(inputs, (96, 256, 384, 384, 256), (2048, 2048), num_classes, conv1_stride=2)
    elif arch == "cifar_convnet":
        pool = lambda: layers.MaxPooling2D(3, 2, padding="same")  # noqa: E731
        lrn = lambda: _lrn(9, 1.0, 0.001 / 9.0)  # noqa: E731
        x = lrn()(pool()(_conv(64, 5)(inputs)))
        x = pool()(lrn()(_conv(64, 5)(x)))
        x = _head(x, (384, 192), num_classes, 0.5)
    elif arch == "cifar_alexnet":
        x = _small(inputs, (64, 128, 192, 192, 128), (512, 256), num_classes)
    else:
        raise ValueError(f"no plain-Keras reference for {arch!r}")
    return keras.Model(inputs, layers.Activation("linear", dtype="float32")(x))


def reference_step(model: keras.Model, lr: float = 0.01, weight_decay: float = 0.0):
    """A bare training step: forward, mean cross-entropy plus the paper's coupled L2 weight
    decay on the kernels (0.5 * wd * sum |w|^2, the objective the project's step trains),
    gradients, SGD with momentum."""
    optimizer = keras.optimizers.SGD(lr, momentum=0.9)
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    kernels = kernel_variables(model)

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
            loss += weight_decay_loss(kernels, weight_decay)  # 0 without weight decay
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return step
