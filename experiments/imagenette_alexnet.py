"""AlexNet (two towers) on Imagenette: the `make reproduce` default.

    python -m alexnet.train --config experiments/imagenette_alexnet.py

The paper's network (`alexnet2012`), augmentation, dropout and SGD on 8,522 training images (947
held out for monitoring), evaluated once on the 3,925 validation images with ten crops.
Departures: inputs standardised per channel and Glorot initialisation with zero biases (on
0..255 inputs the paper's init collapses to chance on 9,469 images); 3 epochs of linear warm-up
to lr 0.02, then half a cosine to 0, instead of lr 0.01 divided by 10 on plateaus; 45 epochs
instead of 90: what fits 90 minutes on 2 CPU cores. Result (results/imagenette/summary.md):
19.41% top-1 error (centre crop), 18.14% with ten crops, 80.0 min of training on a 2-core CPU
(AMD EPYC); 2012-form Fisher vectors: 11.52%.

History and reasoning: docs/recipes.md#imagenette_alexnetpy
"""

from alexnet.defaults import base_config


def get_config() -> dict:
    config = base_config()
    config.update(
        experiment="imagenette_alexnet",
        dataset="imagenette",
        num_classes=10,
        init="glorot",
        input_norm="standardise",
        holdout_fraction=0.1,
        lr=0.02,
        lr_schedule="cosine",
        warmup_epochs=3.0,
        epochs=45,
        val_every_epochs=1,
        precision="mixed_bfloat16",
        checkpoint_every_steps=0,
        checkpoint_every_minutes=10.0,
        chance_guard_steps=300,
        chance_guard_action="stop",
    )
    return config
