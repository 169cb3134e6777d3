"""Every key the trainer reads, with the paper's values (ILSVRC-2012, section 5),
and the rules their values obey.

Experiment configs start from `base_config()` and change what their scale
needs, so each file shows only its differences from the paper. The trainer
rejects a config that lacks one of these keys or adds another, and the command
line can override any of them (`python -m alexnet.train --config F key=value`).
`RULES` holds the numeric rules; the keys that name a choice are checked
against the list of the module that uses them (`train.validate`).
"""

from alexnet.config import NON_NEGATIVE, POSITIVE, fraction


def base_config() -> dict:
    return {
        # ---- data -------------------------------------------------------------------
        "experiment": "alexnet",      # run folder name part: runs/<UTC>-<experiment>-<hash>
        "dataset": "imagenet2012",    # alexnet.data source, or 'synthetic[:n_train:n_val]'
        "data_dir": None,             # None: $DATA_DIR
        "num_classes": 1000,
        "image_size": 224,            # training crop side (section 4.1)
        "resize": 256,                # images are rescaled to this before cropping
        "pad": 0,                     # zero padding before the random crop (CIFAR style)
        "pca_std": 0.1,               # std of the PCA colour noise (section 4.1)
        "cache": True,                # keep decoded images in memory after epoch 1
        "train_fraction": 1.0,        # < 1: train on data.balanced_subset (data scaling)
        "subset_seed": 0,             # which balanced subset
        # ---- model ------------------------------------------------------------------
        "arch": "alexnet2012",        # alexnet2012 | alexnet2014 | cifar_convnet | cifar_alexnet | alexnet64
        "dropout": 0.5,
        "init": "paper",              # 'paper': N(0, 0.01), unit biases; 'he'; 'glorot'
        # ---- optimisation (section 5) -----------------------------------------------
        "batch_size": 128,            # GLOBAL batch, split evenly over the replicas
        "epochs": 90,                 # "roughly 90 cycles through the training set"
        "lr": 0.01,
        "momentum": 0.9,
        "weight_decay": 5e-4,         # coupled L2 on kernels, through momentum (optim.py)
        "lr_schedule": "plateau",     # 'plateau': /10 when held-out error stalls; 'step'; 'cosine'
        "lr_drop_factor": 0.1,
        "plateau_patience": 3,        # epochs without improvement before a drop
        "plateau_min_delta": 0.1,     # improvement (top-1 percentage points) that counts
        "max_lr_drops": 3,            # "reduced three times prior to termination"
        "lr_drop_epochs": [30, 60, 80],   # for lr_schedule='step': drop after these epochs
        # ---- system -----------------------------------------------------------------
        "seed": 0,                    # weights, dropout and data order
        "precision": "auto",          # auto | float32 | mixed_bfloat16 | mixed_float16
        "jit_compile": False,         # XLA for the forward and backward pass
        "strategy": "auto",           # auto | one_device | mirrored | multi_worker | tpu
        "cluster": "tf_config",       # multi_worker cluster from 'tf_config' or 'slurm'
        "devices": None,              # e.g. ['/gpu:0', '/gpu:1'] for mirrored
        "placement": "none",          # 'towers': the paper's two-GPU model parallelism
        "tower_devices": None,        # default: the first two GPUs
        "checkpoint_every_steps": 1000,   # plus one at every epoch end; 0: epoch ends only
                                          # (checkpoint_every_minutes > 0 takes precedence)
        "keep_checkpoints": 2,
        "eval_batch_size": 128,
        "eval_ten_crop": True,        # final evaluation also with 10 crops (section 4.1)
    }


def optional_config() -> dict:
    """Keys a config may add, with the value their absence means.

    Kept out of `base_config()` so that adding one leaves the hash of every
    existing config, and hence its finished and resumable runs, unchanged.
    """
    return {
        "val_every_epochs": 1,        # validate every n-th epoch (and the last); the plateau
                                      # schedule's patience counts validations (data scaling)
        "input_norm": "mean",         # 'mean': 0..255 minus the training mean (the paper);
                                      # 'standardise': also divided by the per-channel std
        "holdout_fraction": 0.0,      # per class, carved from the training images (seed `seed`)
                                      # for every decision during training; 0: none
        "eval_images": 0,             # > 0: evaluate the reported split on this many of its images
                                      # (class-balanced; quick looks): eval.json says partial and
                                      # the results tables refuse the run; 0: all
        "fc8_std": 0.0,               # > 0: fc8 from N(0, fc8_std), zero bias, whatever `init`
        "warmup_epochs": 0.0,         # linear learning-rate warm-up from lr/steps to lr
        "checkpoint_every_minutes": 0.0,  # > 0: checkpoint by time (plus epoch ends), not by steps
        "chance_guard_steps": 2000,   # training loss within 5% of ln(classes) this many steps
        "chance_guard_action": "warn",    # running: 'warn' (one line) or 'stop' (exit 1); 0 steps: off
        "resize_range": None,         # [lo, hi]: scale jittering (Simonyan & Zisserman 2014), each training
                                      # image's shorter side a random size in [lo, hi] before the crop;
                                      # None: `resize` (the paper). Evaluation always uses `resize`.
                                      # Cached squares are at `resize`: hi above it upsamples them.
        "init_from": None,            # a run id: start from its trained weights, all but fc8
                                      # (fine-tuning, alexnet.finetune); None: from scratch
        "study": None,                # a side study's name (drivers/classes.py): the per-scale
                                      # tables skip its runs, as they skip the baselines' (baselines/defaults.py)
        # The design switches of alexnet.model.build_model (issue 25); absent: the paper's choice.
        "activation": "relu",         # 'relu' (section 3.1) | 'tanh'
        "lrn": True,                  # local response normalisation where the network has it (3.3)
        "pool": [3, 2],               # max-pooling [size, stride]: [3, 2] overlapping (3.4) | [2, 2]
        "towers": "one",              # small-image AlexNets: 'one' | 'two' (3.2) | 'one_half'
    }


MODEL_SWITCHES = ("activation", "lrn", "pool", "towers")


def option(config: dict, key: str):
    """A key of `optional_config()`: the config's value, else the default its absence means."""
    return config.get(key, optional_config()[key])


def model_switches(config: dict) -> dict:
    """The config's design switches as `build_model` keyword arguments."""
    return {key: option(config, key) for key in MODEL_SWITCHES}


# Value rules of the numeric keys (alexnet.config.check_config).
RULES = {
    **{key: POSITIVE for key in ("num_classes", "image_size", "batch_size", "epochs", "lr", "eval_batch_size",
                                 "keep_checkpoints")},
    **{key: NON_NEGATIVE for key in ("checkpoint_every_steps", "checkpoint_every_minutes", "warmup_epochs",
                                     "chance_guard_steps", "fc8_std", "eval_images")},
    "train_fraction": fraction(low_open=True, high_open=False),
    "holdout_fraction": fraction(low_open=False, high_open=True),
    "dropout": fraction(low_open=False, high_open=True),
    "val_every_epochs": (lambda v: v is not None and v >= 1, ">= 1"),
}
