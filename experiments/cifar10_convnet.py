"""A small-image AlexNet on CIFAR-10: the whole comparison at CPU scale.

    python -m alexnet.train --config experiments/cifar10_convnet.py

CIFAR-10: 50,000 training images (5,000 of them, 10% per class, held out for
monitoring; the network trains on 45,000) and 10,000 test images ('val' is
the test split), reported once at the end. Training: random 32x32 crops of
the image zero-padded by 4 pixels (after mean subtraction, so the padding is
the mean colour), and mirrors; evaluation: the whole 32x32 image. (The ten
crops of a 32 px image from itself are the image and its mirror, so
"ten-crop" here averages those two.) Network: `cifar_alexnet`
(alexnet/model.py), AlexNet's layout shrunk to CIFAR's size: five
convolutions, LRN, overlapping pooling, fc6/fc7 with dropout 0.5, no batch
normalisation, 2,167,434 parameters. Optimiser: the paper's SGD with
momentum 0.9 and coupled weight decay 5e-4 at batch 128.

Departures, each with its measured reason:
* Inputs standardised per channel and He initialisation (see
  experiments/imagenette_alexnet.py for why the paper's 0..255 inputs and
  N(0, 0.01) weights do not train on small data).
* 2 epochs of linear warm-up to lr 0.02, then half a cosine to 0 (a fixed
  schedule; the held-out split is only watched).
* Crops: padded 32 px crops instead of the paper's 224-of-256 scheme scaled
  down (28-of-32 crops, centre 28 at test). The recipe got here in three runs,
  each chosen from the previous one's held-out curve:
  - 28 px crops, no dropout, 28 epochs (run 20261201T235649Z-...-e1335d25,
    record in git at cb1474e, results/cifar10/records/): 16.67% centre crop;
    training error 5.6%, held-out 16.0% and flat: overfitting.
  - the same with the paper's dropout 0.5 on fc6/fc7 and 50 epochs: held-out
    error stalled at 16.3-16.8% between epochs 30 and 34 while training error
    fell to 7.8%; stopped there, and finished later as a member of the
    ensemble (experiments/cifar10_ensemble.py; run 20261202T005531Z-...-383cf19b):
    15.37% centre, 13.05% ten crops (the 28 px crops leave room for real
    corner crops).
  - padded 32 px crops, whole-image evaluation, dropout, 45 epochs: below.

Measured (run 20261202T014017Z-cifar10_convnet-b928b647, results/cifar10/):
14.95% top-1 error (centre crop, i.e. the whole image), 13.73% with the
image and its mirror, top-5 0.79% / 0.61%; 62.7 min of training and 65 min
wall for 45 epochs at 460-620 images/s (median 543) on a 2-core AMD EPYC
with AVX512-BF16. Training error ends at 4.9% and held-out error at 14.6%
(14.86% at epoch 40): nearly flat as the cosine ends. The Fisher vectors in
the 2012 entries' form (fv_cifar10.py, SIFT + colour) reach 22.37%, so this
network's error is 0.67 of theirs; the ensemble of the three recipe-search
networks (cifar10_ensemble.py) reaches 13.22%, 0.59 of theirs.
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
