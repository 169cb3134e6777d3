"""A small-image AlexNet on CIFAR-10: the whole comparison at CPU scale.

    python -m alexnet.train --config experiments/cifar10_convnet.py

`cifar_alexnet` (alexnet/model.py: 2,167,434 parameters, dropout 0.5, no batch normalisation)
trains on 45,000 images (5,000 held out for monitoring) with the paper's SGD (momentum 0.9,
coupled weight decay 5e-4, batch 128) and is evaluated once on the 10,000 test images.
Departures: inputs standardised per channel and He initialisation (the paper's 0..255 inputs and
N(0, 0.01) weights do not train on small data); 2 epochs of linear warm-up to lr 0.02, then half
a cosine to 0; padded 32 px crops and mirrors, the whole image at test. Result
(results/cifar10/summary.md): 14.95% top-1 error on the whole image, 13.73% with its mirror,
62.6 min of training on a 2-core CPU (AMD EPYC); 2012-form Fisher vectors: 22.37%.

History and reasoning: docs/recipes.md#cifar10_convnetpy
"""

from alexnet.defaults import base_config


def get_config() -> dict:
    config = base_config()
    config.update(
        experiment="cifar10_convnet",
        dataset="cifar10",
        num_classes=10,
        arch="cifar_alexnet",
        image_size=32,
        resize=32,
        pad=4,
        pca_std=0.0,
        dropout=0.5,
        init="he",
        input_norm="standardise",
        holdout_fraction=0.1,
        lr=0.02,
        lr_schedule="cosine",
        warmup_epochs=2.0,
        epochs=45,
        val_every_epochs=2,
        precision="mixed_bfloat16",
        checkpoint_every_steps=0,
        checkpoint_every_minutes=10.0,
        chance_guard_steps=1000,
        chance_guard_action="stop",
        eval_batch_size=500,
    )
    return config
