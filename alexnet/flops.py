"""Floating-point operations per image, counted from a network's layers.

The convention of the paper's era (and of torchvision's tables, there in
multiply-adds): only the layers with weights count, a multiply-add is two
FLOPs, so a convolution costs 2·H_out·W_out·k_h·k_w·C_in·C_out and a dense
layer 2·n_in·n_out. ReLU, pooling, LRN and dropout add under 1% for every
network here and are left out. A training step costs the forward pass, the
weight gradients (the same again) and the input gradients (the same again,
except for the first layer, whose input is the image):
train = 3·forward − forward(first layer).

    .venv/bin/python -m alexnet.flops alexnet2014     # per-layer table
"""

from __future__ import annotations

import argparse
import sys

from alexnet import cli

cli.import_tensorflow()  # quietly: keras brings TensorFlow in right below

import keras  # noqa: E402

from alexnet.layers import TwoTower  # noqa: E402


def _weighted(layer, output_shape) -> list[tuple[str, int]]:
    """(name, forward FLOPs per image) for a Conv2D or Dense layer with this output shape."""
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, cin, cout = layer.kernel.shape
        _, h, w, _ = output_shape
        return [(layer.name, 2 * h * w * kh * kw * cin * cout)]
    if isinstance(layer, keras.layers.Dense):
        n_in, n_out = layer.kernel.shape
        return [(layer.name, 2 * n_in * n_out)]
    return []


def _by_layer(model: keras.Model) -> list[list[tuple[str, int]]]:
    """For each of the model's layers with weights: its (name, FLOPs) entries, one per tower."""
    out = []
    for layer in model.layers:
        if isinstance(layer, TwoTower):
            entries = [e for tower, t in zip(layer.towers, layer.output) for e in _weighted(tower, t.shape)]
        else:
            entries = _weighted(layer, layer.output.shape)
        if entries:
            out.append(entries)
    return out


def layer_flops(model: keras.Model) -> list[tuple[str, int]]:
    """Forward FLOPs per image of each layer with weights, in the order they run
    (a two-tower layer: one entry per tower)."""
    return [entry for entries in _by_layer(model) for entry in entries]


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one image's forward pass (inference)."""
    return sum(f for _, f in layer_flops(model))


def training_flops(model: keras.Model) -> int:
    """FLOPs of one image's forward and backward pass (see the module docstring)."""
    layers = _by_layer(model)
    first = sum(f for _, f in layers[0]) if layers else 0   # both towers of conv1 read the image
    return 3 * forward_flops(model) - first


def main(argv=None) -> int:
    from alexnet import model as model_lib
    parser = argparse.ArgumentParser(prog="python -m alexnet.flops", description=__doc__.split("\n")[0])
    parser.add_argument("arch", choices=model_lib.ARCHS)
    parser.add_argument("--classes", type=int, default=None, help="default: the arch's usual number")
    parser.add_argument("--size", type=int, default=None, help="input side in pixels")
    args = parser.parse_args(argv)
    usual = {"alexnet2012": (1000, 224), "alexnet2014": (1000, 224), "cifar_convnet": (10, 24),
             "cifar_alexnet": (10, 28), "alexnet64": (200, 56)}[args.arch]
    model = model_lib.build_model(args.arch, args.classes or usual[0], args.size or usual[1])
    for name, flops in layer_flops(model):
        print(f"{name:16s} {flops / 1e6:10.1f} MFLOP")
    print(f"{'forward':16s} {forward_flops(model) / 1e9:10.3f} GFLOP per image")
    print(f"{'training step':16s} {training_flops(model) / 1e9:10.3f} GFLOP per image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
