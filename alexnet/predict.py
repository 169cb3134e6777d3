"""Classify your own images with a trained run: top-5 classes and probabilities.

    python -m alexnet.predict runs/<run-id> photo.jpg [more.jpg ...] [--ten-crop]
    python -m alexnet.predict models/<name> my_photos/ --csv predictions.csv

The network is a run folder's (its newest checkpoint) or a model folder's
(`python -m alexnet.export RUN DEST --model-folder`: model.keras,
preprocessing.json, config.json, class_names.json and model.json, small enough
to commit; models/ holds the committed ones). Which one a folder is, is read
from its files: model.json and model.keras make a model folder, config.json a
run folder. A model folder predicts as the run it came from.

Each image goes through the run's own evaluation preprocessing (its central
square resized to `resize` x `resize`, the centre `image_size` crop or the
paper's ten crops, minus the training mean and, for standardised runs, divided
by the training std) and the network of the run's newest checkpoint; with
--ten-crop the softmax outputs of the ten crops are averaged, as in the paper
(section 4.1). Class names are the run's (`class_names` of its
predictions.npz, or a model folder's class_names.json), shown with a readable
name where one is known (`alexnet.class_names`).

A folder is searched recursively for .jpg/.jpeg/.png files and gives a CSV
(stdout, or --csv FILE): path, then name and probability of the top 5.
A file that cannot be read as an image gets one line on stderr and is skipped.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alexnet import cli, records
from alexnet.config import ConfigError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# What a model folder holds, all of it (alexnet.export writes it, the tests check it).
MODEL_FOLDER_FILES = ("class_names.json", "config.json", "model.json", "model.keras", "preprocessing.json")


def is_model_folder(folder: str | Path) -> bool:
    """True for a model folder (model.json and model.keras), as `alexnet.export` writes."""
    folder = Path(folder)
    return (folder / "model.json").is_file() and (folder / "model.keras").is_file()


def model_folder_hash(folder: str | Path) -> str | None:
    """The config hash of the network in a model folder; None for no model folder with a config.json.

    A model folder's config.json is its run's resolved config, verbatim, so an
    equal `records.config_hash` means the same recipe, seed and data as a run.
    """
    folder = Path(folder)
    if not is_model_folder(folder) or not (folder / "config.json").is_file():
        return None
    return records.config_hash(records.read_json(folder / "config.json"))


def check_folder(folder: str | Path) -> str:
    """'model' or 'run': what kind of folder holds the network.

    Raises:
      ConfigError: neither (one line saying what either needs).
    """
    folder = Path(folder)
    if is_model_folder(folder):
        return "model"
    if (folder / "config.json").is_file():
        return "run"
    raise ConfigError(f"{folder} is neither a run folder (config.json, checkpoints/) nor a model folder "
                      "(model.json, model.keras: python -m alexnet.export RUN DEST --model-folder)")


def load_network(folder: str | Path, checkpoint: str | None = None):
    """The trained keras.Model (float32 logits) of a run folder or a model folder.

    A run folder's comes from a checkpoint (default the newest) and sets Keras'
    global dtype policy to the run's precision (`alexnet.evaluate.load_model`);
    a model folder's is its model.keras, whose layers carry their own dtype
    policies, so the global one is left alone.

    Raises:
      ConfigError: neither kind of folder, a checkpoint asked of a model folder,
        or a run folder without checkpoints.
    """
    folder = Path(folder)
    if check_folder(folder) == "run":
        from alexnet import evaluate
        return evaluate.load_model(folder, checkpoint)
    if checkpoint is not None:
        raise ConfigError(f"{folder} is a model folder: it holds one network, not checkpoints")
    import keras

    import alexnet.layers  # noqa: F401  (registers LocalResponseNorm and TwoTower for loading)
    return keras.saving.load_model(folder / "model.keras", compile=False)


@dataclass
class Prediction:
    """One image's top classes: (label, readable name, probability), best first."""

    path: str
    top: list[tuple[str, str, float]]


class Predictor:
    """A run's network and preprocessing, ready to classify encoded images.

    Args:
      run_dir: a finished (or checkpointed) run folder, or a model folder.
      checkpoint: a checkpoint prefix of a run folder; default the newest.

    Attributes:
      kind: 'run' or 'model'.
      labels, names: the class labels in index order and their readable names.

    Raises:
      ConfigError: neither a run nor a model folder, no checkpoint, or no
        preprocessing record and no training data to rebuild it from.
    """

    def __init__(self, run_dir: str | Path, checkpoint: str | None = None):
        from alexnet.class_names import readable

        self.run_dir = Path(run_dir)
        self.kind = check_folder(self.run_dir)
        self.model = load_network(self.run_dir, checkpoint)
        self.config = records.read_json(self.run_dir / "config.json")
        self.preprocessing = preprocessing(self.run_dir, self.config)
        if self.kind == "model":
            names = records.read_json(self.run_dir / "class_names.json")
            self.labels, self.names = [str(c) for c in names["labels"]], [str(c) for c in names["names"]]
        else:
            self.labels = class_labels(self.run_dir, self.config)
            self.names = [readable(c) for c in self.labels]

    def crops(self, data: bytes, ten_crop: bool = False) -> np.ndarray:
        """float32 [n_crops, S, S, 3]: the network's input for one encoded image."""
        import tensorflow as tf

        from alexnet.data import pipeline, transforms

        p = self.preprocessing
        square = transforms.square_image(tf.constant(data), p["resize"])
        crops = pipeline.square_crops(square, p["image_size"], p["stats"], ten_crop, p["standardise"])
        return (crops if ten_crop else crops[None]).numpy()

    def logits(self, data: bytes, ten_crop: bool = False) -> np.ndarray:
        """[n_crops, classes] float32 logits of one encoded image."""
        return np.asarray(self.model(self.crops(data, ten_crop), training=False), np.float32)

    def predict(self, path: str | Path, k: int = 5, ten_crop: bool = False) -> Prediction:
        """The top-k classes of an image file; DataError (one line) if it is no image."""
        from alexnet.data import DataError, checks
        from alexnet.data.pipeline import average_crops

        _, problem = checks.check_file(str(path))
        if problem is not None:
            raise DataError(f"{path}: {problem}; skipped")
        probs = average_crops(self.logits(Path(path).read_bytes(), ten_crop)[None])[0]
        order = np.argsort(-probs, kind="stable")[:k]
        return Prediction(str(path), [(self.labels[i], self.names[i], float(probs[i])) for i in order])


def preprocessing(run_dir: Path, config: dict) -> dict:
    """{'resize', 'image_size', 'stats' (ColourStats), 'standardise'}: the run's evaluation input.

    Read from the run's preprocessing.json (written by the trainer since
    2026-12); for older runs rebuilt from the training data's colour statistics,
    which needs the dataset under DATA_DIR.
    """
    from alexnet.defaults import option
    from alexnet.evaluate import run_colour_stats

    stats = run_colour_stats(run_dir, config)
    return {"resize": int(config["resize"]), "image_size": int(config["image_size"]), "stats": stats,
            "standardise": option(config, "input_norm") == "standardise"}


def class_labels(run_dir: Path, config: dict) -> list[str]:
    """The run's class labels in index order (wnids for ImageNet and Imagenette)."""
    preds = run_dir / "predictions.npz"
    if preds.exists():
        return [str(c) for c in np.load(preds)["class_names"]]
    from alexnet import inputs
    try:
        return list(inputs.make_sources(config).val.class_names)
    except ConfigError:
        return [str(i) for i in range(int(config["num_classes"]))]


def image_files(targets: list[str]) -> list[Path]:
    """The files named, and the images under the folders named (sorted)."""
    files = []
    for target in map(Path, targets):
        if target.is_dir():
            files += sorted(p for p in target.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        elif target.exists():
            files.append(target)
        else:
            raise ConfigError(f"{target}: no such file or folder")
    return files


def write_csv(predictions: list[Prediction], out, k: int) -> None:
    """path, then label_i, name_i, prob_i for i = 1..k."""
    writer = csv.writer(out)
    writer.writerow(["path"] + [f"{f}_{i}" for i in range(1, k + 1) for f in ("label", "name", "prob")])
    for p in predictions:
        writer.writerow([p.path] + [v for label, name, prob in p.top for v in (label, name, f"{prob:.6f}")])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.predict", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", metavar="folder",
                        help="a run folder (runs/<run-id>) or a model folder (models/<name>)")
    parser.add_argument("images", nargs="+", help="image files and/or folders")
    parser.add_argument("--ten-crop", action="store_true", help="average the paper's ten crops")
    parser.add_argument("--top", type=int, default=5, help="classes per image (default 5)")
    parser.add_argument("--csv", default=None, help="write a CSV here (default for folders: stdout)")
    args = parser.parse_args(argv)

    def body() -> int:
        files = image_files(args.images)
        cli.import_tensorflow()
        from alexnet.data import DataError
        predictor = Predictor(args.run_dir)
        k = min(args.top, len(predictor.labels))
        results = []
        for path in files:
            try:
                results.append(predictor.predict(path, k, args.ten_crop))
            except DataError as err:
                print(f"warning: {err}", file=sys.stderr)
        as_csv = args.csv is not None or any(Path(t).is_dir() for t in args.images)
        if as_csv and args.csv:
            with open(args.csv, "w", newline="") as f:
                write_csv(results, f, k)
            print(f"wrote {args.csv} ({len(results)} images)")
        elif as_csv:
            write_csv(results, sys.stdout, k)
        else:
            for p in results:
                print(p.path)
                for label, name, prob in p.top:
                    print(f"  {100 * prob:6.2f}%  {name}" + (f" ({label})" if name != label else ""))
        return 0 if results or not files else cli.USAGE_ERROR

    return cli.run_command(body, (ConfigError,))


if __name__ == "__main__":
    sys.exit(main())
