"""The paper's image transforms (section 4.1), as TensorFlow functions.

Train: the paper rescales each image so its shorter side is 256, keeps the
central 256x256 square, and trains on random 224x224 patches of it and their
horizontal mirrors, plus PCA colour noise. Here the crop is done in *source*
coordinates: with shorter side s, a window of c = round(224 * s / 256) pixels
is cut from the central s x s square and resized to 224. That is the same
patch as resize-then-crop (up to interpolation and the integer grid of
offsets) but lets `decode_and_crop_jpeg` decode only the window. When c == 224
(the image's shorter side already equals `resize`) nothing is resized.

Small datasets kept in memory (`pipeline`, `cache=True`) take the paper's
order literally: each image's central square is decoded once and resized to
256 x 256 (`square_image`), and training cuts exact 224 windows of it for
whole batches at once (`crop_batch`).

Eval: the central s x s square is decoded and resized to 256 x 256; the
centre 224 crop, or the paper's ten crops (four corners, centre and their
mirrors), are cut from it, so the centre crop equals ten-crop number 4 exactly.

Decoding is fused with cropping: `tf.io.decode_and_crop_jpeg` decodes only the
rows and 8x8 blocks a window covers. Other formats (PNG data named .JPEG, GIF,
BMP) go through `tf.io.decode_image` and are cropped afterwards. Every path
yields RGB: grey images are expanded and CMYK JPEGs converted by the decoder.

All randomness is stateless: each image's crop, flip and colour noise follow
from a per-image key, so results do not depend on thread timing or order.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

CENTRE = 4  # index of the centre crop among the ten crops
Window = Callable[[tf.Tensor, tf.Tensor], tuple]  # (height, width) -> (y, x, h, w), int32


def is_jpeg(data: tf.Tensor) -> tf.Tensor:
    """True for bytes that start with the JPEG SOI marker (whatever the file name says)."""
    return tf.equal(tf.strings.substr(data, 0, 3), b"\xff\xd8\xff")


def decode_full(data: tf.Tensor) -> tf.Tensor:
    """uint8 [H, W, 3] of a whole JPEG, PNG, GIF (first frame) or BMP."""
    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def decode_window(data: tf.Tensor, window: Window) -> tf.Tensor:
    """uint8 [h, w, 3]: the part of the image that `window(height, width)` selects.

    Args:
      data: encoded image bytes (scalar tf.string).
      window: maps the image's int32 height and width to int32 (y, x, h, w);
        it is traced once per branch and may draw stateless random numbers.
    """
    def jpeg():
        shape = tf.image.extract_jpeg_shape(data)
        y, x, h, w = window(shape[0], shape[1])
        return tf.io.decode_and_crop_jpeg(data, tf.stack([y, x, h, w]), channels=3)

    def other():
        image = decode_full(data)
        shape = tf.shape(image)
        y, x, h, w = window(shape[0], shape[1])
        return tf.slice(image, tf.stack([y, x, 0]), tf.stack([h, w, 3]))

    image = tf.cond(is_jpeg(data), jpeg, other)
    image.set_shape([None, None, 3])
    return image


def square_image(data: tf.Tensor, size: int) -> tf.Tensor:
    """uint8 [size, size, 3]: the image's central square, resized to size x size
    (bilinear, antialiased when shrinking) and rounded, the form in which small
    datasets are cached decoded."""
    image = decode_window(data, lambda h, w: region(h, w, square=True))
    image = resize_image(image, size, size)
    return tf.ensure_shape(tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8), [size, size, 3])


def crop_size(short_side: tf.Tensor, image_size: int, resize) -> tf.Tensor:
    """Source pixels spanned by `image_size` pixels after the shorter side becomes `resize`
    (an int, or a float32 scalar tensor for a jittered scale)."""
    c = tf.cast(tf.round(tf.cast(short_side, tf.float32) * (image_size / resize)), tf.int32)
    return tf.clip_by_value(c, 1, short_side)


def region(height: tf.Tensor, width: tf.Tensor, square: bool) -> tuple:
    """(y, x, h, w): the central min(h, w) square when `square` (the paper), else everything."""
    if not square:
        return 0, 0, height, width
    s = tf.minimum(height, width)
    return (height - s) // 2, (width - s) // 2, s, s


def train_window(height, width, key, image_size: int, resize, square: bool = True) -> tuple:
    """A uniformly placed square crop window (y, x, c, c) in source coordinates.

    Args:
      height, width: the source image size (int32 scalars).
      key: stateless seed, shape [2].
      image_size, resize: crop `image_size` after the shorter side becomes `resize`.
      square: keep the window inside the central square, as the paper does.
    """
    ry, rx, rh, rw = region(height, width, square)
    c = crop_size(tf.minimum(height, width), image_size, resize)
    u = tf.random.stateless_uniform([2], key)
    y = ry + tf.cast(u[0] * tf.cast(rh - c + 1, tf.float32), tf.int32)
    x = rx + tf.cast(u[1] * tf.cast(rw - c + 1, tf.float32), tf.int32)
    return tf.minimum(y, ry + rh - c), tf.minimum(x, rx + rw - c), c, c


def resize_image(image: tf.Tensor, height, width) -> tf.Tensor:
    """float32 image resized to (height, width); bilinear, antialiased when shrinking."""
    shape = tf.shape(image)
    same = tf.logical_and(tf.equal(shape[0], height), tf.equal(shape[1], width))
    shrink = tf.logical_or(shape[0] > height, shape[1] > width)
    size = tf.stack([height, width])
    out = tf.case([(same, lambda: tf.cast(image, tf.float32)),
                   (shrink, lambda: tf.image.resize(image, size, antialias=True))],
                  default=lambda: tf.image.resize(image, size))
    out.set_shape([None, None, 3])
    return out


def resize_shorter(image: tf.Tensor, size: int) -> tf.Tensor:
    """float32 image whose shorter side is `size` (unchanged when it already is)."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    new = tf.cast(tf.round(shape * (size / tf.reduce_min(shape))), tf.int32)
    return resize_image(image, tf.maximum(new[0], size), tf.maximum(new[1], size))


def random_flip(image: tf.Tensor, key) -> tf.Tensor:
    """The image or its left-right mirror, each with probability 1/2."""
    flip = tf.random.stateless_uniform([], key) < 0.5
    return tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: image)


def pca_noise(key, eigval, eigvec, std: float) -> tf.Tensor:
    """The paper's PCA colour shift: one RGB offset [3] (0..255 scale) for a whole image.

    The paper adds [p1 p2 p3] [a1 l1, a2 l2, a3 l3]^T with a_i ~ N(0, 0.1) and
    (p_i, l_i) the eigenvectors/eigenvalues of the RGB pixel covariance. The
    size of that shift depends on the pixel scale the l_i are taken on; like
    fb.resnet.torch (whose published ImageNet l_i are eigenvalues on the 0..1
    scale) we take them on the 0..1 scale: shift = 255 * P (a * eigval / 255^2).
    Its covariance is std^2 * P diag(eigval / 255)^2 P^T; for ImageNet-like
    photos that is ~6 grey levels along the brightness axis.

    Args:
      key: stateless seed, shape [2].
      eigval: [3] eigenvalues of the covariance of 0..255 pixel values.
      eigvec: [3, 3], column i the eigenvector of eigval[i].
      std: the paper's 0.1.
    """
    return pca_shift(tf.random.stateless_normal([3], key, stddev=std), eigval, eigvec)


def pca_shift(alpha: tf.Tensor, eigval, eigvec) -> tf.Tensor:
    """RGB offsets [..., 3] for PCA coefficients `alpha` [..., 3] (see `pca_noise`)."""
    return tf.linalg.matvec(tf.constant(eigvec, tf.float32), alpha * tf.constant(eigval, tf.float32) / 255.0)


def centre_crop(image: tf.Tensor, size: int) -> tf.Tensor:
    """The central size x size patch of an image [H, W, C] or a batch [B, H, W, C]
    (offsets rounded down, as in `ten_crop`)."""
    shape = tf.shape(image)
    y, x = (shape[-3] - size) // 2, (shape[-2] - size) // 2
    return image[..., y:y + size, x:x + size, :]


def ten_crop(image: tf.Tensor, size: int) -> tf.Tensor:
    """[10, size, size, C] of an image [H, W, C] ([B, 10, size, size, C] of a batch):
    top-left, top-right, bottom-left, bottom-right, centre, then the same five
    mirrored left-right (the paper's test-time crops)."""
    shape = tf.shape(image)
    bottom, right = shape[-3] - size, shape[-2] - size
    corners = [(0, 0), (0, right), (bottom, 0), (bottom, right), (bottom // 2, right // 2)]
    # The mirror of the window at x is the flipped image's window at right - x:
    # ten slices stacked once copy each output pixel once.
    flipped = tf.reverse(image, [-2])
    crops = [image[..., y:y + size, x:x + size, :] for y, x in corners]
    crops += [flipped[..., y:y + size, right - x:right - x + size, :] for y, x in corners]
    return tf.stack(crops, axis=-4)


def crop_batch(images: tf.Tensor, y: tf.Tensor, x: tf.Tensor, size: int, flip: tf.Tensor) -> tf.Tensor:
    """[B, size, size, C]: for each image b the window at (y[b], x[b]), mirrored where flip[b].

    Exact pixel copies by two gathers, so a whole batch is cropped in a few ops
    instead of a few ops per image.
    """
    steps = tf.range(size)
    rows = y[:, None] + steps
    cols = tf.where(flip[:, None], x[:, None] + size - 1 - steps, x[:, None] + steps)
    return tf.gather(tf.gather(images, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)
