"""The SVM stage: which solver runs, and that the exact one is liblinear's OvR hinge SVM."""

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from baselines import classifier


class MemoryCache:
    """The part of baselines.encode_cache.SplitCache the classifier reads, over arrays."""

    def __init__(self, x: np.ndarray, y: np.ndarray, shard_size: int = 16):
        self.x, self.y, self.shard_size, self.fv_dim = x, y, shard_size, x.shape[1]

    def labels(self) -> np.ndarray:
        return self.y

    def iter_shards(self, indices=None):
        indices = np.arange(len(self.y)) if indices is None else np.asarray(indices)
        for lo in range(0, len(self.y), self.shard_size):
            idx = indices[(indices >= lo) & (indices < lo + self.shard_size)]
            if len(idx):
                yield self.x[idx], self.y[idx], idx

    def iter_batches(self, indices, batch_size, rng):
        order = rng.permutation(indices)
        for lo in range(0, len(order), batch_size):
            idx = np.sort(order[lo:lo + batch_size])
            yield self.x[idx], self.y[idx]


def _blobs(n_per_class=12, classes=5, dim=64, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    y = np.repeat(np.arange(classes), n_per_class)
    x = (centres[y] + 1.5 * rng.normal(size=(len(y), dim))).astype(np.float32)
    return x, y


@pytest.mark.parametrize("solver,n,dim,expected", [
    ("auto", 1000, 32768, True),        # 0.5 GiB in liblinear's format
    ("auto", 45000, 32768, False),      # CIFAR-10's whole training split: 22 GiB
    ("auto", 8192, 32768, True),        # exactly 4 GiB
    ("auto", 8193, 32768, False),
    ("sgd", 10, 10, False),
    ("liblinear", 10**6, 10**6, True),
])
def test_solver_choice(solver, n, dim, expected):
    assert classifier.ClassifierSettings(solver=solver, exact_max_gb=4.0).exact(n, dim) is expected


def test_exact_solver_is_liblinear_with_c_from_alpha():
    x, y = _blobs()
    settings = classifier.ClassifierSettings(alphas=(1e-2, 1e-1), solver="auto", n_jobs=2)
    models = classifier.train(MemoryCache(x, y), np.arange(len(y)), 5, settings.alphas, settings)
    for alpha, model in zip(settings.alphas, models):
        direct = LinearSVC(loss="hinge", dual=True, C=1.0 / (alpha * len(y)), max_iter=5000,
                           random_state=0).fit(x, y)
        # Same optimum to liblinear's tolerance; alphas solved in parallel threads share liblinear's
        # random generator, so the coordinate order (not the solution) may differ.
        np.testing.assert_allclose(model.decision_function(x), direct.decision_function(x), rtol=1e-3, atol=1e-3)


def test_selection_and_refit_keep_c_and_mark_the_choice():
    x, y = _blobs(n_per_class=20)
    cache, all_idx = MemoryCache(x, y), np.arange(len(y))
    held = all_idx[::5]
    settings = classifier.ClassifierSettings(alphas=(1e-3, 1e-2, 1e-1), solver="liblinear", n_jobs=1)
    model, selection = classifier.select_and_train(cache, all_idx, 5, settings, held)
    chosen = [row for row in selection if row["chosen"]]
    assert len(chosen) == 1 and all("holdout_top1_err_pct" in row for row in selection)
    # C = 1 / (alpha n) is what is chosen; the refit on all images keeps it.
    n_fit = len(all_idx) - len(held)
    assert chosen[0]["final_alpha"] == pytest.approx(chosen[0]["alpha"] * n_fit / len(all_idx))
    assert model.C == pytest.approx(chosen[0]["C"])
    scores, labels, _ = classifier.decision_scores([model], cache, None)
    assert classifier.topk_error_pct(scores[0], labels, 1) < 10.0  # separable blobs, fitted on them
