"""The classes axis of Tiny ImageNet: both models' errors and the CNN's lead per number of classes.

    python -m reporting.classes [--runs-dir runs] [--results-dir results] [--run-ids ID ...]

Writes, from run records only (experiments/tiny_imagenet_classes.py says
what the runs are):

    results/tiny_imagenet/classes.csv           one row per (classes, model): top-1/top-5 (centre)
    results/tiny_imagenet/classes.md            the same, with the CNN's lead per number of classes
    results/tiny_imagenet/figures/classes.png   the lead against the number of classes
    results/tiny_imagenet_classes/records/      every cited run's record, the 200-class pair's too

Without --run-ids it cites those committed records, and for a model without
a 200-class record among them the run results/tiny_imagenet/summary.csv
cites. The lead is the Fisher vectors' error minus the CNN's (positive: the
CNN is better), in points; both are centre-crop numbers, so the crop is the
same on both sides.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from alexnet import records
from reporting.cli import generate_main
from reporting.figures import save
from reporting.plots import KIND_COLOURS
from reporting.runs import Record, RecordError, discover, lookup
from reporting.tables import copy_records, fmt_pct, markdown_table, short_name, summary_row

SCALE = "tiny_imagenet"
RECORDS_FOLDER = "tiny_imagenet_classes"
COLUMNS = ("classes", "kind", "model", "name", "n_train_images", "n_val_images", "top1_err_pct", "top5_err_pct",
           "run_id")


def n_classes(record: Record) -> int:
    """The number of classes of a Tiny ImageNet run, from its dataset name ('tiny_imagenet:50' -> 50)."""
    dataset = str(record.config.get("dataset", ""))
    if dataset == SCALE:
        return 200
    if dataset.startswith(SCALE + ":") and dataset.partition(":")[2].isdigit():
        return int(dataset.partition(":")[2])
    raise RecordError(f"run {record.run_id} is not a Tiny ImageNet run (dataset {dataset!r})")


def _n_trained(record: Record) -> int | None:
    """Images the model learned from: the CNN's fit part, the SVM's final fit."""
    result = record.eval()
    subset = result.get("train_subset") or {}
    if record.kind == "handcrafted" and subset:
        n = subset.get("n_images", 0)
        return n if subset.get("final_fit_includes_holdout", True) else n - subset.get("n_holdout", 0)
    return (record.provenance().get("dataset") or {}).get("trained_on")


def class_frame(cited: list[Record]) -> pd.DataFrame:
    """One row per cited run, sorted by classes then kind (CNN first)."""
    rows = []
    for record in cited:
        row = summary_row(record)
        rows.append({"classes": n_classes(record), "kind": record.kind, "model": record.model,
                     "name": short_name(record.model, record.kind), "n_train_images": _n_trained(record),
                     "n_val_images": row["n_images"], "top1_err_pct": row["top1_err_pct_centre"],
                     "top5_err_pct": row["top5_err_pct_centre"], "run_id": record.run_id})
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    duplicated = frame[frame.duplicated(["classes", "kind"], keep=False)]
    if len(duplicated):
        raise RecordError(f"two runs of one model at one number of classes: {', '.join(duplicated['run_id'])}")
    for col in ("n_train_images", "n_val_images"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame.sort_values(["classes", "kind"], key=lambda s: s.map({"cnn": 0, "handcrafted": 1})
                             if s.name == "kind" else s).reset_index(drop=True)


def leads(frame: pd.DataFrame) -> pd.DataFrame:
    """Per number of classes with both models: errors, lead (FV minus CNN, points), CNN/FV top-5 ratio."""
    columns = ["classes"] + [f"{m}_{k}" for k in ("top1", "top5") for m in ("cnn", "fv", "lead")] + ["top5_ratio"]
    if not {"cnn", "handcrafted"} <= set(frame["kind"]):
        return pd.DataFrame(columns=columns)     # one model only so far: no lead yet
    wide = frame.pivot(index="classes", columns="kind", values=["top1_err_pct", "top5_err_pct"]).dropna()
    out = pd.DataFrame(index=wide.index)
    for k in ("top1", "top5"):
        out[f"cnn_{k}"] = wide[(f"{k}_err_pct", "cnn")]
        out[f"fv_{k}"] = wide[(f"{k}_err_pct", "handcrafted")]
        out[f"lead_{k}"] = out[f"fv_{k}"] - out[f"cnn_{k}"]
    out["top5_ratio"] = out["cnn_top5"] / out["fv_top5"]
    return out.reset_index()[columns]


def classes_markdown(frame: pd.DataFrame, lead: pd.DataFrame) -> str:
    table = pd.DataFrame({
        "Classes": frame["classes"], "Model": frame["name"],
        "Trained on": frame["n_train_images"].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}"),
        "Val images": frame["n_val_images"].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}"),
        "Top-1": frame["top1_err_pct"].map(lambda v: fmt_pct(v, 1)),
        "Top-5": frame["top5_err_pct"].map(lambda v: fmt_pct(v, 1)),
        "Run": "`" + frame["run_id"] + "`"})
    gap = pd.DataFrame({
        "Classes": lead["classes"],
        "CNN lead, top-1 (points)": lead["lead_top1"].map(lambda v: f"{v:+.1f}"),
        "CNN lead, top-5 (points)": lead["lead_top5"].map(lambda v: f"{v:+.1f}"),
        "CNN / FV top-5": lead["top5_ratio"].map(lambda v: f"{v:.2f}")})
    return "\n".join([
        "# Tiny ImageNet: the CNN's lead as the number of classes grows\n",
        "Generated by `python -m reporting.classes` from run records; do not edit by hand. Nested class "
        "subsets at 500 training images per class (experiments/tiny_imagenet_classes.py); error rates in "
        "percent on the val images of the subset's classes, centre crop for both models, one run each "
        "(no seed spread: differences of a point or two are within what a second seed could move).\n",
        markdown_table(table, right=("Classes", "Trained on", "Val images", "Top-1", "Top-5")),
        "## The lead\n",
        "Fisher vectors' error minus the CNN's: positive where the CNN is better. The paper's CNN/FV top-5 "
        "ratio on ILSVRC-2012 was 18.2/26.2 = 0.69 for one CNN (results/published.csv).\n",
        markdown_table(gap, right=tuple(gap.columns))])


def classes_figure(frame: pd.DataFrame, lead: pd.DataFrame) -> Figure:
    """Left: both models' top-1 and top-5 error; right: the CNN's lead, against the number of classes."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    errors, gap = fig.subplots(1, 2)
    for kind, group in frame.groupby("kind"):
        colour = KIND_COLOURS.get(kind, "grey")
        name = group["name"].iloc[0]
        errors.plot(group["classes"], group["top1_err_pct"], "o-", color=colour, label=f"{name} top-1")
        errors.plot(group["classes"], group["top5_err_pct"], "s--", color=colour, label=f"{name} top-5")
    gap.axhline(0.0, color="grey", linewidth=0.8)
    gap.plot(lead["classes"], lead["lead_top1"], "o-", color="black", label="top-1")
    gap.plot(lead["classes"], lead["lead_top5"], "s--", color="black", label="top-5")
    for ax, title, label in ((errors, "Error on the val images of the subset's classes", "error (%)"),
                             (gap, "CNN's lead (FV error minus CNN error)", "points")):
        ax.set_xscale("log")
        ticks = sorted(frame["classes"].unique())
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("classes (500 training images each)")
        ax.set_ylabel(label)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    return fig


def headline_run_ids(results_dir: Path) -> list[str]:
    """The 200-class pair results/tiny_imagenet/summary.csv cites (none before it exists)."""
    summary = Path(results_dir) / SCALE / "summary.csv"
    return pd.read_csv(summary)["run_id"].tolist() if summary.is_file() else []


def default_run_ids(results_dir: Path) -> list[str]:
    """The committed records of the axis, and the headline's 200-class run of each model they lack.

    A 200-class run among the axis' own records (the recipe the axis ran at
    every number of classes, after the headline moved on to a longer one)
    takes the place of the headline's run of the same experiment.
    """
    folders = sorted(p for p in (Path(results_dir) / RECORDS_FOLDER / "records").glob("*")
                     if (p / "config.json").is_file())
    configs = {p.name: records.read_json(p / "config.json") for p in folders}
    own = {c["experiment"] for c in configs.values() if c["dataset"] == SCALE}
    headline = [i for i in headline_run_ids(results_dir) if _experiment(i) not in own]
    return list(configs) + headline


def _experiment(run_id: str) -> str:
    """'tiny_imagenet_alexnet' of '20261207T040844Z-tiny_imagenet_alexnet-5b84e62d'."""
    return run_id.split("-", 1)[1].rsplit("-", 1)[0]


def generate(runs_dir: Path, results_dir: Path, run_ids=()) -> list[Path]:
    """Writes the classes table, figure and the axis' records; returns the files written.

    Every cited record is copied to results/tiny_imagenet_classes/records, the
    200-class pair included, so the axis stays whole when the headline table
    moves on to a newer recipe (and drops its copy of the older run).

    Raises:
      RecordError: nothing to cite, a cited run missing, unfinished or not of Tiny ImageNet.
    """
    ids = [Path(i).name for i in run_ids] or default_run_ids(results_dir)
    if not ids:
        raise RecordError("no classes-axis runs to cite; run `make reproduce-tiny-imagenet-classes` first")
    cited = lookup(discover(runs_dir, results_dir), ids, runs_dir, results_dir)
    frame = class_frame(cited)            # first, so a broken record changes nothing on disk
    lead = leads(frame)
    out = Path(results_dir) / SCALE
    copy_records(cited, Path(results_dir) / RECORDS_FOLDER / "records", confusion=False)
    csv_path, md_path = out / "classes.csv", out / "classes.md"
    records.write_text_atomic(csv_path, frame.to_csv(index=False))
    records.write_text_atomic(md_path, classes_markdown(frame, lead))
    return [csv_path, md_path, *save(classes_figure(frame, lead), out / "figures", "classes")]


def main(argv: list[str] | None = None) -> int:
    return generate_main(generate, "python -m reporting.classes", __doc__.split("\n")[0],
                         "cite exactly these runs", argv)


if __name__ == "__main__":
    raise SystemExit(main())
