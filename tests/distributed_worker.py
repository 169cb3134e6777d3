"""Runs one distribution check in a fresh process (tests/alexnet/test_distribute.py starts it).

    python tests/distributed_worker.py MODE OUT_JSON [overrides...]

Logical devices must be configured before TensorFlow initialises, so each
check gets its own process: this file splits the one CPU into two logical
devices, then
  mirrored      trains the same config on one device and on two replicas
                (MirroredStrategy) and reports both loss trajectories and weights;
  towers        compares alexnet2012 with its towers on /cpu:0 and /cpu:1 with
                the same network on one device;
  towers_training  trains it so placed (placement='towers');
  batch         asks for an odd global batch on two replicas;
  multi_worker  trains under MultiWorkerMirroredStrategy (TF_CONFIG set by the
                caller) and reports this worker's final weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from alexnet import model, train  # noqa: E402
from alexnet.config import ConfigError, load_config  # noqa: E402

CONFIG = Path(__file__).resolve().parent.parent / "experiments" / "cifar10_convnet.py"
# A tiny, deterministic run: synthetic images, no dropout, float32.
SMALL = ["dataset='synthetic:192:64'", "num_classes=4", "epochs=2", "batch_size=32", "precision='float32'",
         "dropout=0.0", "init='he'", "lr=0.005", "eval_ten_crop=False", "checkpoint_every_steps=0",
         "eval_batch_size=32", "arch='cifar_convnet'", "image_size=24", "holdout_fraction=0.0", "warmup_epochs=0.0", "checkpoint_every_minutes=0.0"]


def split_cpu() -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


def weights_of(run_dir: Path) -> list[np.ndarray]:
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run_dir / "checkpoints")))
    names = sorted(k for k in reader.get_variable_to_shape_map() if k.startswith("weights/"))
    return [reader.get_tensor(k) for k in names]


def train_losses(run_dir: Path) -> list[float]:
    import csv
    with open(run_dir / "metrics.csv") as f:
        return [float(row["train_loss"]) for row in csv.DictReader(f)]


def mirrored(out: dict, overrides: list[str]) -> None:
    runs = Path(os.environ["RUNS_DIR"])
    for name, extra in (("one", ["strategy='one_device'", "devices=['/cpu:0']"]),
                        ("two", ["strategy='mirrored'", "devices=['/cpu:0', '/cpu:1']"])):
        config = load_config(CONFIG, SMALL + extra + overrides)
        out[name] = train_losses(train.run(config, run_dir=runs / name, verbose=False))
    out["max_abs_weight_diff"] = max(float(np.abs(a - b).max())
                                     for a, b in zip(weights_of(runs / "one"), weights_of(runs / "two")))


def towers(out: dict, overrides: list[str]) -> None:
    model.set_precision("float32")
    keras.utils.set_random_seed(0)
    single = model.build_model("alexnet2012", 10, 99)
    placed = model.build_model("alexnet2012", 10, 99, tower_devices=("/cpu:0", "/cpu:1"))
    placed.set_weights(single.get_weights())
    images = tf.random.stateless_normal([4, 99, 99, 3], seed=[1, 2]) * 50.0
    a, b = single(images, training=False).numpy(), placed(images, training=False).numpy()
    out["max_abs_diff"] = float(np.abs(a - b).max())
    out["max_abs_logit"] = float(np.abs(a).max())
    # The placed graph really uses both devices: conv1's towers run on each.
    graph = tf.function(lambda x: placed(x, training=False)).get_concrete_function(
        tf.TensorSpec([1, 99, 99, 3])).graph
    out["devices"] = sorted({op.device.split("/")[-1] for op in graph.get_operations() if op.device})


def towers_training(out: dict, overrides: list[str]) -> None:
    """The trainer with placement='towers' trains alexnet2012 split over the two CPUs."""
    config = load_config(CONFIG, SMALL + ["arch='alexnet2012'", "image_size=67", "resize=67", "epochs=1",
                                          "placement='towers'", "tower_devices=['/cpu:0', '/cpu:1']",
                                          "dataset='synthetic:64:16'", "batch_size=16"] + overrides)
    run_dir = train.run(config, verbose=False)
    out["losses"] = train_losses(run_dir)
    out["strategy"] = json.loads((run_dir / "provenance.json").read_text())["distribution"]["strategy"]


def batch(out: dict, overrides: list[str]) -> None:
    config = load_config(CONFIG, SMALL + ["strategy='mirrored'", "devices=['/cpu:0', '/cpu:1']",
                                          "batch_size=33"] + overrides)
    try:
        train.run(config, verbose=False)
    except ConfigError as err:
        out["error"] = str(err)
    out["run_folders"] = sorted(p.name for p in Path(os.environ["RUNS_DIR"]).glob("*")) \
        if Path(os.environ["RUNS_DIR"]).exists() else []


def multi_worker(out: dict, overrides: list[str]) -> None:
    config = load_config(CONFIG, SMALL + ["strategy='multi_worker'"] + overrides)
    run_dir = train.run(config, verbose=False)
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    weights = model_weights_now()
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes() for w in weights)).hexdigest()
    out.update(run_dir=str(run_dir), task=task, weights_sha256=digest, n_weights=len(weights),
               weights_sum=[float(w.sum()) for w in weights])


def model_weights_now() -> list[np.ndarray]:
    """The weights the training loop ended with, read back from the Trainer in memory."""
    return [np.asarray(v) for v in _LAST_TRAINER[0].model.weights]


_LAST_TRAINER: list = []


def _keep_trainer() -> None:
    """Remembers each Trainer built, so multi_worker can read the in-memory weights."""
    from alexnet.trainer import Trainer
    original = Trainer.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _LAST_TRAINER[:] = [self]
    Trainer.__init__ = init


def main() -> None:
    mode, out_path, overrides = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode != "multi_worker":
        split_cpu()
    _keep_trainer()
    out: dict = {"mode": mode}
    {"mirrored": mirrored, "towers": towers, "towers_training": towers_training, "batch": batch,
     "multi_worker": multi_worker}[mode](out, overrides)
    Path(out_path).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
