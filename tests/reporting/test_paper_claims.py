"""reporting.paper_claims: fake records of the ablation study -> the claims table, its statistics and figures."""

import itertools
import math

import pandas as pd
import pytest

from alexnet import records
from alexnet.config import load_config
from reporting import paper_claims, published
from reporting.runs import RecordError, discover, lookup, read_record
from tests.reporting_fakes import cnn_eval, make_run

DEFINITION = load_config(paper_claims.EXPERIMENTS_DIR / "ablations.py")
BASES = {"cifar_alexnet": {"image_size": 28, "pca_std": 0.0, "dropout": 0.5},
         "cifar_convnet": {"image_size": 24, "pca_std": 0.0, "dropout": 0.0}}
STAMPS = itertools.count()


def config(network: str, variant: str = "base", seed: int = 0) -> dict:
    """A run config as the driver writes it, reduced to what the report reads."""
    out = {"experiment": "cifar10_ablations", "dataset": "cifar10", "arch": network, "num_classes": 10,
           "epochs": 7, "study": paper_claims.STUDY, "seed": seed, **BASES[network]}
    if variant != "base":
        owner, key, value = DEFINITION["variants"][variant]
        assert owner == network
        out[key] = value
    return out


def curve(errors: list[float]) -> list[dict]:
    return [{"epoch": e, "lr": 0.01, "train_loss": 1.0, "train_top1_err_pct": err, "train_top5_err_pct": 1.0,
             "heldout_loss": 1.0, "heldout_top1_err_pct": 30.0, "heldout_top5_err_pct": 2.0,
             "images_per_s": 600.0, "wall_s": 80.0 * e} for e, err in enumerate(errors, 1)]


def fake(runs_dir, network, variant, seed, top1, top5=1.0, params=2_167_434, errors=(60, 40, 30, 20), **extra):
    result = {**cnn_eval(top1, top5, 10000, "cifar10", network), "params": params, **extra}
    stamp = f"202601{seed + 1:02d}T{next(STAMPS):06d}Z"
    return make_run(runs_dir, stamp, config(network, variant, seed), result, curve(list(errors)))


@pytest.fixture()
def study(tmp_path):
    """Three seeds of the LRN, dropout and tower rows, and the four-layer ReLU/tanh pair."""
    runs = tmp_path / "runs"
    ids = []
    for seed, (base, no_lrn, no_drop) in enumerate([(20.0, 21.0, 19.0), (21.0, 23.0, 20.0), (22.0, 22.0, 21.5)]):
        ids += [fake(runs, "cifar_alexnet", "base", seed, base, 1.0).name,
                fake(runs, "cifar_alexnet", "no_lrn", seed, no_lrn, 1.5).name,
                fake(runs, "cifar_alexnet", "no_dropout", seed, no_drop, 1.0).name,
                fake(runs, "cifar_alexnet", "two_towers", seed, 20.0, params=1_788_554).name,
                fake(runs, "cifar_alexnet", "one_tower_half", seed, 21.0, params=1_485_834).name,
                # ReLU crosses 25% at epoch 3.5; tanh never does in 4 epochs.
                fake(runs, "cifar_convnet", "base", seed, 30.0, params=1_068_298, errors=(60, 40, 30, 20)).name,
                fake(runs, "cifar_convnet", "four_layer_tanh", seed, 33.0, params=1_068_298,
                     errors=(70, 55, 45, 35)).name]
    return runs, tmp_path / "results", ids


def test_summary_rows_give_mean_and_sd_of_the_per_seed_effects(study):
    runs, results, ids = study
    written = paper_claims.generate(runs, results, ids)
    assert [p.name for p in written] == ["summary.csv", "summary.md", "effects.png", "effects.pdf",
                                         "relu_tanh.png", "relu_tanh.pdf"]
    frame = pd.read_csv(results / "ablations" / "summary.csv").set_index("row")
    assert list(frame.index) == list(DEFINITION["rows"])
    lrn = frame.loc["lrn"]
    # Per seed: 20-21, 21-23, 22-22 -> -1, -2, 0: mean -1, sd 1; top-5 -0.5 each.
    assert (lrn["n_seeds"], lrn["d_top1_mean"], lrn["d_top1_sd"]) == (3, -1.0, 1.0)
    assert (lrn["d_top5_mean"], lrn["d_top5_sd"]) == (-0.5, 0.0)
    assert (lrn["top1_paper_mean"], lrn["top1_other_mean"]) == (21.0, 22.0)
    assert (lrn["paper_side"], lrn["other_side"]) == ("lrn=True", "lrn=False")
    # 95% t interval: -1 ± t(0.975, 2) x 1 / sqrt(3) = -1 ± 2.484, which includes zero.
    assert (lrn["d_top1_lo"], lrn["d_top1_hi"]) == pytest.approx((-3.484, 1.484), abs=1e-3)
    assert bool(lrn["sign_agrees"]) and not bool(lrn["interval_excludes_zero"])
    assert lrn["paper_d_top1"] == -1.4 and lrn["paper_source"] == "Krizhevsky et al. 2012, Sec. 3.3"
    assert lrn["remeasured"] == ("Simonyan & Zisserman 2014: +0.1 (29.7 vs 29.6); "
                                 "Mishkin et al. 2016: +0.1 (53.0 vs 52.9)")
    dropout = frame.loc["dropout"]                 # without dropout lower every seed: the sign disagrees
    assert dropout["d_top1_mean"] == pytest.approx((1.0 + 1.0 + 0.5) / 3)
    assert not bool(dropout["sign_agrees"])
    towers = frame.loc["two_towers"]
    assert (towers["params_paper"], towers["params_other"], towers["d_top1_sd"]) == (1_788_554, 1_485_834, 0.0)
    assert (towers["paper_side"], towers["other_side"]) == ("towers='two'", "towers='one_half'")
    assert bool(towers["interval_excludes_zero"])  # -1 every seed: no spread at all
    ten = frame.loc["ten_crop"]                    # the base runs' ten crops minus their centre crop
    assert (ten["n_seeds"], ten["d_top1_mean"], ten["d_top5_mean"]) == (3, -1.25, -0.5)
    assert (ten["paper_side"], ten["other_side"]) == ("ten crops", "centre crop")
    missing = frame.loc["pca_noise"]
    assert missing["n_seeds"] == 0 and math.isnan(missing["d_top1_mean"]) and pd.isna(missing["sign_agrees"])
    text = (results / "ablations" / "summary.md").read_text()
    assert "| LRN vs none | small AlexNet | lrn=True vs lrn=False |" in text
    assert "several seeds, 7 epochs for the small AlexNet, 7 for the four-layer net: shortened" in text
    assert "| -1.00 ± 1.00 | -0.50 ± 0.00 | 3 | 2,167,434 | yes (interval includes 0) |" in text
    assert "| 3 | 1,788,554 vs 1,485,834 | yes |" in text
    assert "| PCA colour noise vs none | small AlexNet | pca_std=0.1 vs pca_std=0.0 |" in text
    # The cited records are copied, and the table comes back from the copies alone.
    assert sorted(p.name for p in (results / "ablations" / "records").iterdir()) == sorted(ids)
    before = (results / "ablations" / "summary.csv").read_text()
    paper_claims.generate(runs.parent / "no_runs", results)
    assert (results / "ablations" / "summary.csv").read_text() == before


def test_figure1_epochs_come_from_the_training_curves(study):
    runs, results, ids = study
    paper_claims.generate(runs, results, ids)
    frame = pd.read_csv(results / "ablations" / "summary.csv").set_index("row")
    row = frame.loc["four_layer_relu_tanh"]
    assert row["paper_epoch_25pct"] == pytest.approx(3.5) and math.isnan(row["other_epoch_25pct"])
    assert math.isnan(frame.loc["lrn", "paper_epoch_25pct"])        # only the ReLU/tanh rows
    text = (results / "ablations" / "summary.md").read_text()
    assert "| four-layer net | 3.5 | not reached in 7 epochs | — |" in text
    assert "| small AlexNet | — | — | — |" in text                    # no ReLU/tanh runs of it here
    # Figure 1: both curves are CNNs, so the CNN family's one colour, told apart by line style.
    from matplotlib.colors import to_hex
    from reporting import plots
    cited = lookup(discover(runs, results), ids, runs, results)
    fig = paper_claims.relu_tanh_figure(paper_claims.placed(cited, DEFINITION), DEFINITION)
    curves = {(line.get_linestyle(), to_hex(line.get_color())) for ax in fig.axes for line in ax.get_lines()
              if line.get_linestyle() in ("-", "--")}
    assert curves == {("-", plots.CNN_COLOUR), ("--", plots.CNN_COLOUR)}  # ReLU solid, tanh dashed


def test_epoch_reaching_25_percent_on_a_curve():
    def at(errors, **kw):
        return paper_claims.epoch_reaching(pd.DataFrame({"epoch": range(1, len(errors) + 1),
                                                         "train_top1_err_pct": errors}), **kw)

    assert at([40.0, 30.0, 20.0, 10.0]) == pytest.approx(2.5)       # 30 at epoch 2, 20 at epoch 3
    assert at([40.0, 25.0, 20.0]) == 2.0                             # exactly 25 at an epoch end
    assert math.isnan(at([60.0, 50.0, 26.0]))                        # never
    assert at([20.0, 10.0]) == 1.0                                   # below at the first epoch's end
    assert at([20.0, 10.0], chance=90.0) == pytest.approx(65.0 / 70.0)  # from chance at epoch 0
    assert at([26.0, 26.0, 24.0]) == pytest.approx(2.5)              # first crossing, not the first flat step
    assert math.isnan(paper_claims.epoch_reaching(pd.DataFrame()))   # no metrics at all


def test_records_are_placed_by_their_config_and_refused_when_they_do_not_fit(tmp_path):
    runs = tmp_path / "runs"
    base = fake(runs, "cifar_alexnet", "base", 0, 20.0)
    pool = fake(runs, "cifar_alexnet", "pool_2_2", 0, 20.5)
    placed = paper_claims.placed([read_record(base), read_record(pool)], DEFINITION)
    assert sorted(placed) == [("cifar_alexnet", "base", 0), ("cifar_alexnet", "pool_2_2", 0)]
    # Two keys apart: not a variant of this base.
    odd = make_run(runs, "20260301T000000Z", {**config("cifar_alexnet", "tanh", 0), "lr": 0.05},
                   cnn_eval(25.0, 1.0, 10000, "cifar10", "cifar_alexnet"))
    with pytest.raises(RecordError, match=f"run {odd.name} differs from run {base.name} in more than its "
                                          "variant's key and the seed: lr"):
        paper_claims.placed([read_record(base), read_record(odd)], DEFINITION)
    twice = make_run(runs, "20260302T000000Z", {**config("cifar_alexnet", "base", 0), "note": 1},
                     cnn_eval(25.0, 1.0, 10000, "cifar10", "cifar_alexnet"))
    with pytest.raises(RecordError, match="are both base of cifar_alexnet at seed 0"):
        paper_claims.placed([read_record(base), read_record(twice)], DEFINITION)
    other = make_run(runs, "20260303T000000Z", {**config("cifar_alexnet"), "study": None},
                     cnn_eval(25.0, 1.0, 10000, "cifar10", "cifar_alexnet"))
    with pytest.raises(RecordError, match="is not a run of experiments/ablations.py"):
        paper_claims.placed([read_record(other)], DEFINITION)
    partial = fake(runs, "cifar_alexnet", "no_lrn", 1, 20.0, partial=True)
    with pytest.raises(RecordError, match="evaluated on part of the split only"):
        paper_claims.generate(runs, tmp_path / "results", [base.name, partial.name])
    with pytest.raises(RecordError, match="no ablation runs to cite"):
        paper_claims.generate(runs, tmp_path / "empty")


def test_every_claim_has_its_published_rows():
    reference = published.load(records.REPO_ROOT / "results")
    found = {row: paper_claims.remeasurements(claim, reference) for row, claim in paper_claims.CLAIMS.items()}
    assert found["relu_tanh"] == [("Mishkin et al. 2016", 52.9, 59.9)]          # 47.1% vs 40.1% accuracy
    assert found["overlapping_pooling"] == [("Mishkin et al. 2016", 52.9, 51.6)]
    assert found["dropout"] == [("Mishkin et al. 2016 (0.5 vs 0.3)", 52.9, 50.3)]
    assert [who for who, _, _ in found["lrn"]] == ["Simonyan & Zisserman 2014", "Mishkin et al. 2016"]
    vgg = reference[reference["model"].str.startswith("VGG A")].set_index("model")
    assert vgg.loc["VGG A-LRN (11 layers)", "top5_err_pct"] == 10.5 and vgg.loc["VGG A (11 layers)",
                                                                                 "top5_err_pct"] == 10.4
    with pytest.raises(RecordError, match="results/published.csv lacks the row 'CaffeNet at 128 px, tanh'"):
        paper_claims.remeasurements(paper_claims.CLAIMS["relu_tanh"],
                                    reference[reference["model"] != "CaffeNet at 128 px, tanh"])


def test_one_seed_is_not_judged_by_a_standard_error(tmp_path):
    """One seed has no spread: no interval, and the verdict names the seed count instead."""
    runs = tmp_path / "runs"
    ids = [fake(runs, "cifar_alexnet", "base", 0, 20.0).name, fake(runs, "cifar_alexnet", "no_lrn", 0, 22.0).name]
    paper_claims.generate(runs, tmp_path / "results", ids)
    lrn = pd.read_csv(tmp_path / "results" / "ablations" / "summary.csv").set_index("row").loc["lrn"]
    assert lrn["n_seeds"] == 1 and math.isnan(lrn["d_top1_sd"]) and math.isnan(lrn["d_top1_lo"])
    assert not bool(lrn["interval_excludes_zero"])
    text = (tmp_path / "results" / "ablations" / "summary.md").read_text()
    assert "| -2.00 | +0.00 | 1 | 2,167,434 | yes (1 seed) |" in text
    assert "interval includes 0) |" not in text
    assert ("- **LRN vs none** (small AlexNet, 1 seed): Δ top-1 -2.0 (the paper: -1.4): one seed, so no interval "
            "and no verdict yet.") in text


def test_one_sentence_per_claim_says_whether_the_data_support_it(study):
    runs, results, ids = study
    paper_claims.generate(runs, results, ids)
    text = (results / "ablations" / "summary.md").read_text()
    said = text.split("## What our data say\n")[1].split("## Each side")[0]
    lines = [line for line in said.splitlines() if line.startswith("- ")]
    # Rows that ran: lrn, two_towers, dropout, ten_crop (the base runs), the four-layer ReLU/tanh.
    assert len(lines) == 5
    # LRN: -1, -2, 0 (interval includes 0); towers: -1 every seed; dropout: +1, +1, +0.5 (excludes 0).
    assert ("- **LRN vs none** (small AlexNet, 3 seeds): Δ top-1 -1.0 ± 1.0 (95% interval -3.5 to +1.5; "
            "the paper: -1.4): the interval includes zero, so our data do not settle it.") in lines
    assert ("- **two towers vs one with half the kernels** (small AlexNet, 3 seeds): Δ top-1 -1.0 ± 0.0 "
            "(95% interval -1.0 to -1.0, the same in every seed; the paper: -1.7): the paper's choice helps, "
            "as it says.") in lines
    # Dropout's claim is about overfitting: the test error's verdict says what it does not measure.
    assert ("- **dropout 0.5 vs none** (small AlexNet, 3 seeds): Δ top-1 +0.8 ± 0.3 (95% interval +0.1 to +1.6): "
            "the alternative does better, against the paper's choice (on test error; the paper's claim is about "
            "overfitting, which this row does not measure).") in lines
    # Figure 1's row is judged by its own measure: ReLU at epoch 3.5, tanh never within the 7 epochs.
    assert ("- **ReLU vs tanh** (four-layer net, 3 seeds): ReLU reached 25% training error at epoch 3.5, "
            "tanh not within 7 epochs (at least 2.0 times ReLU's epochs; "
            "the paper: 6): ReLU first in every seed, "
            "as the paper says.") in lines


@pytest.mark.parametrize("relu, tanh, expected", [
    # Both reach 25% in every seed: the ratio of the means, ReLU first in each.
    ([(60, 40, 30, 20)] * 3, [(70, 50, 28, 24)] * 3,
     "ReLU reached 25% training error at epoch 3.5, tanh at 3.8, 1.1 times ReLU's epochs (the paper: 6): "
     "ReLU first in every seed, as the paper says."),
    # tanh first in one seed of three: not settled.
    ([(60, 40, 30, 20)] * 3, [(70, 50, 28, 24)] * 2 + [(60, 20, 20, 20)],
     "ReLU reached 25% training error at epoch 3.5, tanh at 3.1, 0.9 times ReLU's epochs (the paper: 6): "
     "ReLU first in 2 of 3 seeds, so our data do not settle it."),
    # tanh reaches it in one seed only: said, and no ratio of unlike means.
    ([(60, 40, 30, 20)] * 3, [(70, 50, 40, 30)] * 2 + [(70, 50, 30, 24)],
     "ReLU reached 25% training error at epoch 3.5, tanh at 3.8 (1 of 3 seeds): ReLU first in every seed, "
     "as the paper says."),
])
def test_figure1_sentence_counts_the_seeds(tmp_path, relu, tanh, expected):
    runs = tmp_path / "runs"
    ids = []
    for seed, (a, b) in enumerate(zip(relu, tanh)):
        ids += [fake(runs, "cifar_convnet", "base", seed, 30.0, params=1_068_298, errors=a).name,
                fake(runs, "cifar_convnet", "four_layer_tanh", seed, 33.0, params=1_068_298, errors=b).name]
    paper_claims.generate(runs, tmp_path / "results", ids)
    text = (tmp_path / "results" / "ablations" / "summary.md").read_text()
    assert f"- **ReLU vs tanh** (four-layer net, 3 seeds): {expected}" in text
