"""Final evaluation of a run: centre-crop and 10-crop error on the validation split.

    python -m alexnet.evaluate runs/<run-id> [--checkpoint PATH] [--batch-size 128]

Ten crops as in section 4.1 of the paper: the four corner and the centre
224x224 patches of the 256x256 image and their horizontal reflections; the
network's softmax outputs on the ten are averaged; the centre-crop error comes
from the same pass (crop 4, the centre of the 256 image, as `eval_dataset`
would cut it). The results go into the run's eval.json (errors in percent)
and the centre crop's softmax (float16 `probs` [N, C], the crops the baseline's
whole-image scores compare with; `ten_crop_probs` beside it) with `labels`,
`class_names` and the image `paths` into predictions.npz, for confusion matrices. The
trainer calls `evaluate_model` at the end of every run; this command
re-evaluates any saved checkpoint, and `load_model` gives other code the
trained network.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from alexnet import cli

cli.import_tensorflow()  # quietly: `python -m alexnet.evaluate` imports TensorFlow right below

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from alexnet import distribute, inputs, model as model_lib, records
from alexnet.cli import run_command
from alexnet.config import ConfigError
from alexnet.data import CENTRE, topk_error
from alexnet.defaults import model_switches, option
from alexnet.trainer import Progress, model_weights


def top_k_errors(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1 and top-5 error in percent (top-k with k = min(5, classes))."""
    return {"top1_err_pct": topk_error(probs, labels, 1),
            "top5_err_pct": topk_error(probs, labels, min(5, probs.shape[1]))}


def predict(model: keras.Model, dataset: tf.data.Dataset,
            progress: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Softmax probabilities for every image: crops averaged, and the centre crop's.

    Args:
      model: maps [B, S, S, 3] images to logits.
      dataset: batches of ([B, S, S, 3] or [B, 10, S, S, 3] ten crops, labels).
      progress: a progress bar's title (shown on a terminal), or None for none.

    Returns:
      (probs, centre_probs, labels): float32 [N, classes] twice (the same for
      single crops), int32 [N]. The paper averages the softmax over crops.
    """
    @tf.function(reduce_retracing=True)
    def probabilities(images):
        if images.shape.rank == 4:
            probs = tf.nn.softmax(model(images, training=False))
            return probs, probs
        shape = tf.shape(images)
        flat = tf.reshape(images, tf.concat([[-1], shape[2:]], 0))
        probs = tf.reshape(tf.nn.softmax(model(flat, training=False)), [shape[0], shape[1], -1])
        return tf.reduce_mean(probs, axis=1), probs[:, CENTRE]

    batches = dataset
    if progress:
        batches = tqdm(dataset, desc=progress, unit="batch", leave=False, disable=None,
                       total=int(n) if (n := dataset.cardinality().numpy()) >= 0 else None)
    outputs = [(*(p.numpy() for p in probabilities(images)), labels.numpy()) for images, labels in batches]
    probs, centre, labels = (np.concatenate(parts) for parts in zip(*outputs))
    return probs.astype(np.float32), centre.astype(np.float32), labels.astype(np.int32)


def recorded_colour_stats(run_dir: Path):
    """The colour statistics a run trained with, from its preprocessing.json (runs
    since 2026-12, converted weights), else None."""
    path = Path(run_dir) / "preprocessing.json"
    if not path.exists():
        return None
    from alexnet.data import ColourStats
    return ColourStats.from_dict(records.read_json(path)["colour_stats"])


def run_colour_stats(run_dir: Path, config: dict, labelled=None):
    """The colour statistics a run trained with: its preprocessing.json, else
    recomputed from its training data (`labelled`, else the config's source).

    Raises:
      ConfigError: no preprocessing.json and the training data are not there.
    """
    stats = recorded_colour_stats(run_dir)
    if stats is not None:
        return stats
    try:
        if labelled is None:
            labelled = inputs.make_sources(config).labelled
        return inputs.colour_stats(config, labelled)
    except ConfigError as err:
        raise ConfigError(f"{run_dir} has no preprocessing.json (a run from before 2026-12), and its "
                          f"training data are needed to rebuild it: {err}") from None


def eval_batches(config: dict, val_source, stats, batch_size: int | None = None) -> tf.data.Dataset:
    """The validation split as the run's test crops, batched for `predict`.

    Ten-crop batches hold ten crops per image, so a tenth as many images.
    """
    batch = batch_size or config["eval_batch_size"]
    ten_crop = config["eval_ten_crop"]
    return inputs.eval_dataset(config, val_source, max(1, batch // 10) if ten_crop else batch, stats,
                               ten_crop=ten_crop)


def evaluate_model(model: keras.Model, config: dict, run_dir: Path, val_source=None, stats=None,
                   train_time_s: float | None = None, checkpoint: str | None = None,
                   batch_size: int | None = None, verbose: bool = True) -> dict:
    """Evaluates `model` on the validation split; writes eval.json and predictions.npz.

    Args:
      model: the trained network.
      config: the run's resolved config.
      run_dir: the run folder to write into.
      val_source, stats: the validation source and the training set's colour
        statistics; built from the config when None.
      train_time_s: training time for the record.
      checkpoint: which checkpoint was evaluated, for the record.
      batch_size: images per batch (ten-crop batches hold a tenth as many).

    Returns:
      The dict written to eval.json.
    """
    if val_source is None:
        sources = inputs.make_sources(config)
        val_source = sources.val
        stats = stats or run_colour_stats(run_dir, config, sources.labelled)
    start = time.time()
    ten_crop = config["eval_ten_crop"]
    probs, centre_probs, labels = predict(model, eval_batches(config, val_source, stats, batch_size),
                                          progress=f"evaluating on {val_source.n_images} val images")
    result = {"model": config["arch"], "dataset": config["dataset"], "split": "val",
              "n_images": int(len(labels)), "partial": bool(option(config, "eval_images")) and not inputs.is_synthetic(config),
              "centre": top_k_errors(centre_probs, labels),
              "params": int(model.count_params()), "precision": distribute.resolve_precision(config),
              "hardware": records.hardware(), "checkpoint": checkpoint}
    if ten_crop:
        result["ten_crop"] = top_k_errors(probs, labels)
    # predictions.npz keeps the centre crop's softmax as `probs` (the crops the hand-crafted
    # baseline's whole-image scores compare with); the ten-crop average beside it.
    result["saved_predictions"] = "centre"
    if train_time_s is not None:
        result["train_time_s"] = round(float(train_time_s), 1)
    result["eval_time_s"] = round(time.time() - start, 1)
    records.write_eval(run_dir, result)
    extra = {}
    files = getattr(val_source, "files", None)
    if files is not None and len(files) == len(labels):
        extra["paths"] = np.asarray(files)  # relative to the source's root, for failure figures
    if ten_crop:
        extra["ten_crop_probs"] = probs.astype(np.float16)
    np.savez(Path(run_dir) / "predictions.npz", probs=centre_probs.astype(np.float16), labels=labels,
             class_names=np.asarray(val_source.class_names), crops=np.asarray("centre"), **extra)
    if verbose:
        print(format_result(result))
    return result


def format_result(result: dict) -> str:
    line = (f"{result['model']} on {result['dataset']} {result['split']} ({result['n_images']} images): "
            f"centre crop top-1 {result['centre']['top1_err_pct']:.2f}% "
            f"top-5 {result['centre']['top5_err_pct']:.2f}%")
    if "ten_crop" in result:
        line += (f"; 10 crops top-1 {result['ten_crop']['top1_err_pct']:.2f}% "
                 f"top-5 {result['ten_crop']['top5_err_pct']:.2f}%")
    return line + " (error)"


def load_model(run_dir: Path, checkpoint: str | None = None, with_progress: bool = False,
               image_size: int | None = None):
    """A run's network with the weights of a checkpoint (default: the newest).

    Sets Keras' global dtype policy to the run's precision, as training did.

    Args:
      run_dir: the run folder.
      checkpoint: a checkpoint prefix (runs/<id>/checkpoints/ckpt-N).
      with_progress: also return the restored `trainer.Progress` (epoch, train_s...).
      image_size: build for this input side instead of the trained one (the small-image
        networks' pool5 is 4x4 at 56 and 64 px alike, so their weights fit both).

    Returns:
      The keras.Model (float32 logits), or (model, progress, checkpoint path).

    Raises:
      ConfigError: not a run folder, or no checkpoint in it.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise ConfigError(f"{run_dir} is not a run folder (no config.json)")
    config = records.read_json(run_dir / "config.json")
    checkpoint = checkpoint or tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
    if not checkpoint:
        raise ConfigError(f"{run_dir} has no checkpoint to evaluate (checkpoints/ is empty)")
    model_lib.set_precision(distribute.resolve_precision(config))
    model = model_lib.build_model(config["arch"], config["num_classes"], image_size or config["image_size"],
                                  dropout=config["dropout"], init=config["init"],
                                  tower_devices=distribute.tower_devices(config), **model_switches(config))
    progress = Progress()
    status = tf.train.Checkpoint(weights=model_weights(model), progress=progress).restore(checkpoint)
    status.expect_partial().assert_existing_objects_matched()
    return (model, progress, checkpoint) if with_progress else model


def evaluate_run(run_dir: Path, checkpoint: str | None = None, batch_size: int | None = None) -> dict:
    """Rebuilds a run's model, restores a checkpoint (default: newest) and evaluates it."""
    model, progress, checkpoint = load_model(run_dir, checkpoint, with_progress=True)
    config = records.read_json(Path(run_dir) / "config.json")
    return evaluate_model(model, config, Path(run_dir), train_time_s=float(progress.train_s.numpy()),
                          checkpoint=checkpoint, batch_size=batch_size)


def heldout_test_sizes(run_dir: Path, sizes: list[int], checkpoint: str | None = None) -> dict:
    """Centre-crop errors on the run's HELD-OUT images when the test crop is each of `sizes`
    (cut from the image resized to max(size, the run's resize)): which test size to use is a
    choice, so it is made here, never on the reported split. Writes heldout_test_sizes.json.

    Train on random crops, test on the whole image (Touvron et al. 2019, "Fixing the
    train-test resolution discrepancy"): for Tiny ImageNet, 56 px crops in training and the
    whole 64 px image at test.
    """
    run_dir = Path(run_dir)
    config = records.read_json(run_dir / "config.json")
    sources = inputs.make_sources(config)
    if sources.heldout is None:
        raise ConfigError(f"{run_dir} held no images out (holdout_fraction 0): nothing to choose on")
    stats = run_colour_stats(run_dir, config, sources.labelled)
    result = {"split": "heldout", "n_images": sources.heldout.n_images, "trained_size": config["image_size"],
              "sizes": {}}
    for size in sizes:
        model = load_model(run_dir, checkpoint, image_size=size)
        sized = dict(config, image_size=size, resize=max(size, config["resize"]), eval_ten_crop=False)
        _, centre, labels = predict(model, eval_batches(sized, sources.heldout, stats),
                                    progress=f"held-out images at {size} px")
        result["sizes"][str(size)] = top_k_errors(centre, labels)
        print(f"test crop {size} px: held-out top-1 {result['sizes'][str(size)]['top1_err_pct']:.2f}% "
              f"top-5 {result['sizes'][str(size)]['top5_err_pct']:.2f}%", flush=True)
    records.write_json_atomic(run_dir / "heldout_test_sizes.json", result)
    return result


def fit_gap(run_dir: Path, n_images: int = 10000, checkpoint: str | None = None) -> dict:
    """Errors in evaluation mode (no dropout, centre crop) on a class-balanced part of the
    images the network trained on and on its held-out images: the generalisation gap that
    the training curve (dropout on, augmented crops) hides. Writes fit_gap.json.

    A small gap with a high training error says the network underfits (train longer,
    regularise less); a large one says it overfits.
    """
    run_dir = Path(run_dir)
    config = records.read_json(run_dir / "config.json")
    sources = inputs.make_sources(config)
    if sources.heldout is None:
        raise ConfigError(f"{run_dir} held no images out (holdout_fraction 0): no gap to measure")
    if not 0 < n_images <= sources.train.n_images:
        raise ConfigError(f"--fit-gap needs 1 to {sources.train.n_images} training images "
                          f"(the images {run_dir.name} trained on), got {n_images}")
    from alexnet import data
    fit = sources.train.select(data.balanced_subset(sources.train.labels, n_images / sources.train.n_images, 0))
    stats = run_colour_stats(run_dir, config, sources.labelled)
    model = load_model(run_dir, checkpoint)
    centre_only = dict(config, eval_ten_crop=False)
    result = {"checkpoint": checkpoint}
    for name, source in (("fit", fit), ("heldout", sources.heldout)):
        _, centre, labels = predict(model, eval_batches(centre_only, source, stats),
                                    progress=f"{source.n_images} {name} images")
        result[name] = {"n_images": int(len(labels)), **top_k_errors(centre, labels)}
    result["gap_top1_pct"] = round(result["heldout"]["top1_err_pct"] - result["fit"]["top1_err_pct"], 2)
    print(f"evaluation mode, centre crop: trained-on images top-1 {result['fit']['top1_err_pct']:.2f}%, "
          f"held-out {result['heldout']['top1_err_pct']:.2f}% (gap {result['gap_top1_pct']:.2f} points)", flush=True)
    records.write_json_atomic(run_dir / "fit_gap.json", result)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run folder (runs/<run-id>)")
    parser.add_argument("--checkpoint", help="checkpoint prefix to evaluate (default: the newest)")
    parser.add_argument("--batch-size", type=int, default=None, help="images per batch")
    parser.add_argument("--heldout-test-sizes", type=int, nargs="+", default=None, metavar="PX",
                        help="compare test crop sizes on the held-out images (never the reported split)")
    parser.add_argument("--fit-gap", type=int, default=None, metavar="N",
                        help="errors on N of the images it trained on and on the held-out images, "
                             "in evaluation mode (fit_gap.json)")
    args = parser.parse_args(argv)
    if args.fit_gap is not None:
        return run_command(lambda: fit_gap(args.run_dir, args.fit_gap, args.checkpoint), (ConfigError,))
    if args.heldout_test_sizes:
        return run_command(lambda: heldout_test_sizes(args.run_dir, args.heldout_test_sizes, args.checkpoint),
                           (ConfigError,))
    return run_command(lambda: evaluate_run(args.run_dir, args.checkpoint, args.batch_size), (ConfigError,))


if __name__ == "__main__":
    sys.exit(main())
