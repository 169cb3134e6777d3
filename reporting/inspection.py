"""Looking inside a trained CNN: conv1 filters, fc7 nearest neighbours, images.

The network is a run folder's (its newest checkpoint, under $RUNS_DIR) or a
model folder's (`python -m alexnet.export RUN DEST --model-folder`; models/
holds the committed ones): `load_model` tells them apart by their files, as
`alexnet.predict` does. The committed copies in results/ hold no weights.
Everything goes through the trainer's own code: the network is restored by
`alexnet.predict.load_network`, images are preprocessed by
`alexnet.inputs.eval_dataset` (the evaluation's centre crop) with the colour
statistics the network trained with (the folder's preprocessing.json), so the
features are exactly those the evaluation saw. A model folder's images are its
dataset's (config.json's `dataset`, under DATA_DIR as for a run).

fc7 features are cached, keyed by the image positions, so re-drawing a figure
or re-running a notebook costs no forward passes: a run folder's under
`<run>/cache/<layer>-<split>-<hash>.npz`; a model folder's never inside it (it
is committed) but under `$FEATURE_CACHE_DIR`, else `cache/features/` in the
repository (git-ignored), in a folder named by the folder and a hash of its
model.keras.

`choose` picks the network notebook 02 shows: a model folder when asked
(MODEL_DIR), else the cited CNN's run folder with checkpoints, else the
committed model folder of that scale under models/.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alexnet import records
from reporting.runs import Record, RecordError, cite, read_model_folder

THUMB = 96  # pixels per side of an image in a figure
MODELS_ROOT = records.REPO_ROOT / "models"  # the committed model folders, one per scale


def load_model(record: Record):
    """The trained network of a run folder (newest checkpoint) or of a model folder.

    Raises:
      RecordError: a committed copy or a run without checkpoints.
    """
    from alexnet.config import ConfigError
    from alexnet.predict import load_network
    if record.model_folder:
        try:
            return load_network(record.path)
        except (ConfigError, ValueError, OSError) as err:
            raise RecordError(f"model folder {record.path} cannot be loaded: {err}") from None
    if record.committed or record.file("checkpoints") is None:
        raise RecordError(f"run {record.run_id} has no checkpoints here ({record.path}); "
                          "filters and features need the run folder under $RUNS_DIR or a model folder")
    return load_network(record.path)


def has_network(record: Record) -> bool:
    """Whether `load_model` can restore the record's CNN here: a run folder with checkpoints or a model folder."""
    return record.kind == "cnn" and "arch" in record.config and (
        record.model_folder or (not record.committed and record.file("checkpoints") is not None))


def label(record: Record) -> str:
    """How a text names the network: the run id, or the model folder and the run it came from."""
    if not record.model_folder:
        return f"run {record.run_id}"
    source = record.model_info().get("source_run")
    return f"model folder {_short_path(record.path)}" + (f" (exported from run {source})" if source else "")


def _short_path(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(records.REPO_ROOT))
    except ValueError:
        return str(path)


@dataclass
class Choice:
    """The network notebook 02 shows.

    Attributes:
      scale: its scale (results/<scale>).
      cnn: its record: a run folder with checkpoints, or a model folder.
      baseline: the scale's cited hand-crafted baseline, or None.
      note: one line saying what is shown and, for a model folder, why.
    """

    scale: str
    cnn: Record
    baseline: Record | None
    note: str


def model_folders(models_root: Path = MODELS_ROOT) -> dict[str, Record]:
    """{scale: record} of the model folders directly under `models_root` (models/<scale>)."""
    from alexnet.predict import is_model_folder
    root = Path(models_root)
    found = {}
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if is_model_folder(folder) and (folder / "config.json").is_file():
            record = read_model_folder(folder)
            found.setdefault(record.scale, record)
    return found


def model_folder_of(record: Record, models_root: Path | None = None) -> Record | None:
    """The model folder directly under `models_root` (default `MODELS_ROOT`) that holds `record`'s network.

    An equal config hash (`predict.model_folder_hash`) means the same recipe,
    seed and data, so the folder's network stands in for a run whose
    checkpoints are not here (a rerun of the same config included). None when
    no folder matches.
    """
    from alexnet.predict import model_folder_hash
    root = Path(MODELS_ROOT if models_root is None else models_root)
    wanted = records.config_hash(record.config)
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if model_folder_hash(folder) == wanted:
            return read_model_folder(folder)
    return None


def choose(runs_dir: Path, results_dir: Path, scale: str | None = None, model_dir: str | Path | None = None,
           models_root: Path = MODELS_ROOT) -> Choice | None:
    """The network to inspect, and the cited baseline of its scale; None when there is none.

    `model_dir` (a model folder) is shown when given. Otherwise the cited CNN of
    `scale` (default: the first scale that has one) whose run folder has
    checkpoints, else the model folder of that scale under `models_root`.

    Raises:
      RecordError: `model_dir` is no model folder, or is of another scale than `scale`.
    """
    cited = cite(runs_dir, results_dir)
    if model_dir is not None:
        cnn = read_model_folder(Path(model_dir))
        if scale is not None and cnn.scale != scale:
            raise RecordError(f"model folder {model_dir} is of scale {cnn.scale!r}, not {scale!r}")
        how = "asked for (MODEL_DIR)"
    else:
        with_run: dict[str, Record] = {}
        for s, recs in cited.items():
            for r in recs:
                if has_network(r) and not r.model_folder:
                    with_run.setdefault(s, r)
        committed = model_folders(models_root)
        if scale is None:
            scale = next(iter(with_run), None) or next(
                (s for s in list(cited) + sorted(committed) if s in committed), None)
        if scale in with_run:
            cnn, how = with_run[scale], None
        elif scale in committed:
            cnn = committed[scale]
            how = (f"by default: no cited CNN of scale {scale} has its run folder with checkpoints "
                   f"under {runs_dir}")
        else:
            return None
    scale = cnn.scale
    baseline = next((r for r in cited.get(scale, []) if r.kind == "handcrafted"), None)
    note = f"scale {scale}: CNN {label(cnn)}" + (f", {how}" if how else "")
    note += f"; baseline {baseline.run_id if baseline else 'none'}"
    return Choice(scale, cnn, baseline, note)


def describe(record: Record, net) -> dict:
    """Numbers a text about the network quotes, read from the network and its record.

    Returns:
      {'name', 'arch', 'params', 'filters', 'kernel', 'stride', 'towers',
       'fc7' (units, or None), 'image_size', 'errors' ({'centre'|'ten_crop': {'top1_err_pct', ...}}, from
       eval.json or a model folder's model.json; {} where neither has them)}.
    """
    from alexnet.layers import TwoTower
    from reporting.tables import display_name

    layer = net.get_layer("conv1")
    conv = layer.towers[0] if isinstance(layer, TwoTower) else layer
    filters, towers = conv1(net)
    names = {layer.name for layer in net.layers}
    fc7 = None
    if "fc7" in names:
        out = net.get_layer("fc7").output
        fc7 = sum(int(o.shape[-1]) for o in out) if isinstance(out, (list, tuple)) else int(out.shape[-1])
    if record.model_folder:
        errors = record.model_info().get("eval") or {}
    else:
        errors = record._eval_or_empty()
    errors = {c: errors[c] for c in ("centre", "ten_crop") if isinstance(errors.get(c), dict)}
    return {"name": display_name(record.model, record.kind), "arch": record.model,
            "params": int(net.count_params()), "filters": int(filters.shape[-1]), "kernel": int(filters.shape[0]),
            "stride": int(conv.strides[0]), "towers": towers, "fc7": fc7,
            "image_size": int(record.config["image_size"]), "errors": errors}


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
    prep = record.path / "preprocessing.json"
    if record.model_folder and prep.is_file():
        # A model folder's preprocessing is its preprocessing.json (the same as the run's config says).
        recorded = records.read_json(prep)
        config.update({k: recorded[k] for k in ("resize", "image_size", "input_norm") if k in recorded})
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


def feature_cache_root() -> Path:
    """Where a model folder's features are cached: $FEATURE_CACHE_DIR, else <repo>/cache/features (git-ignored)."""
    from alexnet.data.common import cache_root
    return Path(os.environ.get("FEATURE_CACHE_DIR") or cache_root() / "features")


def cache_dir(record: Record) -> Path:
    """A record's feature cache: <run>/cache for a run folder; outside a model folder, named by its model.keras."""
    if not record.model_folder:
        return record.path / "cache"
    digest = hashlib.sha256()
    with open(record.path / "model.keras", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return feature_cache_root() / f"{record.path.name}-{digest.hexdigest()[:12]}"


def _cache_path(record: Record, split: str, positions: np.ndarray, layer: str) -> Path:
    digest = hashlib.sha256(np.asarray(positions, np.int64).tobytes()).hexdigest()[:12]
    return cache_dir(record) / f"{layer}-{split}-{digest}.npz"


def colour_stats(record: Record, images: ImageSet):
    """The colour statistics the network trained with: the folder's preprocessing.json,
    else (runs from before 2026-12) recomputed from the training images."""
    from alexnet.config import ConfigError
    from alexnet.evaluate import run_colour_stats
    try:
        return run_colour_stats(record.path, images.config)
    except ConfigError as err:
        raise RecordError(str(err)) from None


def features(record: Record, net, images: ImageSet, split: str, layer: str = "fc7",
             batch_size: int = 64) -> np.ndarray:
    """`layer` activations [n, d] of the images (centre crop), cached (see `cache_dir`)."""
    path = _cache_path(record, split, images.positions, layer)
    if path.exists():
        with np.load(path) as cached:
            return cached["features"]
    from alexnet import inputs
    from alexnet import model as model_lib
    extractor = model_lib.feature_extractor(net, (layer,))
    stats = colour_stats(record, images)
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
