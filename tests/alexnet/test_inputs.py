"""What the trainer reads: standardised inputs, and a held-out split that alone steers training."""

import numpy as np
import pytest

from alexnet import inputs, optim, records, train
from alexnet.config import load_config
from alexnet.data import balanced_subset, holdout_split, training_split
from tests.conftest import REPO, link_cifar

CONFIG = "experiments/cifar10_convnet.py"
CLASSES = ("airplane", "frog", "horse")
N_TRAIN, N_VAL = 40, 10


@pytest.fixture(scope="module")
def tiny_cifar(data_dir, tmp_path_factory) -> str:
    """folder:<tmp> holding links to real CIFAR-10 JPEGs of three classes."""
    return link_cifar(data_dir, tmp_path_factory.mktemp("tiny_cifar_inputs"), CLASSES, N_TRAIN, N_VAL)


def _config(dataset: str, *overrides: str) -> dict:
    return train.resolve_config(REPO / CONFIG, [f"dataset='{dataset}'", "num_classes=3", *overrides])


def _pixels(config: dict) -> np.ndarray:
    sources = inputs.make_sources(config)
    stats = inputs.colour_stats(config, sources.labelled)
    batches = inputs.eval_dataset(config, sources.labelled, 64, stats)
    return np.concatenate([x.numpy() for x, _ in batches]).reshape(-1, 3)


def test_standardised_inputs_have_zero_mean_and_unit_std_per_channel(tiny_cifar):
    pixels = _pixels(_config(tiny_cifar, "input_norm='standardise'"))
    np.testing.assert_allclose(pixels.mean(axis=0), 0.0, atol=0.15)
    np.testing.assert_allclose(pixels.std(axis=0), 1.0, atol=0.15)
    # The paper's scale, for contrast: 0..255 minus the mean.
    raw = _pixels(_config(tiny_cifar, "input_norm='mean'"))
    assert (raw.std(axis=0) > 30).all()


def test_heldout_split_is_disjoint_balanced_and_never_the_reported_split(tiny_cifar):
    sources = inputs.make_sources(_config(tiny_cifar, "holdout_fraction=0.1"))
    train_files, held_files, val_files = (set(s.files) for s in (sources.train, sources.heldout, sources.val))
    assert not train_files & held_files
    assert train_files | held_files == set(sources.labelled.files)
    assert all(f.startswith("train/") for f in held_files) and all(f.startswith("val/") for f in val_files)
    assert not held_files & val_files
    assert sorted(np.bincount(sources.heldout.labels)) == [4, 4, 4]  # round(0.1 * 40) per class
    assert sources.train.n_images == 3 * (N_TRAIN - 4)


def test_heldout_split_matches_the_baselines_rule_and_respects_the_subset():
    labels = np.repeat(np.arange(5), 100)
    subset = balanced_subset(labels, 0.5, seed=3)
    fit, held = holdout_split(labels, subset, 0.1, seed=0)
    assert not np.intersect1d(fit, held).size and np.array_equal(np.union1d(fit, held), subset)
    assert np.array_equal(held, subset[balanced_subset(labels[subset], 0.1, 0)])
    assert list(np.bincount(labels[held])) == [5] * 5
    fit0, held0 = holdout_split(labels, None, 0.0, seed=0)
    assert len(held0) == 0 and np.array_equal(fit0, np.arange(500))


def test_training_split_is_the_subset_then_its_heldout_part():
    """The trainer, the baseline and the probe all choose their images with training_split."""
    labels = np.repeat(np.arange(4), 50)
    idx, fit, held = training_split(labels, 0.5, 7, 0.2, 1)
    assert np.array_equal(idx, balanced_subset(labels, 0.5, 7)) and len(idx) == 100
    expected_fit, expected_held = holdout_split(labels, idx, 0.2, 1)
    assert np.array_equal(fit, expected_fit) and np.array_equal(held, expected_held)
    assert list(np.bincount(labels[held])) == [5] * 4
    idx, fit, held = training_split(labels, 1.0, 7, 0.0, 1)
    assert np.array_equal(idx, np.arange(200)) and np.array_equal(fit, idx) and len(held) == 0


def test_plateau_rule_reads_only_the_heldout_split(runs_dir, monkeypatch):
    """Every evaluation during training is of held-out training images and feeds the
    schedule; the reported split is evaluated once, after training."""
    evaluated, updates = [], []
    eval_dataset, update = inputs.eval_dataset, optim.PlateauSchedule.update

    def spy_eval(config, source, batch_size, stats, ten_crop=False):
        evaluated.append(source.split)
        return eval_dataset(config, source, batch_size, stats, ten_crop)

    def spy_update(self, epoch, val_err):
        updates.append(val_err)
        return update(self, epoch, val_err)

    monkeypatch.setattr(inputs, "eval_dataset", spy_eval)
    monkeypatch.setattr(optim.PlateauSchedule, "update", spy_update)
    config = load_config(REPO / CONFIG, [
        "dataset='synthetic:160:40'", "num_classes=4", "epochs=3", "batch_size=32", "precision='float32'",
        "eval_ten_crop=False", "strategy='one_device'", "checkpoint_every_minutes=0.0",
        "lr_schedule='plateau'", "plateau_patience=1", "holdout_fraction=0.2", "val_every_epochs=1"])
    run_dir = train.run(config, verbose=False)
    assert evaluated[-1] == "val" and evaluated.count("val") == 1
    assert set(evaluated[:-1]) == {"train"}
    heldout = [float(r["heldout_top1_err_pct"]) for r in records.read_metrics(run_dir)]
    np.testing.assert_allclose(updates, heldout, atol=1e-3)
    val = records.read_json(run_dir / "eval.json")["centre"]["top1_err_pct"]
    assert records.read_json(run_dir / "provenance.json")["dataset"]["heldout"]["n_indices"] == 32
    assert val is not None
