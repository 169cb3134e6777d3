"""Three small AlexNets on CIFAR-10, their softmax outputs averaged: the paper's "5 CNNs" row at CPU scale.

    python -m alexnet.ensemble --config experiments/cifar10_ensemble.py

Why: SuperVision's ILSVRC-2012 entries were ensembles, 5 CNNs (16.4% top-5)
and 7 CNNs with extra data (15.3%), against one CNN's 18.2% on val
(Krizhevsky et al. 2012, Table 2). The single-model row of
results/cifar10/summary.md is `cifar10_convnet.py`; this is the ensemble row
beside it, as the paper reports both.

Members: the three `cifar_alexnet` runs of the CIFAR-10 recipe search, fixed
before any ensemble was evaluated on the test split (cifar10_convnet.py's
docstring tells how each was chosen from the previous one's held-out curve):
  1. the recipe: 32 px crops of the 4-px-padded image, dropout 0.5, 45 epochs;
  2. 28 px crops of the 32 px image, dropout 0.5, 50 epochs;
  3. 28 px crops, no dropout, 28 epochs.
Each member is evaluated with its own preprocessing; centre crops (the whole
image for member 1, the centre 28 px for 2 and 3) are averaged with each
other, and ten-crop averages with each other. Members not trained yet are
trained first (about an hour each on 2 CPU cores).

On the held-out tenth of train that all three share (top-1, centre / ten
crops): members 14.60 / 13.28, 15.44 / 12.84 and 16.04 / 13.70; the
ensemble 12.80 / 11.86. (Measured once member 2 had finished; the decision
to ensemble was the paper's, not these numbers'.)

Result: results/cifar10/summary.md, the row "Small-image AlexNet, ensemble".
"""


def get_config() -> dict:
    return {
        "experiment": "cifar10_ensemble",
        "dataset": "cifar10",
        "model": "cifar_alexnet_ensemble",
        "members": [
            ["cifar10_convnet.py", []],
            ["cifar10_convnet.py", ["image_size=28", "pad=0", "epochs=50"]],
            ["cifar10_convnet.py", ["image_size=28", "pad=0", "epochs=28", "dropout=0.0"]],
        ],
    }
