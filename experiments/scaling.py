"""Data scaling (issue 7): error against training images per class, CNN vs Fisher vectors.

    make reproduce-scaling                             # python -m experiments.scaling: the full grid
    python -m experiments.scaling --preset reduced     # the budget preset
    python -m experiments.scaling --scales cifar10 --fractions 0.01 0.1 --models fv
    python -m experiments.scaling --dry-run            # the plan, what is done, what is left and its cost
    python -m reporting.scaling                        # table and figure again, from the records alone

Why: the 2012 gap came from 1.2 million labelled images (and GPUs), not from
the architecture alone. Our datasets are small, so the honest evidence is a
curve within each dataset: both models trained on nested, class-balanced
subsets of the training split and evaluated on the full validation split
(CIFAR-10: its test split). Outputs: results/scaling/summary.{csv,md},
results/scaling/figures/scaling.{png,pdf}, results/scaling/records/.

Subsets: `alexnet.data.balanced_subset(labels, fraction, subset_seed)` keeps
round(fraction * n_c) images of every class c, the first of a permutation
fixed by (subset_seed, c), so one seed's subsets are nested across fractions
and both models of a cell see the same images. `seeds[i]` is how many subset
seeds (0, 1, ...) fraction `fractions[i]` uses: several where few images make
the choice of images matter; the table reports mean and standard deviation.
The weight-initialisation seed stays the config's, so the spread is the
subset's.

CNN: the scale's own config (cifar10_convnet.py, imagenette_alexnet.py) runs
unchanged at fraction 1, so that point is the very run `make reproduce` /
`make reproduce-cifar10` trains, reused when finished. At fraction f < 1:

    epochs           = max(base_epochs, min(max_epochs, round(base_epochs / f)))
    val_every_epochs = round(epochs / base_epochs)
    eval_ten_crop    = False          (the table is centre crop; saves ~2 min per Imagenette run)

so a run takes about as many gradient steps as the full run (fewer where
max_epochs caps it: one checkpoint and one new input pipeline per epoch make
tiny epochs costly), validates about base_epochs times (a pass over the whole
validation split, which would otherwise dominate small runs), and the plateau
schedule, whose patience counts validations, lowers the learning rate after as
much training as in the full run.

Fisher vectors: the scale's baseline config with train_fraction and
subset_seed. The vectors, cached by the first run of a scale, are reused; only
the linear SVMs (and their penalty, chosen on a held-out tenth of the subset)
are retrained per cell.

Expected cost on the 2-core CPU (bf16, AMX) of the reference measurements,
from the `cost` constants below (measured per step, per validation pass and
per epoch, calibrated on the reference full runs; `--dry-run` prints them per
run): the full grid about 7.7 h from scratch (CNN 6 h, Fisher vectors 1.7
h), of which 2.3 h are the 100% runs and the Fisher-vector caches that `make
reproduce` and `make reproduce-cifar10` produce anyway; the reduced preset
about 3.1 h from scratch, under 1 h beyond those. A measured reduced cell
(CIFAR-10, 1%, 120 epochs): 5.3 min, 57.2% top-1 error.

Result: results/scaling/summary.md once the grid has run. At 100% the
reference measurements of issue 7 were, top-1: Imagenette FV 17.3% vs AlexNet
20.6%, CIFAR-10 FV 27.2% vs the small CNN 17.7%; the grid shows how each gap
moves with images per class, all far below ILSVRC's ~1,300 per class in 1000
classes.
"""


def get_config() -> dict:
    return {
        "scales": {
            "cifar10": {
                "cnn": "cifar10_convnet.py",
                "fv": "fv_cifar10.py",
                "fractions": [0.01, 0.03, 0.1, 0.3, 1.0],   # 50 ... 5,000 images per class
                "seeds": [3, 2, 1, 1, 1],
                "max_epochs": 200,
            },
            "imagenette": {
                "cnn": "imagenette_alexnet.py",
                "fv": "fv_imagenette.py",
                "fractions": [0.1, 0.3, 1.0],                # ~95 ... ~947 images per class
                "seeds": [3, 1, 1],
                "max_epochs": 300,
            },
        },
        # Presets replace the listed keys of a scale; everything else stays.
        "presets": {
            "reduced": {
                "cifar10": {"fractions": [0.01, 0.1, 1.0], "seeds": [2, 1, 1], "max_epochs": 120},
                "imagenette": {"fractions": [0.1, 1.0], "seeds": [1, 1], "max_epochs": 120},
            },
        },
        # Measured on the 2-core CPU (see the docstring); for --dry-run and progress only.
        #   train_images: the full training split;
        #   cnn_step_s: one training step at the config's batch size;
        #   cnn_val_s: one pass over the validation split;
        #   cnn_epoch_s: per-epoch overhead (checkpoint, new input pipeline);
        #   fv_cache_min: encoding train and val once (the first FV run of a scale);
        #   fv_svm_ms: SVM training per training image (penalty search and refit).
        "cost": {
            "cifar10": {"train_images": 50000, "cnn_step_s": 0.18, "cnn_val_s": 6.0, "cnn_epoch_s": 1.2,
                        "fv_cache_min": 40.0, "fv_svm_ms": 27.0},
            "imagenette": {"train_images": 9469, "cnn_step_s": 0.9, "cnn_val_s": 10.0, "cnn_epoch_s": 1.5,
                           "fv_cache_min": 15.0, "fv_svm_ms": 45.0},
        },
    }


if __name__ == "__main__":
    import sys

    from experiments.scaling_grid import main

    sys.exit(main())
