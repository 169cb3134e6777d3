"""The transfer study: frozen Tiny-ImageNet features against training anew, on Imagenette at 64 px.

    python -m reporting.transfer [--runs-dir runs] [--results-dir results] [--run-ids ID ...]

Writes, from run records only (experiments/transfer.py says what the runs are):

    results/transfer/summary.csv    one row per (fraction of the training images, model)
    results/transfer/summary.md     the same, and per fraction which model wins and by how much
    results/transfer/records/       the study runs' records

summary.csv columns: fraction (of Imagenette's training images), n_train_images
(the images the final classifier or network learned from: the CNN's fit part,
the probe's classifier's, the SVM's final fit), kind ('probe (frozen)',
'fine-tuned', 'CNN from scratch' or 'Fisher vectors'), model, name, top-1/top-5
error in percent with the centre crop and, where the run evaluated them, ten
crops, n_val_images, heldout_top1_err_pct (the trainer's runs' final held-out
top-1 error; for the fine-tuned runs, what chose their learning rate), lr (the
fine-tuned runs'), reference, run_id.

Fine-tuning runs once per learning rate of experiments/transfer.py's grid; per
fraction the table keeps the run with the lowest final held-out top-1 error
(ties: the smaller rate). Each rate's run evaluates the reported split at its
end, as every training run does, but the choice reads the held-out errors
only. The Markdown says which rate won, whether it sits at an edge of the
grid, which rates diverged (their runs' config and diverged.json are kept in
records/; a diverged rate above the chosen one bounds the grid) and which
have not run yet.

Reference rows (`reference` True, last): the runs results/imagenette/summary.csv
cites, the same val images at 224 px. Their records stay in
results/imagenette/records, and they take no part in who wins.

Which runs: those given, else the copies in results/transfer/records. The
driver (`python -m drivers.transfer`, which owns the plan: the library imports
no driver) passes the finished runs of its plan and so refreshes those copies.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from alexnet import records
from alexnet.config import EXPERIMENTS_DIR, load_config
from reporting.cli import generate_main
from reporting.runs import Record, RecordError, discover, lookup
from reporting.tables import copy_records, fmt_pct, markdown_table, summary_row

FOLDER = "transfer"
REFERENCE_SCALE = "imagenette"
KINDS = ("probe (frozen)", "fine-tuned", "CNN from scratch", "Fisher vectors")  # the table's order
FINETUNED = KINDS[1]
COLUMNS = ("fraction", "n_train_images", "kind", "model", "name", "top1_err_pct_centre", "top5_err_pct_centre",
           "top1_err_pct_10crop", "top5_err_pct_10crop", "n_val_images", "heldout_top1_err_pct", "lr",
           "reference", "run_id")
ERRORS = COLUMNS[5:9]


def study_definition() -> dict:
    return load_config(EXPERIMENTS_DIR / "transfer.py")


def kind_of(record: Record) -> str:
    """'probe (frozen)' for alexnet.probe's runs, 'fine-tuned' for the trainer's that start from
    another run's weights (`init_from`), 'CNN from scratch' for its others, else 'Fisher vectors'."""
    if "probe_of" in record.config:
        return KINDS[0]
    if record.config.get("init_from"):
        return FINETUNED
    return KINDS[2] if record.kind == "cnn" else KINDS[3]


def final_heldout_error(record: Record) -> float | None:
    """The last held-out top-1 error in metrics.csv (the trainer's runs), else None."""
    metrics = record.metrics()
    if "heldout_top1_err_pct" not in metrics:
        return None
    held = metrics["heldout_top1_err_pct"].dropna()
    return float(held.iloc[-1]) if len(held) else None


def n_learned(record: Record) -> int | None:
    """Training images the final model learned from, as its record states them."""
    subset = record.eval().get("train_subset") or {}
    if "n_fit" in subset:                       # the probe: its classifier's fit part
        return subset["n_fit"]
    if record.kind == "handcrafted" and subset:
        n = subset.get("n_images", 0)
        return n if subset.get("final_fit_includes_holdout", True) else n - subset.get("n_holdout", 0)
    return (record.provenance().get("dataset") or {}).get("trained_on")


def fraction_of(record: Record) -> float:
    try:
        return float(record.config.get("train_fraction", 1.0))
    except (TypeError, ValueError):
        raise RecordError(f"run {record.run_id}: train_fraction {record.config.get('train_fraction')!r} "
                          "is not a number") from None


def row(record: Record, reference: bool) -> dict:
    if record.scale != REFERENCE_SCALE:
        raise RecordError(f"run {record.run_id} is not an Imagenette run (dataset {record.config.get('dataset')!r})")
    summary = summary_row(record)
    return {"fraction": fraction_of(record), "n_train_images": n_learned(record), "kind": kind_of(record),
            "model": record.model, "name": summary["name"], **{c: summary[c] for c in ERRORS},
            "n_val_images": summary["n_images"], "heldout_top1_err_pct": final_heldout_error(record),
            "lr": record.config.get("lr") if kind_of(record) == FINETUNED else None,
            "reference": reference, "run_id": record.run_id}


def choose_finetuned(frame: pd.DataFrame, grid=None, diverged=()) -> tuple[pd.DataFrame, list[dict]]:
    """Keeps, per fraction, the fine-tuned run with the lowest final held-out top-1 error.

    Args:
      grid: the study's learning rates (experiments/transfer.py); default: the rates run.
      diverged: (fraction, lr) of the grid's runs that diverged (`diverged_finetunes`):
        worse than any rate that trained, and a bound on the grid like a rate
        that lost, so a rate just below a diverged one is not at the edge.

    Returns:
      (the frame without the other rates' runs, one dict per fraction: fraction,
      chosen lr, grid, held-out error per rate run, diverged: the rates that
      diverged, missing: the grid's rates neither run nor diverged, edge:
      whether the chosen rate is the smallest or largest of the grid's rates
      that did not diverge, with no diverged rate beyond it).

    Raises:
      RecordError: a fine-tuned run without held-out errors (nothing to choose
        by), or two runs of one rate at one fraction.
    """
    tuned = frame[frame["kind"] == FINETUNED]
    missing = tuned[tuned["heldout_top1_err_pct"].isna()]
    if len(missing):
        raise RecordError(f"fine-tuned run(s) without a held-out error to choose the learning rate by: "
                          f"{', '.join(missing['run_id'])} (they need holdout_fraction > 0)")
    keep, choices = [], []
    for fraction, group in tuned.groupby("fraction"):
        twice = group[group.duplicated("lr", keep=False)]
        if len(twice):
            raise RecordError(f"two fine-tuned runs of one learning rate at one fraction: {', '.join(twice['run_id'])}")
        best = group.sort_values(["heldout_top1_err_pct", "lr"]).index[0]
        keep.append(best)
        rates = sorted(grid or group["lr"])
        chosen = frame.at[best, "lr"]
        failed = sorted(lr for f, lr in diverged if math.isclose(f, fraction)
                        and not any(math.isclose(lr, r) for r in group["lr"]))
        bounded = [r for r in rates if not any(math.isclose(r, lr) for lr in failed)]
        above = any(lr > chosen for lr in failed)
        choices.append({"fraction": fraction, "lr": chosen, "grid": rates, "diverged": failed,
                        "heldout": dict(zip(group["lr"], group["heldout_top1_err_pct"])),
                        "missing": [lr for lr in bounded if not any(math.isclose(lr, r) for r in group["lr"])],
                        "edge": len(bounded) > 1 and (math.isclose(chosen, bounded[0])
                                                      or (math.isclose(chosen, bounded[-1]) and not above))})
    return frame[(frame["kind"] != FINETUNED) | frame.index.isin(keep)], choices


def transfer_frame(cited: list[Record], reference: list[Record] = (), lr_grid=None, diverged=()) -> pd.DataFrame:
    """Study rows by fraction (largest first) and kind, then the reference rows.

    Args:
      lr_grid, diverged: the study's fine-tuning rates and those that diverged (`choose_finetuned`).

    Raises:
      RecordError: a run not of Imagenette, or two runs of one model at one fraction.
    """
    frame = pd.DataFrame([row(r, False) for r in cited], columns=list(COLUMNS))
    frame, choices = choose_finetuned(frame, lr_grid, diverged)
    clash = frame[frame.duplicated(["fraction", "kind"], keep=False)]
    if len(clash):
        raise RecordError(f"two runs of one model at one fraction: {', '.join(clash['run_id'])}")
    order = {k: i for i, k in enumerate(KINDS)}
    frame = frame.sort_values(["fraction", "kind"], ascending=[False, True],
                              key=lambda s: s.map(order) if s.name == "kind" else s)
    if reference:
        frame = pd.concat([frame, pd.DataFrame([row(r, True) for r in reference], columns=list(COLUMNS))])
    for col in ("n_train_images", "n_val_images"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame = frame.reset_index(drop=True)
    frame.attrs["lr_choices"] = choices  # for the Markdown's note on the fine-tuning rates
    return frame


def _pct_of_images(fraction: float) -> str:
    return f"{fraction * 100:g}% of Imagenette's training images"


def winner_sentences(frame: pd.DataFrame) -> list[str]:
    """Per fraction of the study rows: which model has the lowest top-1 error (centre crop), by how much."""
    out = []
    study = frame[~frame["reference"].astype(bool)]
    for fraction, group in sorted(study.groupby("fraction"), key=lambda item: -item[0]):
        ranked = group.sort_values("top1_err_pct_centre").to_dict("records")
        best, rest = ranked[0], ranked[1:]
        where = f"At {_pct_of_images(fraction)}"
        if not rest:
            out.append(f"{where} only the {best['kind']} has run so far: {best['top1_err_pct_centre']:.2f}% "
                       "top-1 error (centre crop).")
            continue
        # Errors are shown with two decimals: what rounds to the same number is a tie.
        tied = [r for r in rest if round(r["top1_err_pct_centre"] - best["top1_err_pct_centre"], 2) == 0]
        if tied:
            names = " and the ".join(r["kind"] for r in [best, *tied])
            out.append(f"{where} the {names} tie on top-1 error (centre crop): "
                       f"{best['top1_err_pct_centre']:.2f}%.")
            continue
        behind = ", and ".join(f"{r['top1_err_pct_centre'] - best['top1_err_pct_centre']:.1f} points ahead of the "
                              f"{r['kind']}, at {r['top1_err_pct_centre']:.2f}%" for r in rest)
        verb = "win" if best["kind"] == KINDS[3] else "wins"   # 'the Fisher vectors win'
        out.append(f"{where} the **{best['kind']} {verb}** on top-1 error (centre crop) with "
                   f"{best['top1_err_pct_centre']:.2f}%: {behind}.")
    return out


def missing_cells(frame: pd.DataFrame, definition: dict) -> list[str]:
    """The study's (kind, fraction) cells without a row, e.g. 'probe (frozen) at 10%'."""
    study = frame[~frame["reference"].astype(bool)]
    have = {(k, f) for k, f in zip(study["kind"], study["fraction"])}
    rates = {c["fraction"]: c["missing"] for c in frame.attrs.get("lr_choices", [])}
    out = []
    for fraction in definition["fractions"]:
        for kind in KINDS:
            if not any(k == kind and math.isclose(f, fraction) for k, f in have):
                out.append(f"{kind} at {fraction * 100:g}%")
            elif kind == FINETUNED:
                missing = next((m for f, m in rates.items() if math.isclose(f, fraction)), [])
                out += [f"{kind} (lr {lr:g}) at {fraction * 100:g}%" for lr in missing]
    return out


def transfer_markdown(frame: pd.DataFrame, definition: dict) -> str:
    reference = frame["reference"].astype(bool)
    table = pd.DataFrame({
        "Training images": frame["fraction"].map(lambda f: f"{f * 100:g}%"),
        "Learned from": frame["n_train_images"].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}"),
        "Kind": frame["kind"],
        "Model": frame["name"] + reference.map({True: " (224 px, reference)", False: ""}),
        **{label: frame[col].map(fmt_pct) for label, col in zip(
            ("Top-1 centre", "Top-5 centre", "Top-1 10-crop", "Top-5 10-crop"), ERRORS)},
        "Run": "`" + frame["run_id"] + "`"})
    val = ", ".join(f"{int(n):,}" for n in frame["n_val_images"].dropna().unique())
    text = [
        "# Imagenette at 64 px: frozen Tiny-ImageNet features against training anew\n",
        "Generated by `python -m reporting.transfer` from the run records in `records/`; do not edit by hand. "
        "experiments/transfer.py says what is compared: the Tiny-ImageNet network's features with a linear "
        "classifier (probe, frozen), that network fine-tuned on Imagenette (all layers, fc8 afresh), the same "
        "network trained from scratch on Imagenette, and the 2012-form Fisher vectors, each on the same training images at one fraction, holding out the same images to "
        f"choose its settings. Error rates in percent on Imagenette's val split ({val} images); ten crops "
        "where the run evaluated them. Learned from: the training images of the final fit.\n",
        markdown_table(table, right=("Training images", "Learned from", *table.columns[4:8]))]
    if reference.any():
        text.append("Rows marked reference are `results/imagenette/summary.md`'s: the same val images at 224 px, "
                    "not the study's 64 px, so context rather than part of the comparison.\n")
    text += lr_choice_lines(frame.attrs.get("lr_choices", []))
    text += ["## Who wins\n", *[f"- {s}" for s in winner_sentences(frame)], ""]
    missing = missing_cells(frame, definition)
    if missing:
        text.append(f"Not run yet: {', '.join(missing)} (`make reproduce-transfer`).\n")
    return "\n".join(text)


def lr_choice_lines(choices: list[dict]) -> list[str]:
    """One line per fraction: the fine-tuning rate the held-out images chose, and its grid."""
    if not choices:
        return []
    lines = ["Fine-tuning's learning rate, chosen per fraction on the held-out images (final held-out top-1 "
             "error per rate; the val errors of the other rates' runs, in their records, take no part):\n"]
    for c in sorted(choices, key=lambda c: -c["fraction"]):
        def state(lr: float) -> str:
            held = next((e for r, e in c["heldout"].items() if math.isclose(r, lr)), None)
            if held is not None:
                return f"{held:.2f}%"
            return "diverged" if any(math.isclose(r, lr) for r in c.get("diverged", ())) else "not run"

        grid = ", ".join(f"{lr:g}: {state(lr)}" for lr in c["grid"])
        edge = " **at the grid's edge: widen the grid**" if c["edge"] else ""
        lines.append(f"- {_pct_of_images(c['fraction'])}: lr {c['lr']:g} ({grid}){edge}")
    return [*lines, ""]


DIVERGED_FILES = ("config.json", "provenance.json", records.DIVERGED)  # what a diverged run's record keeps


def _recipe(config: dict) -> str:
    """A fine-tuning config without its rate: the runs of one grid share it."""
    return json.dumps({k: v for k, v in config.items() if k != "lr"}, sort_keys=True, default=str)


def diverged_finetunes(runs_dir: Path, results_dir: Path, cited: list[Record]) -> dict[str, dict[str, str]]:
    """The fine-tuning runs that diverged in the grids of the cited ones: run id -> their record's files.

    A run folder the trainer left unfinished with diverged.json (alexnet.train)
    under `runs_dir`, or its copy kept in results/transfer/records, counts when
    its config is a cited fine-tuning run's but for the rate, and no cited run
    has that rate at that fraction (a rate that trained later wins over its
    old verdict); of two for one (fraction, rate), the newer.
    """
    tuned = [r for r in cited if kind_of(r) == FINETUNED]
    recipes = {_recipe(r.config) for r in tuned}
    trained = {(fraction_of(r), r.config.get("lr")) for r in tuned}
    experiments = {r.config["experiment"] for r in tuned}
    folders = [p for e in sorted(experiments) for p in Path(runs_dir).glob(f"*-{e}-*")]
    folders += list((Path(results_dir) / FOLDER / "records").glob("*"))
    newest: dict[tuple, Path] = {}
    for folder in sorted(folders, key=lambda p: p.name):
        if (folder / "done").exists() or not ((folder / records.DIVERGED).is_file()
                                               and (folder / "config.json").is_file()):
            continue
        config = records.read_json(folder / "config.json")
        key = (config.get("train_fraction", 1.0), config.get("lr"))
        if _recipe(config) in recipes and not any(math.isclose(key[0], f) and math.isclose(key[1], lr)
                                                  for f, lr in trained):
            newest[key] = folder
    return {p.name: {n: (p / n).read_text() for n in DIVERGED_FILES if (p / n).is_file()}
            for p in newest.values()}


def reference_ids(results_dir: Path) -> list[str]:
    """The runs results/imagenette/summary.csv cites (none when it is absent)."""
    summary = Path(results_dir) / REFERENCE_SCALE / "summary.csv"
    return pd.read_csv(summary)["run_id"].tolist() if summary.is_file() else []


def generate(runs_dir: Path, results_dir: Path, run_ids=(), definition: dict | None = None) -> list[Path]:
    """Writes results/transfer's table and the study runs' records; returns the files written.

    Args:
      run_ids: the study runs to cite (default: the copies in results/transfer/records).
        Fine-tuning runs that diverged are found apart (`diverged_finetunes`),
        named in the rate lines and kept beside the records (config,
        provenance and diverged.json).
      definition: the study's config (default experiments/transfer.py); it names the cells not run yet.

    Raises:
      RecordError: nothing to cite; a cited run missing, unfinished, evaluated on
        part of the split, not of Imagenette, or a second run of one cell.
    """
    definition = definition or study_definition()
    out = Path(results_dir) / FOLDER
    ids = [Path(i).name for i in run_ids] or sorted(
        p.name for p in (out / "records").glob("*")
        if (p / "config.json").is_file() and not (p / records.DIVERGED).is_file())
    if not ids:
        cells = " and ".join(f"{f * 100:g}%" for f in definition["fractions"])
        raise RecordError(f"no transfer-study runs to cite: {out / 'records'} is empty and no --run-ids were "
                          f"given; missing: {', '.join(KINDS)} at {cells} of Imagenette's training images "
                          "(run `make reproduce-transfer` first)")
    found = discover(runs_dir, results_dir)
    cited = lookup(found, ids, runs_dir, results_dir)
    reference = lookup(found, [i for i in reference_ids(results_dir) if i not in ids], runs_dir, results_dir)
    lr_grid = (definition.get("finetune") or {}).get("lrs")
    failed = diverged_finetunes(runs_dir, results_dir, cited)    # read before the copies are pruned
    diverged = [(c.get("train_fraction", 1.0), c["lr"]) for c in
                (json.loads(files["config.json"]) for files in failed.values())]
    frame = transfer_frame(cited, reference, lr_grid, diverged)     # first, so a broken record changes nothing
    markdown = transfer_markdown(frame, definition)
    copy_records(cited, out / "records", confusion=False)
    for run_id, files in failed.items():
        for name, text in files.items():
            records.write_text_atomic(out / "records" / run_id / name, text)
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    records.write_text_atomic(csv_path, frame.to_csv(index=False))
    records.write_text_atomic(md_path, markdown)
    return [csv_path, md_path]


def main(argv: list[str] | None = None) -> int:
    return generate_main(generate, "python -m reporting.transfer", __doc__.split("\n")[0],
                         "cite these runs (default: those in results/transfer/records)", argv)


if __name__ == "__main__":
    raise SystemExit(main())
