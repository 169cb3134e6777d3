"""What each setting of the ILSVRC-era Fisher-vector entries adds, on Imagenette (issue 7).

    make reproduce-baseline-ablation              # python -m drivers.baseline_ablation
    python -m drivers.baseline_ablation --variants k64 pyramid
    python -m drivers.baseline_ablation --dry-run
    python -m reporting.ablation                  # the table again, from the records alone

Why: a baseline weaker than the literature makes the CNN's lead look bigger than it is. Each
variant is the plain pipeline of `fv_imagenette.py` with the listed changes, encoded anew into
its own cache, and the SVM settings below (those of the Imagenette table before issue 24).
Result (results/baseline_ablation/summary.md, Imagenette val top-1 / top-5 error, each
variant's time beside it): k64 18.90 / 2.47, plain 16.89 / 2.04, pyramid 15.08 / 2.17,
colour 12.00 / 1.35, pyramid_colour 11.52 / 1.63.

History and reasoning: docs/recipes.md#baseline_ablationpy
"""


def get_config() -> dict:
    return {
        # The scale's baseline config; the variants change its plain form (SIFT only, no
        # pyramid: baselines.variants.plain_config).
        "base": "fv_imagenette.py",
        # The classifier stage every variant ran with (the scale's settings before issue 24's
        # fair_svm_settings): the study compares encoders, so the SVM is held fixed at what its
        # records used (final fit with the held-out tenth, SGD or liblinear by size).
        "svm": {"svm_solver": "auto", "svm_epochs": 10, "svm_alphas": [1e-5, 3e-5, 1e-4, 3e-4],
                "svm_select_fraction": 1.0},
        # name -> (changes to the plain pipeline, what the change is). Order: the table's.
        "variants": {
            "k64": ({"gmm_components": 64}, "K=64 Gaussians"),
            "plain": ({}, "K=256, SIFT only: the plain pipeline"),
            "pyramid": ({"spatial_pyramid": True},
                        "K=256 + spatial pyramid (whole image + 3 horizontal stripes)"),
            "colour": ({"colour": True},
                       "K=256 + local colour statistics beside SIFT"),
            "pyramid_colour": ({"spatial_pyramid": True, "colour": True},
                               "K=256 + pyramid + colour: the 2012 entries' form"),
        },
    }
