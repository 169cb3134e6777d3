"""The drawings: each function takes plain data and returns a matplotlib Figure.

No file I/O and no pyplot: figures are made with `matplotlib.figure.Figure`, so
they render with the Agg canvas in scripts and tests and display inline in
notebooks, and never depend on a GUI backend. `reporting.figures` decides what
to draw and where to save it; the notebooks call these directly.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alexnet.class_names import readable
from reporting.published import best_per_year


def shade(colour: str, amount: float) -> str:
    """`colour` mixed with white (amount > 0) or black (amount < 0), |amount| in [0, 1]."""
    rgb, other = np.asarray(to_rgb(colour)), (1.0 if amount > 0 else 0.0)
    return to_hex((1 - abs(amount)) * rgb + abs(amount) * other)


# One colour per model family, defined here only and used by every figure (this
# module's, reporting.scaling_presentation's and reporting.classes', which import
# KIND_COLOURS): the CNN blue, the hand-crafted pipeline orange, an ensemble of CNNs
# a darker shade of the CNN's blue. Several models of one family in one figure are
# told apart by hatching or line style, never by another colour.
CNN_COLOUR, HANDCRAFTED_COLOUR = "#1f77b4", "#ff7f0e"
FAMILY_COLOURS = {"cnn": CNN_COLOUR, "ensemble": shade(CNN_COLOUR, -0.45), "handcrafted": HANDCRAFTED_COLOUR}
FAMILY_LABELS = {"cnn": "CNN", "ensemble": "CNN ensemble", "handcrafted": "hand-crafted"}
KIND_COLOURS = {kind: FAMILY_COLOURS[kind] for kind in ("cnn", "handcrafted")}  # a record's `kind`
OTHER_COLOUR = "grey"
# Within one model's learning curves: the held-out part in the family colour, the
# training set in a light tint of it.
TRAIN_TINT = 0.55
HATCHES = ("", "//", "..", "xx", "\\\\")

# The split each scale reports (its `val`): CIFAR-10 has no validation split, so it
# reports its test split (alexnet.data.sources; TFDS_NAMES in alexnet.data.tfds_source).
TEST_SPLIT_SCALES = {"cifar10"}


def family(kind: str, model: str = "") -> str:
    """'ensemble' for an ensemble of CNNs, else the record's kind ('cnn', 'handcrafted')."""
    return "ensemble" if kind == "cnn" and "ensemble" in str(model) else str(kind)


def family_colour(kind: str, model: str = "") -> str:
    """The colour of a model's family in every figure (see FAMILY_COLOURS)."""
    return FAMILY_COLOURS.get(family(kind, model), OTHER_COLOUR)


def split_name(scale: str) -> str:
    """'test' where a scale reports its test split (CIFAR-10), else 'validation'."""
    return "test" if str(scale).removeprefix("tfds:").split(":")[0] in TEST_SPLIT_SCALES else "validation"


def _hatches(families: list[str]) -> list[str]:
    """No hatch for the first model of each family, then one hatch after another."""
    seen: dict[str, int] = {}
    out = []
    for f in families:
        out.append(HATCHES[seen.get(f, 0) % len(HATCHES)] if f else "")
        seen[f] = seen.get(f, 0) + 1
    return out


def learning_curves(runs: list[tuple[str, pd.DataFrame]], families: list[str] | None = None) -> Figure:
    """Per run, one row of three panels: error, loss and learning rate per epoch.

    The error panel has train and held-out top-1 and top-5 error, the loss panel
    train and held-out loss (a held-out loss that rises while the training loss
    falls is overfitting; its lowest epoch is marked), the learning-rate panel the
    rate each epoch ran at. Step drops of the learning rate are marked in all three.

    Args:
      runs: (title, metrics) pairs; metrics has the columns of metrics.csv.
      families: each run's model family (FAMILY_COLOURS), 'cnn' by default.
    """
    families = list(families or ["cnn"] * len(runs))
    fig = Figure(figsize=(15.0, 3.9 * len(runs) + 0.2), layout="constrained")
    rows = np.atleast_1d(fig.subfigures(len(runs), 1, squeeze=False).ravel())
    for sub, (title, m), fam in zip(rows, runs, families):
        colour = FAMILY_COLOURS.get(fam, OTHER_COLOUR)
        split_colours = {"train": shade(colour, TRAIN_TINT), "heldout": colour, "val": colour}
        error_ax, loss_ax, lr_ax = sub.subplots(1, 3, width_ratios=[1.25, 1.0, 0.8])
        sub.suptitle(title.replace("\n", ", run "), fontsize=11)
        for split, c in split_colours.items():
            label = "held-out" if split == "heldout" else split
            for k, style in (("top1", "-"), ("top5", "--")):
                points = _series(m, f"{split}_{k}_err_pct")
                if points is not None:
                    error_ax.plot(points["epoch"], points.iloc[:, 1], style, color=c,
                                  label=f"{label} {k.replace('top', 'top-')}")
            points = _series(m, f"{split}_loss")
            if points is not None:
                loss_ax.plot(points["epoch"], points.iloc[:, 1], "-", color=c, marker="." if split != "train" else None,
                             label=f"{label} loss")
        held = _series(m, "heldout_loss")
        if held is None:
            held = _series(m, "val_loss")
        if held is not None and len(held) > 1:
            best = held.iloc[int(np.argmin(held.iloc[:, 1].to_numpy()))]
            loss_ax.plot(best["epoch"], best.iloc[1], "v", color="black", markersize=7,
                         label=f"lowest held-out loss (epoch {int(best['epoch'])})")
        lr = _series(m, "lr")
        if lr is not None:
            lr_ax.plot(lr["epoch"], lr["lr"], "-", marker=".", color=colour, drawstyle="steps-mid")
            # Steps of /10 read best on a log axis; a warm-up and cosine's smooth fall to ~0 on a linear one.
            if len(_lr_drops(m)) and (lr["lr"] > 0).all():
                lr_ax.set_yscale("log")
        for ax in (error_ax, loss_ax, lr_ax):
            _mark_lr_drops(ax, m, label=ax is error_ax)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
        error_ax.set(ylabel="error (%)", title="error (held-out: centre crop)")
        loss_ax.set(ylabel="loss (cross-entropy)", title="loss")
        lr_ax.set(ylabel="learning rate", title="learning rate")
        error_ax.legend(fontsize=7)
        if loss_ax.get_lines():
            loss_ax.legend(fontsize=7)
    return fig


def _series(m: pd.DataFrame, column: str) -> pd.DataFrame | None:
    """(epoch, column) rows where the column has a value; None where it has none.

    Epochs without an evaluation (val_every_epochs > 1) are skipped, not gaps.
    """
    if column not in m or not m[column].notna().any():
        return None
    return m[["epoch", column]].dropna()


def _lr_drops(m: pd.DataFrame) -> np.ndarray:
    """Rows where the learning rate fell in a step (below half, after a constant stretch),
    not in the gradual fall of a cosine schedule."""
    if "lr" not in m or len(m) < 2:
        return np.array([], int)
    lr = m["lr"].to_numpy(float)
    flat = np.r_[True, np.isclose(lr[1:-1], lr[:-2])]
    return np.flatnonzero((lr[1:] < lr[:-1] * 0.5) & flat) + 1


def _mark_lr_drops(ax, m: pd.DataFrame, label: bool) -> None:
    """Dotted lines where the learning rate fell in a step (/10 after a constant stretch)."""
    lr = m["lr"].to_numpy(float) if "lr" in m else np.array([])
    for i in _lr_drops(m):
        x = (m["epoch"].iloc[i - 1] + m["epoch"].iloc[i]) / 2
        ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        if label:
            ax.annotate(f"lr {lr[i]:.0e}", (x, 1.0), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="right", fontsize=7, color="grey")


def gap(ours: pd.DataFrame, history: pd.DataFrame) -> Figure:
    """Our CNN vs hand-crafted runs per scale, beside the published ILSVRC 2010-2012 history.

    Args:
      ours: one row per run: scale, name, kind, top1_err_pct_centre, top5_err_pct_centre,
        and optionally model (which tells an ensemble of CNNs apart).
      history: from `published.ilsvrc_history` (year, kind, model, role, top5_err_pct).
    """
    fig = Figure(figsize=(15, 5.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[max(2, len(ours)), 5])
    x, ticks, names, drawn = 0.0, [], [], []
    for scale, group in ours.groupby("scale", sort=False):
        start = x
        for _, row in group.iterrows():
            fam = family(row["kind"], row.get("model", ""))
            colour = FAMILY_COLOURS.get(fam, OTHER_COLOUR)
            drawn.append(fam)
            left.bar(x, row["top1_err_pct_centre"], 0.8, color=colour, alpha=0.45)
            left.bar(x, row["top5_err_pct_centre"], 0.8, color=colour)
            # Two decimals, as in the tables (summary.md).
            left.annotate(f"{row['top1_err_pct_centre']:.2f}", (x, row["top1_err_pct_centre"]),
                          ha="center", va="bottom", fontsize=8)
            ticks.append(x)
            names.append(row["name"])
            x += 1
        left.annotate(gap_scale_label(scale), ((start + x - 1) / 2, 1.0), xycoords=("data", "axes fraction"),
                      xytext=(0, -6), textcoords="offset points", ha="center", va="top", fontweight="bold")
        x += 0.8
    left.set_xticks(ticks, names, rotation=25, ha="right", fontsize=7)
    left.set_xlim(-0.9, x - 0.6)  # room for a one-bar scale's heading
    top = float(ours["top1_err_pct_centre"].max()) if len(ours) else 100.0
    left.set_ylim(0, min(100.0, 1.2 * top + 6))  # room for the value labels and scale names
    left.set(ylabel="error on the reported split (%), centre crop",
             title="Our runs (centre crop): light = top-1, dark = top-5")
    left.grid(axis="y", alpha=0.3)
    for fam, colour in FAMILY_COLOURS.items():
        if fam in drawn or fam in KIND_COLOURS:
            left.bar(np.nan, np.nan, color=colour, label=FAMILY_LABELS[fam])
    left.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, 0.9))
    _history_panel(right, history)
    return fig


def gap_scale_label(scale: str) -> str:
    """The heading above a scale's bars: its name and the split it reports."""
    return f"{scale}\n({split_name(scale)} split)"


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
        ax.plot(np.nan, np.nan, "o", color=colour, label=f"{FAMILY_LABELS[kind]} entry")
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


def confusion(matrices: list[tuple[str, pd.DataFrame]], families: list[str] | None = None,
              title: str = "") -> Figure:
    """Row-normalised confusion matrices side by side (percent of each true class).

    Args:
      matrices: (panel title, counts [true, predicted]) pairs; long titles are wrapped.
      families: each panel's model family: its title is drawn in the family's colour.
        The cells are grey for every model, so no family's colour stands for another.
      title: the figure's title (scale, split, crops), or none.
    """
    families = list(families or [""] * len(matrices))
    n_classes = max(len(c) for _, c in matrices)
    size = 4.5 if n_classes <= 20 else 6.0
    width = max(28, int(7.5 * size))  # characters per title line that fit over one panel
    lines = max(len(textwrap.wrap(t, width)) for t, _ in matrices)
    fig = Figure(figsize=(size * len(matrices) + 1, size + 0.6 + 0.2 * lines + (0.4 if title else 0)),
                 layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(matrices), squeeze=False).ravel())
    image = None
    for ax, (panel, counts), fam in zip(axes, matrices, families):
        values = counts.to_numpy(float)
        rates = 100.0 * values / np.maximum(values.sum(axis=1, keepdims=True), 1)
        image = ax.imshow(rates, cmap="Greys", vmin=0, vmax=100)
        if len(counts) <= 12:  # small enough to print every cell's rate
            for (i, j), rate in np.ndenumerate(rates):
                ax.text(j, i, f"{rate:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if rate > 55 else "black")
        if len(counts) <= 20:
            names = [readable(c)[:16] for c in counts.index]
            ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
            ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_title("\n".join(textwrap.wrap(panel, width)), fontsize=9,
                     color=FAMILY_COLOURS.get(fam, "black"))
        ax.set(xlabel="predicted", ylabel="true")
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="% of the true class")
    if title:
        fig.suptitle(_wrap(title, fig.get_figwidth(), 10), fontsize=10)
    return fig


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    """`text` in lines that fit `width_in` inches at `fontsize` points."""
    return "\n".join(textwrap.wrap(text, max(20, int(width_in * 130 / fontsize))))


def per_class(errors: pd.DataFrame, families: list[str] | None = None, title: str = "") -> Figure:
    """Per-class top-1 error, one bar per model in each class (errors: classes x models).

    Args:
      families: each column's model family: its bars take the family's colour, and
        further models of the same family are hatched.
      title: the axes title; 'Per-class top-1 error' by default.
    """
    n, m = errors.shape
    families = list(families or [""] * m)
    # No family given: matplotlib's colour cycle.
    colours = [FAMILY_COLOURS.get(f, OTHER_COLOUR) if f else None for f in families]
    fig = Figure(figsize=(max(6.0, 0.5 * n * m + 2), 4.2), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(m, 1)
    for j, (model, colour, hatch) in enumerate(zip(errors.columns, colours, _hatches(families))):
        ax.bar(np.arange(n) + (j - (m - 1) / 2) * width, errors[model], width, label=model,
               color=colour, hatch=hatch or None,
               edgecolor="white" if hatch else None, linewidth=0)
    ax.set_xticks(range(n), [readable(c)[:16] for c in errors.index], rotation=60, ha="right", fontsize=7)
    ax.set_title(_wrap(title or "Per-class top-1 error", fig.get_figwidth(), 11), fontsize=11)
    ax.set_ylabel("top-1 error (%)")
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
