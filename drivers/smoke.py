"""A quick look: both models end to end on a small slice of real images, in minutes.

    make smoke                       # .venv/bin/python -m drivers.smoke
    .venv/bin/python -m drivers.smoke --dir /tmp/look --per-class 100

What `make reproduce` does, at toy size: a scratch dataset of links to the
first CIFAR-10 JPEGs under $DATA_DIR (10 classes, `--per-class` training and
`--val-per-class` test images each), the CIFAR-10 CNN recipe for a few epochs,
the 2012-form Fisher vectors with a small GMM, then the tables and figures.
Everything goes to one scratch folder (default: <RUNS_DIR>/smoke-<UTC>, inside
the git-ignored runs/), never into results/, so `git status` stays clean. The
numbers say only that every stage ran: a few hundred images are no benchmark.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from alexnet import run_folder
from alexnet.cli import run_command
from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config
from drivers import preflight
from drivers.preflight import Stage

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# What the smoke changes in the CIFAR-10 recipes: little data, few epochs, a small GMM.
CNN_OVERRIDES = ["epochs=8", "warmup_epochs=1", "checkpoint_every_steps=0", "chance_guard_steps=0"]
FV_OVERRIDES = ["gmm_components=16", "gmm_samples=20000", "svm_select_fraction=1.0", "cache_shard_size=500"]


def link_slice(cifar_dir: Path, root: Path, per_class: int, val_per_class: int) -> str:
    """folder:<root> with links to the first JPEGs of each CIFAR-10 class (test/ serves as val/)."""
    if not (cifar_dir / "train").is_dir():
        raise ConfigError(f"make smoke reads CIFAR-10 JPEGs from {cifar_dir}/{{train,test}}/<class>/ and found none; "
                          "set DATA_DIR to the folder holding cifar10/ (README: Data)")
    for split, source, n in (("train", "train", per_class), ("val", "test", val_per_class)):
        for name in CLASSES:
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for path in sorted((cifar_dir / source / name).glob("*.jpg"))[:n]:
                if not (folder / path.name).exists():
                    (folder / path.name).symlink_to(path.resolve())
    return f"folder:{root}"


def smoke(scratch: Path, per_class: int, val_per_class: int) -> list[Path]:
    """Runs both models and the reports inside `scratch`; returns the files written."""
    start = time.time()
    data_dir = Path(os.environ.get("DATA_DIR", "../shared/data"))
    dataset = link_slice(data_dir / "cifar10", scratch / "data" / "cifar10-slice", per_class, val_per_class)
    # Run folders and the vector cache go to the scratch folder too.
    os.environ["RUNS_DIR"] = str(scratch / "runs")
    os.environ["FV_CACHE_DIR"] = str(scratch / "cache")
    from alexnet import train
    from baselines import run as baseline
    from baselines.defaults import fv_optional_config
    cnn = train.resolve_config(EXPERIMENTS_DIR / "cifar10_convnet.py",
                               [f"dataset={dataset}", "experiment=smoke_cnn", *CNN_OVERRIDES])
    fv = baseline.validate(load_config(EXPERIMENTS_DIR / "fv_cifar10.py",
                                       [f"dataset={dataset}", "experiment=smoke_fv", *FV_OVERRIDES],
                                       fv_optional_config()))
    preflight.check([Stage("cnn", cnn), Stage("fv", fv)])
    print(f"\n=== 1/3 smoke: the CNN ({per_class} images a class, {cnn['epochs']} epochs) ===", flush=True)
    runs = [run_folder.find_or_run(cnn, train.run, "CNN")]
    print("\n=== 2/3 smoke: the Fisher vectors (K=16) ===", flush=True)
    runs.append(run_folder.find_or_run(fv, baseline.run, "baseline"))
    print("\n=== 3/3 smoke: tables and figures ===", flush=True)
    from reporting import figures, tables
    ids = [r.name for r in runs]
    written = tables.generate(scratch / "runs", scratch / "results", run_ids=ids)
    written += figures.generate(scratch / "runs", scratch / "results", run_ids=ids, max_images=200)
    for path in written:
        print(f"wrote {path}")
    print(f"\nsmoke test passed in {(time.time() - start) / 60:.1f} min; everything is in {scratch}")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: <RUNS_DIR>/smoke-<UTC>)")
    parser.add_argument("--per-class", type=int, default=100, help="training images per class (default 100)")
    parser.add_argument("--val-per-class", type=int, default=20, help="val images per class (default 20)")
    args = parser.parse_args(argv)
    scratch = args.dir or run_folder.runs_root() / f"smoke-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    return run_command(lambda: smoke(scratch.resolve(), args.per_class, args.val_per_class), (ValueError,))


if __name__ == "__main__":
    sys.exit(main())
