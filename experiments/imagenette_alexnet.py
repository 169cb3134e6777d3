"""AlexNet (two towers) on Imagenette: the `make reproduce` default.

    python -m alexnet.train --config experiments/imagenette_alexnet.py

Imagenette: 10 ImageNet classes, 9,469 training images (947 of them, 10% per
class, held out for monitoring; the network trains on 8,522) and 3,925
validation images, reported once at the end. The paper's network
(`alexnet2012`, two towers, LRN, overlapping pooling), augmentation (224 crops
of 256, flips, PCA colour noise), dropout 0.5 in fc6/fc7, SGD with momentum
0.9, coupled weight decay 5e-4, batch 128, and ten-crop evaluation.

Departures from the paper, each for a measured reason:
* Inputs standardised per channel (`input_norm='standardise'`) and Glorot
  initialisation with zero biases, instead of 0..255 inputs with N(0, 0.01)
  weights and unit biases. On 0..255 inputs the paper's init collapses to
  chance on 9,469 images (training loss 2.303 = ln 10, 90% error after 3
  epochs), and He init needs lr 1e-4 to not diverge: the committed 12-epoch
  run of that recipe ended at 56.7% top-1 error, underfitting (train error
  63%). With unit-variance inputs the usual initialisations and lr 0.02 train.
* Schedule: 3 epochs of linear warm-up to lr 0.02, then half a cosine to 0
  over the remaining epochs, instead of lr 0.01 divided by 10 on plateaus. A
  plateau rule sees one noisy held-out point per 67 steps; the paper's run
  had 10,000 steps per epoch. The held-out curve is in metrics.csv.
* 45 epochs instead of 90: what fits 90 minutes on 2 CPU cores.

Measured (run 20261201T222718Z-imagenette_alexnet-7e56b4d7, results/imagenette/):
19.41% top-1 error (centre crop), 18.14% with ten crops, top-5 2.19% / 2.11%;
80.0 min of training and 85 min wall for the 45 epochs at 76-97 images/s
(`make bench`: 103 for the bare step) on a 2-core AMD EPYC with AVX512-BF16,
plus 3 min of ten-crop evaluation. Train error ends at 1.4% and held-out
error stays near 20% over the last 15 epochs: more epochs would not pay.
The Fisher vectors win at this data size: 11.52% in the 2012 entries' form
(fv_imagenette.py), 16.89% as plain SIFT vectors.
That run decoded every JPEG at every step (median 84 images/s, 82% of the bare
step); images are now decoded once and kept in memory (alexnet/data/pipeline.py),
and `make bench` measures the real-input step at 94.1 images/s against 98.6
for the bare step (95%, same CPU kind, 2026-12-02). The next run of this config
will record that speed.
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
