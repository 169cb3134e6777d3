"""The epoch loop: train, validate on the held-out split, adjust the learning rate,
record, checkpoint.

One epoch, as the loop below runs it:
  1. the epoch's data in the order fixed by (seed, epoch), minus the steps a
     resumed run already did (one iterator runs through all remaining epochs);
  2. training steps, each at the schedule's rate (warm-up, cosine), with a
     progress bar, a TensorBoard point every 10 steps, a stop at the first
     non-finite loss, the stuck-at-chance guard (`monitor.ChanceGuard`), and a
     checkpoint every `checkpoint_every_minutes` (or `checkpoint_every_steps`);
  3. every `val_every_epochs`, evaluation (centre crop) on the HELD-OUT part of
     the training set, which the plateau rule reads; one row in metrics.csv and
     TensorBoard, then the end-of-epoch checkpoint.
The reported split (val/test) is never read here: `train.py` evaluates it
once, after the last epoch. The loop works through the Trainer's methods
(`trainer.py`); where training stands lives in the Trainer's checkpoint.
Only the chief (worker 0) writes records; every worker checkpoints, because a
save is a collective operation under MultiWorkerMirroredStrategy.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from alexnet import inputs, monitor, records
from alexnet.defaults import option
from alexnet.trainer import STATS, Trainer, check_finite, summarise

# tf.summary.scalar needs the tensorboard package, which TensorFlow 2.21 no
# longer depends on (requirements.txt installs it only to view runs); a scalar
# summary is a float tensor tagged for the scalars plugin, which TF writes alone.
_SCALAR = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


@dataclass
class Job:
    """What the epoch loop needs: the config, the trainer (and its `dist`), this worker's data."""

    config: dict
    trainer: Trainer
    train_source: Any
    heldout_source: Any  # None: nothing is evaluated during training
    stats: Any           # the colour statistics
    steps: int           # global steps per epoch


def _scalar(name: str, value: float) -> None:
    tf.summary.write(name, tf.constant(float(value), tf.float32), metadata=_SCALAR)


class _Clock:
    """Training seconds (this epoch, whole run) and wall seconds, carried over resumes."""

    def __init__(self, seconds: dict, mid_epoch: bool):
        self.train_s, self.wall_s = seconds["train_s"], seconds["wall_s"]
        self.epoch_train_s = seconds["epoch_train_s"] if mid_epoch else 0.0
        self.tick = time.time()

    def lap(self, training: bool = True) -> None:
        now = time.time()
        if training:
            self.epoch_train_s += now - self.tick
            self.train_s += now - self.tick
        self.wall_s += now - self.tick
        self.tick = now

    def seconds(self) -> dict:
        return {"train_s": self.train_s, "wall_s": self.wall_s, "epoch_train_s": self.epoch_train_s}


def fit(job: Job, run_dir: Path, log: Callable[[str], None], verbose: bool) -> None:
    """Trains from where the restored checkpoint left off until `epochs` are done.

    Raises:
      trainer.TrainingDiverged: a non-finite loss or weights.
      monitor.StuckAtChance: the loss stayed at ln(classes) and the guard's action is 'stop'.
    """
    config, trainer, dist = job.config, job.trainer, job.trainer.dist
    manager = trainer.manager(dist.checkpoint_dir(run_dir))
    writer = (tf.summary.create_file_writer(str(run_dir / "tb")) if dist.chief
              else tf.summary.create_noop_writer())
    heldout = None
    if job.heldout_source is not None:
        heldout = trainer.distribute(lambda b: inputs.eval_dataset(config, job.heldout_source, b, job.stats))
    every = config["checkpoint_every_steps"]
    timer = monitor.SaveTimer(option(config, "checkpoint_every_minutes"))
    share = dist.flag_sharer()
    guard = monitor.ChanceGuard(config["num_classes"], option(config, "chance_guard_steps"))
    epoch, start = trainer.position()
    sums = trainer.epoch_sums() if start else np.zeros(len(STATS))
    clock = _Clock(trainer.seconds(), mid_epoch=start > 0)
    if epoch < config["epochs"]:
        data = iter(trainer.distribute_epochs(
            lambda b, e: inputs.train_dataset(config, job.train_source, b, e, job.stats),
            epoch, config["epochs"], skip_batches=start, take_batches=job.steps))
    while epoch < config["epochs"]:
        lr = trainer.schedule.rate(trainer.global_step(), job.steps)
        if verbose:
            # Warm-up and cosine move the rate within an epoch: say where it starts and ends.
            last = trainer.schedule.rate(trainer.global_step() + job.steps - 1 - start, job.steps)
            rates = f"lr {lr:g}" if last == lr else f"lr {lr:g} at its first step, {last:g} at its last"
            print(f"epoch {epoch + 1}/{config['epochs']} ({rates})", flush=True)
        # On a terminal the bar redraws twice a second; in a log file, a line every 30 s.
        bar = keras.utils.Progbar(job.steps, verbose=1 if verbose else 0,
                                  interval=0.5 if sys.stdout.isatty() else 30.0,
                                  stateful_metrics=["loss", "top1_err", "lr"])
        bar.update(start)
        clock.lap(training=False)
        for step in range(start, job.steps):
            lr = trainer.set_learning_rate(job.steps)
            batch = trainer.train_step(data).numpy()
            check_finite(batch, epoch, step)
            sums += batch
            clock.lap()
            running = summarise(sums)
            bar.update(step + 1, [("loss", running["loss"]), ("top1_err", running["top1_err_pct"]),
                                  ("lr", lr)])
            step_loss = batch[0] / max(batch[3], 1)
            if trainer.global_step() % 10 == 0:
                with writer.as_default(step=trainer.global_step()):
                    _scalar("train/step_loss", step_loss)
                    _scalar("train/lr", lr)
            _check_chance(guard, step_loss, config, log)
            if step + 1 < job.steps and _save_due(share, timer, every, step):
                trainer.save(manager, epoch, step + 1, sums, clock.seconds())
                timer.reset()
                clock.lap(training=False)
        row, next_lr = _end_of_epoch(job, epoch, lr, sums, clock, heldout)
        if dist.chief:
            # The row first, then the checkpoint: a kill in between repeats the
            # epoch's end, and append_metrics replaces the row.
            records.append_metrics(run_dir, row)
            with writer.as_default(step=epoch + 1):
                for key, value in row.items():
                    if key != "epoch" and value != "":
                        _scalar(f"epoch/{key}", value)
            writer.flush()
        log(_epoch_line(row, next_lr))
        epoch, start, sums = epoch + 1, 0, np.zeros(len(STATS))
        clock.epoch_train_s = 0.0
        trainer.save(manager, epoch, 0, sums, clock.seconds())
        timer.reset()


def _save_due(share, timer: monitor.SaveTimer, every_steps: int, step: int) -> bool:
    """Whether to checkpoint after `step`: by time when a cadence in minutes is set
    (it takes precedence over `checkpoint_every_steps`), else by steps.

    Under several workers every one must take part in a save, so the chief's
    clock decides, shared every 20 steps (one small all-reduce).
    """
    if timer.every_s <= 0:
        return bool(every_steps) and (step + 1) % every_steps == 0
    if share is bool:  # one worker
        return timer.due()
    return (step + 1) % 20 == 0 and share(timer.due())


def _check_chance(guard: monitor.ChanceGuard, step_loss: float, config: dict, log) -> None:
    message = guard.update(step_loss)
    if message is None:
        return
    if option(config, "chance_guard_action") == "stop":
        raise monitor.StuckAtChance(message)
    log(f"warning: {message} (continuing: chance_guard_action='warn')")


def _end_of_epoch(job: Job, epoch: int, lr: float, sums, clock: _Clock, heldout) -> tuple[dict, float]:
    """Evaluates on the held-out split and updates the schedule; returns the epoch's
    metrics row and the rate the schedule continues from."""
    train = summarise(sums)
    # `val_every_epochs` (data scaling: many tiny epochs) evaluates every n-th and the last
    # epoch; in between the plateau schedule waits, as its patience counts evaluations.
    every = option(job.config, "val_every_epochs")
    evaluate = heldout is not None and ((epoch + 1) % every == 0 or epoch + 1 == job.config["epochs"])
    held = (job.trainer.evaluate(heldout) if evaluate
            else dict.fromkeys(("loss", "top1_err_pct", "top5_err_pct")))
    job.trainer.schedule.update(epoch + 1, held["top1_err_pct"])
    clock.lap(training=False)
    row = {"epoch": epoch + 1, "lr": lr, "train_loss": train["loss"],
           "train_top1_err_pct": train["top1_err_pct"], "train_top5_err_pct": train["top5_err_pct"],
           "heldout_loss": held["loss"], "heldout_top1_err_pct": held["top1_err_pct"],
           "heldout_top5_err_pct": held["top5_err_pct"],
           "images_per_s": sums[3] / max(clock.epoch_train_s, 1e-9), "wall_s": clock.wall_s}
    return {k: "" if v is None else v for k, v in row.items()}, job.trainer.schedule.value


def _epoch_line(row: dict, next_lr: float) -> str:
    held = (f"held-out loss {row['heldout_loss']:.4f}, held-out top-1 {row['heldout_top1_err_pct']:.2f}% "
            f"top-5 {row['heldout_top5_err_pct']:.2f}%" if row["heldout_loss"] != "" else "not evaluated")
    line = (f"epoch {row['epoch']}: loss {row['train_loss']:.4f}, "
            f"train top-1 {row['train_top1_err_pct']:.2f}%, {held}, {row['images_per_s']:.1f} img/s, "
            f"lr {row['lr']:g}")
    return line + (f" -> {next_lr:g}" if next_lr < 0.999 * row["lr"] else "")
