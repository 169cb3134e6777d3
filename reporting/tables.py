"""Per-scale summary tables, generated from run records only (never typed).

    python -m reporting.tables [--runs-dir runs] [--results-dir results]
                               [--run-ids ID ...] [--scale NAME ...]

For every scale (dataset) with records, writes

    results/<scale>/summary.csv     one row per cited model, raw numbers
    results/<scale>/summary.md      the same for reading, with the published
                                    numbers for that dataset beside ours
    results/<scale>/records/<id>/   config, provenance, metrics and eval of each
                                    cited run (plus confusion.csv), nothing else:
                                    every seed of a multi-seed row and every
                                    member of an ensemble found in runs/ or results/

A row is one (scale, model): the runs `reporting.runs.cite_groups` picks, i.e.
the newest run's recipe with every seed of it that ran (runs whose configs
differ only in `seed`; a newer run of another config of the model replaces
them all). Such a group of several seeds is ONE row of means.

summary.csv columns, always (SUMMARY_COLUMNS):

    model, kind, name, split, n_images
    top1_err_pct_centre, top5_err_pct_centre, top1_err_pct_10crop, top5_err_pct_10crop
                        error in percent; over several seeds, their mean
    params              parameters (over seeds: the common value)
    train_time_s        training time of one run (over seeds: the mean per run)
    hardware            the machine(s)
    run_id              the run, or over seeds the newest one (what the figures draw)
    svm_choice          how the held-out images chose a Fisher-vector row's penalty C
                        (interior, edge, tie, fixed; over seeds each verdict that
                        occurred); empty for CNNs. summary.md says it in words.

only when some row averages several seeds (SEED_COLUMNS; single-seed rows then
have n_seeds 1 and no std):

    n_seeds, seeds      how many seeds, and their `seed` values space-separated
    top1_err_pct_centre_std, ..., top5_err_pct_10crop_std
                        sample standard deviation (ddof 1) over the seeds
    run_ids             every seed's run id, space-separated, in seed order

only when an ensemble (`alexnet.ensemble`, a config listing `members`) is cited
(ENSEMBLE_COLUMNS, empty on other rows):

    n_members           how many runs its softmax outputs average
    members_same_recipe True when the members are one recipe with distinct seeds
                        (judged from the member records' configs when all are at
                        hand, else from the ensemble config's member definitions)
    member_run_ids      the members' run ids, space-separated
    members_missing     those whose record is neither in runs/ nor under results/,
                        so not under results/<scale>/records (empty when all are)

So a table of single runs, without ensembles, reads exactly as before multi-seed
rows existed. In summary.md a multi-seed cell reads '14.95 ± 0.21 (3 seeds)' (the
scaling table's style), its training time is per run, and Run lists every seed;
an ensemble's Model cell says how many members it has and whether they are one
recipe with different seeds.

Copies of runs the summary no longer cites are removed, so records/ always holds
exactly what the table cites. With no runs/ folder (a fresh clone) the copies
themselves are the records, and the same tables come out again.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path

import pandas as pd

from alexnet import records
from baselines.selection import record_verdict
from reporting import predictions, published
from reporting.plots import split_name
from reporting.runs import (Record, RecordError, add_arguments, cite_groups, discover, newest, resolve_dirs,
                            run_main)

SUMMARY_COLUMNS = (
    "model", "kind", "name", "split", "n_images",
    "top1_err_pct_centre", "top5_err_pct_centre", "top1_err_pct_10crop", "top5_err_pct_10crop",
    "params", "train_time_s", "hardware", "run_id", "svm_choice",
)
ERROR_COLUMNS = ("top1_err_pct_centre", "top5_err_pct_centre", "top1_err_pct_10crop", "top5_err_pct_10crop")
# Written only when some row averages several seeds / some row is an ensemble (module docstring).
SEED_COLUMNS = ("n_seeds", "seeds", *(f"{c}_std" for c in ERROR_COLUMNS), "run_ids")
ENSEMBLE_COLUMNS = ("n_members", "members_same_recipe", "member_run_ids", "members_missing")

MODEL_NAMES = {
    "alexnet2012": "AlexNet 2012 (two towers)",
    "alexnet2014": "AlexNet 2014 (one tower)",
    "cifar_convnet": "CIFAR ConvNet (cuda-convnet layout)",
    "cifar_alexnet": "Small-image AlexNet (CIFAR)",
    "cifar_alexnet_ensemble": "Small-image AlexNet, ensemble (CIFAR)",
    "alexnet64": "AlexNet at 64 px (conv1 5x5 stride 2)",
}
# The baseline's `model` names: (table name, short label). The 2012 entries' form
# (colour statistics beside SIFT, on Imagenette also a spatial pyramid) is the
# headline baseline; the plain SIFT pipeline stays beside it (issue 13).
HANDCRAFTED_NAMES = {
    "dsift_fv_svm": ("Dense SIFT + Fisher vectors + linear SVM (plain)", "SIFT+FV"),
    "dsift_colour_fv_svm": ("Dense SIFT + colour Fisher vectors + linear SVM (2012 form)", "SIFT+colour FV"),
    "dsift_colour_pyramid_fv_svm": ("Dense SIFT + colour Fisher vectors, spatial pyramid + linear SVM "
                                    "(2012 form)", "SIFT+colour+SPM FV"),
}
HANDCRAFTED_NAME, HANDCRAFTED_SHORT = HANDCRAFTED_NAMES["dsift_fv_svm"]


def display_name(model: str, kind: str) -> str:
    """A reader's name for a model id ('alexnet2012' -> 'AlexNet 2012 (two towers)')."""
    if model in MODEL_NAMES:
        return MODEL_NAMES[model]
    if model in HANDCRAFTED_NAMES:
        return HANDCRAFTED_NAMES[model][0]
    if model.endswith("_probe"):  # alexnet.probe: '<arch>_<layer>_probe'
        arch, layer = model.removesuffix("_probe").rsplit("_", 1)
        return f"{MODEL_NAMES.get(arch, arch)}: {layer} features (frozen) + logistic regression"
    return HANDCRAFTED_NAME if kind == "handcrafted" else model


def short_name(model: str, kind: str) -> str:
    """A label that fits under an image ('AlexNet 2012', 'SIFT+FV', 'SIFT+colour FV')."""
    if model in HANDCRAFTED_NAMES:
        return HANDCRAFTED_NAMES[model][1]
    if kind == "handcrafted" and model not in MODEL_NAMES:
        return HANDCRAFTED_SHORT
    return display_name(model, kind).split(" (")[0].replace("Small-image AlexNet", "small AlexNet")


def _errors(record: Record, result: dict, key: str, required: bool) -> tuple[float, float]:
    block = result.get(key)
    if block is None and key == "centre":
        block = result.get("center")
    if not block:
        if required:
            raise RecordError(f"run record {record.path}: eval.json has no '{key}' errors")
        return math.nan, math.nan
    try:
        return float(block["top1_err_pct"]), float(block["top5_err_pct"])
    except (KeyError, TypeError, ValueError):
        raise RecordError(f"run record {record.path}: eval.json '{key}' lacks top1_err_pct/top5_err_pct "
                          f"in percent (found {sorted(block)})") from None


def summary_row(record: Record) -> dict:
    """One table row from a record's eval.json, config and provenance."""
    result = record.eval()
    top1_c, top5_c = _errors(record, result, "centre", required=True)
    top1_t, top5_t = _errors(record, result, "ten_crop", required=False)
    hardware = record.hardware()
    return {
        "model": record.model, "kind": record.kind, "name": display_name(record.model, record.kind),
        "split": result.get("split", ""), "n_images": result.get("n_images"),
        "top1_err_pct_centre": top1_c, "top5_err_pct_centre": top5_c,
        "top1_err_pct_10crop": top1_t, "top5_err_pct_10crop": top5_t,
        "params": result.get("params"), "train_time_s": result.get("train_time_s"),
        "hardware": records.hardware_summary(hardware) if hardware else "",
        "run_id": record.run_id,
        "svm_choice": record_verdict(result) if record.kind == "handcrafted" else "",
    }


def ensemble_columns(record: Record, found: dict[str, Record] | None = None) -> dict:
    """An ensemble's members (ENSEMBLE_COLUMNS); all None for a run that is not an ensemble.

    Args:
      found: the records at hand (`runs.discover`), to read the members' configs.
    """
    if "members" not in record.config:
        return dict.fromkeys(ENSEMBLE_COLUMNS)
    found = found or {}
    ids = [str(i) for i in record.eval().get("members") or []]
    held = [found[i] for i in ids if i in found]
    if ids and len(held) == len(ids):
        recipes = {m.recipe for m in held}
        seeds = [json.dumps(m.seed, default=str) for m in held]
    else:  # the definition: [experiment file, [key=value overrides]] per member
        split = [(file, tuple(sorted(o for o in overrides if not str(o).startswith("seed="))),
                  tuple(o for o in overrides if str(o).startswith("seed="))) for file, overrides in
                 record.config["members"]]
        recipes = {(file, rest) for file, rest, _ in split}
        seeds = [seed for *_, seed in split]
    return {"n_members": len(ids) or len(record.config["members"]),
            "members_same_recipe": len(recipes) == 1 and len(set(seeds)) == len(seeds),
            "member_run_ids": " ".join(ids), "members_missing": " ".join(i for i in ids if i not in found)}


def group_row(group: list[Record], found: dict[str, Record] | None = None) -> dict:
    """One table row from runs of one recipe that differ only in seed (most often one run).

    Over several seeds each error is their mean, with the sample standard
    deviation in `<column>_std`; parameters are the common value, training time
    the mean per run, and `run_id` the newest run.

    Raises:
      RecordError: the seeds were evaluated on different splits or numbers of images.
    """
    rows = [summary_row(r) for r in group]
    rep = newest(group)
    row = dict(rows[group.index(rep)])
    row.update({f"{c}_std": math.nan for c in ERROR_COLUMNS})
    if len(group) > 1:
        for key in ("split", "n_images"):
            values = sorted({str(r[key]) for r in rows})
            if len(values) > 1:
                raise RecordError(f"runs {', '.join(r.run_id for r in group)} differ only in seed but were "
                                  f"evaluated differently ({key}: {', '.join(values)}); cite one of them")
        for col in ERROR_COLUMNS:
            values = pd.Series([r[col] for r in rows], dtype=float)
            row[col], row[f"{col}_std"] = values.mean(skipna=False), values.std(ddof=1, skipna=False)
        params = {r["params"] for r in rows}
        row["params"] = params.pop() if len(params) == 1 else None
        row["train_time_s"] = pd.Series([r["train_time_s"] for r in rows], dtype=float).mean()
        row["hardware"] = "; ".join(dict.fromkeys(r["hardware"] for r in rows if r["hardware"]))
        row["svm_choice"] = " ".join(sorted({r["svm_choice"] for r in rows if r["svm_choice"]}))
    row.update({"n_seeds": len(group), "seeds": " ".join(str(r.seed) for r in group if r.seed is not None),
                "run_ids": " ".join(r.run_id for r in group)})
    row.update(ensemble_columns(rep, found))
    return row


def summary_frame(cited: list, found: dict[str, Record] | None = None) -> pd.DataFrame:
    """The summary table of one scale; integer columns stay integers in the CSV.

    Args:
      cited: one item per row: a Record, or a group of records of one recipe
        that differ only in seed (`runs.cite_groups`).
      found: the records at hand (`runs.discover`), for the ensembles' members.

    Returns:
      every column (SUMMARY_COLUMNS, SEED_COLUMNS, ENSEMBLE_COLUMNS); `summary_csv`
      drops those no row needs.
    """
    groups = [[item] if isinstance(item, Record) else list(item) for item in cited]
    frame = pd.DataFrame([group_row(g, found) for g in groups],
                         columns=[*SUMMARY_COLUMNS, *SEED_COLUMNS, *ENSEMBLE_COLUMNS])
    for col in ("n_images", "params", "n_seeds", "n_members"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame["train_time_s"] = pd.to_numeric(frame["train_time_s"], errors="coerce").astype(float)
    return frame


def summary_csv(frame: pd.DataFrame) -> str:
    """summary.csv: SEED_COLUMNS only when a row averages several seeds, ENSEMBLE_COLUMNS only
    when a row is an ensemble, so a table of single runs keeps its columns."""
    drop = [] if (frame["n_seeds"] > 1).any() else list(SEED_COLUMNS)
    drop += [] if frame["n_members"].notna().any() else list(ENSEMBLE_COLUMNS)
    return frame.drop(columns=drop).to_csv(index=False)


def fmt_pct(value, digits: int = 2) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def fmt_params(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value) / 1e6:.1f} M"


def fmt_duration(seconds) -> str:
    if seconds is None or pd.isna(seconds):
        return "—"
    seconds = float(seconds)
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def markdown_table(frame: pd.DataFrame, right: tuple[str, ...] = ()) -> str:
    """A GitHub Markdown table of `frame`'s cells as text; `right` columns right-aligned."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |",
             "|" + "|".join("---:" if c in right else "---" for c in frame.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def seeds_cell(mean, std, n_seeds: int) -> str:
    """'54.72 ± 1.23 (3 seeds)', or '43.26 (1 seed)': a single seed is never mistaken for a mean."""
    if n_seeds > 1:
        return f"{fmt_pct(mean)} ± {fmt_pct(std)} ({n_seeds} seeds)"
    return f"{fmt_pct(mean)} (1 seed)"


def error_cell(mean, std, n_seeds) -> str:
    """'14.95' for one run; over several seeds the scaling table's '14.95 ± 0.21 (3 seeds)'."""
    if n_seeds is None or pd.isna(n_seeds) or n_seeds < 2 or pd.isna(mean):
        return fmt_pct(mean)
    return seeds_cell(mean, std, int(n_seeds))


def model_cell(row) -> str:
    """The row's name; an ensemble's says how many members and whether they are one recipe."""
    if row["n_members"] is None or pd.isna(row["n_members"]):
        return row["name"]
    what = "the same recipe with different seeds" if row["members_same_recipe"] else "different recipes"
    missing = len(str(row["members_missing"] or "").split())
    return (f"{row['name']}: {row['n_members']} members, {what}"
            + (f" (records of {missing} member{'s' if missing > 1 else ''} missing)" if missing else ""))


# How the held-out images chose a baseline's penalty C (baselines.selection.choice_verdict).
CHOICE_WORDS = {"interior": "chosen inside its grid", "edge": "chosen at an edge of its grid (the optimum may lie "
                "beyond it)", "tie": "not determined (every candidate tied on the held-out images)",
                "fixed": "fixed (a single candidate)"}


def penalty_sentence(frame: pd.DataFrame) -> str:
    """One sentence on how each Fisher-vector row's C was chosen ('' without such rows)."""
    rows = frame[frame["kind"] == "handcrafted"]
    parts = [f"{name}: " + ", ".join(CHOICE_WORDS.get(c, c) for c in str(choice).split())
             for name, choice in zip(rows["name"], rows["svm_choice"]) if str(choice).strip()]
    return ("Penalty C of the SVMs, chosen on held-out training images: "
            + "; ".join(parts) + ".\n") if parts else ""


def summary_markdown(scale: str, frame: pd.DataFrame, reference: pd.DataFrame) -> str:
    """summary.md: our table, then the published numbers on the same dataset."""
    several = frame["n_seeds"] > 1
    errors = {label: [error_cell(m, s, n) for m, s, n in zip(frame[col], frame[f"{col}_std"], frame["n_seeds"])]
              for label, col in zip(("Top-1 centre", "Top-5 centre", "Top-1 10-crop", "Top-5 10-crop"),
                                    ERROR_COLUMNS)}
    ours = pd.DataFrame({
        "Model": [model_cell(row) for _, row in frame.iterrows()],
        **errors,
        "Parameters": frame["params"].map(fmt_params),
        "Training time": [fmt_duration(t) + (" each" if many else "")
                          for t, many in zip(frame["train_time_s"], several)],
        "Hardware": frame["hardware"],
        "Run": [", ".join(f"`{i}`" for i in ids.split()) if many else f"`{one}`"
                for one, ids, many in zip(frame["run_id"], frame["run_ids"], several)],
    })
    # A record's split is its source's name (`val`); CIFAR-10's `val` is its test split.
    splits = ", ".join(f"{split_name(scale) if s == 'val' else s} split, {n:,} images" for s, n in
                       frame[["split", "n_images"]].drop_duplicates().itertuples(index=False))
    text = [f"# {scale}: our runs\n",
            "Generated by `python -m reporting.tables` from the run records in `records/`; "
            "do not edit by hand.\n",
            markdown_table(ours, right=tuple(ours.columns[1:7])),
            f"Error rates in percent ({splits}). Each run's config, provenance, per-epoch "
            "metrics and evaluation are in `records/<run>/`.\n"]
    choices = penalty_sentence(frame)
    if choices:
        text.append(choices)
    if several.any():
        text.append("A row over several seeds averages runs of one recipe that differ only in `seed`: "
                    "mean ± sample standard deviation (number of seeds), training time per run, and every "
                    "seed's run under Run and in `records/`.\n")
    if len(reference):
        pub = pd.DataFrame({
            "Model": reference["model"], "Split": reference["split"], "Evaluation": reference["eval"],
            # Published numbers keep the paper's one decimal.
            "Top-1": reference["top1_err_pct"].map(lambda v: fmt_pct(v, 1)),
            "Top-5": reference["top5_err_pct"].map(lambda v: fmt_pct(v, 1)),
            "Source": reference["source"]})
        text += ["## Published on the same dataset\n",
                 "From `results/published.csv`. These are other splits and protocols (the ILSVRC test "
                 "set, ensembles, multi-crop tests): context, not a like-for-like comparison.\n",
                 markdown_table(pub, right=("Top-1", "Top-5"))]
    else:
        text.append("No published numbers exist for this dataset; `results/published.csv` holds the "
                    "ILSVRC and CIFAR-10 references.\n")
    return "\n".join(text)


def copy_records(cited: list[Record], records_dir: Path, confusion: bool = True) -> None:
    """Copies the small files of each cited run here and drops copies no longer cited.

    A cited record already in `records_dir` is left as it is; one elsewhere (a
    run folder, or a committed copy in another results folder) is copied.

    Args:
      confusion: also write confusion.csv (small class counts) for copied runs.
    """
    records_dir.mkdir(parents=True, exist_ok=True)
    for record in cited:
        if record.path.parent.resolve() == records_dir.resolve():
            continue  # it is already the copy
        dest = records.copy_record(record.path, records_dir)
        counts = predictions.record_confusion(record) if confusion else None
        if counts is not None and len(counts) <= predictions.MAX_CONFUSION_CLASSES:
            records.write_text_atomic(dest / "confusion.csv", counts.to_csv())
    keep = {r.run_id for r in cited}
    for stale in sorted(p for p in records_dir.iterdir() if p.is_dir() and p.name not in keep):
        shutil.rmtree(stale)


def write_scale(scale: str, cited: list, results_dir: Path, reference: pd.DataFrame,
                found: dict[str, Record] | None = None) -> list[Path]:
    """Writes results/<scale>/summary.{csv,md} and records/; returns the tables' paths.

    Args:
      cited: the rows, as `summary_frame` takes them (Records or groups of seeds).
      found: the records at hand (`runs.discover`): the ensembles' members among
        them are copied beside the ensemble.
    """
    groups = [[item] if isinstance(item, Record) else list(item) for item in cited]
    frame = summary_frame(groups, found)  # first, so a broken record changes nothing on disk
    out = Path(results_dir) / scale
    copies = {r.run_id: r for g in groups for r in g}
    for ids in frame["member_run_ids"].dropna():
        copies.update({i: found[i] for i in ids.split() if found and i in found and i not in copies})
    copy_records(list(copies.values()), out / "records")
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    records.write_text_atomic(csv_path, summary_csv(frame))
    records.write_text_atomic(md_path, summary_markdown(scale, frame, published.for_scale(reference, scale)))
    return [csv_path, md_path]


def generate(runs_dir: Path, results_dir: Path, run_ids=(), scales=None) -> list[Path]:
    """Regenerates the summary of every scale with records; returns the files written.

    Raises:
      RecordError: no records at all, or a cited record lacking what the table needs.
    """
    found = discover(runs_dir, results_dir)
    cited = cite_groups(runs_dir, results_dir, run_ids, scales, found)
    if not cited:
        raise RecordError(f"no finished run records in {runs_dir} nor in {results_dir}/*/records; "
                          "train something first (make reproduce)")
    reference = published.load(results_dir)
    written = []
    for scale, groups in cited.items():
        written += write_scale(scale, groups, results_dir, reference, found)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.tables", description=__doc__.split("\n")[0])
    add_arguments(parser)

    def body(args, notes):
        runs_dir, results_dir = resolve_dirs(args)
        return generate(runs_dir, results_dir, args.run_ids, args.scales)

    return run_main(body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
