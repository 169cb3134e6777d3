"""The 2012 entries' Fisher-vector baseline on Tiny ImageNet-200 (`make reproduce-tiny-imagenet`).

    python -m baselines.run --config experiments/fv_tiny_imagenet.py

The form of experiments/fv_imagenette.py (dense SIFT beside local colour
statistics, each reduced by PCA to 64 and encoded by its own K=256 GMM into
an improved Fisher vector), at Tiny ImageNet's 64 px:

- Images are upscaled 1.5x (bicubic) to 96 px, CIFAR-10's working size
  (experiments/fv_cifar10.py): SIFT patches of 16/24/32 px then cover a sixth
  to a third of the image, at a 4 px step (about 1,100 descriptors an image).
- No spatial pyramid: 3 horizontal stripes would make the vector 262,144
  long, 57 GB of float16 for the 110,000 images and 4x the SVM time.
- The classifier is the batched one-vs-rest SVM (baselines/batched_svm.py):
  scikit-learn's per-image SGD would take hours a pass at 200 classes. The
  penalty grid spans C = 1 / (alpha n) from about 0.04 to 400 at the search's
  n (27,000 images: 30% of the 90,000 that are not held out), so that strongly
  regularised values are in it; averaged iterates, 10 passes.
- The final SVM learns from the same 90,000 images the CNN trains on
  (`svm_refit_with_holdout=False`): the held-out tenth (the CNN's, same
  function and seed) only chooses C.

Not run yet; cost estimate on 2 cores: extraction about 30 min (CIFAR-10's
60,000 images at this size took 15), 14 GB of float16 cache, SVM about 30 min.
"""

from baselines.defaults import fv_base_config


def get_config() -> dict:
    config = fv_base_config()
    config.update({
        "experiment": "fv_tiny_imagenet",
        "model": "dsift_colour_fv_svm",
        "dataset": "tiny_imagenet",
        "upscale": 1.5,
        "colour": True,
        "step": 4,
        "svm_solver": "batched",
        "svm_alphas": [1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3],
        "svm_epochs": 10,
        "svm_average": True,
        "svm_select_fraction": 0.3,
        "svm_refit_with_holdout": False,
        "cache_shard_size": 1000,
    })
    return config
