"""What each setting of the ILSVRC-era Fisher-vector entries adds, on Imagenette (issue 7).

    make reproduce-baseline-ablation              # python -m drivers.baseline_ablation
    python -m drivers.baseline_ablation --variants k64 pyramid
    python -m drivers.baseline_ablation --dry-run
    python -m reporting.ablation                  # the table again, from the records alone

Why: a baseline weaker than the literature makes the CNN's lead look bigger
than it is. The 2011-2012 ILSVRC Fisher-vector entries (XRCE, Sánchez &
Perronnin 2011; ISI, Gordo et al. 2012) used more Gaussians, a spatial pyramid
and local colour statistics beside SIFT; the plain pipeline of the tables
(`fv_imagenette.py`, K=256) has none of the last two. Each variant here is that
config with the listed changes and a `study` key (baselines/variants.py), which keeps the variant out
of the per-scale summary tables; the "tables" variant is the very run those
tables cite (reused when finished). Every variant encodes Imagenette anew
(descriptors, PCA, GMM, vectors) into its own cache, then trains the same
SVMs with C chosen on a held-out tenth of train (exact where the vectors fit
in memory, else SGD: the table's solver column).

Outputs: results/baseline_ablation/summary.{csv,md} and records/.

Cost: each variant's time is in the table (its eval.json's train_time_s).
The caches are float16 like the tables' run, so no variant differs by
quantisation: 2 bytes per dimension and image, 3.5 GB for the pyramid
(131,072 dimensions), 7 GB for pyramid + colour.

Result (results/baseline_ablation/summary.md, Imagenette val top-1 / top-5
error): K=64 18.90 / 2.47, K=256 (tables) 16.89 / 2.04, K=256 + pyramid
15.08 / 2.17, K=256 + colour 12.00 / 1.35. Reference for orientation (issue 7's scripts, C chosen on val,
so slightly optimistic): K=64 17.3% top-1, K=256 15.0%.
"""


def get_config() -> dict:
    return {
        # The scale's baseline config; the variants change its plain form (SIFT only, no
        # pyramid: baselines.variants.plain_config).
        "base": "fv_imagenette.py",
        # name -> (changes to the plain pipeline, what the change is). Order: the table's.
        "variants": {
            "k64": ({"gmm_components": 64}, "K=64 Gaussians"),
            "plain": ({}, "K=256, SIFT only: the plain pipeline (the tables' plain row)"),
            "pyramid": ({"spatial_pyramid": True},
                        "K=256 + spatial pyramid (whole image + 3 horizontal stripes)"),
            "colour": ({"colour": True},
                       "K=256 + local colour statistics beside SIFT"),
            "pyramid_colour": ({"spatial_pyramid": True, "colour": True},
                               "K=256 + pyramid + colour: the 2012 entries' form, the tables' baseline"),
        },
    }
