"""Fake but valid run records for the reporting tests: the trainer's and baseline's format.

A fake record has every file the real ones have (config, provenance, metrics,
eval, predictions, done) with made-up numbers, and is written with the same
`alexnet.records` helpers, so the readers are tested against the format itself.
Folder names carry a chosen UTC stamp so tests control which run is newest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alexnet import records, run_folder

HARDWARE = {"cpu": "Test CPU", "cpu_cores": 2, "gpus": []}


def _experiment(dataset: str, what: str) -> str:
    return f"{dataset.split(':')[0]}_{what}"  # 'folder:/x' would put a '/' in the folder name


def cnn_config(dataset: str = "imagenette", arch: str = "alexnet2012", num_classes: int = 4, **extra) -> dict:
    config = {"experiment": _experiment(dataset, arch), "dataset": dataset, "arch": arch,
              "num_classes": num_classes, "image_size": 224, "epochs": 5, "train_fraction": 1.0}
    config.update(extra)
    return config


def baseline_config(dataset: str = "imagenette", **extra) -> dict:
    config = {"experiment": _experiment(dataset, "fisher"), "dataset": dataset, "model": "dsift_fv_svm",
              "gmm_components": 256}
    config.update(extra)
    return config


def cnn_eval(top1: float, top5: float, n_images: int = 40, dataset: str = "imagenette",
             arch: str = "alexnet2012") -> dict:
    return {"model": arch, "dataset": dataset, "split": "val", "n_images": n_images,
            "centre": {"top1_err_pct": top1, "top5_err_pct": top5},
            "ten_crop": {"top1_err_pct": top1 - 1.25, "top5_err_pct": top5 - 0.5},
            "params": 60_965_224, "train_time_s": 5432.1, "hardware": HARDWARE}


def baseline_eval(top1: float, top5: float, n_images: int = 40, dataset: str = "imagenette") -> dict:
    return {"model": "dsift_fv_svm", "dataset": dataset, "split": "val", "n_images": n_images,
            "centre": {"top1_err_pct": top1, "top5_err_pct": top5}, "ten_crop": None,
            "params": 1_310_730, "train_time_s": 812.5, "hardware": HARDWARE}


def metrics_rows(epochs: int = 5, drop_at: int = 4) -> list[dict]:
    """Falling errors, with the learning rate divided by 10 from epoch `drop_at`."""
    rows = []
    for e in range(1, epochs + 1):
        rows.append({"epoch": e, "lr": 0.01 if e < drop_at else 0.001, "train_loss": 2.0 / e,
                     "train_top1_err_pct": 80.0 / e, "train_top5_err_pct": 40.0 / e,
                     "heldout_loss": 2.2 / e, "heldout_top1_err_pct": 85.0 / e + 5,
                     "heldout_top5_err_pct": 45.0 / e + 2,
                     "images_per_s": 500.0, "wall_s": 60.0 * e})
    return rows


def fake_predictions(n_images: int, num_classes: int, accuracy: float, seed: int) -> dict:
    """Scores whose argmax is right for about `accuracy` of the images."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_images) % num_classes
    probs = rng.random((n_images, num_classes)).astype(np.float32)
    right = rng.random(n_images) < accuracy
    probs[np.arange(n_images)[right], labels[right]] += 2.0
    return {"probs": probs, "labels": labels.astype(np.int32),
            "class_names": np.asarray([f"class{c}" for c in range(num_classes)])}


def make_run(runs_dir: Path, stamp: str, config: dict, eval_result: dict | None,
             metrics: list[dict] | None = None, preds: dict | None = None, done: bool = True) -> Path:
    """Writes one run folder `<stamp>-<experiment>-<hash>` like the trainer and baseline do."""
    run_dir = Path(runs_dir) / f"{stamp}-{config['experiment']}-{records.config_hash(config)}"
    run_dir.mkdir(parents=True)
    records.write_json_atomic(run_dir / "config.json", config)
    records.write_json_atomic(run_dir / "provenance.json", {
        "git_commit": "0" * 40, "git_dirty": False, "hardware": HARDWARE,
        "dataset": {"name": config["dataset"], "root": "/data", "n_images": 100,
                    "fingerprint": {"n_files": 100, "sha256": "0123456789abcdef"}}})
    for row in metrics or []:
        records.append_metrics(run_dir, row)
    if eval_result is not None:
        records.write_eval(run_dir, eval_result)
    if preds is not None:
        np.savez(run_dir / "predictions.npz", **preds)
    if done:
        run_folder.mark_done(run_dir)
    return run_dir


def fake_scale(runs_dir: Path, dataset: str = "imagenette", num_classes: int = 4) -> dict[str, Path]:
    """An older and a newer CNN run, a baseline run and an unfinished run of one scale."""
    n = 10 * num_classes
    return {
        "old_cnn": make_run(runs_dir, "20250101T000000Z", cnn_config(dataset, num_classes=num_classes, seed=1),
                            cnn_eval(50.0, 20.0, n, dataset), metrics_rows(),
                            fake_predictions(n, num_classes, 0.5, 0)),
        "cnn": make_run(runs_dir, "20250102T000000Z", cnn_config(dataset, num_classes=num_classes),
                        cnn_eval(31.234567890123, 9.87654321, n, dataset), metrics_rows(),
                        fake_predictions(n, num_classes, 0.7, 1)),
        "baseline": make_run(runs_dir, "20250101T120000Z", baseline_config(dataset),
                             baseline_eval(45.5, 15.25, n, dataset), None,
                             fake_predictions(n, num_classes, 0.55, 2)),
        "unfinished": make_run(runs_dir, "20250103T000000Z", cnn_config(dataset, num_classes=num_classes, seed=3),
                               None, metrics_rows(2), done=False),
    }


def make_image_folder(root: Path, classes: int = 3, train_per_class: int = 8, val_per_class: int = 4,
                      size: int = 32) -> Path:
    """A tiny class-folder dataset `<root>/{train,val}/<class>/*.png`: a colour per class plus noise.

    Deterministic (seeded), so its fingerprint, and hence the colour statistics
    the data pipeline caches for it, are the same in every test session.
    """
    from PIL import Image

    rng = np.random.default_rng(0)
    base = rng.integers(40, 216, size=(classes, 3))
    for split, n in (("train", train_per_class), ("val", val_per_class)):
        for c in range(classes):
            folder = Path(root) / split / f"colour{c}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                noise = rng.normal(0, 30, size=(size, size, 3))
                pixels = np.clip(base[c] + noise, 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{split}_{c}_{i:03d}.png")
    return Path(root)


# The tiny trainer config the end-to-end tests share: a cifar_convnet on 24 px crops of a
# `make_image_folder` dataset, float32 on one device, no checkpoints on a timer, no cache.
TINY_CNN = dict(num_classes=3, arch="cifar_convnet", image_size=24, resize=32, init="he", lr=0.001,
                batch_size=4, precision="float32", strategy="one_device", checkpoint_every_steps=0,
                cache=False)


def tiny_cnn_config(experiment: str, data_root: Path, **extra) -> dict:
    """The keys a tiny trainer run sets over `base_config()`, with `extra` on top."""
    return {"experiment": experiment, "dataset": f"folder:{data_root}", **TINY_CNN, **extra}


def write_tiny_cnn_file(path: Path, experiment: str, data_root: Path, **extra) -> Path:
    """An experiment file (what `--config` takes) for a tiny trainer run; returns its path."""
    keys = tiny_cnn_config(experiment, data_root, **extra)
    Path(path).write_text("from alexnet.defaults import base_config\n\n\ndef get_config():\n"
                          f"    c = base_config()\n    c.update({keys!r})\n    return c\n")
    return Path(path)


def train_small_run(runs_dir: Path, data_root: Path, epochs: int = 2) -> Path:
    """A real, finished CNN run from the trainer: a tiny cifar_convnet on `data_root`.

    Goes through `alexnet.train.run`, so the record (checkpoints, eval.json,
    predictions.npz) is exactly what the trainer writes today.
    """
    from alexnet import train
    from alexnet.defaults import base_config

    config = base_config()
    config.update(tiny_cnn_config("tiny_cifar_convnet", data_root, epochs=epochs, batch_size=8,
                                  eval_batch_size=20, holdout_fraction=0.2))
    return Path(train.run(config, run_dir=Path(runs_dir) / f"20250110T000000Z-tiny_cifar_convnet-"
                                                            f"{records.config_hash(config)}", verbose=False))


def fake_seeds(runs_dir: Path, top1s: list[float], dataset: str = "cifar10", arch: str = "cifar_alexnet",
               first_stamp: int = 1, **extra) -> list[Path]:
    """Runs of one recipe that differ only in `seed` (0, 1, ...), one a day from 2025-02-0<first_stamp>,
    with top-1 errors `top1s` (top-5: a tenth of each)."""
    return [make_run(runs_dir, f"202502{first_stamp + seed:02d}T000000Z",
                     cnn_config(dataset, arch, num_classes=10, seed=seed, **extra),
                     cnn_eval(top1, top1 / 10, 40, dataset, arch), metrics_rows())
            for seed, top1 in enumerate(top1s)]


def ensemble_config(members: list, dataset: str = "cifar10") -> dict:
    """An `alexnet.ensemble` definition: [experiment file, [key=value overrides]] per member."""
    return {"experiment": _experiment(dataset, "ensemble"), "dataset": dataset, "model": "cifar_alexnet_ensemble",
            "members": [[file, list(overrides)] for file, overrides in members]}


def ensemble_eval(top1: float, top5: float, member_ids: list[str], dataset: str = "cifar10") -> dict:
    """An ensemble's eval.json: the averaged errors and its member runs."""
    result = cnn_eval(top1, top5, 40, dataset, "cifar_alexnet_ensemble")
    return {**result, "members": list(member_ids)}
