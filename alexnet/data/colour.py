"""RGB statistics of a training set: the mean for subtraction, the eigen-decomposition
of the pixel covariance for the paper's PCA colour augmentation.

The paper subtracts the mean *image* (256x256x3); we subtract the per-channel
mean, the standard simplification: the mean image of a large photo collection
is nearly constant per channel, and a per-channel mean works for any crop size.

The statistics are computed once per dataset from up to `max_images` training
images (all their pixels, 0..255 scale) and cached as JSON under
cache/colour_stats/<name>-<fingerprint>.json. Command:

    python -m alexnet.data.colour_stats --dataset imagenette [--split train]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from alexnet.data.common import DataError, cache_root, log
from alexnet.records import write_json_atomic


@dataclass(frozen=True)
class ColourStats:
    """Per-channel RGB mean and the eigen-decomposition of the RGB covariance.

    Attributes:
      mean: [3] mean of R, G, B over all pixels, 0..255 scale.
      eigval: [3] eigenvalues of the 3x3 pixel covariance, largest first
        (units: pixel values squared).
      eigvec: [3, 3]; column i is the unit eigenvector of eigval[i].
    """

    mean: np.ndarray
    eigval: np.ndarray
    eigvec: np.ndarray

    @property
    def std(self) -> np.ndarray:
        """[3] per-channel standard deviation: the square root of the covariance's
        diagonal, sum_k eigvec[c, k]^2 eigval[k]."""
        return np.sqrt(np.asarray(self.eigvec) ** 2 @ np.asarray(self.eigval))

    def to_dict(self) -> dict:
        return {"mean": np.asarray(self.mean).tolist(), "eigval": np.asarray(self.eigval).tolist(),
                "eigvec": np.asarray(self.eigvec).tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "ColourStats":
        return cls(np.asarray(d["mean"], np.float64), np.asarray(d["eigval"], np.float64),
                   np.asarray(d["eigvec"], np.float64))

    @classmethod
    def from_covariance(cls, mean, cov) -> "ColourStats":
        eigval, eigvec = np.linalg.eigh(np.asarray(cov, np.float64))
        order = np.argsort(eigval)[::-1]
        return cls(np.asarray(mean, np.float64), np.clip(eigval[order], 0.0, None), eigvec[:, order])


# Published ImageNet values, used when no statistics were computed. Source:
# fb.resnet.torch, datasets/imagenet.lua ("computed from random subset of
# ImageNet training images"): mean (0.485, 0.456, 0.406) and PCA eigenvalues
# (0.2175, 0.0188, 0.0045) on the 0..1 scale, eigenvectors as columns below;
# its transforms.lua Lighting applies them as the paper's formula (see
# `transforms.pca_noise`, which reproduces it). Stored here on the 0..255 scale.
# (Imagenette's own eigenvalues, 0.227, 0.017 and 0.0036 on the 0..1 scale,
# confirm that these are eigenvalues of the pixel covariance.)
IMAGENET_COLOUR_STATS = ColourStats(
    mean=np.array([0.485, 0.456, 0.406]) * 255.0,
    eigval=np.array([0.2175, 0.0188, 0.0045]) * 255.0 ** 2,
    eigvec=np.array([[-0.5675, 0.7192, 0.4009],
                     [-0.5808, -0.0045, -0.8140],
                     [-0.5836, -0.6948, 0.4203]]),
)


def cache_path(source, cache_dir: str | Path | None = None) -> Path:
    """cache/colour_stats/<name>-<fingerprint>.json for a source."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", source.name).strip("_")
    return Path(cache_dir or cache_root() / "colour_stats") / f"{slug}-{source.fingerprint['sha256']}.json"


def compute_colour_stats(source, max_images: int = 5000, seed: int = 0) -> tuple[ColourStats, dict]:
    """Mean and covariance over every pixel of a random sample of the source's images.

    Returns:
      (stats, details) with details {'n_images', 'n_pixels'}.
    """
    import tensorflow as tf

    sample = source
    if source.n_images > max_images:
        sample = source.select(np.random.default_rng(seed).choice(source.n_images, max_images, replace=False))

    def moments(image, label):
        x = tf.reshape(tf.cast(image, tf.float64), [-1, 3])
        return tf.cast(tf.shape(x)[0], tf.float64), tf.reduce_sum(x, 0), tf.matmul(x, x, transpose_a=True)

    ds = sample.images().map(moments, num_parallel_calls=tf.data.AUTOTUNE).prefetch(8)
    n, total, outer, n_images = 0.0, np.zeros(3), np.zeros((3, 3)), 0
    for count, s, ss in tqdm(ds.as_numpy_iterator(), total=sample.n_images, unit="img",
                             desc=f"colour statistics of {source.name}/{source.split}"):
        n, total, outer, n_images = n + count, total + s, outer + ss, n_images + 1
    if n_images == 0:
        raise DataError(f"{source.name}/{source.split}: no decodable image to compute colour statistics")
    mean = total / n
    stats = ColourStats.from_covariance(mean, outer / n - np.outer(mean, mean))
    return stats, {"n_images": n_images, "n_pixels": int(n)}


def colour_stats(source, cache_dir: str | Path | None = None, compute: bool = True,
                 max_images: int = 5000) -> ColourStats:
    """The source's colour statistics: cached, else computed (and cached), else the fallback.

    Args:
      source: the *training* source (pass the result to both the train and
        the eval pipeline, so both subtract the same mean).
      cache_dir: default <repo>/cache/colour_stats.
      compute: compute them when not cached; False returns the published
        ImageNet values instead (logged).
      max_images: size of the random image sample; a cached result from a
        smaller sample is computed again.
    """
    path = cache_path(source, cache_dir)
    if path.is_file():
        record = json.loads(path.read_text())
        # A cache from a smaller sample (a quick test, say) is not good enough.
        if record.get("max_images", 0) >= min(max_images, source.n_images):
            return ColourStats.from_dict(record)
    if not compute:
        log.warning("no colour statistics cached for %s/%s (%s); using the published ImageNet values",
                    source.name, source.split, path)
        return IMAGENET_COLOUR_STATS
    stats, details = compute_colour_stats(source, max_images)
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    write_json_atomic(path, {**stats.to_dict(), **details, "source": source.info(), "max_images": max_images,
                             "computed_utc": now})
    log.info("colour statistics of %s/%s cached in %s", source.name, source.split, path)
    return stats


def main(argv: list[str] | None = None) -> int:
    """Command line: compute and cache one dataset's statistics, print them."""
    from alexnet.data.sources import get_source

    parser = argparse.ArgumentParser(prog="python -m alexnet.data.colour_stats",
                                     description="Compute and cache a dataset's RGB mean and PCA.")
    parser.add_argument("--dataset", required=True, help="imagenette, cifar10, imagenet2012 or folder:/path")
    parser.add_argument("--split", default="train")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--max-images", type=int, default=5000)
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args(argv)
    try:
        source = get_source(args.dataset, args.split, data_dir=args.data_dir)
    except DataError as err:
        print(f"error: {err}")
        return 1
    stats = colour_stats(source, cache_dir=args.cache_dir, max_images=args.max_images)
    print(f"{args.dataset}/{args.split} -> {cache_path(source, args.cache_dir)}")
    print(f"  mean   {np.round(stats.mean, 3).tolist()}")
    unit = np.round(stats.eigval / 255.0**2, 4).tolist()
    print(f"  eigval {np.round(stats.eigval, 3).tolist()}  (on the 0..1 scale: {unit})")
    print(f"  eigvec {np.round(stats.eigvec, 4).tolist()}")
    return 0
