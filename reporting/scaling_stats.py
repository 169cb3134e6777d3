"""The data-scaling statistics: per-cell aggregation over subset seeds and where the curves cross.

From run records to numbers, with no wording and no drawing (reporting/scaling_presentation.py
turns them into the summary's text and figure; reporting/scaling.py writes both):

    run_row                   one run's subset, the images it trained on and its centre-crop errors
    summary_frame             summary.csv: mean and sample standard deviation over the subset seeds
                              of each (scale, model, training fraction) cell, and each seed's error
    cell_sizes                the x of each cell: images per class the CNN trained on (the models'
                              runs on one subset are compared there)
    paired_means              mean top-1 error per size, the sizes both models ran
    crossover                 a crossing inside the range measured: the bracket of sizes and the
                              point interpolated between them
    bootstrap_crossover       its percentile interval from a bootstrap over seeds and, where the
                              records hold per-image predictions, test images
    extrapolated_crossover    where power-law fits through the errors would meet beyond the data
    straight_gap_closes_at    where the gap in points, continued straight in log scale, would close
    power_law                 a power-law fit err = a * n**-b through one model's errors
    power_laws_meet           where two such fits meet
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reporting.runs import Record, RecordError
from baselines.selection import record_verdict
from reporting.tables import summary_row

COLUMNS = ("scale", "model", "kind", "name", "train_fraction", "train_images_per_class", "train_images",
           "subset_images", "n_seeds", "seeds", "top1_err_pct_mean", "top1_err_pct_std", "top1_err_pct_runs",
           "top5_err_pct_mean", "top5_err_pct_std", "val_images", "run_ids", "svm_solver", "svm_choice")


def trained_on(record: Record) -> tuple[int | None, int | None]:
    """(images the model learned from, images in its training subset), from its record.

    The CNN learns from its subset less the held-out part it leaves out
    (provenance.json dataset.trained_on; older records without it: the subset).
    The baseline's final SVM learns from its whole subset, the held-out part that
    chose C included, unless its record says otherwise
    (eval.json train_subset.final_fit_includes_holdout, config svm_refit).
    """
    result = record.eval()
    dataset = record.provenance().get("dataset", {})
    subset = result.get("train_subset") or {}
    if record.kind == "handcrafted" and subset.get("n_images"):
        # The baseline records its subset in eval.json (its provenance lists the full split it encoded).
        n = int(subset["n_images"])
        held = int(subset.get("n_holdout") or 0)
        if not record.config.get("svm_refit", True):  # the model that chose C, fitted without the held-out part
            return round((n - held) * float(record.config.get("svm_select_fraction", 1.0))), n
        return (n if subset.get("final_fit_includes_holdout", True) else n - held), n
    n = (dataset.get("train") or {}).get("n_images")  # the trainer lists the subset it loaded
    return dataset.get("trained_on") or n, n


def run_row(record: Record) -> dict:
    """One run's subset, the images it trained on and its centre-crop errors, from its record."""
    row = summary_row(record)
    result = record.eval()
    train = record.provenance().get("dataset", {}).get("train", {})
    n_train, n_subset = trained_on(record)
    n_classes = train.get("n_classes") or record.config.get("num_classes")
    if not n_train or not n_classes:
        raise RecordError(f"run record {record.path} does not say how many training images and classes it "
                          "used (eval.json train_subset or provenance.json dataset.train)")
    return {"scale": record.scale, "model": row["model"], "kind": row["kind"], "name": row["name"],
            "train_fraction": float(record.config.get("train_fraction", 1.0)),
            "subset_seed": int(record.config.get("subset_seed", 0)),
            "train_images": int(n_train), "subset_images": int(n_subset or n_train), "n_classes": int(n_classes),
            "top1": row["top1_err_pct_centre"], "top5": row["top5_err_pct_centre"],
            "val_images": row["n_images"], "run_id": record.run_id,
            # Baseline records before the exact solver existed have no svm_solver: they used SGD.
            "solver": result.get("svm_solver", "sgd") if row["kind"] == "handcrafted" else "",
            # How the held-out images chose C: interior, edge, tie (nothing chosen) or fixed.
            "choice": record_verdict(result) if row["kind"] == "handcrafted" else ""}


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
                    "subset_images": int(round(g["subset_images"].mean())),
                    "n_seeds": len(g), "seeds": " ".join(str(s) for s in g["subset_seed"]),
                    "top1_err_pct_mean": g["top1"].mean(), "top1_err_pct_std": g["top1"].std(ddof=1),
                    # Each seed's error, in the order of `seeds` and `run_ids`: what the bootstrap draws.
                    "top1_err_pct_runs": " ".join(f"{v:.10g}" for v in g["top1"]),
                    "top5_err_pct_mean": g["top5"].mean(), "top5_err_pct_std": g["top5"].std(ddof=1),
                    "val_images": int(g["val_images"].max()), "run_ids": " ".join(g["run_id"]),
                    "svm_solver": " ".join(sorted(set(g["solver"]))),
                    "svm_choice": " ".join(sorted(set(g["choice"])))})
    frame = pd.DataFrame(out, columns=list(COLUMNS))
    # Per scale and fraction, the CNN first, as in the per-scale summaries.
    frame["_order"] = (frame["kind"] != "cnn").astype(int)
    frame = frame.sort_values(["scale", "train_fraction", "_order"]).drop(columns="_order")
    return frame.reset_index(drop=True)


def _crossing(gap: pd.Series) -> list[tuple[float, str, float, float]]:
    """Where a gap (CNN minus baseline, by images per class) changes sign: (images per class,
    who leads after, and the two sizes measured either side), interpolated linearly in
    log(images per class)."""
    out = []
    for (n0, d0), (n1, d1) in zip(gap.items(), list(gap.items())[1:]):
        if d0 * d1 < 0:
            out.append((_gap_zero(n0, d0, n1, d1), "the CNN" if d1 < 0 else "the Fisher vectors", n0, n1))
    return out


def _gap_zero(n0: float, d0: float, n1: float, d1: float) -> float:
    """Images per class where the straight line in log(n) through (n0, d0) and (n1, d1) is 0:
    between them when the gaps differ in sign, beyond n1 when the gap narrows towards it."""
    t = d0 / (d0 - d1)
    return math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))


def cell_sizes(group: pd.DataFrame) -> pd.Series:
    """The x of each row's cell: images per class the CNN trained on.

    Both models' runs on one subset (one training fraction) are one cell, compared at
    one size. Where the two trained on different numbers of images (the baseline's
    final fit also learning from the held-out part the CNN leaves out), the CNN's count
    is used; a cell the CNN has not run keeps the baseline's own count. Frames without
    a train_fraction column pair rows by train_images_per_class itself.
    """
    own = group["train_images_per_class"].astype(float)
    if "train_fraction" not in group:
        return own
    cnn = group[group["kind"] == "cnn"].drop_duplicates("train_fraction").set_index("train_fraction")
    return group["train_fraction"].map(cnn["train_images_per_class"].astype(float)).fillna(own)


def sizes_differ(group: pd.DataFrame) -> bool:
    """Whether the baseline trained on another number of images than the CNN in some cell."""
    fv = group[group["kind"] == "handcrafted"]
    return bool(len(fv)) and not np.allclose(cell_sizes(group)[fv.index], fv["train_images_per_class"])


def crossover(group: pd.DataFrame) -> dict | None:
    """Where one scale's top-1 curves cross inside the range measured.

    The gap is the CNN's mean error minus the baseline's at each size both ran
    (`cell_sizes`); the curves cross between the two sizes where it changes sign,
    and the point is interpolated linearly in log(images per class) between them
    (`bootstrap_crossover` gives its interval).

    Returns:
      {'at' (images per class), 'below', 'above' (the sizes measured either side),
      'leader' (who leads above it)}, or None when the curves do not cross.
    """
    mean = paired_means(group)
    crossings = _crossing(mean["cnn"] - mean["handcrafted"])
    if not crossings:
        return None
    at, leader, below, above = crossings[0]
    return {"at": at, "leader": leader, "below": below, "above": above}


# The crossover's bootstrap: resamples, seed (fixed, so the summary regenerates the same) and level.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 2012
BOOTSTRAP_LEVEL = 0.95


def _cell_runs(group: pd.DataFrame) -> dict[tuple[float, str], list[tuple[str, float]]] | None:
    """(size, kind) -> [(run id, top-1 error)] of each seed, from summary.csv's run_ids and
    top1_err_pct_runs; None when the frame lacks them (a table without per-run errors)."""
    if not {"run_ids", "top1_err_pct_runs"} <= set(group.columns):
        return None
    out = {}
    for x, (_, row) in zip(cell_sizes(group), group.iterrows()):
        ids, errs = str(row["run_ids"]).split(), str(row["top1_err_pct_runs"]).split()
        if not ids or len(ids) != len(errs):
            return None
        out[(float(x), row["kind"])] = [(i, float(e)) for i, e in zip(ids, errs)]
    return out


def _image_errors(wrong: np.ndarray, n_resamples: int, rng: np.random.Generator, chunk: int = 250) -> np.ndarray:
    """Top-1 error in percent [runs, resamples] of runs whose per-image mistakes are the rows of
    `wrong` [runs, images], each resample drawing the same images, with replacement, for every run."""
    n_runs, n_images = wrong.shape
    out = np.empty((n_runs, n_resamples))
    weights = wrong.astype(np.float64)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        drawn = rng.integers(0, n_images, size=(size, n_images))
        counts = np.bincount((np.arange(size)[:, None] * n_images + drawn).ravel(),
                             minlength=size * n_images).reshape(size, n_images)
        out[:, start:start + size] = 100.0 * (weights @ counts.T) / n_images
    return out


def bootstrap_crossover(group: pd.DataFrame, wrong: dict[str, np.ndarray] | None = None,
                        resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                        level: float = BOOTSTRAP_LEVEL) -> dict | None:
    """A percentile bootstrap interval for the crossover point (`crossover`).

    Each resample draws, per cell (one model at one size), as many of its
    seeds' runs as it has, with replacement, and averages their top-1 errors;
    a cell with one seed adds no seed spread. Runs in `wrong` (their per-image
    mistakes on the test images, all of one scale in one image order) are
    also resampled over test images: one draw of image indices per resample,
    the same for every such run, so the two models stay paired. The
    crossover of each resample is placed as `crossover` places it (the first
    change of the lead to the same leader, interpolated in log scale);
    resamples whose curves do not cross so are left out, and `share` says how
    many crossed. Deterministic for a given seed.

    Args:
      group: one scale's summary.csv rows, with run_ids and top1_err_pct_runs.
      wrong: run id -> bool [images], True where the run's top-1 guess is wrong;
        runs not in it (records without per-image predictions) keep their recorded error.

    Returns:
      {'low', 'high' (images per class; NaN when no resample crosses), 'level',
      'resamples', 'share' (fraction of resamples that cross), 'cells',
      'single_seed_cells' (cells of one seed), 'runs', 'image_runs' (runs resampled
      over test images), 'images' (their count)}, or None when the curves do not
      cross or the frame has no per-run errors.
    """
    point = crossover(group)
    cells = _cell_runs(group)
    if point is None or cells is None:
        return None
    sizes = [float(x) for x in paired_means(group).index]
    members = {(x, kind): cells[(x, kind)] for x in sizes for kind in ("cnn", "handcrafted")}
    runs = list(dict.fromkeys(r for runs_ in members.values() for r, _ in runs_))
    recorded = dict(r for runs_ in members.values() for r in runs_)
    rng = np.random.default_rng(seed)
    errors = np.repeat(np.array([recorded[r] for r in runs], float)[:, None], resamples, axis=1)
    imaged = [i for i, r in enumerate(runs) if wrong is not None and r in wrong]
    n_images = 0
    if imaged:
        matrix = np.stack([np.asarray(wrong[runs[i]], bool) for i in imaged])
        n_images = matrix.shape[1]
        errors[imaged] = _image_errors(matrix, resamples, rng)
    row = {r: i for i, r in enumerate(runs)}
    mean = {}
    for key, cell in members.items():
        rows = np.array([row[r] for r, _ in cell])
        drawn = rows[rng.integers(0, len(rows), size=(resamples, len(rows)))]  # [resamples, seeds]
        mean[key] = errors[drawn, np.arange(resamples)[:, None]].mean(axis=1)
    gap = np.stack([mean[(x, "cnn")] - mean[(x, "handcrafted")] for x in sizes], axis=1)
    sign = 1.0 if point["leader"] == "the CNN" else -1.0  # the CNN leads above: the gap turns negative
    at = np.full(resamples, np.nan)
    for j in range(len(sizes) - 1):
        d0, d1 = gap[:, j], gap[:, j + 1]
        hit = np.isnan(at) & (sign * d0 > 0) & (sign * d1 < 0)
        t = d0[hit] / (d0[hit] - d1[hit])
        at[hit] = np.exp(math.log(sizes[j]) + t * (math.log(sizes[j + 1]) - math.log(sizes[j])))
    crossed = at[~np.isnan(at)]
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(crossed, [tail, 100.0 - tail]) if len(crossed) else (np.nan, np.nan)
    return {"low": float(low), "high": float(high), "level": level, "resamples": resamples,
            "share": len(crossed) / resamples, "cells": len(members),
            "single_seed_cells": sum(len(c) == 1 for c in members.values()),
            "runs": len(runs), "image_runs": len(imaged), "images": n_images}


def paired_means(group: pd.DataFrame) -> pd.DataFrame:
    """Mean top-1 error per images per class (rows: `cell_sizes`) and kind (columns), sizes both models ran."""
    mean = group.assign(_x=cell_sizes(group)).pivot_table(index="_x", columns="kind", values="top1_err_pct_mean")
    mean.index.name = "train_images_per_class"
    if not {"cnn", "handcrafted"} <= set(mean.columns):
        return pd.DataFrame(columns=["cnn", "handcrafted"])
    return mean.dropna(subset=["cnn", "handcrafted"]).sort_index()


def power_law(n: pd.Series, err: pd.Series) -> tuple[float, float]:
    """(a, b) of err = a * n**-b, fitted by least squares as a straight line in log-log."""
    slope, intercept = np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(err, float)), 1)
    return float(math.exp(intercept)), float(-slope)


def power_laws_meet(fits: dict) -> float | None:
    """Images per class where two power laws {kind: (a, b)} meet, or None if they are parallel
    or meet beyond a billion images per class (nowhere, for this table's purposes)."""
    (a_c, b_c), (a_f, b_f) = fits["cnn"], fits["handcrafted"]
    if b_c == b_f:
        return None
    log_n = (math.log(a_c) - math.log(a_f)) / (b_c - b_f)
    return math.exp(log_n) if math.isfinite(log_n) and log_n < math.log(1e9) else None


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
    mean = paired_means(group)
    if len(mean) < 2 or (mean <= 0).any().any() or crossover(group) is not None:
        return None  # a zero error has no logarithm
    gap = mean["cnn"] - mean["handcrafted"]
    if gap.iloc[-1] == 0:
        return None
    # Fits through the largest k sizes, k = 3 (2 when only 2 ran) ... all; the last is through all.
    fits_by_k = [{kind: power_law(mean.index[-k:], mean[kind].iloc[-k:]) for kind in ("cnn", "handcrafted")}
                 for k in range(min(3, len(mean)), len(mean) + 1)]
    meetings = [power_laws_meet(fits) for fits in fits_by_k]
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
    mean = paired_means(group)
    if len(mean) < 2:
        return None
    gap = mean["cnn"] - mean["handcrafted"]
    (n0, d0), (n1, d1) = list(gap.items())[-2:]
    if d0 * d1 <= 0 or abs(d1) >= abs(d0):
        return None
    return _gap_zero(n0, d0, n1, d1)
