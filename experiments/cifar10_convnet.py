"""A cuda-convnet style network on CIFAR-10: the whole pipeline at CPU scale.

    python -m alexnet.train --config experiments/cifar10_convnet.py

CIFAR-10: 50,000 training and 10,000 test images of 32x32 ('val' is the test
split). Random 24x24 crops and flips for training, centre (and ten) 24x24
crops for evaluation, as Krizhevsky's cuda-convnet CIFAR-10 models did. The
optimiser is the paper's (SGD, momentum 0.9, coupled weight decay 5e-4, batch
128, lr divided by 10 when the validation error stalls). EXPECTED RESULT and
timing are filled in from the lead's full run.
"""

from experiments.common import base_config


def get_config() -> dict:
    config = base_config()
    config.update(
        experiment="cifar10_convnet",
        dataset="cifar10",
        num_classes=10,
        arch="cifar_convnet",
        image_size=24,
        resize=32,
        pca_std=0.0,
        precision="mixed_bfloat16",
        epochs=10,
        plateau_patience=1,
        checkpoint_every_steps=100,
        eval_batch_size=500,
    )
    return config
