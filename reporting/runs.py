"""Finding, reading and citing the run records that tables, figures and notebooks use.

Two places hold records:

* the run folders the trainer and the baseline write, `$RUNS_DIR/<run-id>/`
  (only finished ones, i.e. with a `done` marker, are cited), and
* the copies committed with the results, `results/<scale>/records/<run-id>/`
  (config, provenance, metrics and eval only), so that the tables can be
  regenerated from a fresh clone that has no runs/ at all.

A run folder wins over a committed copy of the same run, because only the folder
has predictions.npz and the checkpoints that some figures need.

Which runs are cited for a (scale, model) pair (`cite_groups`): the newest
finished one (run ids start with their UTC start time, so the newest sorts last)
fixes the recipe, and every other finished run of that recipe with another
`seed` joins it, the newest run of each seed. Two runs are of one recipe when
their resolved configs are equal once the value of `seed` is blanked
(`recipe_key`: `records.config_hash` of a copy with `seed` set to None; a
config without a `seed` key keeps its own hash, so it is never taken for
another seed of a seeded recipe). A newer run of a different config of the
same model therefore replaces the whole group, as a newer run replaced a single
run before. Explicit run ids, as the experiment driver gives, are cited
exactly: those of one (scale, model) must be one recipe with distinct seeds.
`cite` gives one record per (scale, model), the newest of its group, for the
figures and notebooks that draw a single run. Runs on a training subset
(`train_fraction` < 1, the data-scaling experiment) are never picked by default:
their numbers belong to results/scaling, not to the scale's summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from alexnet import records, run_folder
from alexnet.cli import run_command


class RecordError(ValueError):
    """A run record that lacks what a table or figure needs; the message is one line."""


def results_root() -> Path:
    """Where generated results go: $RESULTS_DIR, else results/ in the repository."""
    return Path(os.environ.get("RESULTS_DIR", records.REPO_ROOT / "results"))


def scale_name(dataset: str) -> str:
    """The results/<scale> folder name for a config's `dataset`.

    'imagenette' and 'tfds:imagenette' are 'imagenette' (the same images); 'folder:/data/birds'
    becomes 'folder-birds' and 'synthetic:64:32' 'synthetic', so a scale is always
    one safe path part.
    """
    kind, _, rest = str(dataset).removeprefix("tfds:").partition(":")
    name = kind if kind == "synthetic" or not rest else f"{kind}-{Path(rest.rstrip('/')).name}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-").lower() or "unknown"


def recipe_key(config: dict) -> str:
    """The hash of `config` with the value of `seed` blanked: runs that differ only in seed share it.

    A config without a `seed` key is hashed as it is, so it never matches a
    seeded one (its seed is not known to be the only difference).
    """
    return records.config_hash({**config, "seed": None} if "seed" in config else config)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise RecordError(f"{path} is not valid JSON ({err.msg} at line {err.lineno})") from None


@dataclass(frozen=True)
class Record:
    """One run record, read once; files other than config.json are read on demand.

    Attributes:
      path: the run folder, or its committed copy under results/<scale>/records.
      config: the resolved config (config.json).
      committed: True for a copy under results/, which has no predictions or
        checkpoints of its own.
    """

    path: Path
    config: dict
    committed: bool = False

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def scale(self) -> str:
        return scale_name(self.config.get("dataset") or self._eval_or_empty().get("dataset", "unknown"))

    @property
    def model(self) -> str:
        """'alexnet2012', 'alexnet2014', 'cifar_convnet' or the baseline's model name."""
        return str(self.config.get("arch") or self.config.get("model")
                   or self._eval_or_empty().get("model") or "unknown")

    @property
    def recipe(self) -> str:
        """`recipe_key` of the config: equal for runs of one recipe that differ only in `seed`."""
        return recipe_key(self.config)

    @property
    def seed(self):
        """The config's `seed` (None where it names none)."""
        return self.config.get("seed")

    @property
    def kind(self) -> str:
        """'cnn' for the trainer's runs (their configs name an `arch`), CNN ensembles
        (alexnet.ensemble: their configs list `members`) and probes of a trained network's
        features (alexnet.probe: `probe_of`), else 'handcrafted'."""
        return ("cnn" if "arch" in self.config or "members" in self.config or "probe_of" in self.config
                else "handcrafted")

    @property
    def copied_elsewhere(self) -> bool:
        """A copy committed under another results folder than its scale's (results/scaling/records)."""
        return self.committed and self.path.parent.parent.name != self.scale

    @property
    def is_subset(self) -> bool:
        """Whether the run trained on part of the training set (data scaling)."""
        try:
            return float(self.config.get("train_fraction", 1.0)) < 1.0
        except (TypeError, ValueError):
            return False

    @property
    def study(self) -> str | None:
        """The side study the run belongs to (e.g. 'baseline_ablation'), else None."""
        return self.config.get("study") or None

    @property
    def partial(self) -> bool:
        """Evaluated on part of the reported split only (`eval_images`, a quick look)."""
        return bool(self._eval_or_empty().get("partial"))

    def _eval_or_empty(self) -> dict:
        path = self.path / "eval.json"
        return _read_json(path) if path.exists() else {}

    def eval(self) -> dict:
        """eval.json, or RecordError naming the run when there is none."""
        path = self.path / "eval.json"
        if not path.exists():
            raise RecordError(f"run record {self.path} has no eval.json (its final evaluation never ran); "
                              "re-evaluate it or cite another run")
        return _read_json(path)

    def provenance(self) -> dict:
        path = self.path / "provenance.json"
        return _read_json(path) if path.exists() else {}

    def hardware(self) -> dict:
        """The machine that trained it: eval.json's `hardware`, else provenance's."""
        return self._eval_or_empty().get("hardware") or self.provenance().get("hardware") or {}

    def metrics(self) -> pd.DataFrame:
        """metrics.csv as numbers, one row per epoch (empty when the run logs none)."""
        path = self.path / "metrics.csv"
        if not path.exists() or not path.read_text().strip():
            return pd.DataFrame()
        frame = pd.read_csv(path)
        return frame.apply(pd.to_numeric, errors="coerce")

    def file(self, name: str) -> Path | None:
        """A file of the record, or None where it has none (e.g. a committed copy)."""
        path = self.path / name
        return path if path.exists() else None

    @property
    def model_folder(self) -> bool:
        """A model folder (`alexnet.export --model-folder`, models/<scale>): one network
        and its preprocessing, no checkpoints, predictions or metrics."""
        from alexnet.predict import is_model_folder
        return is_model_folder(self.path)

    def model_info(self) -> dict:
        """A model folder's model.json (source run, eval errors, weights), else {}."""
        path = self.path / "model.json"
        return _read_json(path) if self.model_folder else {}


def read_record(run_dir: Path, committed: bool = False) -> Record:
    """Reads a run folder or a committed copy; RecordError if it has no config.json."""
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.exists():
        raise RecordError(f"{run_dir} is not a run record (no config.json)")
    return Record(run_dir, _read_json(config_path), committed)


def read_model_folder(folder: Path) -> Record:
    """A model folder as a Record (kind 'cnn', its scale from config.json); RecordError if it is none."""
    from alexnet.predict import is_model_folder
    folder = Path(folder)
    if not is_model_folder(folder) or not (folder / "config.json").is_file():
        raise RecordError(f"{folder} is not a model folder (model.json, model.keras, config.json: "
                          "python -m alexnet.export RUN DEST --model-folder)")
    return read_record(folder)


def committed_dirs(results_dir: Path) -> list[Path]:
    """Every results/<scale>/records/<run-id>/ folder of a finished run (not one kept because it diverged)."""
    return sorted(p for p in Path(results_dir).glob("*/records/*")
                  if (p / "config.json").is_file() and not (p / records.DIVERGED).is_file())


def find_record(config: dict, runs_dir: Path, results_dir: Path) -> str | None:
    """The run id of a finished run of exactly `config`: its run folder, else a committed copy.

    A fresh clone has no runs/, so drivers that only regenerate a table cite the
    copies under results/ that earlier runs of the same config left.
    """
    done = run_folder.find_finished(config["experiment"], config, runs_dir)
    return done.name if done is not None else committed_record(config, results_dir)


def committed_record(config: dict, results_dir: Path) -> str | None:
    """The run id of the newest copy of a record of exactly `config` under `results_dir`/*/records."""
    suffix = f"-{config['experiment']}-{records.config_hash(config)}"
    copies = sorted(p.name for p in committed_dirs(results_dir) if p.name.endswith(suffix))
    return copies[-1] if copies else None


def discover(runs_dir: Path, results_dir: Path) -> dict[str, Record]:
    """Every citable record by run id: finished run folders, then committed copies."""
    found = {p.name: read_record(p) for p in run_folder.list_runs(Path(runs_dir), finished_only=True)}
    for path in committed_dirs(results_dir):
        copy = read_record(path, committed=True)
        held = found.get(path.name)
        # A run copied to several results folders is read from its own scale's copy where it has one.
        if held is None or (held.copied_elsewhere and not copy.copied_elsewhere):
            found[path.name] = copy
    return found


def lookup(found: dict[str, Record], run_ids: Iterable[str], runs_dir: Path, results_dir: Path
           ) -> list[Record]:
    """The records of `run_ids` (from `discover`), for a side study's table.

    Raises:
      RecordError: runs neither finished nor committed, or evaluated on part of the split.
    """
    missing = [i for i in run_ids if i not in found]
    if missing:
        raise RecordError(f"run(s) {', '.join(missing)} neither finished in {runs_dir} nor copied under "
                          f"{results_dir}/*/records")
    partial = [i for i in run_ids if found[i].partial]
    if partial:
        raise RecordError(f"run(s) {', '.join(partial)} were evaluated on part of the split only "
                          "(eval_images, a quick look); the tables cite runs evaluated on the whole split")
    return [found[i] for i in run_ids]


def _explicit(found: dict[str, Record], run_ids: Iterable[str], runs_dir: Path, results_dir: Path
              ) -> list[Record]:
    chosen = []
    for run_id in run_ids:
        run_id = Path(run_id).name  # a path to the run folder is accepted too
        if run_id in found and found[run_id].partial:
            n = found[run_id]._eval_or_empty().get("n_images")
            raise RecordError(f"run {run_id} was evaluated on {n} images only (eval_images, a quick look); "
                              "the tables cite runs evaluated on the whole split")
        if run_id in found:
            chosen.append(found[run_id])
        elif (Path(runs_dir) / run_id / "config.json").exists():
            raise RecordError(f"run {run_id} has not finished (no 'done' marker in {Path(runs_dir) / run_id})")
        else:
            raise RecordError(f"run {run_id} not found in {runs_dir} nor in {results_dir}/*/records")
    return chosen


def _seed_order(record: Record) -> tuple:
    seed = record.seed
    number = isinstance(seed, (int, float)) and not isinstance(seed, bool)
    return (0, seed, record.run_id) if number else (1, str(seed), record.run_id)


def _explicit_group(records_: list[Record]) -> list[Record]:
    """Explicit runs of one (scale, model): one recipe, one run per seed, else RecordError."""
    if len({r.recipe for r in records_}) > 1:
        raise RecordError(f"runs {', '.join(r.run_id for r in records_)} are all {records_[0].model} on "
                          f"{records_[0].scale} but differ in more than their seed; cite one recipe "
                          "(runs that differ only in seed are averaged into one row)")
    seeds = [json.dumps(r.seed, default=str) for r in records_]
    if len(set(seeds)) < len(seeds):
        raise RecordError(f"runs {', '.join(r.run_id for r in records_)} include two runs of the same recipe "
                          "and seed; cite one of them")
    return records_


def cite_groups(runs_dir: Path, results_dir: Path, run_ids: Iterable[str] = (),
                scales: Iterable[str] | None = None, found: dict[str, Record] | None = None
                ) -> dict[str, list[list[Record]]]:
    """The records to cite, grouped by scale and by row: one group per (scale, model).

    A group is the runs of one recipe that differ only in `seed` (see the
    module docstring for the rule), ordered by seed; most groups are one run.

    Args:
      runs_dir: where the run folders are.
      results_dir: where results/<scale>/records copies are.
      run_ids: runs to cite for their (scale, model) instead of the newest
        recipe's; when given without `scales`, only their scales are returned.
      scales: restrict to these scales.
      found: `discover(runs_dir, results_dir)`, when the caller has it already.

    Returns:
      {scale: [groups, CNNs first, then by model name]}.

    Raises:
      RecordError: an explicit run that is missing, unfinished or evaluated on
        part of the split, explicit runs of one (scale, model) that are not one
        recipe with distinct seeds, or a requested scale without any record.
    """
    found = discover(runs_dir, results_dir) if found is None else found
    explicit = _explicit(found, run_ids, runs_dir, results_dir)
    candidates: dict[tuple[str, str], list[Record]] = {}
    for run_id in sorted(found):
        record = found[run_id]
        # Side studies have their own tables, a copy committed under another results folder
        # (results/scaling/records) is that folder's citation, not this scale's, and a run
        # evaluated on part of the split is a quick look.
        quick = record.is_subset or record.partial
        if not quick and record.study is None and not record.copied_elsewhere:
            candidates.setdefault((record.scale, record.model), []).append(record)
    chosen: dict[tuple[str, str], list[Record]] = {}
    for pair, recs in candidates.items():
        recipe = recs[-1].recipe  # the newest run's recipe
        per_seed = {json.dumps(r.seed, default=str): r for r in recs if r.recipe == recipe}  # newest per seed
        chosen[pair] = list(per_seed.values())
    given: dict[tuple[str, str], list[Record]] = {}
    for record in explicit:
        pair = given.setdefault((record.scale, record.model), [])
        if record.run_id not in {r.run_id for r in pair}:
            pair.append(record)
    chosen.update({pair: _explicit_group(recs) for pair, recs in given.items()})
    wanted = set(scales) if scales else ({r.scale for r in explicit} if explicit else None)
    grouped: dict[str, list[list[Record]]] = {}
    for (scale, _), group in chosen.items():
        if wanted is None or scale in wanted:
            grouped.setdefault(scale, []).append(sorted(group, key=_seed_order))
    for scale in sorted(wanted or ()):
        if scale not in grouped:
            raise RecordError(f"no finished run records for scale '{scale}' in {runs_dir} "
                              f"nor in {results_dir}/{scale}/records")
    return {scale: sorted(groups, key=lambda g: (g[0].kind != "cnn", g[0].model))
            for scale, groups in sorted(grouped.items())}


def newest(group: list[Record]) -> Record:
    """The newest run of a group: the one `cite` gives and the summary's `run_id` names."""
    return max(group, key=lambda r: r.run_id)


def cite(runs_dir: Path, results_dir: Path, run_ids: Iterable[str] = (),
         scales: Iterable[str] | None = None) -> dict[str, list[Record]]:
    """One record per (scale, model): the newest of each `cite_groups` group.

    For figures and notebooks that draw one run; arguments and errors as `cite_groups`.

    Returns:
      {scale: [records, CNNs first, then by model name]}.
    """
    return {scale: [newest(group) for group in groups]
            for scale, groups in cite_groups(runs_dir, results_dir, run_ids, scales).items()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every generator shares: where records are, where results go, what to cite."""
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="run folders (default: $RUNS_DIR, else runs/)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="results folder (default: $RESULTS_DIR, else results/)")
    parser.add_argument("--run-ids", nargs="+", default=(), metavar="RUN_ID",
                        help="cite these runs for their (scale, model) instead of the newest; runs of "
                             "one recipe that differ only in seed make one row")
    parser.add_argument("--scale", nargs="+", default=None, dest="scales", metavar="SCALE",
                        help="only these scales (dataset names, e.g. imagenette cifar10)")


def resolve_dirs(args: argparse.Namespace) -> tuple[Path, Path]:
    """(runs_dir, results_dir) from parsed arguments and the environment."""
    return Path(args.runs_dir or run_folder.runs_root()), Path(args.results_dir or results_root())


def run_main(body: Callable[[argparse.Namespace, list[str]], Iterable[Path]],
             parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parses `argv` and runs `body(args, notes)`.

    Prints the paths `body` returns on stdout and the notes it appended (what
    it skipped, and why) on stderr; a RecordError becomes one line `error: ...`
    and exit status 2.
    """
    args = parser.parse_args(argv)
    notes: list[str] = []

    def paths() -> None:
        for path in body(args, notes):
            print(path)

    try:
        return run_command(paths, (RecordError,))
    finally:
        for note in notes:
            print(note, file=sys.stderr)
