"""The command line the study drivers share: the study's config, which models, a dry run,
and which finished runs count (`finished`, --reuse-committed)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Callable

from alexnet import run_folder
from alexnet.cli import run_command
from alexnet.config import load_config

REUSE_COMMITTED_HELP = ("count runs whose record is committed under results/ as finished (to continue a long "
                        "study on another machine, one chunk of runs per machine)")


def parser(prog: str, doc: str, default_config: Path, models: tuple[str, ...]) -> argparse.ArgumentParser:
    """--config, --models, --dry-run and --reuse-committed; a driver adds the option that picks its own cells."""
    out = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    out.add_argument("--config", type=Path, default=default_config, help="the study (default %(default)s)")
    out.add_argument("--models", nargs="+", choices=models, default=models, help="only these models")
    out.add_argument("--dry-run", action="store_true", help="print the plan; run nothing")
    add_reuse_committed(out)
    return out


def add_reuse_committed(parser: argparse.ArgumentParser) -> None:
    """--reuse-committed, for the drivers with a parser of their own too (drivers.scaling)."""
    parser.add_argument("--reuse-committed", action="store_true", help=REUSE_COMMITTED_HELP)


def finished(config: dict, reuse_committed: bool = False, results_dir: Path | None = None) -> str | None:
    """The run id of a finished run of exactly `config`, else None.

    A finished run folder under the runs folder counts; with `reuse_committed`,
    so does a record of the config committed under results/ (reporting.runs.find_record).
    Off by default, so that a clean clone reruns the whole study; on, a long
    study goes on where another machine, whose runs/ is gone, left off.

    Args:
      config: the run's resolved config.
      reuse_committed: count committed records too.
      results_dir: where the committed records are (default: $RESULTS_DIR, else results/).
    """
    if not reuse_committed:
        done = run_folder.find_finished(config["experiment"], config)
        return done.name if done else None
    from reporting.runs import find_record, results_root
    return find_record(config, run_folder.runs_root(), Path(results_dir or results_root()))


def run_study(args: argparse.Namespace, run: Callable[[dict], int]) -> int:
    """Loads the study's config and runs `run(definition)`; every ValueError (ConfigError,
    DataError, reporting's RecordError) is one line."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # the baseline's stages and SVM passes
    return run_command(lambda: run(load_config(args.config)), (ValueError,))
