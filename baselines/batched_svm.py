"""One-vs-rest linear SVMs for many classes: mini-batch SGD as matrix products.

scikit-learn's SGDClassifier (baselines/classifier.py) updates one image and
one class at a time. At Tiny ImageNet's scale, 90,000 vectors of 65,536
dimensions and 200 classes, that is about 10^12 multiply-adds per pass and
penalty on one core: hours. Here every class's and every candidate penalty's
SVM takes the same mini-batch step together, as two matrix products per batch
(BLAS on all cores), so one pass over the cached vectors costs minutes.

Each (class c, penalty alpha) pair is the binary SVM scikit-learn's SGD
solves, with the same objective:

    alpha/2 |w_c|^2 + mean_i max(0, 1 - y_ic (w_c . x_i + b_c)),  y_ic = +1 if x_i is of class c, else -1,

and the same step-size schedule (Bottou's 'optimal', scikit-learn's default):
eta_t = 1 / (alpha (t0 + t)) with t the images seen and t0 from Bottou's
heuristic. A batch of B images takes B of those steps at once on its mean
gradient; the penalty's shrinkage is applied as its exact (proximal) step,
w <- w / (1 + eta alpha B), which stays stable where the plain step
(1 - eta alpha B) would change sign for a large penalty and an early batch.
The intercept is not penalised. `average=True` returns the mean of the
iterates of the last half of the passes (Polyak-Ruppert), which removes most
of SGD's noise around the optimum.

This is the classifier of Perronnin et al. 2012 ("Towards good practice in
large-scale learning for image classification": one-vs-rest linear SVMs by
SGD on Fisher vectors, the ILSVRC 2010-11 winners' recipe) with their
per-sample steps grouped into batches; like `classifier.train` it uses
unweighted samples and a fixed number of passes instead of their
rebalancing and early stopping. tests/test_baselines_classifier.py checks it
against the exact solver (liblinear) on the same problem.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

log = logging.getLogger("baselines")


class LinearOvR:
    """A trained one-vs-rest linear model: scores = x @ coef + intercept."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, alpha: float):
        self.coef, self.intercept, self.alpha = coef, intercept, alpha

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """float32 [n, classes] scores."""
        return np.asarray(x, np.float32) @ self.coef + self.intercept


def bottou_t0(alpha: float) -> float:
    """The t0 of scikit-learn's 'optimal' schedule for the hinge loss: eta_0 = alpha^(-1/4)."""
    typw = np.sqrt(1.0 / np.sqrt(alpha))      # guess of a typical weight
    eta0 = typw                               # / max(1, |hinge'|), which is 1
    return 1.0 / (alpha * eta0)


def train(batches, dim: int, n_classes: int, alphas: Sequence[float], epochs: int, batch_size: int,
          average: bool = False) -> list[LinearOvR]:
    """Trains one OvR SVM per penalty on the same mini-batches.

    Args:
      batches: callable epoch -> iterator of (float32 [B, dim] vectors, int labels [B]).
      dim, n_classes: vector length and number of classes (all declared).
      alphas: the L2 penalties (alpha = 1 / (C n)).
      epochs: passes over the data.
      batch_size: images per batch (the largest batch `batches` yields).
      average: return the mean iterate of the last half of the passes.

    Returns:
      One LinearOvR per alpha, in the order given.
    """
    alphas = np.asarray(alphas, np.float64)
    n_alphas = len(alphas)
    # All models side by side: columns [a * n_classes + c].
    w = np.zeros((dim, n_alphas * n_classes), np.float32)
    b = np.zeros(n_alphas * n_classes, np.float32)
    col_alpha = np.repeat(alphas, n_classes)
    # t0 is at least one batch: n per-image steps on one gradient are stable only while
    # they are small against the schedule's start (measured: with 50-image batches and
    # alpha = 0.1, where Bottou's t0 is 6, the intercepts diverged; with this floor every
    # penalty reaches the per-image solver's objective, tests/test_baseline_classifier.py).
    col_t0 = np.repeat([max(bottou_t0(a), float(batch_size)) for a in alphas], n_classes)
    w_sum = b_sum = None
    n_sum, seen = 0, 0.0
    start_average = epochs // 2
    for epoch in range(epochs):
        if average and epoch == start_average:
            w_sum, b_sum = np.zeros_like(w), np.zeros_like(b)
        for x, y in batches(epoch):
            n = len(y)
            targets = -np.ones((n, n_classes), np.float32)
            targets[np.arange(n), y] = 1.0
            targets = np.tile(targets, (1, n_alphas))
            margins = targets * (x @ w + b)
            # d hinge / d score = -y where the margin is below 1, else 0.
            g = np.where(margins < 1.0, -targets, 0.0).astype(np.float32)
            # n per-image steps at once: eta for the batch's middle image.
            eta = (1.0 / (col_alpha * (col_t0 + seen + 0.5 * n))).astype(np.float32)
            step = eta * n                                   # per column
            w -= (x.T @ g) * (step / n)
            b -= g.sum(axis=0) * (step / n)
            shrink = (1.0 + step * col_alpha).astype(np.float32)
            w /= shrink
            b /= shrink
            seen += n
            if w_sum is not None:
                w_sum += w
                b_sum += b
                n_sum += 1
        log.info("SVM epoch %d/%d done (%d penalties x %d classes, batched)", epoch + 1, epochs,
                 n_alphas, n_classes)
    if w_sum is not None and n_sum:
        w, b = w_sum / n_sum, b_sum / n_sum
    return [LinearOvR(np.ascontiguousarray(w[:, a * n_classes:(a + 1) * n_classes]),
                      b[a * n_classes:(a + 1) * n_classes].copy(), float(alphas[a])) for a in range(n_alphas)]
