"""What the saved validation predictions say: confusion, per-class error, failures.

Both models write `predictions.npz` into their run folder: `probs` [N, C] (the
CNN's centre-crop softmax, with `ten_crop_probs` beside it, in runs whose eval.json
says `saved_predictions: centre`; the 10-crop softmax in older CNN runs; the
baseline's scores), `labels` [N], and where known
`class_names` [C] and `paths` [N]. Committed copies of records have no
predictions.npz (it grows to 100 MB at 1000 classes) but, for up to
MAX_CONFUSION_CLASSES classes, a `confusion.csv` written by `reporting.tables`,
so the confusion figures can be redrawn from a fresh clone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reporting.runs import Record

# A 1000x1000 confusion matrix is 3 MB of CSV: not worth committing per run.
MAX_CONFUSION_CLASSES = 100


@dataclass
class Predictions:
    """One model's validation predictions.

    Attributes:
      probs: [N, C] scores; only their order per row matters here.
      labels: [N] true class indices.
      class_names: [C] names (indices as strings when the record has none).
      paths: [N] image paths, or None.
    """

    probs: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    paths: np.ndarray | None = None

    @property
    def predicted(self) -> np.ndarray:
        return np.argmax(self.probs, axis=1)

    @property
    def correct(self) -> np.ndarray:
        return self.predicted == self.labels


def load(record: Record) -> Predictions | None:
    """The record's predictions.npz, or None where it has none."""
    path = record.file("predictions.npz")
    if path is None:
        return None
    with np.load(path, allow_pickle=False) as data:
        probs = np.asarray(data["probs"], np.float32)
        labels = np.asarray(data["labels"], np.int64)
        names = [str(n) for n in data["class_names"]] if "class_names" in data else None
        paths = np.asarray(data["paths"]).astype(str) if "paths" in data else None
    if names is None or len(names) != probs.shape[1]:
        names = [str(i) for i in range(probs.shape[1])]
    return Predictions(probs, labels, names, paths)


def confusion(preds: Predictions) -> pd.DataFrame:
    """Counts [true class, predicted class], labelled with the class names."""
    n = len(preds.class_names)
    counts = np.bincount(preds.labels * n + preds.predicted, minlength=n * n).reshape(n, n)
    return pd.DataFrame(counts, index=pd.Index(preds.class_names, name="true"),
                        columns=pd.Index(preds.class_names, name="predicted"))


def record_confusion(record: Record) -> pd.DataFrame | None:
    """The confusion counts from predictions.npz, else from a committed confusion.csv."""
    preds = load(record)
    if preds is not None:
        return confusion(preds)
    path = record.file("confusion.csv")
    return pd.read_csv(path, index_col=0) if path is not None else None


def saved_crops(record: Record) -> str:
    """Which crops the record's saved predictions (and so its confusion.csv) used.

    Returns:
      'centre' (the centre crop; the baseline's whole image) or 'ten_crop' (the
      softmax averaged over ten crops, which CNN records kept before eval.json's
      `saved_predictions` existed). Read from eval.json's `saved_predictions`, else
      from predictions.npz's `crops`, else from eval.json: older CNN runs and the
      ensemble saved ten-crop predictions exactly when eval.json has ten-crop errors.
    """
    saved = record.eval().get("saved_predictions")  # written since the trainer saves the centre crop
    if saved:
        return saved
    path = record.file("predictions.npz")
    if path is not None:
        with np.load(path, allow_pickle=False) as data:
            if "crops" in data:
                return "ten_crop" if str(data["crops"]) == "ten_crop" else "centre"
    return "ten_crop" if record.eval().get("ten_crop") else "centre"


def per_class_error(counts: pd.DataFrame) -> pd.Series:
    """Top-1 error in percent per true class (NaN for a class without images)."""
    totals = counts.sum(axis=1).astype(float)
    right = pd.Series(np.diag(counts.to_numpy()), index=counts.index, dtype=float)
    return (100.0 * (1.0 - right / totals.where(totals > 0))).rename("top1_err_pct")


def most_confused(counts: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The n largest off-diagonal cells: true class, predicted class, count."""
    values = counts.to_numpy().copy()
    np.fill_diagonal(values, 0)
    order = np.argsort(-values, axis=None, kind="stable")[:n]
    rows = [(counts.index[i], counts.columns[j], int(values[i, j]))
            for i, j in zip(*np.unravel_index(order, values.shape)) if values[i, j] > 0]
    return pd.DataFrame(rows, columns=["true", "predicted", "count"])


def aligned(a: Predictions, b: Predictions) -> tuple[np.ndarray, np.ndarray] | None:
    """Indices (ia, ib) pairing the same validation images in two models' predictions.

    Matched by path where both record paths; otherwise the two are assumed to be
    in the same (source) order, which is checked against the labels. None when
    they cannot be paired.
    """
    if a.paths is not None and b.paths is not None:
        common, ia, ib = np.intersect1d(a.paths, b.paths, return_indices=True)
        return (ia, ib) if len(common) else None
    if len(a.labels) == len(b.labels) and np.array_equal(a.labels, b.labels):
        idx = np.arange(len(a.labels))
        return idx, idx
    return None


def disagreements(a: Predictions, b: Predictions) -> dict[str, np.ndarray] | None:
    """Indices into `a`'s images where exactly one of the two models is right.

    Returns:
      {'only_a': [...], 'only_b': [...], 'both_wrong': [...]} or None when the
      two prediction sets cannot be aligned.
    """
    pairs = aligned(a, b)
    if pairs is None:
        return None
    ia, ib = pairs
    ra, rb = a.correct[ia], b.correct[ib]
    return {"only_a": ia[ra & ~rb], "only_b": ia[~ra & rb], "both_wrong": ia[~ra & ~rb]}


def failures(preds: Predictions, n: int = 8) -> np.ndarray:
    """Up to n misclassified images, the most confident mistakes first."""
    wrong = np.flatnonzero(~preds.correct)
    confidence = preds.probs[wrong, preds.predicted[wrong]]
    order = np.argsort(-confidence, kind="stable")
    return wrong[order[:n]]
