"""FLOPs per image (alexnet/flops.py) and the bench's plain-Keras references (scripts/reference_nets.py)."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from alexnet import flops, model as M
from scripts.reference_nets import reference_model


@pytest.fixture(autouse=True)
def _float32_policy():
    M.set_precision("float32")
    yield


def test_alexnet2014_flops_match_a_hand_count():
    # 2 x output positions x kernel volume x filters, layer by layer, for the 224 px
    # single tower (conv1 11x11/4 on the 2-padded image: 55 x 55; pools 27, 13, 6).
    hand = {"conv1": 2 * 55 * 55 * 64 * 11 * 11 * 3,
            "conv2": 2 * 27 * 27 * 192 * 5 * 5 * 64,
            "conv3": 2 * 13 * 13 * 384 * 3 * 3 * 192,
            "conv4": 2 * 13 * 13 * 256 * 3 * 3 * 384,
            "conv5": 2 * 13 * 13 * 256 * 3 * 3 * 256,
            "fc6": 2 * 6 * 6 * 256 * 4096, "fc7": 2 * 4096 * 4096, "fc8": 2 * 4096 * 1000}
    model = M.build_model("alexnet2014", 1000, 224)
    assert dict(flops.layer_flops(model)) == hand
    assert flops.forward_flops(model) == sum(hand.values()) == 1_428_376_960
    # Backward: weight and input gradients, but no gradient for the image.
    assert flops.training_flops(model) == 3 * 1_428_376_960 - hand["conv1"]


def test_two_towers_count_each_tower_and_both_first_layers():
    model = M.build_model("alexnet2012", 1000, 224)
    per_layer = dict(flops.layer_flops(model))
    assert per_layer["conv1_tower0"] == per_layer["conv1_tower1"] == 2 * 55 * 55 * 48 * 11 * 11 * 3
    assert per_layer["conv2_tower0"] == 2 * 27 * 27 * 128 * 5 * 5 * 48      # its own tower's 48 maps
    assert per_layer["conv3_tower0"] == 2 * 13 * 13 * 192 * 3 * 3 * 256     # both towers' 256 maps
    conv1 = 2 * per_layer["conv1_tower0"]
    assert flops.training_flops(model) == 3 * flops.forward_flops(model) - conv1


@pytest.mark.parametrize("arch, classes, size", [("alexnet2012", 1000, 224), ("alexnet2014", 1000, 224),
                                                 ("cifar_convnet", 10, 24), ("cifar_alexnet", 10, 28),
                                                 ("alexnet64", 200, 56)])
def test_plain_keras_references_have_the_same_layers(arch, classes, size):
    project, reference = M.build_model(arch, classes, size), reference_model(arch, classes, size)
    assert reference.count_params() == project.count_params()
    assert flops.forward_flops(reference) == flops.forward_flops(project)
    assert reference.output_shape == project.output_shape


def test_grouped_convolution_and_tower_branches_give_the_same_outputs():
    """conv2 of the paper: each tower's 128 filters read only its own 48 maps."""
    model = M.build_model("alexnet2012", 10, 224)
    towers = model.get_layer("conv2")
    grouped = keras.layers.Conv2D(256, 5, padding="same", groups=2, activation="relu")
    grouped.build((None, 27, 27, 96))
    grouped.kernel.assign(np.concatenate([np.asarray(t.kernel) for t in towers.towers], axis=-1))
    grouped.bias.assign(np.concatenate([np.asarray(t.bias) for t in towers.towers]))
    x = np.random.default_rng(0).normal(size=(2, 27, 27, 96)).astype("float32")
    branches = np.concatenate([np.asarray(y) for y in towers([x[..., :48], x[..., 48:]])], axis=-1)
    np.testing.assert_allclose(np.asarray(grouped(x)), branches, rtol=1e-4, atol=1e-4)


def test_the_command_prints_its_table_without_tensorflow_start_up_lines():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user runs it
    result = subprocess.run([sys.executable, "-m", "alexnet.flops", "alexnet64"], env=env, capture_output=True,
                            text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8",
                                                  "forward", "training"]
    assert lines[-2].split()[1] == "0.582"  # GFLOP per image at 56 px, 200 classes


def test_the_plain_reference_step_trains_the_same_objective_with_weight_decay():
    # lr 0: the weights stay, so two steps' losses differ by the decay term alone.
    from scripts.reference_nets import reference_step
    from alexnet.optim import weight_decay_loss
    net = reference_model("cifar_convnet", 10, 24)
    for layer in net.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0  # else each step's cross-entropy differs by its dropout mask
    images, labels = tf.random.normal([4, 24, 24, 3]), tf.constant([0, 1, 2, 3])
    plain = float(reference_step(net, lr=0.0)(images, labels))
    decayed = float(reference_step(net, lr=0.0, weight_decay=5e-4)(images, labels))
    expected = float(weight_decay_loss(M.kernel_variables(net), 5e-4))
    assert expected > 1e-3
    assert decayed - plain == pytest.approx(expected, rel=1e-4)
