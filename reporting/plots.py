"""The drawings: each function takes plain data and returns a matplotlib Figure.

No file I/O and no pyplot: figures are made with `matplotlib.figure.Figure`, so
they render with the Agg canvas in scripts and tests and display inline in
notebooks, and never depend on a GUI backend. `reporting.figures` decides what
to draw and where to save it; the notebooks call these directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alexnet.class_names import readable
from reporting.published import best_per_year

KIND_COLOURS = {"cnn": "#1f77b4", "handcrafted": "#ff7f0e"}
# "heldout": the part of the training set held out for decisions; "val": what runs
# before the held-out split logged (the reported split, evaluated every epoch).
TRAIN_VAL_COLOURS = {"train": "#1f77b4", "heldout": "#d62728", "val": "#d62728"}


def _grid(n: int, max_columns: int = 3) -> tuple[int, int]:
    columns = min(n, max_columns)
    return -(-n // columns), columns


def learning_curves(runs: list[tuple[str, pd.DataFrame]]) -> Figure:
    """Train and held-out error per epoch, one panel per run, learning-rate drops marked.

    Args:
      runs: (title, metrics) pairs; metrics has the columns of metrics.csv.
    """
    rows, cols = _grid(len(runs))
    fig = Figure(figsize=(5.5 * cols, 3.8 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, (title, m) in zip(axes, runs):
        for split, colour in TRAIN_VAL_COLOURS.items():
            for k, style in (("top1", "-"), ("top5", "--")):
                col = f"{split}_{k}_err_pct"
                if col in m and m[col].notna().any():
                    label = "held-out" if split == "heldout" else split
                    # Epochs without an evaluation (val_every_epochs > 1) are skipped, not gaps.
                    points = m[["epoch", col]].dropna()
                    ax.plot(points["epoch"], points[col], style, color=colour,
                            label=f"{label} {k.replace('top', 'top-')}")
        if "lr" in m and len(m) > 1:
            lr = m["lr"].to_numpy(float)
            # Step drops (/10 after a constant stretch), not the gradual fall of a cosine schedule.
            flat = np.r_[True, np.isclose(lr[1:-1], lr[:-2])]
            for i in np.flatnonzero((lr[1:] < lr[:-1] * 0.5) & flat) + 1:
                x = (m["epoch"].iloc[i - 1] + m["epoch"].iloc[i]) / 2
                ax.axvline(x, color="grey", linestyle=":", linewidth=1)
                ax.annotate(f"lr {lr[i]:.0e}", (x, 1.0), xycoords=("data", "axes fraction"),
                            rotation=90, va="top", ha="right", fontsize=7, color="grey")
        ax.set(title=title, xlabel="epoch", ylabel="error (%); held-out: centre crop")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes[len(runs):]:
        ax.set_visible(False)
    return fig


def gap(ours: pd.DataFrame, history: pd.DataFrame) -> Figure:
    """Our CNN vs hand-crafted runs per scale, beside the published ILSVRC 2010-2012 history.

    Args:
      ours: one row per run: scale, name, kind, top1_err_pct_centre, top5_err_pct_centre.
      history: from `published.ilsvrc_history` (year, kind, model, role, top5_err_pct).
    """
    fig = Figure(figsize=(15, 5.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[max(2, len(ours)), 5])
    x, ticks, names = 0.0, [], []
    for scale, group in ours.groupby("scale", sort=False):
        start = x
        for _, row in group.iterrows():
            colour = KIND_COLOURS.get(row["kind"], "grey")
            left.bar(x, row["top1_err_pct_centre"], 0.8, color=colour, alpha=0.45)
            left.bar(x, row["top5_err_pct_centre"], 0.8, color=colour)
            left.annotate(f"{row['top1_err_pct_centre']:.1f}", (x, row["top1_err_pct_centre"]),
                          ha="center", va="bottom", fontsize=8)
            ticks.append(x)
            names.append(row["name"])
            x += 1
        left.annotate(scale, ((start + x - 1) / 2, 1.0), xycoords=("data", "axes fraction"),
                      xytext=(0, -12), textcoords="offset points", ha="center", fontweight="bold")
        x += 0.8
    left.set_xticks(ticks, names, rotation=25, ha="right", fontsize=7)
    top = float(ours["top1_err_pct_centre"].max()) if len(ours) else 100.0
    left.set_ylim(0, min(100.0, 1.2 * top + 3))  # room for the value labels and scale names
    left.set(ylabel="validation error (%), centre crop",
             title="Our runs (centre crop): light = top-1, dark = top-5")
    left.grid(axis="y", alpha=0.3)
    for kind, colour in KIND_COLOURS.items():
        left.bar(np.nan, np.nan, color=colour, label=kind)
    left.legend(fontsize=8)
    _history_panel(right, history)
    return fig


# Footnote markers of the history panel, explained under it.
EXTRA_DATA_MARK, AFTER_MARK = "*", "†"


def _history_panel(ax, history: pd.DataFrame) -> None:
    """The ILSVRC test-set history: every marked entry at its own year, the winners' line,
    the best hand-crafted entry's line, and post-competition results apart (hollow, †)."""
    winners = history[history["role"] == "winner"].sort_values("year")
    handcrafted = best_per_year(history, "handcrafted")
    ax.plot(winners["year"], winners["top5_err_pct"], "-", color="black", alpha=0.5, lw=2.5, zorder=1,
            label="competition winner")
    ax.plot(handcrafted["year"], handcrafted["top5_err_pct"], "--", color=KIND_COLOURS["handcrafted"],
            zorder=1, label="best hand-crafted entry")
    first, last = (history["year"].min(), history["year"].max()) if len(history) else (0, 0)
    for year, entries in history.groupby("year"):
        # Labels of one year stacked at least 1.9 points of error apart, on the outer side
        # for the first and last year and below the point in between.
        label_y = np.inf
        for _, row in entries.sort_values("top5_err_pct", ascending=False).iterrows():
            colour = KIND_COLOURS.get(row["kind"], "grey")
            after = row["role"] == "after"
            value = row["top5_err_pct"]
            ax.plot(year, value, "o", markersize=8, color=colour, zorder=2,
                    markerfacecolor="white" if after else colour, markeredgewidth=1.5)
            label_y = min(value, label_y - 1.9)
            side = -1 if year == first else 1 if year == last else 0
            where = (year + 0.09 * side, label_y if side else value - 3.2)
            ax.annotate(f"{row['model']}{AFTER_MARK if after else ''} {value:.1f}", (year, value), where,
                        ha={-1: "right", 0: "center", 1: "left"}[side], va="center", fontsize=7)
    for kind, colour in KIND_COLOURS.items():
        ax.plot(np.nan, np.nan, "o", color=colour, label=f"{kind} entry")
    ax.plot(np.nan, np.nan, "o", color="grey", markerfacecolor="white", label=f"{AFTER_MARK} after the competition")
    ax.set(xlabel="ILSVRC year", ylabel="published test top-5 error (%)", ylim=(0, 35),
           title="Published ILSVRC history (1000 classes, test set):\na different task from our runs")
    if len(history):
        ax.set_xticks(sorted(history["year"].unique()))
        ax.set_xlim(first - 1.3, last + 1.5)  # room for the labels on both sides
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.annotate(f"{EXTRA_DATA_MARK} trained with extra data (ImageNet Fall 2011, 15M images).\n"
                f"{AFTER_MARK} measured on that year's test set after the competition, not an entry.",
                (0, 0), xycoords="axes fraction", xytext=(0, -30), textcoords="offset points", fontsize=7,
                va="top")


def confusion(matrices: list[tuple[str, pd.DataFrame]]) -> Figure:
    """Row-normalised confusion matrices side by side (percent of each true class)."""
    n_classes = max(len(c) for _, c in matrices)
    size = 4.5 if n_classes <= 20 else 6.0
    fig = Figure(figsize=(size * len(matrices) + 1, size + 1.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(matrices), squeeze=False).ravel())
    image = None
    for ax, (title, counts) in zip(axes, matrices):
        values = counts.to_numpy(float)
        rates = 100.0 * values / np.maximum(values.sum(axis=1, keepdims=True), 1)
        image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=100)
        if len(counts) <= 12:  # small enough to print every cell's rate
            for (i, j), rate in np.ndenumerate(rates):
                ax.text(j, i, f"{rate:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if rate > 60 else "black")
        if len(counts) <= 20:
            names = [readable(c)[:16] for c in counts.index]
            ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
            ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set(title=title, xlabel="predicted", ylabel="true")
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="% of the true class")
    return fig


def per_class(errors: pd.DataFrame) -> Figure:
    """Per-class top-1 error, one bar per model in each class (errors: classes x models)."""
    n, m = errors.shape
    fig = Figure(figsize=(max(6.0, 0.5 * n * m + 2), 4), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(m, 1)
    for j, model in enumerate(errors.columns):
        ax.bar(np.arange(n) + (j - (m - 1) / 2) * width, errors[model], width, label=model)
    ax.set_xticks(range(n), [readable(c)[:16] for c in errors.index], rotation=60, ha="right", fontsize=7)
    ax.set(ylabel="top-1 error (%)", title="Per-class validation error")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def conv1_filters(mosaics: list[tuple[str, np.ndarray]], title: str) -> Figure:
    """conv1 filter mosaics stacked, one per tower (the paper's Figure 3)."""
    height = sum(9.0 * m.shape[0] / m.shape[1] + 0.4 for _, m in mosaics) + 0.6
    fig = Figure(figsize=(9, height), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(mosaics), 1, squeeze=False).ravel())
    for ax, (label, mosaic) in zip(axes, mosaics):
        ax.imshow(mosaic, interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.set_axis_off()
    fig.suptitle(title)
    return fig


def image_rows(rows: list[list[np.ndarray]], titles: list[list[str]], colours: list[list[str]] | None = None,
               row_labels: list[str] | None = None, title: str = "") -> Figure:
    """A grid of thumbnails: rows of images with small titles and coloured frames."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    lines = max((t.count("\n") + 1 for row in titles for t in row), default=1)
    fig = Figure(figsize=(1.5 * n_cols, (1.5 + 0.14 * lines) * n_rows + 0.6), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for i in range(n_rows):
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(rows[i]):
                ax.set_visible(False)
                continue
            ax.imshow(rows[i][j])
            ax.set_title(titles[i][j], fontsize=7)
            if colours is not None:
                for spine in ax.spines.values():
                    spine.set(color=colours[i][j], linewidth=2.5)
        if row_labels:
            axes[i, 0].set_ylabel(row_labels[i], fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def layer_patches(rows: list[tuple[str, list[np.ndarray]]], title: str) -> Figure:
    """One row per layer: for each of a few channels, its strongest image patches side by side."""
    n_rows, n_cols = len(rows), max(len(strips) for _, strips in rows)
    aspect = rows[0][1][0].shape[1] / rows[0][1][0].shape[0]
    fig = Figure(figsize=(min(18.0, 0.75 * aspect * n_cols + 1.0), 0.95 * n_rows + 0.8), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for i, (label, strips) in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(strips):
                ax.set_visible(False)
                continue
            ax.imshow(strips[j])
        axes[i, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    return fig
