"""A trained network as a fixed feature extractor on another dataset: the 2013-14 transfer test.

    .venv/bin/python -m alexnet.probe RUN-or-MODEL-FOLDER --dataset imagenette [--layer fc7]
        [holdout_fraction=0.1 seed=0 train_fraction=1.0 ...]
    .venv/bin/python -m alexnet.probe models/tiny_imagenet --dataset imagenette

DeCAF (Donahue et al. 2013) and Chatfield et al. (2014) showed that features a
CNN learned on ImageNet, read out by a plain linear classifier, beat Fisher
vectors on other, small datasets. Here: the network of a finished run, frozen,
maps every image of the target dataset (resized to the network's input as its
own test images were: the run's resize, centre crop, the run's colour
normalisation) to one layer's activations (pool5, fc6 or fc7; fc7 is the
paper's Figure 4 feature); a multinomial logistic regression on the
standardised features is the classifier. Its C is chosen on the same held-out
tenth of the training images that the CNN and the Fisher vectors hold out
(`data.holdout_split`, same fraction and seed), from a grid that grows a decade
at a time past an end that wins (`select_c`, up to `C_extend` decades), so the
chosen C is interior; the final classifier learns
from the other nine tenths, as they do. The reported split is evaluated once,
centre crop and ten crops (the classifier's probabilities averaged over the
crops, as the paper averages the softmax). The run folder holds the same
record as every model (config.json, provenance.json, eval.json,
predictions.npz, done), so `reporting.tables` reads it like any other.

The network is a run folder's (runs/<run-id>, its newest checkpoint) or a
model folder's (models/<name>, `python -m alexnet.export RUN DEST
--model-folder`; run folders do not outlive their machine, model folders are
committed). Either way the probe's config names the source *run*
(`probe_of`, for a model folder the run its model.json names), never the
folder, so both give one config and one config hash; provenance.json says
which kind of folder it was, where, and a model folder's weights' dtype.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from alexnet import cli

cli.import_tensorflow()  # quietly: the network is rebuilt right below

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from alexnet import evaluate, inputs, predict, records, run_folder  # noqa: E402
from alexnet.config import ConfigError, apply_overrides, check_config, fraction  # noqa: E402
from alexnet.defaults import option  # noqa: E402
from alexnet.model import feature_extractor  # noqa: E402

LAYERS = ("pool5", "fc6", "fc7")
C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
C_EXTEND = 3  # decades the grid may grow past an end that wins, so the chosen C is interior (select_c)


def source_network(folder: str | Path) -> tuple[str, str, dict]:
    """(kind, run id, resolved config) of a trained network's folder.

    Args:
      folder: a run folder ('run', its id is its name) or a model folder
        ('model', its id is the source run its model.json names).

    Raises:
      ConfigError: neither kind (`predict.check_folder`'s line), or a run
        folder that holds no network (no arch in its config).
    """
    folder = Path(folder)
    kind = predict.check_folder(folder)
    config = records.read_json(folder / "config.json")
    if kind == "model":
        run_id = records.read_json(folder / "model.json").get("source_run")
        if not run_id:
            raise ConfigError(f"{folder}/model.json names no source_run; re-export it with alexnet.export")
    else:
        run_id = folder.resolve().name
    if "arch" not in config:
        raise ConfigError(f"{folder} is not a trained network's run folder (no config.json naming an arch)")
    return kind, run_id, config


def probe_config(run_dir: Path, dataset: str, layer: str, overrides=()) -> dict:
    """The probe run's config: the source run, the layer, the target data and the held-out split.

    Args:
      run_dir: the source network's run folder or model folder; the config
        names its run (`probe_of`), not the folder, so both kinds give one config.
    """
    if layer not in LAYERS:
        raise ConfigError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    _, run_id, source = source_network(run_dir)
    base = {"experiment": "probe", "model": f"{source['arch']}_{layer}_probe", "probe_of": run_id,
            "source_dataset": source["dataset"], "layer": layer, "dataset": dataset, "data_dir": None,
            "train_fraction": 1.0, "subset_seed": 0, "holdout_fraction": 0.1, "seed": 0,
            "C_grid": list(C_GRID), "C_extend": C_EXTEND, "max_iter": 500, "batch_size": 100,
            "study": None}  # a side study's name: its records stay out of the per-scale tables
    config = apply_overrides(base, overrides)
    rules = {"train_fraction": fraction(low_open=True, high_open=False),
             "holdout_fraction": fraction(low_open=True, high_open=True)}
    return check_config(config, base, {}, rules, what="probe config")


def _features(extractor, dataset: tf.data.Dataset, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """(features [N, D] or [N, 10, D] for ten crops, labels [N]) of a batched eval dataset."""
    feats, labels = [], []
    for images, y in dataset:
        if images.shape.rank == 5:  # ten crops: [B, 10, S, S, 3]
            b = tf.shape(images)[0]
            flat = tf.reshape(images, tf.concat([[-1], tf.shape(images)[2:]], 0))
            out = tf.reshape(tf.reshape(extractor(flat, training=False)[layer], [b * 10, -1]), [b, 10, -1])
        else:
            out = tf.reshape(extractor(images, training=False)[layer], [tf.shape(images)[0], -1])
        feats.append(tf.cast(out, tf.float32).numpy())
        labels.append(y.numpy())
    return np.concatenate(feats), np.concatenate(labels).astype(np.int64)


def select_c(c_grid, heldout_error, extend: int) -> tuple[list[dict], int]:
    """Tries each C of the grid, extending it a decade at a time past an end that wins.

    The chosen C must be interior to what was tried: while the lowest held-out
    error sits at an end of the grid and is no worse than its neighbour, one
    more C a decade beyond that end is tried, at most `extend` times in all.

    Args:
      c_grid: the starting grid.
      heldout_error: C -> held-out top-1 error in percent.
      extend: how many decades may be added past the grid's ends together.

    Returns:
      (one row per C tried, in increasing C: 'C' and 'holdout_top1_err_pct'; the index of the best row).
    """
    errors = {float(c): heldout_error(float(c)) for c in c_grid}

    def best() -> float:
        # Lowest held-out error; ties go to the smaller C (the more regularised model).
        return min(errors, key=lambda c: (errors[c], c))

    for _ in range(extend):
        grid, c = sorted(errors), best()
        if len(grid) < 2:
            break
        if c == grid[-1] and errors[c] <= errors[grid[-2]]:
            new = c * 10.0
        elif c == grid[0] and errors[c] <= errors[grid[1]]:
            new = c / 10.0
        else:
            break
        errors[new] = heldout_error(new)
    rows = [{"C": c, "holdout_top1_err_pct": errors[c]} for c in sorted(errors)]
    return rows, sorted(errors).index(best())


def fit_classifier(x_fit, y_fit, x_held, y_held, c_grid, max_iter: int, extend: int = 0):
    """Logistic regression with C chosen on the held-out features (`select_c`); returns (model, rows)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    models = {}

    def heldout_error(c: float) -> float:
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
        clf.fit(x_fit, y_fit)
        models[c] = clf
        return 100.0 * float(np.mean(clf.predict(x_held) != y_held))

    rows, best = select_c(c_grid, heldout_error, extend)
    for i, row in enumerate(rows):
        row["chosen"] = i == best
    return models[rows[best]["C"]], rows


def run(config: dict, source_dir: Path | None = None, run_dir: Path | None = None) -> Path:
    """Extracts features, chooses C on held-out images, evaluates once; returns the run folder.

    Args:
      config: `probe_config`'s result.
      source_dir: the trained network's run folder or model folder (default:
        $RUNS_DIR/<probe_of>).
      run_dir: the probe's own run folder (default: a new one under $RUNS_DIR).

    Raises:
      ConfigError: source_dir is no network of the run `config` probes, or the
        target data are missing.
    """
    from alexnet import data
    from baselines.selection import choice_verdict

    start = time.time()
    source_dir = Path(source_dir or run_folder.runs_root() / config["probe_of"])
    kind, run_id, net_config = source_network(source_dir)
    if run_id != config["probe_of"]:
        raise ConfigError(f"{source_dir} holds the network of run {run_id}, not of {config['probe_of']}")
    model = predict.load_network(source_dir)
    # The colour statistics the network trained with: preprocessing.json, which a model folder
    # carries too (resize, crop and input_norm come from the same run's config.json below).
    stats = predict.preprocessing(source_dir, net_config)["stats"]
    # The target images as the network saw its own test images: its resize, crop and normalisation.
    view = dict(net_config, dataset=config["dataset"], data_dir=config["data_dir"], eval_ten_crop=False)
    try:
        train = data.get_source(config["dataset"], "train", config["data_dir"])
        val = data.get_source(config["dataset"], "val", config["data_dir"])
    except data.DataError as err:
        raise ConfigError(str(err)) from None
    idx, fit_idx, held_idx = data.training_split(train.labels, config["train_fraction"], config["subset_seed"],
                                                 config["holdout_fraction"], config["seed"])
    run_dir = run_folder.choose(config, run_dir)
    extractor = feature_extractor(model, (config["layer"],))
    batch = config["batch_size"]
    x_train, y_train = _features(extractor, inputs.eval_dataset(view, train.select(idx), batch, stats),
                                 config["layer"])
    position = {int(p): i for i, p in enumerate(idx)}
    fit, held = [position[int(p)] for p in fit_idx], [position[int(p)] for p in held_idx]
    clf, selection = fit_classifier(x_train[fit], y_train[fit], x_train[held], y_train[held],
                                    config["C_grid"], config["max_iter"], config["C_extend"])
    x_val, y_val = _features(extractor, inputs.eval_dataset(dict(view, eval_ten_crop=True), val,
                                                            max(1, batch // 10), stats, ten_crop=True),
                             config["layer"])
    n, crops, dim = x_val.shape
    probs = clf.predict_proba(x_val.reshape(n * crops, dim)).reshape(n, crops, -1)
    centre, ten = probs[:, evaluate.CENTRE], probs.mean(axis=1)
    result = {"model": config["model"], "dataset": config["dataset"], "split": "val", "n_images": int(n),
              "centre": evaluate.top_k_errors(centre, y_val), "ten_crop": evaluate.top_k_errors(ten, y_val),
              "params": int(dim * probs.shape[-1] + probs.shape[-1]), "network_params": int(model.count_params()),
              "feature_dim": int(dim), "train_time_s": round(time.time() - start, 1),
              "train_subset": {"n_images": len(idx), "n_fit": len(fit), "n_holdout": len(held)},
              "C_choice": choice_verdict([{"alpha": r["C"], **r} for r in selection],
                                         next(r["C"] for r in selection if r["chosen"])),
              "C_selection": selection, "saved_predictions": "centre", "hardware": records.hardware()}
    records.write_provenance(run_dir, {"name": config["dataset"], "train": train.info(), "val": val.info()},
                             {"source_run": run_id, "source": _source_record(source_dir, kind)})
    records.write_eval(run_dir, result)
    np.savez(run_dir / "predictions.npz", probs=centre.astype(np.float16), ten_crop_probs=ten.astype(np.float16),
             labels=y_val, class_names=np.asarray(val.class_names), crops=np.asarray("centre"))
    run_folder.mark_done(run_dir)
    print(f"{config['model']} on {config['dataset']} val ({n} images): centre top-1 "
          f"{result['centre']['top1_err_pct']:.2f}% top-5 {result['centre']['top5_err_pct']:.2f}%; 10 crops "
          f"top-1 {result['ten_crop']['top1_err_pct']:.2f}% (error); C={clf[-1].C:g} ({result['C_choice']}); "
          f"run folder {run_dir}", flush=True)
    return run_dir


def _source_record(folder: Path, kind: str) -> dict:
    """Where the network came from, for provenance.json (the config names only its run)."""
    folder = folder.resolve()
    shown = folder.relative_to(records.REPO_ROOT) if folder.is_relative_to(records.REPO_ROOT) else folder
    out = {"kind": kind, "folder": str(shown)}
    if kind == "model":  # its weights may be bfloat16-rounded copies of the run's
        out["weights"] = (records.read_json(folder / "model.json").get("weights") or {}).get("dtype")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.probe", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, metavar="folder",
                        help="a finished training run (runs/<run-id>) or a model folder (models/<name>)")
    parser.add_argument("--dataset", required=True, help="the target dataset, e.g. imagenette or folder:/path")
    parser.add_argument("--layer", default="fc7", choices=LAYERS)
    args, overrides = cli.parse_with_overrides(parser, argv)
    source = args.run_dir.resolve()
    return cli.run_command(lambda: run(probe_config(source, args.dataset, args.layer, overrides), source),
                           (ValueError,))


if __name__ == "__main__":
    sys.exit(main())
