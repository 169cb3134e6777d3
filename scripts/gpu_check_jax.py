"""GPU check of the networks under Keras' JAX backend (for machines without TensorFlow).

    KERAS_BACKEND=jax python -m scripts.gpu_check_jax [--out results.json]

The trainer is TensorFlow; this script exists because the GPU hosts this
project is checked on carry JAX but not TensorFlow. It builds the same Keras
models (alexnet/model.py is backend-neutral: LRN falls back to keras.ops), then

1. checks the exact parameter counts of the ImageNet variants;
2. checks that the GPU and the CPU give the same logits for the same weights;
3. times the paper's training step (batch 128, SGD with momentum 0.9, 1000
   classes; alexnet64 at 200 classes and 56 px) in float32 and mixed_bfloat16,
   reporting images/s, GFLOP/s (FLOPs per image from alexnet/flops.py) and
   their share of the device's peak, measured here with a large matrix product;
4. times the paper's conv2 as two tower branches against one
   Conv2D(groups=2), forward and backward.

Prints one table and writes the numbers as JSON (under 5 minutes on one GPU;
keep the last result in results/gpu/).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from alexnet import flops, model as M  # noqa: E402

EXPECTED = {"alexnet2012": 60_965_224, "alexnet2014": 61_100_840}
# (classes, input size) of each timed network.
TIMED = {"alexnet2012": (1000, 224), "alexnet2014": (1000, 224), "alexnet64": (200, 56)}


def peak_gflops(dtype: str, n: int = 8192, reps: int = 20) -> float:
    """GFLOP/s of an n x n matrix product in `dtype` on the default device."""
    import jax.numpy as jnp
    a = jnp.asarray(np.random.default_rng(0).normal(size=(n, n)), dtype)
    product = jax.jit(lambda x: x @ x)
    product(a).block_until_ready()
    start = time.perf_counter()
    for _ in range(reps):
        out = product(a)
    out.block_until_ready()
    return 2 * n ** 3 * reps / (time.perf_counter() - start) / 1e9


def time_tower_forms(batch: int = 128, steps: int = 30) -> dict:
    """Seconds per step (forward and the input's gradient) of conv2 as two branches and as
    Conv2D(groups=2)."""
    M.set_precision("mixed_bfloat16")
    x = jax.device_put(np.random.default_rng(0).normal(size=(batch, 27, 27, 96)).astype("float32"))
    branches = [keras.layers.Conv2D(128, 5, padding="same", activation="relu") for _ in range(2)]
    grouped = keras.layers.Conv2D(256, 5, padding="same", groups=2, activation="relu")
    forms = {"branches": lambda v: keras.ops.concatenate([b(v[..., 48 * i:48 * (i + 1)])
                                                          for i, b in enumerate(branches)], -1),
             "groups=2": grouped}
    out = {}
    for name, layer in forms.items():
        layer(x)
        step = jax.jit(jax.grad(lambda v, layer=layer: keras.ops.sum(keras.ops.cast(layer(v), "float32"))))
        step(x).block_until_ready()
        start = time.perf_counter()
        for _ in range(steps):
            g = step(x)
        g.block_until_ready()
        out[name] = (time.perf_counter() - start) / steps
    return out


def check_counts() -> dict:
    M.set_precision("float32")
    return {arch: M.build_model(arch, 1000, 224).count_params() for arch in EXPECTED}


def gpu_matches_cpu(arch: str) -> float:
    """Largest |logit difference| between the accelerator and the CPU, same weights."""
    M.set_precision("float32")
    keras.utils.set_random_seed(0)
    net = M.build_model(arch, 1000, 224)
    x = np.random.default_rng(0).normal(0, 50, (4, 224, 224, 3)).astype("float32")
    on_gpu = np.asarray(net(x, training=False))
    with jax.default_device(jax.devices("cpu")[0]):
        on_cpu = np.asarray(net(jax.device_put(x, jax.devices("cpu")[0]), training=False))
    return float(np.abs(on_gpu - on_cpu).max() / (np.abs(on_cpu).max() + 1e-12))


def time_training(arch: str, precision: str, batch: int = 128, steps: int = 30) -> dict:
    M.set_precision(precision)
    keras.utils.set_random_seed(0)
    classes, size = TIMED[arch]
    net = M.build_model(arch, classes, size)
    net.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True)
    x = jax.device_put(np.random.default_rng(0).normal(0, 50, (batch, size, size, 3)).astype("float32"))
    y = jax.device_put(np.arange(batch) % classes)
    losses = [float(net.train_on_batch(x, y)) for _ in range(5)]  # compile and warm up
    start = time.perf_counter()
    for _ in range(steps):
        loss = net.train_on_batch(x, y)
    float(loss)  # wait for the device
    elapsed = time.perf_counter() - start
    rate = batch * steps / elapsed
    return {"arch": arch, "precision": precision, "batch": batch, "images_per_s": rate,
            "gflop_per_image": flops.training_flops(net) / 1e9,
            "gflop_per_s": rate * flops.training_flops(net) / 1e9,
            "first_losses": losses, "last_loss": float(loss)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="gpu_check.json")
    parser.add_argument("--quick", action="store_true", help="batch 4, 2 timed steps: a smoke test on a CPU")
    args = parser.parse_args()
    batch, steps = (4, 2) if args.quick else (128, 30)
    result = {"devices": [str(d) for d in jax.devices()], "jax": jax.__version__, "keras": keras.__version__,
              "params": check_counts(), "expected_params": EXPECTED}
    result["gpu_vs_cpu_rel_diff"] = {arch: gpu_matches_cpu(arch) for arch in EXPECTED}
    result["peak_gflop_per_s"] = {p: peak_gflops(d, 512 if args.quick else 8192)
                                  for p, d in (("float32", "float32"), ("mixed_bfloat16", "bfloat16"))}
    result["training"] = [time_training(a, p, batch, steps) for a in TIMED for p in ("float32", "mixed_bfloat16")]
    for row in result["training"]:
        row["of_peak"] = row["gflop_per_s"] / result["peak_gflop_per_s"][row["precision"]]
    result["conv2_seconds_per_step"] = time_tower_forms(batch, steps)
    print(f"devices: {result['devices']}")
    for arch in EXPECTED:
        ok = "ok" if result["params"][arch] == EXPECTED[arch] else "MISMATCH"
        print(f"{arch}: {result['params'][arch]:,} parameters ({ok}); GPU vs CPU logits rel. diff "
              f"{result['gpu_vs_cpu_rel_diff'][arch]:.2e}")
    # Timing only: the same random batch again and again, so the losses mean nothing.
    print(f"peak (matrix product): {result['peak_gflop_per_s']}")
    print(f"{'arch':<13} {'precision':<15} {'batch':>5} {'images/s':>9} {'GFLOP/s':>9} {'of peak':>8}")
    for row in result["training"]:
        print(f"{row['arch']:<13} {row['precision']:<15} {row['batch']:5d} {row['images_per_s']:9.0f} "
              f"{row['gflop_per_s']:9.0f} {100 * row['of_peak']:7.0f}%")
    print(f"conv2, seconds per step (forward and input gradient): {result['conv2_seconds_per_step']}")
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
