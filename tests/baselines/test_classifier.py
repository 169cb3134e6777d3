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

    def read_rows(self, indices):
        return self.x[np.asarray(indices)]

    def iter_batches(self, indices, batch_size, rng):
        order = rng.permutation(indices)
        for lo in range(0, len(order), batch_size):
            idx = np.sort(order[lo:lo + batch_size])
            yield self.x[idx], self.y[idx]


def _blobs(n_per_class=12, classes=5, dim=64, seed=0, noise=1.5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    y = np.repeat(np.arange(classes), n_per_class)
    x = (centres[y] + noise * rng.normal(size=(len(y), dim))).astype(np.float32)
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


def test_batched_solver_is_liblinear_streamed_in_blocks():
    # Noisy classes, so that the penalty matters; several blocks a pass, as at scale.
    x, y = _blobs(n_per_class=60, classes=6, dim=128, seed=1, noise=6.0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)        # unit vectors, as Fisher vectors are
    alphas = (1e-4, 1e-2, 1.0)                            # C = 28 (near hard margin) .. 0.003
    settings = classifier.ClassifierSettings(alphas=alphas, solver="batched", epochs=1000, tol=1e-3)
    assert settings.solver_for(len(y), x.shape[1]) == "batched"
    cache = MemoryCache(x, y, shard_size=50)
    models = classifier.train(cache, np.arange(len(y)), 6, alphas, settings)
    for alpha, model in zip(alphas, models):
        exact = LinearSVC(loss="hinge", dual=True, C=1.0 / (alpha * len(y)), max_iter=100000, tol=1e-6,
                          random_state=0).fit(x, y)
        # Liblinear's optimum, to the tolerance asked for (at liblinear's default of 0.1 both
        # solvers stop up to 5% above the optimum at the weakest penalty here).
        assert _primal(model, x, y, alpha) == pytest.approx(_primal(exact, x, y, alpha), rel=2e-3), alpha
        assert np.mean(model.decision_function(x).argmax(1) == exact.decision_function(x).argmax(1)) > 0.97


def _primal(model, x, y, alpha):
    """liblinear's objective summed over the classes: 1/2 (|w_c|^2 + b_c^2) + C sum_i hinge, C = 1/(alpha n)."""
    coef = model.coef_.T if hasattr(model, "coef_") else model.coef
    b = model.intercept_ if hasattr(model, "coef_") else model.intercept
    scores = model.decision_function(x)
    return float(0.5 * ((coef ** 2).sum() + (b ** 2).sum())
                 + len(y) * scores.shape[1] * classifier.ovr_hinge_loss(scores, y) / (alpha * len(y)))


def test_final_fit_leaves_the_held_out_images_out_when_asked(monkeypatch):
    x, y = _blobs(n_per_class=20)
    cache, all_idx = MemoryCache(x, y), np.arange(len(y))
    held = all_idx[::5]
    settings = classifier.ClassifierSettings(alphas=(1e-3, 1e-2), solver="liblinear", n_jobs=1,
                                             refit_with_holdout=False)
    model, selection = classifier.select_and_train(cache, all_idx, 5, settings, held)
    chosen = next(row for row in selection if row["chosen"])
    assert chosen["final_alpha"] == pytest.approx(chosen["alpha"])      # searched on the same images
    fit = np.setdiff1d(all_idx, held)
    direct = LinearSVC(loss="hinge", dual=True, C=1.0 / (chosen["alpha"] * len(fit)), max_iter=5000,
                       random_state=0).fit(x[fit], y[fit])
    np.testing.assert_allclose(model.decision_function(x), direct.decision_function(x), rtol=1e-3, atol=1e-3)

    # The search trained the chosen penalty on exactly these images: that model is the final one,
    # not a second solve (the fair settings' search on every fit image, batched at CIFAR-10 size).
    calls, original = [], classifier.train
    monkeypatch.setattr(classifier, "train", lambda *args, **kw: calls.append(list(args[3])) or original(*args, **kw))
    again, _ = classifier.select_and_train(cache, all_idx, 5, settings, held)
    assert calls == [[1e-3, 1e-2]]                                    # the search only
    np.testing.assert_allclose(again.decision_function(x), model.decision_function(x), rtol=1e-6)


@pytest.mark.parametrize("errors, best, expected", [
    ({1e-3: 30.0, 1e-2: 20.0, 1e-1: 25.0}, 1e-2, None),          # interior: done
    ({1e-3: 30.0, 1e-2: 25.0, 1e-1: 20.0}, 1e-1, 1.0),           # the strongest end wins: one step past it
    ({1e-4: 20.0, 3e-4: 25.0, 1e-3: 30.0}, 1e-4, 1e-4 / 3),      # the weakest end wins: its own spacing
    ({1e-3: 20.0, 1e-2: 20.0, 1e-1: 20.0}, 1e-1, 1.0),           # all tie: towards stronger penalties
])
def test_next_alpha_steps_past_a_winning_end(errors, best, expected):
    selection = [{"alpha": a, "holdout_top1_err_pct": e} for a, e in errors.items()]
    step = classifier.next_alpha(selection, best)
    assert step is None if expected is None else step == pytest.approx(expected)


def test_the_search_extends_the_grid_until_the_choice_is_interior():
    """Noisy classes, where a strong penalty wins: a grid of weak penalties grows past its strong end,
    one step at a time, and stops once an added penalty does worse; without extend it stays put."""
    x, y = _blobs(n_per_class=30, classes=5, dim=256, seed=3, noise=8.0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    cache, all_idx = MemoryCache(x, y), np.arange(len(y))
    held = all_idx[::3]
    grid = (1e-6, 1e-5)
    plain = classifier.ClassifierSettings(alphas=grid, solver="liblinear", n_jobs=1)
    _, fixed = classifier.select_and_train(cache, all_idx, 5, plain, held)
    assert [r["alpha"] for r in fixed] == list(grid)
    grown = classifier.ClassifierSettings(alphas=grid, solver="liblinear", n_jobs=1, extend=8)
    _, selection = classifier.select_and_train(cache, all_idx, 5, grown, held)
    alphas = [r["alpha"] for r in selection]
    assert alphas[:2] == list(grid) and len(alphas) > 2
    assert alphas[2:] == pytest.approx([1e-5 * 10 ** k for k in range(1, len(alphas) - 1)])  # the grid's step
    assert all(r.get("extended") for r in selection[2:]) and not any(r.get("extended") for r in selection[:2])
    best = next(r["alpha"] for r in selection if r["chosen"])
    from baselines.selection import choice_verdict
    assert choice_verdict(selection, best) == "interior" and best != max(alphas)
