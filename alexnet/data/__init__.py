"""The input pipeline: image sources and the paper's train/eval transforms in tf.data.

    from alexnet import data
    train = data.get_source("imagenette", "train")          # or cifar10, imagenet2012, folder:/path
    val = data.get_source("imagenette", "val")
    stats = data.colour_stats(train)                         # mean + PCA, computed once, cached
    for images, labels in data.train_dataset(train, 128, colour_stats=stats, epoch=0): ...
    ten = data.eval_dataset(val, 50, colour_stats=stats, ten_crop=True)   # [B, 10, 224, 224, 3]

Modules, one concern each:
  common      DataError, default_data_dir, logging of skipped files
  checks      which files decode (empty, truncated, PNG named .JPEG, CMYK)
  folders     class-folder trees: listing, checking, reading
  imagenet    ILSVRC-2012 archives -> TFRecord shards, labels from file names
  tfrecord    the shard format and reading it
  tfds_source TensorFlow Datasets download when no local copy exists
  tiny_imagenet Tiny ImageNet-200's official layout (val labels from its annotations file)
  sources     get_source, Source, balanced_subset, holdout_split, training_split
  transforms  decoding fused with cropping; crops, flips, PCA colour noise, ten crops
  colour      ColourStats, colour_stats (command: python -m alexnet.data.colour_stats)
  pipeline    train_dataset, eval_dataset; ten-crop softmax averaging, top-k error

Deviations from the paper (each documented where it is made): per-channel
instead of per-image-position mean; crops cut in source coordinates and then
resized (so JPEG decoding can skip the rest); PCA noise scaled by the square
root of the eigenvalues (scale-independent); bilinear (antialiased when
shrinking) resizing, which the paper does not specify.
"""

from alexnet.data.colour import IMAGENET_COLOUR_STATS, ColourStats, colour_stats, compute_colour_stats
from alexnet.data.common import DataError, default_data_dir
from alexnet.data.folders import list_files
from alexnet.data.pipeline import (average_crops, eval_dataset, eval_image, topk_error, train_dataset,
                                   train_image)
from alexnet.data.sources import Source, balanced_subset, get_source, holdout_split, training_split
from alexnet.data.transforms import CENTRE, centre_crop, ten_crop

__all__ = [
    "CENTRE", "ColourStats", "DataError", "IMAGENET_COLOUR_STATS", "Source", "average_crops",
    "balanced_subset", "centre_crop", "colour_stats", "compute_colour_stats", "default_data_dir",
    "eval_dataset", "eval_image", "get_source", "holdout_split", "list_files", "ten_crop", "topk_error",
    "train_dataset", "train_image", "training_split",
]
