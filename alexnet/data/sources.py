"""One entry point to every dataset: `get_source(name, split)` returns a `Source`.

Names:
  'imagenette', 'cifar10'  the class-folder copy under DATA_DIR (imagenette2-224/,
                           cifar10/ ...); without one, one line within seconds
                           saying where it looked and what to do.
  'tfds:imagenette', 'tfds:cifar10'
                           TensorFlow Datasets' copy, downloaded on first use
                           (see tfds_source): only when asked for, because
                           offline a download fails after minutes of retries.
  'tiny_imagenet'          Tiny ImageNet-200 in its official layout under
                           DATA_DIR/tiny-imagenet-200 (see tiny_imagenet);
  'tiny_imagenet:N'        its nested subset of N classes (all their images).
  'imagenet2012'           ILSVRC-2012 prepared from the original archives
                           (see imagenet).
  'folder:/abs/path'       any class-folder tree `<path>/<split>/<class>/*.jpg`.

A Source is a fixed, ordered list of images with labels and a fingerprint for
provenance; files that cannot be decoded are left out when it is made (and
named in a warning), so `n_images`, `labels` and the decoded stream agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from alexnet.data import folders, tfds_source
from alexnet.data.common import MAX_NAMES_SHOWN, DataError, default_data_dir, log
from alexnet.data.tfrecord import RecordBackend

# Local folder names tried for each downloadable dataset, in order.
LOCAL_FOLDERS = {
    "imagenette": ("imagenette2-224", "imagenette2-320", "imagenette2", "imagenette"),
    "cifar10": ("cifar10", "cifar-10"),
}
# Encoded bytes up to this size are cached in memory by `cache=True`
# (Imagenette ~0.2 GB, CIFAR-10 ~0.1 GB; ImageNet's ~140 GB is read from disk).
CACHE_LIMIT_BYTES = 4 << 30
# Decoded uint8 squares up to this size are kept in memory by `cache=True`
# (Imagenette's 8,522 training images at 256 x 256: 1.7 GB; CIFAR-10: 0.15 GB).
DECODED_CACHE_LIMIT_BYTES = 4 << 30


@dataclass(eq=False)
class Source:
    """An ordered list of labelled images of one split, and how to read them.

    Attributes:
      name, split: as given to `get_source` ('val' of cifar10 is its test split).
      root: the dataset folder (class folders, prepared shards or TFDS data).
      class_names: class index -> name (wnids for ImageNet and Imagenette).
      n_images: images in this source (after `indices` and `shard`).
      labels: int64 class index per image, in order.
      fingerprint: {'n_files', 'sha256'} of the file names and sizes.
      files: each image's name relative to `root`, in order.
      positions: each image's index in the full split (stable image identity;
        seeds the random augmentation, so a subset sees the same crops).
      skipped: (file, reason) of files left out because they cannot be decoded.
      selection: how this source was cut from the full split.
    """

    name: str
    split: str
    root: str
    class_names: list[str]
    n_images: int
    labels: np.ndarray
    fingerprint: dict
    files: list[str] = field(default_factory=list, repr=False)
    positions: np.ndarray | None = field(default=None, repr=False)
    skipped: list[tuple[str, str]] = field(default_factory=list, repr=False)
    selection: dict = field(default_factory=dict)
    backend: Any = field(default=None, repr=False)
    _cached: Any = field(default=None, repr=False)
    _decoded: dict = field(default_factory=dict, repr=False)

    def info(self) -> dict:
        """JSON-able description for provenance records."""
        return {"name": self.name, "split": self.split, "root": self.root, "n_images": self.n_images,
                "n_classes": len(self.class_names), "fingerprint": self.fingerprint,
                "selection": self.selection, "n_skipped": len(self.skipped),
                "skipped": [f"{f} ({why})" for f, why in self.skipped[:MAX_NAMES_SHOWN]]}

    def stream(self, shuffle_seed: int | None = None):
        """tf.data of (encoded bytes, int32 label, int64 position).

        Args:
          shuffle_seed: None for the source's order; else the backend's own
            shuffle: an exact permutation for folders (`backend.exact_shuffle`),
            a permuted shard order for TFRecord shards.
        """
        return self.backend.stream(self.positions, shuffle_seed)

    def cached_stream(self):
        """`stream()` with the encoded bytes kept in memory, or None when too big.

        The cache fills during the first full pass and is shared by every
        dataset built from this Source, so later epochs and evaluation read no
        files. Sources over CACHE_LIMIT_BYTES (ImageNet) return None.
        """
        nbytes = self.backend.nbytes(self.positions)
        if nbytes > CACHE_LIMIT_BYTES:
            log.info("%s/%s: %.1f GB of images, over the in-memory cache limit; reading from disk",
                     self.name, self.split, nbytes / 1e9)
            return None
        if self._cached is None:
            self._cached = self.stream().cache()
        return self._cached

    def decoded_stream(self, size: int):
        """tf.data of (uint8 [size, size, 3], int32 label, int64 position), decoded once
        and kept in memory, or None when that would exceed DECODED_CACHE_LIMIT_BYTES.

        Each image is its central square resized to `size` x `size` (the
        paper's 256 x 256) and rounded to uint8, so training only crops and
        flips, and batches of fixed shape can be augmented together (see
        `pipeline.train_dataset`). Like `cached_stream`, the cache fills
        during the first full pass and every dataset built from this Source
        shares it.
        """
        import tensorflow as tf

        from alexnet.data.transforms import square_image

        if self.n_images * size * size * 3 > DECODED_CACHE_LIMIT_BYTES:
            return None
        if size not in self._decoded:
            ds = self.stream().map(lambda data, label, pos: (square_image(data, size), label, pos),
                                   num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            self._decoded[size] = ds.ignore_errors(log_warning=True).cache()
        return self._decoded[size]

    def ordered_stream(self, cache: bool = False):
        """`stream()` in order, through the in-memory cache when `cache` and it fits."""
        ds = self.cached_stream() if cache else None
        return self.stream() if ds is None else ds

    def encoded(self):
        """tf.data of (encoded bytes tf.string, int32 label), in order, unshuffled."""
        return self.stream().map(lambda data, label, pos: (data, label))

    def images(self, cache: bool = False):
        """tf.data of (uint8 [H, W, 3], int32 label), decoded, in order.

        Undecodable files were left out when the source was made (see
        `skipped`); grey and CMYK images come out as RGB.

        Args:
          cache: read the encoded bytes through `cached_stream` when they fit.
        """
        import tensorflow as tf

        from alexnet.data.transforms import decode_full

        ds = self.ordered_stream(cache).map(lambda data, label, pos: (decode_full(data), label),
                                            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds.ignore_errors(log_warning=True)  # last resort: a file corrupt mid-stream

    def select(self, indices: Sequence[int] | None = None, shard: tuple[int, int] | None = None) -> "Source":
        """A sub-source: the images at `indices` (sorted, repeats dropped), then every
        n-th from the i-th for `shard=(i, n)` (so each shard keeps all classes)."""
        pos = self.positions
        selection = dict(self.selection)
        if indices is not None:
            idx = np.unique(np.asarray(indices, np.int64))
            if idx.size and (idx[0] < 0 or idx[-1] >= self.n_images):
                raise DataError(f"{self.name}/{self.split}: indices must lie in [0, {self.n_images}), "
                                f"got {idx[0]}..{idx[-1]}")
            pos = pos[idx]
            selection["indices"] = int(len(idx))
        if shard is not None:
            i, n = (int(v) for v in shard)
            if not 0 <= i < n:
                raise DataError(f"shard must be (i, n) with 0 <= i < n, got {tuple(shard)}")
            pos = pos[i::n]
            selection["shard"] = [i, n]
        if len(pos) == 0:
            raise DataError(f"{self.name}/{self.split}: the selection {selection} holds no images")
        return replace(self, n_images=len(pos), labels=self.backend.labels[pos],
                       fingerprint=self.backend.fingerprint(pos), files=self.backend.names(pos),
                       positions=pos, selection=selection, _cached=None, _decoded={})


def _make(name: str, split: str, root: Path, class_names: list[str], backend,
          skipped: list[tuple[str, str]]) -> Source:
    positions = np.arange(len(backend.labels), dtype=np.int64)
    return Source(name=name, split=split, root=str(root), class_names=list(class_names),
                  n_images=len(positions), labels=backend.labels, fingerprint=backend.fingerprint(positions),
                  files=backend.names(positions), positions=positions, skipped=skipped, backend=backend)


def folder_source(name: str, root: str | Path, split: str) -> Source:
    """A class-folder tree's split, with undecodable files left out and logged."""
    root = Path(root)
    split_dir = folders.resolve_split(root, split)
    paths, labels, classes = folders.list_files(root, split_dir, folders.dataset_classes(root))
    backend, skipped = folders.checked_backend(root, paths, labels, f"{name}/{split}")
    return _make(name, split, root, classes, backend, skipped)


def get_source(name: str, split: str, data_dir: str | Path | None = None,
               indices: Sequence[int] | None = None, shard: tuple[int, int] | None = None) -> Source:
    """The images of one split of a dataset, in a fixed order.

    Args:
      name: 'imagenette', 'cifar10', 'tfds:imagenette', 'tfds:cifar10',
        'tiny_imagenet', 'tiny_imagenet:N' (N of its classes), 'imagenet2012'
        or 'folder:/abs/path'.
      split: 'train', 'val' or 'test'. CIFAR-10 has no validation split: its
        'val' is the 10,000-image test split. A folder tree without a 'val'
        folder uses 'validation' or else 'test' likewise.
      data_dir: the folder holding the datasets; default `default_data_dir()`.
      indices: optional subset of the split (positions in the full split's
        order, e.g. from `balanced_subset`); kept in the split's order.
      shard: optional (i, n): this process's share, every n-th image from i.

    Raises:
      DataError: unknown name, missing or malformed data (one line).
    """
    data_dir = Path(data_dir or default_data_dir())
    if name.startswith("folder:"):
        source = folder_source(name, Path(name.removeprefix("folder:")).expanduser().resolve(), split)
    elif name in LOCAL_FOLDERS:
        source = _local(name, split, data_dir)
    elif name.startswith("tfds:") and name.removeprefix("tfds:") in tfds_source.TFDS_NAMES:
        source = _tfds(name.removeprefix("tfds:"), split)
    elif name == "tiny_imagenet" or name.startswith("tiny_imagenet:"):
        from alexnet.data import tiny_imagenet

        wnids = tiny_imagenet.parse_name(name)
        root = tiny_imagenet.find_root(data_dir)
        paths, labels = tiny_imagenet.list_split(root, split, wnids)
        backend, skipped = folders.checked_backend(root, paths, labels, f"{name}/{split}")
        source = _make(name, split, root, tiny_imagenet.class_names(root, wnids), backend, skipped)
    elif name == "imagenet2012":
        # Imported here so that `python -m alexnet.data.imagenet` runs a fresh module.
        from alexnet.data import imagenet

        folder, index = imagenet.ensure_prepared(split, data_dir)
        skipped = [tuple(s) for s in index["skipped"]]
        source = _make(name, split, folder, index["class_names"], RecordBackend(folder, index), skipped)
    else:
        raise DataError(f"unknown dataset {name!r}; known: imagenette, cifar10, tfds:imagenette, tfds:cifar10, "
                        f"tiny_imagenet, tiny_imagenet:N, imagenet2012, folder:/abs/path")
    if indices is None and shard is None:
        return source
    return source.select(indices, shard)


def _local(name: str, split: str, data_dir: Path) -> Source:
    for folder in LOCAL_FOLDERS[name]:
        if (data_dir / folder).is_dir():
            return folder_source(name, data_dir / folder, split)
    looked = ", ".join(f + "/" for f in LOCAL_FOLDERS[name])
    missing = (f"dataset {name!r}: no local copy in {data_dir} (looked for {looked}; layout "
               f"<folder>/<split>/<class>/*.jpg)")
    if name not in tfds_source.TFDS_NAMES:
        raise DataError(f"{missing}; set DATA_DIR to the folder holding one")
    blocked = tfds_source.auto_download_blocked(name)
    if blocked is None:
        auto = tfds_source.AUTO_NAMES[name]
        log.warning("%s; using TensorFlow Datasets' %s instead (downloaded on first use into "
                    "$TFDS_DATA_DIR)", missing, auto)
        return _tfds(name, split, auto)
    raise DataError(f"{missing} and {blocked}; set DATA_DIR to the folder holding one, or use "
                    f"dataset='tfds:{name}' on a machine with internet")


def _tfds(name: str, split: str, tfds_name: str | None = None) -> Source:
    _, splits = tfds_source.TFDS_NAMES[name]
    if split not in splits:
        raise DataError(f"{name} has splits {', '.join(splits)}, not {split!r}")
    builder = tfds_source.load_builder(name, tfds_name)
    backend = tfds_source.TfdsBackend(builder, splits[split])
    return _make(name, split, builder.data_dir, backend.class_names, backend, [])


def balanced_subset(labels: Sequence[int], fraction: float, seed: int) -> np.ndarray:
    """A class-balanced, deterministic, nested subset of image indices.

    Each class keeps round(fraction * its size) images (at least one), the
    first ones of a permutation that depends only on (seed, class). Hence the
    subset for a smaller fraction is contained in that for a larger one with
    the same seed, and each class's choice ignores the other classes.

    Returns:
      Sorted int64 indices into `labels`.
    """
    if not 0.0 < fraction <= 1.0:
        raise DataError(f"fraction must be in (0, 1], got {fraction}")
    labels = np.asarray(labels)
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        order = np.random.default_rng([int(seed), int(c)]).permutation(members)
        chosen.append(order[:max(1, int(np.floor(fraction * len(members) + 0.5)))])
    return np.sort(np.concatenate(chosen)).astype(np.int64) if chosen else np.zeros(0, np.int64)


def training_split(labels: Sequence[int], train_fraction: float, subset_seed: int, holdout_fraction: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training images a run uses, and how they divide into fit and held-out parts.

    The one place the CNN trainer, the Fisher-vector baseline and the probe
    choose their images, so that with the same config values they learn from
    the same images and hold out the same ones.

    Returns:
      (indices, fit, heldout): the `balanced_subset` at `train_fraction` (every
      image at 1.0), then `holdout_split` of it; sorted int64 indices into `labels`.
    """
    labels = np.asarray(labels)
    indices = (np.arange(len(labels), dtype=np.int64) if train_fraction == 1.0
               else balanced_subset(labels, train_fraction, subset_seed))
    fit, held = holdout_split(labels, indices, holdout_fraction, seed)
    return indices, fit, held


def holdout_split(labels: Sequence[int], indices: Sequence[int] | None, fraction: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Splits training images into the part trained on and a class-balanced held-out part.

    The held-out part is `balanced_subset(labels[indices], fraction, seed)` of
    `indices` (all images when None): round(fraction * n_c) images of each class
    c, at least one. The CNN trainer and the Fisher-vector baseline both carve
    their held-out images this way, so with the same seed they hold out the
    same images.

    Returns:
      (fit, heldout): disjoint sorted int64 indices whose union is `indices`.
    """
    labels = np.asarray(labels)
    idx = np.arange(len(labels), dtype=np.int64) if indices is None else np.asarray(indices, np.int64)
    if fraction <= 0.0:
        return idx, idx[:0]
    if not fraction < 1.0:
        raise DataError(f"holdout fraction must be in [0, 1), got {fraction}")
    held = idx[balanced_subset(labels[idx], fraction, seed)]
    return np.setdiff1d(idx, held), held
