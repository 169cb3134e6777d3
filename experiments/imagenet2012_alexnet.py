"""The paper's run: AlexNet (two towers) on ILSVRC-2012, every setting as published.

    python -m alexnet.train --config experiments/imagenet2012_alexnet.py                 # 1 GPU
    python -m alexnet.train --config experiments/imagenet2012_alexnet.py placement=towers # 2 GPUs, as in the paper
    python -m alexnet.train --config experiments/imagenet2012_alexnet.py strategy=mirrored   # all local GPUs

Krizhevsky et al. (2012), sections 3-5, on the paper's 0..255 inputs minus the mean. Needs the
ILSVRC-2012 archives (see alexnet/data/README.md).
Expected (paper, Table 2, "1 CNN"): 40.7% top-1 and 18.2% top-5 error on the ILSVRC-2012
validation set, ten crops; five to six days on two GTX 580 GPUs in 2012.
Departure: lr divided by 10 on a plateau of a held-out 1% of the training images, not of the
validation set, which is evaluated once, at the end.

History and reasoning: docs/recipes.md#imagenet2012_alexnetpy
"""

from alexnet.defaults import base_config


def get_config() -> dict:
    config = base_config()
    config.update(experiment="imagenet2012_alexnet", dataset="imagenet2012", holdout_fraction=0.01,
                  checkpoint_every_steps=0, checkpoint_every_minutes=15.0)
    return config
