"""Local descriptors: dense multi-scale SIFT (VLFeat) and local colour statistics.

This is the "describe" stage of the pipeline of the ILSVRC 2010-2012 entries
(Sánchez & Perronnin 2011; Perronnin, Sánchez & Mensink 2010; Chatfield et al.
2011's "devil in the details"): descriptors sampled on a regular grid at several
scales, each later reduced by PCA and pooled into a Fisher vector.

SIFT follows VLFeat's `vl_phow` recipe, which the VGG entries used:

* bin sizes `sift_bin_sizes` (a SIFT patch is 4x4 bins, so bin sizes 4/6/8 are
  patches of 16/24/32 px), all on one grid of step `step` whose centres are
  shared by every scale (the `bounds` offset below);
* the image is smoothed with sigma = sqrt((bin / magnif)^2 - 1/4) before each
  scale, magnif = 6, because dense SIFT does not build a scale space;
* VLFeat's fast (flat-window) variant of dense SIFT, as `vl_phow` uses;
* descriptors of patches with contrast below 0.005 (image in [0, 1]) are set to
  zero, as `vl_phow` does, so flat sky and walls all fall in one cluster.

Optional root-SIFT (Arandjelović & Zisserman 2012: L1-normalise, square root)
postdates the 2012 entries; it is off unless the config asks for it.

Colour descriptors follow Perronnin et al. 2010: the patch is split into 4x4
cells and the mean and standard deviation of R, G and B in each cell form a
96-dimensional vector. They are computed at the same centres and scales as
SIFT (the published systems used their own, similar grid), from strided
slices of box-filtered images, so they cost a few milliseconds per image.

Departure: greyscale for SIFT is OpenCV's RGB->grey and smoothing is OpenCV's
Gaussian blur rather than VLFeat's `vl_imsmooth`; both differ from the MATLAB
pipelines only at the level of rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

try:
    from cyvlfeat.sift import dsift
except ImportError:  # the one dependency that needs a C library first; see require_vlfeat
    dsift = None

VLFEAT_MISSING = ("cyvlfeat (VLFeat's Python binding) is not installed, so the Fisher-vector baseline "
                  "cannot run (the CNN can): install VLFeat (as root: apt-get install libvlfeat-dev; "
                  "with conda: conda install -c conda-forge vlfeat), then "
                  "pip install --no-build-isolation -r requirements-vlfeat.txt")


class VLFeatMissing(ValueError):
    """VLFeat or its Python binding is not installed; the message says how to install it.
    (A ValueError, like a missing dataset: every command reports it as one line.)"""


def require_vlfeat() -> None:
    """Raises VLFeatMissing (one line saying what to install) unless cyvlfeat imports."""
    if dsift is None:
        raise VLFeatMissing(VLFEAT_MISSING)

# vl_phow's defaults: the SIFT magnification factor relating bin size to the
# smoothing scale, and the contrast under which a descriptor is zeroed.
MAGNIF = 6.0
CONTRAST_THRESHOLD = 0.005
COLOUR_DIM = 96  # 4x4 cells x 3 channels x (mean, std)


@dataclass(frozen=True)
class DescriptorSettings:
    """What is extracted from each image (all of it enters the cache key).

    Attributes:
      step: grid step in pixels, shared by all scales.
      sift_bin_sizes: SIFT bin sizes in pixels; the patch is 4 bins wide.
      root_sift: apply root-SIFT (L1-normalise, then square root).
      colour: also extract local colour statistics at the same frames.
      upscale: resize factor applied first (CIFAR's 32 px images need ~3x for
        a 16 px patch to see part of an object rather than all of it).
      max_pixels: downscale images with more pixels than this (0: never), as
        Sánchez & Perronnin 2011 capped ImageNet images at 100k pixels.
    """

    step: int = 4
    sift_bin_sizes: tuple = (4, 6, 8)
    root_sift: bool = False
    colour: bool = False
    upscale: float = 1.0
    max_pixels: int = 0

    @classmethod
    def from_config(cls, config: dict) -> "DescriptorSettings":
        return cls(step=int(config["step"]), sift_bin_sizes=tuple(int(s) for s in config["sift_bin_sizes"]),
                   root_sift=bool(config["root_sift"]), colour=bool(config["colour"]),
                   upscale=float(config["upscale"]), max_pixels=int(config["max_pixels"]))

    def channels(self) -> tuple:
        """Names of the descriptor types, each with its own PCA, GMM and FV block."""
        return ("sift", "colour") if self.colour else ("sift",)


def prepare_image(image: np.ndarray, settings: DescriptorSettings) -> np.ndarray:
    """Converts a uint8 [H, W, 3] (or [H, W]) image to float32 RGB in [0, 1], resized.

    Args:
      image: the decoded image as the data source yields it.
      settings: supplies `upscale` and `max_pixels`.

    Returns:
      float32 [H', W', 3] in [0, 1].
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    h, w = image.shape[:2]
    scale = settings.upscale
    if settings.max_pixels and h * w * scale * scale > settings.max_pixels:
        scale = float(np.sqrt(settings.max_pixels / (h * w)))
    if scale != 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # Area averaging when shrinking avoids aliasing; cubic when enlarging.
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, size, interpolation=interp)
    return np.clip(image.astype(np.float32) / 255.0, 0.0, 1.0)


def dense_sift(grey: np.ndarray, settings: DescriptorSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-scale dense SIFT with VLFeat, centres aligned across scales.

    Args:
      grey: float32 [H, W] in [0, 1].
      settings: step, bin sizes and root-SIFT.

    Returns:
      (descriptors float32 [N, 128], centres float32 [N, 2] as (y, x), bin
      sizes int64 [N]). N is 0 when the image is smaller than every patch.
    """
    h, w = grey.shape
    max_bin = max(settings.sift_bin_sizes)
    descs, centres, sizes = [], [], []
    for size in settings.sift_bin_sizes:
        # vl_dsift puts the first centre at bounds_min + 1.5 * size; offsetting
        # smaller scales gives every scale the same centres (as vl_phow does).
        off = int(np.floor(1.5 * (max_bin - size)))
        if h - 2 * off < 4 * size or w - 2 * off < 4 * size:
            continue
        sigma = np.sqrt(max((size / MAGNIF) ** 2 - 0.25, 1e-6))
        smooth = cv2.GaussianBlur(grey, (0, 0), sigmaX=sigma, sigmaY=sigma)
        bounds = np.array([off, off, h - 1, w - 1])
        frames, d = dsift(smooth, step=settings.step, size=size, bounds=bounds, norm=True,
                          fast=True, float_descriptors=True)
        d = np.ascontiguousarray(d, dtype=np.float32)
        d[frames[:, 2] < CONTRAST_THRESHOLD] = 0.0
        descs.append(d)
        centres.append(frames[:, :2].astype(np.float32))
        sizes.append(np.full(len(d), size, np.int64))
    if not descs:
        return np.zeros((0, 128), np.float32), np.zeros((0, 2), np.float32), np.zeros(0, np.int64)
    d = np.concatenate(descs)
    if settings.root_sift:
        d /= np.maximum(d.sum(axis=1, keepdims=True), 1e-12)
        np.sqrt(d, out=d)
    return d, np.concatenate(centres), np.concatenate(sizes)


def colour_statistics(rgb: np.ndarray, centres: np.ndarray, bin_sizes: np.ndarray) -> np.ndarray:
    """Mean and std of R, G, B in the 4x4 cells of each patch (Perronnin et al. 2010).

    The cells of a patch of bin size s centred at (y, x) are the s x s squares
    with top-left corners (y - 2s + i s, x - 2s + j s), i, j in 0..3. Centres
    lie on one regular grid per scale (as `dense_sift` returns them), so every
    cell's statistics are a strided slice of a box-filtered image: no per-patch
    gathering. The image is mirrored at its borders, where the largest patches
    reach slightly beyond it (VLFeat places SIFT bin centres, not bin edges,
    inside the image).

    Args:
      rgb: float32 [H, W, 3] in [0, 1].
      centres: float32 [N, 2] patch centres (y, x), row-major grids per scale.
      bin_sizes: int [N] cell size of each patch (the SIFT bin size).

    Returns:
      float32 [N, 96]: the 16 cells' (row-major) R, G, B means, then their
      R, G, B standard deviations.
    """
    out = np.zeros((len(centres), COLOUR_DIM), np.float32)
    if len(centres) == 0:
        return out
    pad = 2 * int(bin_sizes.max())
    stacked = np.concatenate([rgb, rgb * rgb], axis=2)
    stacked = cv2.copyMakeBorder(stacked, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    for size in np.unique(bin_sizes):
        rows = np.flatnonzero(bin_sizes == size)
        ys, xs = np.unique(centres[rows, 0]), np.unique(centres[rows, 1])
        grid = np.stack(np.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2)
        if len(grid) != len(rows) or not np.array_equal(grid, centres[rows]):
            raise ValueError("colour_statistics needs centres on a row-major grid per scale")
        s = int(size)
        step = int(ys[1] - ys[0]) if len(ys) > 1 else 1
        if len(xs) > 1 and int(xs[1] - xs[0]) != step:
            raise ValueError("colour_statistics needs the same step in x and y")
        # box[y, x] = mean over [y, y+s) x [x, x+s) of the padded image.
        box = cv2.boxFilter(stacked, -1, (s, s), anchor=(0, 0), normalize=True,
                            borderType=cv2.BORDER_REFLECT_101)
        y0, x0 = int(round(ys[0])) - 2 * s + pad, int(round(xs[0])) - 2 * s + pad
        cells = np.empty((len(ys), len(xs), 4, 4, 6), np.float32)
        for i in range(4):
            for j in range(4):
                yi, xj = y0 + i * s, x0 + j * s
                cells[:, :, i, j] = box[yi:yi + step * len(ys):step, xj:xj + step * len(xs):step]
        mean = cells[..., :3]
        std = np.sqrt(np.maximum(cells[..., 3:] - mean * mean, 0.0))
        out[rows] = np.concatenate([mean.reshape(len(rows), 48), std.reshape(len(rows), 48)], axis=1)
    return out


def describe(image: np.ndarray, settings: DescriptorSettings) -> tuple[dict, np.ndarray, tuple]:
    """All descriptors of one image.

    Args:
      image: uint8 [H, W, 3] as the data source yields it.
      settings: what to extract.

    Returns:
      (descriptors {channel: float32 [N, dim]}, centres float32 [N, 2] (y, x)
      in the prepared image, (height, width) of the prepared image). Every
      channel has one row per centre.
    """
    rgb = prepare_image(image, settings)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    sift, centres, sizes = dense_sift(grey, settings)
    out = {"sift": sift}
    if settings.colour:
        out["colour"] = colour_statistics(rgb, centres, sizes)
    return out, centres, grey.shape
