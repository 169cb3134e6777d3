"""The paper's run: AlexNet (two towers) on ILSVRC-2012, every setting as published.

    python -m alexnet.train --config experiments/imagenet2012_alexnet.py                 # 1 GPU
    python -m alexnet.train --config experiments/imagenet2012_alexnet.py placement=towers # 2 GPUs, as in the paper
    python -m alexnet.train --config experiments/imagenet2012_alexnet.py strategy=mirrored   # all local GPUs

Krizhevsky et al. (2012), sections 3-5: 1.28M training images, 224 crops of
256-pixel images with flips and PCA colour noise, dropout 0.5 in fc6/fc7,
N(0, 0.01) weights with unit biases in conv2/4/5 and fc6/7, SGD with momentum
0.9 and coupled weight decay 5e-4 at batch 128, lr 0.01 divided by 10 when the
validation error stops improving (three times), about 90 epochs. Needs the
ILSVRC-2012 archives (see alexnet/data/README.md).

Expected (paper, Table 2, "1 CNN"): 40.7% top-1 and 18.2% top-5 error on the
ILSVRC-2012 validation set, predictions averaged over ten crops. Five to six
days on two GTX 580 GPUs in 2012; on one modern GPU the step is fast enough
that the input pipeline's CPU cores decide the speed (see `make bench`).

The plateau rule is the paper's heuristic made mechanical: a drop after
`plateau_patience` epochs without a 0.1-point improvement in top-1 error on a
held-out 1% of the training images (~13 per class, 12,800 images), which the
network does not train on. The paper watched the validation set itself; here
the reported split is evaluated once, at the end, so it cannot steer
training (its 1.4 GB are kept in memory after the first evaluation). For a
fixed schedule, `lr_schedule=step lr_drop_epochs=[30,60,80]`.
Inputs stay on the paper's 0..255 scale minus the mean (`input_norm='mean'`),
which its N(0, 0.01) initialisation was chosen for.
"""

from alexnet.defaults import base_config


def get_config() -> dict:
    config = base_config()
    config.update(experiment="imagenet2012_alexnet", dataset="imagenet2012", holdout_fraction=0.01,
                  checkpoint_every_steps=0, checkpoint_every_minutes=15.0)
    return config
