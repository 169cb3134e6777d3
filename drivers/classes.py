"""The classes-axis driver: both models on nested class subsets of Tiny ImageNet, then the table.

    python -m drivers.classes [--classes 10 50] [--models fv cnn] [--dry-run] [--reuse-committed]
                              [--config FILE]

experiments/tiny_imagenet_classes.py says what is measured and why. Each run
is one resolved config (`plan`); a finished run of exactly that config is
reused, an unfinished one resumed (run_folder.find_or_run). The 200-class
point is the scale's headline pair (`make reproduce-tiny-imagenet`), the same
configs unchanged. After the runs, results/tiny_imagenet/classes.* is
regenerated from every finished run of the plan (reporting.classes).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from alexnet import run_folder
from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config
from alexnet.defaults import option
from drivers import preflight, study
from drivers.preflight import Stage
from drivers.scaling import scaled_epochs

DEFAULT_CONFIG = EXPERIMENTS_DIR / "tiny_imagenet_classes.py"
ALL_CLASSES = 200
STUDY = "tiny_imagenet_classes"
MODELS = ("fv", "cnn")  # the baselines first: minutes, where the CNNs take an hour


@dataclass(frozen=True)
class Run:
    """One model at one number of classes."""

    classes: int
    model: str  # 'cnn' or 'fv'
    config: dict

    @property
    def label(self) -> str:
        return f"{self.model} at {self.classes} classes"


def dataset_name(classes: int) -> str:
    """'tiny_imagenet' for all 200 classes, else its nested subset 'tiny_imagenet:N'."""
    return "tiny_imagenet" if classes == ALL_CLASSES else f"tiny_imagenet:{classes}"


def cnn_config(config_file: str, classes: int, max_epochs: int, overrides: dict | None = None) -> dict:
    """The trainer's config at `classes` classes: the 200-class recipe, epochs scaled as in data scaling.

    `overrides` change the recipe at every number of classes alike, before the
    epochs are scaled; a key set to None is removed (its default applies), so
    an earlier recipe's runs stay found by their exact config.
    """
    from alexnet import train

    config = load_config(EXPERIMENTS_DIR / config_file)
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    if classes < ALL_CLASSES:
        base = config["epochs"]
        epochs = scaled_epochs(base, classes / ALL_CLASSES, max_epochs)
        config.update(dataset=dataset_name(classes), num_classes=classes, epochs=epochs, study=STUDY,
                      val_every_epochs=max(1, round(epochs / base)))
        if option(config, "warmup_epochs"):
            config["warmup_epochs"] = option(config, "warmup_epochs") * epochs / base
    return train.validate(config)


def fv_config(config_file: str, classes: int) -> dict:
    """The baseline's config at `classes` classes: its own encoder, the penalty searched on all fit images."""
    from baselines import run as baseline

    config = load_config(EXPERIMENTS_DIR / config_file)
    if classes < ALL_CLASSES:
        config.update(dataset=dataset_name(classes), svm_select_fraction=1.0, study=STUDY)
    return baseline.validate(config)


def plan(definition: dict, classes=None, models=MODELS) -> list[Run]:
    """The runs of the axis, optionally only some numbers of classes and models.

    Raises:
      ConfigError: a number of classes the definition lacks.
    """
    unknown = sorted(set(classes or ()) - set(definition["classes"]))
    if unknown:
        raise ConfigError(f"classes {unknown} not in the axis {definition['classes']}")
    runs = []
    for model in (m for m in MODELS if m in models):
        for n in sorted(definition["classes"]):
            if classes and n not in classes:
                continue
            config = (cnn_config(definition["cnn"], n, definition["max_epochs"], definition.get("cnn_overrides"))
                      if model == "cnn"
                      else fv_config(definition["fv"], n))
            runs.append(Run(n, model, config))
    return runs


def report(runs: list[Run], results_dir: Path | None = None) -> list[Path]:
    """Regenerates results/tiny_imagenet/classes.* from the finished runs of `runs`."""
    from reporting import classes as classes_report
    from reporting.runs import find_record, results_root

    results_dir = Path(results_dir or results_root())
    runs_dir = run_folder.runs_root()
    ids = [i for i in (find_record(r.config, runs_dir, results_dir) for r in runs) if i]
    return classes_report.generate(runs_dir, results_dir, ids) if ids else []


def execute(runs: list[Run], every: list[Run], dry_run: bool = False, reuse_committed: bool = False) -> int:
    """Runs what is unfinished (`study.finished`), one at a time, then reports on `every` run of the axis."""
    todo = [r for r in runs if study.finished(r.config, reuse_committed) is None]
    print(f"classes axis: {len(runs)} runs selected, {len(runs) - len(todo)} finished, {len(todo)} to run",
          flush=True)
    for r in runs:
        epochs = f", {r.config['epochs']} epochs" if r.model == "cnn" else ""
        print(f"  {r.label}{epochs}: {'to run' if r in todo else 'finished'}", flush=True)
    if dry_run:
        return 0
    preflight.check([Stage(r.model, r.config) for r in todo])
    from alexnet import train
    from baselines import run as baseline
    for i, r in enumerate(todo, 1):
        print(f"\n=== [{i}/{len(todo)}] {r.label} ===", flush=True)
        run_folder.find_or_run(r.config, train.run if r.model == "cnn" else baseline.run, r.label)
    for path in report(every):
        print(f"wrote {path}")
    return 0


def main(argv=None) -> int:
    parser = study.parser("python -m drivers.classes", __doc__, DEFAULT_CONFIG, MODELS)
    parser.add_argument("--classes", nargs="+", type=int, default=None, help="only these numbers of classes")
    args = parser.parse_args(argv)
    return study.run_study(args, lambda d: execute(plan(d, args.classes, args.models), plan(d), args.dry_run,
                                                   args.reuse_committed))


if __name__ == "__main__":
    sys.exit(main())
