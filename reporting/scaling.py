"""The data-scaling table and figure (issue 7), generated from run records only.

    python -m reporting.scaling [--runs-dir runs] [--results-dir results] [--run-ids ID ...]

Writes

    results/scaling/summary.csv          one row per (scale, model, training fraction)
    results/scaling/summary.md           per scale, the CNN and the baseline side by side, who
                                         leads where and where the curves cross (measured, or
                                         extrapolated by power-law fits, marked as such), and
                                         the published ILSVRC-2012 pair for context
    results/scaling/figures/scaling.{png,pdf}
    results/scaling/records/<run-id>/    config, provenance, metrics and eval of each cited run

summary.csv columns:

    scale, model, kind, name     as in results/<scale>/summary.csv (kind: cnn | handcrafted)
    train_fraction               the runs' train_fraction
    train_images_per_class       training images per class (mean over classes)
    train_images                 training images in all
    n_seeds, seeds               how many subset seeds, and which ("0 1 2")
    top1_err_pct_mean, top1_err_pct_std, top5_err_pct_mean, top5_err_pct_std
                                 validation error in percent, centre crop: mean and sample
                                 standard deviation over the seeds (empty for one seed)
    val_images                   validation images evaluated
    run_ids                      the cited runs, space-separated
    svm_solver                   the baseline's SVM solver (liblinear, batched: exact; sgd); empty for CNNs
    svm_choice                   how the held-out images chose its C: interior, edge, tie or fixed

Which runs: --run-ids (the experiment driver passes every finished run of its
grid), else those results/scaling/records already holds, read from their run
folders where those exist; with no runs/ at all, the copies alone give the
same outputs again.

The numbers (per-cell means over subset seeds, crossings, extrapolations) are
reporting/scaling_stats.py's, their wording and figure reporting/scaling_presentation.py's;
this module cites the runs and writes the files. Their public names stay importable from here.
"""

from __future__ import annotations

from pathlib import Path

from alexnet import records
from reporting import published
from reporting.cli import generate_main
from reporting.figures import save
from reporting.runs import RecordError, discover, lookup
from reporting.scaling_presentation import (EXTRAPOLATION_AXIS_MAX, ILSVRC_IMAGES_PER_CLASS, ILSVRC_PAIR,
                                            SCALE_STYLES, approx_count, ilsvrc_pair, scaling_figure,
                                            summary_markdown, undetermined, verdict)
from reporting.scaling_stats import (COLUMNS, crossover, extrapolated_crossover, paired_means, power_law,
                                     power_laws_meet, run_row, straight_gap_closes_at, summary_frame)
from reporting.tables import copy_records

__all__ = ["COLUMNS", "EXTRAPOLATION_AXIS_MAX", "FOLDER", "ILSVRC_IMAGES_PER_CLASS", "ILSVRC_PAIR", "RecordError",
           "SCALE_STYLES", "approx_count", "crossover", "extrapolated_crossover", "generate", "ilsvrc_pair", "main",
           "paired_means", "power_law", "power_laws_meet", "published", "run_row", "scaling_figure",
           "straight_gap_closes_at", "summary_frame", "summary_markdown", "undetermined", "verdict"]

FOLDER = "scaling"


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
    frame = summary_frame([run_row(r) for r in cited])
    reference = published.load(results_dir)
    markdown = summary_markdown(frame, reference)
    figure = scaling_figure(frame, reference)
    copy_records(cited, out / "records", confusion=False)
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    records.write_text_atomic(csv_path, frame.to_csv(index=False))
    records.write_text_atomic(md_path, markdown)
    return [csv_path, md_path, *save(figure, out / "figures", "scaling")]


def main(argv: list[str] | None = None) -> int:
    return generate_main(generate, "python -m reporting.scaling", __doc__.split("\n")[0],
                         "cite these runs (default: those in results/scaling/records)", argv)


if __name__ == "__main__":
    raise SystemExit(main())
