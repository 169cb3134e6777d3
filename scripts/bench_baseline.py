"""Fisher-vector baseline speed: images per second per CPU core, stage by stage.

    python -m scripts.bench_baseline [--images 100] [--components 256] [--data-dir DIR]

Runs on imagenette2-224 under DATA_DIR (224 px, as `make reproduce` sees them)
and on CIFAR-10 upscaled 3x (96 px, as experiments/fv_cifar10.py). Images are
decoded first (that is the input pipeline's cost, measured by bench_input);
then each stage runs in this process with BLAS on one thread, and per core =
images per CPU-second of this process, which stays meaningful when other
programs share the machine (img/s is wall-clock). A GMM is fitted on the
images' own descriptors first (a few EM steps: the speed of encoding does not
depend on how well the mixture fits).

Rows: dense SIFT alone; the full per-image work of an extraction worker
(SIFT + PCA + Fisher vector) with our float32 BLAS encoder and with VLFeat's
`vl_fisher`, plus how far apart their vectors are; the options (spatial
pyramid, colour); CIFAR. The note of the main row projects a whole
Imagenette extraction (13,394 images) onto this machine's cores.
Goal (issue 4): Imagenette at K=256 in under 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np

IMAGENETTE_IMAGES = 13_394
GOAL_MINUTES = 15.0


def _load_images(dataset: str, n_images: int, data_dir: str | None) -> list[np.ndarray]:
    from alexnet import data
    full = data.get_source(dataset, "train", data_dir=data_dir)
    source = full.select(data.balanced_subset(full.labels, min(1.0, n_images / full.n_images), seed=0))
    return [image for image, _ in source.images().as_numpy_iterator()]


def _timed(images: list, fn) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds, outputs) of fn over every image."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = [fn(image) for image in images]
    return time.perf_counter() - wall, time.process_time() - cpu, out


def _row(name: str, n: int, wall: float, cpu: float, note: str = "") -> dict:
    return {"benchmark": f"baseline {name}", "images": n, "threads": 1, "images_per_s": round(n / wall, 1),
            "images_per_s_per_core": round(n / cpu, 1), "note": note}


def _encoder(images: list, config: dict):
    """An Encoder fitted quickly on the images' own descriptors."""
    from baselines.encoder import EncoderSettings, fit_encoder, sample_descriptors
    settings = EncoderSettings.from_config({**config, "gmm_iterations": 3})
    per_image = max(1, 50_000 // len(images))
    samples = [sample_descriptors(image, settings, per_image, i) for i, image in enumerate(images)]
    return fit_encoder({name: np.concatenate([s[name] for s in samples]) for name in samples[0]}, settings)


def bench(data_dir: str | None = None, images: int = 100, components: int = 256) -> list[dict]:
    """One row per stage: {'benchmark', 'images', 'threads', 'images_per_s',
    'images_per_s_per_core', 'note'} (per core = images per CPU-second).

    Args:
      data_dir: holds imagenette2-224/ and cifar10/ (default $DATA_DIR).
      images: images per dataset; 100 take about a minute. (Not `n_images`:
        scripts.bench's --quick would raise that to 256.)
      components: GMM components K.
    """
    from threadpoolctl import threadpool_limits

    from baselines import fisher
    from baselines.descriptors import dense_sift, describe, prepare_image
    from baselines.encoder import Encoder
    from baselines.defaults import fv_base_config

    rows = []
    base = {**fv_base_config(), "gmm_components": components}
    photos = _load_images("imagenette", images, data_dir)
    n = len(photos)
    with threadpool_limits(1):
        plain = _encoder(photos, base)
        settings = plain.settings.descriptors
        greys = [prepare_image(image, settings).mean(axis=2).astype(np.float32) for image in photos]
        wall, cpu, _ = _timed(greys, lambda g: dense_sift(g, settings))
        rows.append(_row("dense SIFT (3 scales, step 4), 224 px", n, wall, cpu,
                         f"{len(dense_sift(greys[0], settings)[0])} descriptors/image"))

        wall, cpu, ours = _timed(photos, plain.encode)
        minutes = IMAGENETTE_IMAGES / (n / cpu) / (os.cpu_count() or 1) / 60
        rows.append(_row(f"SIFT+PCA+FV K={components}, BLAS float32", n, wall, cpu,
                         f"Imagenette on {os.cpu_count()} cores: ~{minutes:.1f} min "
                         f"(goal < {GOAL_MINUTES:.0f} on 2)"))

        model = plain.models["sift"]

        def vlfeat(image):
            descs, _, _ = describe(image, settings)
            return fisher.encode_vlfeat(model.gmm, model.project(descs["sift"]))

        few = photos[:max(1, n // 4)]  # VLFeat is slower; a quarter of the images suffices
        wall, cpu, theirs = _timed(few, vlfeat)
        cos = min(float(a @ b) for a, b in zip(ours, theirs))
        gap = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
        rows.append(_row(f"SIFT+PCA+FV K={components}, VLFeat vl_fisher", len(few), wall, cpu,
                         f"vs BLAS: min cosine {cos:.6f}, max |diff| {gap:.1e}"))

        pyramid = Encoder(dataclasses.replace(plain.settings, spatial_pyramid=True), plain.models)
        wall, cpu, _ = _timed(photos, pyramid.encode)
        rows.append(_row("... + spatial pyramid (1+3 stripes)", n, wall, cpu, f"{pyramid.fv_dim} dims"))

        colour = _encoder(photos[: max(1, n // 2)], {**base, "colour": True})
        wall, cpu, _ = _timed(photos, colour.encode)
        rows.append(_row("... + colour statistics (2 channels)", n, wall, cpu, f"{colour.fv_dim} dims"))

    cifar = _load_images("cifar10", images, data_dir)
    with threadpool_limits(1):
        small = _encoder(cifar, {**base, "upscale": 3.0})
        wall, cpu, _ = _timed(cifar, small.encode)
    minutes = 60_000 / (len(cifar) / cpu) / (os.cpu_count() or 1) / 60
    rows.append(_row(f"CIFAR-10 3x (96 px) SIFT+PCA+FV K={components}", len(cifar), wall, cpu,
                     f"60k images on {os.cpu_count()} cores: ~{minutes:.1f} min"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100, help="images per dataset (a balanced sample)")
    parser.add_argument("--components", type=int, default=256, help="GMM components K")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from scripts.bench_input import format_table  # the same row format as the input benchmark

    print(format_table(bench(args.data_dir, args.images, args.components)))
    print(f"({os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; "
          "img/s/core = images per CPU-second)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
