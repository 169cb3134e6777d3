"""Shared test fixtures: where the real images live, quiet TensorFlow, and one tiny trained CIFAR run."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A dataset missing under DATA_DIR is an error in tests, never a download (tests
# of the automatic TFDS path turn it on with mock data).
os.environ["DATA_AUTO_DOWNLOAD"] = "0"
REPO = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding imagenette2-224/ and cifar10/ (set DATA_DIR to move it)."""
    if not (DATA_DIR / "imagenette2-224").is_dir():
        pytest.fail(f"test images not found under {DATA_DIR}: set DATA_DIR to the folder "
                    "holding imagenette2-224/ and cifar10/")
    return DATA_DIR


@pytest.fixture()
def runs_dir(tmp_path, monkeypatch) -> Path:
    """A private RUNS_DIR so tests never touch the user's runs/."""
    d = tmp_path / "runs"
    monkeypatch.setenv("RUNS_DIR", str(d))
    return d


def link_cifar(data_dir: Path, root: Path, classes, n_train: int, n_val: int) -> str:
    """folder:<root> holding links to the first real CIFAR-10 JPEGs of `classes`
    (n_train from train/, n_val from test/ as val/): the real pipeline at test size."""
    for split, source, n in (("train", "train", n_train), ("val", "test", n_val)):
        for name in classes:
            (root / split / name).mkdir(parents=True)
            for path in sorted((data_dir / "cifar10" / source / name).iterdir())[:n]:
                (root / split / name / path.name).symlink_to(path)
    return f"folder:{root}"


# One tiny CIFAR run that predict, export and the inspection tests all read.
CLASSES = ("cat", "ship", "truck")
QUICK = ["epochs=1", "batch_size=32", "eval_batch_size=50", "checkpoint_every_minutes=0.0", "num_classes=3",
         "strategy='one_device'", "warmup_epochs=0.0"]


@pytest.fixture(scope="session")
def tiny_cifar_run(data_dir, tmp_path_factory):
    """(run folder, its val image folder): the real CIFAR-10 recipe's network in mixed_bfloat16,
    one epoch on 3 classes of 32 images each. Tests read it and write elsewhere."""
    from alexnet import train
    from alexnet.config import load_config

    root = tmp_path_factory.mktemp("cifar")
    dataset = link_cifar(data_dir, root, CLASSES, 32, 8)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
        config = load_config(REPO / "experiments/cifar10_convnet.py", QUICK + [f"dataset='{dataset}'"])
        run_dir = train.run(config, verbose=False)
    return run_dir, root / "val"
