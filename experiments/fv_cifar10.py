"""Dense SIFT + Fisher vectors + linear SVM on CIFAR-10 (`make reproduce-cifar10`).

    python -m baselines.run --config experiments/fv_cifar10.py

CIFAR's 32 px images are upscaled 3x (bicubic) to 96 px first: a 16 px SIFT
patch on the raw image would cover half of it, and the smallest VLFeat SIFT
bin is then 4 source pixels / 3. The rest is the Imagenette pipeline: 3 scales
(16/24/32 px patches on the 96 px image), PCA to 64, K=256, improved FV.
"""

from experiments.fv_common import fv_base_config


def get_config() -> dict:
    config = fv_base_config()
    config.update({
        "experiment": "fv_cifar10",
        "dataset": "cifar10",
        "upscale": 3.0,
        "step": 4,
        # 50,000 training images: the best penalty is smaller than on Imagenette
        # (alpha = 1 / (C n)), and SGD needs fewer passes.
        "svm_alphas": [3e-6, 1e-5, 3e-5, 1e-4],
        "svm_epochs": 6,
        "cache_shard_size": 2000,
    })
    return config
