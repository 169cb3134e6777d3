"""Transfer study (issue 23): on Imagenette at 64 px, frozen Tiny-ImageNet features vs training anew.

    python -m drivers.transfer [--dry-run]      (make reproduce-transfer)

At 100% and 10% of Imagenette's training images (the 10% subset from
train_fraction=0.1, subset_seed=0; the same held-out tenth, holdout_fraction
0.1, seed 0, in every run): (a) the `fc7` features of the finished
experiments/tiny_imagenet_alexnet.py run (its run folder, or the committed
model folder models/tiny_imagenet exported from it) with a logistic regression
(alexnet.probe), (b) the same network trained from scratch
(experiments/imagenette64_alexnet.py), (c) the Fisher vectors
(experiments/fv_imagenette64.py). The 10% CNN's epochs follow the data-scaling
rule (drivers.scaling.cnn_config, cap max_epochs); the 10% FV fits its
encoder on its own images (encoder_fit='cell'), as in data scaling.
"""


def get_config() -> dict:
    return {
        "source": "tiny_imagenet_alexnet.py",
        "layer": "fc7",
        "fractions": [1.0, 0.1],
        "cnn": "imagenette64_alexnet.py",
        "fv": "fv_imagenette64.py",
        "max_epochs": 100,
        "subset_seed": 0,
    }
