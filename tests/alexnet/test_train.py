"""The trainer end to end: a short real run, its record, evaluation, reruns, bad input."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from alexnet import evaluate, loop, records, run_folder, train
from alexnet.config import ConfigError, load_config
from tests.conftest import REPO, link_cifar

CONFIG = "experiments/cifar10_convnet.py"
CLASSES = ("cat", "ship", "truck")
# A few real CIFAR-10 JPEGs per class: the real input pipeline at test size.
N_TRAIN, N_VAL = 64, 16
REAL = ["epochs=3", "batch_size=32", "eval_batch_size=50", "checkpoint_every_steps=2",
        "checkpoint_every_minutes=0.0", "lr=0.01", "num_classes=3", "strategy='one_device'"]
N_HELDOUT = 6  # round(0.1 * 64) per class
SYNTHETIC = ["dataset='synthetic:128:32'", "num_classes=4", "epochs=1", "batch_size=32", "holdout_fraction=0.0",
             "warmup_epochs=0.0",
             "precision='float32'", "eval_ten_crop=False", "checkpoint_every_steps=2",
             "checkpoint_every_minutes=0.0", "strategy='one_device'"]


@pytest.fixture(scope="module")
def tiny_cifar(data_dir, tmp_path_factory) -> str:
    """folder:<tmp> holding links to N_TRAIN + N_VAL CIFAR-10 images of three classes."""
    return link_cifar(data_dir, tmp_path_factory.mktemp("tiny_cifar"), CLASSES, N_TRAIN, N_VAL)


@pytest.fixture(scope="module")
def real_run(tiny_cifar, tmp_path_factory):
    """One short real training run, shared by the tests that read its record."""
    runs = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNS_DIR", str(runs))
        config = load_config(REPO / CONFIG, REAL + [f"dataset='{tiny_cifar}'"])
        run_dir = train.run(config, verbose=False)
    return run_dir, config, runs


def test_short_real_training_lowers_the_loss(real_run):
    rows = records.read_metrics(real_run[0])
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    losses = [float(r["train_loss"]) for r in rows]
    assert losses[-1] < losses[0], losses
    assert float(rows[-1]["heldout_top1_err_pct"]) < 66.7  # better than chance (3 classes)


def test_run_folder_holds_the_whole_record(real_run):
    run_dir, config, runs = real_run
    written = json.loads((run_dir / "config.json").read_text())
    assert run_dir.parent == runs and run_dir.name.endswith(f"-cifar10_convnet-{records.config_hash(written)}")
    assert written["dataset"] == config["dataset"] and written["epochs"] == 3
    with open(run_dir / "metrics.csv") as f:
        assert f.readline().strip() == ",".join(records.METRIC_COLUMNS)
    prov = records.read_json(run_dir / "provenance.json")
    assert prov["git_commit"] and "tensorflow" in prov["packages"] and prov["hardware"]["cpu_cores"]
    assert prov["dataset"]["train"]["n_images"] == 3 * N_TRAIN
    assert prov["dataset"]["trained_on"] == 3 * (N_TRAIN - N_HELDOUT)
    assert prov["dataset"]["heldout"]["n_indices"] == 3 * N_HELDOUT
    assert set(prov["dataset"]["fingerprint"]) == {"n_files", "sha256"}
    assert prov["distribution"]["strategy"] == "OneDeviceStrategy" and prov["precision"] == "mixed_bfloat16"
    # What `make tensorboard` shows: the scalars as TensorBoard itself reads them.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    board = EventAccumulator(str(run_dir / "tb"), size_guidance={"tensors": 0})
    board.Reload()
    assert {"train/step_loss", "train/lr", "epoch/train_loss", "epoch/heldout_top1_err_pct",
            "epoch/images_per_s", "epoch/lr"} <= set(board.Tags()["tensors"])
    assert [e.step for e in board.Tensors("epoch/train_loss")] == [1, 2, 3]
    assert tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
    result = records.read_json(run_dir / "eval.json")
    assert result["n_images"] == 3 * N_VAL and result["split"] == "val" and result["model"] == "cifar_alexnet"
    for crops in ("centre", "ten_crop"):
        assert set(result[crops]) == {"top1_err_pct", "top5_err_pct"}
    assert result["params"] > 0 and result["train_time_s"] > 0 and result["hardware"]["cpu"] is not None
    predictions = np.load(run_dir / "predictions.npz")
    assert predictions["probs"].shape == (3 * N_VAL, 3)
    np.testing.assert_allclose(predictions["probs"].astype(np.float32).sum(axis=1), 1.0, atol=2e-3)
    assert sorted(np.bincount(predictions["labels"])) == [N_VAL] * 3
    assert predictions["paths"][0].startswith("val/")
    # `probs` is the centre crop (as the baseline's whole image), the ten-crop average beside it.
    assert result["saved_predictions"] == "centre" and str(predictions["crops"]) == "centre"
    for key, crops in (("probs", "centre"), ("ten_crop_probs", "ten_crop")):
        wrong = predictions[key].astype(np.float32).argmax(1) != predictions["labels"]
        assert 100 * wrong.mean() == pytest.approx(result[crops]["top1_err_pct"], abs=100 / (3 * N_VAL) + 1e-6)
    assert run_folder.is_done(run_dir)
    assert "done: cifar_alexnet" in (run_dir / "log.txt").read_text()


def test_evaluate_command_reproduces_the_trainers_numbers(real_run):
    run_dir = real_run[0]
    before = records.read_json(run_dir / "eval.json")
    assert evaluate.main([str(run_dir)]) == 0
    after = records.read_json(run_dir / "eval.json")
    for crops in ("centre", "ten_crop"):
        for key in ("top1_err_pct", "top5_err_pct"):
            assert after[crops][key] == pytest.approx(before[crops][key], abs=1e-6)
    assert after["train_time_s"] == pytest.approx(before["train_time_s"], abs=0.2)


def test_test_sizes_are_compared_on_the_heldout_images(real_run, capsys):
    run_dir = real_run[0]
    assert evaluate.main([str(run_dir), "--heldout-test-sizes", "32", "28"]) == 0
    result = records.read_json(run_dir / "heldout_test_sizes.json")
    assert result["split"] == "heldout" and result["n_images"] == 3 * N_HELDOUT and result["trained_size"] == 32
    # At the trained size this is the trainer's own last held-out evaluation (the whole 32 px image).
    last = records.read_metrics(run_dir)[-1]
    assert result["sizes"]["32"]["top1_err_pct"] == pytest.approx(float(last["heldout_top1_err_pct"]), abs=1e-4)
    assert set(result["sizes"]["28"]) == {"top1_err_pct", "top5_err_pct"}
    assert "test crop 28 px: held-out top-1" in capsys.readouterr().out


def test_fit_gap_compares_trained_on_and_heldout_images_in_evaluation_mode(real_run, capsys):
    run_dir = real_run[0]
    assert evaluate.main([str(run_dir), "--fit-gap", "12"]) == 0
    result = records.read_json(run_dir / "fit_gap.json")
    assert result["fit"]["n_images"] == 12 and result["heldout"]["n_images"] == 3 * N_HELDOUT
    last = records.read_metrics(run_dir)[-1]  # the trainer's own last held-out evaluation
    assert result["heldout"]["top1_err_pct"] == pytest.approx(float(last["heldout_top1_err_pct"]), abs=1e-4)
    assert result["gap_top1_pct"] == pytest.approx(
        result["heldout"]["top1_err_pct"] - result["fit"]["top1_err_pct"], abs=0.01)
    assert "trained-on images top-1" in capsys.readouterr().out
    assert evaluate.main([str(run_dir), "--fit-gap", "0"]) == 2
    assert "--fit-gap needs 1 to" in capsys.readouterr().err


def test_skip_if_done_prints_the_finished_run(real_run, monkeypatch, capsys):
    run_dir, config, runs = real_run
    monkeypatch.setenv("RUNS_DIR", str(runs))
    code = train.main(["--config", CONFIG, "--skip-if-done", *REAL, f"dataset='{config['dataset']}'"])
    assert code == 0
    assert f"already done: {run_dir}" in capsys.readouterr().out
    assert len(list(runs.iterdir())) == 1


def test_rerunning_a_finished_config_starts_a_new_folder(runs_dir):
    config = load_config(REPO / CONFIG, SYNTHETIC + ["train_fraction=0.5"])
    first = train.run(config, verbose=False)
    second = train.run(config, verbose=False)
    assert first != second and run_folder.is_done(first) and run_folder.is_done(second)
    subset = records.read_json(first / "provenance.json")["dataset"]["subset"]
    assert subset["n_indices"] == 64 and len(subset["indices_sha256"]) == 16


def test_mid_epoch_resume_continues_exactly(runs_dir, monkeypatch):
    """A run interrupted mid-epoch and rerun ends with the same weights and metrics
    as one never interrupted: step, optimiser slots, dropout RNG and data order resume."""
    config = load_config(REPO / CONFIG, SYNTHETIC + ["epochs=2", "dropout=0.5"])
    whole = train.run(config, run_dir=runs_dir / "whole", verbose=False)
    check, calls = loop.check_finite, []

    def interrupt_at_step_7(stats, epoch, step):
        calls.append(step)
        if len(calls) == 7:  # epoch 2, after the checkpoint at its step 2
            raise KeyboardInterrupt
        check(stats, epoch, step)

    monkeypatch.setattr(loop, "check_finite", interrupt_at_step_7)
    with pytest.raises(KeyboardInterrupt):
        train.run(config, run_dir=runs_dir / "cut", verbose=False)
    monkeypatch.setattr(loop, "check_finite", check)
    assert not run_folder.is_done(runs_dir / "cut")
    cut = train.run(config, run_dir=runs_dir / "cut", verbose=False)
    assert "epoch 2, step 2 of 4" in (cut / "log.txt").read_text()
    for a, b in zip(_weights(whole), _weights(cut)):
        np.testing.assert_array_equal(a, b)
    keys = ("train_loss", "train_top1_err_pct", "heldout_loss", "heldout_top1_err_pct")
    assert [[r[k] for k in keys] for r in records.read_metrics(whole)] == \
        [[r[k] for k in keys] for r in records.read_metrics(cut)]


def _weights(run_dir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run_dir / "checkpoints")))
    return [reader.get_tensor(k) for k in sorted(reader.get_variable_to_shape_map()) if k.startswith("weights/")]


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(runs_dir, capsys):
    overrides = SYNTHETIC + ["lr=1e30", "checkpoint_every_steps=1", "epochs=2"]
    code = train.main(["--config", CONFIG, *overrides])
    err = capsys.readouterr().err.strip()
    assert code == 1
    # Either the loss of a step or the weights checked at the next checkpoint go first.
    assert re.fullmatch(r"error: (non-finite training loss \((nan|inf)\) at epoch 1, step \d+|the weights are no "
                        r"longer finite); training "
                        r"stopped\. The last good checkpoint is kept: \S+\. Lower lr or check the input data\.",
                        err), err
    (run_dir,) = runs_dir.iterdir()
    assert not run_folder.is_done(run_dir) and not records.read_metrics(run_dir)
    # The folder keeps the verdict: the line printed, for a study whose grid the rate bounds.
    assert "error: " + records.read_json(run_dir / train.DIVERGED)["error"] == err
    for weights in _weights(run_dir):
        assert np.isfinite(weights).all()


def _cli(*args, timeout=120):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "alexnet.train", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("override, message", [
    ("epochs=ten", "error: config key 'epochs' expects int (default 45), got 'ten'"),
    ("bogus=1", "error: unknown config key 'bogus'; known keys: "),
    ("arch='vgg'", "error: config key 'arch' must be one of alexnet2012, alexnet2014, cifar_convnet, "
                   "cifar_alexnet, alexnet64, got 'vgg'"),
    ("lr_schedule='plateau' holdout_fraction=0.0", "error: lr_schedule 'plateau' needs holdout_fraction > 0"),
    ("warmup_epochs=60.0", "error: warmup_epochs (60.0) must be below epochs (45)"),
    ("holdout_fraction=None", "error: config key 'holdout_fraction' must be in [0, 1), got None"),
    ("train_fraction=1.5", "error: config key 'train_fraction' must be in (0, 1], got 1.5"),
    ("resize_range=[24,40] pad=0", "error: resize_range [24, 40] must satisfy image_size (32) <= lo <= hi"),
    ("resize_range=[32,40]", "error: resize_range works without padding, got pad=4"),
    ("dataset='folder:/nonexistent'", "error: "),
])
def test_bad_config_fails_at_start_with_one_line(override, message, runs_dir):
    result = _cli("--config", CONFIG, *override.split())
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(message), result.stderr
    assert "Traceback" not in result.stderr and not runs_dir.exists()


def test_missing_config_file_is_one_line(runs_dir):
    result = _cli("--config", "experiments/nope.py")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: config file not found: experiments/nope.py "
                                     "(expected a Python file defining get_config())")


def test_a_run_prints_no_tensorflow_banner_or_log_lines(runs_dir):
    """As a user runs it: no TF_CPP_MIN_LOG_LEVEL set, a fresh process, a real (tiny) training."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-m", "alexnet.train", "--config", CONFIG, "dataset=synthetic:256:64",
                             "epochs=1", "warmup_epochs=0.0", "lr_schedule=cosine", "holdout_fraction=0.0",
                             "eval_ten_crop=False"], cwd=REPO, env={**env, "RUNS_DIR": str(runs_dir)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (run_dir,) = runs_dir.iterdir()
    again = subprocess.run([sys.executable, "-m", "alexnet.evaluate", str(run_dir)], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    noise = [line for line in (result.stdout + result.stderr + again.stdout + again.stderr).splitlines()
             if re.match(r"[IWE]\d{4} |WARNING: All log messages|.*(cuInit|oneDNN|cpu_feature_guard)", line)]
    assert noise == []


def test_eval_images_evaluates_a_balanced_part_and_the_tables_refuse_it(tiny_cifar, runs_dir, tmp_path):
    from reporting import tables
    from reporting.runs import RecordError
    quick = ["epochs=1", "warmup_epochs=0.0", "batch_size=32", "num_classes=3", "strategy='one_device'",
             "eval_ten_crop=False", f"dataset='{tiny_cifar}'"]
    config = train.resolve_config(REPO / CONFIG, quick + ["eval_images=6"])
    run_dir = train.run(config, verbose=False)
    result = json.loads((run_dir / "eval.json").read_text())
    assert result["partial"] is True and result["n_images"] == 6
    labels = np.load(run_dir / "predictions.npz")["labels"]
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2]                # two of each class
    with pytest.raises(RecordError, match=rf"run {run_dir.name} was evaluated on 6 images only \(eval_images"):
        tables.generate(runs_dir, tmp_path / "results", run_ids=[run_dir.name])
    with pytest.raises(RecordError, match="no finished run records"):
        tables.generate(runs_dir, tmp_path / "results")              # not cited by default either
    with pytest.raises(ConfigError, match=r"eval_images=48 is not below the 48 images of"):
        train.run(train.resolve_config(REPO / CONFIG, quick + ["eval_images=48"]), verbose=False)
