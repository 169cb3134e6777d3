"""What the trainer reads: sources and tf.data pipelines, chosen by the config.

`dataset` names an `alexnet.data` source ('imagenette', 'cifar10',
'imagenet2012', 'folder:/path') or synthetic images, 'synthetic' or
'synthetic:<n_train>:<n_val>': class-coloured noise, generated on the fly, for
tests and for benchmarking the training step without any input cost. A
synthetic source offers the small part of the `alexnet.data.Source` interface
the trainer uses, so the trainer never asks which kind it has.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from alexnet.config import ConfigError
from alexnet.defaults import option

# Config key input_norm: 'mean' subtracts the training mean (the paper);
# 'standardise' also divides by the per-channel std (see alexnet.data.pipeline).
INPUT_NORMS = ("mean", "standardise")


class SyntheticSource:
    """Noise around a fixed random image per class: learnable, and free to produce.

    `split` 'train' and 'val' have different images; labels cycle through the classes;
    `indices` selects a subset, and `shard` (index, count) every count-th image from index.
    """

    def __init__(self, split: str, n_images: int, num_classes: int, indices=None, shard=None):
        self.name, self.split, self.root = "synthetic", split, None
        self.num_classes = num_classes
        self.class_names = [f"class{i}" for i in range(num_classes)]
        ids = np.arange(n_images) if indices is None else np.asarray(indices)
        if shard is not None:
            ids = ids[shard[0]::shard[1]]
        self.ids = ids.astype(np.int64)
        self._offset = 0 if split == "train" else 1_000_000
        self.labels = (self.ids % num_classes).astype(np.int32)
        self.n_images = len(self.ids)
        self.fingerprint = {"n_files": self.n_images,
                            "sha256": hashlib.sha256(self.ids.tobytes()).hexdigest()[:16]}

    def info(self) -> dict:
        return {"name": self.name, "split": self.split, "root": None, "n_images": self.n_images,
                "fingerprint": self.fingerprint}

    def _image(self, image_size: int):
        def make(idx, label):
            # A fixed pattern per class plus per-image noise; both stateless, so
            # any order and any shard see the same image for the same index.
            pattern = tf.random.stateless_normal([image_size, image_size, 3], seed=[label, 12345])
            noise = tf.random.stateless_normal([image_size, image_size, 3], seed=[idx + self._offset, 1])
            return 0.5 * pattern + 0.5 * noise, tf.cast(label, tf.int32)
        return make

    def dataset(self, batch_size: int, image_size: int, seed: int, epoch: int | None,
                drop_remainder: bool, ten_crop: bool = False) -> tf.data.Dataset:
        order = np.arange(self.n_images)
        if epoch is not None:
            order = np.random.default_rng([seed, epoch]).permutation(self.n_images)
        ds = tf.data.Dataset.from_tensor_slices((self.ids[order], self.labels[order]))
        ds = ds.map(self._image(image_size), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if ten_crop:
            ds = ds.map(lambda x, y: (tf.stack([x, tf.reverse(x, [1])] * 5), y))
        return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def _data():
    try:
        from alexnet import data
    except ImportError as err:
        raise ConfigError(f"the data pipeline (alexnet.data) cannot be imported: {err}") from None
    return data


def _synthetic_sizes(name: str) -> tuple[int, int]:
    parts = name.split(":")
    try:
        return (int(parts[1]), int(parts[2])) if len(parts) == 3 else (2048, 512)
    except ValueError:
        raise ConfigError(f"dataset {name!r}: expected 'synthetic' or "
                          "'synthetic:<n_train>:<n_val>'") from None


def is_synthetic(config: dict) -> bool:
    return config["dataset"].split(":")[0] == "synthetic"


def train_subset(config: dict, labels) -> np.ndarray | None:
    """The training indices for `train_fraction` < 1 (class-balanced), else None."""
    fraction = config["train_fraction"]  # checked by train.validate; balanced_subset checks again
    if fraction == 1.0:
        return None
    if is_synthetic(config):
        rng = np.random.default_rng(config["subset_seed"])
        return np.sort(rng.permutation(len(labels))[:max(1, int(round(fraction * len(labels))))])
    return np.asarray(_data().balanced_subset(labels, fraction, config["subset_seed"]))


def eval_part(config: dict, val):
    """The reported split, or its `eval_images` class-balanced part for a quick look:
    the same share of every class (at least one image each, so about n images), in
    a fixed order. Synthetic data ignore the key (their size is in their name)."""
    n = option(config, "eval_images")
    if not n:
        return val
    if n >= val.n_images:
        raise ConfigError(f"eval_images={n} is not below the {val.n_images} images of {config['dataset']}'s "
                          "reported split; use 0 to evaluate all of them")
    part = _data().balanced_subset(val.labels, n / val.n_images, seed=0)
    return val.select(part)


def subset_record(indices) -> dict:
    """What provenance records about a training subset: its size and a hash."""
    if indices is None:
        return {"train_fraction": 1.0}
    ids = np.sort(np.asarray(indices, np.int64))
    return {"n_indices": int(len(ids)), "indices_sha256": hashlib.sha256(ids.tobytes()).hexdigest()[:16]}


@dataclass
class Sources:
    """The images of one run.

    Attributes:
      train: what the network is trained on (the subset minus the held-out part).
      heldout: a class-balanced part of the training split that every decision
        during training reads (plateau drops, model choice); None without one.
      val: the reported split (Imagenette val, CIFAR-10 test, ILSVRC val),
        evaluated once, at the end.
      subset: indices of `train_fraction` < 1 into the training split, or None.
      heldout_indices: indices of `heldout` into the training split.
      labelled: the training images in use, `train` and `heldout` together (the
        `train_fraction` subset, else the whole split): what the colour
        statistics are computed from and provenance records as "train".
    """

    train: Any
    heldout: Any
    val: Any
    subset: np.ndarray | None
    heldout_indices: np.ndarray
    labelled: Any


def make_sources(config: dict, shard=None) -> Sources:
    """The run's sources: training subset, held-out part of it, and the reported split; with
    `shard` (index, count), this worker's part of each. ConfigError (one line): unknown
    dataset or missing data."""
    name, classes, data = config["dataset"], config["num_classes"], _data()
    fraction = option(config, "holdout_fraction")
    if is_synthetic(config):
        n_train, n_val = _synthetic_sizes(name)
        full = SyntheticSource("train", n_train, classes)
        subset = train_subset(config, full.labels)
        fit, held = data.holdout_split(full.labels, subset, fraction, config["seed"])

        def part(indices, shard=shard):
            return SyntheticSource("train", n_train, classes, indices, shard)
        return Sources(part(fit), part(held) if len(held) else None,
                       SyntheticSource("val", n_val, classes, None, shard), subset, held, part(subset, None))
    try:
        full = data.get_source(name, "train", data_dir=config["data_dir"])
        subset = train_subset(config, full.labels)
        fit, held = data.holdout_split(full.labels, subset, fraction, config["seed"])
        whole = subset is None and not len(held) and shard is None
        train = full if whole else full.select(fit, shard)
        heldout = full.select(held, shard) if len(held) else None
        labelled = full if subset is None else full.select(subset)
        val = data.get_source(name, "val", data_dir=config["data_dir"], shard=shard)
    except data.DataError as err:
        raise ConfigError(str(err)) from None
    if shard is None:  # a worker's shard of val is never evaluated: the chief evaluates the whole
        val = eval_part(config, val)
    if len(full.class_names) != classes:
        raise ConfigError(f"dataset {name!r} has {len(full.class_names)} classes but num_classes is "
                          f"{classes}")
    return Sources(train, heldout, val, subset, held, labelled)


def colour_stats(config: dict, source):
    """The training set's RGB statistics for normalisation and PCA colour noise."""
    return None if is_synthetic(config) else _data().colour_stats(source)


def train_dataset(config: dict, source, batch_size: int, epoch: int, stats) -> tf.data.Dataset:
    """One epoch of augmented training batches, in the order fixed by (seed, epoch)."""
    if isinstance(source, SyntheticSource):
        return source.dataset(batch_size, config["image_size"], config["seed"], epoch, drop_remainder=True)
    return _data().train_dataset(
        source, batch_size, image_size=config["image_size"], resize=config["resize"],
        colour_stats=stats, pca_std=config["pca_std"], seed=config["seed"], cache=config["cache"],
        drop_remainder=True, epoch=epoch, pad=config["pad"],
        standardise=option(config, "input_norm") == "standardise",
        resize_range=option(config, "resize_range"))


def eval_dataset(config: dict, source, batch_size: int, stats, ten_crop: bool = False) -> tf.data.Dataset:
    """Validation batches (centre crop, or [B, 10, S, S, 3] ten crops); remainder kept."""
    if isinstance(source, SyntheticSource):
        return source.dataset(batch_size, config["image_size"], 0, None, drop_remainder=False,
                              ten_crop=ten_crop)
    return _data().eval_dataset(source, batch_size, image_size=config["image_size"],
                                resize=config["resize"], colour_stats=stats, ten_crop=ten_crop,
                                cache=config["cache"],
                                standardise=option(config, "input_norm") == "standardise")
