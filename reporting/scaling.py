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
    svm_solver                   the baseline's SVM solver (liblinear: exact; sgd); empty for CNNs

Which runs: --run-ids (the experiment driver passes every finished run of its
grid), else those results/scaling/records already holds, read from their run
folders where those exist; with no runs/ at all, the copies alone give the
same outputs again.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from alexnet import records
from reporting import published
from reporting.figures import save
from reporting.plots import KIND_COLOURS
from reporting.runs import Record, RecordError, discover, resolve_dirs, run_main
from reporting.tables import copy_records, fmt_pct, markdown_table, short_name, summary_row

FOLDER = "scaling"
COLUMNS = ("scale", "model", "kind", "name", "train_fraction", "train_images_per_class", "train_images",
           "n_seeds", "seeds", "top1_err_pct_mean", "top1_err_pct_std", "top5_err_pct_mean",
           "top5_err_pct_std", "val_images", "run_ids", "svm_solver")
# ILSVRC-2012: 1,281,167 training images over 1000 classes.
ILSVRC_IMAGES_PER_CLASS = 1281
ILSVRC_PAIR = ("1 CNN (AlexNet)", "SIFT + FVs (ISI)")  # model names in results/published.csv
SCALE_STYLES = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."))


def run_row(record: Record) -> dict:
    """One run's subset, training-set size and centre-crop errors, from its record."""
    row = summary_row(record)
    result = record.eval()
    train = record.provenance().get("dataset", {}).get("train", {})
    # The baseline records its subset in eval.json (its provenance lists the full split
    # it encoded); the trainer's provenance lists the subset it trained on.
    n_train = (result.get("train_subset") or {}).get("n_images") or train.get("n_images")
    n_classes = train.get("n_classes") or record.config.get("num_classes")
    if not n_train or not n_classes:
        raise RecordError(f"run record {record.path} does not say how many training images and classes it "
                          "used (eval.json train_subset or provenance.json dataset.train)")
    return {"scale": record.scale, "model": row["model"], "kind": row["kind"], "name": row["name"],
            "train_fraction": float(record.config.get("train_fraction", 1.0)),
            "subset_seed": int(record.config.get("subset_seed", 0)),
            "train_images": int(n_train), "n_classes": int(n_classes),
            "top1": row["top1_err_pct_centre"], "top5": row["top5_err_pct_centre"],
            "val_images": row["n_images"], "run_id": record.run_id,
            # Baseline records before the exact solver existed have no svm_solver: they used SGD.
            "solver": result.get("svm_solver", "sgd") if row["kind"] == "handcrafted" else ""}


def summary_frame(rows: list[dict]) -> pd.DataFrame:
    """summary.csv: runs grouped by (scale, model, fraction), mean and std over subset seeds.

    Raises:
      RecordError: two cited runs of the same (scale, model, fraction, seed).
    """
    runs = pd.DataFrame(rows)
    keys = ["scale", "model", "kind", "name", "train_fraction"]
    twice = runs[runs.duplicated(keys + ["subset_seed"], keep=False)]
    if len(twice):
        raise RecordError(f"runs {', '.join(twice['run_id'])} are the same cell (scale, model, fraction, "
                          "seed); cite one of them")
    out = []
    for key, g in runs.sort_values("subset_seed").groupby(keys):
        out.append({**dict(zip(keys, key)),
                    "train_images_per_class": round(float((g["train_images"] / g["n_classes"]).mean()), 1),
                    "train_images": int(round(g["train_images"].mean())),
                    "n_seeds": len(g), "seeds": " ".join(str(s) for s in g["subset_seed"]),
                    "top1_err_pct_mean": g["top1"].mean(), "top1_err_pct_std": g["top1"].std(ddof=1),
                    "top5_err_pct_mean": g["top5"].mean(), "top5_err_pct_std": g["top5"].std(ddof=1),
                    "val_images": int(g["val_images"].max()), "run_ids": " ".join(g["run_id"]),
                    "svm_solver": " ".join(sorted(set(g["solver"])))})
    frame = pd.DataFrame(out, columns=list(COLUMNS))
    # Per scale and fraction, the CNN first, as in the per-scale summaries.
    frame["_order"] = (frame["kind"] != "cnn").astype(int)
    frame = frame.sort_values(["scale", "train_fraction", "_order"]).drop(columns="_order")
    return frame.reset_index(drop=True)


def ilsvrc_pair(reference: pd.DataFrame) -> pd.DataFrame:
    """The published ILSVRC-2012 single CNN and Fisher-vector rows (results/published.csv)."""
    pair = reference[(reference["dataset"] == "imagenet2012") & reference["model"].isin(ILSVRC_PAIR)]
    if len(pair) != len(ILSVRC_PAIR):
        raise RecordError(f"results/published.csv lacks the ILSVRC-2012 rows {', '.join(ILSVRC_PAIR)}")
    return pair.reset_index(drop=True)


def _cell(row: pd.Series | None, k: str) -> str:
    """'54.72 ± 1.23 (3 seeds)', or '43.26 (1 seed)': a single seed is never mistaken for a mean."""
    if row is None:
        return "—"
    text = fmt_pct(row[f"{k}_err_pct_mean"])
    if row["n_seeds"] > 1:
        return text + f" ± {fmt_pct(row[f'{k}_err_pct_std'])} ({row['n_seeds']} seeds)"
    return text + " (1 seed)"


def _crossing(gap: pd.Series) -> list[tuple[float, str]]:
    """Where a gap (CNN minus baseline, by images per class) changes sign: (images per class,
    who leads after), interpolated linearly in log(images per class)."""
    out = []
    for (n0, d0), (n1, d1) in zip(gap.items(), list(gap.items())[1:]):
        if d0 * d1 < 0:
            out.append((_gap_zero(n0, d0, n1, d1), "the CNN" if d1 < 0 else "the Fisher vectors"))
    return out


def _gap_zero(n0: float, d0: float, n1: float, d1: float) -> float:
    """Images per class where the straight line in log(n) through (n0, d0) and (n1, d1) is 0:
    between them when the gaps differ in sign, beyond n1 when the gap narrows towards it."""
    t = d0 / (d0 - d1)
    return math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))


def crossover(group: pd.DataFrame) -> dict | None:
    """Where one scale's top-1 curves cross, with an interval from the subset seeds.

    The gap is the CNN's mean error minus the baseline's at each size both ran;
    the interval crosses gap ± one standard deviation of the difference (the
    two models' seed spreads combined; 0 at single-seed sizes) instead.

    Returns:
      {'at', 'low', 'high' (images per class; low/high None when the shifted gap does
      not cross in the range measured), 'leader' (who leads above it)}, or None
      when the curves do not cross.
    """
    mean = _paired_means(group)
    gap = mean["cnn"] - mean["handcrafted"]
    crossings = _crossing(gap)
    if not crossings:
        return None
    at, leader = crossings[0]
    std = group.assign(sd=group.get("top1_err_pct_std", 0.0)).pivot_table(
        index="train_images_per_class", columns="kind", values="sd", dropna=False)
    spread = (std.reindex(gap.index)[["cnn", "handcrafted"]].fillna(0.0) ** 2).sum(axis=1) ** 0.5
    bounds = [c[0][0] for c in (_crossing(gap - spread), _crossing(gap + spread)) if c]
    return {"at": at, "leader": leader, "low": min(bounds) if len(bounds) == 2 else None,
            "high": max(bounds) if len(bounds) == 2 else None}


def _paired_means(group: pd.DataFrame) -> pd.DataFrame:
    """Mean top-1 error per images per class (rows) and kind (columns), sizes both models ran."""
    mean = group.pivot_table(index="train_images_per_class", columns="kind", values="top1_err_pct_mean")
    if not {"cnn", "handcrafted"} <= set(mean.columns):
        return pd.DataFrame(columns=["cnn", "handcrafted"])
    return mean.dropna(subset=["cnn", "handcrafted"]).sort_index()


def power_law(n: pd.Series, err: pd.Series) -> tuple[float, float]:
    """(a, b) of err = a * n**-b, fitted by least squares as a straight line in log-log."""
    slope, intercept = np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(err, float)), 1)
    return float(math.exp(intercept)), float(-slope)


def _meeting(fits: dict) -> float | None:
    """Images per class where two power laws {kind: (a, b)} meet, or None if they are parallel
    or meet beyond a billion images per class (nowhere, for this table's purposes)."""
    (a_c, b_c), (a_f, b_f) = fits["cnn"], fits["handcrafted"]
    if b_c == b_f:
        return None
    log_n = (math.log(a_c) - math.log(a_f)) / (b_c - b_f)
    return math.exp(log_n) if math.isfinite(log_n) and log_n < math.log(1e9) else None


def approx_count(n: float) -> str:
    """An extrapolated count to two significant figures ('130,000', not '125,882'): the fits do not know more."""
    return f"{float(f'{n:.2g}'):,.0f}"


def extrapolated_crossover(group: pd.DataFrame) -> dict | None:
    """Where one scale's top-1 curves would cross beyond the largest size measured.

    For a scale whose curves do not cross inside the range measured: each
    model's mean top-1 error is fitted as a power law in images per class
    (err = a * n^-b, a straight line in log-log, the usual form of a learning
    curve's tail) through the largest k sizes both ran, and the two fits meet
    where the trailing model catches up. 'at' is the meeting of the fits
    through every size; 'low' and 'high' span the fits through the largest
    3, 4, ... sizes (the largest 2 when only 2 ran), so the spread says how
    much the answer leans on the smallest subsets. An extrapolation, not a
    measurement: a learning curve may bend.

    Returns:
      {'at', 'low', 'high' (images per class), 'slopes' ({kind: b} of the fits
      through every size), 'fits' ({kind: (a, b)}), 'leader' (who leads beyond it)},
      or None: the curves cross inside the range, fewer than 2 shared sizes, or
      the fits meet nowhere above the largest size (the leader's error falls as
      fast or faster).
    """
    mean = _paired_means(group)
    if len(mean) < 2 or (mean <= 0).any().any() or crossover(group) is not None:
        return None  # a zero error has no logarithm
    gap = mean["cnn"] - mean["handcrafted"]
    if gap.iloc[-1] == 0:
        return None
    # Fits through the largest k sizes, k = 3 (2 when only 2 ran) ... all; the last is through all.
    fits_by_k = [{kind: power_law(mean.index[-k:], mean[kind].iloc[-k:]) for kind in ("cnn", "handcrafted")}
                 for k in range(min(3, len(mean)), len(mean) + 1)]
    meetings = [_meeting(fits) for fits in fits_by_k]
    if any(m is None or m <= float(mean.index[-1]) for m in meetings):
        return None
    fits, at = fits_by_k[-1], meetings[-1]
    return {"at": at, "low": min(meetings), "high": max(meetings), "fits": fits,
            "slopes": {kind: b for kind, (_, b) in fits.items()},
            "leader": "the CNN" if gap.iloc[-1] > 0 else "the Fisher vectors"}


def straight_gap_closes_at(group: pd.DataFrame) -> float | None:
    """Where the gap in points would close, continued straight in log(images per class) from
    the two largest sizes both models ran: the rule that places a measured crossing
    (`_crossing`), carried past the data. A second extrapolation beside the power laws,
    which compare ratios of errors; None when the gap is not narrowing there."""
    mean = _paired_means(group)
    if len(mean) < 2:
        return None
    gap = mean["cnn"] - mean["handcrafted"]
    (n0, d0), (n1, d1) = list(gap.items())[-2:]
    if d0 * d1 <= 0 or abs(d1) >= abs(d0):
        return None
    return _gap_zero(n0, d0, n1, d1)


def _hindcast(group: pd.DataFrame, measured: float) -> str:
    """How far the two extrapolations, fed only the sizes below a measured crossing, would have
    placed it: a check of the rules the table uses where curves have not crossed yet."""
    before = group[group["train_images_per_class"] < measured]
    sizes = _paired_means(before).index
    if len(sizes) < 2:
        return ""
    straight, ahead = straight_gap_closes_at(before), extrapolated_crossover(before)
    guesses = [(name, approx_count(at)) for name, at in
               (("the straight gap", straight), ("the power laws", ahead and ahead["at"])) if at is not None]
    if not guesses:
        return ""
    said = f"{guesses[0][0]} would have put it near {guesses[0][1]}" + "".join(
        f", {name} near {at}" for name, at in guesses[1:])
    return (f" Hindcast of the extrapolations used where curves have not crossed yet: fed only the sizes "
            f"below it ({', '.join(f'{n:,.0f}' for n in sizes)}), {said}.")


def _no_meeting(mean: pd.DataFrame) -> str:
    """Why power laws give no crossover ahead: the trailing model's error falls no faster than
    the leader's, or so little faster that they meet past a billion, or the fits through the
    largest sizes alone disagree with the fit through every size."""
    (a_c, b_c), (a_f, b_f) = (power_law(mean.index, mean[kind]) for kind in ("cnn", "handcrafted"))
    trailing_faster = (b_c > b_f) == (mean["cnn"].iloc[-1] > mean["handcrafted"].iloc[-1])
    at = _meeting({"cnn": (a_c, b_c), "handcrafted": (a_f, b_f)})
    if trailing_faster and at is not None:
        where = ("but the fits through the largest sizes alone do not" if at > float(mean.index[-1])
                 else "inside the range measured, where the points themselves do not cross")
        return (f"Power laws err = a n^-b fitted through every size measured meet near {approx_count(at)} "
                f"training images per class, {where}: too unsteady a trend to extrapolate a crossover from.")
    why = ("fall almost in parallel and would meet only beyond a billion training images per class"
           if trailing_faster else "do not meet: the leader's error falls as fast or faster")
    return (f"Power laws err = a n^-b fitted through every size measured (b = {b_c:.2f} for the CNN and "
            f"{b_f:.2f} for the Fisher vectors) {why}.")


def verdict(group: pd.DataFrame) -> str:
    """One scale in words: who leads at each size measured, by how much, and where the curves cross.

    A crossing inside the range measured is interpolated linearly in
    log(images per class) between the two sizes where the lead changes hands
    (`crossover`), and hindcast: where the two extrapolations below would
    have put it from the smaller sizes alone. When the curves do not cross
    inside the range, two extrapolations say where they would, each marked as
    one: the gap in points continued straight from the two largest sizes
    (`straight_gap_closes_at`) and power-law fits through the errors
    (`extrapolated_crossover`). They answer different questions (points
    against ratios of errors) and may disagree by orders of magnitude; the
    hindcast on a scale that did cross says which has been closer.
    """
    if not {"cnn", "handcrafted"} <= set(group["kind"]):
        return "Only one model has run at this scale so far."
    wide = _paired_means(group)
    if wide.empty:
        return "The two models have no training-set size in common yet."
    gap = wide["cnn"] - wide["handcrafted"]  # > 0: the Fisher vectors lead
    leads = [f"{'the Fisher vectors' if d > 0 else 'the CNN' if d < 0 else 'neither'} "
             f"{'by ' + format(abs(d), '.1f') + ' points ' if d else ''}at {n:,.0f}"
             for n, d in gap.items()]
    text = "Top-1, lead per images per class: " + "; ".join(leads) + "."
    cross = crossover(group)
    if cross is not None:
        interval = (f"; with one standard deviation of the seed spread, between {cross['low']:,.0f} and "
                    f"{cross['high']:,.0f}" if cross["low"] is not None
                    else "; one standard deviation of the seed spread moves it out of the range measured")
        return (text + f" **Crossover: near {cross['at']:,.0f} training images per class**, above which "
                f"{cross['leader']} lead{'s' if cross['leader'] == 'the CNN' else ''} (interpolated in "
                f"log scale{interval}).{_hindcast(group, cross['at'])}")
    if len(gap) < 2:
        return text
    leader = "the Fisher vectors lead" if gap.iloc[0] > 0 else "the CNN leads"
    text += f" The curves do not cross in the range measured: {leader} at every size."
    straight = straight_gap_closes_at(group)
    if straight is not None:
        n0, n1 = (f"{n:,.0f}" for n in wide.index[-2:])
        text += (f" Continued straight in log scale from {n0} and {n1} images per class (the rule that "
                 f"places a measured crossing), the gap in points would close near {approx_count(straight)} "
                 f"training images per class (an extrapolation beyond the data).")
    ahead = extrapolated_crossover(group)
    if ahead is None:
        return text + " " + _no_meeting(wide)
    slopes = ahead["slopes"]
    spread = (f"; through the largest 3 to {len(wide)} sizes only, between {approx_count(ahead['low'])} "
              f"and {approx_count(ahead['high'])}" if ahead["high"] > ahead["low"] * 1.005 else "")
    return text + (f" **Extrapolated crossover: near {approx_count(ahead['at'])} training images per class**, above "
                   f"which {ahead['leader']} would lead (power laws err = a n^-b fitted through every size "
                   f"measured, b = {slopes['cnn']:.2f} for the CNN and {slopes['handcrafted']:.2f} for the "
                   f"Fisher vectors{spread}; an extrapolation beyond the data, not a measurement).")


def summary_markdown(frame: pd.DataFrame, reference: pd.DataFrame) -> str:
    """summary.md: per scale, one row per fraction with both models side by side."""
    text = ["# Data scaling: error against training images per class\n",
            "Generated by `python -m reporting.scaling` from the run records in `records/`; do not edit "
            "by hand.\n",
            "Both models train on nested, class-balanced subsets of the training split, fixed by the "
            "subset seed, and are evaluated on the whole validation split (CIFAR-10: its test split), "
            "centre crop. Error in percent: the mean ± sample standard deviation (number of subset "
            "seeds) where several seeds ran; '(1 seed)' marks a single run.\n"]
    for scale, group in frame.groupby("scale"):
        names = {kind: short_name(g["model"].iloc[0], kind) for kind, g in group.groupby("kind")}
        kinds = [k for k in ("cnn", "handcrafted") if k in names]
        table = []
        for fraction, rows in group.groupby("train_fraction"):
            by_kind = {r["kind"]: r for _, r in rows.iterrows()}
            line = {"Train fraction": f"{fraction:g}",
                    "Images per class": f"{rows['train_images_per_class'].iloc[0]:,.0f}"}
            for k in ("top1", "top5"):
                for kind in kinds:
                    line[f"{names[kind]} {k.replace('top', 'top-')}"] = _cell(by_kind.get(kind), k)
            table.append(line)
        table = pd.DataFrame(table)
        text += [f"## {scale} ({int(group['val_images'].max()):,} validation images)\n",
                 markdown_table(table, right=tuple(table.columns)), verdict(group) + "\n"]
        solvers = group[group["kind"] == "handcrafted"].groupby("svm_solver")["train_fraction"]
        if len(solvers) > 0:
            text.append("SVM solver of the baseline: " + "; ".join(
                f"{name} at {', '.join(f'{f:g}' for f in sorted(fs))}" for name, fs in solvers) + ".\n")
    pair = ilsvrc_pair(reference)
    text += ["## For context: ILSVRC-2012, a different task\n",
             f"1000 classes and about {ILSVRC_IMAGES_PER_CLASS:,} training images per class, from "
             "`results/published.csv`: other classes, other splits and other protocols than the rows "
             "above, so a reference point for the x axis, not a comparison.\n",
             markdown_table(pd.DataFrame({
                 "Model": pair["model"], "Split": pair["split"], "Evaluation": pair["eval"],
                 "Top-1": pair["top1_err_pct"].map(lambda v: fmt_pct(v, 1)),
                 "Top-5": pair["top5_err_pct"].map(lambda v: fmt_pct(v, 1)), "Source": pair["source"]}),
                 right=("Top-1", "Top-5"))]
    return "\n".join(text)


EXTRAPOLATION_AXIS_MAX = 30  # the dotted fits end at 30x the largest size measured


def _draw_crossovers(ax, frame: pd.DataFrame) -> None:
    """Per scale, where the top-1 curves cross: a thin vertical line at a measured crossing
    (`crossover`), else dotted power-law fits from the largest size measured to where
    they meet (`extrapolated_crossover`)."""
    for scale, group in frame.groupby("scale"):
        cross = crossover(group)
        if cross is not None:
            ax.axvline(cross["at"], color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(f"{scale}: curves cross\nnear {cross['at']:,.0f} per class", (cross["at"], 1),
                        xycoords=("data", "axes fraction"), textcoords="offset points", xytext=(4, -26),
                        fontsize=8, color="dimgrey")
            continue
        ahead = extrapolated_crossover(group)
        if ahead is None:
            continue
        largest = group["train_images_per_class"].max()
        # A meeting far beyond the data would squash the measured points into the axis' left
        # edge: the fits are drawn to at most EXTRAPOLATION_AXIS_MAX times the largest size.
        end = min(ahead["at"] * 1.5, largest * EXTRAPOLATION_AXIS_MAX)
        n = np.geomspace(largest, end, 40)
        for kind, (a, b) in ahead["fits"].items():
            ax.plot(n, a * n ** -b, ":", color=KIND_COLOURS.get(kind, "grey"), linewidth=1.2)
        ax.plot([], [], ":", color="black", label="power-law fits beyond the data (top-1)")
        a_c, b_c = ahead["fits"]["cnn"]
        label = f"{scale}: fits meet near\n{approx_count(ahead['at'])} per class (extrapolated)"
        if ahead["at"] <= end:
            ax.plot(ahead["at"], a_c * ahead["at"] ** -b_c, "x", color="black", markersize=8)
            ax.annotate(label, (ahead["at"], a_c * ahead["at"] ** -b_c),
                        textcoords="offset points", xytext=(-10, 12), fontsize=8, ha="right")
        else:
            ax.annotate(label.replace("(extrapolated)", "(extrapolated,\nfar off this axis)"),
                        (end, a_c * end ** -b_c), textcoords="offset points", xytext=(-10, 12),
                        fontsize=8, ha="right")


def scaling_figure(frame: pd.DataFrame, reference: pd.DataFrame) -> Figure:
    """Top-1 and top-5 error against training images per class (log x), both models and scales.

    Args:
      frame: summary.csv as written by `summary_frame`.
      reference: results/published.csv (`published.load`), for the ILSVRC-2012 pair.
    """
    fig = Figure(figsize=(12, 5.6), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    scales = sorted(frame["scale"].unique())
    styles = {scale: SCALE_STYLES[i % len(SCALE_STYLES)] for i, scale in enumerate(scales)}
    pair = ilsvrc_pair(reference)
    for ax, k in zip(axes, ("top1", "top5")):
        for (scale, kind, model), g in frame.groupby(["scale", "kind", "model"]):
            g = g.sort_values("train_images_per_class")
            marker, line = styles[scale]
            colour = KIND_COLOURS.get(kind, "grey")
            ax.errorbar(g["train_images_per_class"], g[f"{k}_err_pct_mean"],
                        yerr=g[f"{k}_err_pct_std"].fillna(0), marker=marker, linestyle=line, color=colour,
                        capsize=3, label=f"{short_name(model, kind)}, {scale}")
            single = g[g["n_seeds"] == 1]  # hollow: one subset seed, no spread measured
            ax.plot(single["train_images_per_class"], single[f"{k}_err_pct_mean"], marker, color=colour,
                    markerfacecolor="white", linestyle="none", zorder=3)
        if k == "top1":
            _draw_crossovers(ax, frame)
        for _, row in pair[pair[f"{k}_err_pct"].notna()].iterrows():
            value = float(row[f"{k}_err_pct"])
            ax.plot(ILSVRC_IMAGES_PER_CLASS, value, "*", markersize=15, markerfacecolor="none",
                    markeredgewidth=1.5, color=KIND_COLOURS.get(row["kind"], "grey"),
                    label=f"ILSVRC-2012 {row['model']}, {row['split']} (1000 classes: a different task)")
            ax.annotate(f"{value:.1f}", (ILSVRC_IMAGES_PER_CLASS, value), textcoords="offset points",
                        xytext=(9, -3), fontsize=8)
        ax.set_xscale("log")
        ax.set(xlabel="training images per class (log scale)",
               ylabel=f"validation {k.replace('top', 'top-')} error (%)",
               title=f"{k.replace('top', 'Top-')} error", ylim=(0, None))
        ax.grid(alpha=0.3, which="both")
    # One legend below both panels (the stars would hide under one inside a panel): a
    # column per scale, both models in each, and the published pair in the last.
    handles = {label: h for ax in axes for h, label in zip(*ax.get_legend_handles_labels())}
    labels = sorted(handles, key=lambda label: label.startswith("ILSVRC"))
    fig.legend([handles[k] for k in labels], labels, loc="outside lower center", ncol=len(scales) + 1,
               fontsize=8)
    fig.suptitle("Error against training data: nested class-balanced subsets, whole validation split, "
                 "centre crop (bars: ±1 std over subset seeds; hollow markers: a single seed)", fontsize=10)
    return fig


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
    found = discover(runs_dir, results_dir)
    missing = [i for i in ids if i not in found]
    if missing:
        raise RecordError(f"run(s) {', '.join(missing)} neither finished in {runs_dir} nor copied under "
                          f"{results_dir}/*/records")
    cited = [found[i] for i in ids]
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
    parser = argparse.ArgumentParser(prog="python -m reporting.scaling", description=__doc__.split("\n")[0])
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="run folders (default: $RUNS_DIR, else runs/)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="results folder (default: $RESULTS_DIR, else results/)")
    parser.add_argument("--run-ids", nargs="+", default=(), metavar="RUN_ID",
                        help="cite these runs (default: those in results/scaling/records)")

    def body(args, notes):
        runs_dir, results_dir = resolve_dirs(args)
        return generate(runs_dir, results_dir, args.run_ids)

    return run_main(body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
