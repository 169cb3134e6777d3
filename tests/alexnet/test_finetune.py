"""alexnet.finetune: a run that starts from another run's weights, all layers but fc8."""

import json

import numpy as np
import pytest

from alexnet import evaluate, finetune, records, train
from alexnet.config import ConfigError
from tests.conftest import link_cifar

SOURCE_CLASSES = ("cat", "ship", "truck")
TARGET_CLASSES = ("airplane", "bird", "dog", "frog")   # none of the network's classes
CONFIG = records.REPO_ROOT / "experiments/cifar10_convnet.py"
QUICK = ["epochs=2", "warmup_epochs=0.0", "batch_size=32", "eval_ten_crop=False", "strategy='one_device'"]


@pytest.fixture(scope="module")
def source(data_dir, tmp_path_factory):
    """A tiny finished run of the small-image AlexNet on three CIFAR-10 classes, its runs folder,
    and four other classes to fine-tune on."""
    root = tmp_path_factory.mktemp("finetune")
    images = link_cifar(data_dir, root / "source", SOURCE_CLASSES, 40, 8)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNS_DIR", str(root / "runs"))
        # float32, where the target runs mixed_bfloat16: loading the source must not change the target's policy.
        run_dir = train.run(train.resolve_config(CONFIG, [f"dataset='{images}'", "num_classes=3", *QUICK,
                                                          "precision='float32'"]), verbose=False)
    return run_dir, link_cifar(data_dir, root / "target", TARGET_CLASSES, 40, 8)


def _target_config(target, run_id, *more):
    return train.resolve_config(CONFIG, [f"dataset='{target}'", "num_classes=4", f"init_from='{run_id}'",
                                         "lr=0.002", *QUICK, *more])


def test_every_layer_but_fc8_starts_from_the_source(source, monkeypatch):
    run_dir, _ = source
    monkeypatch.setenv("RUNS_DIR", str(run_dir.parent))
    import keras

    from alexnet.model import build_model, set_precision
    trained = evaluate.load_model(run_dir)
    set_precision("mixed_bfloat16")
    fresh = build_model("cifar_alexnet", 4, 32, init="he")
    line = finetune.initialise(fresh, run_dir.name)
    assert keras.config.dtype_policy().name == "mixed_bfloat16"   # the source's float32 left no trace
    assert line.startswith(f"fine-tuning from run {run_dir.name} ({run_dir}): ")
    with_weights = [layer.name for layer in fresh.layers if layer.weights]
    assert with_weights[-1] == "fc8" and len(with_weights) > 5
    for name in with_weights[:-1]:
        for mine, theirs in zip(fresh.get_layer(name).get_weights(), trained.get_layer(name).get_weights()):
            np.testing.assert_array_equal(mine, theirs)
    assert fresh.get_layer("fc8").kernel.shape[-1] == 4        # the target's classes, drawn afresh
    copied = sum(w.size for name in with_weights[:-1] for w in trained.get_layer(name).get_weights())
    assert f"{copied:,} weights copied" in line


def test_a_fine_tuning_run_trains_from_the_source_and_a_resume_keeps_its_weights(source, monkeypatch):
    run_dir, target = source
    monkeypatch.setenv("RUNS_DIR", str(run_dir.parent))
    config = _target_config(target, run_dir.name)
    tuned = train.run(config, verbose=False)
    log = (tuned / "log.txt").read_text()
    assert f"fine-tuning from run {run_dir.name}" in log
    assert json.loads((tuned / "config.json").read_text())["init_from"] == run_dir.name
    assert json.loads((tuned / "provenance.json").read_text())["init_from_folder"] == str(run_dir)
    metrics = np.genfromtxt(tuned / "metrics.csv", delimiter=",", names=True)
    assert metrics["train_loss"][-1] < metrics["train_loss"][0]
    assert (tuned / "eval.json").exists()
    # Resumed from its checkpoint, the run must not copy the source's weights over its own.
    (tuned / "done").unlink()

    def no_copy(*args, **kwargs):
        raise AssertionError("a resumed run took the source's weights again")

    monkeypatch.setattr(finetune, "initialise", no_copy)
    monkeypatch.setattr(finetune, "check_source", no_copy)   # nor need the source: it may be gone by now
    assert train.run(config, tuned, verbose=False) == tuned
    assert "resuming" in (tuned / "log.txt").read_text().split(log)[-1]


def test_a_bfloat16_model_folder_exported_from_the_source_run_serves_as_the_source(source, monkeypatch, tmp_path):
    run_dir, _ = source
    from alexnet import export
    from alexnet.model import build_model
    # As models/ holds them: weights rounded to bfloat16. The run folder is gone: a new machine.
    export.export_model_folder(run_dir, tmp_path / "models" / "source", weights="bfloat16", command="test")
    monkeypatch.setenv("RUNS_DIR", str(tmp_path / "elsewhere"))
    assert finetune.source_folder(run_dir.name, tmp_path / "models") == tmp_path / "models" / "source"
    fresh = build_model("cifar_alexnet", 4, 32, init="he")
    assert "weights copied" in finetune.initialise(fresh, run_dir.name, tmp_path / "models")
    kernel = fresh.get_layer("conv1").kernel.numpy()
    assert kernel.dtype == np.float32 and np.array_equal(kernel, kernel.astype("bfloat16").astype(np.float32))


def test_a_missing_source_is_one_line_before_any_run_folder(source, monkeypatch, tmp_path, capsys):
    _, target = source
    monkeypatch.setenv("RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(finetune, "MODELS_DIR", tmp_path / "models")
    argv = ["--config", str(CONFIG), f"dataset='{target}'", "num_classes=4", "init_from='20260101T000000Z-x-0'",
            *QUICK]
    assert train.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: init_from='20260101T000000Z-x-0': {tmp_path / 'runs' / '20260101T000000Z-x-0'} does "
                   f"not exist and no model folder under {tmp_path / 'models'} was exported from that run; train "
                   "it first, or export it with `python -m alexnet.export RUN models/NAME --model-folder`"]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_another_network_or_an_unfinished_source_is_one_line_before_any_run_folder(source, monkeypatch,
                                                                                   tmp_path, capsys):
    run_dir, target = source
    runs = run_dir.parent
    monkeypatch.setenv("RUNS_DIR", str(runs))
    before = set(runs.iterdir())
    argv = ["--config", str(CONFIG), f"dataset='{target}'", "num_classes=4", f"init_from='{run_dir.name}'", *QUICK]
    assert train.main([*argv, "towers='one_half'"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: init_from='{run_dir.name}': towers is 'one_half' here but 'one' in the source network; "
        "fine-tuning needs the same network as the source"]
    (run_dir / "done").rename(run_dir / "done.kept")          # the source, unfinished
    try:
        assert train.main(argv) == 2
    finally:
        (run_dir / "done.kept").rename(run_dir / "done")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{run_dir} is not finished and no model folder" in err[0]
    assert set(runs.iterdir()) == before


def test_another_network_is_refused_naming_the_layer(source, monkeypatch):
    run_dir, _ = source
    monkeypatch.setenv("RUNS_DIR", str(run_dir.parent))
    from alexnet.model import build_model
    other = build_model("cifar_alexnet", 4, 32, init="he", towers="one_half")
    with pytest.raises(ConfigError, match=r"init_from='.*': layer conv1 has weights of shapes \[\(5, 5, 3, 32\), "
                                          r"\(32,\)\], the source's are \[\(5, 5, 3, 64\), \(64,\)\]"):
        finetune.initialise(other, run_dir.name)


def test_init_from_must_name_a_run():
    with pytest.raises(ConfigError, match="init_from must be a run id"):
        train.resolve_config(CONFIG, ["init_from=3"])
