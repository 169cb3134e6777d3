"""One command per scale: train AlexNet, run both Fisher-vector baselines, write results.

    python -m drivers.reproduce imagenette     # make reproduce
    python -m drivers.reproduce cifar10        # one seed of each model
    python -m drivers.reproduce tiny_imagenet  # make reproduce-tiny-imagenet
    python -m drivers.reproduce imagenet2012   # make reproduce-imagenet
    python -m drivers.reproduce cifar10 --seeds 3     # make reproduce-cifar10: rows are 3-seed means
    python -m drivers.reproduce cifar10 --reuse-committed  # stages with a record under results/ count as done

The baselines are the 2012 entries' form (the scale's experiments/fv_*.py:
colour statistics beside SIFT, on Imagenette also a spatial pyramid) and the
plain SIFT pipeline (the same config without them,
`baselines.variants.plain_config`), so the table shows what each adds. Tiny
ImageNet runs the 2012 form only: its plain pipeline would be a second
extraction of 110,000 images (about an hour on 2 cores) for a row the other
scales already give.
Before the first stage, `drivers.preflight` checks that everything the
unfinished stages need is here (data, VLFeat, disk for the vector cache).
Each stage is resumable and skipped when finished: rerunning after a kill
continues the unfinished training from its last checkpoint, reuses cached
Fisher vectors, and regenerates tables and figures from the run records.
Overrides after the scale go to whichever model's config has the key
(`epochs=5` to the CNN, `gmm_components=64` to the baseline, `seed=1` to
both); `cnn.key=value` or `fv.key=value` aims at one. A quick look is
`python -m drivers.reproduce cifar10 epochs=3`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from alexnet import run_folder
from alexnet.cli import parse_with_overrides, run_command
from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config, overrides_from_argv
from drivers import preflight, study
from drivers.preflight import Stage

# scale -> (CNN config, baseline config)
SCALES = {
    "imagenette": ("imagenette_alexnet.py", "fv_imagenette.py"),
    "cifar10": ("cifar10_convnet.py", "fv_cifar10.py"),
    "tiny_imagenet": ("tiny_imagenet_alexnet.py", "fv_tiny_imagenet.py"),
    "imagenet2012": ("imagenet2012_alexnet.py", "fv_imagenet2012.py"),
}
# Scales whose table also has the plain SIFT pipeline.
WITH_PLAIN = ("imagenette", "cifar10", "imagenet2012")


def _banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def check_imagenet_ready(cnn_config: dict) -> None:
    """Stops with one line naming what the paper-scale run needs, if anything is missing."""
    from alexnet import data
    try:
        data.get_source("imagenet2012", "val", cnn_config.get("data_dir"))
    except data.DataError as err:
        raise ConfigError(
            f"{err}. The ILSVRC-2012 run needs ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar "
            "prepared once with `python -m alexnet.data.imagenet prepare` (README: 'ILSVRC-2012')") from None
    import tensorflow as tf
    if not tf.config.list_physical_devices("GPU"):
        raise ConfigError("the ILSVRC-2012 run needs at least one GPU (90 epochs of 1.28M images); "
                          "none is visible to TensorFlow. Install the GPU extra: "
                          "pip install -r requirements-gpu.txt")


def write_results(runs: list[str | Path], scale: str) -> None:
    """Regenerates the tables and figures of `scale` (under $RESULTS_DIR, else results/),
    citing exactly `runs`: run ids, or run folders (only their names count)."""
    from reporting import figures, tables
    from reporting.runs import results_root
    results = results_root()
    ids = [Path(d).name for d in runs]
    for path in tables.generate(run_folder.runs_root(), results, run_ids=ids, scales=[scale]):
        print(f"wrote {path}")
    for path in figures.generate(run_folder.runs_root(), results, run_ids=ids, scales=[scale]):
        print(f"wrote {path}")


def split_overrides(overrides: list[str]) -> tuple[list[str], list[str]]:
    """(CNN overrides, baseline overrides): each `key=value` goes to the config(s)
    that have the key; `cnn.` and `fv.` prefixes aim at one. ConfigError for a
    key neither has."""
    from alexnet.defaults import base_config, optional_config
    from baselines.defaults import fv_base_config, fv_optional_config
    keys = {"cnn": {*base_config(), *optional_config()}, "fv": {*fv_base_config(), *fv_optional_config()}}
    out: dict[str, list[str]] = {"cnn": [], "fv": []}
    for item in overrides_from_argv(overrides):
        key, _, value = item.partition("=")
        model, _, bare = key.partition(".") if key.startswith(("cnn.", "fv.")) else ("", "", key)
        targets = [model] if model else [m for m in ("cnn", "fv") if bare in keys[m]]
        if not targets:
            raise ConfigError(f"unknown config key '{bare}': neither the CNN's config (alexnet/defaults.py) "
                              "nor the baseline's (baselines/defaults.py) has it")
        for target in targets:
            out[target].append(f"{bare}={value}")
    return out["cnn"], out["fv"]


def scale_configs(scale: str, overrides: list[str]) -> tuple[dict, list[dict]]:
    """(the CNN's resolved config, the baselines' configs: the 2012 form, then the plain one where shown)."""
    from alexnet import train
    from baselines import run as baseline
    from baselines.defaults import fv_optional_config
    from baselines.variants import plain_config
    cnn_file, fv_file = SCALES[scale]
    cnn_overrides, fv_overrides = split_overrides(overrides)
    cnn_config = train.resolve_config(EXPERIMENTS_DIR / cnn_file, cnn_overrides)
    fv_config = baseline.validate(load_config(EXPERIMENTS_DIR / fv_file, fv_overrides, fv_optional_config()))
    return cnn_config, [fv_config, plain_config(fv_config)] if scale in WITH_PLAIN else [fv_config]


def committed_run(config: dict) -> str | None:
    """The run id of a record of exactly `config` committed under results/, when no
    finished run folder of it is here (that one is reused as always)."""
    from reporting.runs import committed_record, results_root
    if run_folder.find_finished(config["experiment"], config) is not None:
        return None
    return committed_record(config, results_root())


def _find_or_run(config: dict, runner, what: str, committed: str | None) -> str:
    """The run id of this stage: its committed record's, else `run_folder.find_or_run`'s."""
    if committed:
        print(f"{what} already done: {committed} (committed record)", flush=True)
        return committed
    return run_folder.find_or_run(config, runner, what).name


def seed_overrides(overrides: list[str], seeds: int) -> list[list[str]]:
    """The overrides of each seed's stages.

    Args:
      overrides: the command line's `key=value` overrides.
      seeds: how many seeds, 0 to seeds-1.

    Returns:
      One list per seed: `overrides` as given for the first (seed 0 unless they
      set one, which only a single seed allows), plus `seed=s` for seed s > 0.

    Raises:
      ConfigError: `seeds` < 1, or several seeds and a seed override together.
    """
    if seeds < 1:
        raise ConfigError(f"--seeds must be 1 or more, got {seeds}")
    if seeds > 1 and any(key.rpartition(".")[2] == "seed"
                         for key, _, _ in (o.partition("=") for o in overrides_from_argv(overrides))):
        raise ConfigError("give either --seeds N (seeds 0 to N-1) or a seed= override, not both")
    return [list(overrides) + ([f"seed={s}"] if s else []) for s in range(seeds)]


def plan(scale: str, overrides: list[str], seeds: int = 1) -> list[tuple[str, str, str, dict]]:
    """The stages of one scale, in the order they run.

    Each seed s < `seeds` trains the CNN and the 2012-form baseline with
    `seed=s` (initialisation, data order, held-out split, GMM: the CNN and the
    baseline of one seed hold out the same images); the plain SIFT pipeline,
    a context row, runs at seed 0 only.

    Args:
      scale: a key of SCALES.
      overrides: `key=value` overrides for either model (`split_overrides`).
      seeds: how many seeds.

    Returns:
      (kind 'cnn' or 'fv', what it is in one line, its banner, its resolved config) per stage.
    """
    cnn_file, fv_file = SCALES[scale]
    stages = []
    for s, seed_args in enumerate(seed_overrides(overrides, seeds)):
        cnn_config, fv_configs = scale_configs(scale, seed_args)
        tag = f", seed {s}" if seeds > 1 else ""
        stages.append(("cnn", f"CNN training{tag}", f"{cnn_config['arch']} ({cnn_file}){tag}", cnn_config))
        stages.append(("fv", f"baseline{tag}", f"the 2012 entries' Fisher-vector baseline ({fv_file}){tag}",
                       fv_configs[0]))
        if s == 0 and len(fv_configs) > 1:
            stages.append(("fv", "plain baseline", f"the plain SIFT Fisher-vector baseline ({fv_file} without "
                           "colour and pyramid)", fv_configs[1]))
    return stages


def reproduce(scale: str, overrides: list[str], reuse_committed: bool = False, seeds: int = 1) -> list[str]:
    """Runs both models of one scale and writes its results; returns the run ids.

    With `seeds` > 1 the CNN and the 2012-form baseline run once per seed and
    each table row is their mean and standard deviation (reporting.tables).
    With `reuse_committed`, a stage whose config has a record committed under
    results/ is not run (nor checked by preflight) and the tables cite that record.
    """
    from alexnet import train
    from baselines import run as baseline
    stages = plan(scale, overrides, seeds)
    committed = [committed_run(config) if reuse_committed else None for *_, config in stages]
    if scale == "imagenet2012" and not committed[0]:
        check_imagenet_ready(stages[0][-1])
    preflight.check([Stage(kind, config) for (kind, *_, config), done in zip(stages, committed) if not done])
    start, runs, total = time.time(), [], len(stages) + 1
    for i, ((kind, what, banner, config), done) in enumerate(zip(stages, committed), 1):
        _banner(f"{i}/{total} {scale}: {banner}")
        runs.append(_find_or_run(config, train.run if kind == "cnn" else baseline.run, what, done))
    _banner(f"{total}/{total} {scale}: tables and figures")
    write_results(runs, scale)
    print(f"\n{scale} reproduced in {(time.time() - start) / 60:.1f} min; see results/{scale}/summary.md")
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("scale", choices=sorted(SCALES))
    study.add_reuse_committed(parser)
    parser.add_argument("--seeds", type=int, default=1,
                        help="train the CNN and the 2012-form baseline with seeds 0 to N-1; the table "
                             "rows are their means (default 1; make reproduce-cifar10 uses 3)")
    parser.epilog = "config overrides go to the model(s) whose config has the key; cnn.key= or fv.key= aims at one"
    args, overrides = parse_with_overrides(parser, argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # the baseline's stages and SVM passes
    # ValueError: ConfigError, DataError and reporting's RecordError all derive from it.
    return run_command(lambda: reproduce(args.scale, overrides, args.reuse_committed, args.seeds), (ValueError,))


if __name__ == "__main__":
    sys.exit(main())
