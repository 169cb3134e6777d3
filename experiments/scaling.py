"""Data scaling (issue 7): error against training images per class, CNN vs Fisher vectors.

    make reproduce-scaling                             # python -m drivers.scaling: the full grid
    python -m drivers.scaling --preset reduced     # the budget preset
    python -m drivers.scaling --scales cifar10 --fractions 0.01 0.1 --models fv
    python -m drivers.scaling --dry-run            # the plan, what is done, what is left and its cost
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

    epochs           = max(base_epochs, min(max_epochs, round(base_epochs / sqrt(f))))
    val_every_epochs = round(epochs / base_epochs)
    warmup_epochs    = base warm-up * epochs / base_epochs
    eval_ten_crop    = False          (the table is centre crop; saves ~2 min per Imagenette run)

Why 1/sqrt(f): a smaller subset needs more passes to converge, since each
pass has fewer steps, but fewer steps in all, since there is less to fit.
Equal steps (epochs = base / f) would spend an hour on 500 CIFAR images that
the network has memorised after a few hundred steps; equal epochs would stop
a 1% run after 45 passes of 3 steps. At 1% the rule gives 10x the passes and
a tenth of the full run's steps, at 10% 3.2x and a third, at 30% 1.8x and
55%. Whether that is enough is read from each run's learning curves
(metrics.csv in its record): held-out error flat over the last part of the
cosine, and, for the smallest CIFAR-10 subset, a run at twice the epochs
that does no better than the seeds' spread: seed 0 at 1% with 900 epochs
instead of 450 (`python -m alexnet.train --config
experiments/cifar10_convnet.py train_fraction=0.01 subset_seed=0
epochs=900 warmup_epochs=40.0 val_every_epochs=20 eval_ten_crop=False`,
record in results/scaling/convergence_check/) reached 53.18% top-1 against
54.06%, 0.9 points, under half the standard deviation of the three 1% seeds
(1.96), with training error 0 and held-out error flat at 58-60% over its
last 220 epochs. Measured learning curves of the CIFAR-10 cells: held-out
error flat over the last 22-40 epochs at 10% and 30% (33.6-35.4%,
22.3-23.9%), and from about epoch 110 of 450 at 1%. Imagenette's CNN
cells (2026-12-02): training error under 1% and held-out error flat over
the last 30 of 142 epochs at 10% (36-45% on 97 held-out images, per
seed), 26.2-26.9% over the last 12 of 82 at 30%, and at 2% training error
0 from epoch 224 of 318 with held-out error 60-70% on its 20 images.
`max_epochs` (500) caps nothing in the current grids; it guards against a
fraction so small that the rule would ask for thousands of tiny epochs. The
held-out tenth of each subset (holdout_fraction of the scale's config) is
what the learning curves read; the reported split is evaluated once.
Imagenette starts at 2%, not 1%: a batch of 128 needs 128 training images
after the held-out tenth.

Fisher vectors: the scale's baseline config (the 2012 entries' form) with train_fraction and
subset_seed. The vectors, cached by the first run of a scale, are reused; only
the linear SVMs (and their penalty, chosen on a held-out tenth of the subset)
are retrained per cell: exactly (liblinear) where the subset's vectors fit in
`svm_exact_max_gb`, by SGD above (baselines/classifier.py); the summary names
the solver per fraction.

Cost on the 2-core CPU (bf16): `--dry-run` prints an estimate per run from
the `cost` constants below (measured per step, per validation pass and per
epoch on the full runs). Each run's own time is in its record.

Result: results/scaling/summary.md (the table, and per scale who leads by how
much and where the curves cross, with an interval from the subset seeds),
results/scaling/figures/scaling.png.
"""


def get_config() -> dict:
    return {
        "scales": {
            "cifar10": {
                "cnn": "cifar10_convnet.py",
                "fv": "fv_cifar10.py",
                "fractions": [0.01, 0.03, 0.1, 0.3, 1.0],   # 50 ... 5,000 images per class
                "seeds": [3, 3, 1, 1, 1],
                "max_epochs": 500,
            },
            "imagenette": {
                "cnn": "imagenette_alexnet.py",
                "fv": "fv_imagenette.py",
                # 2%, not 1%: a batch of 128 needs 128 training images after the held-out tenth.
                "fractions": [0.02, 0.1, 0.3, 1.0],          # ~19 ... ~947 images per class
                "seeds": [3, 3, 1, 1],
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
        # Measured on the 2-core CPU (see the docstring); for --dry-run and progress only.
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

