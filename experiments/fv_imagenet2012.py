"""Dense SIFT + colour Fisher vectors + linear SVMs on ILSVRC-2012, at published scale.

    python -m alexnet.data.imagenet prepare                                         # once
    python -m baselines.run --config experiments/fv_imagenet2012.py --encoder-only  # PCA + GMM, once
    python -m baselines.run --config experiments/fv_imagenet2012.py --shard $i/$N   # N jobs, shared cache
    python -m baselines.run --config experiments/fv_imagenet2012.py                 # SVMs + evaluation

(The last command alone also does everything, on one machine.)

The settings of Sánchez & Perronnin 2011 (the ILSVRC 2010/2011 winner's
system) as far as the paper gives them: images capped at 100k pixels; SIFT
and local colour statistics, each PCA'd to 64 dimensions; K=256 Gaussians;
improved Fisher vectors with a spatial pyramid of the whole image and 3
horizontal stripes; one-vs-rest linear SVMs trained by SGD. The vector has
2 channels x 4 regions x 2 x 256 x 64 = 262,144 dimensions.

Departures: 3 patch sizes (16/24/32 px) at one 4 px step instead of 24 px
patches at 5 image scales (~17k descriptors per image instead of ~10k);
vectors cached as int8 with a per-image scale instead of product-quantised;
SIFT and colour fused early (baselines/encoder.py); C searched on 10% of the
training images and then used for all of them.

Budget, extrapolated from measurements on a 2-core Xeon (not run here):
* extraction ~0.15 s per image per core (scripts/bench_baseline.py: 43 ms for
  SIFT + FV and 27 ms for colour on a 50k-pixel image; twice the pixels here),
  i.e. ~55 core-hours for the 1.33M images; the PCA + GMM fit (1M
  descriptors per channel) ~30 min;
* disk: 336 GB of int8 training vectors + 13 GB for val (float16: twice that);
* SVMs: scikit-learn's SGD costs ~1.7 ns per image x dimension x class, so one
  pass over the training set is ~160 core-hours; 3 candidate penalties x 3
  passes over 10% plus 3 passes over everything: ~620 core-hours, ~40 h on
  16 cores (the binary problems run in parallel threads). Memory: one batch of
  256 vectors (270 MB) and 1 GB of float32 weights per candidate.
"""

from baselines.defaults import fv_base_config


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
        "svm_epochs": 3,
        "holdout_fraction": 0.02,
        "svm_select_fraction": 0.1,
        "cache_dtype": "int8",
        # A shard is also one SGD batch in memory: 256 x 262,144 float32 = 268 MB.
        "cache_shard_size": 256,
    })
    return config
