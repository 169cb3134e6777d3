"""SIGKILL a real training process and rerun the same command: it resumes and loses nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from alexnet import records, run_folder
from tests.conftest import REPO

COMMAND = [sys.executable, "-m", "alexnet.train", "--config", "experiments/cifar10_convnet.py",
           "dataset='synthetic:256:32'", "num_classes=4", "epochs=3", "batch_size=32", "image_size=32",
           "precision='float32'", "eval_ten_crop=False", "checkpoint_every_steps=1", "checkpoint_every_minutes=0.0",
           "holdout_fraction=0.0", "strategy='one_device'"]
STEPS_PER_EPOCH = 8


def _start(runs: Path, log: Path) -> subprocess.Popen:
    """Starts the training command; its output goes to `log` (a pipe could fill and block it)."""
    env = {**os.environ, "RUNS_DIR": str(runs), "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "a") as out:
        return subprocess.Popen(COMMAND, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _global_step(run_dir: Path) -> int:
    latest = tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def _weights(run_dir: Path) -> list[np.ndarray]:
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run_dir / "checkpoints")))
    return [reader.get_tensor(k) for k in sorted(reader.get_variable_to_shape_map()) if k.startswith("weights/")]


def test_sigkill_mid_epoch_then_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path):
    reference = _start(tmp_path / "reference", tmp_path / "reference.log")  # alongside, never interrupted
    runs = tmp_path / "runs"
    victim = _start(runs, tmp_path / "run.log")
    deadline = time.time() + 240
    # Kill once a checkpoint inside epoch 2 exists (not at an epoch boundary).
    while time.time() < deadline and victim.poll() is None:
        dirs = list(runs.glob("*")) if runs.exists() else []
        step = _global_step(dirs[0]) if dirs else 0
        if step > STEPS_PER_EPOCH and step % STEPS_PER_EPOCH:
            victim.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    assert victim.wait(timeout=60) == -signal.SIGKILL, "the run ended before it could be killed"
    (run_dir,) = runs.iterdir()
    assert not run_folder.is_done(run_dir)
    killed_at = _global_step(run_dir)
    # An old verdict (as a run that diverged leaves it) does not outlive the run that resumes the folder.
    records.write_json_atomic(run_dir / records.DIVERGED, {"error": "non-finite training loss (nan)"})

    resumed = _start(runs, tmp_path / "run.log")
    assert resumed.wait(timeout=300) == 0, (tmp_path / "run.log").read_text()[-3000:]
    assert reference.wait(timeout=300) == 0, (tmp_path / "reference.log").read_text()[-3000:]
    (whole,) = (tmp_path / "reference").iterdir()
    assert list(runs.iterdir()) == [run_dir], "the rerun must continue the same run folder"
    log = (run_dir / "log.txt").read_text()
    assert f"resuming {run_dir} from ckpt-{killed_at}" in log
    assert f"step {killed_at % STEPS_PER_EPOCH} of {STEPS_PER_EPOCH}" in log
    assert [int(r["epoch"]) for r in records.read_metrics(run_dir)] == [1, 2, 3]
    assert _global_step(run_dir) == 3 * STEPS_PER_EPOCH and run_folder.is_done(run_dir)
    assert not (run_dir / records.DIVERGED).exists()
    for a, b in zip(_weights(whole), _weights(run_dir)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
