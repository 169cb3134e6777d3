"""The transfer study (issue 23): its configs, its plan, its source network (a run folder or the
committed model folder), and its refusal without one."""

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


@pytest.fixture(autouse=True)
def model_folder(tmp_path, monkeypatch):
    """Where the driver looks for the committed model folder: a private, empty place, so a
    models/tiny_imagenet in the clone changes no test."""
    folder = tmp_path / "models" / "tiny_imagenet"
    monkeypatch.setattr(transfer, "SOURCE_MODEL_FOLDER", folder)
    return folder


def test_configs_resolve_and_validate(definition):
    cnn = train.resolve_config(EXPERIMENTS_DIR / definition["cnn"])
    assert (cnn["dataset"], cnn["num_classes"], cnn["image_size"], cnn["resize"]) == ("imagenette", 10, 56, 64)
    assert cnn["arch"] == "alexnet64" and cnn["epochs"] == 45  # 14 / sqrt(0.09469)
    fv = baseline.validate(load_config(EXPERIMENTS_DIR / definition["fv"], optional=fv_optional_config()))
    assert (fv["dataset"], fv["max_pixels"], fv["svm_select_fraction"]) == ("imagenette", 96 * 96, 1.0)
    assert transfer.source_config(definition)["experiment"] == "tiny_imagenet_alexnet"
    assert definition["fractions"] == [1.0, 0.1] and definition["layer"] == "fc7"


def _fake_source(definition, runs_dir, weights=True):
    """A finished-looking Tiny-ImageNet run folder (config.json, done and, with `weights`, a
    checkpoint index) under runs_dir."""
    config = transfer.source_config(definition)
    folder = runs_dir / f"20260101T000000Z-{config['experiment']}-{config_hash(config)}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "done").write_text("")
    if weights:
        (folder / "checkpoints").mkdir()
        (folder / "checkpoints" / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\n')
    return folder


def _fake_model_folder(folder, config, run_id):
    """A model folder as the driver and probe_config read it: config.json, model.json and a
    model.keras to be found (planning never loads the network)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.json").write_text(json.dumps({"source_run": run_id}))
    (folder / "model.keras").write_bytes(b"")
    return folder


def test_every_model_of_a_fraction_sees_the_same_images(definition, runs_dir):
    source = _fake_source(definition, runs_dir)
    runs = transfer.plan(definition)
    assert {(r.model, r.fraction) for r in runs} == {(m, f) for m in transfer.MODELS for f in (1.0, 0.1)}
    lrs = definition["finetune"]["lrs"]
    assert len(runs) == 2 * (3 + len(lrs))
    for fraction in (1.0, 0.1):
        cells = {r.model: r.config for r in runs if math.isclose(r.fraction, fraction)}
        assert cells["probe"]["probe_of"] == source.name
        tuned = [r.config for r in runs if r.model == "finetune" and math.isclose(r.fraction, fraction)]
        assert [c["lr"] for c in tuned] == lrs and all(c["init_from"] == source.name for c in tuned)
        # Fine-tuning is the from-scratch config but for its source, rate, epochs (and warm-up, scaled).
        differ = {k for k in cells["cnn"] if cells["cnn"][k] != tuned[0].get(k)} | (set(tuned[0]) - set(cells["cnn"]))
        scaled = {"warmup_epochs", "val_every_epochs"} if fraction < 1 else set()  # follow the epochs
        assert differ == {"experiment", "init_from", "lr", "epochs"} | scaled
        assert tuned[0]["epochs"] == (10 if fraction == 1.0 else 32)
        values = {model: tuple(c[k] for k in SAME_IMAGES) for model, c in cells.items()}
        assert len(set(values.values())) == 1, values
        # The study's name keeps its full-data runs out of the 224 px Imagenette table.
        assert values["cnn"] == ("imagenette", 0.1, 0, fraction, 0, "transfer")


def test_dry_run_prints_the_plan(runs_dir, data_dir, monkeypatch, capsys):
    runs_dir.mkdir()
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    assert transfer.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    n = 2 * (3 + len(load_config(transfer.DEFAULT_CONFIG)["finetune"]["lrs"]))   # per fraction: 3 models + the rates
    assert f"{n} runs selected, 0 finished, {n} to run" in out
    assert "cnn at 0.1 of the training images, 100 epochs: to run" in out
    assert "probe at 1 of the training images: to run, after the source network" in out
    assert "finetune (lr 0.002) at 0.1 of the training images: to run, after the source network" in out


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


def test_a_model_folder_of_the_source_config_is_the_source(definition, runs_dir, model_folder, data_dir,
                                                           monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    config = transfer.source_config(definition)
    run_id = f"20260101T000000Z-{config['experiment']}-{config_hash(config)}"
    _fake_model_folder(model_folder, config, run_id)
    runs_dir.mkdir()
    probes = {r.fraction: r.config for r in transfer.plan(definition) if r.model == "probe"}
    assert all(c["probe_of"] == run_id for c in probes.values())
    assert transfer.main(["--dry-run", "--models", "probe"]) == 0
    out = capsys.readouterr().out
    assert f"source network: {model_folder.resolve()} (run {run_id})" in out
    assert "probe at 1 of the training images: to run\n" in out
    # The probe of the model folder is the probe of the run it was exported from: one config.
    _fake_source(definition, runs_dir)
    assert {r.fraction: r.config for r in transfer.plan(definition) if r.model == "probe"} == probes
    assert transfer.source_network(definition)[0].parent == runs_dir  # a run folder comes first


def test_a_model_folder_of_another_config_is_ignored(definition, runs_dir, model_folder, data_dir,
                                                     monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    config = dict(transfer.source_config(definition), epochs=1)
    wanted, held = config_hash(transfer.source_config(definition)), config_hash(config)
    _fake_model_folder(model_folder, config, f"20260101T000000Z-{config['experiment']}-{held}")
    runs_dir.mkdir()
    assert all(r.config is None for r in transfer.plan(definition) if r.model == "probe")
    assert transfer.main(["--dry-run", "--models", "probe"]) == 0
    out = capsys.readouterr().out
    assert f"{model_folder.resolve()} holds another config's network (hash {held}, wanted {wanted}); ignored" in out
    assert "probe at 1 of the training images: to run, after the source network" in out


def test_a_model_folder_must_name_a_run_of_its_config(definition, model_folder, runs_dir):
    config = transfer.source_config(definition)
    _fake_model_folder(model_folder, config, f"20260101T000000Z-{config['experiment']}-00000000")
    runs_dir.mkdir()
    folder, notes = transfer.source_network(definition)
    assert folder is None and "not a run of hash" in notes[0]


def test_a_finished_source_run_without_weights_names_the_run_but_runs_nothing(definition, runs_dir, data_dir,
                                                                              monkeypatch, capsys):
    """A run folder left as a record (its checkpoints gone) still names the probes' and fine-tunings'
    configs, so their finished records are found; running one from it is refused in one line."""
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    record = _fake_source(definition, runs_dir, weights=False)
    folder, notes = transfer.source_network(definition)
    assert folder == record and notes[-1].startswith(f"source network: {record} (finished run, its weights gone")
    assert all(r.config["probe_of" if r.model == "probe" else "init_from"] == record.name
               for r in transfer.plan(definition) if r.model in ("probe", "finetune"))
    # A model folder of the same config, with its network, comes before it.
    config = transfer.source_config(definition)
    exported = _fake_model_folder(transfer.SOURCE_MODEL_FOLDER, config, record.name)
    assert transfer.source_network(definition)[0] == exported
    import shutil
    shutil.rmtree(exported)

    def no_training(*args, **kwargs):
        raise AssertionError("nothing may run")

    monkeypatch.setattr(train, "run", no_training)
    monkeypatch.setattr(baseline, "run", no_training)
    assert transfer.main(["--models", "probe", "finetune"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: the source network's run folder {record} holds no checkpoint any more, and no model "
                   f"folder {transfer._shown(transfer.SOURCE_MODEL_FOLDER)} was exported from it: retrain it "
                   "(`python -m alexnet.train --config experiments/tiny_imagenet_alexnet.py`), or export it "
                   "where it still has its weights"]


def test_a_fine_tuning_rate_that_diverges_is_reported_and_not_run_again(definition, runs_dir, data_dir,
                                                                         monkeypatch, capsys):
    from alexnet.trainer import TrainingDiverged
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    _fake_source(definition, runs_dir)
    top = max(definition["finetune"]["lrs"])
    runs = [r for r in transfer.plan(definition, [1.0], ("finetune",)) if r.config["lr"] == top]
    calls = []

    def diverging(config):   # as alexnet.train leaves a run whose loss went non-finite
        calls.append(config["lr"])
        folder = runs_dir / f"20260102T000000Z-{config['experiment']}-{config_hash(config)}"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps(config))
        (folder / train.DIVERGED).write_text(json.dumps({"error": "non-finite training loss (nan) at epoch 1"}))
        raise TrainingDiverged("non-finite training loss (nan) at epoch 1")

    monkeypatch.setattr(train, "run", diverging)
    monkeypatch.setattr(transfer, "report", lambda definition: [])
    assert transfer.execute(definition, runs) == 0
    assert "diverged: non-finite training loss (nan) at epoch 1\n" in capsys.readouterr().out and calls == [top]
    assert transfer.execute(definition, runs) == 0          # the study goes on; the rate is not trained again
    out = capsys.readouterr().out
    assert f"finetune (lr {top:g}) at 1 of the training images, 10 epochs: diverged\n" in out
    assert "diverged before: " in out and calls == [top]
