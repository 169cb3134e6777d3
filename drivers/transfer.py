"""The transfer driver (issue 23): probe, from-scratch CNN and Fisher vectors on Imagenette at 64 px.

    python -m drivers.transfer [--fractions 1.0 0.1] [--dry-run] [--reuse-committed] [--config FILE]

experiments/transfer.py says what is compared. For each fraction of
Imagenette's training images: the from-scratch CNN (alexnet.train) and the
Fisher vectors (baselines.run), both configs as data scaling builds them
(drivers.scaling.cnn_config, fv_config), the probe (alexnet.probe) of the
Tiny-ImageNet network, and that network fine-tuned (alexnet.finetune: the
from-scratch CNN's config starting from its weights, at each learning rate of
the study's grid; reporting.transfer keeps the one with the lowest held-out
error). The Tiny-ImageNet network is a finished run folder of its resolved
config that still holds its weights, else the committed model folder
models/tiny_imagenet when it holds exactly that config (run folders do not
outlive their machine; either gives the probe one config, `source_network`).
A finished run of
exactly a config is reused, an unfinished one resumed (run_folder.find_or_run).
After the runs, results/transfer is regenerated from every finished run of the
plan (reporting.transfer).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from alexnet import run_folder
from alexnet.config import EXPERIMENTS_DIR, ConfigError
from alexnet.records import REPO_ROOT, config_hash, read_json
from drivers import preflight, study
from drivers.preflight import Stage
from drivers.scaling import cnn_config, fv_config

DEFAULT_CONFIG = EXPERIMENTS_DIR / "transfer.py"
MODELS = ("fv", "cnn", "probe", "finetune")  # the quick ones first
# The source network committed to git (python -m alexnet.export RUN models/tiny_imagenet --model-folder).
SOURCE_MODEL_FOLDER = REPO_ROOT / "models" / "tiny_imagenet"


@dataclass(frozen=True)
class Run:
    """One model on one fraction of Imagenette's training images."""

    fraction: float
    model: str  # 'fv', 'cnn', 'probe' or 'finetune'
    config: dict | None  # None: a probe or fine-tuning whose source network is not trained yet
    lr: float | None = None  # fine-tuning's learning rate

    @property
    def label(self) -> str:
        lr = f" (lr {self.lr:g})" if self.lr is not None else ""
        return f"{self.model}{lr} at {self.fraction:g} of the training images"

    def finished(self, reuse_committed: bool = False) -> str | None:
        return None if self.config is None else study.finished(self.config, reuse_committed)


def source_config(definition: dict) -> dict:
    """The Tiny-ImageNet network's resolved config, as alexnet.train records and hashes it."""
    from alexnet import train
    return train.resolve_config(EXPERIMENTS_DIR / definition["source"])


def source_network(definition: dict) -> tuple[Path | None, list[str]]:
    """The source network's folder, and the plan's lines about it.

    A finished run folder of the source config that holds its weights, else
    `SOURCE_MODEL_FOLDER` when it holds exactly that config
    (`model_folder_source`), else a finished run folder whose checkpoints are
    gone: it still names the run, so the plan's probe and fine-tuning configs
    (and the records of those already run) are found, but `execute` refuses to
    run one from it (`weightless`). A committed record never counts: it
    names no run folder on this machine.

    Returns:
      (folder or None when none, lines saying which folder or why none).
    """
    from alexnet.finetune import has_weights

    config = source_config(definition)
    run = run_folder.find_finished(config["experiment"], config)
    if run is not None and has_weights(run):
        return run, [f"source network: {run} (finished run)"]
    folder, notes = model_folder_source(config, Path(SOURCE_MODEL_FOLDER))
    if folder is not None:
        return folder, [f"source network: {_shown(folder)} (run {read_json(folder / 'model.json')['source_run']})"]
    if run is not None:
        return run, notes + [f"source network: {run} (finished run, its weights gone: enough to find the "
                             "records of its probes, not to run one)"]
    return None, notes + [f"source network: none yet (no finished run of experiments/{definition['source']}, "
                          f"no model folder {_shown(Path(SOURCE_MODEL_FOLDER))} of its config)"]


def weightless(source: Path | None) -> bool:
    """A run folder whose checkpoints are gone (`source_network`'s last resort)."""
    from alexnet import predict
    from alexnet.finetune import has_weights
    return source is not None and not predict.is_model_folder(source) and not has_weights(source)


def model_folder_source(config: dict, folder: Path) -> tuple[Path | None, list[str]]:
    """`folder` if it is a model folder of exactly `config`, else None and why it was ignored.

    Its config hash (`predict.model_folder_hash`) is the one a run folder's
    name ends with; it must also be the hash in the run id its model.json
    names (`probe_of`), else the probe would name a run of another config.
    """
    from alexnet import predict

    if not folder.exists():
        return None, []
    shown = _shown(folder)
    wanted, held = config_hash(config), predict.model_folder_hash(folder)
    if held is None:
        return None, [f"{shown} is no model folder (config.json, model.json, model.keras); ignored"]
    if held != wanted:
        return None, [f"{shown} holds another config's network (hash {held}, wanted {wanted}); ignored"]
    run_id = read_json(folder / "model.json").get("source_run") or ""
    if not run_id.endswith(f"-{config['experiment']}-{wanted}"):
        return None, [f"{shown}/model.json names run {run_id or '(none)'}, not a run of hash {wanted}; ignored"]
    return folder, []


def _shown(folder: Path) -> Path:
    """The folder relative to the repository when inside it (shorter, and what gets committed)."""
    folder = folder.resolve()
    return folder.relative_to(REPO_ROOT) if folder.is_relative_to(REPO_ROOT) else folder


def missing_source(definition: dict) -> ConfigError:
    return ConfigError(f"no finished run of experiments/{definition['source']} under {run_folder.runs_root()} "
                       f"and no model folder {_shown(Path(SOURCE_MODEL_FOLDER))} of its config: "
                       f"train it first with `python -m alexnet.train --config experiments/{definition['source']}` "
                       "(or `make reproduce-tiny-imagenet`), or export its run with "
                       f"`python -m alexnet.export RUN {_shown(Path(SOURCE_MODEL_FOLDER))} --model-folder`")


def probe_config(definition: dict, source: Path, fraction: float) -> dict:
    """The probe's config on the same images and held-out tenth as the CNN and the FV."""
    from alexnet import probe
    overrides = [f"train_fraction={fraction!r}", f"subset_seed={definition['subset_seed']}",
                 "holdout_fraction=0.1", "seed=0", "study='transfer'"]
    return probe.probe_config(source, "imagenette", definition["layer"], overrides)


def finetune_config(definition: dict, source: Path, fraction: float, lr: float) -> dict:
    """The from-scratch CNN's config of this fraction, starting from the source network's weights
    with the study's fine-tuning epochs (scaled with the fraction as the CNN's are) and `lr`."""
    from alexnet import probe
    _, run_id, _ = probe.source_network(source)
    spec = definition["finetune"]
    return cnn_config(definition["cnn"], fraction, definition["subset_seed"], definition["max_epochs"],
                      {"experiment": spec["experiment"], "init_from": run_id, "lr": lr, "epochs": spec["epochs"]})


def plan(definition: dict, fractions=None, models=MODELS) -> list[Run]:
    """The runs of the study, optionally only some fractions and models."""
    unknown = [f for f in fractions or () if not any(math.isclose(f, g) for g in definition["fractions"])]
    if unknown:
        raise ConfigError(f"fraction(s) {unknown} not in the study {definition['fractions']}")
    source = source_network(definition)[0] if {"probe", "finetune"} & set(models) else None
    seed = definition["subset_seed"]
    runs = []
    for model in (m for m in MODELS if m in models):
        for fraction in definition["fractions"]:
            if fractions and not any(math.isclose(fraction, f) for f in fractions):
                continue
            if model == "cnn":
                config = cnn_config(definition["cnn"], fraction, seed, definition["max_epochs"])
            elif model == "fv":
                config = fv_config(definition["fv"], fraction, seed)
            elif model == "finetune":
                runs += [Run(fraction, model, finetune_config(definition, source, fraction, lr) if source else None,
                             lr) for lr in definition["finetune"]["lrs"]]
                continue
            else:
                config = probe_config(definition, source, fraction) if source else None
            runs.append(Run(fraction, model, config))
    return runs


def report(definition: dict, results_dir: Path | None = None) -> list[Path]:
    """Regenerates results/transfer from the finished runs of the whole plan (reporting.transfer).

    Raises:
      RecordError: none of them has finished; the line names every missing run.
    """
    from reporting import transfer as transfer_report
    from reporting.runs import RecordError, find_record, results_root

    results_dir = Path(results_dir or results_root())
    runs_dir = run_folder.runs_root()
    found = {r.label: find_record(r.config, runs_dir, results_dir) if r.config else None for r in plan(definition)}
    ids = [i for i in found.values() if i]
    if not ids:
        raise RecordError(f"no finished run of the transfer study in {runs_dir} nor under {results_dir}/*/records; "
                          f"missing: {', '.join(found)}")
    return transfer_report.generate(runs_dir, results_dir, ids, definition)


def diverged_folder(r: Run, reuse_committed: bool = False, results_dir: Path | None = None) -> Path | None:
    """A fine-tuning run of this exact config whose training diverged (alexnet.train left
    records.DIVERGED in it), if any: its run folder, else, with `reuse_committed`, the copy
    reporting.transfer kept in results/transfer/records."""
    from alexnet.records import DIVERGED, config_hash
    from reporting.runs import results_root
    if r.model != "finetune" or r.config is None:
        return None
    suffix = f"-{r.config['experiment']}-{config_hash(r.config)}"
    folders = list(run_folder.runs_root().glob(f"*{suffix}"))
    if reuse_committed:
        folders += (Path(results_dir or results_root()) / "transfer" / "records").glob(f"*{suffix}")
    failed = sorted((p for p in folders if (p / DIVERGED).is_file() and not (p / "done").exists()),
                    key=lambda p: p.name)
    return failed[-1] if failed else None


def execute(definition: dict, runs: list[Run], dry_run: bool = False, reuse_committed: bool = False) -> int:
    """Prints the plan; unless a dry run, runs what is unfinished (`study.finished`), one at a
    time, then writes results/transfer from every finished run of the study (`report`).

    A fine-tuning rate whose training diverges (or diverged before: `diverged_folder`) is
    skipped and the study goes on: the report names it as the grid's bound.
    """
    todo = [r for r in runs if r.finished(reuse_committed) is None]
    print(f"transfer: {len(runs)} runs selected, {len(runs) - len(todo)} finished, {len(todo)} to run", flush=True)
    source, lines = (source_network(definition) if any(r.model in ("probe", "finetune") for r in runs)
                     else (None, []))
    for line in lines:
        print(f"  {line}", flush=True)
    for r in runs:
        epochs = f", {r.config['epochs']} epochs" if r.model in ("cnn", "finetune") and r.config else ""
        state = ("to run, after the source network (experiments/" + definition["source"] + ")"
                 if r.config is None else "diverged" if diverged_folder(r, reuse_committed)
                 else "to run" if r in todo else "finished")
        print(f"  {r.label}{epochs}: {state}", flush=True)
    if dry_run:
        return 0
    if any(r.config is None for r in todo):
        raise missing_source(definition)
    if weightless(source) and any(r.model in ("probe", "finetune") for r in todo):
        raise ConfigError(f"the source network's run folder {source} holds no checkpoint any more, and no model "
                          f"folder {_shown(Path(SOURCE_MODEL_FOLDER))} was exported from it: retrain it "
                          f"(`python -m alexnet.train --config experiments/{definition['source']}`), or export it "
                          "where it still has its weights")
    preflight.check([Stage(r.model, r.config) for r in todo if r.model in ("fv", "cnn")]
                    + [Stage("cnn", r.config) for r in todo if r.model in ("probe", "finetune")])
    from alexnet import probe, train
    from alexnet.trainer import TrainingDiverged
    from baselines import run as baseline
    runners = {"cnn": train.run, "finetune": train.run, "fv": baseline.run, "probe": lambda c: probe.run(c, source)}
    for i, r in enumerate(todo, 1):
        print(f"\n=== [{i}/{len(todo)}] {r.label} ===", flush=True)
        failed = diverged_folder(r, reuse_committed)
        if failed:
            print(f"diverged before: {failed}; not run again", flush=True)
            continue
        try:
            print(f"finished {run_folder.find_or_run(r.config, runners[r.model], r.label)}", flush=True)
        except TrainingDiverged as err:
            if r.model != "finetune":
                raise
            # A rate too high to train bounds the grid; the report names it and the study goes on.
            print(f"diverged: {err}", flush=True)
    for path in report(definition):
        print(f"wrote {path}", flush=True)
    return 0


def main(argv=None) -> int:
    parser = study.parser("python -m drivers.transfer", __doc__, DEFAULT_CONFIG, MODELS)
    parser.add_argument("--fractions", nargs="+", type=float, default=None, help="only these fractions")
    args = parser.parse_args(argv)
    return study.run_study(args, lambda d: execute(d, plan(d, args.fractions, args.models), args.dry_run,
                                                   args.reuse_committed))


if __name__ == "__main__":
    sys.exit(main())
