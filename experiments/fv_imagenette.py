"""The 2012 entries' Fisher-vector baseline on Imagenette (the `make reproduce` baseline).

    python -m baselines.run --config experiments/fv_imagenette.py

Dense SIFT at 3 scales and local colour statistics, step 4, each reduced by PCA to 64 and
encoded by its own K=256 GMM into an improved Fisher vector, for the whole image and 3
horizontal stripes (262,144 dimensions); one-vs-rest linear SVMs with C chosen on a held-out
tenth of train. The tables, the gap figure and the scaling curves use this form; the plain SIFT
pipeline is the same file with `colour=False spatial_pyramid=False model=dsift_fv_svm`.

Result (results/imagenette/summary.md): 11.52% top-1 error in 40.5 min on a 2-core CPU (AMD
EPYC); plain SIFT 16.89%.

History and reasoning: docs/recipes.md#fv_imagenettepy
"""

from baselines.defaults import fv_base_config


def get_config() -> dict:
    config = fv_base_config()
    config.update({
        "experiment": "fv_imagenette",
        "model": "dsift_colour_pyramid_fv_svm",
        "dataset": "imagenette",
        "colour": True,
        "spatial_pyramid": True,
    })
    return config
