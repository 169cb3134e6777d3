"""Fixtures of the alexnet/ tests: one tiny CIFAR run that predict and export both read."""

import pytest

from alexnet import train
from alexnet.config import load_config
from tests.conftest import REPO, link_cifar

CLASSES = ("cat", "ship", "truck")
QUICK = ["epochs=1", "batch_size=32", "eval_batch_size=50", "checkpoint_every_minutes=0.0", "num_classes=3",
         "strategy='one_device'", "warmup_epochs=0.0"]


@pytest.fixture(scope="session")
def tiny_cifar_run(data_dir, tmp_path_factory):
    """(run folder, its val image folder): the real CIFAR-10 recipe's network in mixed_bfloat16,
    one epoch on 3 classes of 32 images each. Tests read it and write elsewhere."""
    root = tmp_path_factory.mktemp("cifar")
    dataset = link_cifar(data_dir, root, CLASSES, 32, 8)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
        config = load_config(REPO / "experiments/cifar10_convnet.py", QUICK + [f"dataset='{dataset}'"])
        run_dir = train.run(config, verbose=False)
    return run_dir, root / "val"
