"""Before a driver's first stage: is everything its unfinished stages need here?

A driver that trains a CNN for an hour and then finds VLFeat missing, or the
disk too small for the Fisher-vector cache, has wasted the hour. `check` looks
at every stage that has no finished run yet and reports all that is missing in
one line:

* each dataset the stages read (train and val splits under DATA_DIR);
* VLFeat, for a Fisher-vector stage;
* free disk for the Fisher-vector stages' new vector caches, summed (train +
  val images x vector length x bytes per value; a data-scaling cell's train
  images are its own subset), leaving out caches that already exist.

(The paper-scale run's GPU and archives: drivers.reproduce.check_imagenet_ready.)
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alexnet import run_folder
from alexnet.config import ConfigError

# Room kept beside the vector cache (encoder files, the SVM's working files).
DISK_MARGIN = 1.1


@dataclass(frozen=True)
class Stage:
    """One training a driver will run: 'cnn' (alexnet.train) or 'fv' (baselines.run)."""
    kind: str
    config: dict


def _sources(config: dict, seen: dict):
    """(train, val) sources of the config's dataset, or the one-line DataError; memoised in `seen`."""
    from alexnet import data
    key = (config["dataset"], config.get("data_dir"))
    if key not in seen:
        try:
            seen[key] = tuple(data.get_source(key[0], split, key[1]) for split in ("train", "val"))
        except data.DataError as err:
            seen[key] = str(err)
    return seen[key]


def fv_cache_bytes(config: dict, n_images: int) -> int:
    """Bytes of the cached Fisher vectors of `n_images` images under this baseline config."""
    from baselines.encoder import EncoderSettings
    return n_images * EncoderSettings.from_config(config).fv_dim() * np.dtype(config["cache_dtype"]).itemsize


def _fv_cache_exists(config: dict, train) -> bool:
    """Whether this config's encoder already has a cache folder (extraction resumes in it)."""
    from baselines.encode_cache import default_cache_dir, settings_key
    from baselines.encoder import EncoderSettings
    key = settings_key(EncoderSettings.from_config(config), train.fingerprint)
    return (Path(config["cache_dir"] or default_cache_dir()) / key).is_dir()


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def problems(stages: list[Stage]) -> list[str]:
    """Everything missing for the stages that have no finished run, one sentence each."""
    from alexnet.inputs import is_synthetic
    from baselines.descriptors import VLFEAT_MISSING, require_vlfeat
    from baselines.encode_cache import default_cache_dir
    found: list[str] = []
    seen: dict = {}
    caches: dict[Path, float] = {}
    experiments: dict[Path, list[str]] = {}
    todo = [s for s in stages if run_folder.find_finished(s.config["experiment"], s.config) is None]
    for stage in todo:
        if stage.kind == "fv":
            try:
                require_vlfeat()
            except ValueError:
                found.append(VLFEAT_MISSING)
        sources = None if is_synthetic(stage.config) else _sources(stage.config, seen)
        if isinstance(sources, str):
            found.append(sources)
            continue
        if stage.kind == "fv":
            if sources:
                from baselines.run import cell_images
                train = cell_images(stage.config, sources[0])[0]  # the images this config's cache holds
                if not _fv_cache_exists(stage.config, train):
                    cache_dir = Path(stage.config["cache_dir"] or default_cache_dir())
                    need = fv_cache_bytes(stage.config, train.n_images + sources[1].n_images) * DISK_MARGIN
                    caches[cache_dir] = caches.get(cache_dir, 0.0) + need
                    experiments.setdefault(cache_dir, []).append(stage.config["experiment"])
    for cache_dir, need in caches.items():  # every new cache of a driver's stages together
        free = shutil.disk_usage(_existing_parent(cache_dir)).free
        if need > free:
            names = ", ".join(dict.fromkeys(experiments[cache_dir]))
            found.append(f"{names} need about {need / 1e9:.1f} GB free for their Fisher-vector caches in "
                         f"{cache_dir} (FV_CACHE_DIR), {free / 1e9:.1f} GB are free")
    return list(dict.fromkeys(found))  # each missing piece once, in order


def check(stages: list[Stage]) -> None:
    """Raises ConfigError naming every missing piece, before any stage starts."""
    found = problems(stages)
    if found:
        raise ConfigError(f"cannot start ({len(found)} missing, nothing was run): "
                          + " | ".join(f"({i}) {text}" for i, text in enumerate(found, 1)))
