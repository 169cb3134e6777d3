"""AlexNet: the 2012 two-tower network, the 2014 single-tower one, and a CIFAR net.

Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", NIPS 2012 (section 3, Figure 2):

    conv1  96 @ 11x11 / 4  (48 per tower, each tower sees the whole image)
    LRN, max-pool 3/2
    conv2 256 @ 5x5        (128 per tower, each sees only its tower's conv1 maps)
    LRN, max-pool 3/2
    conv3 384 @ 3x3        (192 per tower, each sees BOTH towers' maps)
    conv4 384 @ 3x3        (192 per tower, own tower only)
    conv5 256 @ 3x3        (128 per tower, own tower only)
    max-pool 3/2
    fc6  4096, dropout 0.5 (2048 per tower, each sees both towers' pool5)
    fc7  4096, dropout 0.5 (2048 per tower, each sees both towers' fc6)
    fc8  1000
    ReLU after every convolution and fc6/fc7.

At 1000 classes this has 60,965,224 parameters.

Deviations from the paper, and why:
* Input arithmetic. The paper says 224x224 crops, but 11x11 stride-4 filters
  only give its 55x55 conv1 maps from 227 pixels. Like torchvision, conv1 pads
  the 224 crop by 2 pixels on each side: (224 + 4 - 11) // 4 + 1 = 55, and every
  later shape (27, 13, 6) is the paper's. Any `image_size` works; the pool5 grid
  follows from it.
* LRN and pooling run per tower, as they did on the paper's two GPUs, so the
  LRN window never straddles the boundary between towers.
* The logits are computed by fc8 in the compute dtype and cast to float32 by a
  final `logits` layer, so softmax and loss are float32 under mixed precision.
* `init="he"` and `init="glorot"` (zero biases) are offered besides the paper's
  N(0, 0.01) weights (with biases of 1 in conv2, conv4, conv5, fc6, fc7 and 0
  elsewhere), for runs on standardised inputs (`input_norm='standardise'`),
  where the paper's initialisation, tuned for 0..255 inputs, does not fit;
  configs say which they use and why.

`alexnet2014` is the single-tower layout of Krizhevsky's "One weird trick for
parallelizing convolutional neural networks" (2014) as torchvision implements it
(64, 192, 384, 256, 256 filters; no LRN; dropout before fc6 and fc7):
61,100,840 parameters at 1000 classes.

`cifar_convnet` is a small-image network in the spirit of Krizhevsky's
cuda-convnet CIFAR-10 models (the layout of TensorFlow's classic CIFAR-10
tutorial, which followed cuda-convnet): conv-pool-LRN, conv-LRN-pool, then two
fully-connected layers (384, 192) and the classifier. Its layers keep the
AlexNet names conv1, conv2, fc6, fc7, fc8 so analysis code (fc7 features, conv1
filters) works on every variant.

`cifar_alexnet` is AlexNet's layout shrunk to CIFAR's 32x32 images, the network
the CIFAR-10 recipe trains: five convolutions (64@5x5, 128@5x5, 192@3x3,
192@3x3, 128@3x3) with the paper's LRN after conv1 and conv2 and overlapping
3/2 max-pooling after conv1, conv2 and conv5, then fc6 512 and fc7 256 with
dropout, and fc8. It has no batch normalisation (a 2015 invention). It sits
between cuda-convnet's `layers-18pct` (three 5x5 convolutions, 18% error) and
`conv-local-13pct` (two convolutions and two locally-connected layers, 13%
with crops, flips and multi-view testing); plain convolutions replace the
locally-connected layers, whose unshared weights run slowly in TensorFlow.
2,167,434 parameters at 10 classes, for 28 and 32 px inputs alike (pool5 is
4x4x128 for both).

`alexnet64` is the paper's layout for 64 px images (Tiny ImageNet, trained on
56 px crops: the paper's 224-of-256 ratio). Departures, and why: conv1 is
96@5x5 with stride 2 instead of 11x11 with stride 4, the variant with which
Mishkin et al. 2016 ("Systematic evaluation of CNN advances on the ImageNet")
trained CaffeNet on 64 px ImageNet (44.5% top-1 accuracy, against 30.9% with
the 224 px conv1); one tower (the 2014 layout's single tower, keeping the
2012 widths 96, 256, 384, 384, 256 and its LRN after conv1 and conv2);
"same" padding in the pools, so the maps are 28, 14, 7 and 4 wide for 56 px
inputs (32, 16, 8, 4 for 64 px); fc6 and fc7 of 2048 instead of 4096, as 90,000
training images cannot feed 4096-wide layers without more overfitting.
16,716,360 parameters at 200 classes, for 56 and 64 px inputs alike.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

from alexnet.layers import LocalResponseNorm, TwoTower

ARCHS = ("alexnet2012", "alexnet2014", "cifar_convnet", "cifar_alexnet", "alexnet64")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
INITS = ("paper", "he", "glorot")

# Layers whose biases the paper initialises to 1 ("accelerates the early stages
# of learning by providing the ReLUs with positive inputs"), section 5.
_PAPER_UNIT_BIASES = ("conv2", "conv4", "conv5", "fc6", "fc7")


def set_precision(policy: str) -> None:
    """Sets Keras' global dtype policy: float32, mixed_bfloat16 or mixed_float16."""
    if policy not in PRECISIONS:
        raise ValueError(f"unknown precision {policy!r}; expected one of {', '.join(PRECISIONS)}")
    keras.mixed_precision.set_global_policy(policy)


def _initialisers(init: str, name: str):
    if init == "paper":
        bias = 1.0 if name in _PAPER_UNIT_BIASES else 0.0
        return keras.initializers.RandomNormal(stddev=0.01), keras.initializers.Constant(bias)
    if init == "he":
        return keras.initializers.HeNormal(), keras.initializers.Zeros()
    if init == "glorot":
        return keras.initializers.GlorotUniform(), keras.initializers.Zeros()
    raise ValueError(f"unknown init {init!r}; expected one of {', '.join(INITS)}")


def _conv(filters, size, name, init, strides=1, padding="same", layer_name=None):
    kernel, bias = _initialisers(init, name)
    return layers.Conv2D(filters, size, strides=strides, padding=padding, activation="relu",
                         kernel_initializer=kernel, bias_initializer=bias, name=layer_name or name)


def _dense(units, name, init, activation="relu", layer_name=None):
    kernel, bias = _initialisers(init, name)
    return layers.Dense(units, activation=activation, kernel_initializer=kernel,
                        bias_initializer=bias, name=layer_name or name)


def _alexnet2012(x, num_classes, dropout, init, devices):
    def towers(name, make, cross=False, flatten=False):
        return TwoTower(lambda i, n: make(n), cross=cross, devices=devices, flatten=flatten, name=name)

    def pool(n):
        return layers.MaxPooling2D(3, 2, name=n)

    def lrn(n):
        return LocalResponseNorm(name=n)

    x = layers.ZeroPadding2D(2, name="pad1")(x)
    x = towers("conv1", lambda n: _conv(48, 11, "conv1", init, strides=4, padding="valid", layer_name=n))(x)
    x = towers("pool1", pool)(towers("lrn1", lrn)(x))
    x = towers("conv2", lambda n: _conv(128, 5, "conv2", init, layer_name=n))(x)
    x = towers("pool2", pool)(towers("lrn2", lrn)(x))
    x = towers("conv3", lambda n: _conv(192, 3, "conv3", init, layer_name=n), cross=True)(x)
    x = towers("conv4", lambda n: _conv(192, 3, "conv4", init, layer_name=n))(x)
    x = towers("conv5", lambda n: _conv(128, 3, "conv5", init, layer_name=n))(x)
    x = towers("pool5", pool)(x)
    x = towers("fc6", lambda n: _dense(2048, "fc6", init, layer_name=n), cross=True, flatten=True)(x)
    x = towers("drop6", lambda n: layers.Dropout(dropout, name=n))(x)
    x = towers("fc7", lambda n: _dense(2048, "fc7", init, layer_name=n), cross=True)(x)
    x = towers("drop7", lambda n: layers.Dropout(dropout, name=n))(x)
    x = layers.Concatenate(name="fc7_concat")(x)
    return _dense(num_classes, "fc8", init, activation=None)(x)


def _alexnet2014(x, num_classes, dropout, init):
    x = layers.ZeroPadding2D(2, name="pad1")(x)
    x = _conv(64, 11, "conv1", init, strides=4, padding="valid")(x)
    x = layers.MaxPooling2D(3, 2, name="pool1")(x)
    x = _conv(192, 5, "conv2", init)(x)
    x = layers.MaxPooling2D(3, 2, name="pool2")(x)
    x = _conv(384, 3, "conv3", init)(x)
    x = _conv(256, 3, "conv4", init)(x)
    x = _conv(256, 3, "conv5", init)(x)
    x = layers.MaxPooling2D(3, 2, name="pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="drop5")(x)
    x = _dense(4096, "fc6", init)(x)
    x = layers.Dropout(dropout, name="drop6")(x)
    x = _dense(4096, "fc7", init)(x)
    return _dense(num_classes, "fc8", init, activation=None)(x)


def _cifar_convnet(x, num_classes, dropout, init):
    # cuda-convnet's response normalisation: 9 channels, alpha 0.001 / 9, k = 1.
    def lrn(name):
        return LocalResponseNorm(size=9, k=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)

    x = _conv(64, 5, "conv1", init)(x)
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
    x = lrn("lrn1")(x)
    x = _conv(64, 5, "conv2", init)(x)
    x = lrn("lrn2")(x)
    x = layers.MaxPooling2D(3, 2, padding="same", name="pool2")(x)
    return _small_image_head(x, (384, 192), num_classes, dropout, init)


def _alexnet_small(x, num_classes, dropout, init, widths, fc_units, conv1_stride=1):
    """AlexNet's five convolutions at a small image size: conv1 5x5 (at `conv1_stride`),
    LRN and 3/2 pooling after conv1 and conv2, conv2 5x5, conv3-5 3x3, pool5, then the head."""
    def pool(name):
        return layers.MaxPooling2D(3, 2, padding="same", name=name)

    x = _conv(widths[0], 5, "conv1", init, strides=conv1_stride)(x)
    x = pool("pool1")(LocalResponseNorm(name="lrn1")(x))
    x = _conv(widths[1], 5, "conv2", init)(x)
    x = pool("pool2")(LocalResponseNorm(name="lrn2")(x))
    x = _conv(widths[2], 3, "conv3", init)(x)
    x = _conv(widths[3], 3, "conv4", init)(x)
    x = _conv(widths[4], 3, "conv5", init)(x)
    x = pool("pool5")(x)
    return _small_image_head(x, fc_units, num_classes, dropout, init)


def _cifar_alexnet(x, num_classes, dropout, init):
    return _alexnet_small(x, num_classes, dropout, init, (64, 128, 192, 192, 128), (512, 256))


def _alexnet64(x, num_classes, dropout, init):
    return _alexnet_small(x, num_classes, dropout, init, (96, 256, 384, 384, 256), (2048, 2048),
                          conv1_stride=2)


def _small_image_head(x, units, num_classes, dropout, init):
    """flatten -> fc6 -> dropout -> fc7 -> dropout -> fc8, the small-image networks' classifier."""
    x = layers.Flatten(name="flatten")(x)
    x = _dense(units[0], "fc6", init)(x)
    x = layers.Dropout(dropout, name="drop6")(x)
    x = _dense(units[1], "fc7", init)(x)
    x = layers.Dropout(dropout, name="drop7")(x)
    return _dense(num_classes, "fc8", init, activation=None)(x)


def build_model(arch: str = "alexnet2012", num_classes: int = 1000, image_size: int = 224,
                dropout: float = 0.5, init: str = "paper", fc8_std: float = 0.0,
                tower_devices: Sequence[str] | None = None) -> keras.Model:
    """Builds one of the networks; call `set_precision` first for mixed precision.

    Args:
      arch: 'alexnet2012' (two towers), 'alexnet2014' (single tower), 'cifar_convnet',
        'cifar_alexnet' or 'alexnet64' (64 px images).
      num_classes: size of fc8.
      image_size: side of the square input crop (224 for ImageNet, 24-32 for CIFAR).
      dropout: dropout rate of the fully-connected layers (paper: 0.5).
      init: 'paper' (N(0, 0.01) weights, unit biases as in section 5), 'he' or 'glorot'.
      fc8_std: > 0: fc8 drawn from N(0, fc8_std) with zero biases whatever `init`
        says (0.01, the paper's, with `init='he'`: logits start near zero, so the
        loss starts at ln(num_classes) rather than above it); 0: as `init`.
      tower_devices: (device0, device1) to place the towers of 'alexnet2012' on two
        devices, the paper's model parallelism; None keeps everything on one.

    Returns:
      A Keras model from a [B, S, S, 3] image batch to float32 logits [B, num_classes].
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHS)}")
    if tower_devices is not None and arch != "alexnet2012":
        raise ValueError(f"tower_devices needs the two-tower 'alexnet2012', not {arch!r}")
    if tower_devices is not None and len(tower_devices) != 2:
        raise ValueError(f"tower_devices needs exactly two devices, got {list(tower_devices)}")
    if fc8_std < 0:
        raise ValueError(f"fc8_std must be >= 0, got {fc8_std}")
    inputs = keras.Input((image_size, image_size, 3), name="image")
    if arch == "alexnet2012":
        x = _alexnet2012(inputs, num_classes, dropout, init, tower_devices)
    elif arch == "alexnet2014":
        x = _alexnet2014(inputs, num_classes, dropout, init)
    elif arch == "alexnet64":
        x = _alexnet64(inputs, num_classes, dropout, init)
    elif arch == "cifar_convnet":
        x = _cifar_convnet(inputs, num_classes, dropout, init)
    else:
        x = _cifar_alexnet(inputs, num_classes, dropout, init)
    logits = layers.Activation("linear", dtype="float32", name="logits")(x)
    model = keras.Model(inputs, logits, name=arch)
    if fc8_std:
        fc8 = model.get_layer("fc8")
        fc8.kernel.assign(keras.initializers.RandomNormal(stddev=fc8_std)(fc8.kernel.shape))
        fc8.bias.assign(keras.ops.zeros(fc8.bias.shape))
    return model


def feature_extractor(model: keras.Model, endpoints: Sequence[str] = ("pool5", "fc7")) -> keras.Model:
    """A model returning a dict of intermediate outputs (towers concatenated).

    Args:
      model: a model from `build_model`.
      endpoints: layer names, e.g. 'conv1', 'pool5', 'fc7', 'logits'.
    """
    names = [layer.name for layer in model.layers]
    outputs = {}
    for name in endpoints:
        if name not in names:
            raise ValueError(f"{model.name} has no layer {name!r}; layers: {', '.join(names)}")
        out = model.get_layer(name).output
        if isinstance(out, (list, tuple)):
            out = keras.ops.concatenate(list(out), axis=-1)
        outputs[name] = out
    return keras.Model(model.input, outputs, name=f"{model.name}_features")


def kernel_variables(model: keras.Model) -> list:
    """The weight matrices and filters (no biases): what weight decay applies to."""
    return [v for v in model.trainable_variables if v.path.endswith("kernel")]


def conv1_filters(model: keras.Model):
    """conv1's filters as a NumPy array [11, 11, 3, 96] (towers concatenated)."""
    import numpy as np
    layer = model.get_layer("conv1")
    if isinstance(layer, TwoTower):
        return np.concatenate([t.kernel.numpy() if hasattr(t.kernel, "numpy") else np.asarray(t.kernel)
                               for t in layer.towers], axis=-1)
    return np.asarray(layer.kernel)
