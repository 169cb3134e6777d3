"""The paper's design claims beside our measurements (issue 25), from run records only.

    python -m reporting.paper_claims [--runs-dir runs] [--results-dir results] [--run-ids ID ...]

Writes, for the runs of experiments/ablations.py (which says what they are):

    results/ablations/summary.csv            one row per claim (columns below)
    results/ablations/summary.md             the same for reading, and Figure 1's epochs
    results/ablations/figures/effects.png    our effects (mean ± sd over seeds) beside the published ones
    results/ablations/figures/relu_tanh.png  Figure 1 again: training error per epoch, ReLU vs tanh
    results/ablations/records/<run-id>/      the cited runs' records

An effect is the error with the paper's choice minus the error with the
alternative, in points (negative: the paper's choice helps), top-1 and top-5 on
the centre crop (CIFAR-10's test split), per seed from the two runs of that
seed, then mean ± sample sd over the seeds. The ten-crop row compares the ten
crops' error with the centre crop's of the same runs. The paper claims every
choice helps, so the sign agrees where our mean effect is negative;
`d_top1_lo`/`_hi` is the 95% Student-t interval of the mean over the seeds
(mean ± t(0.975, n-1) sd / sqrt(n); none for one seed) and
`interval_excludes_zero` says whether zero lies outside it. For ReLU vs tanh
also: the epoch at which the training error (metrics.csv, averaged over the
epoch) first reaches 25%, linear between epoch ends from chance at epoch 0
(Figure 1's measure), and in how many seeds ReLU got there first.

Without --run-ids it cites the copies in results/ablations/records. A record is
placed by its config: its network is its `arch`, its variant the one whose key
has the variant's value (none: the base); cited records of one network must
differ only in that key and the seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from alexnet import records
from alexnet.config import EXPERIMENTS_DIR, load_config
from alexnet.defaults import optional_config
from reporting import published
from reporting.cli import generate_main
from reporting.figures import save
from reporting.plots import CNN_COLOUR
from reporting.runs import Record, RecordError, discover, lookup
from reporting.tables import copy_records, markdown_table

FOLDER = "ablations"
STUDY = "ablations"  # the `study` key of every run (the per-scale tables skip them)
LEVEL = 25.0         # Figure 1's training error, percent
MISHKIN = "CaffeNet at 128 px (ReLU, no LRN, max-pool 3/2, dropout 0.5)"  # their baseline, results/published.csv


@dataclass(frozen=True)
class Claim:
    """What the paper says a choice does (Krizhevsky et al. 2012), and who measured it again.

    Attributes:
      choice: the two settings compared, the paper's first.
      claim: the paper's words or numbers.
      top1, top5: the claimed effect in points (paper's choice minus alternative), where numeric.
      source: the section of the paper.
      remeasured: (who, model with the paper's choice, model with the alternative): rows of
        results/published.csv.
      crops: the crops each side is evaluated on.
    """

    choice: str
    claim: str
    top1: float | None
    top5: float | None
    source: str
    remeasured: tuple = ()
    crops: tuple[str, str] = ("centre", "centre")


MISHKIN_WHO, VGG_WHO = "Mishkin et al. 2016", "Simonyan & Zisserman 2014"
CLAIMS = {
    "relu_tanh": Claim("ReLU vs tanh", "25% CIFAR-10 training error six times faster (four-layer net)",
                       None, None, "Sec. 3.1, Fig. 1", ((MISHKIN_WHO, MISHKIN, "CaffeNet at 128 px, tanh"),)),
    "lrn": Claim("LRN vs none", "-1.4 top-1, -1.2 top-5 (ILSVRC-2012)", -1.4, -1.2, "Sec. 3.3",
                 ((VGG_WHO, "VGG A-LRN (11 layers)", "VGG A (11 layers)"),
                  (MISHKIN_WHO, "CaffeNet at 128 px, with LRN", MISHKIN))),
    "overlapping_pooling": Claim("pooling 3/2 vs 2/2", "-0.4 top-1, -0.3 top-5", -0.4, -0.3, "Sec. 3.4",
                                 ((MISHKIN_WHO, MISHKIN, "CaffeNet at 128 px, max-pool 2/2"),)),
    "two_towers": Claim("two towers vs one with half the kernels", "-1.7 top-1, -1.2 top-5", -1.7, -1.2,
                        "Sec. 3.2"),
    "pca_noise": Claim("PCA colour noise vs none", "top-1 error down 'by over 1%'", -1.0, None, "Sec. 4.1"),
    "dropout": Claim("dropout 0.5 vs none", "'substantial overfitting' without", None, None, "Sec. 4.2",
                     ((MISHKIN_WHO + " (0.5 vs 0.3)", MISHKIN, "CaffeNet at 128 px, dropout 0.3"),)),
    "ten_crop": Claim("ten crops vs centre crop", "37.5 / 17.0 vs 39.0 / 18.3 (ILSVRC-2010 test)", -1.5, -1.3,
                      "Sec. 6, footnote", crops=("ten_crop", "centre")),
    "four_layer_relu_tanh": Claim("ReLU vs tanh", "25% CIFAR-10 training error six times faster",
                                  None, None, "Sec. 3.1, Fig. 1"),
    "four_layer_lrn": Claim("LRN vs none", "13% -> 11% CIFAR-10 test error (four-layer net)", -2.0, None,
                            "Sec. 3.3"),
}
FIGURE1_ROWS = ("four_layer_relu_tanh", "relu_tanh")
NETWORK_NAMES = {"cifar_alexnet": "small AlexNet", "cifar_convnet": "four-layer net"}  # cifar_convnet stands in


def definition_default() -> dict:
    return load_config(EXPERIMENTS_DIR / "ablations.py")


def variant_of(record: Record, definition: dict) -> tuple[str, str]:
    """(network, variant) of a cited run: 'base' where no variant's key has the variant's value."""
    network = record.model
    if record.study != STUDY or network not in definition["networks"]:
        raise RecordError(f"run {record.run_id} is not a run of experiments/ablations.py "
                          f"(study {record.study!r}, arch {network!r})")
    config = {**optional_config(), **record.config}
    found = [name for name, (net, key, value) in definition["variants"].items()
             if net == network and config.get(key) == value]
    if len(found) > 1:
        raise RecordError(f"run {record.run_id} matches variants {', '.join(found)} at once")
    return network, found[0] if found else "base"


def _key(definition: dict, variant: str) -> str | None:
    return None if variant == "base" else definition["variants"][variant][1]


def placed(cited: list[Record], definition: dict) -> dict[tuple[str, str, int], Record]:
    """{(network, variant, seed): record}; RecordError for a duplicate or runs more than one key apart."""
    out: dict[tuple[str, str, int], Record] = {}
    first: dict[str, tuple[Record, str | None]] = {}
    for record in cited:
        network, variant = variant_of(record, definition)
        where = (network, variant, int(record.config.get("seed", 0)))
        if where in out:
            raise RecordError(f"runs {out[where].run_id} and {record.run_id} are both {variant} of {network} "
                              f"at seed {where[2]}")
        out[where] = record
        ref, ref_key = first.setdefault(network, (record, _key(definition, variant)))
        drop = {"seed", ref_key, _key(definition, variant)}
        mine = {k: v for k, v in record.config.items() if k not in drop}
        theirs = {k: v for k, v in ref.config.items() if k not in drop}
        if mine != theirs:
            keys = sorted(k for k in {*mine, *theirs} if mine.get(k) != theirs.get(k))
            raise RecordError(f"run {record.run_id} differs from run {ref.run_id} in more than its variant's key "
                              f"and the seed: {', '.join(keys)}")
    return out


def _errors(record: Record, crops: str) -> tuple[float, float]:
    block = record.eval().get(crops)
    if not block:
        raise RecordError(f"run record {record.path}: eval.json has no '{crops}' errors")
    return float(block["top1_err_pct"]), float(block["top5_err_pct"])


def epoch_reaching(metrics: pd.DataFrame, level: float = LEVEL, chance: float | None = None) -> float:
    """The epoch at which the training top-1 error first reaches `level` (NaN if never),
    linear between epoch ends and, given `chance`, from chance at epoch 0."""
    if not {"epoch", "train_top1_err_pct"} <= set(metrics.columns):
        return math.nan  # a run without per-epoch metrics
    points = ([(0.0, chance)] if chance is not None else []) + list(
        zip(metrics["epoch"].astype(float), metrics["train_top1_err_pct"].astype(float)))
    for (x0, y0), (x1, y1) in zip([(None, None)] + points, points):
        if y1 <= level:
            return x1 if x0 is None or y0 == y1 else x0 + (y0 - level) / (y0 - y1) * (x1 - x0)
    return math.nan


def _reaching(record: Record) -> float:
    return epoch_reaching(record.metrics(), chance=100.0 * (1 - 1 / int(record.config.get("num_classes", 10))))


def _stats(values: list[float]) -> tuple[float, float]:
    return (float(np.mean(values)) if values else math.nan,
            float(np.std(values, ddof=1)) if len(values) > 1 else math.nan)


def interval95(values: list[float]) -> tuple[float, float]:
    """The 95% Student-t interval of the mean of `values` (NaNs for fewer than two)."""
    if len(values) < 2:
        return math.nan, math.nan
    from scipy import stats

    mean, sd = _stats(values)
    half = float(stats.t.ppf(0.975, len(values) - 1)) * sd / math.sqrt(len(values))
    return mean - half, mean + half


def _first(pair) -> bool:
    """Whether the paper's side (ReLU) reached 25% training error before the other, in one seed."""
    mine, theirs = _reaching(pair[0]), _reaching(pair[1])
    return not math.isnan(mine) and (math.isnan(theirs) or mine < theirs)


def remeasurements(claim: Claim, reference: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(who, top-1 error with the paper's choice, with the alternative) from results/published.csv."""
    by_model = reference.set_index("model")["top1_err_pct"]
    out = []
    for who, mine, theirs in claim.remeasured:
        for model in (mine, theirs):
            if model not in by_model:
                raise RecordError(f"results/published.csv lacks the row {model!r}")
        out.append((who, float(by_model[mine]), float(by_model[theirs])))
    return out


def _side(definition: dict, row: list, i: int, base: Record | None, claim: Claim) -> str:
    """How a side of a row is set, e.g. "activation='tanh'" or 'ten crops'."""
    if claim.crops[0] != claim.crops[1]:
        return {"centre": "centre crop", "ten_crop": "ten crops"}[claim.crops[i - 1]]
    key = _key(definition, row[1]) or _key(definition, row[2])
    if row[i] != "base":
        return f"{key}={definition['variants'][row[i]][2]!r}"
    return f"{key}={({**optional_config(), **base.config})[key]!r}" if base is not None else "base"


def claims_frame(runs: dict, definition: dict, reference: pd.DataFrame) -> pd.DataFrame:
    """summary.csv: one row per row of the definition, in its order.

    Args:
      runs: {(network, variant, seed): record} (`placed`); a row uses the seeds with both sides.
      definition: experiments/ablations.py's config.
      reference: results/published.csv (`published.load`), for the re-measurements.
    """
    seeds = sorted({s for (_, _, s) in runs})
    rows = []
    for name, row in definition["rows"].items():
        network, paper, other = row
        claim = CLAIMS[name]
        pairs = [(runs[(network, paper, s)], runs[(network, other, s)]) for s in seeds
                 if (network, paper, s) in runs and (network, other, s) in runs]
        mine = [_errors(a, claim.crops[0]) for a, _ in pairs]
        theirs = [_errors(b, claim.crops[1]) for _, b in pairs]
        d1 = [m[0] - t[0] for m, t in zip(mine, theirs)]
        d5 = [m[1] - t[1] for m, t in zip(mine, theirs)]
        (m1, s1), (m5, s5) = _stats(d1), _stats(d5)
        lo, hi = interval95(d1)
        base = next((r for (n, v, _), r in sorted(runs.items()) if (n, v) == (network, "base")), None)
        out = {"row": name, "network": network, "choice": claim.choice,
               "paper_side": _side(definition, row, 1, base, claim),
               "other_side": _side(definition, row, 2, base, claim),
               "paper_claim": claim.claim, "paper_d_top1": claim.top1, "paper_d_top5": claim.top5,
               "paper_source": "Krizhevsky et al. 2012, " + claim.source,
               "remeasured": "; ".join(f"{who}: {a - b:+.1f} ({a:.1f} vs {b:.1f})"
                                       for who, a, b in remeasurements(claim, reference)),
               "n_seeds": len(pairs),
               "epochs": int(pairs[0][0].config["epochs"]) if pairs else None,
               "params_paper": pairs[0][0].eval().get("params") if pairs else None,
               "params_other": pairs[0][1].eval().get("params") if pairs else None}
        for label, values in (("paper", mine), ("other", theirs)):
            out[f"top1_{label}_mean"], out[f"top1_{label}_sd"] = _stats([v[0] for v in values])
        out.update(d_top1_mean=m1, d_top1_sd=s1, d_top1_lo=lo, d_top1_hi=hi, d_top5_mean=m5, d_top5_sd=s5,
                   sign_agrees=None if not pairs or m1 == 0 else bool(m1 < 0),
                   interval_excludes_zero=bool(len(pairs) > 1 and (lo > 0 or hi < 0)),
                   paper_epoch_25pct=math.nan, other_epoch_25pct=math.nan, paper_reached=0, other_reached=0,
                   paper_first=0,
                   run_ids=" ".join(dict.fromkeys(r.run_id for pair in pairs for r in pair)))
        for i, label in enumerate(("paper", "other") if name in FIGURE1_ROWS else ()):
            reached = [e for pair in pairs if not math.isnan(e := _reaching(pair[i]))]
            out[f"{label}_epoch_25pct"], out[f"{label}_reached"] = _stats(reached)[0], len(reached)
        if name in FIGURE1_ROWS:
            out["paper_first"] = sum(_first(pair) for pair in pairs)
        rows.append(out)
    frame = pd.DataFrame(rows)
    for col in ("params_paper", "params_other", "epochs"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


def _pm(mean, sd, signed: bool = True) -> str:
    if pd.isna(mean):
        return "—"
    text = f"{mean:+.2f}" if signed else f"{mean:.2f}"
    return text + ("" if pd.isna(sd) else f" ± {sd:.2f}")


def _params(a, b) -> str:
    if pd.isna(a):
        return "—"
    return f"{int(a):,}" if pd.isna(b) or a == b else f"{int(a):,} vs {int(b):,}"


def _verdict(row) -> str:
    if row["sign_agrees"] is None or pd.isna(row["sign_agrees"]):
        return "—"
    word = "yes" if row["sign_agrees"] else "no"
    if row["n_seeds"] < 2:  # one seed has no spread, so no interval to judge the mean by
        return word + " (1 seed)"
    return word + ("" if row["interval_excludes_zero"] else " (interval includes 0)")


def _epochs(row, side: str) -> str:
    """'3.5', '3.5 (2 of 3 seeds)' or 'not reached in 7 epochs' for one side of a Figure 1 row."""
    n, reached = row["n_seeds"], row[f"{side}_reached"]
    if not n:
        return "—"
    if not reached:
        return f"not reached in {int(row['epochs'])} epochs"
    return f"{row[f'{side}_epoch_25pct']:.1f}" + ("" if reached == n else f" ({reached} of {n} seeds)")


# What a row without a number of its own cannot test: its claim is about something else.
UNMEASURED = {"dropout": "overfitting", "relu_tanh": "training speed", "four_layer_relu_tanh": "training speed"}


def _seeds(k: int, n: int) -> str:
    return "" if k == n else f" ({k} of {n} seeds)"


def _speed_sentence(row) -> str | None:
    """Figure 1's measure for a ReLU/tanh row, or None where ReLU never reached 25% training error."""
    n, relu_n, tanh_n = int(row["n_seeds"]), int(row["paper_reached"]), int(row["other_reached"])
    if not relu_n:
        return None
    relu = f"ReLU reached {LEVEL:.0f}% training error at epoch {row['paper_epoch_25pct']:.1f}{_seeds(relu_n, n)}"
    if tanh_n:
        tanh = f"tanh at {row['other_epoch_25pct']:.1f}{_seeds(tanh_n, n)}"
        if tanh_n == relu_n == n:
            tanh += f", {row['other_epoch_25pct'] / row['paper_epoch_25pct']:.1f} times ReLU's epochs (the paper: 6)"
    else:
        epochs = int(row["epochs"])
        tanh = (f"tanh not within {epochs} epochs (at least {epochs / row['paper_epoch_25pct']:.1f} times ReLU's epochs; "
                "the paper: 6)")
    first = int(row["paper_first"])
    if n < 2:
        verdict = "one seed, so no verdict yet"
    elif first == n:
        verdict = "ReLU first in every seed, as the paper says"
    elif first == 0:
        verdict = "tanh first in every seed, against the paper"
    else:
        verdict = f"ReLU first in {first} of {n} seeds, so our data do not settle it"
    return f"{relu}, {tanh}: {verdict}."


def claim_sentences(frame: pd.DataFrame) -> list[str]:
    """One sentence per row that has run: what our seeds say about the paper's claim, with the numbers.

    The effect's 95% interval over the seeds (`interval95`) decides: outside zero on the paper's side,
    the paper's choice helps as it says (its magnitude beside ours); outside on the other side, the
    alternative is better; otherwise our data do not settle it; one seed gives no interval, hence no
    verdict. A row whose claim is about something its top-1 error does not measure (dropout and
    overfitting; ReLU and training speed where 25% training error is not reached) says so. The ReLU/tanh
    rows are judged by Figure 1's own measure where ReLU reaches 25%: who got there first, per seed.
    """
    out = []
    for _, row in frame.iterrows():
        n = int(row["n_seeds"])
        if not n:
            continue
        head = f"- **{row['choice']}** ({NETWORK_NAMES[row['network']]}, {n} seed{'s' if n > 1 else ''}): "
        speed = _speed_sentence(row) if row["row"] in FIGURE1_ROWS else None
        if speed:
            out.append(head + speed)
            continue
        d, sd = row["d_top1_mean"], row["d_top1_sd"]
        notes = []
        if n >= 2:
            notes.append(f"95% interval {row['d_top1_lo']:+.1f} to {row['d_top1_hi']:+.1f}"
                         + (", the same in every seed" if sd == 0 else ""))
        if not pd.isna(row["paper_d_top1"]):
            notes.append(f"the paper: {row['paper_d_top1']:+.1f}")
        effect = f"Δ top-1 {d:+.1f}" + ("" if pd.isna(sd) else f" ± {sd:.1f}") + (
            f" ({'; '.join(notes)})" if notes else "")
        if n < 2:
            verdict = "one seed, so no interval and no verdict yet"
        elif not row["interval_excludes_zero"]:
            verdict = "the interval includes zero, so our data do not settle it"
        elif row["sign_agrees"]:
            verdict = "the paper's choice helps, as it says"
        else:
            verdict = "the alternative does better, against the paper's choice"
        unmeasured = UNMEASURED.get(row["row"])
        if unmeasured and n >= 2:
            verdict += f" (on test error; the paper's claim is about {unmeasured}, which this row does not measure)"
        out.append(f"{head}{effect}: {verdict}.")
    return out


def _epochs_text(frame: pd.DataFrame) -> str:
    """How long each network's runs trained, e.g. '7 epochs for the small AlexNet, 20 for the four-layer net'."""
    ran = frame.dropna(subset=["epochs"]).drop_duplicates("network")
    parts = [f"{int(e)}{' epochs' if i == 0 else ''} for the {NETWORK_NAMES[n]}"
             for i, (n, e) in enumerate(zip(ran["network"], ran["epochs"]))]
    return ", ".join(parts) if parts else "no runs yet"


def claims_markdown(frame: pd.DataFrame) -> str:
    table = pd.DataFrame({
        "Claim": frame["choice"], "Network": frame["network"].map(NETWORK_NAMES),
        "Setting (paper's vs other)": frame["paper_side"] + " vs " + frame["other_side"],
        "The paper": frame["paper_claim"] + " [" + frame["paper_source"].str.replace("Krizhevsky et al. 2012, ", "")
        + "]", "Later re-measurements (top-1 error)": frame["remeasured"].replace("", "—"),
        "Ours: Δ top-1": [_pm(m, s) for m, s in zip(frame["d_top1_mean"], frame["d_top1_sd"])],
        "Ours: Δ top-5": [_pm(m, s) for m, s in zip(frame["d_top5_mean"], frame["d_top5_sd"])],
        "Seeds": frame["n_seeds"], "Parameters": [_params(a, b) for a, b in
                                                   zip(frame["params_paper"], frame["params_other"])],
        "Sign agrees": [_verdict(r) for _, r in frame.iterrows()]})
    short = pd.DataFrame({
        "Claim": frame["choice"], "Network": frame["network"].map(NETWORK_NAMES),
        "The paper": frame["paper_claim"], "Ours: Δ top-1": table["Ours: Δ top-1"], "Seeds": frame["n_seeds"],
        "Sign agrees": table["Sign agrees"]})
    sides = pd.DataFrame({
        "Claim": frame["choice"], "Network": frame["network"].map(NETWORK_NAMES),
        "Paper's choice: top-1": [_pm(m, s, False) for m, s in zip(frame["top1_paper_mean"], frame["top1_paper_sd"])],
        "Alternative: top-1": [_pm(m, s, False) for m, s in zip(frame["top1_other_mean"], frame["top1_other_sd"])],
        "Runs": frame["run_ids"]})
    fig1 = frame[frame["row"].isin(FIGURE1_ROWS)]
    speed = pd.DataFrame({
        "Network": fig1["network"].map(NETWORK_NAMES),
        "ReLU reaches 25% at epoch": [_epochs(r, "paper") for _, r in fig1.iterrows()],
        "tanh reaches 25% at epoch": [_epochs(r, "other") for _, r in fig1.iterrows()],
        "tanh / ReLU": (fig1["other_epoch_25pct"] / fig1["paper_epoch_25pct"]).map(
            lambda v: "—" if pd.isna(v) else f"{v:.1f}x")})
    return "\n".join([
        "# The paper's design claims, measured on CIFAR-10\n",
        "Generated by `python -m reporting.paper_claims` from the run records in `records/`; do not edit by "
        "hand. experiments/ablations.py says what each run is: a network's base and a variant one config key "
        f"apart, several seeds, {_epochs_text(frame)}: shortened, bases and variants alike.\n",
        "Δ is the error with the paper's choice minus the error with the alternative, in points, centre crop "
        "(the ten-crop row: ten crops minus the centre crop of the same runs), mean ± sd over seeds of the "
        "per-seed differences: negative means the paper's choice helps. The paper claims every choice helps; "
        "'interval includes 0' marks a mean whose 95% interval over the seeds (Student t) includes zero "
        "('1 seed': no interval). The paper's "
        "numbers are ILSVRC's unless marked; the re-measurements are results/published.csv's (paper's choice "
        "minus the alternative, top-1 error).\n",
        markdown_table(table, right=("Ours: Δ top-1", "Ours: Δ top-5", "Seeds", "Parameters")),
        "## In short\n",
        "The table above without its sources and settings (the README's copy).\n",
        markdown_table(short, right=("Ours: Δ top-1", "Seeds")),
        "## What our data say\n",
        "Per claim, on CIFAR-10 (Δ: the paper's choice minus the alternative, mean ± sd "
        "over seeds and the mean's 95% interval; negative: the paper's choice helps).\n",
        "\n".join(claim_sentences(frame)) + "\n",
        "## Each side\n",
        "Top-1 error in percent (centre crop; the ten-crop row: ten crops, then centre), mean ± sd over seeds.\n",
        markdown_table(sides, right=("Paper's choice: top-1", "Alternative: top-1")),
        "## Figure 1: epochs to 25% training error\n",
        "The paper's four-layer net reached 25% training error on CIFAR-10 six times faster with ReLUs than "
        "with tanh (Figure 1, learning rates tuned per network, no regularisation; ours: one learning rate, "
        "the recipe's weight decay). Mean over the seeds that reach it; figures/relu_tanh.png shows the "
        "curves.\n",
        markdown_table(speed, right=tuple(speed.columns[1:]))])


def effects_figure(frame: pd.DataFrame, reference: pd.DataFrame) -> Figure:
    """Per row: our Δ top-1 (mean ± sd over seeds), the paper's claimed effect, the re-measurements."""
    fig = Figure(figsize=(10, 0.5 * len(frame) + 2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(frame))[::-1]
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.errorbar(frame["d_top1_mean"], y, xerr=frame["d_top1_sd"].fillna(0.0), fmt="o", color="black",
                capsize=3, label="ours: mean ± sd (CIFAR-10)")
    ax.plot(frame["paper_d_top1"].astype(float), y, "x", color="tab:red", markersize=8, label="the paper")
    later = [(a - b, yy) for yy, row in zip(y, frame["row"]) for _, a, b in remeasurements(CLAIMS[row], reference)]
    if later:
        ax.plot(*zip(*later), "^", color=CNN_COLOUR, label="re-measured (ImageNet)")
    ax.set_yticks(y, [f"{c} ({NETWORK_NAMES[n]})" for c, n in zip(frame["choice"], frame["network"])])
    ax.set_xlabel("top-1 error, paper's choice minus the alternative (points)")
    ax.set_title("The paper's design claims: effect on top-1 error (negative: the paper's choice helps)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    return fig


def relu_tanh_figure(runs: dict, definition: dict) -> Figure:
    """Figure 1 again: training error per epoch, ReLU (solid) and tanh (dashed), each seed."""
    rows = [r for r in FIGURE1_ROWS if r in definition["rows"]]
    fig = Figure(figsize=(5 * len(rows), 4), layout="constrained")
    for ax, name in zip(np.atleast_1d(fig.subplots(1, len(rows))), rows):
        network, paper, other = definition["rows"][name]
        # Both are CNNs: the family's one colour, told apart by line style (reporting.plots).
        for variant, style, label in ((paper, "-", "ReLU"), (other, "--", "tanh")):
            mine = [r for (n, v, _), r in sorted(runs.items(), key=lambda kv: kv[0][2]) if (n, v) == (network, variant)]
            curves = [m for r in mine if "train_top1_err_pct" in (m := r.metrics())]
            reached = [e for r in mine if not math.isnan(e := _reaching(r))]
            note = f"25% at epoch {np.mean(reached):.1f}" if reached else "25% not reached"
            for i, m in enumerate(curves):
                ax.plot(m["epoch"], m["train_top1_err_pct"], style, color=CNN_COLOUR, alpha=0.8,
                        label=f"{label} ({note}; {len(curves)} seed{'s' if len(curves) > 1 else ''})" if i == 0 else None)
        ax.axhline(LEVEL, color="grey", linestyle=":", linewidth=1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epochs")
        ax.set_ylabel("training error (%)")
        ax.set_title(f"CIFAR-10, {NETWORK_NAMES[network]} ({network}); dotted: 25%", fontsize=10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return fig


def generate(runs_dir: Path, results_dir: Path, run_ids=(), definition: dict | None = None) -> list[Path]:
    """Writes results/ablations; returns the files written.

    Raises:
      RecordError: nothing to cite, a cited run missing, unfinished, partial, not of the study,
        two runs in one place, or runs of a network more than one key apart.
    """
    definition = definition or definition_default()
    out = Path(results_dir) / FOLDER
    ids = [Path(i).name for i in run_ids] or sorted(
        p.name for p in (out / "records").glob("*") if (p / "config.json").is_file())
    if not ids:
        raise RecordError(f"no ablation runs to cite in {out / 'records'}; run `make reproduce-ablations` first")
    cited = lookup(discover(runs_dir, results_dir), ids, runs_dir, results_dir)
    runs = placed(cited, definition)
    reference = published.load(results_dir)
    frame = claims_frame(runs, definition, reference)  # first, so a broken record changes nothing on disk
    copy_records(cited, out / "records", confusion=False)
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    records.write_text_atomic(csv_path, frame.to_csv(index=False))
    records.write_text_atomic(md_path, claims_markdown(frame))
    return [csv_path, md_path, *save(effects_figure(frame, reference), out / "figures", "effects"),
            *save(relu_tanh_figure(runs, definition), out / "figures", "relu_tanh")]


def main(argv: list[str] | None = None) -> int:
    return generate_main(generate, "python -m reporting.paper_claims", __doc__.split("\n")[0],
                         "cite exactly these runs", argv)


if __name__ == "__main__":
    raise SystemExit(main())
