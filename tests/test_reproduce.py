"""The per-scale driver: what it refuses, and that it reuses finished runs."""

from pathlib import Path

from alexnet import run_folder
from drivers import reproduce


def test_imagenet_without_archives_names_what_it_needs(tmp_path, monkeypatch, capsys, runs_dir):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert reproduce.main(["imagenet2012"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "ILSVRC2012_img_val.tar" in err[0] and "alexnet.data.imagenet prepare" in err[0]
    assert not runs_dir.exists() or not any(runs_dir.iterdir())  # nothing started


def test_a_finished_run_is_reused_not_repeated(runs_dir):
    config = {"experiment": "fv_demo", "seed": 1}
    run_dir = run_folder.new_run_dir("fv_demo", config)
    run_folder.mark_done(run_dir)
    calls = []
    assert run_folder.find_or_run(config, calls.append, "baseline") == run_dir
    assert calls == []
    other = {"experiment": "fv_demo", "seed": 2}
    run_folder.find_or_run(other, lambda c: calls.append(c) or Path("new"), "baseline")
    assert calls == [other]


def test_unknown_override_is_one_line(capsys, runs_dir):
    assert reproduce.main(["cifar10", "learning_rate=0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "learning_rate" in err and "\n" not in err


def test_overrides_reach_the_model_whose_config_has_the_key():
    cnn, fv = reproduce.split_overrides(["epochs=3", "--gmm_components", "64", "seed=1", "fv.holdout_fraction=0.2",
                                         "cnn.holdout_fraction=0.05"])
    assert cnn == ["epochs=3", "seed=1", "holdout_fraction=0.05"]
    assert fv == ["gmm_components=64", "seed=1", "holdout_fraction=0.2"]
