"""alexnet.probe: a trained network's frozen features and a linear classifier on another dataset."""

import json

import numpy as np
import pytest

from alexnet import probe, records, train
from tests.conftest import link_cifar

SOURCE_CLASSES = ("cat", "ship", "truck")
TARGET_CLASSES = ("airplane", "bird", "dog", "frog")   # none of the network's classes


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    """A tiny finished run of the small-image AlexNet on three CIFAR-10 classes, and its runs folder."""
    root = tmp_path_factory.mktemp("probe")
    source = link_cifar(data_dir, root / "source", SOURCE_CLASSES, 40, 8)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNS_DIR", str(root / "runs"))
        config = train.resolve_config(records.REPO_ROOT / "experiments/cifar10_convnet.py",
                                      [f"dataset='{source}'", "num_classes=3", "epochs=2", "warmup_epochs=0.0",
                                       "batch_size=32", "eval_ten_crop=False", "strategy='one_device'"])
        run_dir = train.run(config, verbose=False)
    return run_dir, link_cifar(data_dir, root / "target", TARGET_CLASSES, 30, 10), root


def test_probe_on_other_classes_chooses_c_on_heldout_and_writes_a_record(trained, monkeypatch, capsys):
    run_dir, target, root = trained
    monkeypatch.setenv("RUNS_DIR", str(root / "runs"))
    seen = {}
    real_fit = probe.fit_classifier

    def spy(x_fit, y_fit, x_held, y_held, c_grid, max_iter, extend):
        seen.update(fit=x_fit.shape, held=x_held.shape, held_labels=np.bincount(y_held).tolist())
        return real_fit(x_fit, y_fit, x_held, y_held, c_grid, max_iter, extend)

    monkeypatch.setattr(probe, "fit_classifier", spy)
    assert probe.main([str(run_dir), "--dataset", target, "--layer", "fc7"]) == 0
    (probe_dir,) = [p for p in (root / "runs").iterdir() if "-probe-" in p.name]
    result = json.loads((probe_dir / "eval.json").read_text())
    # fc7 of the small-image AlexNet: 256 features; 30 training images a class, 3 of them held out.
    assert result["feature_dim"] == 256 and seen["fit"] == (4 * 27, 256) and seen["held"] == (4 * 3, 256)
    assert seen["held_labels"] == [3, 3, 3, 3]
    assert result["n_images"] == 40 and set(result["ten_crop"]) == {"top1_err_pct", "top5_err_pct"}
    chosen = [r for r in result["C_selection"] if r["chosen"]]
    assert len(probe.C_GRID) <= len(result["C_selection"]) <= len(probe.C_GRID) + probe.C_EXTEND and len(chosen) == 1
    assert chosen[0]["holdout_top1_err_pct"] == min(r["holdout_top1_err_pct"] for r in result["C_selection"])
    assert result["C_choice"] in ("interior", "edge", "tie")
    assert "airplane" in np.load(probe_dir / "predictions.npz")["class_names"].tolist()
    assert "cifar_alexnet_fc7_probe on folder:" in capsys.readouterr().out

    from reporting import tables
    written = tables.generate(root / "runs", root / "results", run_ids=[probe_dir.name])
    table = [p for p in written if p.name == "summary.md"][0].read_text()
    assert "Small-image AlexNet (CIFAR): fc7 features (frozen) + logistic regression" in table


def test_pool5_features_are_the_flattened_maps(trained):
    run_dir, target, _ = trained
    from alexnet import evaluate, inputs
    from alexnet.model import feature_extractor
    model = evaluate.load_model(run_dir)
    config = records.read_json(run_dir / "config.json")
    stats = evaluate.run_colour_stats(run_dir, config)
    from alexnet import data
    source = data.get_source(target, "val").select(np.arange(5))
    x, y = probe._features(feature_extractor(model, ("pool5",)),
                           inputs.eval_dataset(dict(config, dataset=target), source, 5, stats), "pool5")
    assert x.shape == (5, 4 * 4 * 128) and y.shape == (5,)


@pytest.fixture(scope="module")
def model_folder(trained):
    """The trained run exported as a model folder with bfloat16 weights (as models/ holds them)."""
    from alexnet import export
    run_dir, _, root = trained
    export.export_model_folder(run_dir, root / "models" / "source", weights="bfloat16", command="test")
    return root / "models" / "source"


def test_a_model_folder_probes_as_its_run(trained, model_folder, monkeypatch):
    run_dir, target, root = trained
    monkeypatch.setenv("RUNS_DIR", str(root / "runs-both"))
    configs = {kind: probe.probe_config(folder, target, "fc7", ["study='t'"])
               for kind, folder in (("run", run_dir), ("model", model_folder))}
    # One config, one hash: it names the source run, never the folder it was read from.
    assert configs["run"] == configs["model"] and configs["run"]["probe_of"] == run_dir.name
    assert records.config_hash(configs["run"]) == records.config_hash(configs["model"])

    features, results = {}, {}
    real_features = probe._features
    for kind, folder in (("run", run_dir), ("model", model_folder)):
        seen = features[kind] = []
        monkeypatch.setattr(probe, "_features", lambda *a, seen=seen: seen.append(real_features(*a)) or seen[-1])
        probe_dir = probe.run(configs[kind], folder, root / "runs-both" / kind)
        results[kind] = records.read_json(probe_dir / "eval.json")
        provenance = records.read_json(probe_dir / "provenance.json")
        assert provenance["source_run"] == run_dir.name and provenance["source"]["kind"] == kind
        assert provenance["source"].get("weights") == ("bfloat16" if kind == "model" else None)
    assert len(features["run"]) == len(features["model"]) == 2   # training centre crops, val ten crops
    for (x_run, y_run), (x_model, y_model) in zip(features["run"], features["model"]):
        np.testing.assert_array_equal(y_model, y_run)
        # The run computes in mixed_bfloat16 (bfloat16-rounded weights and activations), the model
        # folder in bfloat16 with the same rounded weights (on CPU the features come out
        # bit-identical). Only the order of accumulation may differ elsewhere, each step within
        # bfloat16's rounding (2**-9 relative): 1e-2 of the features' scale allows that through
        # fc7, while a wrong weight, crop or colour statistic moves them by their whole size.
        assert x_model.shape == x_run.shape
        assert np.abs(x_model - x_run).max() <= 1e-2 * np.abs(x_run).max()
    assert results["model"]["feature_dim"] == results["run"]["feature_dim"] == 256
    assert results["model"]["n_images"] == results["run"]["n_images"] == 40
    for crops in ("centre", "ten_crop"):  # the same classifier's errors, to within one of the 40 images
        assert abs(results["model"][crops]["top1_err_pct"] - results["run"][crops]["top1_err_pct"]) <= 2.5


def test_bad_inputs_are_one_line(trained, tmp_path, capsys):
    run_dir, target, _ = trained
    assert probe.main([str(tmp_path), "--dataset", target]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is neither a run folder (config.json, checkpoints/) nor a model folder" in err
    assert err.count("\n") == 1
    (tmp_path / "config.json").write_text(json.dumps({"experiment": "fisher"}))  # a run, but no network's
    with pytest.raises(probe.ConfigError, match="is not a trained network's run folder"):
        probe.probe_config(tmp_path, target, "fc7")
    with pytest.raises(probe.ConfigError, match="unknown layer 'conv9'"):
        probe.probe_config(run_dir, target, "conv9")
    config = probe.probe_config(run_dir, target, "fc7")
    with pytest.raises(probe.ConfigError, match=f"holds the network of run {run_dir.name}, not of other"):
        probe.run(dict(config, probe_of="other"), run_dir, tmp_path / "probe")


def test_the_c_grid_grows_past_a_winning_end_until_the_choice_is_interior():
    tried = []

    def error(c):        # held-out error lowest at C = 100, above the grid's end
        tried.append(c)
        return abs(np.log10(c) - 2.0)

    rows, best = probe.select_c((1e-2, 1e-1, 1.0), error, extend=3)
    assert [r["C"] for r in rows] == pytest.approx([1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0])
    assert rows[best]["C"] == pytest.approx(100.0) and len(tried) == 6
    # Past the lower end as well; and the extension stops at its budget, leaving an edge.
    rows, best = probe.select_c((1.0, 10.0), lambda c: c, extend=2)
    assert [r["C"] for r in rows] == pytest.approx([1e-2, 1e-1, 1.0, 10.0]) and best == 0
    rows, best = probe.select_c((1.0, 10.0), lambda c: c, extend=0)
    assert len(rows) == 2 and best == 0
    # An interior optimum adds nothing; ties go to the smaller C.
    rows, best = probe.select_c((1e-2, 1e-1, 1.0), lambda c: 0.0 if c == 0.1 else 1.0, extend=3)
    assert len(rows) == 3 and rows[best]["C"] == 0.1
    rows, best = probe.select_c((1e-2, 1e-1, 1.0), lambda c: 5.0 if c < 1 else 6.0, extend=0)
    assert rows[best]["C"] == 0.01
