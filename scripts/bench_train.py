"""Training and evaluation speed against the machine: FLOP utilisation, the plain-Keras reference, the input.

    .venv/bin/python -m scripts.bench_train [--arch alexnet2012,alexnet64] [--steps 8] [--rounds 3]
        [--batch-size 128] [--precisions float32,mixed_bfloat16] [--inputs synthetic,real] [--jit]

For each precision, measures the machine's peak (a large matrix product in
that precision on all cores), then for each network, in interleaved rounds
(median reported): the trainer's own training step (trainer.Trainer, the code
`alexnet.train` runs), the same layers as a plain-Keras model with a bare
step (scripts/reference_nets.py), and the evaluation forward pass. Each row
gives FLOPs per image (alexnet/flops.py), the achieved GFLOP/s and their share
of the peak. Then the training step on
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
import time

import numpy as np
import tensorflow as tf

from alexnet import distribute, inputs
from alexnet.trainer import Trainer
from alexnet.config import load_config
from alexnet.records import REPO_ROOT, hardware, hardware_summary

# The experiment whose settings (image size, dataset, batch) each network is benchmarked with.
CONFIGS = {"alexnet2012": "imagenette_alexnet.py", "alexnet2014": "imagenette_alexnet.py",
           "cifar_convnet": "cifar10_convnet.py", "cifar_alexnet": "cifar10_convnet.py",
           "alexnet64": "tiny_imagenet_alexnet.py"}
DEFAULT_ARCHS = ("alexnet2012", "alexnet2014", "cifar_convnet", "cifar_alexnet", "alexnet64")
PEAK_N = 2048


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


def peak_gflops(precision: str, n: int = PEAK_N, reps: int = 10, tries: int = 5) -> float:
    """The machine's measured peak: GFLOP/s of an n x n matrix product in the
    precision's compute dtype (bfloat16 for mixed_bfloat16), on all cores; the
    best of `tries` timings of `reps` products, since a peak is what the cores
    reach when nothing slows them (one timing moved by 20% between runs)."""
    dtype = {"float32": tf.float32, "mixed_bfloat16": tf.bfloat16, "mixed_float16": tf.float16}[precision]
    a, b = (tf.cast(tf.random.normal([n, n]), dtype) for _ in range(2))
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    product().numpy()
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        for _ in range(reps):
            product().numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 * reps / best / 1e9


def _eval_timer(model, images, steps: int, warmup: int):
    """A callable giving seconds per batch of the evaluation forward pass (softmax of the
    logits, as `evaluate.predict`); traced once, so every round times the same graph."""
    forward = tf.function(lambda x: tf.nn.softmax(model(x, training=False)))

    def seconds_per_batch() -> float:
        for _ in range(warmup):
            forward(images).numpy()
        start = time.perf_counter()
        for _ in range(steps):
            forward(images).numpy()
        return (time.perf_counter() - start) / steps
    return seconds_per_batch


def _time_reference(arch, config, images, labels, steps: int, warmup: int):
    """Seconds per step of the plain-Keras reference (scripts/reference_nets.py), or None if it has none."""
    from scripts.reference_nets import reference_model, reference_step
    try:
        model = reference_model(arch, config["num_classes"], config["image_size"])
    except ValueError:
        return lambda: None
    step = reference_step(model, config["lr"], config["weight_decay"])

    def timed():
        for _ in range(warmup):
            step(images, labels).numpy()
        start = time.perf_counter()
        for _ in range(steps):
            step(images, labels).numpy()
        return (time.perf_counter() - start) / steps
    return timed


def tower_forms(precision: str, batch_size: int, steps: int, warmup: int) -> list[dict]:
    """The paper's conv2 (two towers of 128 filters, each reading its own 48 maps) as two
    branches, as alexnet2012 builds it, against one Conv2D(groups=2): the forward pass and
    the gradient with respect to the input."""
    from alexnet import model as model_lib
    model_lib.set_precision(precision)
    import keras
    x = tf.random.normal([batch_size, 27, 27, 96])
    branches = [keras.layers.Conv2D(128, 5, padding="same", activation="relu") for _ in range(2)]
    grouped = keras.layers.Conv2D(256, 5, padding="same", groups=2, activation="relu")
    forms = {"conv2 as two branches": lambda v: tf.concat([b(v[..., 48 * i:48 * (i + 1)])
                                                           for i, b in enumerate(branches)], -1),
             "conv2 as Conv2D(groups=2)": grouped}
    rows = []
    for name, layer in forms.items():
        layer(x)  # build

        @tf.function
        def step(v, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(v)
                loss = tf.reduce_sum(tf.cast(layer(v), tf.float32))
            return tape.gradient(loss, v)
        for _ in range(warmup):
            step(x).numpy()
        start = time.perf_counter()
        for _ in range(steps):
            step(x).numpy()
        seconds = (time.perf_counter() - start) / steps
        flop = 2 * 2 * 27 * 27 * 256 * 5 * 5 * 48  # forward and the input's gradient (no weight gradient)
        rows.append({**_row("alexnet2012", precision, name, batch_size, seconds),
                     "gflop_per_image": round(flop / 1e9, 3),
                     "gflop_per_s": round(batch_size / seconds * flop / 1e9, 1)})
    return rows


def bench(archs=DEFAULT_ARCHS, precisions=("float32", "mixed_bfloat16"),
          input_kinds=("synthetic", "real"), batch_size: int = 128, steps: int = 8,
          warmup: int = 3, jit_compile: bool = False, data_dir: str | None = None,
          rounds: int = 3) -> list[dict]:
    """Measures training and evaluation speed against the machine; one row per measurement.

    The default networks are those of the three CPU recipes (Imagenette,
    CIFAR-10 and Tiny ImageNet); a training run's metrics.csv images/s should
    come within ~10% of its synthetic row on an idle machine. Per precision,
    first the machine's peak (`peak_gflops`); per network, `rounds`
    interleaved rounds of (project step, plain-Keras reference step, evaluation
    forward pass at the experiment's eval_batch_size) on synthetic input, each
    row the median of its rounds, then the real input once. FLOPs per image:
    alexnet/flops.py.

    Args:
      archs: the networks (a name or a sequence); each one's experiment (CONFIGS)
        supplies the rest.
      precisions: dtype policies to compare.
      input_kinds: 'synthetic' and/or 'real' (the experiment's dataset).
      batch_size: global training batch (evaluation uses the experiment's eval_batch_size).
      steps, warmup: timed and untimed steps per measurement.
      jit_compile: XLA for the forward and backward pass.
      data_dir: where the datasets live (default $DATA_DIR).
      rounds: interleaved rounds of the synthetic measurements.

    Returns:
      Rows {arch, precision, input, batch, images_per_s, ms_per_step, gflop_per_image,
      gflop_per_s, of_peak, vs}: `vs` is the project step against the reference
      ("vs_reference"), evaluation against training, or real against synthetic input.
    """
    from alexnet import flops
    rows = []
    for precision in precisions:
        model_lib_policy(precision)
        peak = peak_gflops(precision)
        rows.append({**_row("machine", precision, f"matmul peak ({PEAK_N}x{PEAK_N})", None, None),
                     "gflop_per_s": round(peak, 1)})
        for arch in [archs] if isinstance(archs, str) else archs:
            config = load_config(REPO_ROOT / "experiments" / CONFIGS[arch],
                                 [f"arch={arch!r}", f"precision={precision!r}", f"batch_size={batch_size}",
                                  f"jit_compile={jit_compile}", "strategy='one_device'"])
            config["data_dir"] = data_dir
            trainer = Trainer(config, distribute.make_strategy(config))
            per_image = {"train": flops.training_flops(trainer.model), "eval": flops.forward_flops(trainer.model)}
            images = tf.random.normal([trainer.per_replica_batch, config["image_size"], config["image_size"], 3])
            labels = tf.random.uniform([trainer.per_replica_batch], 0, config["num_classes"], tf.int32)
            synthetic = tf.data.Dataset.from_tensors((images, labels)).repeat()
            reference = _time_reference(arch, config, images, labels, steps, warmup)
            # Evaluation at the experiment's own eval batch (larger than training's in the CIFAR
            # and Tiny recipes: no gradients to hold), as `alexnet.evaluate` runs it.
            eval_batch = config["eval_batch_size"]
            eval_images = tf.random.normal([eval_batch, config["image_size"], config["image_size"], 3])
            evaluation = _eval_timer(trainer.model, eval_images, steps, warmup)
            times = {"train": [], "reference": [], "eval": []}
            for _ in range(rounds if "synthetic" in input_kinds else 0):
                times["train"].append(_time_steps(trainer, synthetic, steps, warmup))
                times["reference"].append(reference())
                times["eval"].append(evaluation())
            train_s = _median(times["train"])
            if train_s is not None:
                ref_s = _median(times["reference"])
                rows.append(_flop_row(_row(arch, precision, "synthetic", batch_size, train_s),
                                      per_image["train"], peak,
                                      None if ref_s is None else _ratio(ref_s / train_s, "reference")))
                if ref_s is not None:
                    rows.append(_flop_row(_row(arch, precision, "plain Keras reference, synthetic", batch_size,
                                               ref_s), per_image["train"], peak, None))
                rows.append(_flop_row(_row(arch, precision, "evaluation, synthetic", eval_batch,
                                           _median(times["eval"])), per_image["eval"], peak,
                                      _ratio((eval_batch / _median(times["eval"])) / (batch_size / train_s),
                                             "training")))
            if arch == "alexnet2012" and "synthetic" in input_kinds:
                rows += tower_forms(precision, batch_size, steps, warmup)
            if "real" in input_kinds:
                rows += _real_rows(arch, precision, config, trainer, batch_size, steps, warmup, train_s,
                                   per_image["train"], peak)
    return rows


def model_lib_policy(precision: str) -> None:
    from alexnet import model as model_lib
    model_lib.set_precision(precision)


def _median(values):
    values = [v for v in values if v is not None]
    return float(np.median(values)) if values else None


def _ratio(value: float, against: str) -> str:
    return f"{value:.2f}x {against}"


def _flop_row(row: dict, flop_per_image: int, peak: float, vs) -> dict:
    rate = row["images_per_s"]
    achieved = None if rate is None else rate * flop_per_image / 1e9
    return {**row, "gflop_per_image": round(flop_per_image / 1e9, 3),
            "gflop_per_s": None if achieved is None else round(achieved, 1),
            "of_peak": None if achieved is None else f"{100 * achieved / peak:.0f}%", "vs": vs}


def _real_rows(arch, precision, config, trainer, batch_size, steps, warmup, synthetic_s, flop_per_image, peak):
    """The experiment's own input pipeline alone, then feeding the training step."""
    from alexnet.config import ConfigError
    try:
        sources = inputs.make_sources(config)
    except ConfigError as err:  # make_sources' one line for a dataset not under DATA_DIR
        return [{**_row(arch, precision, f"{config['dataset']} (not found)", batch_size, None),
                 "vs": str(err).split(";")[0]}]
    source, stats = sources.train, inputs.colour_stats(config, sources.labelled)
    dataset = inputs.train_dataset(config, source, trainer.per_replica_batch, 0, stats).repeat()
    pipeline = _row(arch, precision, f"{config['dataset']} pipeline only", batch_size,
                    _time_pipeline(dataset, steps, warmup))
    seconds = _time_steps(trainer, dataset, steps, warmup)
    real = _flop_row(_row(arch, precision, config["dataset"], batch_size, seconds), flop_per_image, peak,
                     None if synthetic_s is None else _ratio(synthetic_s / seconds, "synthetic"))
    return [pipeline, real]


def _row(arch, precision, kind, batch, seconds) -> dict:
    """One table row; `seconds` None for a measurement that could not run."""
    rate = None if seconds is None or batch is None else batch / seconds
    return {"arch": arch, "precision": precision, "input": kind, "batch": batch,
            "images_per_s": None if rate is None else round(rate, 1),
            "ms_per_step": None if seconds is None else round(1000 * seconds, 1),
            "gflop_per_image": None, "gflop_per_s": None, "of_peak": None, "vs": None}


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
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the synthetic rows")
    parser.add_argument("--jit", action="store_true", help="XLA-compile the forward and backward pass")
    args = parser.parse_args(argv)
    rows = bench(args.arch.split(","), args.precisions.split(","), args.inputs.split(","), args.batch_size,
                 args.steps, args.warmup, args.jit, rounds=args.rounds)
    print(format_table(rows))
    hw = hardware()
    print(f"\n{hardware_summary(hw)}, tensorflow {tf.__version__}; synthetic rows: median of {args.rounds} "
          f"interleaved rounds of {args.steps} timed steps after {args.warmup} warm-up steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
