"""Train a network from an experiment config; one trainer for every scale.

    python -m alexnet.train --config experiments/imagenette_alexnet.py [key=value ...]
        [--skip-if-done] [--run-dir DIR]

Each run gets its own folder runs/<UTC>-<experiment>-<config hash>/ (see
alexnet/records.py): config.json first, then provenance.json, preprocessing.json
(the input scaling a trained model needs, for alexnet.predict), metrics.csv (one
row per epoch), tb/ (TensorBoard), checkpoints/, log.txt, and at the end
eval.json, predictions.npz and `done`. Rerunning the same command resumes the
unfinished run of the same config from its last checkpoint, mid-epoch included;
a finished one is left alone and a new folder is started, unless
--skip-if-done, which prints the finished run and exits 0.

Exit status: 0 done; 1 training diverged (non-finite loss) or stuck at chance
(with chance_guard_action='stop'); 2 unusable config or missing data, reported
as one line `error: ...`.

In Python: `run(config) -> run folder` (what the CLI wraps).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alexnet import cli, records, run_folder
from alexnet.config import ConfigError, check_config, load_config, one_of, repo_relative
from alexnet.defaults import RULES, base_config, model_switches, option, optional_config

DIVERGED = records.DIVERGED  # written into a run folder whose training diverged or stuck at chance


def validate(config: dict) -> dict:
    """Checks keys, types and values before anything is built; raises ConfigError.

    The keys naming a choice are checked against the list of the module that
    uses them, so a new architecture or schedule needs no change here. Those
    modules bring TensorFlow in (quietly, see `cli.import_tensorflow`).
    """
    cli.import_tensorflow()
    from alexnet import data, distribute, inputs, model, monitor, optim

    choices = {"arch": model.ARCHS, "init": model.INITS, "precision": ("auto", *model.PRECISIONS),
               "strategy": distribute.STRATEGIES, "cluster": distribute.CLUSTERS,
               "placement": distribute.PLACEMENTS, "lr_schedule": optim.SCHEDULES,
               "input_norm": inputs.INPUT_NORMS, "chance_guard_action": monitor.ACTIONS,
               "activation": model.ACTIVATIONS, "pool": model.POOLS, "towers": model.TOWERS}
    config = check_config(config, base_config(), optional_config(),
                          {**{key: one_of(values) for key, values in choices.items()}, **RULES})
    try:  # a switch the network lacks (towers='two' with alexnet2012), before anything is built
        model.check_switches(config["arch"], **model_switches(config))
    except ValueError as err:
        raise ConfigError(str(err)) from None
    if option(config, "warmup_epochs") >= config["epochs"]:
        raise ConfigError(f"warmup_epochs ({option(config, 'warmup_epochs')}) must be below epochs "
                          f"({config['epochs']}): the run would end before the warm-up does")
    try:
        data.pipeline.check_resize_range(option(config, "resize_range"), config["image_size"], config["pad"])
    except data.DataError as err:
        raise ConfigError(str(err)) from None
    if option(config, "init_from") is not None and not isinstance(option(config, "init_from"), str):
        raise ConfigError(f"init_from must be a run id (a string) or None, got {option(config, 'init_from')!r}")
    if config["lr_schedule"] == "plateau" and option(config, "holdout_fraction") == 0.0:
        # The plateau rule decides during training; it must not read the reported split.
        raise ConfigError("lr_schedule 'plateau' needs holdout_fraction > 0 (e.g. holdout_fraction=0.1): "
                          "its decisions read a held-out part of the training set, never the reported split")
    return config


def resolve_config(path: str | Path, overrides=()) -> dict:
    """Loads an experiment file with `key=value` overrides and checks it (ConfigError).

    The result is what `run` records and hashes, so drivers that look for a
    finished run (`run_folder.find_finished`) should use this too.
    """
    return validate(load_config(path, overrides, optional_config()))


def run(config: dict, run_dir: str | Path | None = None, verbose: bool = True) -> Path:
    """Trains (or resumes) one run and evaluates it; returns the run folder.

    Args:
      config: a resolved config (load_config of an experiment file).
      run_dir: a folder to use instead of runs/<UTC>-<experiment>-<hash>.
      verbose: print progress bars and epoch lines.

    Raises:
      ConfigError: unusable config or missing data (nothing is created).
      trainer.TrainingDiverged: a non-finite loss, or a loss stuck at ln(classes) with
        chance_guard_action='stop'; the last good checkpoint stays.
    """
    config = validate(dict(config))
    if config.get("config_file"):
        config["config_file"] = repo_relative(config["config_file"])
    from alexnet import distribute, finetune, inputs, loop
    from alexnet.trainer import Trainer
    if option(config, "init_from") and not _resumable(config, run_dir):
        finetune.check_source(config)  # missing or another network: one line, before any folder exists
    dist = distribute.context(config)
    sources = inputs.make_sources(config)
    # Each worker trains on its own shard.
    mine = sources if dist.workers == 1 else inputs.make_sources(config, shard=(dist.worker, dist.workers))
    trainer = Trainer(config, dist)
    job = loop.Job(config, trainer, mine.train, mine.heldout, inputs.colour_stats(config, sources.labelled),
                   trainer.steps_per_epoch(sources.train.n_images))
    lock = None
    if dist.chief:
        run_dir = run_folder.choose(config, Path(run_dir) if run_dir else None)
        lock = run_folder.Lock(run_dir)
    try:
        # Workers use the folder the chief chose (on a shared file system).
        run_dir = Path(dist.broadcast_text(str(run_dir) if dist.chief else ""))
        log = run_folder.Log(run_dir, echo=dist.chief and verbose, write=dist.chief)
        checkpoint = trainer.restore(run_dir / "checkpoints")
        if checkpoint is None:
            if option(config, "init_from"):
                # Before the first checkpoint, so a resumed run keeps its tuned weights.
                log(finetune.initialise(trainer.model, option(config, "init_from")))
            if dist.chief:
                _write_provenance(run_dir, job, sources)
            held = sources.heldout.n_images if sources.heldout is not None else 0
            log(f"run folder {run_dir}: {config['arch']} on {config['dataset']} ({sources.train.n_images} "
                f"training images, {held} held out, {job.steps} steps of {config['batch_size']} per epoch, "
                f"{dist.describe()['strategy']} with {dist.replicas} replica(s), {dist.precision})")
        else:
            epoch, step = trainer.position()
            log(f"resuming {run_dir} from {Path(checkpoint).name}: epoch {epoch + 1}, "
                f"step {step} of {job.steps}")
        if dist.chief:
            # A resumed run is judged afresh: a verdict an earlier attempt left goes.
            (run_dir / DIVERGED).unlink(missing_ok=True)
        _fit(job, run_dir, log, dist.chief and verbose)
        if dist.chief:
            _finish(job, run_dir, log, sources.val)
    finally:
        if lock:
            lock.release()
    return run_dir


def _resumable(config: dict, run_dir) -> bool:
    """Whether this run resumes from a checkpoint (its weights then need no source network)."""
    from alexnet.finetune import has_weights
    folder = Path(run_dir) if run_dir else run_folder.find_unfinished(config["experiment"], config)
    return folder is not None and has_weights(folder)


def _fit(job, run_dir: Path, log, verbose: bool) -> None:
    from alexnet import loop, monitor
    from alexnet.trainer import TrainingDiverged
    try:
        loop.fit(job, run_dir, log, verbose)
    except monitor.StuckAtChance as err:
        message = f"{err}; training stopped (chance_guard_action='stop'), checkpoints kept"
    except TrainingDiverged as err:
        message = (f"{err}; training stopped. The last good checkpoint is kept: "
                   f"{_latest(run_dir) or 'none (diverged before the first)'}. "
                   "Lower lr or check the input data.")
    else:
        return
    finally:
        job.trainer.dist.cleanup(run_dir)
    log(f"error: {message}", echo=False)  # the caller prints it
    if job.trainer.dist.chief:
        # The folder's verdict, for a study whose grid it bounds (reporting.transfer).
        records.write_json_atomic(Path(run_dir) / DIVERGED, {"error": message})
    raise TrainingDiverged(message)


def _write_provenance(run_dir: Path, job, sources) -> None:
    from alexnet import inputs
    labelled, held, config, dist = sources.labelled, sources.heldout_indices, job.config, job.trainer.dist
    dataset = {"name": labelled.name, "root": str(labelled.root), "fingerprint": labelled.fingerprint,
               "train": labelled.info(), "val": sources.val.info(),
               "subset": inputs.subset_record(sources.subset), "trained_on": sources.train.n_images,
               "heldout": inputs.subset_record(held) if len(held) else None}
    extra = {"distribution": dist.describe(), "precision": dist.precision, "steps_per_epoch": job.steps,
             "params": int(job.trainer.model.count_params())}
    if option(config, "init_from"):  # which copy of the source network's weights the run started from
        from alexnet.finetune import source_folder
        extra["init_from_folder"] = str(source_folder(option(config, "init_from")))
    records.write_provenance(run_dir, dataset, extra)
    if job.stats is not None:
        # What a trained model needs to see new images as it saw its training
        # images (alexnet.predict, alexnet.export), without the training data.
        records.write_json_atomic(run_dir / "preprocessing.json", {
            "resize": config["resize"], "image_size": config["image_size"],
            "input_norm": option(config, "input_norm"), "colour_stats": job.stats.to_dict()})


def _finish(job, run_dir: Path, log, val_full) -> None:
    """Evaluates the final model (centre and ten crops), then marks the run done."""
    from alexnet import evaluate
    train_s = job.trainer.seconds()["train_s"]
    result = evaluate.evaluate_model(job.trainer.model, job.config, run_dir, val_source=val_full,
                                     stats=job.stats, train_time_s=train_s, verbose=False,
                                     checkpoint=_latest(run_dir))
    run_folder.mark_done(run_dir)
    log(f"done: {evaluate.format_result(result)}; {job.config['epochs']} epochs, "
        f"{train_s / 60:.1f} min training; run folder {run_dir}")


def _latest(run_dir: Path) -> str | None:
    import tensorflow as tf
    return tf.train.latest_checkpoint(str(run_dir / "checkpoints"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.train",
                                     description="Train AlexNet from an experiment config.")
    parser.add_argument("--config", required=True,
                        help="experiment file, e.g. experiments/cifar10_convnet.py")
    parser.add_argument("--skip-if-done", action="store_true",
                        help="if this config already finished, print its run folder and exit 0")
    parser.add_argument("--run-dir", default=None,
                        help="use this run folder (default: a new one under $RUNS_DIR)")
    args, overrides = cli.parse_with_overrides(parser, argv)
    try:
        config = resolve_config(args.config, overrides)
    except ConfigError as err:
        return cli.fail(err)
    done = run_folder.find_finished(config["experiment"], config)
    if args.skip_if_done and done is not None:
        print(f"already done: {done}")
        if (done / "eval.json").exists():
            from alexnet.evaluate import format_result
            print(format_result(records.read_json(done / "eval.json")))
        return 0
    from alexnet.trainer import TrainingDiverged
    return cli.run_command(lambda: run(config, args.run_dir), (ConfigError,), (TrainingDiverged,))


if __name__ == "__main__":
    sys.exit(main())
