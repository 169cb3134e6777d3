"""Dense SIFT + colour Fisher vectors + linear SVMs on ILSVRC-2012, at published scale.

    # once: python -m alexnet.data.imagenet prepare
    python -m baselines.run --config experiments/fv_imagenet2012.py --shard 0/1   # fit + encode (or split i/N)
    python -m baselines.run --config experiments/fv_imagenet2012.py               # SVMs + evaluation

The settings of Sánchez & Perronnin 2011 (the ILSVRC 2010/2011 winner's
system) as far as the paper gives them: images capped at 100k pixels; SIFT
and local colour statistics, each PCA'd to 64 dimensions; K=256 Gaussians;
improved Fisher vectors with a spatial pyramid of the whole image and 3
horizontal stripes; one-vs-rest linear SVMs trained by SGD. The vector has
2 channels x 4 regions x 2 x 256 x 64 = 262,144 dimensions.

Departures: 3 patch sizes (16/24/32 px) at one 4 px step instead of 24 px
patches at 5 image scales (~17k descriptors per image instead of ~10k); the
vectors are cached as int8 with a per-image scale (336 GB for the training
set; float16 would need 671 GB) instead of product-quantised; early fusion
of SIFT and colour (see baselines/encoder.py).

Budget (estimated from scripts/bench_baseline.py on a 2-core Xeon: ~0.13 s per
image per core with colour and pyramid): ~48 core-hours of extraction for the
1.33M images (e.g. `--shard i/100` jobs of 16 cores: ~2 min each... or one
16-core machine: ~3 h), ~350 GB of cache; the SVMs (scikit-learn SGD, ~35
core-hours per epoch per penalty at 1000 classes x 262k dims) take 3 penalties
x 4 epochs + a 4-epoch refit: ~560 core-hours, ~35 h on 16 cores.
"""

from experiments.fv_common import fv_base_config


def get_config() -> dict:
    config = fv_base_config()
    config.update({
        "experiment": "fv_imagenet2012",
        "dataset": "imagenet2012",
        "max_pixels": 100_000,
        "colour": True,
        "spatial_pyramid": True,
        "gmm_images": 10_000,
        "gmm_samples": 1_000_000,
        "gmm_iterations": 50,
        # n = 1.28M: alpha = 1 / (C n) is far smaller than on 10-class sets.
        "svm_alphas": [1e-7, 1e-6, 1e-5],
        "svm_epochs": 4,
        "holdout_fraction": 0.02,
        "cache_dtype": "int8",
        # A shard is also one SGD batch in memory: 256 x 262,144 float32 = 268 MB.
        "cache_shard_size": 256,
    })
    return config
