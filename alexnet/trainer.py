"""The Trainer: model, optimiser, schedule and checkpoint, and the training step
for every strategy (a tf.function around `strategy.run`); `loop.py` drives it
epoch by epoch, and `train.py` sets up the run.

Why not `model.fit`: it fails under MultiWorkerMirroredStrategy with Keras 3.15
(keras-team/keras#20585), while `strategy.run` inside a tf.function works under
every strategy. The step below does what fit would, explicitly: each replica
averages its per-example losses over the GLOBAL batch
(`tf.nn.compute_average_loss`), the replicas' gradients are summed by the
optimiser's all-reduce, so one step at global batch B is the same update on 1,
2 or 64 replicas.

Everything a resumed run needs is in the tf.train.Checkpoint: weights, the
optimiser's momentum slots and iteration counter, the dropout RNG state (a
model variable), the schedule's state, and `Progress` (epoch, step within the
epoch, the epoch's running sums, elapsed times). The data order of an epoch is
fixed by (seed, epoch), so skipping `step` batches continues it exactly. (The
stuck-at-chance guard's count, `monitor.ChanceGuard`, starts afresh.)
"""

from __future__ import annotations

import contextlib
import math
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from alexnet import distribute, model as model_lib, optim
from alexnet.config import ConfigError
from alexnet.defaults import model_switches, option

# Per-step statistics, summed over the global batch.
STATS = ("loss_sum", "top1_correct", "top5_correct", "count")
SECONDS = ("train_s", "wall_s", "epoch_train_s")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class Progress(tf.Module):
    """Where training stands, as variables so the checkpoint carries it."""

    def __init__(self):
        super().__init__(name="progress")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_done")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_in_epoch")
        # The running sums of the unfinished epoch (STATS) and its training seconds.
        self.sums = tf.Variable(tf.zeros([len(STATS)], tf.float64), trainable=False, name="epoch_sums")
        self.epoch_train_s = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="epoch_train_s")
        self.train_s = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="train_s")
        self.wall_s = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="wall_s")


@contextlib.contextmanager
def _quiet_tf_data():
    """Silences the warning tf.data gives whenever tf.distribute reads dataset options in a graph."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="To make it possible to preserve tf.data options")
        yield


def model_weights(model: keras.Model) -> list:
    """Every model variable, in the model's (deterministic) order, for tf.train.Checkpoint.

    A Keras 3 functional model handed to tf.train.Checkpoint directly saves
    none of its own variables (the weights got in only through the optimiser),
    which would lose non-trainable state such as dropout's RNG. Paths are no
    keys either: a second model in the same process gets seed_generator_4.
    """
    return list(model.variables)


def batch_stats(per_example_loss, logits, labels) -> tf.Tensor:
    """[loss sum, top-1 correct, top-5 correct, count] of one batch (float32)."""
    k = min(5, logits.shape[-1])
    top = tf.math.top_k(logits, k).indices
    hit = tf.equal(top, tf.cast(labels, top.dtype)[:, None])
    return tf.stack([tf.reduce_sum(per_example_loss),
                     tf.reduce_sum(tf.cast(hit[:, 0], tf.float32)),
                     tf.reduce_sum(tf.cast(tf.reduce_any(hit, axis=1), tf.float32)),
                     tf.cast(tf.shape(labels)[0], tf.float32)])


def summarise(sums) -> dict:
    """Mean loss and top-1/top-5 error in percent from summed STATS."""
    loss, top1, top5, n = (float(v) for v in sums)
    n = max(n, 1.0)
    return {"loss": loss / n, "top1_err_pct": 100.0 * (1 - top1 / n), "top5_err_pct": 100.0 * (1 - top5 / n)}


def check_finite(stats, epoch: int, step: int) -> None:
    """Raises TrainingDiverged if a step's summed loss is NaN or infinite."""
    if not math.isfinite(float(stats[0])):
        raise TrainingDiverged(f"non-finite training loss ({float(stats[0])}) at epoch {epoch + 1}, "
                               f"step {step + 1}")


class Trainer:
    """Model, optimiser, schedule and checkpoint, built in the strategy's scope.

    `dist` is the run's `distribute.Context`; a bare strategy (as tests and
    scripts/bench_train.py pass) is wrapped in one.
    """

    def __init__(self, config: dict, dist: distribute.Context | tf.distribute.Strategy):
        if not isinstance(dist, distribute.Context):
            dist = distribute.context(config, dist)
        self.config, self.dist, self.strategy = config, dist, dist.strategy
        self.global_batch = config["batch_size"]
        self.per_replica_batch = dist.per_replica_batch(self.global_batch)
        model_lib.set_precision(dist.precision)
        keras.utils.set_random_seed(config["seed"])
        # The one owner of the learning rate: the optimiser's is only ever set from it.
        self.schedule = optim.PlateauSchedule(config)
        with self.strategy.scope():
            self.model = model_lib.build_model(
                config["arch"], config["num_classes"], config["image_size"], dropout=config["dropout"],
                init=config["init"], fc8_std=option(config, "fc8_std"), tower_devices=dist.towers,
                **model_switches(config))
            self.optimizer = optim.make_optimizer(config, dist.precision, self.schedule.value)
            self.optimizer.build(self.model.trainable_variables)
        self.kernels = model_lib.kernel_variables(self.model)
        self.progress = Progress()
        self.checkpoint = tf.train.Checkpoint(weights=model_weights(self.model), optimizer=self.optimizer,
                                              schedule=self.schedule, progress=self.progress)
        self._grads = self._forward_backward
        if config["jit_compile"]:
            # XLA compiles the per-replica forward and backward pass; the
            # optimiser's cross-replica update stays outside it.
            self._grads = tf.function(self._forward_backward, jit_compile=True)
        self.train_step = tf.function(self._train_step)
        self._evaluate = tf.function(self._evaluate_all)

    # ---- steps ---------------------------------------------------------------

    def _forward_backward(self, images, labels):
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.model(images, training=True)
            per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch)
            # The coupled L2 weight decay (optim.py); divided by the replica count
            # because the replicas' gradients are summed.
            decay = optim.weight_decay_loss(self.kernels, self.config["weight_decay"])
            loss += tf.nn.scale_regularization_loss(decay)
            scaled = self.optimizer.scale_loss(loss)
        return tape.gradient(scaled, variables), batch_stats(per_example, logits, labels)

    def _replica_step(self, images, labels):
        grads, stats = self._grads(images, labels)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return stats

    def _train_step(self, iterator):
        images, labels = next(iterator)
        stats = self.strategy.run(self._replica_step, args=(images, labels))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, stats, axis=None)

    def _replica_eval(self, images, labels):
        logits = self.model(images, training=False)
        per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        return batch_stats(per_example, logits, labels)

    def _evaluate_all(self, dist_dataset):
        # Iterating inside the tf.function lets tf.distribute handle the last,
        # partial batch (and workers whose shards end a batch early).
        totals = tf.zeros([len(STATS)], tf.float32)
        for images, labels in dist_dataset:
            stats = self.strategy.run(self._replica_eval, args=(images, labels))
            totals += self.strategy.reduce(tf.distribute.ReduceOp.SUM, stats, axis=None)
        return totals

    def evaluate(self, dist_dataset) -> dict:
        with _quiet_tf_data():
            return summarise(self._evaluate(dist_dataset).numpy())

    def set_learning_rate(self, steps_per_epoch: int) -> float:
        """Sets the optimiser's rate for the next step from the schedule; returns it."""
        lr = self.schedule.rate(self.global_step(), steps_per_epoch)
        self.optimizer.learning_rate = lr
        return lr

    def global_step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    # ---- data ----------------------------------------------------------------

    def steps_per_epoch(self, n_train_images: int) -> int:
        """Global steps per epoch; every worker computes the same number from the
        full training set size, with its shard at least floor(n / workers) images."""
        per_worker = self.per_replica_batch * self.dist.local_replicas
        steps = (n_train_images // self.dist.workers) // per_worker
        if steps < 1:
            raise ConfigError(
                f"batch_size {self.global_batch} is larger than the {n_train_images} training images")
        return steps

    def distribute(self, make_dataset):
        """A distributed dataset from `make_dataset(per_replica_batch)`, this worker's data."""
        return self._from_function(
            lambda context: make_dataset(context.get_per_replica_batch_size(self.global_batch)))

    def distribute_epochs(self, make_epoch, first: int, last: int, skip_batches: int, take_batches: int):
        """One distributed dataset of epochs `first`..`last - 1`, each `take_batches` long.

        One iterator serves the whole run: a fresh iterator per epoch, with
        the last one dropped unfinished, cost ~40 s per Imagenette epoch (tf.data
        tearing down the old pipeline), and tf.data now prepares an epoch's first
        batches while the previous one ends.

        `make_epoch(per_replica_batch, epoch)` gives this worker's dataset of an epoch;
        `skip_batches` global steps of epoch `first` are done already (resume); every
        epoch is cut to `take_batches` global steps, so that all workers stop together.
        """
        local = self.dist.local_replicas

        def fn(context: tf.distribute.InputContext):
            batch = context.get_per_replica_batch_size(self.global_batch)
            parts = [make_epoch(batch, e).take(take_batches * local) for e in range(first, last)]
            parts[0] = parts[0].skip(skip_batches * local)
            ds = parts[0]
            for part in parts[1:]:
                ds = ds.concatenate(part)
            return ds

        return self._from_function(fn)

    def _from_function(self, fn):
        with _quiet_tf_data():
            return self.strategy.distribute_datasets_from_function(fn)

    # ---- checkpoint ----------------------------------------------------------

    def manager(self, directory: Path) -> tf.train.CheckpointManager:
        return tf.train.CheckpointManager(self.checkpoint, str(directory),
                                          max_to_keep=self.config["keep_checkpoints"])

    def restore(self, directory: Path) -> str | None:
        """Restores the newest checkpoint in `directory`; returns its path or None."""
        latest = tf.train.latest_checkpoint(str(directory))
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        return latest

    def save(self, manager: tf.train.CheckpointManager, epoch: int, step: int, sums, seconds: dict) -> str:
        """Saves where training stands (`epoch` epochs done, `step` steps into the next), that
        epoch's running STATS and the SECONDS so far; TrainingDiverged if the weights went bad."""
        if not all(bool(tf.reduce_all(tf.math.is_finite(tf.cast(v, tf.float32))))
                   for v in self.model.trainable_variables):
            raise TrainingDiverged("the weights are no longer finite")
        self.progress.epoch.assign(epoch)
        self.progress.step.assign(step)
        self.progress.sums.assign(np.asarray(sums, np.float64))
        for key in SECONDS:
            getattr(self.progress, key).assign(seconds[key])
        return manager.save(checkpoint_number=self.global_step())

    def position(self) -> tuple[int, int]:
        """(epochs done, steps done in the current epoch), as restored or last saved."""
        return int(self.progress.epoch.numpy()), int(self.progress.step.numpy())

    def epoch_sums(self) -> np.ndarray:
        """The unfinished epoch's running STATS (zeros at an epoch boundary)."""
        return self.progress.sums.numpy().copy()

    def seconds(self) -> dict:
        """The SECONDS as restored or last saved."""
        return {key: float(getattr(self.progress, key).numpy()) for key in SECONDS}
