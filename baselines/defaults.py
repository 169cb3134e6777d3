"""Every key the Fisher-vector baseline reads (`python -m baselines.run`), and the
rules their values obey.

Baseline configs start from `fv_base_config()` and change what their scale
needs, so each file shows only its differences. The values here are the
"plain" pipeline of Chatfield et al. 2011 / Sánchez & Perronnin 2011 at K=256:
3-scale dense SIFT at step 4, PCA to 64, improved Fisher vectors, linear SVM.
"""

from alexnet.config import NON_NEGATIVE, POSITIVE, fraction, one_of

# Choices, defined here for the modules that read them.
CACHE_DTYPES = ("float16", "int8")
SVM_SOLVERS = ("auto", "sgd", "liblinear", "batched")


def fv_base_config() -> dict:
    return {
        # ---- data -------------------------------------------------------------------
        "experiment": "fv",            # run folder name part: runs/<UTC>-<experiment>-<hash>
        "model": "dsift_fv_svm",       # the name tables show for this pipeline
        "dataset": "imagenette",       # alexnet.data source: imagenette | cifar10 | imagenet2012 | folder:/path
        "data_dir": None,              # None: $DATA_DIR
        "train_fraction": 1.0,         # < 1: SVM on data.balanced_subset of train (vectors reused)
        "subset_seed": 0,              # which balanced subset
        # ---- descriptors (baselines/descriptors.py) ---------------------------------
        "step": 4,                     # grid step in pixels, all scales
        "sift_bin_sizes": [4, 6, 8],   # SIFT patches of 16/24/32 px (4 bins wide)
        "root_sift": False,            # Arandjelović & Zisserman 2012; not in the 2012 entries
        "colour": False,               # also local colour statistics (Perronnin et al. 2010)
        "upscale": 1.0,                # resize factor before description (CIFAR: 3.0)
        "max_pixels": 0,               # downscale larger images to this area; 0: never
        # ---- encoder (baselines/encoder.py, gmm.py, fisher.py) -------------------------
        "pca_dim": 64,
        "gmm_components": 256,         # K; vector length 2·K·pca_dim per channel and region
        "gmm_iterations": 100,         # EM iterations at most (stops earlier on convergence)
        "gmm_images": 1000,            # training images sampled for PCA and GMM
        "gmm_samples": 200_000,        # descriptors sampled (evenly over those images)
        "spatial_pyramid": False,      # whole image + 3 horizontal stripes (4x the length)
        "power_normalise": True,       # signed square root before L2 ("improved" FV)
        # ---- classifier (baselines/classifier.py) ------------------------------------
        "svm_alphas": [1e-5, 3e-5, 1e-4, 3e-4],   # L2 penalties tried; alpha = 1 / (C · n)
        "svm_solver": "auto",          # auto: exact (liblinear) when it fits svm_exact_max_gb, else SGD;
                                       # batched: exact like liblinear, streamed, all classes and penalties
                                       # per matrix product (many classes; svm_epochs: passes at most)
        "svm_exact_max_gb": 4.0,       # memory for liblinear's copy: 16 bytes per dimension and image
        "svm_epochs": 10,              # SGD passes over the training vectors
        "svm_average": False,          # averaged SGD (Polyak) instead of the last iterate
        "svm_refit": True,             # retrain the chosen alpha on all training images
        "holdout_fraction": 0.1,       # class-balanced part of train that chooses C
        "svm_select_fraction": 1.0,    # < 1: the C search trains on this part of the rest
        # ---- system -------------------------------------------------------------------
        "seed": 0,                     # descriptor sample, GMM, hold-out split, SGD order
        "workers": 0,                  # extraction processes; 0: one per CPU core
        "cache_dir": None,             # None: $FV_CACHE_DIR, else <repo>/cache/fisher
        "cache_dtype": "float16",      # float16 | int8 (per-image scale; half the disk)
        "cache_shard_size": 1000,      # images per cache shard (and per cluster work unit)
        "progress": True,              # progress bars on stderr
    }


def fv_optional_config() -> dict:
    """Keys a baseline config may add, with the value their absence means. Kept
    out of `fv_base_config()` so that the configs (and run-folder hashes) of
    runs without them stay as they were."""
    return {
        # A side study's name (experiments/baseline_ablation.py). The per-scale summary
        # tables skip its runs, so a variant never replaces the scale's baseline there.
        "study": None,
        # False: the final SVM learns only from the images the CNN trains on (the
        # held-out tenth chooses C and is then left out, as the CNN leaves it out).
        "svm_refit_with_holdout": True,
        # The batched solver's stopping rule: largest projected gradient of a pass (liblinear's eps).
        "svm_tol": 0.1,
        # Penalties the C search may add past an end of svm_alphas that wins (or past the strongest
        # when all tie), one grid step at a time, until the choice is interior; 0: the grid as given.
        "svm_extend": 0,
        # What PCA and GMM are fitted on in a subset run (train_fraction < 1): 'split', the
        # whole training split (images the CNN never sees); 'cell', the run's own images.
        "encoder_fit": "split",
    }


def fair_svm_settings() -> dict:
    """The classifier settings of a fair comparison with the CNN (issue 24).

    - The final SVM learns from the images the CNN trains on: the held-out
      tenth (the CNN's, same function and seed) only chooses C.
    - One exact solver at every size (`batched`: liblinear's problem, streamed),
      where `auto` switched from liblinear to SGD as training sets grew and
      SGD's unconverged candidates tied.
    - Decades of penalties from near hard margin to strongly regularised, grown
      a decade at a time past an end that wins (or past the strongest when all
      candidates tie), so that the choice is interior.
    - The penalty search trains on every image the final SVM learns from, so C is
      chosen at the size it is used at (that search's model is the final one).

    The scaling study applies them to every Fisher-vector cell, and a scale's
    baseline config takes them with `**fair_svm_settings()`. Not the defaults,
    so that the configs of committed records that predate them stay as they ran.
    """
    return {"svm_solver": "batched", "svm_epochs": 20, "svm_alphas": [1e-6, 1e-5, 1e-4, 1e-3, 1e-2],
            "svm_extend": 3, "svm_refit_with_holdout": False, "svm_select_fraction": 1.0}


# Value rules (alexnet.config.check_config); types are checked against the defaults.
RULES = {
    **{key: POSITIVE for key in ("step", "pca_dim", "gmm_components", "gmm_iterations", "gmm_images",
                                 "gmm_samples", "svm_epochs", "cache_shard_size", "upscale")},
    "sift_bin_sizes": (lambda v: len(v) > 0 and all(int(s) > 0 for s in v), "a non-empty list of positive sizes"),
    "svm_alphas": (lambda v: len(v) > 0 and all(float(a) > 0 for a in v), "a non-empty list of positive penalties"),
    "train_fraction": fraction(low_open=True, high_open=False),
    "svm_select_fraction": fraction(low_open=True, high_open=False),
    "holdout_fraction": fraction(low_open=False, high_open=True),
    "max_pixels": (lambda v: v >= 0, "0 (no limit) or positive"),
    "workers": (lambda v: v >= 0, "0 (one per core) or positive"),
    "cache_dtype": one_of(CACHE_DTYPES),
    "svm_solver": one_of(SVM_SOLVERS),
    "svm_exact_max_gb": (lambda v: v >= 0, "0 or more (GiB)"),
    "svm_tol": POSITIVE,
    "svm_extend": NON_NEGATIVE,
    "encoder_fit": one_of(("split", "cell")),
    "study": (lambda v: v is None or (isinstance(v, str) and v != ""), "a non-empty name"),
}
