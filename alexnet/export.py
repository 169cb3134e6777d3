"""Export a trained run: a Keras file, and a SavedModel that serves encoded images.

    python -m alexnet.export runs/<run-id> exported/      # exported/model.keras, exported/saved_model/

* `model.keras`: the network with the run's weights (Keras 3 format); load it
  with `keras.saving.load_model` after `import alexnet.layers` (LRN and the
  two-tower block are this repository's layers). Inputs: preprocessed crops.
* `saved_model/`: a TensorFlow SavedModel that needs nothing from this
  repository. Its `serving_default` signature takes a batch of encoded images
  (`images`: tf.string [N], JPEG, PNG, GIF or BMP bytes), applies the run's own
  evaluation preprocessing (central square resized to `resize`, the centre
  `image_size` crop, the training mean and std from the run's
  preprocessing.json) and returns `probabilities` [N, classes], `logits`
  [N, classes] and the top-5 `classes` [N, 5] (the run's labels) with their
  `scores`.

    serving = tf.saved_model.load("exported/saved_model").signatures["serving_default"]
    out = serving(images=tf.constant([open("photo.jpg", "rb").read()]))
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alexnet import cli
from alexnet.config import ConfigError


def export(run_dir: str | Path, out_dir: str | Path, checkpoint: str | None = None) -> dict[str, Path]:
    """Writes out_dir/model.keras and out_dir/saved_model; returns their paths.

    Raises:
      ConfigError: not a run folder, no checkpoint, or out_dir already holds an export.
    """
    import keras
    import tensorflow as tf

    from alexnet.data import pipeline, transforms
    from alexnet.predict import Predictor

    out_dir = Path(out_dir)
    paths = {"keras": out_dir / "model.keras", "saved_model": out_dir / "saved_model"}
    if any(p.exists() for p in paths.values()):
        raise ConfigError(f"{out_dir} already holds an export; choose a new folder")
    predictor = Predictor(run_dir, checkpoint)
    model, prep = predictor.model, predictor.preprocessing
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(paths["keras"])

    size, resize = prep["image_size"], prep["resize"]
    labels = tf.constant(predictor.labels)
    k = min(5, len(predictor.labels))

    def preprocess(data):
        return pipeline.square_crops(transforms.square_image(data, resize), size, prep["stats"],
                                     standardise=prep["standardise"])

    def serve(images):
        crops = tf.map_fn(preprocess, images, fn_output_signature=tf.TensorSpec([size, size, 3], tf.float32))
        logits = tf.cast(model(crops, training=False), tf.float32)
        probabilities = tf.nn.softmax(logits)
        top = tf.math.top_k(probabilities, k)
        return {"probabilities": probabilities, "logits": logits,
                "classes": tf.gather(labels, top.indices), "scores": top.values}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve, input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    archive.write_out(str(paths["saved_model"]), verbose=False)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.export", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", help="a run folder (runs/<run-id>)")
    parser.add_argument("out_dir", help="a new folder for model.keras and saved_model/")
    parser.add_argument("--checkpoint", default=None, help="checkpoint prefix (default: the newest)")
    args = parser.parse_args(argv)

    def body() -> None:
        cli.import_tensorflow()
        for kind, path in export(args.run_dir, args.out_dir, args.checkpoint).items():
            print(f"wrote {path} ({kind})")

    return cli.run_command(body, (ConfigError,))


if __name__ == "__main__":
    sys.exit(main())
