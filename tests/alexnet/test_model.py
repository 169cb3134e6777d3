"""The networks: exact sizes, the paper's LRN, separate towers, initialisation."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from alexnet import model as M
from alexnet.layers import LocalResponseNorm, _lrn_generic


@pytest.fixture(autouse=True)
def _float32_policy():
    M.set_precision("float32")
    yield
    M.set_precision("float32")


@pytest.mark.parametrize("arch, classes, size, params", [
    ("alexnet2012", 1000, 224, 60_965_224),
    ("alexnet2014", 1000, 224, 61_100_840),
    ("cifar_convnet", 10, 24, 1_068_298),
    ("cifar_alexnet", 10, 28, 2_167_434),
    ("alexnet64", 200, 56, 16_716_360),
    ("alexnet64", 200, 64, 16_716_360),
])
def test_exact_parameter_counts(arch, classes, size, params):
    m = M.build_model(arch, classes, size)
    assert m.count_params() == params
    assert m.output_shape == (None, classes)


def test_endpoint_shapes_match_the_paper():
    m = M.build_model("alexnet2012", 1000, 224)
    f = M.feature_extractor(m, ("conv1", "pool1", "conv2", "pool2", "conv5", "pool5", "fc6", "fc7", "logits"))
    out = {k: tuple(v.shape) for k, v in f(np.zeros((2, 224, 224, 3), "float32")).items()}
    assert out == {"conv1": (2, 55, 55, 96), "pool1": (2, 27, 27, 96), "conv2": (2, 27, 27, 256),
                   "pool2": (2, 13, 13, 256), "conv5": (2, 13, 13, 256), "pool5": (2, 6, 6, 256),
                   "fc6": (2, 4096), "fc7": (2, 4096), "logits": (2, 1000)}


def test_layer_names_and_unknown_endpoint():
    m = M.build_model("alexnet2014", 10, 224)
    names = {layer.name for layer in m.layers}
    assert {"conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"} <= names
    with pytest.raises(ValueError, match="has no layer 'fc9'"):
        M.feature_extractor(m, ("fc9",))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown arch 'vgg'"):
        M.build_model("vgg")
    with pytest.raises(ValueError, match="tower_devices needs the two-tower"):
        M.build_model("alexnet2014", tower_devices=("/CPU:0", "/CPU:0"))
    with pytest.raises(ValueError, match="unknown precision"):
        M.set_precision("float8")
    with pytest.raises(ValueError, match="fc8_std must be >= 0, got -0.1"):
        M.build_model("cifar_alexnet", 10, 28, fc8_std=-0.1)


def _lrn_numpy(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    """The paper's formula, written as in section 3.3 with explicit loops over i."""
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        b[..., i] = a[..., i] / (k + alpha * np.sum(a[..., lo:hi + 1] ** 2, axis=-1)) ** beta
    return b


def test_lrn_matches_the_papers_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 30, size=(2, 5, 5, 16)).astype("float32")  # large values so the sum matters
    expected = _lrn_numpy(a.astype("float64"))
    np.testing.assert_allclose(LocalResponseNorm()(a).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(_lrn_generic(a, 2, 2.0, 1e-4, 0.75)), expected, rtol=1e-5)
    assert np.abs(expected / a - 2.0 ** -0.75).max() > 0.05  # the normalisation is not negligible here


@pytest.mark.parametrize("size, k, alpha, beta", [(5, 2.0, 1e-4, 0.75), (9, 1.0, 1e-3 / 9, 0.75), (3, 1.0, 1e-3, 0.5)])
def test_lrn_gradient_matches_tensorflows_op(size, k, alpha, beta):
    # The layer's own fused gradient against autodiff through tf.nn's LRN op.
    rng = np.random.default_rng(1)
    a = tf.constant(rng.normal(0, 30, size=(2, 4, 4, 16)), tf.float32)
    g = tf.constant(rng.normal(0, 1, size=(2, 4, 4, 16)), tf.float32)  # an upstream gradient
    grads = []
    for fn in (LocalResponseNorm(size, k, alpha, beta),
               lambda x: tf.nn.local_response_normalization(x, size // 2, k, alpha, beta)):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = fn(a)
        grads.append((y.numpy(), tape.gradient(y, a, output_gradients=g).numpy()))
    (y, dx), (y_ref, dx_ref) = grads
    np.testing.assert_allclose(y, y_ref, rtol=1e-5)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-4, atol=1e-6)
    assert np.abs(dx_ref - g.numpy() * (y_ref / a.numpy())).max() > 1e-3  # the window term matters


def test_lrn_runs_under_bfloat16():
    M.set_precision("mixed_bfloat16")
    y = LocalResponseNorm()(tf.ones((1, 3, 3, 8), tf.bfloat16))
    assert y.dtype == tf.bfloat16


def _grad_norms(layer, parts):
    """|d sum(tower0 output) / d input of tower 0|, and the same w.r.t. tower 1's input."""
    parts = [tf.convert_to_tensor(p) for p in parts]
    with tf.GradientTape() as tape:
        tape.watch(parts)
        y0 = layer(parts)[0]
        loss = tf.reduce_sum(y0)
    g = tape.gradient(loss, parts)
    return [0.0 if gi is None else float(tf.reduce_sum(tf.abs(gi))) for gi in g]


def test_towers_are_separate_except_where_the_paper_crosses():
    m = M.build_model("alexnet2012", 10, 224)
    rng = np.random.default_rng(1)
    maps = {"conv2": (27, 27, 48), "conv3": (13, 13, 128), "conv4": (13, 13, 192),
            "conv5": (13, 13, 192), "fc6": (6, 6, 128), "fc7": (2048,)}
    for name, shape in maps.items():
        parts = [rng.normal(size=(1, *shape)).astype("float32") + 0.5 for _ in range(2)]
        own, other = _grad_norms(m.get_layer(name), parts)
        assert own > 0, name
        if name in ("conv3", "fc6", "fc7"):
            assert other > 0, f"{name} should see both towers"
        else:
            assert other == 0, f"{name} tower 0 must not depend on tower 1"


def test_paper_initialisation():
    m = M.build_model("alexnet2012", 1000, 224, init="paper")
    for v in m.trainable_variables:
        layer = v.path.split("/")[0]
        value = np.asarray(v)
        if v.path.endswith("kernel"):
            assert abs(value.std() - 0.01) < 0.001, v.path
            assert abs(value.mean()) < 0.001, v.path
        else:
            expected = 1.0 if layer in ("conv2", "conv4", "conv5", "fc6", "fc7") else 0.0
            assert np.all(value == expected), v.path


def test_fc8_std_replaces_only_the_classifier_init():
    keras.utils.set_random_seed(0)
    he = M.build_model("alexnet64", 200, 56, init="he")
    keras.utils.set_random_seed(0)
    small = M.build_model("alexnet64", 200, 56, init="he", fc8_std=0.01)
    fc8 = small.get_layer("fc8")
    assert abs(np.asarray(fc8.kernel).std() - 0.01) < 0.0005
    assert np.all(np.asarray(fc8.bias) == 0)
    assert np.asarray(he.get_layer("fc8").kernel).std() > 0.02       # He: sqrt(2 / 2048)
    np.testing.assert_array_equal(he.get_layer("conv3").kernel, small.get_layer("conv3").kernel)
    # Logits near zero: the loss starts at ln(200) instead of above it.
    images = np.random.default_rng(0).normal(size=(16, 56, 56, 3)).astype("float32")
    assert np.abs(np.asarray(small(images))).max() < np.abs(np.asarray(he(images))).max() / 2


def test_mixed_precision_keeps_logits_float32():
    M.set_precision("mixed_bfloat16")
    m = M.build_model("alexnet2012", 10, 224)
    assert m.get_layer("conv3").towers[0].compute_dtype == "bfloat16"
    assert m(np.zeros((1, 224, 224, 3), "float32")).dtype == tf.float32


@pytest.mark.parametrize("arch, size, lr", [("alexnet2012", 96, 0.001), ("cifar_convnet", 24, 0.003)])
def test_a_few_sgd_steps_lower_the_loss(arch, size, lr):
    """The paper's initialisation and optimiser on raw-scale pixels: the loss falls."""
    keras.utils.set_random_seed(0)
    m = M.build_model(arch, 4, size, dropout=0.0, init="paper")
    x = np.random.default_rng(0).normal(0, 50, size=(8, size, size, 3)).astype("float32")
    y = np.arange(8) % 4
    opt = keras.optimizers.SGD(lr, momentum=0.9)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    losses = []
    for _ in range(15):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, m(x, training=True))
        opt.apply_gradients(zip(tape.gradient(loss, m.trainable_variables), m.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < losses[0] - 0.05, losses
    assert np.argmin(losses) >= 10, losses


@pytest.mark.parametrize("size, widths", [(56, [28, 14, 7, 4]), (64, [32, 16, 8, 4])])
def test_alexnet64_map_sizes(size, widths):
    """conv1 at stride 2, then three 3/2 pools: the 64 px network's map widths."""
    m = M.build_model("alexnet64", 200, size)
    assert [m.get_layer(n).output.shape[1] for n in ("conv1", "conv2", "conv5", "pool5")] == widths
    assert m.get_layer("conv1").output.shape[-1] == 96 and m.get_layer("pool5").output.shape[-1] == 256
