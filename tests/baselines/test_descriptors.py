"""Dense SIFT and colour statistics: grid, scales, root-SIFT, colour against brute force."""

import numpy as np
import pytest

pytest.importorskip("cyvlfeat")

from baselines.descriptors import (  # noqa: E402
    DescriptorSettings, colour_statistics, dense_sift, describe, prepare_image)


def _image(h=96, w=80, seed=0):
    rng = np.random.default_rng(seed)
    # Smooth random structure, so SIFT sees gradients and patches differ.
    small = rng.integers(0, 256, size=(h // 8, w // 8, 3)).astype(np.uint8)
    import cv2
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def test_scales_share_centres_on_a_regular_grid():
    settings = DescriptorSettings(step=4, sift_bin_sizes=(4, 6, 8))
    grey = prepare_image(_image(), settings).mean(axis=2).astype(np.float32)
    desc, centres, sizes = dense_sift(grey, settings)
    assert desc.shape == (len(centres), 128) and desc.dtype == np.float32
    assert set(np.unique(sizes)) == {4, 6, 8}
    per_scale = [set(map(tuple, centres[sizes == s])) for s in (4, 6, 8)]
    # The largest scale's centres appear at every smaller scale (vl_phow's alignment).
    assert per_scale[2] <= per_scale[1] and per_scale[2] <= per_scale[0]
    ys = np.unique(centres[sizes == 8, 0])
    assert np.all(np.diff(ys) == 4)
    assert ys[0] == pytest.approx(1.5 * 8)  # first bin centre at the image edge


def test_root_sift_is_sqrt_of_l1_normalised_sift():
    grey = prepare_image(_image(), DescriptorSettings()).mean(axis=2).astype(np.float32)
    plain, _, _ = dense_sift(grey, DescriptorSettings(root_sift=False))
    root, _, _ = dense_sift(grey, DescriptorSettings(root_sift=True))
    keep = plain.sum(1) > 0
    np.testing.assert_allclose(root[keep], np.sqrt(plain[keep] / plain[keep].sum(1, keepdims=True)), rtol=1e-5)
    assert np.allclose((root[keep] ** 2).sum(1), 1.0, atol=1e-4)


def test_colour_statistics_match_brute_force():
    settings = DescriptorSettings(colour=True, step=4, sift_bin_sizes=(4, 6))
    image = _image(80, 72, seed=1)
    rgb = prepare_image(image, settings)
    descs, centres, _ = describe(image, settings)
    sizes = dense_sift(rgb.mean(2).astype(np.float32), settings)[2]
    assert descs["colour"].shape == (len(centres), 96)
    checked = 0
    for n in range(0, len(centres), 37):
        y, x, s = int(centres[n, 0]), int(centres[n, 1]), int(sizes[n])
        if y - 2 * s < 0 or x - 2 * s < 0 or y + 2 * s > rgb.shape[0] or x + 2 * s > rgb.shape[1]:
            continue  # cells beyond the border are mirrored; checked inside only
        cells = [rgb[y - 2 * s + i * s:y - 2 * s + (i + 1) * s, x - 2 * s + j * s:x - 2 * s + (j + 1) * s]
                 for i in range(4) for j in range(4)]
        mean = np.concatenate([c.reshape(-1, 3).mean(0) for c in cells])
        std = np.concatenate([c.reshape(-1, 3).std(0) for c in cells])
        np.testing.assert_allclose(descs["colour"][n], np.concatenate([mean, std]), atol=1e-4)
        checked += 1
    assert checked >= 5


def test_colour_statistics_reject_scattered_centres():
    rgb = np.zeros((40, 40, 3), np.float32)
    with pytest.raises(ValueError, match="grid"):
        colour_statistics(rgb, np.array([[10.0, 10.0], [13.0, 21.0]], np.float32), np.array([4, 4]))


def test_prepare_image_resizes_and_scales():
    image = _image(32, 32)
    up = prepare_image(image, DescriptorSettings(upscale=3.0))
    assert up.shape == (96, 96, 3) and up.dtype == np.float32 and 0.0 <= up.min() and up.max() <= 1.0
    capped = prepare_image(_image(200, 100), DescriptorSettings(max_pixels=5000))
    assert capped.shape[0] * capped.shape[1] <= 5100
    grey = prepare_image(image[:, :, 0], DescriptorSettings())
    assert grey.shape == (32, 32, 3)


def test_tiny_image_yields_no_descriptors():
    descs, centres, _ = describe(_image(16, 16)[:12, :12], DescriptorSettings(colour=True))
    assert descs["sift"].shape == (0, 128) and descs["colour"].shape == (0, 96) and len(centres) == 0
