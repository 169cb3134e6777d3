"""Three small AlexNets on CIFAR-10, their softmax outputs averaged: the paper's "5 CNNs" row at CPU scale.

    python -m alexnet.ensemble --config experiments/cifar10_ensemble.py

The paper's ensembles were one recipe trained from different initialisations; so is this one:
`cifar10_convnet.py` at seeds 0, 1 and 2, the very runs the single-network row of
`make reproduce-cifar10` averages. Members not trained yet are trained first (about an hour
each on 2 CPU cores); centre crops are averaged with centre crops, ten crops with ten crops.

Result: results/cifar10/summary.md, the row "Small-image AlexNet, ensemble", once the three
seeds have run (issue 24); until then that row is the recipe-search ensemble (docs/recipes.md).

History and reasoning: docs/recipes.md#cifar10_ensemblepy
"""


def get_config() -> dict:
    return {
        "experiment": "cifar10_ensemble",
        "dataset": "cifar10",
        "model": "cifar_alexnet_ensemble",
        "members": [["cifar10_convnet.py", [f"seed={seed}"] if seed else []] for seed in range(3)],
    }
