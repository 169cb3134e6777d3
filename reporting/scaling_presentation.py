"""The data-scaling summary in words and in a figure: tables, the verdict per scale, the plot.

Presentation only: every number comes from reporting/scaling_stats.py (means over
subset seeds, crossings, extrapolations); this module words them (`verdict`,
`summary_markdown`) and draws them (`scaling_figure`), beside the published
ILSVRC-2012 pair for context. reporting/scaling.py writes the results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reporting.plots import KIND_COLOURS, split_name
from reporting.runs import RecordError
from reporting.scaling_stats import (bootstrap_crossover, cell_sizes, crossover, extrapolated_crossover,
                                     paired_means, power_law, power_laws_meet, sizes_differ,
                                     straight_gap_closes_at)
from reporting.tables import CHOICE_WORDS, fmt_pct, markdown_table, seeds_cell, short_name

# ILSVRC-2012: 1,281,167 training images over 1000 classes.
ILSVRC_IMAGES_PER_CLASS = 1281
ILSVRC_PAIR = ("1 CNN (AlexNet)", "SIFT + FVs (ISI)")  # model names in results/published.csv
SCALE_STYLES = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."))


def ilsvrc_pair(reference: pd.DataFrame) -> pd.DataFrame:
    """The published ILSVRC-2012 single CNN and Fisher-vector rows (results/published.csv)."""
    pair = reference[(reference["dataset"] == "imagenet2012") & reference["model"].isin(ILSVRC_PAIR)]
    if len(pair) != len(ILSVRC_PAIR):
        raise RecordError(f"results/published.csv lacks the ILSVRC-2012 rows {', '.join(ILSVRC_PAIR)}")
    return pair.reset_index(drop=True)


def _cell(row: pd.Series | None, k: str) -> str:
    """A cell's error over its seeds (tables.seeds_cell), or '—' where the model has no run."""
    if row is None:
        return "—"
    return seeds_cell(row[f"{k}_err_pct_mean"], row.get(f"{k}_err_pct_std"), int(row["n_seeds"]))


def approx_count(n: float) -> str:
    """An extrapolated count to two significant figures ('130,000', not '125,882'): the fits do not know more."""
    return f"{float(f'{n:.2g}'):,.0f}"


def _hindcast(group: pd.DataFrame, measured: float) -> str:
    """How far the two extrapolations, fed only the sizes below a measured crossing, would have
    placed it: a check of the rules the table uses where curves have not crossed yet."""
    before = group[cell_sizes(group) < measured]
    sizes = paired_means(before).index
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
    at = power_laws_meet({"cnn": (a_c, b_c), "handcrafted": (a_f, b_f)})
    if trailing_faster and at is not None:
        where = ("but the fits through the largest sizes alone do not" if at > float(mean.index[-1])
                 else "inside the range measured, where the points themselves do not cross")
        return (f"Power laws err = a n^-b fitted through every size measured meet near {approx_count(at)} "
                f"training images per class, {where}: too unsteady a trend to extrapolate a crossover from.")
    why = ("fall almost in parallel and would meet only beyond a billion training images per class"
           if trailing_faster else "do not meet: the leader's error falls as fast or faster")
    return (f"Power laws err = a n^-b fitted through every size measured (b = {b_c:.2f} for the CNN and "
            f"{b_f:.2f} for the Fisher vectors) {why}.")


def _method(boot: dict, wrong: dict | None) -> str:
    """What the bootstrap resampled, in words: the method actually used, never the one intended."""
    if boot["image_runs"] == boot["runs"]:
        what = (f"over seeds and the {boot['images']:,} test images (the same images drawn for both "
                "models: paired)")
    elif boot["image_runs"]:
        what = (f"over seeds, and over the test images for the {boot['image_runs']} of {boot['runs']} runs "
                "whose records hold per-image predictions (the others over seeds only)")
    elif wrong is None:
        what = "over seeds only: no per-image predictions were loaded"
    else:
        what = "over seeds only: the records hold no per-image predictions"
    return f"percentile bootstrap, {boot['resamples']:,} resamples, {what}"


def _single_seeds(boot: dict) -> str:
    """How many cells have a single seed, and what that does to the interval."""
    n, of = boot["single_seed_cells"], boot["cells"]
    if not n:
        return ""
    adds = "test-image spread but no seed spread" if boot["image_runs"] else "no spread"
    return (f" {n} of the {of} cells (one model at one size) ran a single seed and add {adds}, so the interval "
            "is narrower than the truth.")


def crossover_text(group: pd.DataFrame, cross: dict, wrong: dict | None = None) -> str:
    """A measured crossover in words: the bracket of sizes measured, the interpolated point and
    its bootstrap interval, each estimate to two significant figures."""
    text = (f" **Crossover: between {cross['below']:,.0f} and {cross['above']:,.0f} training images per "
            f"class**, the two sizes measured where the lead changes hands; above it {cross['leader']} "
            f"lead{'s' if cross['leader'] == 'the CNN' else ''}. Interpolated in log scale, near "
            f"{approx_count(cross['at'])}")
    boot = bootstrap_crossover(group, wrong)
    if boot is None:
        return text + " (no interval: the table gives no per-run errors)."
    if not boot["share"]:
        return text + f" (no interval: no resample of the {_method(boot, wrong)} crosses so)."
    low, high = approx_count(boot["low"]), approx_count(boot["high"])
    interval = f"{low} to {high}" if low != high else f"{low}, the resamples do not move it"
    crossed = ("" if boot["share"] == 1 else f"; the curves cross so in {100 * boot['share']:.0f}% of the "
               "resamples, and the interval is over those")
    return (text + f"; {100 * boot['level']:.0f}% interval {interval} ({_method(boot, wrong)}{crossed})."
            + _single_seeds(boot))


def sizes_line(group: pd.DataFrame) -> str:
    """Which count is x when the two models trained on different numbers of images."""
    if not sizes_differ(group):
        return ""
    fv = group[group["kind"] == "handcrafted"].sort_values("train_images_per_class")
    own, at = fv["train_images_per_class"], cell_sizes(group)[fv.index]
    how = ("more in these records, the held-out part included" if (own >= at).all()
           else "fewer in these records" if (own <= at).all() else "other numbers in these records")
    return ("Images per class are those the CNN trained on: each subset less the held-out part it leaves out. "
            f"The Fisher vectors' final SVM fit learned from {how} "
            f"({', '.join(f'{n:,.0f}' for n in own)} per class); the leads "
            "and the crossover compare the two models' runs on the same subset at the CNN's count.")


def verdict(group: pd.DataFrame, wrong: dict | None = None) -> str:
    """One scale in words: who leads at each size measured, by how much, and where the curves cross.

    Sizes are images per class the CNN trained on (`cell_sizes`; `sizes_line`
    says so where the baseline's count differs). A crossing inside the range
    measured is stated as the two sizes where the lead changes hands, the
    point interpolated linearly in log(images per class) between them
    (`crossover`) and a percentile bootstrap interval (`bootstrap_crossover`,
    over seeds, and over test images for the runs in `wrong`, run id -> per-image
    mistakes), all estimates to two significant figures; and hindcast: where
    the two extrapolations below would have put it from the smaller sizes alone. When the curves do not cross
    inside the range, two extrapolations say where they would, each marked as
    one: the gap in points continued straight from the two largest sizes
    (`straight_gap_closes_at`) and power-law fits through the errors
    (`extrapolated_crossover`). They answer different questions (points
    against ratios of errors) and may disagree by orders of magnitude; the
    hindcast on a scale that did cross says which has been closer.
    """
    if not {"cnn", "handcrafted"} <= set(group["kind"]):
        return "Only one model has run at this scale so far."
    wide = paired_means(group)
    if wide.empty:
        return "The two models have no training-set size in common yet."
    gap = wide["cnn"] - wide["handcrafted"]  # > 0: the Fisher vectors lead
    leads = [f"{'the Fisher vectors' if d > 0 else 'the CNN' if d < 0 else 'neither'} "
             f"{'by ' + format(abs(d), '.1f') + ' points ' if d else ''}at {n:,.0f}"
             for n, d in gap.items()]
    text = "Top-1, lead per images per class: " + "; ".join(leads) + "."
    cross = crossover(group)
    if cross is not None:
        return text + crossover_text(group, cross, wrong) + _hindcast(group, cross["at"])
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
    fits = (f"power laws err = a n^-b fitted through every size measured, b = {slopes['cnn']:.2f} for the CNN "
            f"and {slopes['handcrafted']:.2f} for the Fisher vectors{spread}")
    spread_of = undetermined(group, ahead)
    if spread_of:
        # Estimates orders of magnitude apart locate nothing: no number is put forward.
        return text + (f" The power laws would meet near {approx_count(ahead['at'])} ({fits}), but the "
                       f"extrapolations range from {approx_count(spread_of[0])} to "
                       f"{approx_count(spread_of[1])} training images per class, more than "
                       f"{DISAGREEMENT}x apart: **the crossover is not determined by these data**.")
    return text + (f" **Extrapolated crossover: near {approx_count(ahead['at'])} training images per class**, above "
                   f"which {ahead['leader']} would lead ({fits}; an extrapolation beyond the data, not a "
                   "measurement).")


# Extrapolated crossovers further apart than this factor are reported as undetermined.
DISAGREEMENT = 10


def undetermined(group: pd.DataFrame, ahead: dict) -> tuple[float, float] | None:
    """(lowest, highest) of the extrapolated crossovers (straight gap, power laws through
    every size and through the largest sizes) when they lie more than DISAGREEMENT apart."""
    estimates = [e for e in (straight_gap_closes_at(group), ahead["at"], ahead["low"], ahead["high"])
                 if e is not None]
    low, high = min(estimates), max(estimates)
    return (low, high) if high > DISAGREEMENT * low else None


def penalty_line(group) -> str:
    """How the held-out images chose the baseline's penalty C, per training fraction."""
    rows = group[group["kind"] == "handcrafted"]
    if "svm_choice" not in rows or not len(rows):
        return ""
    by_choice: dict[str, list[float]] = {}
    for fraction, choices in zip(rows["train_fraction"], rows["svm_choice"]):
        for choice in str(choices).split():
            by_choice.setdefault(choice, []).append(fraction)
    parts = [f"{CHOICE_WORDS.get(c, c)} at {', '.join(f'{f:g}' for f in sorted(fs))}"
             for c, fs in sorted(by_choice.items(), key=lambda kv: min(kv[1]))]
    return "Penalty C of the baseline: " + "; ".join(parts) + ".\n"


def summary_markdown(frame: pd.DataFrame, reference: pd.DataFrame, wrong: dict | None = None) -> str:
    """summary.md: per scale, one row per fraction with both models side by side.

    Args:
      wrong: run id -> per-image top-1 mistakes, for the runs whose records hold
        predictions (`verdict`); None when none were loaded.
    """
    text = ["# Data scaling: error against training images per class\n",
            "Generated by `python -m reporting.scaling` from the run records in `records/`; do not edit "
            "by hand.\n",
            "Both models train on nested, class-balanced subsets of the training split, fixed by the "
            "subset seed, and are evaluated on the whole validation split (CIFAR-10: its test split), "
            "centre crop. Error in percent: the mean ± sample standard deviation (number of subset "
            "seeds) where several seeds ran; '(1 seed)' marks a single run. Images per class: the "
            "training images per class the models learned from (where their counts differ, the CNN's, "
            "and a line under the table says so).\n"]
    for scale, group in frame.groupby("scale"):
        names = {kind: short_name(g["model"].iloc[0], kind) for kind, g in group.groupby("kind")}
        kinds = [k for k in ("cnn", "handcrafted") if k in names]
        table = []
        for fraction, rows in group.groupby("train_fraction"):
            by_kind = {r["kind"]: r for _, r in rows.iterrows()}
            line = {"Train fraction": f"{fraction:g}",
                    "Images per class": f"{cell_sizes(group)[rows.index[0]]:,.0f}"}
            for k in ("top1", "top5"):
                for kind in kinds:
                    line[f"{names[kind]} {k.replace('top', 'top-')}"] = _cell(by_kind.get(kind), k)
            table.append(line)
        table = pd.DataFrame(table)
        text += [f"## {scale} ({int(group['val_images'].max()):,} {split_name(scale)} images)\n",
                 markdown_table(table, right=tuple(table.columns))]
        if sizes_line(group):
            text.append(sizes_line(group) + "\n")
        text.append(verdict(group, wrong) + "\n")
        solvers = group[group["kind"] == "handcrafted"].groupby("svm_solver")["train_fraction"]
        if len(solvers) > 0:
            text.append("SVM solver of the baseline: " + "; ".join(
                f"{name} at {', '.join(f'{f:g}' for f in sorted(fs))}" for name, fs in solvers) + ".\n")
        text.append(penalty_line(group))
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


def _draw_crossovers(ax, frame: pd.DataFrame, wrong: dict | None = None) -> None:
    """Per scale, where the top-1 curves cross: a thin vertical line at a measured crossing
    (`crossover`) over a band of its bootstrap interval, else dotted power-law fits from
    the largest size measured to where they meet (`extrapolated_crossover`)."""
    for scale, group in frame.groupby("scale"):
        cross = crossover(group)
        if cross is not None:
            ax.axvline(cross["at"], color="grey", linestyle="--", linewidth=0.8)
            boot = bootstrap_crossover(group, wrong)
            if boot is not None and boot["share"]:
                ax.axvspan(boot["low"], boot["high"], color="grey", alpha=0.15, linewidth=0)
            ax.annotate(f"{scale}: curves cross between\n{cross['below']:,.0f} and {cross['above']:,.0f} per "
                        f"class, near {approx_count(cross['at'])}", (cross["at"], 1),
                        xycoords=("data", "axes fraction"), textcoords="offset points", xytext=(4, -26),
                        fontsize=8, color="dimgrey")
            continue
        ahead = extrapolated_crossover(group)
        if ahead is None:
            continue
        largest = paired_means(group).index.max()
        # A meeting far beyond the data would squash the measured points into the axis' left
        # edge: the fits are drawn to at most EXTRAPOLATION_AXIS_MAX times the largest size.
        end = min(ahead["at"] * 1.5, largest * EXTRAPOLATION_AXIS_MAX)
        n = np.geomspace(largest, end, 40)
        for kind, (a, b) in ahead["fits"].items():
            ax.plot(n, a * n ** -b, ":", color=KIND_COLOURS.get(kind, "grey"), linewidth=1.2)
        ax.plot([], [], ":", color="black", label="power-law fits beyond the data (top-1)")
        a_c, b_c = ahead["fits"]["cnn"]
        label = f"{scale}: fits meet near\n{approx_count(ahead['at'])} per class (extrapolated)"
        spread_of = undetermined(group, ahead)
        if spread_of:  # as the summary says: no crossover is put forward
            label = (f"{scale}: crossover not determined\n(extrapolations {approx_count(spread_of[0])} "
                     f"to {approx_count(spread_of[1])} per class)")
        if ahead["at"] <= end:
            ax.plot(ahead["at"], a_c * ahead["at"] ** -b_c, "x", color="black", markersize=8)
            ax.annotate(label, (ahead["at"], a_c * ahead["at"] ** -b_c),
                        textcoords="offset points", xytext=(-10, 12), fontsize=8, ha="right")
        else:
            ax.annotate(label.replace("(extrapolated)", "(extrapolated,\nfar off this axis)")
                        + ("" if not spread_of else "\n(far off this axis)"),
                        (end, a_c * end ** -b_c), textcoords="offset points", xytext=(-10, 12),
                        fontsize=8, ha="right")


def scaling_figure(frame: pd.DataFrame, reference: pd.DataFrame, wrong: dict | None = None) -> Figure:
    """Top-1 and top-5 error against training images per class (log x), both models and scales.

    Each cell is drawn at `cell_sizes`: the images per class the CNN trained on,
    for both models' points (the axis says so where the baseline's count differs).

    Args:
      frame: summary.csv as written by `summary_frame`.
      reference: results/published.csv (`published.load`), for the ILSVRC-2012 pair.
      wrong: run id -> per-image mistakes, for the crossover's bootstrap band (`verdict`).
    """
    differ = any(sizes_differ(g) for _, g in frame.groupby("scale"))
    frame = pd.concat([g.assign(train_images_per_class=cell_sizes(g)) for _, g in frame.groupby("scale")])
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
            _draw_crossovers(ax, frame, wrong)
        for _, row in pair[pair[f"{k}_err_pct"].notna()].iterrows():
            value = float(row[f"{k}_err_pct"])
            ax.plot(ILSVRC_IMAGES_PER_CLASS, value, "*", markersize=15, markerfacecolor="none",
                    markeredgewidth=1.5, color=KIND_COLOURS.get(row["kind"], "grey"),
                    label=f"ILSVRC-2012 {row['model']}, {row['split']} (1000 classes: a different task)")
            ax.annotate(f"{value:.1f}", (ILSVRC_IMAGES_PER_CLASS, value), textcoords="offset points",
                        xytext=(9, -3), fontsize=8)
        ax.set_xscale("log")
        ax.set(xlabel="training images per class" + (", the CNN's count" if differ else "") + " (log scale)",
               ylabel=f"{k.replace('top', 'top-')} error (%), whole evaluation split",
               title=f"{k.replace('top', 'Top-')} error", ylim=(0, None))
        ax.grid(alpha=0.3, which="both")
    # One legend below both panels (the stars would hide under one inside a panel): a
    # column per scale, both models in each, and the published pair in the last.
    handles = {label: h for ax in axes for h, label in zip(*ax.get_legend_handles_labels())}
    labels = sorted(handles, key=lambda label: label.startswith("ILSVRC"))
    fig.legend([handles[k] for k in labels], labels, loc="outside lower center", ncol=len(scales) + 1,
               fontsize=8)
    evaluated = ", ".join(f"{scale}: {split_name(scale)} split" for scale in scales)
    fig.suptitle(f"Error against training data: nested class-balanced subsets, centre crop ({evaluated})\n"
                 "(bars: ±1 std over subset seeds; hollow markers: a single seed; grey band: the "
                 "crossover's 95% bootstrap interval)", fontsize=10)
    return fig
