"""Run folders: create, find (to resume), lock, log and finish, for the CNN trainer
and the Fisher-vector baseline alike.

    runs/<UTC time>-<experiment>-<config hash>/     (format: alexnet/records.py)

The folder name ends with a hash of the resolved config, so rerunning the same
command finds its own unfinished run and resumes it (`choose`), while a
finished run is never touched again. A run holds an exclusive lock on its
folder while it works (`Lock`), so two processes never write one folder.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import time
from pathlib import Path

from alexnet.config import ConfigError
from alexnet.records import REPO_ROOT, config_hash, read_json, write_json_atomic, write_text_atomic


def runs_root() -> Path:
    """Where run folders go: $RUNS_DIR, else runs/ in the repository."""
    return Path(os.environ.get("RUNS_DIR", REPO_ROOT / "runs"))


def find_unfinished(experiment: str, config: dict, root: Path | None = None) -> Path | None:
    """The newest unfinished run folder of this experiment with this exact config."""
    root = Path(root or runs_root())
    suffix = f"-{experiment}-{config_hash(config)}"
    candidates = sorted(p for p in root.glob(f"*{suffix}") if p.is_dir() and not (p / "done").exists())
    return candidates[-1] if candidates else None


def find_finished(experiment: str, config: dict, root: Path | None = None) -> Path | None:
    """The newest finished run folder of this experiment with this exact config."""
    root = Path(root or runs_root())
    suffix = f"-{experiment}-{config_hash(config)}"
    candidates = sorted(p for p in root.glob(f"*{suffix}") if (p / "done").exists())
    return candidates[-1] if candidates else None


def find_or_run(config: dict, runner, what: str | None = None) -> Path:
    """A finished run of this exact config, else `runner(config)`'s run folder.

    An unfinished run of the config is resumed by the runner itself (the trainer
    from its last checkpoint, the baseline from its cached Fisher vectors).
    `what`, when given, names the stage in the line printed for a finished run.
    """
    done = find_finished(config["experiment"], config)
    if done is not None:
        if what:
            print(f"{what} already done: {done}", flush=True)
        return done
    return runner(config)


def new_run_dir(experiment: str, config: dict, root: Path | None = None) -> Path:
    """Creates a fresh run folder and writes config.json into it first.

    The folder is created with exclusive mkdir, so two runs started in the same
    second get different folders instead of sharing one.
    """
    root = Path(root or runs_root())
    root.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{experiment}-{config_hash(config)}"
    for attempt in range(100):
        run_dir = root / (base if attempt == 0 else f"{stamp}.{attempt}-{experiment}-{config_hash(config)}")
        try:
            run_dir.mkdir()
            break
        except FileExistsError:
            continue
    else:
        raise RuntimeError(f"could not create a new run folder under {root}")
    write_json_atomic(run_dir / "config.json", config)
    return run_dir


def choose(config: dict, run_dir: Path | None = None) -> Path:
    """The given folder, else this config's unfinished run (to resume), else a new one.

    Raises:
      ConfigError: `run_dir` holds a run of a different config.
    """
    if run_dir is not None:
        run_dir = Path(run_dir)
        if (run_dir / "config.json").exists():
            if read_json(run_dir / "config.json") != config:
                raise ConfigError(f"run folder {run_dir} holds a different config")
            return run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(run_dir / "config.json", config)
        return run_dir
    experiment = config["experiment"]
    return find_unfinished(experiment, config) or new_run_dir(experiment, config)


class Lock:
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


class Log:
    """Prints (when `echo`) and appends time-stamped lines to the run's log.txt (when `write`)."""

    def __init__(self, run_dir: Path, echo: bool = True, write: bool = True):
        self.run_dir, self.echo, self.write = Path(run_dir), echo, write

    def __call__(self, text: str, echo: bool = True) -> None:
        if self.echo and echo:
            print(text, flush=True)
        if self.write:
            log_line(self.run_dir, time.strftime("%Y-%m-%d %H:%M:%S ") + text)


def mark_done(run_dir: Path) -> None:
    """Finishes a run: writes `done` last, so a finished run is never resumed."""
    write_text_atomic(Path(run_dir) / "done", _dt.datetime.now(_dt.timezone.utc).isoformat() + "\n")


def is_done(run_dir: Path) -> bool:
    return (Path(run_dir) / "done").exists()


def list_runs(root: Path | None = None, finished_only: bool = True) -> list[Path]:
    root = Path(root or runs_root())
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and (p / "config.json").exists() and (not finished_only or is_done(p)))


def log_line(run_dir: Path, text: str) -> None:
    """Appends a line to the run's log.txt (and echoes nothing; callers print)."""
    with open(Path(run_dir) / "log.txt", "a") as f:
        f.write(text.rstrip("\n") + "\n")
