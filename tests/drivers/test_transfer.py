"""The transfer study (issue 23): its configs, its plan, and its refusal without a source network."""

import json
import math

import pytest

from alexnet import train
from alexnet.config import EXPERIMENTS_DIR, load_config
from alexnet.records import config_hash
from baselines import run as baseline
from baselines.defaults import fv_optional_config
from drivers import transfer

SAME_IMAGES = ("dataset", "holdout_fraction", "seed", "train_fraction", "subset_seed", "study")


@pytest.fixture()
def definition():
    return load_config(transfer.DEFAULT_CONFIG)


def test_configs_resolve_and_validate(definition):
    cnn = train.resolve_config(EXPERIMENTS_DIR / definition["cnn"])
    assert (cnn["dataset"], cnn["num_classes"], cnn["image_size"], cnn["resize"]) == ("imagenette", 10, 56, 64)
    assert cnn["arch"] == "alexnet64" and cnn["epochs"] == 45  # 14 / sqrt(0.09469)
    fv = baseline.validate(load_config(EXPERIMENTS_DIR / definition["fv"], optional=fv_optional_config()))
    assert (fv["dataset"], fv["max_pixels"], fv["svm_select_fraction"]) == ("imagenette", 96 * 96, 1.0)
    assert transfer.source_config(definition)["experiment"] == "tiny_imagenet_alexnet"
    assert definition["fractions"] == [1.0, 0.1] and definition["layer"] == "fc7"


def _fake_source(definition, runs_dir):
    """A finished-looking Tiny-ImageNet run folder (config.json and done) under runs_dir."""
    config = transfer.source_config(definition)
    folder = runs_dir / f"20260101T000000Z-{config['experiment']}-{config_hash(config)}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "done").write_text("")
    return folder


def test_every_model_of_a_fraction_sees_the_same_images(definition, runs_dir):
    source = _fake_source(definition, runs_dir)
    runs = transfer.plan(definition)
    assert {(r.model, r.fraction) for r in runs} == {(m, f) for m in transfer.MODELS for f in (1.0, 0.1)}
    for fraction in (1.0, 0.1):
        cells = {r.model: r.config for r in runs if math.isclose(r.fraction, fraction)}
        assert cells["probe"]["probe_of"] == source.name
        values = {model: tuple(c[k] for k in SAME_IMAGES) for model, c in cells.items()}
        assert len(set(values.values())) == 1, values
        # The study's name keeps its full-data runs out of the 224 px Imagenette table.
        assert values["cnn"] == ("imagenette", 0.1, 0, fraction, 0, "transfer")


def test_dry_run_prints_the_plan(runs_dir, data_dir, monkeypatch, capsys):
    runs_dir.mkdir()
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    assert transfer.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "6 runs selected, 0 finished, 6 to run" in out
    assert "cnn at 0.1 of the training images, 100 epochs: to run" in out
    assert "probe at 1 of the training images: to run, after the source network" in out


def test_without_a_source_network_it_stops_before_training(runs_dir, data_dir, monkeypatch, capsys):
    runs_dir.mkdir()
    monkeypatch.setenv("DATA_DIR", str(data_dir))

    def no_training(*args, **kwargs):
        raise AssertionError("nothing may run")

    monkeypatch.setattr(train, "run", no_training)
    monkeypatch.setattr(baseline, "run", no_training)
    assert transfer.main([]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "python -m alexnet.train --config experiments/tiny_imagenet_alexnet.py" in err[0]
    assert not any(runs_dir.iterdir())
