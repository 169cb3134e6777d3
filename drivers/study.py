"""The command line the study drivers share: the study's config, which models, a dry run."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Callable

from alexnet.cli import run_command
from alexnet.config import load_config


def parser(prog: str, doc: str, default_config: Path, models: tuple[str, ...]) -> argparse.ArgumentParser:
    """--config, --models and --dry-run; a driver adds the option that picks its own cells."""
    out = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    out.add_argument("--config", type=Path, default=default_config, help="the study (default %(default)s)")
    out.add_argument("--models", nargs="+", choices=models, default=models, help="only these models")
    out.add_argument("--dry-run", action="store_true", help="print the plan; run nothing")
    return out


def run_study(args: argparse.Namespace, run: Callable[[dict], int]) -> int:
    """Loads the study's config and runs `run(definition)`; every ValueError (ConfigError,
    DataError, reporting's RecordError) is one line."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # the baseline's stages and SVM passes
    return run_command(lambda: run(load_config(args.config)), (ValueError,))
