"""The paper's optimisation (section 5): SGD, momentum, coupled weight decay, lr drops.

The update rule of Krizhevsky et al. (2012), for every weight w:

    v <- 0.9 v - 0.0005 * eps * w - eps * dL/dw
    w <- w + v

Weight decay here is an L2 term inside the gradient, so it passes through the
momentum: the gradient of L + 0.5 * wd * ||w||^2 is dL/dw + wd * w, and Keras'
SGD (v <- m v - eps g; w <- w + v) then performs exactly the update above. This
is NOT Keras' `weight_decay=` option, which decouples the decay from momentum
(w <- w - eps * wd * w after the step, AdamW style).

Only weights (kernels) are decayed, not biases: the paper's update is written for
"w", and its cuda-convnet layer files give the weights `wc=0.0005` and the biases
no decay term.

The learning rate starts at `lr` and is divided by 10 "when the validation error
rate stopped improving with the current learning rate", at most three times
(`PlateauSchedule`); `lr_schedule='step'` drops at fixed epochs instead. The
"validation error" the plateau rule reads is that of a held-out part of the
training set (`holdout_fraction`), never the reported split.

Additions for small datasets, off in the paper's config: `lr_schedule='cosine'`
(half a cosine from `lr` to 0 over the run, per step), and a linear warm-up
over `warmup_epochs` for every schedule. Both set the rate per step, so they
work with the few dozen steps per epoch of Imagenette, where a plateau rule
that looks once an epoch has too little to go on.
Schedule state lives in tf.Variables so a checkpoint carries it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import tensorflow as tf

from alexnet.config import ConfigError
from alexnet.defaults import option

SCHEDULES = ("plateau", "step", "cosine")


def make_optimizer(config: dict, precision: str, learning_rate: float = 0.01) -> keras.optimizers.Optimizer:
    """SGD with momentum; under mixed_float16, wrapped in a LossScaleOptimizer.

    Build it inside the strategy scope, like the model. The rate is the schedule's:
    the Trainer passes its value, then sets the rate from it before every step.
    """
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=config["momentum"])
    if precision == "mixed_float16":
        # float16 gradients underflow without loss scaling; bfloat16 has float32's range.
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def weight_decay_loss(kernels, weight_decay: float) -> tf.Tensor:
    """0.5 * wd * sum ||w||^2 over the kernels: its gradient is wd * w (the coupled decay)."""
    if not weight_decay or not kernels:
        return tf.constant(0.0)
    return 0.5 * weight_decay * tf.add_n([tf.reduce_sum(tf.square(tf.cast(w, tf.float32)))
                                          for w in kernels])


@dataclass(frozen=True)
class ScheduleSettings:
    """The schedule's config keys, read once."""

    kind: str                     # lr_schedule
    lr: float                     # the starting rate
    factor: float                 # lr_drop_factor
    patience: int                 # plateau_patience (evaluations)
    min_delta: float              # plateau_min_delta (percentage points)
    max_drops: int                # max_lr_drops
    drop_epochs: tuple[int, ...]  # lr_drop_epochs ('step')
    epochs: int
    warmup_epochs: float

    @classmethod
    def from_config(cls, config: dict) -> ScheduleSettings:
        kind = config["lr_schedule"]
        if kind not in SCHEDULES:
            raise ConfigError(f"unknown lr_schedule {kind!r}; expected one of {', '.join(SCHEDULES)}")
        return cls(kind, float(config["lr"]), float(config["lr_drop_factor"]),
                   int(config["plateau_patience"]), float(config["plateau_min_delta"]),
                   int(config["max_lr_drops"]), tuple(int(e) for e in config["lr_drop_epochs"]),
                   int(config["epochs"]), float(option(config, "warmup_epochs")))


class PlateauSchedule(tf.Module):
    """The learning rate's one owner: constant, divided by `factor` when the validation error stalls.

    After each epoch's validation, `update(epoch, val_err)` compares the error with
    the best so far: an improvement of more than `min_delta` (percentage points)
    resets the patience counter; otherwise after `patience` epochs without
    improvement the rate drops, at most `max_drops` times. With schedule 'step'
    the rate instead drops after each epoch listed in `drop_epochs`.

    `rate(step, steps_per_epoch)` gives the rate of one training step: the
    schedule's current value, times the linear warm-up factor during the first
    `warmup_epochs`; with schedule 'cosine', lr * (1 + cos(pi t)) / 2 where t
    runs from 0 after the warm-up to 1 at the last step.
    """

    def __init__(self, config: dict):
        super().__init__(name="lr_schedule")
        self.settings = ScheduleSettings.from_config(config)
        # Unused, but a node of the checkpoint's object graph: kept so that every checkpoint matches.
        self.drop_epochs = list(self.settings.drop_epochs)
        self.lr = tf.Variable(self.settings.lr, dtype=tf.float64, trainable=False, name="lr")
        self.best = tf.Variable(float("inf"), dtype=tf.float64, trainable=False, name="best_val_err")
        self.wait = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_without_improvement")
        self.drops = tf.Variable(0, dtype=tf.int64, trainable=False, name="drops")

    @property
    def value(self) -> float:
        """The current rate, before warm-up and cosine."""
        return float(self.lr.numpy())

    def rate(self, step: int, steps_per_epoch: int) -> float:
        """The learning rate of global step `step` (0-based)."""
        s = self.settings
        warmup = int(round(s.warmup_epochs * steps_per_epoch))
        lr = self.value
        if s.kind == "cosine":
            total = max(1, s.epochs * steps_per_epoch - warmup)
            t = min(max((step - warmup) / total, 0.0), 1.0)
            lr = s.lr * 0.5 * (1.0 + math.cos(math.pi * t))
        if step < warmup:
            lr *= (step + 1) / warmup
        return lr

    def update(self, epoch: int, val_err: float | None) -> bool:
        """Called after epoch `epoch` (1-based, completed) with its validation error
        (None: not evaluated); returns True if the rate was just lowered."""
        s = self.settings
        if s.kind == "step":
            return epoch in s.drop_epochs and self._drop()
        if s.kind == "cosine" or val_err is None:
            return False
        if val_err < float(self.best.numpy()) - s.min_delta:
            self.best.assign(val_err)
            self.wait.assign(0)
            return False
        self.wait.assign_add(1)
        if int(self.wait.numpy()) >= s.patience and int(self.drops.numpy()) < s.max_drops:
            self.wait.assign(0)
            # The error to beat at the new rate is the best seen so far.
            return self._drop()
        return False

    def _drop(self) -> bool:
        self.lr.assign(self.lr * self.settings.factor)
        self.drops.assign_add(1)
        return True

    def state(self) -> dict:
        return {"lr": self.value, "best_val_err": float(self.best.numpy()),
                "epochs_without_improvement": int(self.wait.numpy()), "drops": int(self.drops.numpy())}
