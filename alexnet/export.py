"""Export a trained run: a Keras file and a SavedModel, or a model folder to commit.

    python -m alexnet.export runs/<run-id> exported/      # exported/model.keras, exported/saved_model/
    python -m alexnet.export runs/<run-id> models/cifar10 --model-folder

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

With --model-folder, a self-contained model folder, small enough for git, that
`alexnet.predict` (and this command) accept in place of the run folder:

* `model.keras`: the network, its weights stored in bfloat16 when that file
  predicts within 1e-2 (largest change of any class probability, on synthetic
  probe images through the run's preprocessing) of the float32 one, else in
  float32 (`--weights` forces either). A network trained in mixed_bfloat16
  computes in bfloat16 anyway, so its bfloat16 file predicts exactly as the run
  does, at half the size: about 2 bytes a parameter.
* `preprocessing.json`: the run's (resize, crop size, input_norm, training
  colour statistics).
* `config.json`: the run's resolved config.
* `class_names.json`: {"labels": [...], "names": [...]}, index order, with
  readable names where `alexnet.class_names` knows them.
* `model.json`: provenance: the source run and checkpoint, its eval.json
  errors (centre and ten-crop top-1/top-5), the parameter count, the weights'
  dtype, the file sizes measured, the largest probability change, and the
  command that wrote it.

The folder is written under a temporary name and renamed into place, so it is
whole or absent; an existing destination is never overwritten.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from alexnet import cli, records
from alexnet.config import ConfigError

WEIGHTS = ("auto", "float32", "bfloat16")
FIDELITY = 1e-2  # the largest probability change a bfloat16 file may make to be chosen
PROBE_IMAGES = 32


def export(run_dir: str | Path, out_dir: str | Path, checkpoint: str | None = None) -> dict[str, Path]:
    """Writes out_dir/model.keras and out_dir/saved_model from a run folder or a
    model folder; returns their paths.

    Raises:
      ConfigError: neither a run nor a model folder, no checkpoint, or out_dir
        already holds an export.
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


def bfloat16_copy(model):
    """The same network with its weights stored (and computed) in bfloat16.

    Every layer's dtype policy becomes 'bfloat16' except the input and the final
    float32 `logits` layer, so the output stays float32 logits; the weights are
    rounded to bfloat16, as a mixed_bfloat16 layer rounds them when it computes.
    """
    import keras
    import ml_dtypes

    def rewrite(node):
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        if not isinstance(node, dict) or node.get("class_name") == "InputLayer":
            return node
        if isinstance(node.get("config"), dict) and node["config"].get("name") == "logits":
            return node
        out = {}
        for key, value in node.items():
            if key == "dtype" and isinstance(value, dict) and value.get("class_name") == "DTypePolicy":
                value = {**value, "config": {**value["config"], "name": "bfloat16"}}
            out[key] = rewrite(value)
        return out

    copy = keras.Model.from_config(rewrite(model.get_config()))
    copy.set_weights([np.asarray(w, np.float32).astype(ml_dtypes.bfloat16) for w in model.get_weights()])
    return copy


def probe_crops(prep: dict, n: int = PROBE_IMAGES, seed: int = 0) -> np.ndarray:
    """float32 [n, S, S, 3]: synthetic images (smooth colour fields plus noise, 0..255)
    through the run's evaluation preprocessing, to compare two files of one network
    without its data."""
    import tensorflow as tf

    from alexnet.data import pipeline

    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (n, 4, 4, 3)).astype(np.float32)
    side = prep["resize"]
    images = tf.image.resize(coarse, (side, side), method="bilinear").numpy()
    squares = np.clip(images + rng.normal(0, 24, images.shape), 0, 255).astype(np.uint8)
    crops = pipeline.square_crops(tf.constant(squares), prep["image_size"], prep["stats"],
                                  standardise=prep["standardise"])
    return crops.numpy()


def _probabilities(model, crops: np.ndarray) -> np.ndarray:
    logits = np.asarray(model(crops, training=False), np.float32)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _eval_summary(run_dir: Path) -> dict | None:
    path = run_dir / "eval.json"
    if not path.exists():
        return None
    result = records.read_json(path)
    summary = {k: result[k] for k in ("dataset", "split", "n_images", "precision") if k in result}
    for crops in ("centre", "ten_crop"):
        block = result.get(crops) or {}
        if block:
            summary[crops] = {k: block[k] for k in ("top1_err_pct", "top5_err_pct") if k in block}
    return summary


def export_model_folder(run_dir: str | Path, dest: str | Path, checkpoint: str | None = None,
                        weights: str = "auto", command: str | None = None) -> dict:
    """Writes the model folder `dest` from a run folder; returns its model.json.

    Args:
      run_dir: a run folder with a checkpoint.
      dest: a folder that does not exist yet.
      checkpoint: a checkpoint prefix; default the newest.
      weights: 'auto' (bfloat16 if it predicts within FIDELITY of float32, else
        float32), 'float32' or 'bfloat16'.
      command: the command line to record (default: this process's).

    Raises:
      ConfigError: dest exists, run_dir is no run folder (or already a model
        folder) or has no checkpoint, or an unknown `weights`.
    """
    import keras

    from alexnet.class_names import readable
    from alexnet.defaults import option
    from alexnet.predict import Predictor, check_folder

    run_dir, dest = Path(run_dir), Path(dest)
    if weights not in WEIGHTS:
        raise ConfigError(f"unknown weights {weights!r}; expected one of {', '.join(WEIGHTS)}")
    if dest.exists():
        raise ConfigError(f"{dest} already exists; a model folder is never overwritten: choose a new folder")
    if check_folder(run_dir) == "model":
        raise ConfigError(f"{run_dir} is already a model folder; copy it instead")
    predictor = Predictor(run_dir, checkpoint)
    model, prep = predictor.model, predictor.preprocessing
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.partial-"))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's is 0700; the folder is meant to be shared
    try:
        files = {"float32": tmp / "model.float32.keras", "bfloat16": tmp / "model.bfloat16.keras"}
        model.save(files["float32"])
        bfloat16_copy(model).save(files["bfloat16"])
        crops = probe_crops(prep)
        reference = _probabilities(model, crops)
        change = {kind: float(np.abs(_probabilities(keras.saving.load_model(path, compile=False), crops)
                                     - reference).max()) for kind, path in files.items()}
        sizes = {kind: path.stat().st_size for kind, path in files.items()}
        chosen = weights if weights != "auto" else ("bfloat16" if change["bfloat16"] <= FIDELITY else "float32")
        os.replace(files[chosen], tmp / "model.keras")
        os.unlink(files["bfloat16" if chosen == "float32" else "float32"])

        prep_path = run_dir / "preprocessing.json"
        prep_record = records.read_json(prep_path) if prep_path.exists() else {
            "resize": prep["resize"], "image_size": prep["image_size"],
            "input_norm": option(predictor.config, "input_norm"),
            "colour_stats": prep["stats"].to_dict(), "source": "rebuilt from the training data at export"}
        records.write_json_atomic(tmp / "preprocessing.json", prep_record)
        records.write_json_atomic(tmp / "config.json", predictor.config)
        records.write_json_atomic(tmp / "class_names.json", {
            "labels": predictor.labels, "names": [readable(c) for c in predictor.labels]})
        provenance_path = run_dir / "provenance.json"
        provenance = records.read_json(provenance_path) if provenance_path.exists() else {}
        info = {
            "source_run": run_dir.resolve().name,
            "checkpoint": Path(checkpoint).name if checkpoint else _newest_checkpoint(run_dir),
            "source_git_commit": provenance.get("git_commit"),
            "arch": predictor.config.get("arch"), "dataset": predictor.config.get("dataset"),
            "num_classes": len(predictor.labels), "params": int(model.count_params()),
            "eval": _eval_summary(run_dir),
            "weights": {"dtype": chosen, "choice": weights, "file_bytes": sizes[chosen],
                        "file_bytes_float32": sizes["float32"], "file_bytes_bfloat16": sizes["bfloat16"],
                        "max_probability_change": change,
                        "probe": f"{PROBE_IMAGES} synthetic images through the run's preprocessing",
                        "fidelity": FIDELITY},
            "command": command or shlex.join(["python", "-m", "alexnet.export", *sys.argv[1:]]),
            "keras": keras.__version__,
            "written_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        records.write_json_atomic(tmp / "model.json", info)
        try:
            os.rename(tmp, dest)  # atomic; fails if dest appeared meanwhile (and is not empty)
        except OSError:
            raise ConfigError(f"{dest} already exists; a model folder is never overwritten: "
                              "choose a new folder") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info


def _newest_checkpoint(run_dir: Path) -> str | None:
    import tensorflow as tf
    newest = tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
    return Path(newest).name if newest else None


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.export", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", metavar="folder",
                        help="a run folder (runs/<run-id>); without --model-folder also a model folder")
    parser.add_argument("out_dir", help="a new folder for model.keras and saved_model/ (or the model folder)")
    parser.add_argument("--checkpoint", default=None, help="checkpoint prefix (default: the newest)")
    parser.add_argument("--model-folder", action="store_true",
                        help="write a model folder to commit (model.keras, preprocessing.json, config.json, "
                             "class_names.json, model.json) instead")
    parser.add_argument("--weights", choices=WEIGHTS, default="auto",
                        help=f"model folder's weights: auto (bfloat16 if within {FIDELITY:g} of float32), "
                             "float32 or bfloat16")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "-m", "alexnet.export", *(sys.argv[1:] if argv is None else argv)])

    def body() -> None:
        cli.import_tensorflow()
        if args.model_folder:
            info = export_model_folder(args.run_dir, args.out_dir, args.checkpoint, args.weights, command)
            w = info["weights"]
            other = "float32" if w["dtype"] == "bfloat16" else "bfloat16"
            print(f"wrote {Path(args.out_dir) / 'model.keras'} ({info['params']:,} parameters, {w['dtype']} "
                  f"weights: {_mb(w['file_bytes'])}; {other} would be {_mb(w[f'file_bytes_{other}'])}; "
                  f"bfloat16 changes a probability by at most {w['max_probability_change']['bfloat16']:.2g})")
            print(f"wrote {args.out_dir}: a model folder from {info['source_run']} (alexnet.predict reads it)")
            return
        if args.weights != "auto":
            raise ConfigError("--weights is for --model-folder")
        for kind, path in export(args.run_dir, args.out_dir, args.checkpoint).items():
            print(f"wrote {path} ({kind})")

    return cli.run_command(body, (ConfigError,))


if __name__ == "__main__":
    sys.exit(main())
