"""torchvision's ImageNet AlexNet weights in this repository's `alexnet2014`.

    # download once (nothing is downloaded here):
    #   https://download.pytorch.org/models/alexnet-owt-7be5be79.pth
    python -m alexnet.torchvision_weights alexnet-owt-7be5be79.pth runs/torchvision-alexnet
    python -m alexnet.evaluate runs/torchvision-alexnet        # ILSVRC-2012 val, needs the prepared data

torchvision's `alexnet` is the single-tower layout of Krizhevsky (2014), the
same as `alexnet2014` here: 61,100,840 parameters, conv1 padded by 2, no LRN.
The conversion is a renaming and three layout changes:
* convolution kernels: PyTorch's [out, in, h, w] -> Keras' [h, w, in, out];
* dense kernels: [out, in] -> [in, out];
* fc6's input order: torchvision flattens pool5 as (channel, row, column),
  Keras as (row, column, channel), so fc6's 9,216 input rows are permuted.
(torchvision's adaptive average pool to 6x6 is the identity on the 6x6 pool5
maps of a 224 crop.)

The output folder is a run folder that `alexnet.evaluate` and `alexnet.predict`
accept: config.json (experiments/imagenet2012_alexnet.py with arch
alexnet2014 and torchvision's input scaling), preprocessing.json and one
checkpoint. torchvision feeds RGB/255 normalised by mean (0.485, 0.456, 0.406)
and std (0.229, 0.224, 0.225): in this repository's terms, standardised inputs
with mean 255 * those means and std 255 * those stds. torchvision's published
single-crop ImageNet error for these weights is 43.45% top-1, 20.91% top-5
(the model-zoo table of torchvision's documentation up to 0.12; the current
AlexNet_Weights.IMAGENET1K_V1 page: 56.522% / 79.066% accuracy).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from alexnet import cli, records
from alexnet.config import ConfigError

# Keras layer -> torchvision state_dict prefix.
LAYERS = {"conv1": "features.0", "conv2": "features.3", "conv3": "features.6", "conv4": "features.8",
          "conv5": "features.10", "fc6": "classifier.1", "fc7": "classifier.4", "fc8": "classifier.6"}
TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)
POOL5 = (6, 6, 256)  # rows, columns, channels of pool5 for a 224 crop


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """A torchvision AlexNet `state_dict` file as numpy arrays (needs torch)."""
    try:
        import torch
    except ImportError:
        raise ConfigError("reading a .pth file needs PyTorch: pip install torch "
                          "--index-url https://download.pytorch.org/whl/cpu") from None
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    return {k: v.detach().cpu().numpy() for k, v in state.items()}


def keras_weights(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """{layer name: [kernel, bias]} in Keras layout from a torchvision state_dict."""
    missing = [f"{p}.{w}" for p in LAYERS.values() for w in ("weight", "bias") if f"{p}.{w}" not in state]
    if missing:
        raise ConfigError(f"not a torchvision AlexNet state_dict: lacks {', '.join(missing)}")
    out = {}
    for name, prefix in LAYERS.items():
        w, b = state[f"{prefix}.weight"], state[f"{prefix}.bias"]
        if w.ndim == 4:
            kernel = w.transpose(2, 3, 1, 0)
        elif name == "fc6":
            rows, cols, channels = POOL5
            kernel = w.reshape(-1, channels, rows, cols).transpose(2, 3, 1, 0).reshape(rows * cols * channels, -1)
        else:
            kernel = w.T
        out[name] = [np.ascontiguousarray(kernel, np.float32), np.asarray(b, np.float32)]
    return out


def load_into(model, state: dict[str, np.ndarray]) -> None:
    """Sets an `alexnet2014` model's weights from a torchvision state_dict (ConfigError on a mismatch)."""
    for name, weights in keras_weights(state).items():
        layer = model.get_layer(name)
        expected = [tuple(v.shape) for v in layer.weights]
        if expected != [w.shape for w in weights]:
            raise ConfigError(f"{name}: the model's weights are {expected}, the file's {[w.shape for w in weights]}")
        layer.set_weights(weights)


def write_run(pth: str | Path, out_dir: str | Path) -> Path:
    """A run folder holding torchvision's weights in `alexnet2014`; returns it."""
    import tensorflow as tf

    from alexnet import model as model_lib
    from alexnet.config import EXPERIMENTS_DIR
    from alexnet.data import ColourStats
    from alexnet.train import resolve_config
    from alexnet.trainer import Progress, model_weights

    out_dir = Path(out_dir)
    if (out_dir / "config.json").exists():
        raise ConfigError(f"{out_dir} already holds a run; choose a new folder")
    state = read_state_dict(pth)
    config = resolve_config(EXPERIMENTS_DIR / "imagenet2012_alexnet.py",
                            ["arch='alexnet2014'", "input_norm='standardise'", "precision='float32'",
                             "experiment='torchvision_alexnet'"])
    model_lib.set_precision("float32")
    model = model_lib.build_model("alexnet2014", 1000, 224, dropout=0.5, init="he")
    load_into(model, state)
    out_dir.mkdir(parents=True)
    records.write_json_atomic(out_dir / "config.json", config)
    mean = 255.0 * np.asarray(TORCHVISION_MEAN)
    std = 255.0 * np.asarray(TORCHVISION_STD)
    # A diagonal covariance whose square roots are the std: what `standardise` divides by.
    stats = ColourStats.from_covariance(mean, np.diag(std ** 2))
    records.write_json_atomic(out_dir / "preprocessing.json", {
        "resize": 256, "image_size": 224, "input_norm": "standardise", "colour_stats": stats.to_dict(),
        "source": f"torchvision weights {Path(pth).name}"})
    tf.train.Checkpoint(weights=model_weights(model), progress=Progress()).save(str(out_dir / "checkpoints" / "ckpt"))
    return out_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.torchvision_weights", description=__doc__.split("\n")[0])
    parser.add_argument("pth", help="torchvision's alexnet-owt-7be5be79.pth (downloaded by you)")
    parser.add_argument("out_dir", help="a new run folder for the converted weights")
    args = parser.parse_args(argv)

    def body() -> None:
        cli.import_tensorflow()
        print(f"wrote {write_run(args.pth, args.out_dir)}")

    return cli.run_command(body, (ConfigError,))


if __name__ == "__main__":
    sys.exit(main())
