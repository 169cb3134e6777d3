"""The stuck-at-chance guard and the checkpoint timer, alone and inside a real run."""

import math
import re

import keras
import numpy as np
import pytest

from alexnet import monitor, train, trainer as trainer_lib
from alexnet.config import load_config
from tests.conftest import REPO

CONFIG = "experiments/cifar10_convnet.py"
SYNTHETIC = ["dataset='synthetic:128:32'", "num_classes=4", "batch_size=32", "holdout_fraction=0.0",
             "warmup_epochs=0.0",
             "precision='float32'", "eval_ten_crop=False", "checkpoint_every_steps=0", "strategy='one_device'"]


def _losses(model, steps: int, classes: int = 10, learn: bool = False) -> list[float]:
    """Per-step mean cross-entropy of `model` on separable random batches, with SGD steps if `learn`."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(classes, 8)).astype("float32") * 3
    out = []
    for _ in range(steps):
        y = rng.integers(0, classes, 64)
        x = centres[y] + rng.normal(size=(64, 8)).astype("float32")
        if learn:
            out.append(float(model.train_on_batch(x, y)))
        else:
            out.append(float(keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True).numpy().mean()))
    return out


def test_guard_fires_once_on_a_constant_logit_model():
    constant = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, kernel_initializer="zeros")])
    losses = _losses(constant, 60)
    assert losses[0] == pytest.approx(math.log(10), rel=1e-6)
    guard = monitor.ChanceGuard(10, steps=50)
    messages = [guard.update(x) for x in losses]
    assert all(m is None for m in messages[:49]) and messages[49] is not None
    assert all(m is None for m in messages[50:])  # once
    assert messages[49].startswith("training loss stuck at chance: 2.303 vs ln(10) = 2.303 for 50 steps")


def test_guard_stays_quiet_on_a_learning_model():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = _losses(model, 60, learn=True)
    assert losses[-1] < 0.5 * math.log(10)
    guard = monitor.ChanceGuard(10, steps=50)
    assert all(guard.update(x) is None for x in losses)


def test_guard_needs_consecutive_steps_and_can_be_switched_off():
    guard = monitor.ChanceGuard(4, steps=3)
    chance = math.log(4)
    assert [guard.update(v) for v in (chance, chance, 0.5, chance, chance)] == [None] * 5
    assert guard.update(chance * 1.04) is not None
    off = monitor.ChanceGuard(4, steps=0)
    assert all(off.update(chance) is None for _ in range(100))


def test_save_timer_is_due_at_the_configured_cadence():
    now = [0.0]
    timer = monitor.SaveTimer(2.0, clock=lambda: now[0])
    due = []
    for second in range(0, 601, 30):  # ten minutes, a step every 30 s
        now[0] = float(second)
        if timer.due():
            due.append(second)
            timer.reset()
    assert due == [120, 240, 360, 480, 600]
    assert not monitor.SaveTimer(0.0, clock=lambda: 1e9).due()


def _saves(monkeypatch, overrides) -> list[tuple[int, int]]:
    """(epoch, step in epoch) of every checkpoint a short synthetic run writes."""
    saved = []
    save = trainer_lib.Trainer.save

    def spy(self, manager, epoch, step, sums, seconds):
        saved.append((epoch, step))
        return save(self, manager, epoch, step, sums, seconds)

    monkeypatch.setattr(trainer_lib.Trainer, "save", spy)
    train.run(load_config(REPO / CONFIG, SYNTHETIC + overrides), verbose=False)
    return saved


def test_checkpoints_by_time_in_a_real_run(runs_dir, monkeypatch):
    # 128 images, batch 32: 4 steps per epoch. A cadence far above the run's length
    # saves at epoch ends only; a cadence of ~0 saves after every step.
    assert _saves(monkeypatch, ["epochs=2", "checkpoint_every_minutes=600.0"]) == [(1, 0), (2, 0)]
    every = _saves(monkeypatch, ["epochs=2", "checkpoint_every_minutes=1e-9"])
    assert every == [(0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0)]


def test_stuck_run_stops_with_one_line(runs_dir, capsys):
    # Tiny N(0, 0.01) weights and a learning rate of 1e-9: the logits stay ~0, the loss ln 4.
    code = train.main(["--config", CONFIG, *SYNTHETIC, "epochs=2", "init='paper'", "lr=1e-9",
                       "chance_guard_steps=3", "chance_guard_action='stop'"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert re.fullmatch(r"error: training loss stuck at chance: 1\.\d{3} vs ln\(4\) = 1\.386 for 3 steps; .*"
                        r"training stopped \(chance_guard_action='stop'\), checkpoints kept", err), err


def test_stuck_run_warns_and_continues(runs_dir, capsys):
    code = train.main(["--config", CONFIG, *SYNTHETIC, "epochs=1", "init='paper'", "lr=1e-9",
                       "chance_guard_steps=3", "chance_guard_action='warn'"])
    assert code == 0
    (run_dir,) = runs_dir.iterdir()
    log = (run_dir / "log.txt").read_text()
    assert log.count("warning: training loss stuck at chance") == 1 and "done:" in log
