"""tf.data pipelines: augmented training batches and centre/ten-crop evaluation batches,
and the paper's ten-crop softmax averaging and top-k error for scoring them.

Two ways in, one output: float32 images on the 0..255 scale minus the
per-channel training mean, as the paper feeds its network (the trainer casts
to its compute dtype).
* Small datasets with `cache=True` (Imagenette, CIFAR-10): each image is
  decoded once into its central square resized to `resize` x `resize` uint8
  (`Source.decoded_stream`), kept in memory, and whole batches are cropped,
  flipped and colour-shifted together (`train_batch`). This is the paper's
  literal order (resize to 256, then crop 224) and spends almost no CPU per
  step: on 2 cores, decoding JPEGs every step took ~20% of the training
  step's throughput from Imagenette AlexNet (see `make bench`).
* Everything else (ImageNet from disk): per image, the crop is fused into the
  JPEG decoder (see `transforms`) so only the window is decoded.
Both draw each image's crop, flip and colour noise from the same per-image
key, so for images already at `resize` the two give the same crops.

`resize_range=(lo, hi)` is scale jittering (Simonyan & Zisserman 2014, after
the paper): each training image's shorter side is scaled to its own random
size S, uniform in [lo, hi], before the `image_size` crop, so the crop spans
between image_size/hi and image_size/lo of the image's side instead of the
fixed image_size/resize. Evaluation always uses `resize`. Both ways in draw S
from the image's crop key (folded, so the other draws stay as without it) and
place the same window; the batch path resamples it bilinearly from the cached
`resize` square (`tf.image.crop_and_resize`, no antialiasing), the per-image
path from the decoded source (`transforms.resize_image`). So with hi above
`resize` the cached path upsamples windows smaller than `image_size` from the
square and loses the source's finer detail: meant for images already at
`resize` (Tiny ImageNet's 64 px with resize 64), where the two agree.

`standardise=True` also divides by the per-channel standard deviation
(`ColourStats.std`, ~60-70 on photos). Deviation from the paper, which feeds
0..255 values: on that scale the first layer's outputs are ~65x larger than
on unit-variance inputs, so He or Glorot initialisation gives logits with std
~60 and a first loss of ~80 instead of ln(classes), and only learning rates
~100x below the usual ones train at all (measured on Imagenette, see
experiments/imagenette_alexnet.py). The paper's N(0, 0.01) weights were tuned
for its 0..255 inputs; the ILSVRC-2012 config keeps both.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from alexnet.data import transforms
from alexnet.data.colour import IMAGENET_COLOUR_STATS, ColourStats
from alexnet.data.common import DataError

# Shuffle buffer for sources that cannot be permuted exactly (TFRecord shards
# read from disk): ~1 GB of ImageNet JPEGs, mixing 16 interleaved shards.
DEFAULT_SHUFFLE_BUFFER = 10_000
AUTOTUNE = tf.data.AUTOTUNE


def epoch_seed(seed: int, epoch: int) -> int:
    """A 63-bit seed for one epoch: the data order and augmentation follow from it."""
    return int(np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1, np.uint64)[0] >> 1)


def _scale_key(k_crop):
    """The key of an image's jittered scale: folded from its crop key, so that
    turning jitter on leaves the crop position, flip and colour draws unchanged."""
    return tf.random.experimental.stateless_fold_in(k_crop, 1)


def check_resize_range(resize_range, image_size: int, pad: int = 0) -> None:
    """DataError unless `resize_range` is None or [lo, hi] with image_size <= lo <= hi and no padding."""
    if resize_range is None:
        return
    if (not isinstance(resize_range, (list, tuple)) or len(resize_range) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in resize_range)):
        raise DataError(f"resize_range must be None or two integers [lo, hi], got {resize_range!r}")
    lo, hi = resize_range
    if not image_size <= lo <= hi:
        raise DataError(f"resize_range {list(resize_range)} must satisfy image_size ({image_size}) <= lo <= hi: "
                        "a shorter side below the crop size leaves nothing to crop")
    if pad:
        raise DataError(f"resize_range works without padding, got pad={pad}: jitter the scale or pad, not both")


def _check_sizes(image_size: int, resize: int, pad: int = 0) -> None:
    if min(image_size, resize) < 1 or pad < 0:
        raise DataError(f"image_size and resize must be positive and pad >= 0, got image_size={image_size}, "
                        f"resize={resize}, pad={pad}")
    if image_size > resize + 2 * pad:
        raise DataError(f"image_size {image_size} exceeds resize {resize} + 2 * pad {pad}: crops would "
                        f"leave the image")


def _scale(stats: ColourStats, standardise: bool) -> tf.Tensor:
    return tf.constant(1.0 / stats.std if standardise else np.ones(3), tf.float32)


def train_image(data, key, image_size: int, resize: int, stats: ColourStats, pca_std: float,
                square: bool = True, pad: int = 0, standardise: bool = False,
                resize_range: tuple[int, int] | None = None) -> tf.Tensor:
    """One training example: float32 [image_size, image_size, 3], mean subtracted.

    Args:
      data: encoded image bytes.
      key: int64 [2] stateless seed for this image and epoch.
      pad: pixels of zero padding (after mean subtraction) around the resized
        image before the random crop, the CIFAR convention; 0 for the paper.
      standardise: also divide by the per-channel std (unit variance).
      resize_range: (lo, hi): the shorter side becomes a random size in
        [lo, hi] instead of `resize` (scale jittering); None: `resize`.
    """
    check_resize_range(resize_range, image_size, pad)
    scale = _scale(stats, standardise)
    k_crop, k_flip, k_colour = tf.unstack(tf.random.experimental.stateless_split(key, 3))
    if resize_range is not None:
        resize = tf.random.stateless_uniform([], _scale_key(k_crop), float(resize_range[0]),
                                             float(resize_range[1]))
    # Mean and colour noise are both one RGB offset per image: subtract them in one pass.
    offset = tf.constant(stats.mean, tf.float32)
    if pca_std > 0:
        offset -= transforms.pca_noise(k_colour, stats.eigval, stats.eigvec, pca_std)
    if pad == 0:
        window = transforms.decode_window(
            data, lambda h, w: transforms.train_window(h, w, k_crop, image_size, resize, square))
        # Flip the uint8 window (a quarter of the bytes of float) then resize.
        image = transforms.resize_image(transforms.random_flip(window, k_flip), image_size, image_size)
        image = (image - offset) * scale
    else:
        image = transforms.decode_window(data, lambda h, w: transforms.region(h, w, square))
        image = tf.pad((transforms.resize_shorter(image, resize) - offset) * scale,
                       [[pad, pad], [pad, pad], [0, 0]])
        image = tf.image.stateless_random_crop(image, [image_size, image_size, 3], k_crop)
        image = transforms.random_flip(image, k_flip)
    return tf.ensure_shape(image, [image_size, image_size, 3])


def _augment_draws(keys: tf.Tensor, pca_std: float, resize_range=None) -> tf.Tensor:
    """float32 [B, 7] per image: crop position u (2), flip (1), PCA coefficients (3) and the
    jittered shorter side S (1; 0 without `resize_range`), drawn from each image's key
    exactly as `train_image` draws them."""
    def draw(key):
        k_crop, k_flip, k_colour = tf.unstack(tf.random.experimental.stateless_split(key, 3))
        flip = tf.cast(tf.random.stateless_uniform([], k_flip) < 0.5, tf.float32)
        alpha = (tf.random.stateless_normal([3], k_colour, stddev=pca_std) if pca_std > 0
                 else tf.zeros([3]))
        side = (tf.random.stateless_uniform([1], _scale_key(k_crop), float(resize_range[0]),
                                            float(resize_range[1])) if resize_range is not None else tf.zeros([1]))
        return tf.concat([tf.random.stateless_uniform([2], k_crop), [flip], alpha, side], 0)

    return tf.map_fn(draw, keys, fn_output_signature=tf.TensorSpec([7], tf.float32))


def train_batch(images: tf.Tensor, keys: tf.Tensor, image_size: int, stats: ColourStats, pca_std: float,
                pad: int = 0, standardise: bool = False,
                resize_range: tuple[int, int] | None = None) -> tf.Tensor:
    """A batch of training examples from decoded squares, augmented together.

    Args:
      images: uint8 [B, R, R, 3] (`Source.decoded_stream`).
      keys: int64 [B, 2], each image's stateless seed for this epoch.
      pad: zero padding (after normalisation) around each image before the
        random crop, the CIFAR convention; 0 for the paper.
      resize_range: (lo, hi) scale jittering (see the module docstring), the
        squares being at `resize`.
      Others as for `train_image`.

    Returns:
      float32 [B, image_size, image_size, 3].
    """
    check_resize_range(resize_range, image_size, pad)
    draws = _augment_draws(keys, pca_std, resize_range)
    size = tf.shape(images)[1]
    offset = tf.constant(stats.mean, tf.float32) - (
        transforms.pca_shift(draws[:, 3:6], stats.eigval, stats.eigvec) if pca_std > 0 else 0.0)
    offset = tf.broadcast_to(offset, [tf.shape(images)[0], 3])[:, None, None, :]
    scale = _scale(stats, standardise)
    if resize_range is not None:
        return _jittered_batch(images, draws, image_size, offset, scale)
    span = size + 2 * pad - image_size
    # The same offsets as `transforms.train_window` for an image already at size R.
    offsets = tf.cast(draws[:, :2] * tf.cast(span + 1, tf.float32), tf.int32)
    offsets = tf.minimum(offsets, span)
    x = tf.cast(images, tf.float32)
    if pad:
        x = tf.pad((x - offset) * scale, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    x = transforms.crop_batch(x, offsets[:, 0], offsets[:, 1], image_size, draws[:, 2] > 0.5)
    if not pad:
        x = (x - offset) * scale
    return tf.ensure_shape(x, [None, image_size, image_size, 3])


def _jittered_batch(images, draws, image_size: int, offset, scale) -> tf.Tensor:
    """`train_batch` with scale jittering: per image, the window `transforms.train_window`
    would give after the shorter side becomes the drawn S, resampled to `image_size`."""
    size = tf.shape(images)[1]
    size_f = tf.cast(size, tf.float32)
    # Window side in the squares' pixels: crop_size(R, image_size, S), as the per-image path.
    side = tf.clip_by_value(tf.round(size_f * (image_size / draws[:, 6])), 1.0, size_f)
    y = tf.minimum(tf.floor(draws[:, 0] * (size_f - side + 1.0)), size_f - side)
    x = tf.minimum(tf.floor(draws[:, 1] * (size_f - side + 1.0)), size_f - side)
    # crop_and_resize maps box coordinate t to pixel t * (R - 1), so the box runs from the window's first
    # to its last pixel centre (corners aligned; tf.image.resize on the other path uses half-pixel
    # centres, a scale difference of about a tenth of a pixel), and never samples outside the square.
    boxes = tf.stack([y, x, y + side - 1.0, x + side - 1.0], axis=1) / (size_f - 1.0)
    batch = tf.range(tf.shape(images)[0])
    out = tf.image.crop_and_resize(tf.cast(images, tf.float32), boxes, batch, [image_size, image_size])
    out = tf.where((draws[:, 2] > 0.5)[:, None, None, None], tf.reverse(out, [2]), out)
    return tf.ensure_shape((out - offset) * scale, [None, image_size, image_size, 3])


def square_crops(squares, image_size: int, stats: ColourStats, ten_crop: bool = False,
                 standardise: bool = False) -> tf.Tensor:
    """The evaluation's input from decoded squares (`Source.decoded_stream`,
    `transforms.square_image`): uint8 [..., R, R, 3] -> float32 centre crop
    [..., S, S, 3] or ten crops [..., 10, S, S, 3], mean subtracted (and divided
    by the std when `standardise`). Also what `alexnet.predict` and
    `alexnet.export` feed the network."""
    x = (tf.cast(squares, tf.float32) - tf.constant(stats.mean, tf.float32)) * _scale(stats, standardise)
    return transforms.ten_crop(x, image_size) if ten_crop else transforms.centre_crop(x, image_size)


def eval_image(data, image_size: int, resize: int, stats: ColourStats, ten_crop: bool = False,
               square: bool = True, standardise: bool = False) -> tf.Tensor:
    """float32 [S, S, 3] centre crop or [10, S, S, 3] ten crops, mean subtracted
    (and divided by the per-channel std when `standardise`)."""
    image = transforms.decode_window(data, lambda h, w: transforms.region(h, w, square))
    # Normalise before cropping: one pass over the image, not over ten crops.
    image = ((transforms.resize_shorter(image, resize) - tf.constant(stats.mean, tf.float32))
             * _scale(stats, standardise))
    return transforms.ten_crop(image, image_size) if ten_crop else transforms.centre_crop(image, image_size)


def default_parallel_batches() -> int:
    """How many cached batches to augment at once: 1 on a machine of up to 4 cores.

    Augmenting a batch of cached images costs ~1% of a training step, yet
    tf.data's autotuned parallel map takes threads from the step's own
    convolutions: on 2 cores (AMD EPYC, alexnet64, bfloat16) real input ran at
    89% of the bare step with AUTOTUNE and at 100% with one batch at a time
    (`python -m scripts.bench_train --arch alexnet64`). Machines with more
    cores (a GPU host) keep AUTOTUNE so that the input keeps up with the device.
    """
    return 1 if (os.cpu_count() or 1) <= 4 else AUTOTUNE


def train_dataset(source, batch_size: int, image_size: int = 224, resize: int = 256,
                  colour_stats: ColourStats | None = None, pca_std: float = 0.1, seed: int = 0,
                  shuffle_buffer: int | None = None, cache: bool = True, drop_remainder: bool = True,
                  epoch: int = 0, square: bool = True, pad: int = 0,
                  standardise: bool = False, parallel_batches: int | None = None,
                  resize_range: tuple[int, int] | None = None) -> tf.data.Dataset:
    """One epoch of shuffled, augmented training batches (no repeat).

    The order and every image's crop, flip and colour noise depend only on
    (seed, epoch) (and TensorFlow's global seed if the program sets one), so
    a resumed run reproduces epoch e exactly by passing epoch=e.

    Args:
      source: a `Source` (usually the training split or a subset of it).
      batch_size: images per batch.
      image_size, resize: random `image_size` crops after the shorter side is
        scaled to `resize` (paper: 224 of 256; CIFAR e.g. 28 of 32, no resize).
      colour_stats: mean and PCA of the training set; None: the published
        ImageNet values (`colour.IMAGENET_COLOUR_STATS`).
      pca_std: the paper's sigma for PCA colour noise; 0 disables it.
      seed: base seed for order and augmentation.
      shuffle_buffer: buffer for sources without an exact shuffle (TFRecord
        shards); None: DEFAULT_SHUFFLE_BUFFER, or the whole source when cached.
      cache: keep the images in memory when the source is small: decoded
        `resize` squares (`Source.decoded_stream`) when `square`, else the
        encoded bytes.
      drop_remainder: drop the last partial batch (fixed batch shapes).
      epoch: which epoch's order and augmentation to produce.
      square: crop inside the central square, as the paper does.
      pad: zero padding around the resized image before cropping (CIFAR).
      standardise: divide by the per-channel std after subtracting the mean.
      parallel_batches: batches of cached images augmented at once; None:
        `default_parallel_batches()`.
      resize_range: (lo, hi): scale jittering, the shorter side a random size
        in [lo, hi] per image instead of `resize`; None: `resize` (the paper).

    Returns:
      tf.data.Dataset of (float32 [B, S, S, 3], int32 [B]).
    """
    _check_sizes(image_size, resize, pad)
    check_resize_range(resize_range, image_size, pad)
    stats = colour_stats or IMAGENET_COLOUR_STATS
    order_seed = epoch_seed(seed, epoch)
    decoded = source.decoded_stream(resize) if cache and square else None
    if decoded is not None:
        ds = decoded.shuffle(source.n_images, seed=order_seed, reshuffle_each_iteration=False)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)

        def augment(images, labels, pos):
            keys = tf.stack([tf.fill(tf.shape(pos), tf.constant(order_seed, tf.int64)), pos], axis=1)
            return train_batch(images, keys, image_size, stats, pca_std, pad, standardise,
                               resize_range), labels

        parallel = parallel_batches or default_parallel_batches()
        ds = ds.map(augment, num_parallel_calls=parallel, deterministic=True)
        return ds.prefetch(2 if parallel == 1 else AUTOTUNE)
    ds = source.cached_stream() if cache else None
    if ds is not None:
        ds = ds.shuffle(shuffle_buffer or source.n_images, seed=order_seed, reshuffle_each_iteration=False)
    else:
        ds = source.stream(shuffle_seed=order_seed)
        if not source.backend.exact_shuffle or shuffle_buffer:
            ds = ds.shuffle(shuffle_buffer or DEFAULT_SHUFFLE_BUFFER, seed=order_seed,
                            reshuffle_each_iteration=False)

    def transform(data, label, pos):
        key = tf.stack([tf.constant(order_seed, tf.int64), pos])
        return train_image(data, key, image_size, resize, stats, pca_std, square, pad, standardise,
                           resize_range), label

    ds = ds.map(transform, num_parallel_calls=AUTOTUNE, deterministic=True)
    ds = ds.ignore_errors(log_warning=True)  # last resort: a file corrupt mid-stream
    return ds.batch(batch_size, drop_remainder=drop_remainder, num_parallel_calls=AUTOTUNE,
                    deterministic=True).prefetch(AUTOTUNE)


def eval_dataset(source, batch_size: int, image_size: int = 224, resize: int = 256,
                 colour_stats: ColourStats | None = None, ten_crop: bool = False, cache: bool = True,
                 square: bool = True, standardise: bool = False) -> tf.data.Dataset:
    """Evaluation batches in the source's order, the last partial batch kept.

    Args:
      ten_crop: the paper's ten crops per image (average the softmax outputs,
        see `average_crops`) instead of the centre crop.
      Others as for `train_dataset`.

    Returns:
      tf.data.Dataset of (float32 [B, S, S, 3] or [B, 10, S, S, 3], int32 [B]).
    """
    _check_sizes(image_size, resize)
    stats = colour_stats or IMAGENET_COLOUR_STATS
    decoded = source.decoded_stream(resize) if cache and square else None
    if decoded is not None:
        def crops(images, labels, pos):
            return square_crops(images, image_size, stats, ten_crop, standardise), labels

        return decoded.batch(batch_size).map(crops, num_parallel_calls=AUTOTUNE,
                                             deterministic=True).prefetch(AUTOTUNE)

    def transform(data, label, pos):
        return eval_image(data, image_size, resize, stats, ten_crop, square, standardise), label

    ds = source.ordered_stream(cache).map(transform, num_parallel_calls=AUTOTUNE, deterministic=True)
    ds = ds.ignore_errors(log_warning=True)
    return ds.batch(batch_size, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(AUTOTUNE)


def average_crops(logits) -> np.ndarray:
    """[B, C] class probabilities: the softmax of each crop's logits [B, n_crops, C], averaged.

    The paper averages the network's softmax outputs over its ten patches
    (section 4.1); averaging logits instead would weight confident crops more.
    """
    z = np.asarray(logits, np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return (z / z.sum(axis=-1, keepdims=True)).mean(axis=1)


def topk_error(scores, labels, k: int = 1) -> float:
    """Percentage of rows of `scores` [N, C] whose true label is not among the k highest."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    if len(labels) == 0:
        raise ValueError("topk_error needs at least one example")
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(100.0 * (1.0 - np.mean(np.any(top == labels[:, None], axis=1))))
