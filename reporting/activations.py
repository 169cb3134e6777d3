"""What each layer learned: the image patches that most excite a layer's channels.

Zeiler & Fergus (2014) showed AlexNet's hierarchy by finding, for a channel of
conv1 ... conv5, the validation images that excite it most and showing the
part of each image the strongest unit sees (its receptive field). conv1's
patches are small edges and colour blobs; deeper layers' patches grow larger
and come to show textures, object parts and, by conv5, whole objects of one
class. Here: for each layer a few channels (the ones with the highest mean
activation, so none is dead), and each channel's top images by maximum
activation, cropped to the receptive field of the maximising unit.

Everything runs through the trainer's own code: the network of a run's newest
checkpoint or of a model folder (`reporting.inspection.load_model`), the colour
statistics it trained with (`inspection.colour_stats`) and the evaluation's
centre-crop preprocessing (`alexnet.inputs.eval_dataset`), so a patch is
exactly what the network saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reporting.inspection import ImageSet

LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")


@dataclass(frozen=True)
class Field:
    """A layer's receptive field in input pixels: unit (y, x) sees the square of
    side `size` centred on `start + jump * (y, x)` (continuous coordinates: pixel
    i spans [i, i + 1))."""

    size: int
    jump: int
    start: float

    def window(self, y: int, x: int, image_size: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of unit (y, x)'s field, clipped to the image."""
        cy, cx = self.start + self.jump * y, self.start + self.jump * x
        half = self.size / 2.0
        return (max(0, int(round(cy - half))), max(0, int(round(cx - half))),
                min(image_size, int(round(cy + half))), min(image_size, int(round(cx + half))))


def _spatial(layer):
    """(kernel, stride, padding mode or explicit top pad) of a layer, or None if it keeps positions."""
    from keras import layers

    from alexnet.layers import TwoTower
    if isinstance(layer, TwoTower):
        layer = layer.towers[0]
    if isinstance(layer, layers.ZeroPadding2D):
        return 1, 1, int(layer.padding[0][0])
    if isinstance(layer, layers.Conv2D):
        return layer.kernel_size[0], layer.strides[0], layer.padding
    if isinstance(layer, layers.MaxPooling2D):
        return layer.pool_size[0], layer.strides[0], layer.padding
    return None


def receptive_field(net, name: str, image_size: int) -> Field:
    """The receptive field of layer `name`'s units, walking the network's layers in order."""
    size, jump, start, n = 1, 1, 0.5, image_size
    for layer in net.layers:
        spec = _spatial(layer)
        if spec is not None:
            k, s, padding = spec
            if isinstance(padding, int):
                pad, out = padding, n + 2 * padding
            elif padding == "same":
                out = math.ceil(n / s)
                pad = max((out - 1) * s + k - n, 0) // 2
            else:
                pad, out = 0, (n - k) // s + 1
            size += (k - 1) * jump
            start += ((k - 1) / 2.0 - pad) * jump
            jump *= s
            n = out
        if layer.name == name:
            return Field(int(size), int(jump), float(start))
    raise ValueError(f"{net.name} has no layer {name!r}")


def fields(net, image_size: int) -> dict[str, int]:
    """{conv layer: receptive field side in pixels} for each of conv1 ... conv5 the network has."""
    return {name: receptive_field(net, name, image_size).size for name in conv_layers(net)}


def top_units(net, images: ImageSet, stats, layers=LAYERS, channels: int = 6, k: int = 4,
              batch_size: int = 64) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Per layer: [(channel, [[image index, y, x], ...] best first)] for `channels` channels.

    Channels are those with the highest mean activation over the images, so
    every one shown responds to something; within a channel, each image counts
    once, at its strongest unit.
    """
    from alexnet import inputs
    from alexnet import model as model_lib

    extractor = model_lib.feature_extractor(net, layers)
    maxima = {name: [] for name in layers}  # [B, C] per batch
    where = {name: [] for name in layers}   # [B, C] flat argmax per batch
    width = {}
    for x, _ in inputs.eval_dataset(images.config, images.source, batch_size, stats):
        out = extractor(x, training=False)
        for name in layers:
            a = np.asarray(out[name], np.float32)
            b, h, w, c = a.shape
            flat = a.reshape(b, h * w, c)
            maxima[name].append(flat.max(axis=1))
            where[name].append(flat.argmax(axis=1))
            width[name] = w
    result = {}
    for name in layers:
        m, arg = np.concatenate(maxima[name]), np.concatenate(where[name])
        chosen = np.argsort(-m.mean(axis=0), kind="stable")[:channels]
        rows = []
        for c in chosen:
            best = np.argsort(-m[:, c], kind="stable")[:k]
            ys, xs = np.divmod(arg[best, c], width[name])
            rows.append((int(c), np.stack([best, ys, xs], axis=1)))
        result[name] = rows
    return result


def crops(images: ImageSet, stats, indices) -> dict[int, np.ndarray]:
    """{image index: uint8 [S, S, 3]}: the evaluation's centre crop, back on the 0..255 scale."""
    from alexnet import inputs
    from alexnet.defaults import option

    wanted = set(int(i) for i in indices)
    std = np.asarray(stats.std if option(images.config, "input_norm") == "standardise" else np.ones(3))
    out, seen = {}, 0
    for x, _ in inputs.eval_dataset(images.config, images.source, 64, stats):
        x = np.asarray(x)
        for j in range(len(x)):
            if seen + j in wanted:
                out[seen + j] = np.clip(x[j] * std + np.asarray(stats.mean), 0, 255).astype(np.uint8)
        seen += len(x)
    return out


def conv_layers(net) -> list[str]:
    """Which of conv1 ... conv5 the network has (the small CIFAR nets have fewer)."""
    names = {layer.name for layer in net.layers}
    return [name for name in LAYERS if name in names]


def patch_mosaics(net, images: ImageSet, stats, layers=None, channels: int = 6, k: int = 4,
                  size: int = 48) -> list[tuple[str, Field, list[np.ndarray]]]:
    """Per layer (default: every conv layer of `net`): (name, receptive field, one
    k-patch strip [size, k*size, 3] per channel)."""
    from PIL import Image

    layers = layers or conv_layers(net)

    image_size = int(images.config["image_size"])
    units = top_units(net, images, stats, layers, channels, k)
    needed = {int(i) for rows in units.values() for _, best in rows for i in best[:, 0]}
    pictures = crops(images, stats, needed)
    result = []
    for name in layers:
        field = receptive_field(net, name, image_size)
        strips = []
        for _, best in units[name]:
            tiles = []
            for i, y, x in best:
                top, left, bottom, right = field.window(int(y), int(x), image_size)
                patch = pictures[int(i)][top:bottom, left:right]
                tiles.append(np.asarray(Image.fromarray(patch).resize((size, size), Image.BILINEAR)))
            strips.append(np.concatenate(tiles, axis=1))
        result.append((name, field, strips))
    return result
