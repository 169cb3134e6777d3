"""`python -m baselines.run` end to end on a few hundred CIFAR-10 images, and its errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("cyvlfeat")

from alexnet import records, run_folder  # noqa: E402
from alexnet.config import load_config  # noqa: E402
from baselines import run as fv_run  # noqa: E402
from tests.conftest import REPO  # noqa: E402

CONFIG = "experiments/fv_cifar10.py"
PER_CLASS = {"train": 50, "val": 20}


@pytest.fixture(scope="module")
def tiny_cifar(tmp_path_factory, data_dir):
    """A class-folder tree of symlinks to 50 train / 20 val CIFAR-10 images per class."""
    root = tmp_path_factory.mktemp("tiny_cifar")
    for split, source_split in (("train", "train"), ("val", "test")):
        src = data_dir / "cifar10" / source_split
        for cls in sorted(os.listdir(src)):
            (root / split / cls).mkdir(parents=True)
            for name in sorted(os.listdir(src / cls))[:PER_CLASS[split]]:
                (root / split / cls / name).symlink_to(src / cls / name)
    return root


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fv_cache")


def _config(tiny_cifar, cache_dir, *overrides):
    from baselines.defaults import fv_optional_config
    return load_config(CONFIG, [f"dataset='folder:{tiny_cifar}'", f"cache_dir='{cache_dir}'",
                                "gmm_components=16", "gmm_images=100", "gmm_samples=20000",
                                "svm_alphas=[1e-4, 1e-3, 1e-2]", "svm_epochs=15", "cache_shard_size=64",
                                "workers=2", "progress=False", *overrides], fv_optional_config())


@pytest.fixture(scope="module")
def first_run(tiny_cifar, cache_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
        return fv_run.run(_config(tiny_cifar, cache_dir))


def test_end_to_end_is_clearly_above_chance(first_run):
    result = json.loads((first_run / "eval.json").read_text())
    # Chance is 90% top-1 and 50% top-5 error on 10 classes.
    assert result["centre"]["top1_err_pct"] < 70.0
    assert result["centre"]["top5_err_pct"] < 25.0
    assert result["model"] == "dsift_colour_fv_svm" and result["split"] == "val" and result["ten_crop"] is None
    assert result["n_images"] == 200
    # Two channels (SIFT and colour statistics), each 2 K D long.
    assert result["fv_dim"] == 2 * 2 * 16 * 64 and result["params"] == 2 * 2 * 16 * 64 * 10 + 10
    assert {"cpu", "cpu_cores"} <= set(result["hardware"])
    assert result["train_time_s"] > 0 and result["timings"]["reused_cache"] is False
    assert sum(row["chosen"] for row in result["svm_selection"]) == 1


def test_run_record_has_the_shared_format(first_run):
    assert run_folder.is_done(first_run)
    config = json.loads((first_run / "config.json").read_text())
    assert config["model"] == "dsift_colour_fv_svm" and config["colour"] and config["train_fraction"] == 1.0
    assert (first_run / "provenance.json").exists()
    rows = records.read_metrics(first_run)
    assert len(rows) == 1 and rows[0]["epoch"] == "1"
    assert float(rows[0]["val_top1_err_pct"]) == pytest.approx(
        json.loads((first_run / "eval.json").read_text())["centre"]["top1_err_pct"])
    assert float(rows[0]["train_top1_err_pct"]) >= 0.0
    # The CIFAR-10 config's solver (fair_svm_settings): exact, streamed, at every size.
    assert json.loads((first_run / "eval.json").read_text())["svm_solver"] == "batched"
    with np.load(first_run / "predictions.npz") as p:
        assert p["probs"].shape == (200, 10) and p["labels"].shape == (200,)
        np.testing.assert_array_equal(p["labels"], np.repeat(np.arange(10), 20))
        assert len(p["class_names"]) == 10 and len(p["paths"]) == 200
    with np.load(first_run / "train_subset.npz") as s:
        assert len(s["indices"]) == 500 and set(s["holdout"]) <= set(s["indices"])


def test_subset_run_reuses_the_cached_vectors(first_run, tiny_cifar, cache_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_DIR", str(tmp_path / "runs"))
    shards = sorted(cache_dir.rglob("shard-*.npy"))
    stamps = [p.stat().st_mtime_ns for p in shards]
    run_dir = fv_run.run(_config(tiny_cifar, cache_dir, "train_fraction=0.5", "subset_seed=1",
                                 "svm_select_fraction=0.5"))
    assert [p.stat().st_mtime_ns for p in sorted(cache_dir.rglob("shard-*.npy"))] == stamps
    result = json.loads((run_dir / "eval.json").read_text())
    assert result["timings"]["reused_cache"] is True
    assert result["train_subset"] == {**result["train_subset"], "fraction": 0.5, "seed": 1, "n_images": 250}
    # The C search trained on half of the 22 non-held-out images per class; the
    # final model keeps that C = 1 / (alpha n) on the 220 images the CNN would train
    # on (the config's svm_refit_with_holdout=False leaves the held-out 3 per class out).
    chosen = next(row for row in result["svm_selection"] if row["chosen"])
    assert chosen["final_alpha"] == pytest.approx(chosen["alpha"] * 110 / 220)
    assert chosen["C"] == pytest.approx(1 / (chosen["alpha"] * 110))
    with np.load(run_dir / "train_subset.npz") as s:
        assert np.bincount(np.asarray(s["indices"]) // 50).tolist() == [25] * 10  # class-balanced


def test_extraction_resumes_and_is_deterministic(first_run, tiny_cifar, cache_dir):
    config = _config(tiny_cifar, cache_dir)
    train, val = fv_run._sources(config)
    cache = fv_run.prepare_cache(config, train, val)
    shard = cache["train"]
    before = np.load(shard.vectors_path(2))
    shard.meta_path(2).unlink()  # as if killed while writing shard 2
    again = fv_run.prepare_cache(config, train, val)
    assert again["extract"]["train"]["images"] == len(shard.shard_indices(2))
    assert again["extract"]["val"]["images"] == 0 and again["fit_s"] == 0.0
    np.testing.assert_array_equal(np.load(shard.vectors_path(2)), before)


def test_encoder_only_then_shard_fill_only_their_part(tiny_cifar, tmp_path, capsys):
    cache = tmp_path / "cache"
    args = ["--config", CONFIG, f"dataset='folder:{tiny_cifar}'", f"cache_dir='{cache}'", "gmm_components=4",
            "gmm_images=20", "gmm_samples=2000", "cache_shard_size=64", "workers=1", "progress=False"]
    assert fv_run.main(["--encoder-only", *args]) == 0
    assert len(list(cache.rglob("encoder.npz"))) == 1 and not list(cache.rglob("shard-*"))
    assert fv_run.main(["--shard", "1/2", *args]) == 0
    done = sorted(p.name for p in cache.rglob("shard-*.meta.npz") if p.parent.name.startswith("train"))
    assert done == ["shard-00001.meta.npz", "shard-00003.meta.npz", "shard-00005.meta.npz",
                    "shard-00007.meta.npz"]
    assert "train: encoded 244 images; 4 shards of 8 still missing" in capsys.readouterr().out


@pytest.mark.parametrize("override,message", [
    ("colour_space=rgb", "unknown config key 'colour_space'"),
    ("cache_dtype='float64'", "cache_dtype' must be one of float16, int8"),
    ("train_fraction=1.5", "train_fraction' must be in (0, 1]"),
    ("gmm_components=0", "gmm_components' must be positive"),
    ("svm_solver='newton'", "svm_solver' must be one of auto, sgd, liblinear"),
    ("dataset='folder:/nonexistent/fv'", "/nonexistent/fv"),
])
def test_bad_config_or_data_fails_with_one_line(override, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_DIR", str(tmp_path / "runs"))
    rc = fv_run.main(["--config", CONFIG, override, "progress=False"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_bad_shard_argument(capsys):
    assert fv_run.main(["--config", CONFIG, "--shard", "3/3"]) == 2
    assert "0 <= i < N" in capsys.readouterr().err


def test_the_command_line_says_one_thing_when_data_or_vlfeat_is_missing(tmp_path, monkeypatch, capsys):
    # As a user sees it: a fresh process, so TensorFlow's start-up banner would show if it leaked.
    env = {**os.environ, "RUNS_DIR": str(tmp_path / "runs")}
    result = subprocess.run([sys.executable, "-m", "baselines.run", "--config", CONFIG, "--dataset",
                             "folder:/nonexistent/fv"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 2 and result.stderr.splitlines() == [
        "error: dataset root /nonexistent/fv does not exist or is not a folder; "
        "expected <root>/<split>/<class>/*.jpg|*.jpeg|*.png"]
    from baselines import descriptors
    monkeypatch.setattr(descriptors, "dsift", None)  # as on a machine without VLFeat
    assert fv_run.main(["--config", CONFIG]) == 2
    assert capsys.readouterr().err.strip() == "error: " + descriptors.VLFEAT_MISSING


def test_a_cell_fits_its_encoder_on_its_own_images_and_learns_from_the_cnns(tiny_cifar, cache_dir, tmp_path,
                                                                              monkeypatch):
    from alexnet import inputs, train
    monkeypatch.setenv("RUNS_DIR", str(tmp_path / "runs"))
    cell = ["train_fraction=0.5", "subset_seed=1", "encoder_fit='cell'", "svm_refit_with_holdout=False"]
    run_dir = fv_run.run(_config(tiny_cifar, cache_dir, *cell))
    result = json.loads((run_dir / "eval.json").read_text())
    assert result["train_subset"]["encoder_fit"] == "cell" and result["train_subset"]["n_images"] == 250
    # The encoder and the cache hold the cell's 250 images only, not the split's 500.
    settings = json.loads((cache_dir / result["cache_key"] / "settings.json").read_text())
    assert settings["train"]["n_images"] == 250 and settings["train"]["selection"]
    # The CNN of the same cell (same fraction, subset seed and held-out split) trains on
    # exactly the images the final SVM learns from.
    cnn = train.resolve_config(REPO / "experiments/cifar10_convnet.py",
                               [f"dataset='folder:{tiny_cifar}'", "train_fraction=0.5", "subset_seed=1",
                                "seed=0"])
    cnn_train = set(inputs.make_sources(cnn).train.positions.tolist())
    with np.load(run_dir / "train_subset.npz") as s:
        fv_final = set(s["indices"].tolist()) - set(s["holdout"].tolist())
    assert fv_final == cnn_train and len(cnn_train) == 220           # 25 a class, 3 held out
    assert result["train_subset"]["final_fit_includes_holdout"] is False


def test_a_tie_among_the_penalties_is_reported():
    from baselines.selection import choice_verdict
    rows = [{"alpha": a, "holdout_top1_err_pct": e} for a, e in ((1e-4, 37.2), (1e-3, 37.2), (1e-2, 37.2))]
    assert choice_verdict(rows, 1e-2) == "tie"
    rows[1]["holdout_top1_err_pct"] = 30.0
    assert choice_verdict(rows, 1e-3) == "interior"
    rows[0]["holdout_top1_err_pct"] = 20.0
    assert choice_verdict(rows, 1e-4) == "edge"
    assert choice_verdict(rows[:1], 1e-4) == "fixed"
