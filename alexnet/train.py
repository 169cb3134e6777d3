"""Train a network from an experiment config; one trainer for every scale.

    python -m alexnet.train --config experiments/imagenette_alexnet.py [key=value ...]
        [--skip-if-done] [--run-dir DIR]

Each run gets its own folder runs/<UTC>-<experiment>-<config hash>/ (see
alexnet/records.py): config.json first, then provenance.json, metrics.csv (one
row per epoch), tb/ (TensorBoard), checkpoints/, log.txt, and at the end
eval.json, predictions.npz and `done`. Rerunning the same command resumes the
unfinished run of the same config from its last checkpoint, mid-epoch included;
a finished one is left alone and a new folder is started, unless
--skip-if-done, which prints the finished run and exits 0.

Exit status: 0 done; 1 training diverged (non-finite loss) or stuck at chance
(with chance_guard_action='stop'); 2 unusable config
or missing data, reported as one line `error: ...`.

In Python: `run(config) -> run folder` (what the CLI wraps).
"""

from __future__ import annotations

import argparse
import fcntl
import sys
import time
from pathlib import Path


from alexnet import records
from alexnet.config import ConfigError, _check_type, load_config, repo_relative
from experiments.common import base_config, option, optional_config

CHOICES = {
    "arch": ("alexnet2012", "alexnet2014", "cifar_convnet", "cifar_alexnet"),
    "init": ("paper", "he", "glorot"),
    "precision": ("auto", "float32", "mixed_bfloat16", "mixed_float16"),
    "strategy": ("auto", "one_device", "mirrored", "multi_worker", "tpu"),
    "cluster": ("tf_config", "slurm"),
    "placement": ("none", "towers"),
    "lr_schedule": ("plateau", "step", "cosine"),
    "input_norm": ("mean", "standardise"),
    "chance_guard_action": ("warn", "stop"),
}
POSITIVE = ("num_classes", "image_size", "batch_size", "epochs", "lr", "eval_batch_size", "keep_checkpoints")


def validate(config: dict) -> dict:
    """Checks keys, types and ranges before anything is built; raises ConfigError."""
    base, optional = base_config(), optional_config()
    missing = [k for k in base if k not in config]
    if missing:
        raise ConfigError(f"config {config.get('config_file', '')} lacks key(s): {', '.join(missing)}")
    unknown = [k for k in config if k not in base and k not in optional and k != "config_file"]
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(unknown)}")
    config = {k: _check_type(k, v, base.get(k, optional.get(k))) for k, v in config.items()}
    for key, choices in CHOICES.items():
        value = config[key] if key in base else option(config, key)
        if value not in choices:
            raise ConfigError(f"config key '{key}' must be one of {', '.join(choices)}; got {value!r}")
    for key in POSITIVE:
        if not config[key] > 0:
            raise ConfigError(f"config key '{key}' must be positive, got {config[key]!r}")
    if not 0.0 < config["train_fraction"] <= 1.0:
        raise ConfigError(f"train_fraction must be in (0, 1], got {config['train_fraction']}")
    if not 0.0 <= config["dropout"] < 1.0:
        raise ConfigError(f"dropout must be in [0, 1), got {config['dropout']}")
    for key in ("checkpoint_every_steps", "checkpoint_every_minutes", "warmup_epochs", "chance_guard_steps",
                "holdout_fraction"):
        value = config[key] if key in base else option(config, key)
        if value is None or value < 0:
            raise ConfigError(f"config key '{key}' must be >= 0, got {value!r}")
    if not option(config, "val_every_epochs") or option(config, "val_every_epochs") < 1:
        raise ConfigError(f"val_every_epochs must be >= 1, got {option(config, 'val_every_epochs')}")
    if option(config, "warmup_epochs") >= config["epochs"]:
        raise ConfigError(f"warmup_epochs ({option(config, 'warmup_epochs')}) must be below epochs "
                          f"({config['epochs']}): the run would end before the warm-up does")
    if not 0.0 <= option(config, "holdout_fraction") < 1.0:
        raise ConfigError(f"holdout_fraction must be in [0, 1), got {config['holdout_fraction']}")
    if config["lr_schedule"] == "plateau" and option(config, "holdout_fraction") == 0.0:
        # The plateau rule decides during training; it must not read the reported split.
        raise ConfigError("lr_schedule 'plateau' needs holdout_fraction > 0 (e.g. holdout_fraction=0.1): "
                          "its decisions read a held-out part of the training set, never the reported split")
    return config


def resolve_config(path: str | Path, overrides=()) -> dict:
    """Loads an experiment file with `key=value` overrides and checks it (ConfigError).

    The result is what `run` records and hashes, so drivers that look for a
    finished run (`records.find_finished`) should use this too.
    """
    return validate(load_config(path, overrides, optional_config()))


def experiment_name(config: dict) -> str:
    return config["experiment"]


class _Lock:
    """An exclusive lock on a run folder, released by the OS even on SIGKILL."""

    def __init__(self, run_dir: Path):
        self.file = open(Path(run_dir) / ".lock", "w")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise ConfigError(f"run folder {run_dir} is in use by another training process") from None

    def release(self) -> None:
        self.file.close()


def _choose_run_dir(config: dict, run_dir: Path | None) -> Path:
    """The given folder, else this config's unfinished run (to resume), else a new one."""
    if run_dir is not None:
        if (run_dir / "config.json").exists():
            if records.read_json(run_dir / "config.json") != config:
                raise ConfigError(f"run folder {run_dir} holds a different config")
            return run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        records.write_json_atomic(run_dir / "config.json", config)
        return run_dir
    existing = records.find_unfinished(experiment_name(config), config)
    return existing or records.new_run_dir(experiment_name(config), config)


def run(config: dict, run_dir: str | Path | None = None, verbose: bool = True) -> Path:
    """Trains (or resumes) one run and evaluates it; returns the run folder.

    Args:
      config: a resolved config (load_config of an experiment file).
      run_dir: a folder to use instead of runs/<UTC>-<experiment>-<hash>.
      verbose: print progress bars and epoch lines.

    Raises:
      ConfigError: unusable config or missing data (nothing is created).
      loop.TrainingDiverged: a non-finite loss, or a loss stuck at ln(classes) with
        chance_guard_action='stop'; the last good checkpoint stays.
    """
    config = validate(dict(config))
    if config.get("config_file"):
        config["config_file"] = repo_relative(config["config_file"])
    # TensorFlow comes in only now, so a bad config fails fast.
    from alexnet import distribute, fit, inputs, loop
    strategy = distribute.make_strategy(config)
    chief = distribute.is_chief(strategy)
    sources = inputs.make_sources(config)
    mine = sources
    workers = distribute.num_workers(strategy)
    if workers > 1:
        mine = inputs.make_sources(config, shard=(distribute.worker_index(strategy), workers))
    trainer = loop.Trainer(config, strategy)
    job = fit.Job(config, strategy, trainer, mine.train, mine.heldout,
                  inputs.colour_stats(config, sources.labelled), trainer.steps_per_epoch(sources.train.n_images),
                  chief)
    lock = None
    if chief:
        run_dir = _choose_run_dir(config, Path(run_dir) if run_dir else None)
        lock = _Lock(run_dir)
    try:
        # Workers use the folder the chief chose (on a shared file system).
        run_dir = Path(distribute.broadcast_text(strategy, str(run_dir) if chief else ""))
        log = _Logger(run_dir, chief and verbose, chief)
        checkpoint = trainer.restore(run_dir / "checkpoints")
        if checkpoint is None:
            if chief:
                _write_provenance(run_dir, job, sources)
            held = sources.heldout.n_images if sources.heldout is not None else 0
            log(f"run folder {run_dir}: {config['arch']} on {config['dataset']} ({sources.train.n_images} "
                f"training images, {held} held out, {job.steps} steps of {config['batch_size']} per epoch, "
                f"{distribute.describe(strategy)['strategy']} with {strategy.num_replicas_in_sync} "
                f"replica(s), {trainer.precision})")
        else:
            log(f"resuming {run_dir} from {Path(checkpoint).name}: epoch "
                f"{int(trainer.progress.epoch.numpy()) + 1}, step {int(trainer.progress.step.numpy())} "
                f"of {job.steps}")
        _fit(job, run_dir, log, chief and verbose)
        if chief:
            _finish(job, run_dir, log, sources.val)
    finally:
        if lock:
            lock.release()
    return run_dir


def _fit(job, run_dir: Path, log, verbose: bool) -> None:
    from alexnet import distribute, fit, loop, monitor
    try:
        fit.fit(job, run_dir, log, verbose)
    except monitor.StuckAtChance as err:
        message = f"{err}; training stopped (chance_guard_action='stop'), checkpoints kept"
        log(f"error: {message}", echo=False)
        raise loop.TrainingDiverged(message) from None
    except loop.TrainingDiverged as err:
        message = (f"{err}; training stopped. The last good checkpoint is kept: "
                   f"{_latest(run_dir) or 'none (diverged before the first)'}. "
                   "Lower lr or check the input data.")
        log(f"error: {message}", echo=False)  # the caller prints it
        raise loop.TrainingDiverged(message) from None
    finally:
        distribute.cleanup_worker_dir(run_dir, job.strategy)


class _Logger:
    """Prints (chief, verbose) and appends to the run's log.txt (chief)."""

    def __init__(self, run_dir: Path, echo: bool, write: bool):
        self.run_dir, self.echo, self.write = run_dir, echo, write

    def __call__(self, text: str, echo: bool = True) -> None:
        if self.echo and echo:
            print(text, flush=True)
        if self.write:
            records.log_line(self.run_dir, time.strftime("%Y-%m-%d %H:%M:%S ") + text)


def _write_provenance(run_dir: Path, job, sources) -> None:
    from alexnet import distribute, inputs
    labelled = sources.labelled
    dataset = {"name": labelled.name, "root": str(labelled.root), "fingerprint": labelled.fingerprint,
               "train": labelled.info(), "val": sources.val.info(), "subset": inputs.subset_record(sources.subset),
               "trained_on": sources.train.n_images,
               "heldout": inputs.subset_record(sources.heldout_indices) if len(sources.heldout_indices) else None}
    extra = {"distribution": distribute.describe(job.strategy), "precision": job.trainer.precision,
             "steps_per_epoch": job.steps, "params": int(job.trainer.model.count_params())}
    records.write_provenance(run_dir, dataset, extra)


def _finish(job, run_dir: Path, log, val_full) -> None:
    """Evaluates the final model (centre and ten crops), then marks the run done."""
    from alexnet import evaluate
    train_s = float(job.trainer.progress.train_s.numpy())
    result = evaluate.evaluate_model(job.trainer.model, job.config, run_dir, val_source=val_full,
                                     stats=job.stats, train_time_s=train_s, verbose=False,
                                     checkpoint=_latest(run_dir))
    records.mark_done(run_dir)
    log(f"done: {evaluate.format_result(result)}; {job.config['epochs']} epochs, "
        f"{train_s / 60:.1f} min training; run folder {run_dir}")


def _latest(run_dir: Path) -> str | None:
    import tensorflow as tf
    return tf.train.latest_checkpoint(str(run_dir / "checkpoints"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.train",
                                     description="Train AlexNet from an experiment config.")
    parser.add_argument("--config", required=True, help="experiment file, e.g. experiments/cifar10_convnet.py")
    parser.add_argument("--skip-if-done", action="store_true",
                        help="if this config already finished, print its run folder and exit 0")
    parser.add_argument("--run-dir", default=None, help="use this run folder (default: a new one under $RUNS_DIR)")
    parser.add_argument("overrides", nargs="*", help="config overrides key=value")
    args, extra = parser.parse_known_args(argv)
    try:
        config = resolve_config(args.config, [*args.overrides, *extra])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    done = records.find_finished(experiment_name(config), config)
    if args.skip_if_done and done is not None:
        print(f"already done: {done}")
        if (done / "eval.json").exists():
            from alexnet.evaluate import format_result
            print(format_result(records.read_json(done / "eval.json")))
        return 0
    from alexnet import loop  # TensorFlow comes in only after the config checked out.
    try:
        run(config, args.run_dir)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except loop.TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
