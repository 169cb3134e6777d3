"""AlexNet's layout at 64 px on Tiny ImageNet-200: ImageNet's breadth at CPU scale.

    python -m alexnet.train --config experiments/tiny_imagenet_alexnet.py

Tiny ImageNet-200 (alexnet/data/tiny_imagenet.py): 200 ImageNet classes,
100,000 training images (10,000 of them, 10% per class, held out for every
decision during training; the network trains on 90,000) and the 10,000
labelled validation images, reported once at the end. Network: `alexnet64`
(alexnet/model.py: the paper's five convolutions and widths, LRN, overlapping
pooling, dropout 0.5 on fc6/fc7, no batch normalisation; conv1 5x5 stride 2
after Mishkin et al. 2016), 16,716,360 parameters. Augmentation: the paper's
scheme at a quarter of its size, random 56 px crops of the 64 px image and
mirrors, PCA colour noise; evaluation on the centre 56 px crop and on ten crops.
Optimiser: the paper's SGD (momentum 0.9, coupled weight decay 5e-4, batch 128)
with the CPU recipes' departures (experiments/cifar10_convnet.py says why):
standardised inputs, He initialisation, linear warm-up then half a cosine.

First run (20261203T132835Z-tiny_imagenet_alexnet-723873bc, 14 epochs, 2-core
AMD EPYC, bfloat16): held-out top-1 error by epoch 97.5, 92.7, 86.9, 82.0,
79.2, 75.9, 73.7, 71.0, 68.8 (epochs 1-9), training error (dropout on, augmented)
a few points above it throughout: underfitting, learning 2-3 points an epoch
by epoch 9 as the cosine decays, far from the 50% the issue asks for. The
training loss starts at 6.97 against ln 200 = 5.30 (He-initialised fc8) and
the first two epochs are nearly lost. Speed: 136-146 images/s in epochs
that ran alone (the bare step: 182), 10.5 min an epoch. The next recipe gets
more passes within the issue's 4 hours (resumable across sessions) and the
input pipeline's share of the step down; see the run's metrics.csv.
"""

from alexnet.defaults import base_config


def get_config() -> dict:
    config = base_config()
    config.update(
        experiment="tiny_imagenet_alexnet",
        dataset="tiny_imagenet",
        num_classes=200,
        arch="alexnet64",
        image_size=56,
        resize=64,
        dropout=0.5,
        init="he",
        input_norm="standardise",
        holdout_fraction=0.1,
        lr=0.02,
        lr_schedule="cosine",
        warmup_epochs=1.0,
        epochs=14,
        val_every_epochs=1,
        precision="mixed_bfloat16",
        checkpoint_every_steps=0,
        checkpoint_every_minutes=10.0,
        chance_guard_steps=1500,
        chance_guard_action="stop",
        eval_batch_size=500,
    )
    return config
