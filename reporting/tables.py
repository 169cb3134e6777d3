"""Per-scale summary tables, generated from run records only (never typed).

    python -m reporting.tables [--runs-dir runs] [--results-dir results]
                               [--run-ids ID ...] [--scale NAME ...]

For every scale (dataset) with records, writes

    results/<scale>/summary.csv     one row per cited run, raw numbers
    results/<scale>/summary.md      the same for reading, with the published
                                    numbers for that dataset beside ours
    results/<scale>/records/<id>/   config, provenance, metrics and eval of each
                                    cited run (plus confusion.csv), nothing else

Copies of runs the summary no longer cites are removed, so records/ always holds
exactly what the table cites. With no runs/ folder (a fresh clone) the copies
themselves are the records, and the same tables come out again.
"""

from __future__ import annotations

import argparse
import math
import shutil
from pathlib import Path

import pandas as pd

from alexnet import records
from reporting import predictions, published
from reporting.runs import Record, RecordError, add_arguments, cite, resolve_dirs, run_main

SUMMARY_COLUMNS = (
    "model", "kind", "name", "split", "n_images",
    "top1_err_pct_centre", "top5_err_pct_centre", "top1_err_pct_10crop", "top5_err_pct_10crop",
    "params", "train_time_s", "hardware", "run_id",
)

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
    }


def summary_frame(cited: list[Record]) -> pd.DataFrame:
    """The summary table of one scale; integer columns stay integers in the CSV."""
    frame = pd.DataFrame([summary_row(r) for r in cited], columns=list(SUMMARY_COLUMNS))
    for col in ("n_images", "params"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame["train_time_s"] = pd.to_numeric(frame["train_time_s"], errors="coerce").astype(float)
    return frame


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


def summary_markdown(scale: str, frame: pd.DataFrame, reference: pd.DataFrame) -> str:
    """summary.md: our table, then the published numbers on the same dataset."""
    ours = pd.DataFrame({
        "Model": frame["name"],
        "Top-1 centre": frame["top1_err_pct_centre"].map(fmt_pct),
        "Top-5 centre": frame["top5_err_pct_centre"].map(fmt_pct),
        "Top-1 10-crop": frame["top1_err_pct_10crop"].map(fmt_pct),
        "Top-5 10-crop": frame["top5_err_pct_10crop"].map(fmt_pct),
        "Parameters": frame["params"].map(fmt_params),
        "Training time": frame["train_time_s"].map(fmt_duration),
        "Hardware": frame["hardware"],
        "Run": "`" + frame["run_id"] + "`",
    })
    splits = ", ".join(f"{s} split, {n:,} images" for s, n in
                       frame[["split", "n_images"]].drop_duplicates().itertuples(index=False))
    text = [f"# {scale}: our runs\n",
            "Generated by `python -m reporting.tables` from the run records in `records/`; "
            "do not edit by hand.\n",
            markdown_table(ours, right=tuple(ours.columns[1:7])),
            f"Error rates in percent ({splits}). Each run's config, provenance, per-epoch "
            "metrics and evaluation are in `records/<run>/`.\n"]
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


def write_scale(scale: str, cited: list[Record], results_dir: Path, reference: pd.DataFrame) -> list[Path]:
    """Writes results/<scale>/summary.{csv,md} and records/; returns the tables' paths."""
    frame = summary_frame(cited)  # first, so a broken record changes nothing on disk
    out = Path(results_dir) / scale
    copy_records(cited, out / "records")
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    records.write_text_atomic(csv_path, frame.to_csv(index=False))
    records.write_text_atomic(md_path, summary_markdown(scale, frame, published.for_scale(reference, scale)))
    return [csv_path, md_path]


def generate(runs_dir: Path, results_dir: Path, run_ids=(), scales=None) -> list[Path]:
    """Regenerates the summary of every scale with records; returns the files written.

    Raises:
      RecordError: no records at all, or a cited record lacking what the table needs.
    """
    cited = cite(runs_dir, results_dir, run_ids, scales)
    if not cited:
        raise RecordError(f"no finished run records in {runs_dir} nor in {results_dir}/*/records; "
                          "train something first (make reproduce)")
    reference = published.load(results_dir)
    written = []
    for scale, recs in cited.items():
        written += write_scale(scale, recs, results_dir, reference)
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
