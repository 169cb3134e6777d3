"""The paper's design claims driver (issue 25): each variant and its base at several seeds, then the table.

    python -m drivers.ablations [--rows relu_tanh lrn] [--seeds N] [--models cifar_convnet] [--dry-run]
                                [--reuse-committed] [--config FILE]

experiments/ablations.py says what is compared and why. Each run is one
resolved config: a network's base (the CIFAR-10 recipe with the definition's
changes) or a variant of it (the base with one key changed), at one seed. A
finished run of exactly that config is reused, an unfinished one resumed
(run_folder.find_or_run), so a killed study continues where it stopped. Runs go
seed by seed, so every row has a first seed before any has a second. A run that
fails (e.g. stuck at chance) is reported and the others go on. At the end
results/ablations/ is regenerated from every finished run of the study
(reporting.paper_claims).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from alexnet import run_folder
from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config
from alexnet.defaults import option
from drivers import preflight, study
from drivers.preflight import Stage
from reporting.paper_claims import STUDY

DEFAULT_CONFIG = EXPERIMENTS_DIR / "ablations.py"
NETWORKS = ("cifar_alexnet", "cifar_convnet")
EXPERIMENT = "cifar10_ablations"


@dataclass(frozen=True)
class Run:
    """One network's base or variant at one seed."""

    network: str
    variant: str  # 'base' or a variant of the definition
    seed: int
    config: dict
    change: str = ""  # the variant's key=value

    @property
    def label(self) -> str:
        return f"{self.network} {self.variant}{f' ({self.change})' if self.change else ''}, seed {self.seed}"

    def finished(self, reuse_committed: bool = False) -> str | None:
        return study.finished(self.config, reuse_committed)


def base_config(definition: dict, network: str) -> dict:
    """The network's base: the recipe with the definition's changes, shortened to its epochs
    (the network's own `epochs`, else the study's) with the warm-up kept at the same share of
    the run (as drivers.classes does)."""
    from alexnet import train

    recipe = load_config(EXPERIMENTS_DIR / definition["recipe"])
    epochs = definition["networks"][network].get("epochs", definition["epochs"])
    config = {**recipe, **definition["networks"][network], "experiment": EXPERIMENT, "study": STUDY,
              "epochs": epochs, "warmup_epochs": option(recipe, "warmup_epochs") * epochs / recipe["epochs"]}
    return train.validate(config)


def variant_config(definition: dict, network: str, variant: str, seed: int) -> dict:
    """The base with the variant's one key changed, at `seed`."""
    from alexnet import train

    config = dict(base_config(definition, network))
    if variant != "base":
        owner, key, value = definition["variants"][variant]
        if owner != network:
            raise ConfigError(f"variant {variant!r} is one of {owner}, not of {network}")
        config[key] = value
    config["seed"] = seed
    return train.validate(config)


def plan(definition: dict, rows=None, networks=NETWORKS, seeds: int | None = None) -> list[Run]:
    """The runs the chosen rows need (both sides of each), seed by seed, each once.

    Raises:
      ConfigError: a row the definition lacks, or fewer than one seed.
    """
    unknown = [r for r in rows or () if r not in definition["rows"]]
    if unknown:
        raise ConfigError(f"row(s) {', '.join(unknown)} not in the study; rows: {', '.join(definition['rows'])}")
    n_seeds = definition["seeds"] if seeds is None else seeds
    if n_seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {n_seeds}")
    wanted = [(network, side) for name, (network, *sides) in definition["rows"].items()
              if (not rows or name in rows) and network in networks for side in sides]
    runs, seen = [], set()
    for seed in range(n_seeds):
        for network, variant in wanted:
            if (network, variant, seed) not in seen:
                seen.add((network, variant, seed))
                change = "" if variant == "base" else "{1}={2!r}".format(*definition["variants"][variant])
                runs.append(Run(network, variant, seed, variant_config(definition, network, variant, seed), change))
    return runs


def estimate_minutes(run: Run, cost: dict) -> float:
    """Minutes for one run from the definition's measured speeds."""
    c = run.config
    images = cost["train_images"] * (1 - option(c, "holdout_fraction"))
    validations = math.ceil(c["epochs"] / option(c, "val_every_epochs"))
    seconds = (c["epochs"] * images / cost["images_per_s"][run.network] + validations * cost["val_s"]
               + cost["eval_s"] + cost["start_s"])
    return seconds / 60


def _duration(minutes: float) -> str:
    return f"{minutes / 60:.1f} h" if minutes >= 90 else f"{minutes:.0f} min"


def report(runs: list[Run]) -> list[Path]:
    """Regenerates results/ablations from the study's runs that have a record."""
    from reporting import paper_claims
    from reporting.runs import find_record, results_root

    runs_dir, results_dir = run_folder.runs_root(), results_root()
    ids = [i for i in (find_record(r.config, runs_dir, results_dir) for r in runs) if i]
    return paper_claims.generate(runs_dir, results_dir, ids) if ids else []


def execute(runs: list[Run], every: list[Run], cost: dict, dry_run: bool = False,
            reuse_committed: bool = False) -> int:
    """Prints the plan; unless a dry run, runs what is unfinished (`study.finished`), one at a
    time, then reports.

    Returns:
      0 when every selected run finished, 1 when some failed.
    """
    todo = [r for r in runs if r.finished(reuse_committed) is None]
    minutes = {r.label: estimate_minutes(r, cost) for r in todo}
    print(f"paper's claims: {len(runs)} runs selected, {len(runs) - len(todo)} finished, {len(todo)} to run "
          f"(~{sum(minutes.values()) / 60:.1f} h on the 2-core CPU)", flush=True)
    for r in runs:
        state = f"to run (~{_duration(minutes[r.label])})" if r.label in minutes else "finished"
        print(f"  {r.label}, {r.config['epochs']} epochs: {state}", flush=True)
    if dry_run:
        return 0
    preflight.check([Stage("cnn", r.config) for r in todo])
    from alexnet import train
    from alexnet.trainer import TrainingDiverged
    failed = []
    for i, r in enumerate(todo, 1):
        left = sum(minutes[t.label] for t in todo[i - 1:])
        print(f"\n=== [{i}/{len(todo)}] {r.label} (~{_duration(left)} left) ===", flush=True)
        try:
            print(f"finished {run_folder.find_or_run(r.config, train.run, r.label)}", flush=True)
        except (ConfigError, TrainingDiverged) as err:  # one failed run must not stop hours of others
            print(f"error: {r.label} failed: {err}", file=sys.stderr, flush=True)
            failed.append(r.label)
    for path in report(every):
        print(f"wrote {path}")
    if failed:
        print(f"error: {len(failed)} run(s) failed: {'; '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = study.parser("python -m drivers.ablations", __doc__, DEFAULT_CONFIG, NETWORKS)
    parser.add_argument("--rows", nargs="+", default=None, help="only the runs of these rows")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0 .. N-1 (default: the study's)")
    args = parser.parse_args(argv)

    def body(definition: dict) -> int:
        runs = plan(definition, args.rows, args.models, args.seeds)
        return execute(runs, plan(definition, seeds=args.seeds), definition["cost"], args.dry_run,
                       args.reuse_committed)

    return study.run_study(args, body)


if __name__ == "__main__":
    sys.exit(main())
