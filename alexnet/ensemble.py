"""Ensembles: the softmax outputs of several trained runs averaged, as in the paper's
"5 CNNs" and "7 CNNs*" rows (Krizhevsky et al. 2012, Table 2 and section 6).

    python -m alexnet.ensemble --config experiments/cifar10_ensemble.py

An ensemble config names its members: experiment files with `key=value`
overrides, each resolved exactly as `python -m alexnet.train` would resolve
it. A member is the finished run of that config (runs/ is searched by its
hash); a member not trained yet is trained first, so the command reproduces
the whole ensemble. Each member is then evaluated on the validation split
with its own preprocessing (input size, colour statistics) and test crops,
and the probabilities are averaged: centre crops with centre crops, and the
members' ten-crop averages with each other (the paper's protocol for its
ensembles).

The ensemble's run folder is a run record like a trained run's, so tables
and figures cite it the same way: config.json (the definition), provenance.json,
eval.json (centre and ten-crop errors, the member runs, their summed
parameters and training time) and predictions.npz.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from alexnet import records, run_folder
from alexnet.cli import fail, run_command
from alexnet.config import EXPERIMENTS_DIR, ConfigError, check_config, load_config

# Every key of an ensemble config, with the type its value must have.
KEYS = {"experiment": "", "dataset": "", "model": "", "members": []}
RULES = {"members": (lambda v: len(v) >= 2, "at least two [config file, [overrides]] pairs")}


def validate(config: dict) -> dict:
    """Checks an ensemble definition; returns it (ConfigError, one line, if unusable)."""
    config = check_config(config, KEYS, {}, RULES, what="ensemble config")
    for member in config["members"]:
        if not (isinstance(member, (list, tuple)) and len(member) == 2 and isinstance(member[0], str)
                and isinstance(member[1], (list, tuple))):
            raise ConfigError(f"ensemble config: member {member!r} is not a [config file, [overrides]] pair")
    return {**config, "members": [[file, list(overrides)] for file, overrides in config["members"]]}


def member_configs(config: dict) -> list[dict]:
    """Each member's resolved trainer config; ConfigError if one is of another dataset."""
    from alexnet import train

    out = []
    for file, overrides in config["members"]:
        path = Path(file) if Path(file).is_absolute() else EXPERIMENTS_DIR / file
        member = train.resolve_config(path, overrides)
        if member["dataset"] != config["dataset"]:
            raise ConfigError(f"ensemble member {file} {' '.join(overrides)} trains on {member['dataset']}, "
                              f"not the ensemble's {config['dataset']}")
        out.append(member)
    return out


def member_probabilities(run_dir: Path, config: dict) -> dict:
    """One member's validation probabilities: {'centre', 'ten_crop' (None without), 'labels'}."""
    from alexnet import evaluate, inputs

    model = evaluate.load_model(run_dir)
    sources = inputs.make_sources(config)
    stats = evaluate.run_colour_stats(run_dir, config, sources.labelled)
    probs, centre, labels = evaluate.predict(model, evaluate.eval_batches(config, sources.val, stats))
    return {"centre": centre, "ten_crop": probs if config["eval_ten_crop"] else None, "labels": labels,
            "class_names": list(sources.val.class_names)}


def combine(members: list[dict]) -> dict:
    """The averaged probabilities; ValueError if the members saw different images."""
    labels = members[0]["labels"]
    if any(len(m["labels"]) != len(labels) or (m["labels"] != labels).any() for m in members[1:]):
        raise ValueError("ensemble members were evaluated on different validation images")
    centre = np.mean([m["centre"] for m in members], axis=0)
    tens = [m["ten_crop"] for m in members if m["ten_crop"] is not None]
    return {"centre": centre, "ten_crop": np.mean(tens, axis=0) if len(tens) == len(members) else None,
            "labels": labels}


def run(config: dict, verbose: bool = True) -> Path:
    """Trains missing members, evaluates the ensemble; returns its finished run folder."""
    from alexnet import evaluate, train

    config = validate(dict(config))
    done = run_folder.find_finished(config["experiment"], config)
    if done is not None:
        return done
    members = member_configs(config)

    def train_member(member: dict, i: int) -> Path:
        print(f"ensemble member {i}/{len(members)} is not trained yet: training it", flush=True)
        return train.run(member, verbose=verbose)

    runs = [run_folder.find_or_run(member, lambda m, i=i: train_member(m, i))
            for i, member in enumerate(members, 1)]
    run_dir = run_folder.choose(config)
    probs = []
    for i, (run_dir_i, member) in enumerate(zip(runs, members), 1):
        if verbose:
            print(f"evaluating member {i}/{len(members)}: {run_dir_i.name}", flush=True)
        probs.append(member_probabilities(run_dir_i, member))
    together = combine(probs)
    evals = [records.read_json(r / "eval.json") for r in runs]
    result = {"model": config["model"], "dataset": config["dataset"], "split": "val",
              "n_images": int(len(together["labels"])),
              "centre": evaluate.top_k_errors(together["centre"], together["labels"]),
              "members": [r.name for r in runs],
              # The members' own results (their eval.json), so the record shows what averaging added.
              "member_centre_top1_err_pct": [round(e["centre"]["top1_err_pct"], 2) for e in evals],
              "member_ten_crop_top1_err_pct": [round(e["ten_crop"]["top1_err_pct"], 2) if e.get("ten_crop")
                                               else None for e in evals],
              "params": int(sum(e["params"] for e in evals)),
              "train_time_s": round(float(sum(e.get("train_time_s") or 0.0 for e in evals)), 1),
              "hardware": records.hardware()}
    if together["ten_crop"] is not None:
        result["ten_crop"] = evaluate.top_k_errors(together["ten_crop"], together["labels"])
    provenance = records.read_json(runs[0] / "provenance.json").get("dataset", {})
    records.write_provenance(run_dir, provenance, {"members": [r.name for r in runs]})
    shown = together["ten_crop"] if together["ten_crop"] is not None else together["centre"]
    np.savez(run_dir / "predictions.npz", probs=shown.astype(np.float16), labels=together["labels"],
             class_names=np.asarray(probs[0]["class_names"]),
             crops=np.asarray("ten_crop" if together["ten_crop"] is not None else "centre"))
    records.write_eval(run_dir, result)
    run_folder.mark_done(run_dir)
    if verbose:
        print(evaluate.format_result(result) + f"; members {', '.join(result['members'])}; run folder {run_dir}")
    return run_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.ensemble", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="ensemble file, e.g. experiments/cifar10_ensemble.py")
    args = parser.parse_args(argv)
    try:
        config = validate(load_config(args.config))
    except ConfigError as err:
        return fail(err)
    from alexnet.trainer import TrainingDiverged
    return run_command(lambda: run(config), (ConfigError, ValueError), (TrainingDiverged,))


if __name__ == "__main__":
    sys.exit(main())
