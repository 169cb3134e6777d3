"""Fisher vectors and the GMM: the formulas, the normalisations, VLFeat agreement."""

import numpy as np
import pytest

from baselines import fisher
from baselines.gmm import fit_gmm


def _tiny_gmm(k=3, d=2, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k))
    mu = rng.normal(size=(k, d))
    var = rng.uniform(0.3, 2.0, size=(k, d))
    return fisher.DiagGmm(w, mu, var)


def _reference_fv(gmm, x):
    """The improved-FV formulas written out per descriptor and Gaussian, in float64."""
    w, mu, var = (a.astype(np.float64) for a in (gmm.weights, gmm.means, gmm.variances))
    x = x.astype(np.float64)
    k, d = mu.shape
    dens = np.array([[w[j] * np.prod(np.exp(-0.5 * (xi - mu[j]) ** 2 / var[j]) / np.sqrt(2 * np.pi * var[j]))
                      for j in range(k)] for xi in x])
    q = dens / dens.sum(1, keepdims=True)
    u = np.zeros((k, d))
    v = np.zeros((k, d))
    for i, xi in enumerate(x):
        for j in range(k):
            z = (xi - mu[j]) / np.sqrt(var[j])
            u[j] += q[i, j] * z
            v[j] += q[i, j] * (z * z - 1)
    u /= len(x) * np.sqrt(w)[:, None]
    v /= len(x) * np.sqrt(2 * w)[:, None]
    raw = np.concatenate([u.ravel(), v.ravel()])
    power = np.sign(raw) * np.sqrt(np.abs(raw))
    return raw, power / np.linalg.norm(power)


def test_fisher_vector_matches_the_formula():
    gmm = _tiny_gmm()
    x = np.random.default_rng(1).normal(size=(7, 2)).astype(np.float32)
    raw_ref, improved_ref = _reference_fv(gmm, x)

    stats = fisher.sufficient_statistics(gmm, x, None, 1)
    raw = fisher.fisher_from_statistics(gmm, *stats)[0]
    improved = fisher.encode(gmm, x)

    assert raw.shape == (2 * 3 * 2,) and improved.shape == (2 * 3 * 2,)
    np.testing.assert_allclose(raw, raw_ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(improved, improved_ref, rtol=1e-4, atol=1e-6)


def test_normalisations_hold():
    gmm = _tiny_gmm(k=4, d=3)
    x = np.random.default_rng(2).normal(size=(50, 3)).astype(np.float32)
    raw = fisher.fisher_from_statistics(gmm, *fisher.sufficient_statistics(gmm, x, None, 1))[0]
    fv = fisher.encode(gmm, x)
    assert np.linalg.norm(fv) == pytest.approx(1.0, abs=1e-5)
    # The power normalisation keeps signs and takes square roots of magnitudes.
    np.testing.assert_array_equal(np.sign(fv), np.sign(raw).astype(np.float32))
    np.testing.assert_allclose(fv, np.sqrt(np.abs(raw)) * np.sign(raw) / np.linalg.norm(np.sqrt(np.abs(raw))),
                               rtol=1e-4, atol=1e-7)
    no_power = fisher.encode(gmm, x, power=False)
    np.testing.assert_allclose(no_power, raw / np.linalg.norm(raw), rtol=1e-4, atol=1e-7)


def test_spatial_pyramid_blocks():
    gmm = _tiny_gmm(k=4, d=3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3)).astype(np.float32)
    ys = rng.uniform(0, 90, size=60)
    fv = fisher.encode(gmm, x, ys, height=90, spatial_pyramid=True)
    dim = gmm.fv_dim()
    assert fv.shape == (4 * dim,)
    assert np.linalg.norm(fv) == pytest.approx(1.0, abs=1e-5)
    blocks = fv.reshape(4, dim) * 2.0  # each block was divided by sqrt(4)
    np.testing.assert_allclose(blocks[0], fisher.encode(gmm, x), rtol=1e-4, atol=1e-6)
    for stripe in range(3):
        inside = (ys * 3 / 90).astype(int) == stripe
        np.testing.assert_allclose(blocks[1 + stripe], fisher.encode(gmm, x[inside]), rtol=1e-4, atol=1e-6)


def test_empty_image_gives_zero_vector():
    gmm = _tiny_gmm()
    assert not fisher.encode(gmm, np.zeros((0, 2), np.float32)).any()


def test_blas_encoding_agrees_with_vlfeat():
    pytest.importorskip("cyvlfeat")
    rng = np.random.default_rng(4)
    k, d, n = 32, 16, 2000
    gmm = fisher.DiagGmm(rng.dirichlet(np.ones(k) * 5), rng.normal(size=(k, d)),
                         rng.uniform(0.2, 1.0, size=(k, d)))
    comp = rng.choice(k, n, p=gmm.weights / gmm.weights.sum())
    x = (gmm.means[comp] + np.sqrt(gmm.variances[comp]) * rng.normal(size=(n, d))).astype(np.float32)
    ours, theirs = fisher.encode(gmm, x), fisher.encode_vlfeat(gmm, x)
    assert ours.shape == theirs.shape == (2 * k * d,)
    # VLFeat skips posteriors under 1e-6; everything else is rounding.
    assert float(ours @ theirs) > 0.99999
    np.testing.assert_allclose(ours, theirs, atol=2e-4)


def test_gmm_recovers_a_known_mixture_and_is_deterministic():
    rng = np.random.default_rng(5)
    means = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    x = np.concatenate([m + 0.5 * rng.normal(size=(2000, 2)) for m in means]).astype(np.float32)
    g1 = fit_gmm(x, 3, 50, seed=0)
    g2 = fit_gmm(x, 3, 50, seed=0)
    np.testing.assert_array_equal(g1.means, g2.means)
    order = np.argsort(g1.means[:, 0] + 0.1 * g1.means[:, 1])
    np.testing.assert_allclose(g1.means[order], means[[0, 1, 2]], atol=0.1)
    np.testing.assert_allclose(g1.variances, 0.25, rtol=0.15)
    np.testing.assert_allclose(g1.weights, 1 / 3, atol=0.02)


def test_repeated_far_point_is_encoded_exactly():
    """SIFT's zeroed patches: many copies of one point on a far, tight component.

    Expanding (x - mu)^2 in float32 there loses ~3 digits; the `repeated` path
    must give the float64 formula's vector (and VLFeat's).
    """
    rng = np.random.default_rng(6)
    k, d = 4, 3
    means = np.concatenate([rng.normal(size=(k - 1, d)), np.full((1, d), 300.0)])
    variances = np.concatenate([rng.uniform(0.5, 1.5, size=(k - 1, d)), np.full((1, d), 1.5)])
    gmm = fisher.DiagGmm(np.full(k, 1 / k), means, variances)
    point = means[-1] + 0.3
    x = np.concatenate([rng.normal(size=(20, d)), np.tile(point, (30, 1))]).astype(np.float32)
    repeated = np.arange(50) >= 20
    _, reference = _reference_fv(gmm, x)
    exact = fisher.encode(gmm, x, repeated=repeated)
    np.testing.assert_allclose(exact, reference, atol=1e-6)
    np.testing.assert_allclose(exact, fisher.encode_vlfeat(gmm, x), atol=1e-4)
    # With the pyramid the point's copies are counted in their own stripes.
    ys = np.linspace(0, 89, 50)
    pyr = fisher.encode(gmm, x, ys, 90, spatial_pyramid=True, repeated=repeated).reshape(4, -1) * 2
    stripe = (ys * 3 / 90).astype(int) == 2
    np.testing.assert_allclose(pyr[3], _reference_fv(gmm, x[stripe])[1], atol=1e-6)
