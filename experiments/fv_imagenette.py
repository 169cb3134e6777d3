"""Dense SIFT + Fisher vectors + linear SVM on Imagenette (the `make reproduce` baseline).

    python -m baselines.run --config experiments/fv_imagenette.py

Settings: the plain pipeline of Sánchez & Perronnin 2011 / Chatfield et al.
2011 at K=256: SIFT at 3 scales (16/24/32 px patches), step 4, PCA to 64,
improved Fisher vectors (32,768 dimensions), one-vs-rest linear SVMs by SGD.
"""

from experiments.fv_common import fv_base_config


def get_config() -> dict:
    config = fv_base_config()
    config.update({
        "experiment": "fv_imagenette",
        "dataset": "imagenette",
    })
    return config
