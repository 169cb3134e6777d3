"""Transfer study (issue 23): on Imagenette at 64 px, frozen Tiny-ImageNet features vs training anew.

    python -m drivers.transfer [--dry-run]      (make reproduce-transfer)

At 100% and 10% of Imagenette's training images (the 10% subset from
train_fraction=0.1, subset_seed=0; the same held-out tenth, holdout_fraction
0.1, seed 0, in every run): (a) the `fc7` features of the finished
experiments/tiny_imagenet_alexnet.py run (its run folder, or the committed
model folder models/tiny_imagenet exported from it) with a logistic regression
(alexnet.probe), (b) the same network trained from scratch
(experiments/imagenette64_alexnet.py), (c) the Fisher vectors
(experiments/fv_imagenette64.py), (d) the Tiny-ImageNet network fine-tuned
(alexnet.finetune: (b)'s config starting from its weights, all layers, fc8
afresh) for `finetune.epochs` epochs at each rate of `finetune.lrs`, the rate
chosen on the held-out tenth (reporting.transfer; a rate that diverges bounds
the grid). The 10% runs' epochs
follow the data-scaling rule (drivers.scaling.cnn_config, cap max_epochs:
45 -> 100 from scratch, 10 -> 32 fine-tuning); the 10% FV fits its
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
        # Fine-tuning: 1/40 to 6.4 times the from-scratch rate (0.02), about a quarter of its epochs.
        # The grid grew at its top while its top won on held-out images: 0.008 at both fractions,
        # then 0.032 at 100%; 0.128 diverged there (reporting.transfer), so 0.064 fills the step.
        "finetune": {"experiment": "imagenette64_finetune", "lrs": [0.0005, 0.002, 0.008, 0.032, 0.064, 0.128],
                     "epochs": 10},
        "subset_seed": 0,
    }
