"""The paper's optimisation: coupled weight decay through momentum, and the lr schedule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from alexnet import distribute, optim
from alexnet.trainer import Trainer
from alexnet.config import ConfigError, load_config

CONFIG = "experiments/cifar10_convnet.py"
TINY = ["dataset='synthetic:64:16'", "num_classes=4", "batch_size=8", "precision='float32'", "dropout=0.0",
        "strategy='one_device'", "lr=0.05", "weight_decay=0.01", "arch='cifar_convnet'", "image_size=24"]


def _cross_entropy_grads(model, images, labels):
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    return [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def test_training_step_is_the_papers_update_with_coupled_decay_on_kernels_only():
    """v <- 0.9 v - wd*lr*w - lr*dL/dw ; w <- w + v, for kernels; biases get no decay."""
    config = load_config(CONFIG, TINY)
    trainer = Trainer(config, distribute.make_strategy(config))
    lr, wd, mu = config["lr"], config["weight_decay"], config["momentum"]
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(8, 24, 24, 3)).astype(np.float32) * 30, rng.integers(0, 4, 8).astype(np.int32))
               for _ in range(2)]
    data = iter(trainer.distribute(lambda _: tf.data.Dataset.from_tensor_slices(
        (np.stack([b[0] for b in batches]), np.stack([b[1] for b in batches])))))
    variables = trainer.model.trainable_variables
    is_kernel = [v.path.endswith("kernel") for v in variables]
    assert sum(is_kernel) == 5 and len(is_kernel) == 10
    w = [v.numpy() for v in variables]
    velocity = [np.zeros_like(x) for x in w]
    for images, labels in batches:
        grads = _cross_entropy_grads(trainer.model, images, labels)
        velocity = [mu * v - (wd * lr * x if k else 0.0) - lr * g
                    for v, x, g, k in zip(velocity, w, grads, is_kernel)]
        w = [x + v for x, v in zip(w, velocity)]
        trainer.train_step(data)
        for expected, var in zip(w, variables):
            np.testing.assert_allclose(var.numpy(), expected, rtol=2e-4, atol=2e-6)


def test_mixed_float16_gets_loss_scaling_and_bfloat16_does_not():
    config = load_config(CONFIG)
    assert isinstance(optim.make_optimizer(config, "mixed_float16"), keras.optimizers.LossScaleOptimizer)
    plain = optim.make_optimizer(config, "mixed_bfloat16")
    assert isinstance(plain, keras.optimizers.SGD) and plain.momentum == 0.9


def _schedule(**overrides):
    config = {"lr": 0.01, "lr_schedule": "plateau", "lr_drop_factor": 0.1, "plateau_patience": 2,
              "plateau_min_delta": 0.1, "max_lr_drops": 3, "lr_drop_epochs": [2, 4], "epochs": 10}
    config.update(overrides)
    return optim.PlateauSchedule(config)


def test_plateau_divides_lr_by_ten_after_patience_epochs_without_improvement():
    schedule = _schedule()
    lrs = []
    # 50, 40 improve; 40.05 is within min_delta (no improvement); then 45 -> drop.
    for epoch, err in enumerate([50.0, 40.0, 40.05, 45.0, 39.0, 39.0, 39.0], start=1):
        schedule.update(epoch, err)
        lrs.append(schedule.value)
    np.testing.assert_allclose(lrs, [0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001])
    assert schedule.state()["drops"] == 2 and schedule.state()["best_val_err"] == 39.0


def test_plateau_drops_at_most_max_lr_drops_times():
    schedule = _schedule(plateau_patience=1)
    for epoch in range(1, 10):
        schedule.update(epoch, 50.0)
    assert schedule.state()["drops"] == 3
    assert schedule.value == pytest.approx(1e-5)


def test_step_schedule_drops_after_the_listed_epochs():
    schedule = _schedule(lr_schedule="step")
    lrs = []
    for epoch in range(1, 6):
        schedule.update(epoch, 10.0)
        lrs.append(schedule.value)
    np.testing.assert_allclose(lrs, [0.01, 0.001, 0.001, 0.0001, 0.0001])


def test_unknown_schedule_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown lr_schedule 'linear'; expected one of plateau, step, cosine"):
        _schedule(lr_schedule="linear")


def test_cosine_schedule_with_warmup_per_step():
    schedule = _schedule(lr_schedule="cosine", epochs=10, warmup_epochs=2.0)
    steps = 5  # per epoch: 10 warm-up steps, then 40 of cosine
    rates = [schedule.rate(s, steps) for s in range(50)]
    np.testing.assert_allclose(rates[:10], 0.01 * np.arange(1, 11) / 10)
    assert rates[10] == pytest.approx(0.01) and rates[30] == pytest.approx(0.005)
    assert rates[49] == pytest.approx(0.01 * 0.5 * (1 + np.cos(np.pi * 39 / 40)))
    assert all(a >= b for a, b in zip(rates[10:], rates[11:]))  # non-increasing after the warm-up
    assert schedule.update(3, 50.0) is False and schedule.value == 0.01  # no plateau drops


def test_warmup_scales_the_plateau_rate_and_drops_still_apply():
    schedule = _schedule(warmup_epochs=1.0)
    assert schedule.rate(0, 4) == pytest.approx(0.0025) and schedule.rate(4, 4) == pytest.approx(0.01)
    for epoch in (1, 2, 3):
        schedule.update(epoch, 50.0)
    assert schedule.rate(12, 4) == pytest.approx(0.001)
