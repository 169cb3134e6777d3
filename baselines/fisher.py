"""Improved Fisher vectors (Perronnin, Sánchez & Mensink 2010) in float32 BLAS.

For descriptors x_1..x_N (PCA-reduced, D dims) and a diagonal GMM with weights
w_k, means mu_k and variances sigma_k^2, with posteriors q_ik:

    u_k = 1 / (N sqrt(w_k))   * sum_i q_ik (x_i - mu_k) / sigma_k
    v_k = 1 / (N sqrt(2 w_k)) * sum_i q_ik [((x_i - mu_k) / sigma_k)^2 - 1]

The Fisher vector is [u_1 .. u_K, v_1 .. v_K] (2·K·D numbers, VLFeat's layout),
then the "improved" normalisations: signed square root, then L2.

Why not VLFeat's `vl_fisher`: it loops over descriptors and Gaussians in C and
took 0.12 s per 224 px image (~7,800 descriptors) at K = 256 on one core. Every step above is a
dense matrix product over the descriptors instead: the log-likelihoods are
[x^2, x] @ [-1/(2 sigma^2), mu/sigma^2]^T + const, and the sums of q, q x and
q x^2 give u and v in closed form. OpenBLAS does that in float32 about 6x
faster (PCA + encoding: 21 ms against 120 ms per 224 px image on one core,
the whole per-image work 3.3x; scripts/bench_baseline.py measures both, and
tests/baselines/test_fisher.py checks that they give the same vectors).

Spatial pyramid (Lazebnik et al. 2006, as used by Sánchez & Perronnin 2011 and
the ILSVRC entries): the whole image plus 3 horizontal stripes. Posteriors are
computed once; stripe statistics are sums over disjoint descriptor sets, so the
whole-image statistics are their sum and the pyramid costs almost nothing extra.
Each region's vector is power- and L2-normalised on its own and the
concatenation is divided by sqrt(#blocks), so the result has unit norm whatever
the pyramid (C then means the same across settings). Possible departure: the
papers do not all say how the pyramid's blocks are normalised; normalising
each on its own keeps regions with few descriptors from being drowned out and
makes blocks of different descriptor types (SIFT, colour) weigh the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Log-likelihood gaps below this are exp() < 1e-13: clipping them avoids the
# slow denormal path of exp() and changes no posterior visibly (VLFeat skips
# posteriors below 1e-6 altogether).
_MIN_LOG_RATIO = -30.0


@dataclass
class DiagGmm:
    """A diagonal-covariance Gaussian mixture, float32, in VLFeat's row layout.

    Attributes:
      weights: [K] mixture weights (sum to 1).
      means: [K, D].
      variances: [K, D] diagonal covariances.
    """

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray

    def __post_init__(self):
        self.weights = np.ascontiguousarray(self.weights, np.float32)
        self.means = np.ascontiguousarray(self.means, np.float32)
        self.variances = np.ascontiguousarray(self.variances, np.float32)
        prec = 1.0 / self.variances.astype(np.float64)
        mu = self.means.astype(np.float64)
        # log w_k + log N(x | mu_k, sigma_k) as one affine map of [x^2, x].
        self._proj = np.concatenate([-0.5 * prec, mu * prec], axis=1).T.astype(np.float32)  # [2D, K]
        self._bias = (np.log(self.weights.astype(np.float64))
                      - 0.5 * (mu * mu * prec).sum(1)
                      - 0.5 * np.log(self.variances.astype(np.float64)).sum(1)
                      - 0.5 * self.dim * np.log(2 * np.pi)).astype(np.float32)

    @property
    def n_components(self) -> int:
        return len(self.weights)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def fv_dim(self) -> int:
        """2·K·D, the length of one (unpooled) Fisher vector."""
        return 2 * self.n_components * self.dim

    def posteriors(self, x: np.ndarray, with_log_likelihood: bool = False):
        """q_ik for descriptors x float32 [N, D]; returns float32 [N, K].

        With `with_log_likelihood`, returns (q, float64 [N] log p(x_i)) for EM.
        """
        xx = np.concatenate([x * x, x], axis=1)
        logp = xx @ self._proj
        logp += self._bias
        top = logp.max(axis=1, keepdims=True)
        logp -= top
        np.maximum(logp, _MIN_LOG_RATIO, out=logp)
        np.exp(logp, out=logp)
        total = logp.sum(axis=1, keepdims=True)
        logp /= total
        if with_log_likelihood:
            return logp, (top[:, 0].astype(np.float64) + np.log(total[:, 0].astype(np.float64)))
        return logp


def point_posteriors(gmm: DiagGmm, point: np.ndarray) -> np.ndarray:
    """q_k of one descriptor, in float64 and without expanding the square."""
    mu, var = gmm.means.astype(np.float64), gmm.variances.astype(np.float64)
    logp = (np.log(gmm.weights.astype(np.float64)) - 0.5 * np.log(2 * np.pi * var).sum(1)
            - 0.5 * ((np.asarray(point, np.float64) - mu) ** 2 / var).sum(1))
    q = np.exp(logp - logp.max())
    return q / q.sum()


def sufficient_statistics(gmm: DiagGmm, x: np.ndarray, region_ids: np.ndarray | None,
                          n_regions: int, repeated: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Per-region sums of q, q·x and q·x^2, and descriptor counts.

    Args:
      gmm: the mixture.
      x: float32 [N, D] descriptors.
      region_ids: int [N] region of each descriptor in [0, n_regions), or None
        for one region holding everything.
      n_regions: number of disjoint regions.
      repeated: optional bool [N] marking rows that are all the same point
        (SIFT's zeroed low-contrast patches). Their share is computed once, in
        float64: such a point sits on a component of floored, tiny variance far
        from the data mean, where float32's x^2 - 2 mu x + mu^2 cancels
        catastrophically (we measured 8e-3 errors against VLFeat from it).

    Returns:
      (counts [R], s0 [R, K], s1 [R, K, D], s2 [R, K, D]), float64 sums of
      float32 products.
    """
    k, d = gmm.n_components, gmm.dim
    counts = np.zeros(n_regions)
    s0 = np.zeros((n_regions, k))
    s1 = np.zeros((n_regions, k, d))
    s2 = np.zeros((n_regions, k, d))
    if region_ids is None:
        region_ids = np.zeros(len(x), np.int64)
    if repeated is not None and repeated.any():
        point = np.asarray(x[np.argmax(repeated)], np.float64)
        n_rep = np.bincount(region_ids[repeated], minlength=n_regions).astype(np.float64)
        q0 = point_posteriors(gmm, point)
        counts += n_rep
        s0 += n_rep[:, None] * q0
        s1 += n_rep[:, None, None] * (q0[:, None] * point)
        s2 += n_rep[:, None, None] * (q0[:, None] * point * point)
        x, region_ids = x[~repeated], region_ids[~repeated]
    if len(x) == 0:
        return counts, s0, s1, s2
    x = np.ascontiguousarray(x, np.float32)
    if n_regions == 1:
        bounds = np.array([0, len(x)])
    else:
        order = np.argsort(region_ids, kind="stable")
        bounds = np.searchsorted(region_ids[order], np.arange(n_regions + 1))
        # Group the descriptors by region before the posteriors (x is narrow,
        # the [N, K] posteriors are not), so each region is one contiguous block.
        x = x[order]
    q = gmm.posteriors(x)
    for r in range(n_regions):
        lo, hi = bounds[r], bounds[r + 1]
        if hi == lo:
            continue
        qr, xr = q[lo:hi], x[lo:hi]
        counts[r] += hi - lo
        s0[r] += qr.sum(axis=0)
        # One product for both moments: q^T [x, x^2].
        m = qr.T @ np.concatenate([xr, xr * xr], axis=1)
        s1[r] += m[:, :d]
        s2[r] += m[:, d:]
    return counts, s0, s1, s2


def fisher_from_statistics(gmm: DiagGmm, counts, s0, s1, s2) -> np.ndarray:
    """Unnormalised Fisher vectors [R, 2KD] from sufficient statistics (zeros if empty)."""
    mu = gmm.means.astype(np.float64)
    var = gmm.variances.astype(np.float64)
    sigma = np.sqrt(var)
    w = gmm.weights.astype(np.float64)
    n = np.maximum(counts, 1.0)[:, None, None]
    u = (s1 - s0[..., None] * mu) / sigma / (n * np.sqrt(w)[:, None])
    v = (s2 - 2.0 * mu * s1 + s0[..., None] * (mu * mu - var)) / var / (n * np.sqrt(2.0 * w)[:, None])
    return np.concatenate([u.reshape(len(counts), -1), v.reshape(len(counts), -1)], axis=1)


def power_l2_normalise(fv: np.ndarray, power: bool = True) -> np.ndarray:
    """Signed square root (if `power`), then L2 normalisation of each row."""
    fv = np.asarray(fv, np.float64)
    if power:
        fv = np.sign(fv) * np.sqrt(np.abs(fv))
    norm = np.linalg.norm(fv, axis=-1, keepdims=True)
    return fv / np.maximum(norm, 1e-12)


def stripe_ids(centres_y: np.ndarray, height: int, n_stripes: int = 3) -> np.ndarray:
    """Which of `n_stripes` horizontal stripes each descriptor centre lies in."""
    ids = np.floor(np.asarray(centres_y) * n_stripes / max(height, 1)).astype(np.int64)
    return np.clip(ids, 0, n_stripes - 1)


def encode(gmm: DiagGmm, x: np.ndarray, centres_y: np.ndarray | None = None, height: int = 1,
           spatial_pyramid: bool = False, power: bool = True, repeated: np.ndarray | None = None) -> np.ndarray:
    """The improved Fisher vector of one image's descriptors.

    Args:
      gmm: the mixture.
      x: float32 [N, D] PCA-reduced descriptors.
      centres_y: [N] descriptor centre rows (needed for the pyramid).
      height: image height in the same coordinates.
      spatial_pyramid: whole image + 3 horizontal stripes (4 blocks).
      power: apply the signed square root.
      repeated: optional bool [N]: rows that are one and the same point (see
        `sufficient_statistics`).

    Returns:
      float32 [B * 2KD], B = 4 with the pyramid else 1, each block power- and
      L2-normalised and the whole scaled to unit norm.
    """
    if spatial_pyramid:
        ids = stripe_ids(centres_y, height)
        counts, s0, s1, s2 = sufficient_statistics(gmm, x, ids, 3, repeated)
        # The whole image's statistics are the sum over its three stripes.
        stats = [np.concatenate([a.sum(0, keepdims=True), a]) for a in (counts, s0, s1, s2)]
    else:
        stats = sufficient_statistics(gmm, x, None, 1, repeated)
    blocks = power_l2_normalise(fisher_from_statistics(gmm, *stats), power)
    blocks[stats[0] == 0] = 0.0  # a region without descriptors says nothing
    return (blocks.reshape(-1) / np.sqrt(len(blocks))).astype(np.float32)


def encode_vlfeat(gmm: DiagGmm, x: np.ndarray) -> np.ndarray:
    """VLFeat's `vl_fisher` (improved), the reference the BLAS version must match."""
    from cyvlfeat.fisher import fisher  # imported here: only tests and the benchmark need it
    return np.asarray(fisher(np.ascontiguousarray(x, np.float32), gmm.means, gmm.variances,
                             gmm.weights, improved=True), np.float32).reshape(-1)
