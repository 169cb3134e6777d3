"""Data scaling (issue 7): error against training images per class, CNN vs Fisher vectors.

    make reproduce-scaling                         # python -m drivers.scaling: the full grid
    python -m drivers.scaling --preset reduced     # the budget preset
    python -m drivers.scaling --dry-run            # the plan, what is done, what is left and its cost
    python -m reporting.scaling                    # table and figure again, from the records alone

Both models train on nested, class-balanced subsets of the training split, evaluated on the full
evaluation split (CIFAR-10: test); the CNN at fraction f < 1 for max(base_epochs, min(max_epochs, round(base_epochs /
sqrt(f)))) epochs, the Fisher vectors with an encoder fitted on the cell's own images and FV_CHANGES
below (issue 24; the committed table predates both). Result (results/scaling/summary.md): on CIFAR-10
the curves cross between 135 and 450 training images per class (the CNN's count); on Imagenette
the Fisher vectors lead at every size measured, by 7.9 points at 852.

History and reasoning: docs/recipes.md#scalingpy
"""


from baselines.defaults import fair_svm_settings

# Every Fisher-vector cell (issue 24), the whole training set's included: the final SVM learns from
# the images the CNN trains on, one exact solver at every size, a penalty grid grown until its choice
# is interior (baselines.defaults.fair_svm_settings).
FV_CHANGES = fair_svm_settings()


def get_config() -> dict:
    return {
        "scales": {
            "cifar10": {
                "cnn": "cifar10_convnet.py",
                "fv": "fv_cifar10.py",
                "fv_changes": FV_CHANGES,
                "fractions": [0.01, 0.03, 0.1, 0.3, 1.0],   # 50 ... 5,000 images per class
                "seeds": [3, 3, 3, 3, 1],                      # 3 seeds where the curves cross
                "max_epochs": 500,
            },
            "imagenette": {
                "cnn": "imagenette_alexnet.py",
                "fv": "fv_imagenette.py",
                "fv_changes": FV_CHANGES,
                # 2%, not 1%: a batch of 128 needs 128 training images after the held-out tenth.
                "fractions": [0.02, 0.1, 0.3, 1.0],          # ~19 ... ~947 images per class
                "seeds": [3, 3, 3, 1],
                "max_epochs": 500,
            },
        },
        # Presets replace the listed keys of a scale; everything else stays.
        "presets": {
            "reduced": {
                "cifar10": {"fractions": [0.01, 0.1, 1.0], "seeds": [2, 1, 1], "max_epochs": 120},
                "imagenette": {"fractions": [0.1, 1.0], "seeds": [1, 1], "max_epochs": 120},
            },
        },
        # Measured on the 2-core CPU, per step, per validation pass and per epoch on the full runs
        # (docs/recipes.md#scalingpy); for --dry-run and progress only.
        #   train_images: the full training split;
        #   cnn_step_s: one training step at the config's batch size (Imagenette: 65-70 img/s measured);
        #   cnn_val_s: one pass over the validation split;
        #   cnn_epoch_s: per-epoch overhead (checkpoint, new input pipeline);
        #   fv_cache_min: encoding train and val once (the first FV run of a scale);
        #   fv_run_s: per Fisher-vector cell, reading the cached validation vectors and scoring them;
        #   fv_svm_ms: SVM training per training image (penalty search and refit; the 2012-form
        #     cells of 2026-12-02: liblinear at 262,144 dimensions is the slow part on Imagenette).
        "cost": {
            "cifar10": {"train_images": 50000, "cnn_step_s": 0.23, "cnn_val_s": 6.0, "cnn_epoch_s": 1.2,
                        "fv_cache_min": 40.0, "fv_run_s": 30.0,
                        "fv_svm_ms": 24.0},
            "imagenette": {"train_images": 9469, "cnn_step_s": 1.35, "cnn_val_s": 10.0, "cnn_epoch_s": 1.5,
                           "fv_cache_min": 15.0, "fv_run_s": 80.0,
                           "fv_svm_ms": 250.0},
        },
    }

