"""The command line the record-citing generators share: where records are, where results go, what to cite.

    python -m reporting.scaling [--runs-dir runs] [--results-dir results] [--run-ids ID ...]
    python -m reporting.classes [--runs-dir runs] [--results-dir results] [--run-ids ID ...]
    python -m reporting.transfer [--runs-dir runs] [--results-dir results] [--run-ids ID ...]

Each such module defines `generate(runs_dir, results_dir, run_ids)` and its
`main` is `generate_main(generate, prog, description, run_ids_help, argv)`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Iterable, Sequence

from reporting.runs import resolve_dirs, run_main


def generate_main(generate: Callable[[Path, Path, Sequence[str]], Iterable[Path]], prog: str, description: str,
                  run_ids_help: str, argv: list[str] | None = None) -> int:
    """Parses --runs-dir, --results-dir and --run-ids from `argv` and runs `generate` on them.

    Prints the files written; a RecordError becomes one line `error: ...` and
    exit status 2 (`reporting.runs.run_main`).
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="run folders (default: $RUNS_DIR, else runs/)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="results folder (default: $RESULTS_DIR, else results/)")
    parser.add_argument("--run-ids", nargs="+", default=(), metavar="RUN_ID", help=run_ids_help)

    def body(args, notes):
        runs_dir, results_dir = resolve_dirs(args)
        return generate(runs_dir, results_dir, args.run_ids)

    return run_main(body, parser, argv)
