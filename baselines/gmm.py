"""Diagonal-covariance GMM fitted by EM in float32 BLAS.

Why not a library: one EM iteration on 100k 64-dimensional descriptors with
K = 256, on one core, took 2.1 s with scikit-learn's GaussianMixture (float64;
the full fit on 200k descriptors, k-means init included, took 12 minutes
here) and 1.5 s with VLFeat's `vl_gmm` (per-point C loops); this module takes
0.24 s. The E-step and M-step are the same two matrix products as
Fisher-vector encoding (`fisher.DiagGmm.posteriors`, then q^T [x, x^2]), so EM
here reuses them. scikit-learn's KMeans provides the initialisation.

Conventions follow VLFeat's `vl_gmm`, which the VGG pipelines used: the
variances have a lower bound (here `floor_ratio` = 1e-4 x the largest
per-dimension data variance, so the bound follows the descriptors' scale),
and a component that loses (almost) all its points is re-seeded at a random
data point. The bound matters: SIFT's zeroed low-contrast patches are one
point repeated thousands of times, whose component would otherwise collapse.
"""

from __future__ import annotations

import logging

import numpy as np

from baselines.fisher import DiagGmm

log = logging.getLogger("baselines")
_CHUNK = 65_536  # descriptors per E-step block: bounds the [chunk, K] posterior matrix


def _statistics(gmm: DiagGmm, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Sums of q, q x and q x^2 over all of x, and the total log-likelihood."""
    k, d = gmm.n_components, gmm.dim
    s0, s1, s2 = np.zeros(k), np.zeros((k, d)), np.zeros((k, d))
    loglik = 0.0
    for lo in range(0, len(x), _CHUNK):
        xc = x[lo:lo + _CHUNK]
        q, ll = gmm.posteriors(xc, with_log_likelihood=True)
        m = q.T @ np.concatenate([xc, xc * xc], axis=1)
        s0 += q.sum(axis=0)
        s1 += m[:, :d]
        s2 += m[:, d:]
        loglik += ll.sum()
    return s0, s1, s2, loglik


def _kmeans_init(x: np.ndarray, k: int, seed: int, floor: float) -> DiagGmm:
    from sklearn.cluster import KMeans

    # A few Lloyd iterations suffice: EM refines the result anyway.
    km = KMeans(n_clusters=k, n_init=1, max_iter=20, random_state=seed).fit(x)
    counts = np.bincount(km.labels_, minlength=k).astype(np.float64)
    means = km.cluster_centers_.astype(np.float64)
    variances = np.full((k, x.shape[1]), x.var(axis=0).mean())
    for c in np.flatnonzero(counts > 1):
        variances[c] = x[km.labels_ == c].var(axis=0)
    weights = np.maximum(counts, 1.0) / max(counts.sum(), 1.0)
    return DiagGmm(weights / weights.sum(), means, np.maximum(variances, floor))


def fit_gmm(x: np.ndarray, n_components: int, max_iterations: int = 100, tol: float = 1e-5,
            seed: int = 0, floor_ratio: float = 1e-4) -> DiagGmm:
    """EM for a diagonal GMM.

    Args:
      x: [N, D] data (converted to float32).
      n_components: K.
      max_iterations: EM iterations at most.
      tol: stop when the mean log-likelihood per point improves by less than
        `tol` x its magnitude.
      seed: seeds k-means and re-seeding, so a fit is reproducible.
      floor_ratio: variance floor as a fraction of the largest data variance.

    Returns:
      The fitted DiagGmm.
    """
    x = np.ascontiguousarray(x, np.float32)
    n = len(x)
    if n < n_components:
        raise ValueError(f"GMM with {n_components} components needs at least as many descriptors, got {n}")
    floor = floor_ratio * float(x.var(axis=0).max())
    rng = np.random.default_rng(seed)
    gmm = _kmeans_init(x, n_components, seed, floor)
    previous, mean_ll, it = -np.inf, float("nan"), -1
    for it in range(max_iterations):
        s0, s1, s2, loglik = _statistics(gmm, x)
        mean_ll = loglik / n
        # s0 ~ 0: the component lost its points; VLFeat re-seeds such modes.
        empty = s0 < 1e-6 * n / n_components
        means = s1 / np.maximum(s0, 1e-12)[:, None]
        variances = np.maximum(s2 / np.maximum(s0, 1e-12)[:, None] - means * means, floor)
        if empty.any():
            means[empty] = x[rng.choice(n, int(empty.sum()), replace=False)]
            variances[empty] = x.var(axis=0)
            s0[empty] = 1.0
        gmm = DiagGmm(s0 / s0.sum(), means, variances)
        if abs(mean_ll - previous) < tol * abs(mean_ll):
            break
        previous = mean_ll
    log.info("GMM: K=%d, %d iterations, mean log-likelihood %.4f", n_components, it + 1, mean_ll)
    return gmm
