"""Three small AlexNets on CIFAR-10, their softmax outputs averaged: the paper's "5 CNNs" row at CPU scale.

    python -m alexnet.ensemble --config experiments/cifar10_ensemble.py

The three `cifar_alexnet` runs of the CIFAR-10 recipe search, fixed before any ensemble was
evaluated on the test split, each evaluated with its own preprocessing (members not trained yet
are trained first, about an hour each on 2 CPU cores):
  1. the recipe: 32 px crops of the 4-px-padded image, dropout 0.5, 45 epochs;
  2. 28 px crops of the 32 px image, dropout 0.5, 50 epochs;
  3. 28 px crops, no dropout, 28 epochs.
Result (results/cifar10/summary.md, "Small-image AlexNet, ensemble"): 13.22% top-1 error centre,
12.34% with ten crops; 2.7 h of training in all.

History and reasoning: docs/recipes.md#cifar10_ensemblepy
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
