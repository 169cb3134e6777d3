"""Every benchmark in one table: input pipeline, training step, Fisher-vector baseline.

    python -m scripts.bench [--quick] [--out results/bench/DATE-CPU]        # make bench

Runs `bench()` of scripts/bench_input.py, bench_train.py and bench_baseline.py
in turn (each documents what it measures) and prints their rows as one table:
suite, benchmark, images per second, and the suite's other columns as
details. --quick measures less (the QUICK arguments below) for a look in a
minute or two; the numbers are then rougher. A suite whose module does not
exist yet is named and skipped. --out also writes the table as OUT.csv and,
as printed, OUT.txt: a measurement to commit (results/bench/) is the file
the bench wrote, not a copy by hand.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
from pathlib import Path

import pandas as pd

from alexnet.records import hardware, hardware_summary, write_text_atomic

SUITES = {"input": "scripts.bench_input", "train": "scripts.bench_train", "baseline": "scripts.bench_baseline"}
# Passed to a suite's bench() under --quick, where it takes them.
QUICK = {"n_images": 256, "precisions": ("mixed_bfloat16",), "input_kinds": ("synthetic",),
         "steps": 2, "warmup": 1, "rounds": 1}
# Row fields that together name what was measured; the others become details.
NAME_KEYS = ("benchmark", "arch", "precision", "input")


def run_suite(module_name: str, quick: bool) -> list[dict] | None:
    """The rows of one suite's bench(), or None when its module does not exist."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise  # a missing dependency of an existing suite is a real error
        return None
    accepted = inspect.signature(module.bench).parameters
    kwargs = {k: v for k, v in QUICK.items() if k in accepted} if quick else {}
    return module.bench(**kwargs)


def combine(results: dict[str, list[dict]]) -> pd.DataFrame:
    """One table from every suite's rows: suite, benchmark, images_per_s, details."""
    rows = []
    for suite, suite_rows in results.items():
        for row in suite_rows:
            name = " ".join(str(row[k]) for k in NAME_KEYS if row.get(k) not in (None, ""))
            name = name.removeprefix(f"{suite} ")  # bench_input's names start with 'input
            details = ", ".join(f"{k}={v}" for k, v in row.items()
                                if k not in NAME_KEYS and k != "images_per_s" and v not in (None, ""))
            rows.append({"suite": suite, "benchmark": name, "images_per_s": row.get("images_per_s"),
                         "details": details})
    return pd.DataFrame(rows, columns=["suite", "benchmark", "images_per_s", "details"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and steps, one precision")
    parser.add_argument("--suites", nargs="+", choices=sorted(SUITES), default=list(SUITES))
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the table to OUT.csv and OUT.txt (e.g. results/bench/<date>-<cpu>)")
    args = parser.parse_args(argv)
    from alexnet import cli
    cli.import_tensorflow()  # quietly, before a suite brings it in
    results, missing = {}, []
    for suite in args.suites:
        print(f"running {suite} ...", file=sys.stderr, flush=True)
        rows = run_suite(SUITES[suite], args.quick)
        if rows is None:
            missing.append(SUITES[suite])
        else:
            results[suite] = rows
    table = combine(results)
    with pd.option_context("display.max_colwidth", 90, "display.width", 200):
        text = table.to_string(index=False)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    text += (f"\n\n{hardware_summary(hardware())}, load average {load:.1f} at the end"
             + ("; --quick" if args.quick else "") + (f"; not yet written: {', '.join(missing)}" if missing else ""))
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(args.out.with_suffix(".csv"), table.to_csv(index=False))
        write_text_atomic(args.out.with_suffix(".txt"), f"python -m scripts.bench {' '.join(argv or sys.argv[1:])}\n\n"
                          + text + "\n")
        print(f"wrote {args.out.with_suffix('.csv')} and {args.out.with_suffix('.txt')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
