"""Input-pipeline throughput: images per second per CPU core, train and eval transforms.

    python -m scripts.bench_input [--images 2000] [--threads 1] [--batch-size 128]

Runs on imagenette2-224 under DATA_DIR (224 px JPEGs: a train crop decodes a
196 px window and resizes it to 224). The encoded bytes are cached in memory
first, as in training, so the numbers measure decoding and transforms, not the
disk. tf.data is limited to `--threads` threads, and the per-core figure is
images per CPU-second of this process (all threads), which stays meaningful
when other programs share the machine; images/s is wall-clock.
Goal (issue 3): >= 400 train images/s per core.
"""

from __future__ import annotations

import argparse
import os
import time

GOAL_PER_CORE = 400.0


def _time_pass(dataset) -> tuple[int, float, float]:
    """(images, wall seconds, CPU seconds) for one full pass."""
    n, wall, cpu = 0, time.perf_counter(), time.process_time()
    for images, _ in dataset:
        n += int(images.shape[0])
    return n, time.perf_counter() - wall, time.process_time() - cpu


def bench(data_dir: str | None = None, n_images: int = 2000, batch_size: int = 128,
          threads: int = 1) -> list[dict]:
    """One row per transform: {'benchmark', 'images', 'threads', 'images_per_s',
    'images_per_s_per_core', 'note'} (per core = images per CPU-second)."""
    import tensorflow as tf

    from alexnet import data

    full = data.get_source("imagenette", "train", data_dir=data_dir)
    source = full.select(data.balanced_subset(full.labels, min(1.0, n_images / full.n_images), seed=0))
    for _ in source.cached_stream():  # fill the in-memory cache of encoded bytes; not timed
        pass
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    cases = [
        ("train: random crop+flip+PCA (224 of 256)",
         data.train_dataset(source, batch_size, colour_stats=data.IMAGENET_COLOUR_STATS)),
        ("eval: centre crop", data.eval_dataset(source, batch_size)),
        ("eval: ten crops", data.eval_dataset(source, max(1, batch_size // 10), ten_crop=True)),
    ]
    rows = []
    for name, dataset in cases:
        n, wall, cpu = _time_pass(dataset.with_options(options))
        per_core = n / cpu
        note = f"goal >= {GOAL_PER_CORE:.0f}" if name.startswith("train") else ""
        rows.append({"benchmark": f"input {name}", "images": n, "threads": threads,
                     "images_per_s": round(n / wall, 1), "images_per_s_per_core": round(per_core, 1),
                     "note": note})
    return rows


def format_table(rows: list[dict]) -> str:
    """Fixed-width text table of `bench` rows."""
    header = f"{'benchmark':48} {'images':>7} {'threads':>7} {'img/s':>8} {'img/s/core':>10}  note"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['benchmark']:48} {r['images']:7d} {r['threads']:7d} {r['images_per_s']:8.1f} "
                     f"{r['images_per_s_per_core']:10.1f}  {r['note']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="images per pass (a balanced sample)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1, help="tf.data threads")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    rows = bench(args.data_dir, args.images, args.batch_size, args.threads)
    print(format_table(rows))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"({os.cpu_count()} CPU cores, load average {load:.1f}; img/s/core = images per CPU-second)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
