"""Run the Fisher-vector baseline and write a run record like the CNN trainer's.

    python -m baselines.run --config experiments/fv_imagenette.py [key=value ...]
    python -m baselines.run --config experiments/fv_imagenet2012.py --encoder-only  # then, on a cluster:
    python -m baselines.run --config experiments/fv_imagenet2012.py --shard 3/100   # job 3 of 100

Stages (each reused when cached, so a rerun or a new classifier setting skips
straight to the SVM): fit PCA + GMM on a sample of training descriptors;
encode train and val into cache shards; choose the SVM penalty on a held-out
part of train and train; evaluate top-1/top-5 on val.

With `--shard i/N` the command only fills its share of the cache (shards j with
j % N == i, of both splits) and writes no run record; a final run without
`--shard` finds every shard cached and trains. `--encoder-only` fits the PCA
and GMM first, so that N jobs do not all fit it (they would agree: the first
published encoder is the one every job uses).

The run folder (alexnet.records) holds config.json, provenance.json,
metrics.csv (one row, epoch 1), eval.json (errors under "centre": the baseline
sees the whole image; "ten_crop": null), predictions.npz (val scores, labels,
class names, paths), train_subset.npz (the training indices used) and log.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from alexnet import records, run_folder
from alexnet.cli import import_tensorflow, parse_with_overrides, run_command
from alexnet.config import ConfigError, check_config, load_config
from baselines import classifier
from baselines.defaults import RULES, fv_base_config, fv_optional_config
from baselines.descriptors import require_vlfeat
from baselines.encode_cache import default_cache_dir, open_split, settings_key
from baselines.encoder import EncoderSettings
from baselines.selection import record_verdict
from baselines.extract import encode_split, fit_or_load_encoder

log = logging.getLogger("baselines")

def validate(config: dict) -> dict:
    """Checks keys, types and values; raises ConfigError with one line naming the problem."""
    return check_config(config, fv_base_config(), fv_optional_config(), RULES, what="baseline config",
                        hint=" (start from baselines.defaults.fv_base_config())")


def n_workers(config: dict) -> int:
    if int(config["workers"]) > 0:
        return int(config["workers"])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'i/N' -> (i, N); ConfigError unless 0 <= i < N."""
    if text is None:
        return None
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard expects i/N (e.g. 3/100), got {text!r}") from None
    if not 0 <= i < n:
        raise ConfigError(f"--shard i/N needs 0 <= i < N, got {text!r}")
    return i, n


def _sources(config: dict):
    from alexnet import data
    train = data.get_source(config["dataset"], "train", config["data_dir"])
    val = data.get_source(config["dataset"], "val", config["data_dir"])
    if train.class_names != val.class_names:
        raise ConfigError(f"{config['dataset']}: train and val have different classes")
    return train, val


def prepare_cache(config: dict, train, val, part: tuple[int, int] = (0, 1), encode: bool = True) -> dict:
    """Fits or loads the encoder and (if `encode`) encodes this part of both splits.

    Returns:
      {'key', 'key_dir', 'encoder', 'train', 'val' (SplitCaches), 'fit_s',
      'extract': {split: encode_split's report}}.
    """
    settings = EncoderSettings.from_config(config)
    key = settings_key(settings, train.fingerprint)
    key_dir = Path(config["cache_dir"] or default_cache_dir()) / key
    key_dir.mkdir(parents=True, exist_ok=True)
    if not (key_dir / "settings.json").exists():
        records.write_json_atomic(key_dir / "settings.json",
                                  {"encoder": settings.as_dict(), "train": train.info()})
    workers, progress = n_workers(config), bool(config["progress"])
    encoder, fit_s = fit_or_load_encoder(train, settings, key_dir, workers, progress)
    if fit_s:
        records.write_json_atomic(key_dir / "encoder.json", {"fit_seconds": fit_s})
    out = {"key": key, "key_dir": key_dir, "encoder": encoder, "fit_s": fit_s, "extract": {}}
    for split, source in (("train", train), ("val", val)) if encode else ():
        cache = open_split(key_dir, source, encoder, int(config["cache_shard_size"]), config["cache_dtype"])
        out["extract"][split] = encode_split(source, cache, key_dir / "encoder.npz", settings, workers,
                                             part, progress)
        out[split] = cache
    return out


def _train_indices(config: dict, train) -> tuple[np.ndarray, np.ndarray]:
    """(training indices in use, the held-out part of them that chooses alpha); the CNN
    trainer holds out the same images (data.training_split, same values)."""
    from alexnet import data
    idx, _, held = data.training_split(train.labels, float(config["train_fraction"]), int(config["subset_seed"]),
                                       float(config["holdout_fraction"]), int(config["seed"]))
    return idx, held


def cell_images(config: dict, train):
    """(the source the encoder is fitted on and the SVM reads, training indices into it,
    held-out indices into it). With encoder_fit='cell' a subset run (train_fraction < 1)
    fits PCA and GMM on its own images only, as the CNN sees only those; 'split' fits them
    on the whole training split (unlabelled images the CNN never sees)."""
    idx, held = _train_indices(config, train)
    if config.get("encoder_fit", "split") == "cell" and len(idx) < train.n_images:
        return train.select(idx), np.arange(len(idx), dtype=np.int64), np.searchsorted(idx, held)
    return train, idx, held


def run(config: dict) -> Path:
    """The whole pipeline for one config; returns the finished run folder."""
    config = validate(config)
    require_vlfeat()
    start = time.time()
    train, val = _sources(config)
    run_dir = run_folder.choose(config)
    lock = run_folder.Lock(run_dir)
    try:
        _run_in(run_dir, config, train, val, start)
    finally:
        lock.release()
    return run_dir


def _run_in(run_dir: Path, config: dict, train, val, start: float) -> None:
    """The pipeline's stages, writing into the locked run folder."""
    note = run_folder.Log(run_dir)
    note(f"run folder: {run_dir}")
    records.write_provenance(run_dir, {"name": config["dataset"], "root": train.root,
                                       "fingerprint": train.fingerprint, "train": train.info(),
                                       "val": val.info()})
    train, idx, held = cell_images(config, train)
    cache = prepare_cache(config, train, val)
    note(f"cache: {cache['key_dir']}")
    for split, source in (("train", train), ("val", val)):
        if not cache[split].complete():
            raise ConfigError(f"{split} cache incomplete after extraction: {cache[split].folder}")
        if not np.array_equal(cache[split].labels(), source.labels):
            raise ConfigError(f"{cache[split].folder}: cached labels disagree with the source; delete it")
    # Positions in the full training split, whichever source the cache holds.
    np.savez(run_dir / "train_subset.npz", indices=train.positions[idx], holdout=train.positions[held])
    settings = classifier.ClassifierSettings.from_config(config, n_workers(config))
    t0 = time.time()
    solver = settings.solver_for(len(idx), cache["train"].fv_dim)  # of the final model
    # SGD and liblinear parallelise over classes, where spinning BLAS threads only contend;
    # the batched solver is matrix products, for which BLAS uses every core.
    with threadpool_limits(None if solver == "batched" else 1):
        model, selection = classifier.select_and_train(cache["train"], idx, len(train.class_names), settings,
                                                       held)
    svm_s = time.time() - t0
    for row in selection:
        note(f"alpha {row['alpha']:.1e}: held-out top-1 {row.get('holdout_top1_err_pct', float('nan')):.2f}%"
             + (" (chosen)" if row["chosen"] else ""))
    errs = _write_record(run_dir, config, cache, model, idx, held, selection, svm_s, start, val, solver,
                         train.positions[idx])
    run_folder.mark_done(run_dir)
    note(f"val top-1 {errs['val_top1_err_pct']:.2f}%  top-5 {errs['val_top5_err_pct']:.2f}%  "
         f"({time.time() - start:.0f} s)")


def _write_record(run_dir: Path, config: dict, cache: dict, model, idx: np.ndarray, held: np.ndarray,
                  selection: list[dict], svm_s: float, start: float, val, solver: str,
                  idx_full: np.ndarray) -> dict:
    """Scores train and val, then writes predictions.npz, metrics.csv and eval.json."""
    (val_scores,), val_labels, val_idx = classifier.decision_scores([model], cache["val"], None)
    (tr_scores,), tr_labels, _ = classifier.decision_scores([model], cache["train"], idx)
    errs = {f"{split}_top{k}_err_pct": classifier.topk_error_pct(s, y, k)
            for split, s, y in (("train", tr_scores, tr_labels), ("val", val_scores, val_labels)) for k in (1, 5)}
    np.savez(run_dir / "predictions.npz", probs=val_scores, labels=val_labels, indices=val_idx,
             class_names=np.asarray(val.class_names), paths=np.asarray(val.files))

    # Extraction times come from the cache, so a run that reuses it still reports them.
    fit_json = cache["key_dir"] / "encoder.json"
    fit_s = float(records.read_json(fit_json)["fit_seconds"]) if fit_json.exists() else cache["fit_s"]
    timings = {"encoder_fit_s": fit_s, "train_extract_s": cache["train"].encode_seconds(),
               "val_extract_s": cache["val"].encode_seconds(), "svm_s": svm_s,
               "this_run_wall_s": time.time() - start,
               "reused_cache": not cache["extract"]["train"]["images"] and not cache["fit_s"]}
    n_encoded = cache["train"].n_images + cache["val"].n_images
    images_per_s = n_encoded / max(timings["train_extract_s"] + timings["val_extract_s"], 1e-9)
    records.append_metrics(run_dir, {
        "epoch": 1, "lr": "", "train_loss": classifier.ovr_hinge_loss(tr_scores, tr_labels),
        "val_loss": classifier.ovr_hinge_loss(val_scores, val_labels), **errs,
        "images_per_s": images_per_s, "wall_s": timings["this_run_wall_s"]}, records.BASELINE_METRIC_COLUMNS)
    n_classes, dim = len(val.class_names), cache["encoder"].fv_dim
    records.write_eval(run_dir, {
        "model": config["model"], "dataset": config["dataset"], "split": "val", "n_images": int(len(val_labels)),
        "centre": {"top1_err_pct": errs["val_top1_err_pct"], "top5_err_pct": errs["val_top5_err_pct"]},
        "ten_crop": None, "params": dim * n_classes + n_classes, "fv_dim": dim,
        "train_time_s": fit_s + timings["train_extract_s"] + svm_s, "timings": timings,
        "extract_images_per_s": images_per_s, "workers": n_workers(config),
        "train_subset": {"fraction": float(config["train_fraction"]), "seed": int(config["subset_seed"]),
                         "n_images": int(len(idx)), "n_holdout": int(len(held)),
                         "final_fit_includes_holdout": bool(config.get("svm_refit_with_holdout", True)),
                         "encoder_fit": config.get("encoder_fit", "split"),
                         "sha256": hashlib.sha256(np.asarray(idx_full, np.int64).tobytes()).hexdigest()[:16]},
        "svm_solver": solver,
        "svm_choice": record_verdict({"svm_selection": selection}),
        "svm_selection": selection, "cache_key": cache["key"], "hardware": records.hardware()})
    return errs


def fill_cache(config: dict, part: tuple[int, int] | None) -> None:
    """A cluster job: fit the encoder (part None) or encode this part; no run record."""
    config = validate(config)
    train, val = _sources(config)
    train = cell_images(config, train)[0]  # the cache a run of this config reads (encoder_fit)
    cache = prepare_cache(config, train, val, part or (0, 1), encode=part is not None)
    print(f"encoder: {cache['key_dir'] / 'encoder.npz'}", flush=True)
    for split in ("train", "val") if part is not None else ():
        left = len(cache[split].missing())
        print(f"{split}: encoded {cache['extract'][split]['images']} images; {left} shards of "
              f"{cache[split].n_shards} still missing (all parts)", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.run", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="experiments/fv_*.py")
    parser.add_argument("--shard", help="i/N: only encode this part of the cache (cluster jobs)")
    parser.add_argument("--encoder-only", action="store_true",
                        help="only fit (or find) the PCA + GMM; run once before --shard jobs")
    args, overrides = parse_with_overrides(parser, argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    def body() -> None:
        config = validate(load_config(args.config, overrides, fv_optional_config()))
        require_vlfeat()
        import_tensorflow()  # the data pipeline's; quietly, so an error below is the only line
        part = parse_shard(args.shard)
        if part is None and not args.encoder_only:
            run(config)
        else:
            fill_cache(config, part)

    # ValueError: ConfigError, alexnet.data's DataError and VLFeatMissing derive from it.
    return run_command(body, (ValueError,))


if __name__ == "__main__":
    sys.exit(main())
