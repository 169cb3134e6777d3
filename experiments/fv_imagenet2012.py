"""Dense SIFT + colour Fisher vectors + linear SVMs on ILSVRC-2012, at published scale.

    python -m alexnet.data.imagenet prepare                                         # once
    python -m baselines.run --config experiments/fv_imagenet2012.py --encoder-only  # PCA + GMM, once
    python -m baselines.run --config experiments/fv_imagenet2012.py --shard $i/$N   # N jobs, shared cache
    python -m baselines.run --config experiments/fv_imagenet2012.py                 # SVMs + evaluation

(The last command alone also does everything, on one machine.) The settings of Sánchez & Perronnin
2011: images capped at 100k pixels, K=256, a spatial pyramid (262,144 dimensions). Departures: 3
patch sizes at one 4 px step instead of 24 px patches at 5 image scales; vectors cached as int8
instead of product-quantised; C searched on 10% of the training images. Budget, extrapolated (not
run here): ~55 core-hours of extraction, 336 GB of int8 training vectors, ~620 core-hours of SVMs.

History and reasoning: docs/recipes.md#fv_imagenet2012py
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
