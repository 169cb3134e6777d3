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

import keras
import tensorflow as tf

from alexnet.config import ConfigError
from alexnet.defaults import option

SCHEDULES = ("plateau", "step", "cosine")


def make_optimizer(config: dict, precision: str) -> keras.optimizers.Optimizer:
    """SGD with momentum; under mixed_float16, wrapped in a LossScaleOptimizer.

    Build it inside the strategy scope, like the model.

    Args:
      config: needs lr and momentum.
      precision: the resolved dtype policy.
    """
    optimizer = keras.optimizers.SGD(learning_rate=config["lr"], momentum=config["momentum"])
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


class PlateauSchedule(tf.Module):
    """Learning rate: constant, divided by `factor` when the validation error stalls.

    After each epoch's validation, `update(val_err)` compares the error with the
    best so far: an improvement of more than `min_delta` (percentage points)
    resets the patience counter; otherwise after `patience` epochs without
    improvement the rate drops, at most `max_drops` times. With schedule 'step'
    the rate instead drops after each epoch listed in `drop_epochs`.

    `rate(step, steps_per_epoch)` gives the rate of one training step: the
    schedule's current value, times the linear warm-up factor during the first
    `warmup_epochs`; with schedule 'cosine', lr * (1 + cos(pi t)) / 2 where t
    runs from 0 after the warm-up to 1 at the last step.

    Args:
      config: needs lr, lr_schedule, lr_drop_factor, plateau_patience,
        plateau_min_delta, max_lr_drops, lr_drop_epochs, epochs (and the
        optional warmup_epochs).
    """

    def __init__(self, config: dict):
        super().__init__(name="lr_schedule")
        kind = config["lr_schedule"]
        if kind not in SCHEDULES:
            raise ConfigError(f"unknown lr_schedule {kind!r}; expected one of {', '.join(SCHEDULES)}")
        self.kind = kind
        self.factor = float(config["lr_drop_factor"])
        self.patience = int(config["plateau_patience"])
        self.min_delta = float(config["plateau_min_delta"])
        self.max_drops = int(config["max_lr_drops"])
        self.drop_epochs = [int(e) for e in config["lr_drop_epochs"]]
        self.base_lr = float(config["lr"])
        self.epochs = int(config["epochs"])
        self.warmup_epochs = float(option(config, "warmup_epochs"))
        self.lr = tf.Variable(float(config["lr"]), dtype=tf.float64, trainable=False, name="lr")
        self.best = tf.Variable(float("inf"), dtype=tf.float64, trainable=False, name="best_val_err")
        self.wait = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_without_improvement")
        self.drops = tf.Variable(0, dtype=tf.int64, trainable=False, name="drops")

    @property
    def value(self) -> float:
        return float(self.lr.numpy())

    def rate(self, step: int, steps_per_epoch: int) -> float:
        """The learning rate of global step `step` (0-based)."""
        warmup = int(round(self.warmup_epochs * steps_per_epoch))
        lr = self.value
        if self.kind == "cosine":
            total = max(1, self.epochs * steps_per_epoch - warmup)
            t = min(max((step - warmup) / total, 0.0), 1.0)
            lr = self.base_lr * 0.5 * (1.0 + math.cos(math.pi * t))
        if step < warmup:
            lr *= (step + 1) / warmup
        return lr

    def update(self, epoch: int, val_err: float | None) -> bool:
        """Called after epoch `epoch` (1-based, completed) with its validation error.

        Returns:
          True if the learning rate was just lowered.
        """
        if self.kind == "cosine":
            return False
        if self.kind == "step":
            if epoch in self.drop_epochs:
                return self._drop()
            return False
        if val_err is None:
            return False
        if val_err < float(self.best.numpy()) - self.min_delta:
            self.best.assign(val_err)
            self.wait.assign(0)
            return False
        self.wait.assign_add(1)
        if int(self.wait.numpy()) >= self.patience and int(self.drops.numpy()) < self.max_drops:
            self.wait.assign(0)
            # The error to beat at the new rate is the best seen so far.
            return self._drop()
        return False

    def _drop(self) -> bool:
        self.lr.assign(self.lr * self.factor)
        self.drops.assign_add(1)
        return True

    def state(self) -> dict:
        return {"lr": self.value, "best_val_err": float(self.best.numpy()),
                "epochs_without_improvement": int(self.wait.numpy()), "drops": int(self.drops.numpy())}
