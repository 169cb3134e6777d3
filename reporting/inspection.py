"""Looking inside a trained CNN: conv1 filters, fc7 nearest neighbours, images.

These need the run folder itself (its checkpoint) and the images, so they work
on runs under $RUNS_DIR, not on the committed copies in results/. Everything
goes through the trainer's own code: the model is restored by
`alexnet.evaluate.load_model`, images are preprocessed by
`alexnet.inputs.eval_dataset` (the evaluation's centre crop and colour
normalisation), so the features are exactly those the evaluation saw.

fc7 features are cached under `<run>/cache/fc7-<split>-<hash>.npz`, keyed by
the image positions, so re-drawing a figure or re-running a notebook costs no
forward passes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reporting.runs import Record, RecordError

THUMB = 96  # pixels per side of an image in a figure


def load_model(record: Record):
    """The run's trained network (newest checkpoint).

    Raises:
      RecordError: a committed copy or a run without checkpoints.
    """
    if record.committed or record.file("checkpoints") is None:
        raise RecordError(f"run {record.run_id} has no checkpoints here ({record.path}); "
                          "filters and features need the run folder under $RUNS_DIR")
    from alexnet import evaluate
    return evaluate.load_model(record.path)


def conv1(net) -> tuple[np.ndarray, int]:
    """conv1's filters [k, k, 3, F] and the number of towers (2 for alexnet2012)."""
    from alexnet import model as model_lib
    from alexnet.layers import TwoTower
    towers = 2 if isinstance(net.get_layer("conv1"), TwoTower) else 1
    return np.asarray(model_lib.conv1_filters(net), np.float32), towers


def filter_mosaic(filters: np.ndarray, columns: int = 16, pad: int = 1) -> np.ndarray:
    """Filters [k, k, 3, F] as one RGB image, each filter scaled to [0, 1] on its own.

    Per-filter scaling, as in the paper's Figure 3, shows each filter's pattern
    whatever its norm. Padding pixels are white.
    """
    k, _, _, n = filters.shape
    rows = -(-n // columns)
    tiles = np.moveaxis(filters, -1, 0)
    lo = tiles.min(axis=(1, 2, 3), keepdims=True)
    hi = tiles.max(axis=(1, 2, 3), keepdims=True)
    tiles = (tiles - lo) / np.maximum(hi - lo, 1e-12)
    step = k + pad
    mosaic = np.ones((rows * step + pad, columns * step + pad, 3), np.float32)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        mosaic[pad + r * step: pad + r * step + k, pad + c * step: pad + c * step + k] = tile
    return mosaic


@dataclass
class ImageSet:
    """Images of one split chosen by position, for features and display.

    Attributes:
      source: the `alexnet.data.Source` holding just these images.
      config: the run's config, its data_dir pointed at this machine's datasets.
      positions: indices into the full split, sorted.
      labels: their class indices.
      class_names: the dataset's class names.
    """

    source: object
    config: dict
    positions: np.ndarray
    labels: np.ndarray
    class_names: list[str]


def _config_for(record: Record, data_dir: str | Path | None) -> dict:
    config = dict(record.config)
    if data_dir is not None:
        config["data_dir"] = str(data_dir)
    elif config.get("data_dir") and not Path(config["data_dir"]).is_dir() and os.environ.get("DATA_DIR"):
        config["data_dir"] = os.environ["DATA_DIR"]  # trained elsewhere: use this machine's copy
    return config


def image_set(record: Record, split: str, positions=None, max_images: int | None = None,
              data_dir: str | Path | None = None, seed: int = 0) -> ImageSet:
    """A split's images at `positions`, or a class-balanced sample of at most `max_images`."""
    from alexnet import data
    from alexnet.config import ConfigError
    config = _config_for(record, data_dir)
    try:
        full = data.get_source(config["dataset"], split, data_dir=config.get("data_dir"))
    except (data.DataError, ConfigError) as err:
        raise RecordError(f"run {record.run_id}: cannot read its {split} images: {err}") from None
    if positions is None:
        n = full.n_images if max_images is None else min(max_images, full.n_images)
        positions = data.balanced_subset(full.labels, n / full.n_images, seed)[:n]
    positions = np.unique(np.asarray(positions, np.int64))
    source = full.select(positions) if len(positions) < full.n_images else full
    return ImageSet(source, config, positions, np.asarray(full.labels)[positions], list(full.class_names))


def pixels(images: ImageSet, positions, size: int = THUMB) -> list[np.ndarray]:
    """Decoded uint8 thumbnails [size, size, 3] of the images at `positions` (any order)."""
    from PIL import Image

    wanted = [int(p) for p in positions]
    if not np.isin(wanted, images.positions).all():
        raise ValueError("pixels() asked for images outside the ImageSet")
    sub = images.source.select(np.searchsorted(images.positions, np.unique(wanted)))
    decoded = {}
    for pos, (img, _) in zip(np.unique(wanted), sub.images().as_numpy_iterator()):
        h, w = img.shape[:2]
        s = min(h, w)
        crop = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        decoded[pos] = np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR))
    return [decoded[p] for p in wanted]


def _cache_path(record: Record, split: str, positions: np.ndarray, layer: str) -> Path:
    digest = hashlib.sha256(np.asarray(positions, np.int64).tobytes()).hexdigest()[:12]
    return record.path / "cache" / f"{layer}-{split}-{digest}.npz"


def features(record: Record, net, images: ImageSet, split: str, layer: str = "fc7",
             batch_size: int = 64) -> np.ndarray:
    """`layer` activations [n, d] of the images (centre crop), cached in the run folder."""
    path = _cache_path(record, split, images.positions, layer)
    if path.exists():
        with np.load(path) as cached:
            return cached["features"]
    from alexnet import inputs
    from alexnet import model as model_lib
    extractor = model_lib.feature_extractor(net, (layer,))
    train_source = inputs.make_sources(images.config).labelled
    stats = inputs.colour_stats(images.config, train_source)
    batches = inputs.eval_dataset(images.config, images.source, batch_size, stats)
    feats = np.concatenate([np.asarray(extractor(x, training=False)[layer]) for x, _ in batches])
    path.parent.mkdir(parents=True, exist_ok=True)
    # A private temporary name, then rename: a notebook and `make figures` may
    # fill the same cache at once, and a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, features=feats.astype(np.float32), positions=images.positions)
    os.replace(tmp, path)
    return feats


def nearest(queries: np.ndarray, database: np.ndarray, k: int) -> np.ndarray:
    """Indices [q, k] of each query's k nearest database rows (Euclidean, as in the paper)."""
    d2 = (queries ** 2).sum(1)[:, None] - 2.0 * queries @ database.T + (database ** 2).sum(1)[None, :]
    return np.argsort(d2, axis=1, kind="stable")[:, :k]


def pick_queries(images: ImageSet, n: int, seed: int = 0) -> np.ndarray:
    """Positions of n validation images from n different classes (as far as there are)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images.positions))
    picked, seen = [], set()
    for i in order:
        if images.labels[i] not in seen:
            picked.append(images.positions[i])
            seen.add(images.labels[i])
        if len(picked) == n:
            break
    return np.asarray(picked, np.int64)
