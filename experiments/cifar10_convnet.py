"""A small-image AlexNet on CIFAR-10: the whole comparison at CPU scale.

    python -m alexnet.train --config experiments/cifar10_convnet.py

CIFAR-10: 50,000 training images (5,000 of them, 10% per class, held out for
monitoring; the network trains on 45,000) and 10,000 test images ('val' is
the test split), reported once at the end. Random 28x28 crops of the 32x32
images and flips for training, centre (and ten) 28x28 crops for evaluation:
the paper's crop-and-mirror scheme at CIFAR's scale. (cuda-convnet's CIFAR
models cut 24x24 crops, which leaves the centre crop 44% of the image; 28 px
keeps 77% for 1.4x the compute.) Network: `cifar_alexnet` (alexnet/model.py),
AlexNet's layout shrunk to 28 px, no batch normalisation.
Optimiser: the paper's SGD with momentum 0.9 and coupled weight decay 5e-4
at batch 128.

Departures, each with its reason:
* Inputs standardised per channel and He initialisation (see
  experiments/imagenette_alexnet.py for why the paper's 0..255 inputs and
  N(0, 0.01) weights do not train on small data).
* 2 epochs of linear warm-up to lr 0.02, then half a cosine to 0 (a fixed
  schedule; the held-out split is only watched).
* No dropout: cuda-convnet's `conv-local-13pct`, the reference for this
  scale, used none. The run below says that was the wrong call here (see
  its curve): the network overfits, so the paper's dropout 0.5 on fc6/fc7 is
  the next run to make.

Measured (run 20261201T235649Z-cifar10_convnet-e1335d25, results/cifar10/):
16.67% top-1 error (centre crop), 14.53% with ten crops, top-5 0.82% / 0.65%;
35.4 min of training and 37 min wall for 28 epochs at 500-690 images/s
(`make bench`: 628 for the bare step) on a 2-core AMD EPYC with AVX512-BF16.
Training error ends at 5.6% and held-out error at 16.0%, flat over the last
four epochs: the network overfits. The Fisher vectors reach 25.19%.
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
