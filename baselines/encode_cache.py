"""Fisher vectors of a whole split, cached on disk in shards.

Layout (everything under `cache_dir`, by default <repo>/cache/fisher):

    <key>/                      key = hash(encoder settings, training-set fingerprint)
      settings.json             what the key stands for (human-readable)
      encoder.npz               the fitted PCA and GMM of every channel
      <split>-<n>-<sha>-<dtype>-s<S>/   one folder per encoded split: the source's
                                fingerprint, storage dtype and shard size
        info.json               n_images, shard_size, fv_dim, dtype, class names
        shard-00000.npy         float16 [<=shard_size, fv_dim]
        shard-00000.meta.npz    labels and source indices of those rows

Shard j holds the images at source indices [j*S, (j+1)*S), S = shard_size:
contiguous, because prepared ImageNet is read sequentially from TFRecords,
and a shard's content never depends on how the work was split. Sources are
class-sorted, so a shard holds one or two classes; SGD must not be fed shard
after shard (we measured 69% instead of 25% top-1 error on 10 classes), so
`iter_batches` draws each batch at random from all shards instead.

A shard is written to a temporary name and renamed when complete, so a killed
extraction keeps every finished shard and a rerun encodes only the missing
ones. `--shard i/N` takes shards j with j % N == i, for cluster jobs that
share the cache folder.

Vectors are stored as float16 (relative error < 5e-4 on every entry that
matters in a unit vector) or, with `cache_dtype='int8'`, as int8 with one
float32 scale per image, half the disk. On Imagenette (K=256) the int8 vectors
had cosine 0.99986 (min 0.9978) with the float16 ones and gave the same error
(exact SVM, C=3: 16.33% against 16.41% top-1). Sánchez & Perronnin 2011
compressed much further, by product quantisation, to fit ImageNet in RAM.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from alexnet import records
from baselines.defaults import CACHE_DTYPES
from baselines.encoder import Encoder, EncoderSettings

# Bump when a code change alters the vectors, so stale caches are not reused.
ENCODING_VERSION = 1


def settings_key(settings: EncoderSettings, train_fingerprint: dict) -> str:
    """Sixteen hex digits naming the encoder: its settings, the images it was fit
    on, and the version of the code that computes the vectors."""
    blob = json.dumps({"encoder": settings.as_dict(), "train": train_fingerprint,
                       "version": ENCODING_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    return Path(os.environ.get("FV_CACHE_DIR", records.REPO_ROOT / "cache" / "fisher"))


class SplitCache:
    """The shards of one encoded split: writing, checking and streaming them back."""

    def __init__(self, folder: Path, n_images: int, shard_size: int, fv_dim: int, dtype: str,
                 class_names: list[str] | None = None):
        if dtype not in CACHE_DTYPES:
            raise ValueError(f"cache_dtype must be one of {', '.join(CACHE_DTYPES)}, got {dtype!r}")
        self.folder = Path(folder)
        self.n_images, self.shard_size, self.fv_dim, self.dtype = n_images, shard_size, fv_dim, dtype
        self.class_names = class_names or []

    @property
    def n_shards(self) -> int:
        return -(-self.n_images // self.shard_size)

    def shard_indices(self, j: int) -> np.ndarray:
        """Source indices of the images in shard j."""
        return np.arange(j * self.shard_size, min((j + 1) * self.shard_size, self.n_images), dtype=np.int64)

    def vectors_path(self, j: int) -> Path:
        return self.folder / f"shard-{j:05d}.npy"

    def meta_path(self, j: int) -> Path:
        return self.folder / f"shard-{j:05d}.meta.npz"

    def is_done(self, j: int) -> bool:
        # The meta file is renamed into place last, so its presence means done.
        return self.meta_path(j).exists() and self.vectors_path(j).exists()

    def missing(self, part: tuple[int, int] = (0, 1)) -> list[int]:
        """Shards of this part (i, N) not yet written."""
        i, n = part
        return [j for j in range(self.n_shards) if j % n == i and not self.is_done(j)]

    def complete(self) -> bool:
        return not self.missing()

    def write_info(self, extra: dict) -> None:
        info = {"n_images": self.n_images, "shard_size": self.shard_size, "fv_dim": self.fv_dim,
                "dtype": self.dtype, "class_names": self.class_names, **extra}
        records.write_json_atomic(self.folder / "info.json", info)

    def new_shard(self, j: int) -> "ShardBuffer":
        """An empty buffer for shard j, filled row by row in the storage dtype."""
        return ShardBuffer(self, j)

    def _write_shard(self, j: int, stored: np.ndarray, meta: dict) -> None:
        """Stores shard j atomically: vectors first, then the meta file that marks it done."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _save_atomic(self.vectors_path(j), lambda f: np.save(f, stored))
        _save_atomic(self.meta_path(j), lambda f: np.savez(f, **meta))

    def read_shard(self, j: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(float32 vectors, labels, source indices) of shard j, optionally only `rows` of it."""
        stored = np.load(self.vectors_path(j), mmap_mode="r")
        with np.load(self.meta_path(j)) as z:
            meta = {k: z[k] for k in ("labels", "indices", "scale") if k in z.files}
        if rows is not None:
            stored = stored[rows]
            meta = {k: v[rows] for k, v in meta.items()}
        x = np.asarray(stored, np.float32)
        if self.dtype == "int8":
            x *= meta["scale"][:, None]
        return x, meta["labels"], meta["indices"]

    def labels(self) -> np.ndarray:
        """Labels of all cached images, in source order (reads only the meta files)."""
        labels = np.full(self.n_images, -1, np.int64)
        for j in range(self.n_shards):
            with np.load(self.meta_path(j)) as z:
                labels[z["indices"]] = z["labels"]
        return labels

    def encode_seconds(self) -> float:
        """Wall seconds spent encoding all shards (as recorded when each was written)."""
        total = 0.0
        for j in range(self.n_shards):
            with np.load(self.meta_path(j)) as z:
                total += float(z["seconds"]) if "seconds" in z.files else 0.0
        return total

    def iter_shards(self, indices: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Streams (vectors, labels, indices) shard by shard, never all at once.

        Args:
          indices: source indices to keep (None: every image).
        """
        for j in range(self.n_shards):
            rows = None
            if indices is not None:
                lo, hi = np.searchsorted(indices, [j * self.shard_size, (j + 1) * self.shard_size])
                if lo == hi:
                    continue
                rows = indices[lo:hi] - j * self.shard_size
            yield self.read_shard(j, rows)

    def read_rows(self, indices: np.ndarray) -> np.ndarray:
        """float32 vectors of the given source indices, in that order.

        Reads only those rows (memory-mapped: a row is one contiguous read),
        in ascending order within each shard.
        """
        indices = np.asarray(indices, np.int64)
        x = np.empty((len(indices), self.fv_dim), np.float32)
        shard, row = np.divmod(indices, self.shard_size)
        for j in np.unique(shard):
            sel = np.flatnonzero(shard == j)
            sel = sel[np.argsort(row[sel])]          # ascending rows: sequential reads
            x[sel] = np.load(self.vectors_path(j), mmap_mode="r")[row[sel]]
            if self.dtype == "int8":
                with np.load(self.meta_path(j)) as z:
                    x[sel] *= z["scale"][row[sel]][:, None]
        return x

    def iter_batches(self, indices: np.ndarray, batch_size: int, rng: np.random.Generator
                     ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of (float32 vectors, labels) in random batches drawn from all shards.

        Each batch reads only its rows (`read_rows`), so memory holds one batch,
        and every batch mixes all classes.
        """
        labels = self.labels()
        perm = rng.permutation(np.asarray(indices, np.int64))
        for lo in range(0, len(perm), batch_size):
            batch = perm[lo:lo + batch_size]
            yield self.read_rows(batch), labels[batch]


class ShardBuffer:
    """One shard's vectors in the storage dtype, so a shard never exists as float32."""

    def __init__(self, cache: SplitCache, j: int):
        self.cache, self.j = cache, j
        self.indices = cache.shard_indices(j)
        n = len(self.indices)
        self.stored = np.zeros((n, cache.fv_dim), np.int8 if cache.dtype == "int8" else np.float16)
        self.scale = np.ones(n, np.float32)
        self.labels = np.full(n, -1, np.int64)
        self.filled = 0
        self.started = time.time()

    def append(self, vector: np.ndarray, label: int) -> None:
        i = self.filled
        if i >= len(self.stored):
            raise RuntimeError(f"shard {self.j}: more images than its {len(self.stored)} indices")
        if self.cache.dtype == "int8":
            # Symmetric per-image scale: the largest entry maps to 127.
            self.scale[i] = max(float(np.abs(vector).max()), 1e-12) / 127.0
            self.stored[i] = np.rint(vector / self.scale[i])
        else:
            self.stored[i] = vector
        self.labels[i] = label
        self.filled += 1

    def commit(self) -> None:
        """Writes the shard; refuses a short one (an image lost mid-stream)."""
        if self.filled != len(self.stored):
            raise RuntimeError(f"shard {self.j}: got {self.filled} vectors for {len(self.stored)} images "
                               "(an image failed to decode mid-stream?)")
        # The wall time goes with the shard, so a run reusing the cache can still
        # report what extraction cost (summed over shards, however many jobs).
        meta = {"labels": self.labels, "indices": self.indices.astype(np.int64),
                "seconds": np.float64(time.time() - self.started)}
        if self.cache.dtype == "int8":
            meta["scale"] = self.scale
        self.cache._write_shard(self.j, self.stored, meta)


def _save_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def open_split(key_dir: Path, source, encoder: Encoder, shard_size: int, dtype: str) -> SplitCache:
    """The cache of `source` (an alexnet.data.Source) under this encoder's folder."""
    fp = source.fingerprint
    # Storage choices are in the name: changing them makes a new cache, never a mix.
    folder = Path(key_dir) / f"{source.split}-{fp['n_files']}-{fp['sha256'][:8]}-{dtype}-s{shard_size}"
    cache = SplitCache(folder, source.n_images, shard_size, encoder.fv_dim, dtype, source.class_names)
    info_path = folder / "info.json"
    if info_path.exists():
        info = records.read_json(info_path)
        for k in ("n_images", "shard_size", "fv_dim", "dtype"):
            if info[k] != getattr(cache, k):
                raise RuntimeError(f"{folder}: cached {k}={info[k]!r} differs from {getattr(cache, k)!r}; "
                                   "use another cache_dir or delete the folder")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        cache.write_info({"source": source.info()})
    return cache
