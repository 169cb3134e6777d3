"""The 2012-form Fisher vectors of experiments/fv_tiny_imagenet.py on Imagenette at 64 px (transfer study).

    python -m baselines.run --config experiments/fv_imagenette64.py

The (c) column of `make reproduce-transfer` (experiments/transfer.py): Tiny
ImageNet's form (dense SIFT + colour, PCA 64, K=256, no pyramid, batched exact
SVM, final SVM without the held-out tenth) on Imagenette's 10 classes.
Departures: the penalty is searched on all non-held-out images
(svm_select_fraction 1.0; Imagenette is small). Image size: there is no key
to shrink an image to 64 px and then upscale it 1.5x, so Imagenette's 224 px
squares are shrunk once (area averaging) to 96 x 96 (max_pixels = 96^2,
upscale 1), Tiny ImageNet's working size; they keep detail a 64 px image
upscaled to 96 would lack, which favours the FV over the 64 px CNN a little.
Result (run 20261207T032107Z-fv_imagenette64-ef74fa84, 6.8 min): val top-1
error 15.18%, top-5 2.17%; alpha 3e-5 chosen, the most regularised of the
three that tie at 14.89% held out (1e-6 to 3e-5; 1e-4 and above are worse).
On 10% of the images (drivers.transfer): 24.56% / 3.64%.
"""

from pathlib import Path

from alexnet.config import load_config


def get_config() -> dict:
    config = load_config(Path(__file__).with_name("fv_tiny_imagenet.py"))
    config.pop("config_file", None)
    config.update({
        "experiment": "fv_imagenette64",
        "study": "transfer",  # its own table (results/transfer), not the 224 px Imagenette one
        "dataset": "imagenette",
        "upscale": 1.0,
        "max_pixels": 96 * 96,
        "svm_select_fraction": 1.0,
    })
    return config
