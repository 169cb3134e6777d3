"""Parallel extraction: fit the encoder on a sample, then encode whole splits.

Images are read and decoded by `alexnet.data` (the same files, order and
decoder as the CNN) in this process; describing and encoding them runs in a
pool of worker processes, one per core. Workers are spawned, not forked:
TensorFlow is loaded here and is not fork-safe. Each worker limits BLAS and
OpenCV to one thread, since the pool already occupies every core.

BLAS runs single-threaded everywhere here, the PCA/GMM fit in this process
included: OpenBLAS threads spin while they wait, and on cores shared with
other work (the pool, or other users) a two-thread EM step ran 60x slower
than one thread (measured: 14.6 s against 0.23 s). The pool supplies the
parallelism instead.

Nothing holds more than a sample of descriptors: the fit sees
`gmm_samples` descriptors drawn evenly from `gmm_images` training images, and
each encoded image leaves its worker as one vector.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from threadpoolctl import threadpool_limits

from baselines.encode_cache import SplitCache
from baselines.encoder import Encoder, EncoderSettings, fit_encoder, sample_descriptors

log = logging.getLogger("baselines")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_worker_encoder: Encoder | None = None


def _init_worker(encoder_path: str | None, settings: EncoderSettings, single_thread: bool = True) -> None:
    """Runs once in each worker: one thread per library, and the encoder loaded."""
    global _worker_encoder
    if single_thread:
        import cv2

        cv2.setNumThreads(1)
        threadpool_limits(1)
    if encoder_path:
        _worker_encoder = Encoder.load(Path(encoder_path), settings)


def _encode(image: np.ndarray) -> np.ndarray:
    return _worker_encoder.encode(image)


def _sample(args) -> dict:
    image, settings, n, seed = args
    return sample_descriptors(image, settings, n, seed)


@contextlib.contextmanager
def _pool(workers: int, encoder_path: Path | None, settings: EncoderSettings):
    """A spawned process pool (or None for workers <= 1: run in this process)."""
    if workers <= 1:
        # In this process: limit BLAS only for the duration of the extraction.
        with threadpool_limits(1):
            _init_worker(str(encoder_path) if encoder_path else None, settings, single_thread=False)
            yield None
        return
    # Children read thread limits from the environment before loading OpenBLAS
    # and OpenMP (too early for the initializer), so set them around the spawn.
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        pool = mp.get_context("spawn").Pool(
            workers, _init_worker, (str(encoder_path) if encoder_path else None, settings))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


def _ordered_map(pool, fn: Callable, items: Iterable, in_flight: int) -> Iterator:
    """`fn` over `items` in order, with at most `in_flight` items queued (bounded memory)."""
    if pool is None:
        yield from map(fn, items)
        return
    pending = collections.deque()
    for item in items:
        pending.append(pool.apply_async(fn, (item,)))
        if len(pending) >= in_flight:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _images(source) -> Iterator[tuple[np.ndarray, int]]:
    """(uint8 image, label) of a Source, in order, as NumPy arrays."""
    for image, label in source.images().as_numpy_iterator():
        yield image, int(label)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="img", disable=not enabled, smoothing=0.05)


def fit_or_load_encoder(train_source, settings: EncoderSettings, key_dir: Path, workers: int,
                        progress: bool = True) -> tuple[Encoder, float]:
    """The encoder cached in `key_dir`, fitted first if absent.

    Returns:
      (encoder, seconds spent fitting: 0 when it was cached).
    """
    path = Path(key_dir) / "encoder.npz"
    if path.exists():
        return Encoder.load(path, settings), 0.0
    start = time.time()
    n_images = min(settings.gmm_images, train_source.n_images)
    picked = np.sort(np.random.default_rng(settings.seed).choice(train_source.n_images, n_images,
                                                                  replace=False))
    per_image = max(1, -(-settings.gmm_samples // n_images))
    sample_source = train_source.select(indices=picked)
    jobs = ((image, settings, per_image, [settings.seed, int(i)])
            for i, (image, _) in zip(picked, _images(sample_source)))
    parts = collections.defaultdict(list)
    with _pool(workers, None, settings) as pool, _progress(n_images, "sampling descriptors", progress) as bar:
        for descs in _ordered_map(pool, _sample, jobs, 4 * max(workers, 1)):
            for name, d in descs.items():
                parts[name].append(d)
            bar.update()
    samples = {name: np.concatenate(p) for name, p in parts.items()}
    log.info("fitting PCA and GMM (K=%d) on %d descriptors", settings.gmm_components, len(samples["sift"]))
    with threadpool_limits(1):
        encoder = fit_encoder(samples, settings)
    Path(key_dir).mkdir(parents=True, exist_ok=True)
    encoder.save(path)
    # Another job may have published its encoder first: use the published one.
    return Encoder.load(path, settings), time.time() - start


def encode_split(source, cache: SplitCache, encoder_path: Path, settings: EncoderSettings,
                 workers: int, part: tuple[int, int] = (0, 1), progress: bool = True) -> dict:
    """Encodes the missing shards of `cache` that belong to `part` = (i, N).

    Returns:
      {'images': encoded now, 'seconds': wall time, 'images_per_s'}.
    """
    todo = cache.missing(part)
    total = sum(len(cache.shard_indices(j)) for j in todo)
    start = time.time()
    if todo:
        desc = f"encoding {source.name}/{source.split}"
        with _pool(workers, encoder_path, settings) as pool, _progress(total, desc, progress) as bar:
            for j in todo:
                shard_source = source.select(indices=cache.shard_indices(j))
                labels = collections.deque()

                def images():
                    for image, label in _images(shard_source):
                        labels.append(label)
                        yield image

                buffer = cache.new_shard(j)
                for vector in _ordered_map(pool, _encode, images(), 4 * max(workers, 1)):
                    buffer.append(vector, labels.popleft())
                    bar.update()
                buffer.commit()
    seconds = time.time() - start
    return {"images": total, "seconds": seconds, "images_per_s": total / seconds if total else None}
