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

Switches (`Switches`; issue 25 re-measures section 3's claims with them): `activation`
('relu' | 'tanh'), `lrn` (on | off), `pool` ([3, 2] overlapping | [2, 2]) and, for the
small-image AlexNets, `towers`: 'two' splits every convolution in the paper's two towers
of half the kernels (conv3 reads both, conv2, conv4, conv5 their own; LRN and pooling per
tower; fc6 reads both, which for a fully-connected layer is the unsplit layer), as explicit
branches like `alexnet2012`'s (Conv2D(groups=2) is 4-15x slower on CPU here); 'one_half' is
the paper's comparison net (section 3.2, footnote 1): one tower with half the kernels in
conv1-conv4, conv5 and the fully-connected layers unchanged. The defaults build every
network exactly as before; 2/2 pooling gives 3/2's map sizes (28, 14, 7, 4 at 28 px), as in
the paper. At 10 classes `cifar_alexnet` has 1,788,554 parameters with two towers and
1,485,834 as 'one_half': the paper's pair was "approximately" equal as fc6 held most of its
weights; here conv3 reading both towers leaves the two-tower net 20% larger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import keras
from keras import layers

from alexnet.layers import LocalResponseNorm, TwoTower

ARCHS = ("alexnet2012", "alexnet2014", "cifar_convnet", "cifar_alexnet", "alexnet64")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
INITS = ("paper", "he", "glorot")
# The design choices section 3 credits with an effect (issue 25), as switches of
# `build_model`; the first value of each is the paper's, and every network's default.
ACTIVATIONS = ("relu", "tanh")
POOLS = ([3, 2], [2, 2])      # max-pooling [size, stride]: overlapping (the paper) or not
TOWERS = ("one", "two", "one_half")

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


def _conv(filters, size, name, init, strides=1, padding="same", layer_name=None, activation="relu"):
    kernel, bias = _initialisers(init, name)
    return layers.Conv2D(filters, size, strides=strides, padding=padding, activation=activation,
                         kernel_initializer=kernel, bias_initializer=bias, name=layer_name or name)


def _dense(units, name, init, activation="relu", layer_name=None):
    kernel, bias = _initialisers(init, name)
    return layers.Dense(units, activation=activation, kernel_initializer=kernel,
                        bias_initializer=bias, name=layer_name or name)


@dataclass(frozen=True)
class Switches:
    """The design choices section 3 credits with an effect (module docstring); the defaults
    are the paper's: ReLU (3.1), LRN (3.3), overlapping (3, 2) pooling (3.4), and each
    network's own tower layout ('one' for the small-image AlexNets)."""

    activation: str = "relu"
    lrn: bool = True
    pool: tuple[int, int] = (3, 2)
    towers: str = "one"

    def max_pool(self, name: str, padding: str = "valid") -> layers.Layer:
        return layers.MaxPooling2D(*self.pool, padding=padding, name=name)


PAPER = Switches()
# The switches each network has; `check_switches` refuses the others, with the reason below.
_HAS = {"alexnet2012": ("activation", "lrn", "pool"), "alexnet2014": ("activation", "pool"),
        "cifar_convnet": ("activation", "lrn", "pool"),
        "cifar_alexnet": ("activation", "lrn", "pool", "towers"), "alexnet64": ("activation", "lrn", "pool", "towers")}
_LACKS = {"lrn": "it has no LRN to remove",
          "towers": "only the small-image AlexNets (cifar_alexnet, alexnet64) switch their tower layout"}


def check_switches(arch: str, activation: str = "relu", lrn: bool = True, pool: Sequence[int] = (3, 2),
                   towers: str = "one") -> Switches:
    """The switches `build_model` builds `arch` with; ValueError (one line) for one it cannot build."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    if list(pool) not in POOLS:
        raise ValueError(f"pool must be [size, stride], one of {', '.join(map(str, POOLS))}; got {list(pool)}")
    if towers not in TOWERS:
        raise ValueError(f"unknown towers {towers!r}; expected one of {', '.join(TOWERS)}")
    switches = Switches(activation, bool(lrn), tuple(pool), towers)
    for key in ("activation", "lrn", "pool", "towers"):
        value = getattr(switches, key)
        if value != getattr(PAPER, key) and key not in _HAS.get(arch, ()):
            raise ValueError(f"{key}={(list(value) if key == 'pool' else value)!r} does not apply to {arch!r}: "
                             f"{_LACKS.get(key, 'its builder has no such switch')}")
    return switches


def _lrn(x, name: str, switches: Switches, make=LocalResponseNorm):
    """`make(name=name)(x)` where the network normalises, unless the switch turns LRN off."""
    return make(name=name)(x) if switches.lrn else x


def _alexnet2012(x, num_classes, dropout, init, devices, switches=PAPER):
    act = switches.activation

    def towers(name, make, cross=False, flatten=False):
        return TwoTower(lambda i, n: make(n), cross=cross, devices=devices, flatten=flatten, name=name)

    def lrn(name):
        return towers(name, lambda n: LocalResponseNorm(name=n))

    x = layers.ZeroPadding2D(2, name="pad1")(x)
    x = towers("conv1", lambda n: _conv(48, 11, "conv1", init, strides=4, padding="valid", layer_name=n,
                                        activation=act))(x)
    x = towers("pool1", switches.max_pool)(_lrn(x, "lrn1", switches, lrn))
    x = towers("conv2", lambda n: _conv(128, 5, "conv2", init, layer_name=n, activation=act))(x)
    x = towers("pool2", switches.max_pool)(_lrn(x, "lrn2", switches, lrn))
    x = towers("conv3", lambda n: _conv(192, 3, "conv3", init, layer_name=n, activation=act), cross=True)(x)
    x = towers("conv4", lambda n: _conv(192, 3, "conv4", init, layer_name=n, activation=act))(x)
    x = towers("conv5", lambda n: _conv(128, 3, "conv5", init, layer_name=n, activation=act))(x)
    x = towers("pool5", switches.max_pool)(x)
    x = towers("fc6", lambda n: _dense(2048, "fc6", init, act, layer_name=n), cross=True, flatten=True)(x)
    x = towers("drop6", lambda n: layers.Dropout(dropout, name=n))(x)
    x = towers("fc7", lambda n: _dense(2048, "fc7", init, act, layer_name=n), cross=True)(x)
    x = towers("drop7", lambda n: layers.Dropout(dropout, name=n))(x)
    x = layers.Concatenate(name="fc7_concat")(x)
    return _dense(num_classes, "fc8", init, activation=None)(x)


def _alexnet2014(x, num_classes, dropout, init, switches=PAPER):
    act = switches.activation
    x = layers.ZeroPadding2D(2, name="pad1")(x)
    x = _conv(64, 11, "conv1", init, strides=4, padding="valid", activation=act)(x)
    x = switches.max_pool("pool1")(x)
    x = _conv(192, 5, "conv2", init, activation=act)(x)
    x = switches.max_pool("pool2")(x)
    x = _conv(384, 3, "conv3", init, activation=act)(x)
    x = _conv(256, 3, "conv4", init, activation=act)(x)
    x = _conv(256, 3, "conv5", init, activation=act)(x)
    x = switches.max_pool("pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="drop5")(x)
    x = _dense(4096, "fc6", init, act)(x)
    x = layers.Dropout(dropout, name="drop6")(x)
    x = _dense(4096, "fc7", init, act)(x)
    return _dense(num_classes, "fc8", init, activation=None)(x)


def _cifar_convnet(x, num_classes, dropout, init, switches=PAPER):
    # cuda-convnet's response normalisation: 9 channels, alpha 0.001 / 9, k = 1.
    def lrn(name):
        return LocalResponseNorm(size=9, k=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)

    x = _conv(64, 5, "conv1", init, activation=switches.activation)(x)
    x = switches.max_pool("pool1", "same")(x)
    x = _lrn(x, "lrn1", switches, lrn)
    x = _conv(64, 5, "conv2", init, activation=switches.activation)(x)
    x = _lrn(x, "lrn2", switches, lrn)
    x = switches.max_pool("pool2", "same")(x)
    return _small_image_head(x, (384, 192), num_classes, dropout, init, switches.activation)


def _alexnet_small(x, num_classes, dropout, init, widths, fc_units, conv1_stride=1, switches=PAPER):
    """AlexNet's five convolutions at a small image size: conv1 5x5 (at `conv1_stride`),
    LRN and 3/2 pooling after conv1 and conv2, conv2 5x5, conv3-5 3x3, pool5, then the head."""
    act = switches.activation
    if switches.towers == "two":
        x = _small_two_towers(x, init, widths, conv1_stride, switches)
        return _small_image_head(x, fc_units, num_classes, dropout, init, act)
    if switches.towers == "one_half":
        # The paper's one-tower comparison net (section 3.2, footnote 1): half the kernels
        # in conv1-conv4; conv5 and the fully-connected layers keep their size.
        widths = [w // 2 for w in widths[:4]] + [widths[4]]

    def pool(name):
        return switches.max_pool(name, "same")

    x = _conv(widths[0], 5, "conv1", init, strides=conv1_stride, activation=act)(x)
    x = pool("pool1")(_lrn(x, "lrn1", switches))
    x = _conv(widths[1], 5, "conv2", init, activation=act)(x)
    x = pool("pool2")(_lrn(x, "lrn2", switches))
    x = _conv(widths[2], 3, "conv3", init, activation=act)(x)
    x = _conv(widths[3], 3, "conv4", init, activation=act)(x)
    x = _conv(widths[4], 3, "conv5", init, activation=act)(x)
    x = pool("pool5")(x)
    return _small_image_head(x, fc_units, num_classes, dropout, init, act)


def _small_two_towers(x, init, widths, conv1_stride, switches):
    """`_alexnet_small`'s conv1-pool5 as the paper's two towers (section 3.2, Figure 2), half
    the kernels each: conv1 sees the image, conv3 both towers, conv2, conv4, conv5 their own;
    LRN and pooling per tower. Returns pool5 with the towers concatenated, which fc6 reads:
    each of the paper's fc6 towers sees both, so split or not it is the same layer."""
    def towers(name, make, cross=False):
        return TwoTower(lambda i, n: make(n), cross=cross, name=name)

    def conv(k, size, cross=False, strides=1):
        return towers(f"conv{k}", lambda n: _conv(widths[k - 1] // 2, size, f"conv{k}", init, strides=strides,
                                                  layer_name=n, activation=switches.activation), cross=cross)

    def norm_pool(k, x):
        x = _lrn(x, f"lrn{k}", switches, lambda name: towers(name, lambda n: LocalResponseNorm(name=n)))
        return towers(f"pool{k}", lambda n: switches.max_pool(n, "same"))(x)

    x = norm_pool(1, conv(1, 5, strides=conv1_stride)(x))
    x = norm_pool(2, conv(2, 5)(x))
    x = conv(5, 3)(conv(4, 3)(conv(3, 3, cross=True)(x)))
    x = towers("pool5", lambda n: switches.max_pool(n, "same"))(x)
    return layers.Concatenate(name="pool5_concat")(x)


def _cifar_alexnet(x, num_classes, dropout, init, switches=PAPER):
    return _alexnet_small(x, num_classes, dropout, init, (64, 128, 192, 192, 128), (512, 256), switches=switches)


def _alexnet64(x, num_classes, dropout, init, switches=PAPER):
    return _alexnet_small(x, num_classes, dropout, init, (96, 256, 384, 384, 256), (2048, 2048),
                          conv1_stride=2, switches=switches)


def _small_image_head(x, units, num_classes, dropout, init, activation="relu"):
    """flatten -> fc6 -> dropout -> fc7 -> dropout -> fc8, the small-image networks' classifier."""
    x = layers.Flatten(name="flatten")(x)
    x = _dense(units[0], "fc6", init, activation)(x)
    x = layers.Dropout(dropout, name="drop6")(x)
    x = _dense(units[1], "fc7", init, activation)(x)
    x = layers.Dropout(dropout, name="drop7")(x)
    return _dense(num_classes, "fc8", init, activation=None)(x)


def build_model(arch: str = "alexnet2012", num_classes: int = 1000, image_size: int = 224,
                dropout: float = 0.5, init: str = "paper", fc8_std: float = 0.0,
                tower_devices: Sequence[str] | None = None, activation: str = "relu", lrn: bool = True,
                pool: Sequence[int] = (3, 2), towers: str = "one") -> keras.Model:
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
      activation, lrn, pool, towers: the design switches (`Switches`); the defaults
        are the paper's choices, and a network refuses a switch it does not have.

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
    switches = check_switches(arch, activation, lrn, pool, towers)
    inputs = keras.Input((image_size, image_size, 3), name="image")
    if arch == "alexnet2012":
        x = _alexnet2012(inputs, num_classes, dropout, init, tower_devices, switches)
    elif arch == "alexnet2014":
        x = _alexnet2014(inputs, num_classes, dropout, init, switches)
    elif arch == "alexnet64":
        x = _alexnet64(inputs, num_classes, dropout, init, switches)
    elif arch == "cifar_convnet":
        x = _cifar_convnet(inputs, num_classes, dropout, init, switches)
    else:
        x = _cifar_alexnet(inputs, num_classes, dropout, init, switches)
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
