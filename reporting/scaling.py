"""The data-scaling table and figure (issue 7), generated from run records only.

    python -m reporting.scaling [--runs-dir runs] [--results-dir results] [--run-ids ID ...]

Writes

    results/scaling/summary.csv          one row per (scale, model, training fraction)
    results/scaling/summary.md           per scale, the CNN and the baseline side by side, who
                                         leads where and where the curves cross (measured, or
                                         extrapolated by power-law fits, marked as such), and
                                         the published ILSVRC-2012 pair for context
    results/scaling/figures/scaling.{png,pdf}
    results/scaling/records/<run-id>/    config, provenance, metrics and eval of each cited run, and
                                         its per-image predictions (probs, labels) where they come
                                         to under 1 MB compressed: the crossover's bootstrap
                                         resamples their test images

summary.csv columns:

    scale, model, kind, name     as in results/<scale>/summary.csv (kind: cnn | handcrafted)
    train_fraction               the runs' train_fraction
    train_images_per_class       images this model learned from, per class (mean over classes):
                                 the CNN's subset less its held-out part; the baseline's final
                                 fit, the held-out part included unless its record says not
    train_images                 the same, in all
    subset_images                the subset both models drew from (held-out part included)
    n_seeds, seeds               how many subset seeds, and which ("0 1 2")
    top1_err_pct_mean, top1_err_pct_std, top5_err_pct_mean, top5_err_pct_std
                                 validation error in percent, centre crop: mean and sample
                                 standard deviation over the seeds (empty for one seed)
    top1_err_pct_runs            each seed's top-1 error, in the order of seeds and run_ids
    val_images                   validation images evaluated
    run_ids                      the cited runs, space-separated
    svm_solver                   the baseline's SVM solver (liblinear, batched: exact; sgd); empty for CNNs
    svm_choice                   how the held-out images chose its C: interior, edge, tie or fixed

Which runs: --run-ids (the experiment driver passes every finished run of its
grid), else those results/scaling/records already holds, read from their run
folders where those exist; with no runs/ at all, the copies alone give the
same outputs again.

The x of a cell is the images per class the CNN trained on; where the baseline's
count differs, the summary says so and compares both models' runs on one subset
there. A measured crossover is stated as the two sizes where the lead changes
hands, the point interpolated between them and a 95% percentile bootstrap
interval (over seeds, and over test images for the runs whose records hold
predictions), to two significant figures.

The numbers (per-cell means over subset seeds, crossings, extrapolations) are
reporting/scaling_stats.py's, their wording and figure reporting/scaling_presentation.py's;
this module cites the runs and writes the files. Their public names stay importable from here.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from alexnet import records
from reporting import predictions, published
from reporting.cli import generate_main
from reporting.figures import save
from reporting.runs import RecordError, discover, lookup
from reporting.scaling_presentation import (EXTRAPOLATION_AXIS_MAX, ILSVRC_IMAGES_PER_CLASS, ILSVRC_PAIR,
                                            SCALE_STYLES, approx_count, ilsvrc_pair, scaling_figure,
                                            summary_markdown, undetermined, verdict)
from reporting.scaling_stats import (BOOTSTRAP_LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, COLUMNS,
                                     bootstrap_crossover, cell_sizes, crossover, extrapolated_crossover,
                                     paired_means, power_law, power_laws_meet, run_row, straight_gap_closes_at,
                                     summary_frame)
from reporting.tables import copy_records

__all__ = ["BOOTSTRAP_LEVEL", "BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED", "COLUMNS", "EXTRAPOLATION_AXIS_MAX", "FOLDER", "ILSVRC_IMAGES_PER_CLASS", "ILSVRC_PAIR", "RecordError",
           "SCALE_STYLES", "approx_count", "bootstrap_crossover", "cell_sizes", "copy_predictions", "crossover", "extrapolated_crossover", "generate", "ilsvrc_pair", "image_mistakes", "main",
           "paired_means", "power_law", "power_laws_meet", "published", "run_row", "scaling_figure",
           "straight_gap_closes_at", "summary_frame", "summary_markdown", "undetermined", "verdict"]

FOLDER = "scaling"
# A cited run's predictions are committed with its record when they come to less than this.
PREDICTIONS_MAX_BYTES = 1_000_000
# How far a run's error from its predictions may lie from its recorded error (points) for
# its predictions to be taken as those of the recorded evaluation.
PREDICTIONS_TOLERANCE_PCT = 0.1


def image_mistakes(cited: list, rows: list[dict]) -> dict[str, np.ndarray]:
    """Run id -> bool per test image (True: top-1 wrong), for the cited runs whose records hold
    centre-crop predictions that give their recorded error; per scale, only runs whose
    labels match the scale's first such run's, so every resample draws the same images
    for both models."""
    top1 = {row["run_id"]: row["top1"] for row in rows}
    labels_of: dict[str, np.ndarray] = {}
    out = {}
    for record in cited:
        preds = predictions.load(record)
        if preds is None or predictions.saved_crops(record) != "centre":
            continue
        wrong = preds.predicted != preds.labels
        if abs(100.0 * wrong.mean() - top1[record.run_id]) > PREDICTIONS_TOLERANCE_PCT:
            continue  # not the predictions of the evaluation the table reports
        first = labels_of.setdefault(record.scale, preds.labels)
        if np.array_equal(first, preds.labels):
            out[record.run_id] = wrong
    return out


def copy_predictions(cited: list, records_dir: Path, max_bytes: int = PREDICTIONS_MAX_BYTES) -> list[str]:
    """Commits each copied run's predictions (probs and labels, compressed) beside its record
    where they come to less than `max_bytes`; returns the run ids whose predictions were copied.

    A record already in `records_dir` is left as it is, as `copy_records` leaves it.
    """
    copied = []
    for record in cited:
        src = record.file("predictions.npz")
        if src is None or record.path.parent.resolve() == Path(records_dir).resolve():
            continue
        with np.load(src, allow_pickle=False) as data:
            keep = {k: data[k] for k in ("probs", "labels", "crops") if k in data}
        if not {"probs", "labels"} <= set(keep):
            continue
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **keep)
        if buffer.tell() >= max_bytes:
            continue
        dest = Path(records_dir) / record.run_id / "predictions.npz"
        tmp = dest.with_name(".predictions.npz.tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(dest)
        copied.append(record.run_id)
    return copied


def generate(runs_dir: Path, results_dir: Path, run_ids=()) -> list[Path]:
    """Writes results/scaling from the cited runs; returns the files written.

    Raises:
      RecordError: nothing to cite, a cited run missing or unfinished, or a record
        lacking what the table needs (then nothing on disk changes).
    """
    out = Path(results_dir) / FOLDER
    ids = [Path(i).name for i in run_ids] or sorted(
        p.name for p in (out / "records").glob("*") if (p / "config.json").is_file())
    if not ids:
        raise RecordError(f"no data-scaling runs to cite: {out / 'records'} is empty and no --run-ids were "
                          "given; run `make reproduce-scaling` first")
    cited = lookup(discover(runs_dir, results_dir), ids, runs_dir, results_dir)
    rows = [run_row(r) for r in cited]
    frame = summary_frame(rows)
    reference = published.load(results_dir)
    wrong = image_mistakes(cited, rows)
    markdown = summary_markdown(frame, reference, wrong)
    figure = scaling_figure(frame, reference, wrong)
    copy_records(cited, out / "records", confusion=False)
    copy_predictions(cited, out / "records")
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    records.write_text_atomic(csv_path, frame.to_csv(index=False))
    records.write_text_atomic(md_path, markdown)
    return [csv_path, md_path, *save(figure, out / "figures", "scaling")]


def main(argv: list[str] | None = None) -> int:
    return generate_main(generate, "python -m reporting.scaling", __doc__.split("\n")[0],
                         "cite these runs (default: those in results/scaling/records)", argv)


if __name__ == "__main__":
    raise SystemExit(main())
