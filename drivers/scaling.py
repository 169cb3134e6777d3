"""The data-scaling driver: plan the grid of experiments/scaling.py, run what is missing, report.

    python -m drivers.scaling [--preset NAME] [--scales S ...] [--fractions F ...]
        [--models cnn fv] [--seeds N ...] [--dry-run] [--reuse-committed] [--config FILE]

Planning turns the grid into one resolved config per run, a `Cell`: the
scale's CNN or baseline config with train_fraction and subset_seed set and,
for the CNN, the epoch count scaled (`cnn_config`). A cell is done when
`run_folder.find_finished` finds a finished run of exactly that config (with
--reuse-committed, also when its record is committed under results/); an
unfinished run of it is resumed by the trainer or the baseline themselves
(same config, same folder). A failed cell is reported and the next one runs.

After every run, results/scaling is regenerated from every finished cell of
the preset's whole grid, not only the selected ones, so partial invocations
(`--scales cifar10 --models fv`, then the rest) add up to one table.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from alexnet import run_folder
from alexnet.cli import run_command
from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config
from alexnet.defaults import option
from drivers import preflight, study
from drivers.preflight import Stage

DEFAULT_CONFIG = EXPERIMENTS_DIR / "scaling.py"
MODELS = ("fv", "cnn")  # the order cells run in: the baselines are quick once their vectors are cached


@dataclass(frozen=True)
class Cell:
    """One run of the grid: a model trained on one subset of one scale."""

    scale: str
    model: str  # 'cnn' or 'fv'
    fraction: float
    seed: int
    config: dict

    @property
    def label(self) -> str:
        return f"{self.scale} {self.model} fraction {self.fraction:g} seed {self.seed}"

    def finished(self, reuse_committed: bool = False, results_dir: Path | None = None) -> str | None:
        """Its finished run's id (`study.finished`), if any."""
        return study.finished(self.config, reuse_committed, results_dir)


def scaled_epochs(base_epochs: int, fraction: float, max_epochs: int) -> int:
    """Epochs at `fraction`: base_epochs / sqrt(fraction), capped at max_epochs (never below base).

    A smaller subset needs more passes to converge (each pass has fewer steps)
    but fewer steps in all (there is less to fit): at 1% this is 10x the passes
    and a tenth of the full run's steps, at 10% 3.2x and a third. The learning
    curves of the committed runs check the rule (experiments/scaling.py).
    """
    return max(base_epochs, min(max_epochs, round(base_epochs / math.sqrt(fraction))))


def _config_file(name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else EXPERIMENTS_DIR / path


def cnn_config(config_file: str, fraction: float, seed: int, max_epochs: int,
               overrides: dict | None = None) -> dict:
    """The trainer's config of one CNN cell (the scale's own config at fraction 1).

    `overrides` change the scale's config before the fraction scales its epochs
    (drivers.transfer's fine-tuning: its own epochs, learning rate and source).
    """
    from alexnet import train

    config = load_config(_config_file(config_file))
    config.update(overrides or {})
    if seed:
        # The seed varies everything: the subset, and the weights' initialisation and data order.
        config.update(seed=seed)
    if fraction < 1.0:
        base = config["epochs"]
        epochs = scaled_epochs(base, fraction, max_epochs)
        config.update(train_fraction=fraction, subset_seed=seed, epochs=epochs,
                      val_every_epochs=max(1, round(epochs / base)), eval_ten_crop=False)
        if option(config, "warmup_epochs"):
            # The same share of the run warms up as in the full run.
            config["warmup_epochs"] = option(config, "warmup_epochs") * epochs / base
    return train.validate(config)


def fv_config(config_file: str, fraction: float, seed: int, changes: dict | None = None) -> dict:
    """The baseline's config of one Fisher-vector cell: the scale's own config with the grid's
    `changes` (experiments/scaling.py's `fv_changes`: the final SVM leaves the held-out part out,
    as the CNN does; one exact solver serves every cell; the penalty grid grows until its choice
    is interior), on the cell's subset, with the encoder fitted on the cell's own images and the
    held-out split following `seed` as the CNN's does."""
    from baselines import run as baseline
    from baselines.defaults import fv_optional_config

    config = load_config(_config_file(config_file), optional=fv_optional_config())
    config.update(changes or {})
    if seed:
        config.update(seed=seed)
    if fraction < 1.0:
        config.update(train_fraction=fraction, subset_seed=seed, encoder_fit="cell")
    return baseline.validate(config)


def load_grid(config_file: Path = DEFAULT_CONFIG, preset: str | None = None) -> tuple[dict, dict]:
    """(per-scale settings with the preset applied, cost constants) of a scaling definition."""
    definition = load_config(config_file)
    scales = {name: dict(spec) for name, spec in definition["scales"].items()}
    if preset is not None:
        presets = definition.get("presets", {})
        if preset not in presets:
            raise ConfigError(f"unknown preset {preset!r}; {config_file} defines "
                              f"{', '.join(presets) or 'none'}")
        for name, changes in presets[preset].items():
            if name not in scales:
                raise ConfigError(f"preset {preset!r} changes scale {name!r}, which the grid lacks")
            scales[name].update(changes)
    for name, spec in scales.items():
        if len(spec["fractions"]) != len(spec["seeds"]):
            raise ConfigError(f"scale {name}: 'fractions' and 'seeds' must have the same length")
        if any(not 0.0 < f <= 1.0 for f in spec["fractions"]):
            raise ConfigError(f"scale {name}: fractions must lie in (0, 1], got {spec['fractions']}")
        if any(f == 1.0 and n != 1 for f, n in zip(spec["fractions"], spec["seeds"])):
            raise ConfigError(f"scale {name}: fraction 1 is the whole training set; give it 1 seed")
    return scales, definition.get("cost", {})


def _matches(value: float, wanted) -> bool:
    return wanted is None or any(math.isclose(value, w) for w in wanted)


def plan(scales: dict, only_scales=None, fractions=None, models=MODELS, seeds=None) -> list[Cell]:
    """The cells of the grid, optionally only some scales, fractions, models and subset seeds.

    Raises:
      ConfigError: a requested scale or fraction that the grid lacks.
    """
    unknown = sorted(set(only_scales or ()) - set(scales))
    if unknown:
        raise ConfigError(f"unknown scale(s) {', '.join(unknown)}; the grid has {', '.join(scales)}")
    chosen = {name: spec for name, spec in scales.items() if not only_scales or name in only_scales}
    grid_fractions = {f for spec in chosen.values() for f in spec["fractions"]}
    missing = [f for f in fractions or () if not _matches(f, grid_fractions)]
    if missing:
        raise ConfigError(f"fraction(s) {', '.join(map(str, missing))} not in the grid "
                          f"({', '.join(f'{f:g}' for f in sorted(grid_fractions))})")
    cells = []
    for model in (m for m in MODELS if m in models):
        for name, spec in chosen.items():
            for fraction, n_seeds in sorted(zip(spec["fractions"], spec["seeds"])):
                if not _matches(fraction, fractions):
                    continue
                for seed in (s for s in range(n_seeds) if seeds is None or s in seeds):
                    config = (cnn_config(spec["cnn"], fraction, seed, spec["max_epochs"]) if model == "cnn"
                              else fv_config(spec["fv"], fraction, seed, spec.get("fv_changes")))
                    cells.append(Cell(name, model, fraction, seed, config))
    return cells


def estimate_minutes(cell: Cell, cost: dict) -> float:
    """Rough minutes for one cell from the grid's measured cost constants (0 if it has none)."""
    c = cost.get(cell.scale)
    if not c:
        return 0.0
    images = c["train_images"] * cell.fraction
    if cell.model == "fv":
        return c.get("fv_run_s", 0.0) / 60 + images * c["fv_svm_ms"] / 60e3
    cfg = cell.config
    steps = cfg["epochs"] * max(1, int(images // cfg["batch_size"]))
    validations = math.ceil(cfg["epochs"] / cfg.get("val_every_epochs", 1))
    # cnn_val_s is a pass over the full run's held-out images; a subset holds out its share.
    return (steps * c["cnn_step_s"] + validations * c["cnn_val_s"] * cell.fraction
            + cfg["epochs"] * c["cnn_epoch_s"]) / 60


def run_cell(cell: Cell) -> Path:
    """Trains (or resumes) one cell; returns its finished run folder."""
    if cell.model == "cnn":
        from alexnet import train
        return train.run(cell.config)
    from baselines import run as baseline
    return baseline.run(cell.config)


def report(cells: list[Cell], results_dir: Path) -> list[Path]:
    """Regenerates results/scaling once every cell has a record (its run folder, else a
    committed copy); until then the committed table stays as it is. (Regenerating from
    part of a grid would drop the committed records of the cells not yet rerun: after
    a change of the cells' configs, as issue 24's, most of the table.)"""
    from reporting import scaling as scaling_report
    from reporting.runs import find_record

    runs_dir = run_folder.runs_root()
    run_ids = [find_record(cell.config, runs_dir, results_dir) for cell in cells]
    missing = sum(i is None for i in run_ids)
    if missing:
        print(f"results/scaling not regenerated: {missing} of the grid's {len(cells)} cells have no record "
              "yet (python -m drivers.scaling --dry-run lists them)", flush=True)
        return []
    return scaling_report.generate(runs_dir, results_dir, run_ids)


def _duration(minutes: float) -> str:
    if minutes >= 90:
        return f"{minutes / 60:.1f} h"
    return f"{minutes:.0f} min" if minutes >= 1.5 else f"{60 * minutes:.0f} s"


def _estimate(minutes: float) -> str:
    """' (~12 min)', or nothing for a scale without cost constants."""
    return f" (~{_duration(minutes)})" if minutes else ""


def execute(cells: list[Cell], grid: list[Cell], cost: dict, results_dir: Path, dry_run: bool = False,
            reuse_committed: bool = False) -> int:
    """Runs the unfinished cells with progress lines, regenerating the outputs after each.

    With `reuse_committed` a cell whose record is committed under `results_dir` counts as finished.

    Returns:
      0 when every selected cell finished, 1 when some failed.
    """
    todo = [c for c in cells if c.finished(reuse_committed, results_dir) is None]
    estimates = {c.label: estimate_minutes(c, cost) for c in todo}
    # The first baseline run of a scale also encodes its images, unless some run already did
    # on this machine (a committed record leaves no encoded images here).
    encoded = {c.scale for c in grid if c.model == "fv" and c.finished() is not None}
    for cell in (c for c in todo if c.model == "fv" and c.scale not in encoded and c.scale in cost):
        estimates[cell.label] += cost[cell.scale]["fv_cache_min"]
        encoded.add(cell.scale)
    print(f"data scaling: {len(cells)} runs selected, {len(cells) - len(todo)} finished, {len(todo)} to run"
          f"{_estimate(sum(estimates.values()))}", flush=True)
    if dry_run:
        for cell in cells:
            epochs = f", {cell.config['epochs']} epochs" if cell.model == "cnn" else ""
            state = f"to run{_estimate(estimates[cell.label])}" if cell.label in estimates else "finished"
            print(f"  {cell.label}{epochs}: {state}")
        return 0
    preflight.check([Stage(c.model, c.config) for c in todo])
    from alexnet.trainer import TrainingDiverged
    from reporting.runs import RecordError
    failed, grid_start = [], time.time()
    for i, cell in enumerate(todo, 1):
        left = sum(estimates[c.label] for c in todo[i - 1:])
        remaining = f", ~{_duration(left)} left" if left else ""
        unfinished = run_folder.find_unfinished(cell.config["experiment"], cell.config)
        resuming = f", resuming {unfinished.name}" if unfinished else ""
        print(f"\n=== [{i}/{len(todo)}] {cell.label}{_estimate(estimates[cell.label])}{resuming}: "
              f"{_duration((time.time() - grid_start) / 60)} so far{remaining} ===", flush=True)
        start = time.time()
        try:
            run_dir = run_cell(cell)
        except Exception as err:  # noqa: BLE001  (one failed cell must not stop a grid of hours)
            if not isinstance(err, (ConfigError, TrainingDiverged)):
                traceback.print_exc()
            print(f"error: {cell.label} failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
            failed.append(cell.label)
            continue
        print(f"finished {run_dir.name} in {_duration((time.time() - start) / 60)}", flush=True)
        if i < len(todo):  # partial outputs while a long grid runs; the last report follows below
            try:
                report(grid, results_dir)
            except RecordError as err:  # a table problem must not stop the training
                print(f"warning: results/scaling not regenerated: {err}", file=sys.stderr, flush=True)
    for path in report(grid, results_dir):
        print(f"wrote {path}")
    if failed:
        print(f"error: {len(failed)} run(s) failed: {'; '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.scaling",
                                     description="Data scaling: both models on nested training subsets.")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="the grid (default %(default)s)")
    parser.add_argument("--preset", default=None, help="a preset of the grid, e.g. 'reduced'")
    parser.add_argument("--scales", nargs="+", default=None, help="only these scales")
    parser.add_argument("--fractions", nargs="+", type=float, default=None, help="only these fractions")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS, help="only these models")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, help="only these subset seeds")
    parser.add_argument("--results-dir", type=Path, default=None, help="default: $RESULTS_DIR, else results/")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and its cost; run nothing")
    study.add_reuse_committed(parser)
    args = parser.parse_args(argv)
    from alexnet.data import DataError
    from reporting.runs import RecordError, results_root

    def body() -> int:
        scales, cost = load_grid(args.config, args.preset)
        grid = plan(scales)
        cells = plan(scales, args.scales, args.fractions, args.models, args.seeds)
        return execute(cells, grid, cost, args.results_dir or results_root(), args.dry_run, args.reuse_committed)

    return run_command(body, (ConfigError, DataError, RecordError))


if __name__ == "__main__":
    sys.exit(main())
