"""Three small AlexNets on CIFAR-10, their softmax outputs averaged: the paper's "5 CNNs" row at CPU scale.

    python -m alexnet.ensemble --config experiments/cifar10_ensemble.py

The paper's ensembles were one recipe trained from different initialisations; so is this one:
`cifar10_convnet.py` at seeds 0, 1 and 2, the very runs the single-network row of
`make reproduce-cifar10` averages (a seed sets the initialisation, the data order and the
held-out tenth). Members not trained yet are trained first, about an hour each on 2 CPU cores.
Each is evaluated with its own preprocessing; centre crops are averaged with centre crops,
ten-crop averages with ten-crop averages.

Result: results/cifar10/summary.md, the row "Small-image AlexNet, ensemble", once the three
seeds have run (issue 24). Until then that row is the earlier ensemble of the three recipe-search
networks (13.22% top-1 error centre; different recipes, so not the paper's protocol).

History and reasoning: docs/recipes.md#cifar10_ensemblepy
"""


def get_config() -> dict:
    return {
        "experiment": "cifar10_ensemble",
        "dataset": "cifar10",
        "model": "cifar_alexnet_ensemble",
        "members": [["cifar10_convnet.py", [f"seed={seed}"] if seed else []] for seed in range(3)],
    }
