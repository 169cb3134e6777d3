"""A cuda-convnet style network on CIFAR-10: the whole pipeline at CPU scale.

    python -m alexnet.train --config experiments/cifar10_convnet.py

CIFAR-10: 50,000 training and 10,000 test images of 32x32 ('val' is the test
split). Random 24x24 crops and flips for training, centre (and ten) 24x24
crops for evaluation, as Krizhevsky's cuda-convnet CIFAR-10 models did. The
optimiser is the paper's (SGD, momentum 0.9, coupled weight decay 5e-4, batch
128, lr divided by 10 when the validation error stalls), with the paper's
N(0, 0.01) initialisation, which trains at this depth.

Time (measured, 2-core AMX CPU shared with other jobs): ~65 s per epoch of
training (~760 images/s, bfloat16) plus ~10 s validation, so 10 epochs take
~13 min, and the final ten-crop evaluation ~50 s. One epoch reaches 54.5%
top-1 error (centre crop). EXPECTED RESULT after 10 epochs: filled in from the
first full run (results/cifar10/).
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
