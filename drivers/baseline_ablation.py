"""Runs the Fisher-vector ablation study of experiments/baseline_ablation.py and writes its table.

    make reproduce-baseline-ablation              # python -m drivers.baseline_ablation
    python -m drivers.baseline_ablation --variants k64 pyramid
    python -m drivers.baseline_ablation --dry-run
    python -m reporting.ablation                  # the table again, from the records alone

The study (what each variant changes, why, its cost and result) is described
in the config's docstring; each variant is built by baselines/variants.py.
"""

from __future__ import annotations

import argparse
import sys

from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config
from drivers import preflight
from drivers.preflight import Stage

CONFIG = EXPERIMENTS_DIR / "baseline_ablation.py"


def main(argv=None) -> int:
    try:
        definition = load_config(CONFIG)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    names = list(definition["variants"])
    parser = argparse.ArgumentParser(prog="python -m drivers.baseline_ablation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", choices=names, default=names, help="only these variants")
    parser.add_argument("--dry-run", action="store_true", help="list the variants and which are done")
    args = parser.parse_args(argv)
    from alexnet import run_folder
    from baselines import run as baseline
    from baselines.variants import untagged, variant_config
    from reporting import ablation
    from reporting.runs import RecordError, find_record, results_root
    try:
        configs = {name: variant_config(definition, name) for name in names}
        runs_dir, results_dir = run_folder.runs_root(), results_root()
        # A finished run folder, else a committed record of the same config (a fresh clone), or
        # of the same config before the study tagged it (a run that was then the table's).
        done = {name: find_record(c, runs_dir, results_dir) or find_record(untagged(c), runs_dir, results_dir)
                for name, c in configs.items()}
        if not args.dry_run:
            preflight.check([Stage("fv", configs[n]) for n in args.variants if not done[n]])
        for i, name in enumerate(args.variants, 1):
            what = definition["variants"][name][1]
            if args.dry_run:
                print(f"  {name}: {what}: {'finished ' + done[name] if done[name] else 'to run'}")
                continue
            print(f"\n=== [{i}/{len(args.variants)}] {name}: {what} ===", flush=True)
            done[name] = run_folder.find_or_run(configs[name], baseline.run, f"variant {name}").name
        if args.dry_run:
            return 0
        cited = {name: run_id for name, run_id in done.items() if run_id is not None}
        for path in ablation.generate(runs_dir, results_dir, cited, definition):
            print(f"wrote {path}")
    except (ConfigError, RecordError, ValueError) as err:  # ValueError: also DataError
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
