"""Augmentation invariants, the train/eval pipelines, colour statistics and metrics
(alexnet.data.transforms / pipeline / colour / metrics)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from alexnet import data
from alexnet.data import colour, transforms

COV = [[900.0, 700.0, 600.0], [700.0, 800.0, 650.0], [600.0, 650.0, 850.0]]
STATS = data.ColourStats.from_covariance([120.0, 110.0, 100.0], COV)


def _decode(path) -> np.ndarray:
    """The reference decoder: TensorFlow's (PIL's IDCT differs by a few levels)."""
    return tf.io.decode_jpeg(Path(path).read_bytes(), channels=3).numpy()


def _key(i, j=0):
    return tf.constant([i, j], tf.int64)


def test_train_window_lies_inside_the_central_square_and_covers_it():
    rng = np.random.default_rng(0)
    for h, w in [(224, 224), (375, 500), (500, 333), (32, 32), (257, 256)]:
        s = min(h, w)
        c = int(round(224 * s / 256))
        ys, xs = [], []
        for i in range(300):
            window = transforms.train_window(h, w, _key(i, int(rng.integers(1e6))), 224, 256)
            y, x, ch, cw = (int(v) for v in window)
            assert ch == cw == c
            assert (h - s) // 2 <= y and y + c <= (h - s) // 2 + s
            assert (w - s) // 2 <= x and x + c <= (w - s) // 2 + s
            ys.append(y - (h - s) // 2)
            xs.append(x - (w - s) // 2)
        assert min(ys) == min(xs) == 0 and max(ys) == max(xs) == s - c  # every offset reachable


def test_flip_is_a_mirror_half_the_time():
    image = tf.constant(np.random.default_rng(1).integers(0, 255, (5, 7, 3)), tf.uint8)
    flips = 0
    for i in range(400):
        out = transforms.random_flip(image, _key(i)).numpy()
        if np.array_equal(out, image.numpy()[:, ::-1]):
            flips += 1
        else:
            np.testing.assert_array_equal(out, image.numpy())
    assert 160 < flips < 240


def test_pca_noise_has_the_intended_covariance():
    # The paper's shift on the 0..1 scale, a_i ~ N(0, 0.1) times eigenvalue i along
    # eigenvector i, has covariance 0.1^2 P diag(eigval_01)^2 P^T; here in 0..255 units.
    cov = STATS.eigvec @ np.diag((STATS.eigval / 255.0) ** 2) @ STATS.eigvec.T
    keys = tf.stack([tf.fill([20000], tf.constant(7, tf.int64)), tf.range(20000, dtype=tf.int64)], axis=1)
    noise = tf.vectorized_map(lambda k: transforms.pca_noise(k, STATS.eigval, STATS.eigvec, 0.1), keys)
    noise = noise.numpy()
    assert np.abs(noise.mean(0)).max() < 5 * 0.1 * np.sqrt(cov.diagonal().max() / len(noise))
    np.testing.assert_allclose(np.cov(noise.T), 0.01 * cov, rtol=0.06, atol=0.06 * 0.01 * cov.max())
    # Axis by axis: independent along each eigenvector, std 0.1 * eigenvalue (0..1 scale).
    along = np.corrcoef((noise @ STATS.eigvec).T)
    np.testing.assert_allclose(along, np.eye(3), atol=0.04)
    np.testing.assert_allclose((noise @ STATS.eigvec).std(0), 0.1 * STATS.eigval / 255.0, rtol=0.04)


def test_published_fallback_reproduces_fb_resnet_lighting():
    alpha = tf.random.stateless_normal([3], _key(3), stddev=0.1).numpy()
    fb_eigval = np.array([0.2175, 0.0188, 0.0045])
    expected = 255 * colour.IMAGENET_COLOUR_STATS.eigvec @ (alpha * fb_eigval)
    fallback = data.IMAGENET_COLOUR_STATS
    got = transforms.pca_noise(_key(3), fallback.eigval, fallback.eigvec, 0.1)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


def test_ten_crop_corners_centre_and_mirrors():
    image = tf.constant(np.arange(9 * 12 * 3).reshape(9, 12, 3))
    crops = data.ten_crop(image, 5).numpy()
    img = image.numpy()
    assert crops.shape == (10, 5, 5, 3)
    for k, expected in enumerate([img[:5, :5], img[:5, -5:], img[-5:, :5], img[-5:, -5:], img[2:7, 3:8]]):
        np.testing.assert_array_equal(crops[k], expected)
        np.testing.assert_array_equal(crops[5 + k], expected[:, ::-1])
    np.testing.assert_array_equal(crops[data.CENTRE], data.centre_crop(image, 5).numpy())


@pytest.fixture(scope="module")
def small(data_dir):
    full = data.get_source("imagenette", "val", data_dir=data_dir)
    return full.select(np.arange(0, full.n_images, full.n_images // 12)[:12])


@pytest.mark.parametrize("cache", [True, False])
def test_eval_centre_crop_is_the_ten_crops_centre(small, cache):
    (centre, y1), = list(data.eval_dataset(small, 16, colour_stats=STATS, cache=cache).as_numpy_iterator())
    (ten, y2), = list(data.eval_dataset(small, 16, colour_stats=STATS, ten_crop=True,
                                        cache=cache).as_numpy_iterator())
    assert centre.shape == (12, 224, 224, 3) and ten.shape == (12, 10, 224, 224, 3)
    np.testing.assert_array_equal(ten[:, data.CENTRE], centre)
    np.testing.assert_array_equal(y1, small.labels)
    np.testing.assert_array_equal(ten[:, 5 + data.CENTRE], centre[:, :, ::-1])
    # The paper's recipe spelled out for one 224 px image: resize to 256, centre 224
    # (the in-memory cache keeps the 256 x 256 image rounded to uint8).
    resized = tf.image.resize(_decode(Path(small.root, small.files[0])), [256, 256]).numpy()
    expected = (np.round(resized) if cache else resized)[16:240, 16:240] - STATS.mean
    np.testing.assert_allclose(centre[0], expected, atol=1e-3)


def test_batched_augmentation_draws_what_the_per_image_path_draws():
    """The cached path augments whole batches (train_batch); each image gets the
    crop, mirror and colour shift its key gives on the per-image path."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 32, 32, 3), dtype=np.uint8)
    keys = tf.constant([[7, p] for p in range(6)], tf.int64)
    batch = data.pipeline.train_batch(tf.constant(images), keys, 28, STATS, 0.1, standardise=True)
    # PNG is lossless, so the per-image path sees exactly these pixels.
    single = [data.pipeline.train_image(tf.io.encode_png(im), keys[i], 28, 32, STATS, 0.1, standardise=True)
              for i, im in enumerate(images)]
    np.testing.assert_allclose(batch.numpy(), np.stack(single), atol=1e-4)
    plain = data.pipeline.train_batch(tf.constant(images), keys, 28, STATS, 0.0).numpy() + STATS.mean
    for out, im in zip(plain, images.astype(np.float32)):  # exact windows, some mirrored
        windows = [im[y:y + 28, x:x + 28] for y in range(5) for x in range(5)]
        assert any(np.allclose(out, w, atol=1e-4) or np.allclose(out, w[:, ::-1], atol=1e-4) for w in windows)


def test_augmentation_draws_are_pinned():
    """Each image's crop position, mirror and PCA coefficients for fixed keys, as every committed run drew
    them: a change here (another key split, an extra draw) would make resumed and repeated runs differ."""
    keys = tf.constant([[7, p] for p in range(3)], tf.int64)
    draws = data.pipeline._augment_draws(keys, 0.1).numpy()
    np.testing.assert_allclose(draws[:, :6], [[0.2513, 0.7456, 1.0, 0.0909, 0.0566, 0.0106],
                                              [0.5666, 0.5964, 1.0, 0.0040, 0.1111, -0.0235],
                                              [0.0385, 0.7050, 0.0, 0.0249, 0.1365, -0.1898]], atol=1e-4)
    assert not draws[:, 6].any()                  # no jittered scale without resize_range
    jittered = data.pipeline._augment_draws(keys, 0.1, (56, 72)).numpy()
    np.testing.assert_array_equal(jittered[:, :6], draws[:, :6])   # turning jitter on changes no other draw
    assert ((jittered[:, 6] >= 56) & (jittered[:, 6] <= 72)).all()


def _ramp(n: int, size: int) -> np.ndarray:
    """uint8 [n, size, size, 3] whose red channel is 3 x the column and green 3 x the row: a window's
    span in source pixels is readable from any crop of it."""
    cols = np.broadcast_to(np.arange(size) * 3, (size, size))
    image = np.stack([cols, cols.T, np.zeros((size, size), int)], -1).astype(np.uint8)
    return np.repeat(image[None], n, axis=0)


def _span(out: np.ndarray) -> np.ndarray:
    """Source pixels between a crop's first and last column, per image (red channel, mirror-proof)."""
    red = out[..., 0] / 3.0
    return np.abs(red[:, :, -1] - red[:, :, 0]).mean(axis=1)


def test_scale_jitter_draws_a_window_per_image_within_its_range():
    """resize_range (lo, hi): each crop spans image_size x R / S source pixels for its own S in [lo, hi];
    both paths agree; (R, R) is the paper's fixed scale exactly; the other draws are unchanged."""
    images, size, crop = _ramp(64, 64), 64, 56
    keys = tf.constant([[3, p] for p in range(64)], tf.int64)
    batch = data.pipeline.train_batch(tf.constant(images), keys, crop, STATS, 0.0, resize_range=(56, 72))
    spans = _span(batch.numpy() + STATS.mean)
    # The window's first to last pixel: round(64 x 56 / S) - 1, S in [56, 72].
    assert spans.min() >= round(64 * 56 / 72) - 1 - 1e-3 and spans.max() <= 63 + 1e-3
    assert spans.max() - spans.min() > 8        # a spread of scales, not one
    single = np.stack([data.pipeline.train_image(tf.io.encode_png(im), keys[i], crop, size, STATS, 0.0,
                                                 resize_range=(56, 72)) for i, im in enumerate(images[:8])])
    # The same window on both paths, pixel for pixel up to resampling conventions (about 0.15 source
    # pixels, 3 grey levels each on the ramp; the batch path has no antialiasing at the border).
    np.testing.assert_allclose(single[:, 1:-1, 1:-1], batch.numpy()[:8, 1:-1, 1:-1], atol=1.0)
    # A range of one size is the fixed scale, pixel for pixel, with the same crops, flips and colours.
    fixed = data.pipeline.train_batch(tf.constant(images), keys, crop, STATS, 0.1, resize_range=(64, 64))
    np.testing.assert_allclose(fixed.numpy(), data.pipeline.train_batch(tf.constant(images), keys, crop,
                                                                        STATS, 0.1).numpy(), atol=1e-3)


@pytest.mark.parametrize("resize_range, pad, message", [
    ((48, 72), 0, "resize_range [48, 72] must satisfy image_size (56) <= lo <= hi"),
    ((72, 64), 0, "resize_range [72, 64] must satisfy image_size (56) <= lo <= hi"),
    ((56, 72), 4, "resize_range works without padding, got pad=4"),
    ((56.0, 72), 0, "resize_range must be None or two integers [lo, hi], got (56.0, 72)"),
])
def test_a_bad_resize_range_is_one_line(resize_range, pad, message):
    with pytest.raises(data.DataError, match=re.escape(message)):
        data.pipeline.check_resize_range(resize_range, 56, pad)
    # Each way in checks it too, before drawing anything.
    image, key = _ramp(1, 64), tf.constant([[0, 0]], tf.int64)
    with pytest.raises(data.DataError, match=re.escape(message)):
        data.pipeline.train_batch(tf.constant(image), key, 56, STATS, 0.0, pad=pad, resize_range=resize_range)
    with pytest.raises(data.DataError, match=re.escape(message)):
        data.pipeline.train_image(tf.io.encode_png(image[0]), key[0], 56, 64, STATS, 0.0, pad=pad,
                                  resize_range=resize_range)


def test_train_dataset_order_and_augmentation_follow_seed_and_epoch(small):
    """Same (seed, epoch): the same batches, however many are augmented at once."""
    def run(**kw):
        return list(data.train_dataset(small, 4, colour_stats=STATS, **kw).as_numpy_iterator())

    a, b, c = run(epoch=0), run(epoch=0, parallel_batches=3), run(epoch=1)
    assert len(a) == 3 and a[0][0].shape == (4, 224, 224, 3) and a[0][0].dtype == np.float32
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert any(not np.array_equal(xa, xc) for (xa, _), (xc, _) in zip(a, c))
    assert sorted(np.concatenate([y for _, y in a])) == sorted(small.labels)  # one pass, each image once
    sizes = [len(y) for _, y in data.train_dataset(small, 5, colour_stats=STATS, drop_remainder=False)]
    assert sizes == [5, 5, 2] and len(list(data.train_dataset(small, 5, colour_stats=STATS))) == 2
    # Scale jittering, on both ways in (cached squares, per-image decoding): same labels, other pixels.
    for cache in (True, False):
        fixed, jittered = run(epoch=0, cache=cache), run(epoch=0, resize_range=(224, 320), cache=cache)
        assert [y.tolist() for _, y in jittered] == [y.tolist() for _, y in fixed]
        assert jittered[0][0].shape == (4, 224, 224, 3)
        assert all(not np.allclose(xj, xf) for (xj, _), (xf, _) in zip(jittered, fixed))


def test_native_size_skips_resize_and_crops_exactly(data_dir):
    full = data.get_source("cifar10", "test", data_dir=data_dir)
    src = full.select(np.arange(8))
    originals = [_decode(Path(full.root, f)).astype(np.float32) for f in src.files]
    (x, _), = list(data.train_dataset(src, 8, image_size=32, resize=32, colour_stats=STATS,
                                      pca_std=0.0).as_numpy_iterator())
    for image in x + STATS.mean.astype(np.float32):  # the decoded image itself, maybe mirrored
        assert any(np.array_equal(image, o) or np.array_equal(image, o[:, ::-1]) for o in originals)
    # Reference: the full decode for the in-memory cache; TF's windowed decode
    # (whose edge pixels differ slightly from a full decode's) when reading files.
    windows = {True: [o[i:i + 28, j:j + 28] for o in originals for i in range(5) for j in range(5)],
               False: [tf.io.decode_and_crop_jpeg(Path(full.root, f).read_bytes(), [i, j, 28, 28],
                                                  channels=3).numpy()
                       for f in src.files for i in range(5) for j in range(5)]}
    for cache, reference in windows.items():
        reference += [w[:, ::-1] for w in reference]
        (x, _), = list(data.train_dataset(src, 8, image_size=28, resize=32, colour_stats=STATS,
                                          pca_std=0.0, cache=cache).as_numpy_iterator())
        for image in x + STATS.mean.astype(np.float32):
            assert any(np.array_equal(image, w) for w in reference), cache
    (x, _), = list(data.train_dataset(src, 8, image_size=32, resize=32, pad=4, colour_stats=STATS,
                                      pca_std=0.0).as_numpy_iterator())
    assert x.shape == (8, 32, 32, 3) and np.any(np.all(x == 0, axis=(2, 3)))  # some zero-padded rows
    with pytest.raises(data.DataError, match="exceeds resize"):
        data.train_dataset(src, 8, image_size=40, resize=32)


def test_colour_stats_match_numpy_and_are_cached(data_dir, tmp_path):
    full = data.get_source("imagenette", "train", data_dir=data_dir)
    src = full.select(np.arange(0, full.n_images, 947))
    pixels = np.concatenate([_decode(Path(full.root, f)).reshape(-1, 3) for f in src.files]).astype(np.float64)
    assert colour.main(["--dataset", "imagenette", "--max-images", "10", "--cache-dir", str(tmp_path)]) == 0
    stats, details = data.compute_colour_stats(src)
    assert details == {"n_images": src.n_images, "n_pixels": len(pixels)}
    np.testing.assert_allclose(stats.mean, pixels.mean(0), rtol=1e-3)
    cov = stats.eigvec @ np.diag(stats.eigval) @ stats.eigvec.T
    np.testing.assert_allclose(cov, np.cov(pixels.T, bias=True), rtol=0.02)
    assert np.all(np.diff(stats.eigval) <= 0)
    np.testing.assert_allclose(stats.eigvec.T @ stats.eigvec, np.eye(3), atol=1e-9)
    cached = sorted(tmp_path.glob("imagenette-*.json"))
    assert [p.name for p in cached] == [f"imagenette-{full.fingerprint['sha256']}.json"]
    record = json.loads(cached[0].read_text())
    assert record["n_images"] == 10 and record["source"]["fingerprint"] == full.fingerprint
    loaded = data.colour_stats(full, cache_dir=tmp_path, max_images=10).to_dict()
    assert loaded == {k: record[k] for k in ("mean", "eigval", "eigvec")}
    bigger = data.colour_stats(full, cache_dir=tmp_path, max_images=12)  # 10 images are too few now
    assert bigger.to_dict() != loaded and json.loads(cached[0].read_text())["n_images"] == 12
    assert data.colour_stats(src, cache_dir=tmp_path, compute=False) is data.IMAGENET_COLOUR_STATS


def test_ten_crop_softmax_average_and_topk_error():
    logits = np.log(np.array([[[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]]]))
    probs = data.average_crops(logits)
    np.testing.assert_allclose(probs, [[0.4, 0.5, 0.1], [0.2, 0.3, 0.5]])
    assert data.topk_error(probs, np.array([0, 2]), k=1) == 50.0
    assert data.topk_error(probs, np.array([0, 2]), k=2) == 0.0
