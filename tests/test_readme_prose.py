"""The README's prose numbers (leads, ratios, the crossover, the examples) against the generated results.

tests/test_readme.py checks the tables the README copies; this module checks the
sentences around them. Each expected phrase is written here from `results/`
(summary.csv files, the scaling summary, the predict examples), so a rerun that
moves a number fails until the README says the new one. Phrases are matched on
the README with its line breaks folded into spaces.
"""

import json
import re

import pandas as pd
import pytest

from alexnet import records

RESULTS = records.REPO_ROOT / "results"


def _readme() -> str:
    return " ".join((records.REPO_ROOT / "README.md").read_text().split())


def _summary(scale: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / scale / "summary.csv")


def _top1(frame: pd.DataFrame, column: str = "top1_err_pct_centre", **match) -> float:
    rows = frame
    for key, value in match.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, f"expected one row with {match}, found {len(rows)}"
    return float(rows[column].iloc[0])


def _winner(cnn: float, fv: float) -> str:
    return "The CNN wins" if cnn < fv else "The Fisher vectors win"


def imagenette_phrases() -> list[str]:
    frame = _summary("imagenette")
    cnn = _top1(frame, kind="cnn")
    fv = _top1(frame, model="dsift_colour_pyramid_fv_svm")
    plain = _top1(frame, model="dsift_fv_svm")
    return [f"**{_winner(cnn, fv)} on Imagenette**",
            f"{fv:.2f}% in the 2012 entries' form",
            f"{abs(cnn - fv):.1f} points ahead of the CNN",
            f"{abs(cnn - plain):.1f} ahead ({plain:.2f}%) as plain SIFT"]


def transfer_phrases() -> list[str]:
    frame = _summary("transfer")
    frame = frame[~frame["reference"].astype(bool)]  # the 224 px reference rows stand beside the study
    out = []
    for fraction, template in ((1.0, "{fv:.2f}% against {ft:.2f}% (from scratch {sc:.2f}%, frozen fc7 {pr:.2f}%)"),
                               (0.1, "{fv:.2f}% against {ft:.2f}% ({sc:.2f}%, {pr:.2f}%)")):
        at = frame[frame["fraction"] == fraction]
        out.append(template.format(fv=_top1(at, kind="Fisher vectors"), ft=_top1(at, kind="fine-tuned"),
                                   sc=_top1(at, kind="CNN from scratch"), pr=_top1(at, kind="probe (frozen)")))
    return out


def cifar10_phrases() -> list[str]:
    frame = _summary("cifar10")
    cnn = _top1(frame, model="cifar_alexnet")
    fv = _top1(frame, model="dsift_colour_fv_svm")
    ensemble = _top1(frame, model="cifar_alexnet_ensemble")
    ensemble_ten = _top1(frame, "top1_err_pct_10crop", model="cifar_alexnet_ensemble")
    return [f"**{_winner(cnn, fv)} on CIFAR-10**",
            f"one network's error is {cnn / fv:.2f} of the 2012-form baseline's",
            f"reaches {ensemble:.2f}% ({ensemble_ten:.2f}% with ten crops), **{ensemble / fv:.2f} of the baseline's**"]


def tiny_imagenet_phrases() -> list[str]:
    frame = _summary("tiny_imagenet")
    cnn1, fv1 = _top1(frame, kind="cnn"), _top1(frame, kind="handcrafted")
    cnn5 = _top1(frame, "top5_err_pct_centre", kind="cnn")
    fv5 = _top1(frame, "top5_err_pct_centre", kind="handcrafted")
    cnn_ten = _top1(frame, "top1_err_pct_10crop", kind="cnn")
    run = frame.loc[frame["kind"] == "cnn", "run_id"].iloc[0]
    epochs = json.loads((RESULTS / "tiny_imagenet" / "records" / run / "config.json").read_text())["epochs"]
    hours = _top1(frame, "train_time_s", kind="cnn") / 3600
    top1 = (f"the Fisher vectors keep top-1 by {cnn1 - fv1:.1f} points ({fv1:.2f}% against {cnn1:.2f}%; "
            f"ten crops: {cnn_ten:.2f}%)" if fv1 < cnn1 else f"top-1 {cnn1:.2f}% against {fv1:.2f}%")
    phrases = [f"top-5 {cnn5:.2f}% against {fv5:.2f}% (CNN/FV {cnn5 / fv5:.2f};",
               f"{epochs} epochs, {hours:.1f} CPU hours", top1,
               f"**At 200 ImageNet classes the {'CNN' if cnn5 < fv5 else 'Fisher vectors'} win"]
    classes = pd.read_csv(RESULTS / "tiny_imagenet" / "classes.csv").pivot(
        index="classes", columns="kind", values="top5_err_pct")
    ratios = (classes["cnn"] / classes["handcrafted"]).sort_index()
    trend = ("falls" if ratios.is_monotonic_decreasing else "rises" if ratios.is_monotonic_increasing else "moves")
    phrases.append(f"On {', '.join(str(n) for n in ratios.index)} classes (")
    phrases.append(f"the CNN/FV top-5 ratio {trend} {', '.join(f'{r:.2f}' for r in ratios)}.")
    return phrases


def predict_example_phrases() -> list[str]:
    examples = pd.read_csv(RESULTS / "tiny_imagenet" / "predict_examples.csv")
    elephant = examples[examples["label_1"] == "African elephant"].iloc[0]
    dog = examples[(examples[[f"name_{k}" for k in (1, 2, 3)]] == "golden retriever").any(axis=1)].iloc[0]
    rank = [dog[f"name_{k}"] for k in (1, 2, 3)].index("golden retriever") + 1
    assert rank == 2, "the README tells the golden retriever as second; rewrite that sentence"
    pct = {k: round(100 * float(dog[f"prob_{k}"])) for k in (1, 2, 3)}
    return [f"an African elephant is one at {round(100 * float(elephant['prob_1']))}%",
            f"a golden retriever comes second ({pct[2]}%), after {dog['name_1']} ({pct[1]}%), "
            f"before {dog['name_3']} ({pct[3]}%)"]


def crossover_phrases() -> list[str]:
    text = (RESULTS / "scaling" / "summary.md").read_text()
    cifar = text[text.index("## cifar10"):text.index("## imagenette")]
    bracket = re.search(r"\*\*Crossover: between (\S+) and (\S+) training images per class\*\*", cifar)
    near = re.search(r"Interpolated in log scale, near (\S+?);", cifar)
    assert bracket and near, "the scaling summary no longer states CIFAR-10's crossover; rewrite the README bullet"
    phrases = [f"**On CIFAR-10 the curves cross between {bracket[1]} and {bracket[2]} training images per class** "
               f"(the CNN's count; interpolated, near {near[1]})"]
    imagenette = text[text.index("## imagenette"):]
    assert "the Fisher vectors lead at every size" in imagenette, (
        "the Imagenette curves now cross; rewrite the README's scaling bullet and this check")
    phrases.append("**On Imagenette the Fisher vectors lead at every size measured**")
    return phrases


PHRASES = {"imagenette": imagenette_phrases, "transfer": transfer_phrases, "cifar10": cifar10_phrases,
           "tiny_imagenet": tiny_imagenet_phrases, "predict_examples": predict_example_phrases,
           "crossover": crossover_phrases}


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_readme_prose_numbers_match_the_results(name):
    readme = _readme()
    for phrase in PHRASES[name]():
        assert phrase in readme, f"README.md should say (from results/, regenerated): {phrase}"

