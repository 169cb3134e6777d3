"""The data-scaling statistics: per-cell aggregation over subset seeds and where the curves cross.

From run records to numbers, with no wording and no drawing (reporting/scaling_presentation.py
turns them into the summary's text and figure; reporting/scaling.py writes both):

    run_row                   one run's subset, training-set size and centre-crop errors
    summary_frame             summary.csv: mean and sample standard deviation over the subset seeds
                              of each (scale, model, training fraction) cell
    paired_means              mean top-1 error per size, the sizes both models ran
    crossover                 a crossing inside the range measured, with an interval from the seeds
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
           "n_seeds", "seeds", "top1_err_pct_mean", "top1_err_pct_std", "top5_err_pct_mean",
           "top5_err_pct_std", "val_images", "run_ids", "svm_solver", "svm_choice")


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
                    "n_seeds": len(g), "seeds": " ".join(str(s) for s in g["subset_seed"]),
                    "top1_err_pct_mean": g["top1"].mean(), "top1_err_pct_std": g["top1"].std(ddof=1),
                    "top5_err_pct_mean": g["top5"].mean(), "top5_err_pct_std": g["top5"].std(ddof=1),
                    "val_images": int(g["val_images"].max()), "run_ids": " ".join(g["run_id"]),
                    "svm_solver": " ".join(sorted(set(g["solver"]))),
                    "svm_choice": " ".join(sorted(set(g["choice"])))})
    frame = pd.DataFrame(out, columns=list(COLUMNS))
    # Per scale and fraction, the CNN first, as in the per-scale summaries.
    frame["_order"] = (frame["kind"] != "cnn").astype(int)
    frame = frame.sort_values(["scale", "train_fraction", "_order"]).drop(columns="_order")
    return frame.reset_index(drop=True)


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
    mean = paired_means(group)
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


def paired_means(group: pd.DataFrame) -> pd.DataFrame:
    """Mean top-1 error per images per class (rows) and kind (columns), sizes both models ran."""
    mean = group.pivot_table(index="train_images_per_class", columns="kind", values="top1_err_pct_mean")
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
