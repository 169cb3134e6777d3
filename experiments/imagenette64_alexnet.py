"""Tiny ImageNet's AlexNet recipe trained from scratch on Imagenette at 64 px (the transfer study).

    python -m alexnet.train --config experiments/imagenette64_alexnet.py

The (b) column of `make reproduce-transfer` (experiments/transfer.py): the same
`alexnet64` network and recipe as experiments/tiny_imagenet_alexnet.py, on
Imagenette's 10 classes with images resized to 64 px and cropped to 56, so it
sees the same pixels as the probe of the Tiny-ImageNet network. Departure:
epochs by the data-scaling rule (drivers.scaling.scaled_epochs): Imagenette's
9,469 training images are 9.469% of Tiny ImageNet's 100,000, so the first,
14-epoch Tiny recipe's 14 epochs become 14 / sqrt(0.09469) = 45 (cap 100).
It keeps those 45 epochs and the He-initialised fc8 of that recipe now that
the Tiny recipe runs 28 epochs with fc8 from N(0, 0.01): its held-out error
was flat from epoch 30 (below), so 91 epochs would buy nothing. Result (run
20261207T032858Z-imagenette64_alexnet-1295dd34, 35.9 min): val top-1 error
22.65% centre, 20.33% ten crops; top-5 3.77 / 2.80. Training error ended at
2.3% (dropout on) against 21.3% held out, which was flat from about epoch 30:
converged, and overfitting Imagenette's 8,522 images. On 10% of them
(drivers.transfer, 100 epochs): 44.28% / 10.29%.
"""

from pathlib import Path

from alexnet.config import load_config

TRAIN_FRACTION = 9469 / 100_000  # Imagenette's training images over Tiny ImageNet's
MAX_EPOCHS = 100
BASE_EPOCHS = 14  # the first Tiny ImageNet recipe's, which this run converged with (docstring)


def get_config() -> dict:
    config = load_config(Path(__file__).with_name("tiny_imagenet_alexnet.py"))
    config.pop("config_file", None)
    config.pop("fc8_std", None)
    # drivers.scaling.scaled_epochs, written out: configs import no driver.
    epochs = max(BASE_EPOCHS, min(MAX_EPOCHS, round(BASE_EPOCHS / TRAIN_FRACTION ** 0.5)))
    config.update(
        experiment="imagenette64_alexnet",
        study="transfer",  # its own table (results/transfer), not the 224 px Imagenette one
        dataset="imagenette",
        num_classes=10,
        image_size=56,
        resize=64,
        epochs=epochs,
    )
    return config
