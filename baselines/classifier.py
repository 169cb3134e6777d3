"""One-vs-rest linear SVMs: SGD streaming over cached shards, or exact when they fit in memory.

This is the classifier of Sánchez & Perronnin 2011 and Perronnin et al. 2012
("Towards good practice in large-scale learning for image classification"):
a binary hinge-loss linear SVM per class, one-vs-rest, learned by stochastic
gradient descent because the vectors of ImageNet do not fit in memory. Here it
is scikit-learn's SGDClassifier (hinge loss, L2 penalty alpha = 1 / (C · n),
Bottou's 'optimal' step size) fed by `partial_fit` with random batches of
`cache_shard_size` images drawn from all shards, so memory holds one batch of
vectors and the weights, at any scale. The classes' binary problems run in
parallel threads (`n_jobs`).

The regularisation is chosen on a held-out part of the training split: a
class-balanced `holdout_fraction` of the training images (data.balanced_subset)
is left out, one model per candidate alpha is trained on the rest (or, with
`select_fraction` < 1, on a class-balanced part of the rest, which makes the
search on ILSVRC affordable) in the same passes over the shards, and the alpha
with the lowest held-out top-1 error wins. What is chosen is C = 1 / (alpha n):
the final model is retrained (`refit`) on all training images, or on all but
the held-out ones (`refit_with_holdout=False`, the images the CNN trains on),
with alpha scaled by n_search / n_final, so that C stays the chosen one; when
the search already trained on exactly those images, its model is the final one.

What SGD costs against an exact solver: on Imagenette's cached vectors (K=256)
this gave 16.9% top-1 error, libsvm on the precomputed linear kernel
16.4-16.7% for C in 1..30 (but that needs the n x n kernel in memory).

SGD is far from converged when there are few training images: 10 passes over
1,350 CIFAR-10 vectors gave held-out errors of 48-85% depending on alpha,
where an exact solver gives 37% for every alpha in 1e-6..1e-3. So with
`solver="auto"` (the default) the SVMs are solved exactly by liblinear
(scikit-learn's LinearSVC: the same hinge loss, L2 penalty and C, one-vs-rest,
dual coordinate descent) whenever the training vectors fit in `exact_max_gb`
of memory in liblinear's format (16 bytes per dimension and image); only
larger sets stream through SGD. On our datasets that means exact up to
Imagenette's 30% subset and CIFAR-10's 10% subset, SGD on the full sets. Each
run records the solver it used (eval.json `svm_solver`). liblinear also
penalises the intercept (as one more weight on a constant feature of 1), SGD
does not; with 32,768-dimensional vectors the difference is negligible.

Departures: Perronnin et al. 2012 rebalance positives and negatives per class
and use early stopping on the held-out set; we use a fixed number of epochs
and unweighted samples (with 10 classes each binary problem is 1:9, mild).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from baselines.selection import choice_verdict

log = logging.getLogger("baselines")


@dataclass(frozen=True)
class ClassifierSettings:
    """How the SVMs are trained."""

    alphas: tuple = (1e-5, 3e-5, 1e-4, 3e-4)
    epochs: int = 10
    holdout_fraction: float = 0.1
    select_fraction: float = 1.0
    average: bool = False
    refit: bool = True
    seed: int = 0
    n_jobs: int = 1
    solver: str = "sgd"          # sgd | liblinear | auto | batched (exact, streamed: batched_svm)
    exact_max_gb: float = 4.0    # auto: liblinear when the vectors take at most this
    batch_size: int = 1000       # images per SGD step (sgd: per partial_fit call)
    refit_with_holdout: bool = True   # the final model also learns from the held-out images
    tol: float = 0.1             # batched: stop at this largest projected gradient (liblinear's default)
    extend: int = 0              # alphas the search may add past an end that wins (see `next_alpha`)

    @classmethod
    def from_config(cls, config: dict, n_jobs: int) -> "ClassifierSettings":
        return cls(alphas=tuple(float(a) for a in config["svm_alphas"]), epochs=int(config["svm_epochs"]),
                   holdout_fraction=float(config["holdout_fraction"]),
                   select_fraction=float(config["svm_select_fraction"]), average=bool(config["svm_average"]),
                   refit=bool(config["svm_refit"]), seed=int(config["seed"]), n_jobs=n_jobs,
                   solver=str(config["svm_solver"]), exact_max_gb=float(config["svm_exact_max_gb"]),
                   batch_size=int(config["cache_shard_size"]),
                   refit_with_holdout=bool(config.get("svm_refit_with_holdout", True)),
                   tol=float(config.get("svm_tol", 0.1)), extend=int(config.get("svm_extend", 0)))

    def solver_for(self, n_images: int, dim: int) -> str:
        """The solver that trains `n_images` vectors of `dim`: liblinear, sgd or batched."""
        if self.solver == "batched":
            return "batched"
        return "liblinear" if self.exact(n_images, dim) else "sgd"

    def exact(self, n_images: int, dim: int) -> bool:
        """Whether `n_images` vectors of `dim` are solved exactly (liblinear) rather than by SGD."""
        if self.solver == "auto":
            return n_images * dim * LIBLINEAR_BYTES <= self.exact_max_gb * 2**30
        return self.solver == "liblinear"


# liblinear copies dense input into (index, double value) pairs: 16 bytes per entry.
LIBLINEAR_BYTES = 16


def topk_error_pct(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Percentage of rows whose true label is not among the k highest scores."""
    if len(labels) == 0:
        return float("nan")
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float(100.0 * (1.0 - np.mean(np.any(top == labels[:, None], axis=1))))


def ovr_hinge_loss(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean over images and classes of max(0, 1 - y s): the loss the SVMs minimise (unregularised)."""
    y = -np.ones_like(scores)
    y[np.arange(len(labels)), labels] = 1.0
    return float(np.maximum(0.0, 1.0 - y * scores).mean())


def _new_model(alpha: float, settings: ClassifierSettings):
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="hinge", penalty="l2", alpha=alpha, learning_rate="optimal",
                         average=settings.average, fit_intercept=True, random_state=settings.seed,
                         n_jobs=settings.n_jobs)


def train_exact(cache, indices: np.ndarray, alphas: Sequence[float], settings: ClassifierSettings) -> list:
    """Exact OvR hinge SVMs (liblinear), one per alpha, with C = 1 / (alpha n); vectors in memory.

    The alphas run in `n_jobs` threads (liblinear releases the GIL). They share
    liblinear's random generator, so with several threads the coordinate order,
    and the last digits of the solution (within liblinear's tolerance), can
    differ between runs.
    """
    import warnings

    from joblib import Parallel, delayed
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    parts = [(x.astype(np.float32), y) for x, y, _ in cache.iter_shards(indices)]
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    del parts

    def fit(alpha: float):
        model = LinearSVC(loss="hinge", dual=True, C=1.0 / (alpha * len(y)), max_iter=5000,
                          random_state=settings.seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(x, y)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            log.warning("liblinear did not converge in %d iterations at alpha=%g", model.max_iter, alpha)
        return model

    return Parallel(n_jobs=min(settings.n_jobs, len(alphas)), prefer="threads")(delayed(fit)(a) for a in alphas)


def train(cache, indices: np.ndarray, n_classes: int, alphas: Sequence[float],
          settings: ClassifierSettings) -> list:
    """SGD hinge OvR models, one per alpha, trained together over the shards.

    Each epoch is a new random permutation of the images, in batches drawn
    from all shards (a shard holds one or two classes, see encode_cache); every
    model sees the same batches.

    Args:
      cache: a SplitCache.
      indices: sorted source indices of the training images to use.
      n_classes: number of classes (all are declared even if absent here).
      alphas: the L2 penalties to train.
      settings: epochs, averaging, seed, threads.

    Returns:
      The fitted SGDClassifier per alpha.
    """
    solver = settings.solver_for(len(indices), cache.fv_dim)
    if solver == "liblinear":
        return train_exact(cache, indices, alphas, settings)
    if solver == "batched":
        from baselines import batched_svm

        indices = np.asarray(indices, np.int64)
        return batched_svm.train(lambda pos: cache.read_rows(indices[pos]), len(indices), cache.fv_dim,
                                 cache.labels()[indices], n_classes, alphas, settings.epochs,
                                 tol=settings.tol, seed=settings.seed)
    models = [_new_model(a, settings) for a in alphas]
    classes = np.arange(n_classes)
    rng = np.random.default_rng(settings.seed)
    for epoch in range(settings.epochs):
        for x, y in cache.iter_batches(indices, settings.batch_size, rng):
            for model in models:
                model.partial_fit(x, y, classes=classes)
        log.info("SVM epoch %d/%d done", epoch + 1, settings.epochs)
    return models


def decision_scores(models: list, cache, indices: np.ndarray | None) -> tuple[list, np.ndarray, np.ndarray]:
    """Scores of every model on the given images, streamed shard by shard.

    Returns:
      (list of float32 [n, C] per model, labels [n], source indices [n]),
      rows sorted by source index.
    """
    scores = [[] for _ in models]
    labels, index = [], []
    for x, y, idx in cache.iter_shards(indices):
        for out, model in zip(scores, models):
            out.append(model.decision_function(x).astype(np.float32))
        labels.append(y)
        index.append(idx)
    index = np.concatenate(index)
    order = np.argsort(index, kind="stable")
    return [np.concatenate(s)[order] for s in scores], np.concatenate(labels)[order], index[order]


def next_alpha(selection: list[dict], best: float) -> float | None:
    """The penalty to try next when the held-out choice is not interior, else None.

    An end of the grid that wins (verdict 'edge') is extended one step past it,
    the step being the grid's spacing at that end; a grid whose candidates all
    tie is extended towards stronger regularisation (larger alpha), where the
    solutions start to differ (weaker penalties than a tie give the same
    hard-margin solution on separable data).
    """
    verdict = choice_verdict(selection, best)
    grid = sorted(r["alpha"] for r in selection)
    if verdict == "tie" or (verdict == "edge" and best == grid[-1]):
        return grid[-1] * grid[-1] / grid[-2]
    if verdict == "edge":
        return grid[0] * grid[0] / grid[1]
    return None


def _score(models, alphas, cache, holdout_indices, n_fit: int) -> list[dict]:
    scores, y, _ = decision_scores(models, cache, holdout_indices)
    return [{"alpha": a, "C": 1.0 / (a * n_fit), "holdout_top1_err_pct": topk_error_pct(s, y, 1),
             "holdout_top5_err_pct": topk_error_pct(s, y, 5)} for a, s in zip(alphas, scores)]


def _best(selection: list[dict]) -> float:
    """Lowest held-out top-1 error; ties go to the larger alpha (the smoother model)."""
    return min(sorted(selection, key=lambda r: -r["alpha"]), key=lambda r: r["holdout_top1_err_pct"])["alpha"]


def select_and_train(cache, train_indices: np.ndarray, n_classes: int, settings: ClassifierSettings,
                     holdout_indices: np.ndarray) -> tuple[object, list[dict]]:
    """Chooses C on the held-out images, then trains the final model (on all of
    `train_indices`, or without the held-out images when not
    `settings.refit_with_holdout`, as the CNN trains; the search's own model
    when it trained on exactly those images).

    Args:
      cache: the training split's SplitCache.
      train_indices: sorted source indices of all training images in use.
      n_classes: number of classes.
      settings: the candidate alphas and training options.
      holdout_indices: sorted subset of `train_indices` used to choose C.

    With `settings.extend` > 0, a choice at an end of the grid (or a grid
    whose candidates all tie) adds the next penalty past it (`next_alpha`),
    up to `extend` added candidates, until the choice is interior; the added
    rows say `extended`.

    Returns:
      (final model, one dict per candidate in the order tried: alpha, C,
      held-out top-1/top-5 error, and whether it was chosen; the final alpha
      is in the chosen row's 'final_alpha').
    """
    fit_indices = np.setdiff1d(train_indices, holdout_indices)
    if settings.select_fraction < 1.0 and len(fit_indices):
        from alexnet.data import balanced_subset
        labels = cache.labels()[fit_indices]
        fit_indices = fit_indices[balanced_subset(labels, settings.select_fraction, settings.seed)]
    if len(settings.alphas) == 1 or len(holdout_indices) == 0:
        selection = [{"alpha": a, "C": 1.0 / (a * len(train_indices))} for a in settings.alphas]
        best, n_search = settings.alphas[0], len(train_indices)
    else:
        alphas = list(settings.alphas)
        models = train(cache, fit_indices, n_classes, alphas, settings)
        selection = _score(models, alphas, cache, holdout_indices, len(fit_indices))
        best = _best(selection)
        for _ in range(settings.extend):
            alpha = next_alpha(selection, best)
            if alpha is None:
                break
            log.info("SVM penalty search: alpha=%g won at an end of %s (or all tied); trying alpha=%g",
                     best, sorted(alphas), alpha)
            model = train(cache, fit_indices, n_classes, [alpha], settings)[0]
            alphas.append(alpha)
            models.append(model)
            selection.append({**_score([model], [alpha], cache, holdout_indices, len(fit_indices))[0],
                              "extended": True})
            best = _best(selection)
        n_search = len(fit_indices)
        verdict = choice_verdict(selection, best)
        if verdict == "edge":
            log.warning("the chosen SVM penalty alpha=%g is at the edge of the searched %s; "
                        "consider extending the grid", best, sorted(alphas))
        elif verdict == "tie":
            log.warning("every SVM penalty in %s gives the same held-out error: C is not "
                        "chosen by these data (the record says so)", sorted(alphas))
        if not settings.refit:
            return models[alphas.index(best)], _mark(selection, best, best)
    final_indices = train_indices if settings.refit_with_holdout else np.setdiff1d(train_indices, holdout_indices)
    if len(holdout_indices) and len(settings.alphas) > 1 and np.array_equal(final_indices, fit_indices):
        # The search already trained the chosen penalty on exactly the final images (the whole
        # fit part, no refit with the held-out images): that model is the final one.
        return models[alphas.index(best)], _mark(selection, best, best)
    final_alpha = best * n_search / len(final_indices)  # the same C = 1 / (alpha n) on the final images
    final = train(cache, final_indices, n_classes, [final_alpha], settings)[0]
    return final, _mark(selection, best, final_alpha)


def _mark(selection: list[dict], best: float, final_alpha: float) -> list[dict]:
    return [{**row, "chosen": row["alpha"] == best, **({"final_alpha": final_alpha} if row["alpha"] == best else {})}
            for row in selection]
