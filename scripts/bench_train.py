"""Training speed: is the input pipeline or the network the bottleneck?

    python -m scripts.bench_train [--arch alexnet2012,cifar_alexnet,alexnet64] [--steps 8] [--batch-size 128]
        [--precisions float32,mixed_bfloat16] [--inputs synthetic,real] [--jit]

For each precision, times the trainer's own training step (trainer.Trainer, the
code `alexnet.train` runs) on
  * synthetic input: one batch kept in memory and fed again and again, so the
    step costs compute only;
  * real input: the experiment's training pipeline (Imagenette for AlexNet:
    images decoded once into memory, which the first warm-up step waits for,
    then crop, flip and colour noise per batch) feeding the step as in training;
  * the real pipeline alone, no training, to show what it can deliver.
If real input reaches ~90% or more of the synthetic speed, the step is compute
bound; otherwise the input pipeline holds training back. A dataset that is not
under DATA_DIR (Tiny ImageNet is not in shared/) gives one row saying so in
place of its real-input rows.
"""

from __future__ import annotations

import argparse
import itertools
import time

import tensorflow as tf

from alexnet import distribute, inputs
from alexnet.trainer import Trainer
from alexnet.config import load_config
from alexnet.records import REPO_ROOT, hardware, hardware_summary

# The experiment whose settings (image size, dataset, batch) each network is benchmarked with.
CONFIGS = {"alexnet2012": "imagenette_alexnet.py", "alexnet2014": "imagenette_alexnet.py",
           "cifar_convnet": "cifar10_convnet.py", "cifar_alexnet": "cifar10_convnet.py",
           "alexnet64": "tiny_imagenet_alexnet.py"}
DEFAULT_ARCHS = ("alexnet2012", "cifar_alexnet", "alexnet64")


def _time_steps(trainer: Trainer, dataset: tf.data.Dataset, steps: int, warmup: int) -> float:
    """Seconds per training step, after `warmup` untimed steps (tracing, caches)."""
    data = iter(trainer.distribute(lambda _: dataset))
    for _ in range(warmup):
        trainer.train_step(data).numpy()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(data).numpy()
    return (time.perf_counter() - start) / steps


def _time_pipeline(dataset: tf.data.Dataset, steps: int, warmup: int) -> float:
    """Seconds per batch of the input pipeline alone."""
    batches = iter(dataset)
    for _ in range(warmup):
        next(batches)
    start = time.perf_counter()
    for _ in range(steps):
        next(batches)
    return (time.perf_counter() - start) / steps


def bench(archs=DEFAULT_ARCHS, precisions=("float32", "mixed_bfloat16"),
          input_kinds=("synthetic", "real"), batch_size: int = 128, steps: int = 8,
          warmup: int = 3, jit_compile: bool = False, data_dir: str | None = None) -> list[dict]:
    """Measures training images/s; returns one row per (arch, precision, input).

    The default networks are those of the three CPU recipes (Imagenette,
    CIFAR-10 and Tiny ImageNet); a training run's metrics.csv images/s should come within ~10%
    of its synthetic row on an idle machine.

    Args:
      archs: the networks (a name or a sequence); each one's experiment (CONFIGS)
        supplies the rest.
      precisions: dtype policies to compare.
      input_kinds: 'synthetic' and/or 'real' (the experiment's dataset).
      batch_size: global batch.
      steps, warmup: timed and untimed steps per measurement.
      jit_compile: XLA for the forward and backward pass.
      data_dir: where the datasets live (default $DATA_DIR).

    Returns:
      Rows {arch, precision, input, batch, images_per_s, ms_per_step, vs_synthetic}.
    """
    rows = []
    for arch, precision in itertools.product([archs] if isinstance(archs, str) else archs, precisions):
        config = load_config(REPO_ROOT / "experiments" / CONFIGS[arch],
                             [f"arch={arch!r}", f"precision={precision!r}", f"batch_size={batch_size}",
                              f"jit_compile={jit_compile}", "strategy='one_device'"])
        config["data_dir"] = data_dir
        trainer = Trainer(config, distribute.make_strategy(config))
        synthetic_rate = None
        for kind in input_kinds:
            if kind == "synthetic":
                images = tf.random.normal([trainer.per_replica_batch, config["image_size"], config["image_size"], 3])
                labels = tf.random.uniform([trainer.per_replica_batch], 0, config["num_classes"], tf.int32)
                dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
            else:
                from alexnet.data import DataError
                try:
                    sources = inputs.make_sources(config)
                except DataError as err:
                    rows.append({**_row(arch, precision, f"{config['dataset']} (not found)", batch_size, None, None),
                                 "vs_synthetic": str(err).split(";")[0]})
                    continue
                source, stats = sources.train, inputs.colour_stats(config, sources.labelled)
                dataset = inputs.train_dataset(config, source, trainer.per_replica_batch, 0, stats).repeat()
                seconds = _time_pipeline(dataset, steps, warmup)
                rows.append(_row(arch, precision, f"{config['dataset']} pipeline only", batch_size, seconds, None))
            seconds = _time_steps(trainer, dataset, steps, warmup)
            label = config["dataset"] if kind == "real" else kind
            row = _row(arch, precision, label, batch_size, seconds, synthetic_rate)
            synthetic_rate = synthetic_rate or (row["images_per_s"] if kind == "synthetic" else None)
            rows.append(row)
    return rows


def _row(arch, precision, kind, batch, seconds, synthetic_rate) -> dict:
    """One table row; `seconds` None for a measurement that could not run."""
    rate = None if seconds is None else batch / seconds
    return {"arch": arch, "precision": precision, "input": kind, "batch": batch,
            "images_per_s": None if rate is None else round(rate, 1),
            "ms_per_step": None if seconds is None else round(1000 * seconds, 1),
            "vs_synthetic": None if synthetic_rate is None or rate is None else f"{100 * rate / synthetic_rate:.0f}%"}


def format_table(rows: list[dict]) -> str:
    """A Markdown table of the rows."""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join("" if r[k] is None else str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_train", description=__doc__.split("\n")[0])
    parser.add_argument("--arch", default=",".join(DEFAULT_ARCHS), help="comma-separated networks")
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--inputs", default="synthetic,real", help="synthetic and/or real (the experiment's data)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--jit", action="store_true", help="XLA-compile the forward and backward pass")
    args = parser.parse_args(argv)
    rows = bench(args.arch.split(","), args.precisions.split(","), args.inputs.split(","), args.batch_size,
                 args.steps, args.warmup, args.jit)
    print(format_table(rows))
    hw = hardware()
    print(f"\n{hardware_summary(hw)}, tensorflow {tf.__version__}; {args.steps} timed steps after "
          f"{args.warmup} warm-up steps per row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
