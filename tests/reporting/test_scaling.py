"""The data-scaling experiment: its plan, the shared subsets, the table from records, a tiny grid."""

import json
import math
import shutil
import textwrap
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from alexnet import inputs, records, run_folder
from baselines import run as baseline
from drivers import scaling as scaling_driver
from reporting import scaling, scaling_stats
from tests.reporting_fakes import (baseline_config, baseline_eval, cnn_config, cnn_eval, make_image_folder,
                                   make_run, write_tiny_cnn_file)


# ---- the plan --------------------------------------------------------------------------------------


def test_full_run_is_the_scale_own_config_and_small_runs_scale_their_epochs():
    scales, _ = scaling_driver.load_grid()
    cells = scaling_driver.plan(scales, only_scales=["imagenette"])
    cnn = {(c.fraction, c.seed): c.config for c in cells if c.model == "cnn"}
    assert sorted(cnn) == [(0.02, 0), (0.02, 1), (0.02, 2), (0.1, 0), (0.1, 1), (0.1, 2), (0.3, 0), (0.3, 1),
                           (0.3, 2), (1.0, 0)]
    full = scaling_driver.cnn_config("imagenette_alexnet.py", 1.0, 0, 300)
    assert cnn[(1.0, 0)] == full  # the very config `make reproduce` trains, so its run is reused
    base, cap = full["epochs"], scales["imagenette"]["max_epochs"]
    small = cnn[(0.1, 2)]
    assert small["epochs"] == min(cap, round(base / math.sqrt(0.1)))
    assert small["val_every_epochs"] == round(small["epochs"] / base)
    # The warm-up keeps its share of the run.
    assert small["warmup_epochs"] == pytest.approx(full["warmup_epochs"] * small["epochs"] / base)
    assert (small["train_fraction"], small["subset_seed"], small["eval_ten_crop"]) == (0.1, 2, False)
    fv = [c.config for c in cells if c.model == "fv" and c.fraction == 0.3][0]
    fv_full = [c.config for c in cells if c.model == "fv" and c.fraction == 1.0][0]
    # The cell's own images: the subset, and an encoder fitted on them alone.
    assert {k for k in {*fv, *fv_full} if fv.get(k) != fv_full.get(k)} == {"train_fraction", "encoder_fit"}
    assert fv["encoder_fit"] == "cell"
    # Every Fisher-vector cell, the full set's too: one exact solver, a penalty grid that grows until its
    # choice is interior, and a final SVM on the images the CNN trains on (issue 24).
    for cell in (fv, fv_full):
        assert (cell["svm_solver"], cell["svm_extend"], cell["svm_refit_with_holdout"]) == ("batched", 3, False)
        assert cell["svm_alphas"] == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
    # A seed varies everything: the subset, and the CNN's initialisation and data order.
    assert small["seed"] == 2 and cnn[(0.1, 0)]["seed"] == 0


def test_scaled_epochs_grow_as_one_over_the_root_of_the_fraction_up_to_the_cap():
    assert scaling_driver.scaled_epochs(45, 0.01, 1000) == 450   # 10x the passes, 1/10 of the steps
    assert scaling_driver.scaled_epochs(45, 0.1, 1000) == 142
    assert scaling_driver.scaled_epochs(12, 0.01, 100) == 100
    assert scaling_driver.scaled_epochs(30, 0.5, 10) == 30  # a cap below the base never shortens training


def test_validating_every_nth_epoch_is_an_optional_trainer_key():
    from alexnet import train

    config = scaling_driver.cnn_config("cifar10_convnet.py", 1.0, 0, 400)
    # At fraction 1 the config is the scale's own file, unchanged (same hash, same finished run).
    assert config == train.resolve_config(scaling_driver.EXPERIMENTS_DIR / "cifar10_convnet.py")
    assert train.validate({**config, "val_every_epochs": 3})["val_every_epochs"] == 3
    with pytest.raises(scaling_driver.ConfigError, match="config key .val_every_epochs. must be >= 1"):
        train.validate({**config, "val_every_epochs": 0})


def test_selection_and_its_errors():
    scales, _ = scaling_driver.load_grid(preset="reduced")
    cells = scaling_driver.plan(scales, ["imagenette"], fractions=[0.1], models=["fv"], seeds=[0])
    assert [(c.model, c.fraction, c.seed) for c in cells] == [("fv", 0.1, 0)]
    with pytest.raises(scaling_driver.ConfigError, match=r"fraction\(s\) 0.05 not in the grid"):
        scaling_driver.plan(scales, ["imagenette"], fractions=[0.05])
    with pytest.raises(scaling_driver.ConfigError, match="unknown scale"):
        scaling_driver.plan(scales, ["mnist"])
    with pytest.raises(scaling_driver.ConfigError, match="unknown preset 'tiny'"):
        scaling_driver.load_grid(preset="tiny")
    assert scaling_driver.main(["--scales", "imagenette", "--fractions", "0.5"]) == 2


def test_cnn_and_baseline_train_on_the_same_nested_subsets():
    labels = np.repeat(np.arange(10), [963, 955, 993, 858, 941, 956, 961, 931, 951, 960])  # Imagenette's
    source = SimpleNamespace(labels=labels, n_images=len(labels))
    previous = None
    for fraction in (0.1, 0.3, 1.0):
        cnn = {"dataset": "imagenette", "train_fraction": fraction, "subset_seed": 1}
        fv = {"train_fraction": fraction, "subset_seed": 1, "holdout_fraction": 0.1, "seed": 0}
        cnn_idx = inputs.train_subset(cnn, labels)
        fv_idx, held = baseline._train_indices(fv, source)
        cnn_idx = np.arange(len(labels)) if cnn_idx is None else cnn_idx
        np.testing.assert_array_equal(cnn_idx, fv_idx)
        assert set(held) <= set(fv_idx)
        if previous is not None:
            assert set(previous) <= set(cnn_idx)
        previous = cnn_idx


# ---- the table and figure, from records only ----------------------------------------------------------


def _fake_predictions(top1: float, seed: int, n: int = 100) -> dict:
    """Centre-crop predictions on n test images (labels 0-9 in turn), wrong on round(top1 % of n) of them."""
    labels = np.arange(n) % 10
    wrong = np.random.default_rng(seed).choice(n, round(top1 * n / 100), replace=False)
    predicted = labels.copy()
    predicted[wrong] = (labels[wrong] + 1) % 10
    return {"probs": np.eye(10, dtype=np.float32)[predicted], "labels": labels,
            "paths": np.array([f"/data/val/{i:05d}.png" for i in range(n)])}


def _fake_cell(runs, stamp, kind, fraction, seed, top1, n_train, preds=False, n_holdout=None,
               final_fit_includes_holdout=None):
    """A finished fake record of one cell, with the training-set size where the real ones keep it:
    n_holdout, for a CNN, makes it train on n_train less those (provenance trained_on); for the
    baseline, its eval.json train_subset says so, with final_fit_includes_holdout."""
    extra = {"train_fraction": fraction, "subset_seed": seed}
    predictions = _fake_predictions(top1, int(stamp[9:15]) + 7 * seed) if preds else None
    if kind == "cnn":
        config = cnn_config("cifar10", arch="cifar_convnet", num_classes=10, **extra)
        result = cnn_eval(top1, top1 / 5, 100, "cifar10", "cifar_convnet")
        if preds:
            result["saved_predictions"] = "centre"
        run = make_run(runs, stamp, config, result, preds=predictions)
        train = {"n_images": n_train, "n_classes": 10}  # the trainer lists the subset it trained on
    else:
        result = baseline_eval(top1, top1 / 4, 100, "cifar10")
        result["train_subset"] = {"fraction": fraction, "seed": seed, "n_images": n_train}
        if n_holdout is not None:
            result["train_subset"]["n_holdout"] = n_holdout
        if final_fit_includes_holdout is not None:
            result["train_subset"]["final_fit_includes_holdout"] = final_fit_includes_holdout
        run = make_run(runs, stamp, baseline_config("cifar10", **extra), result, preds=predictions)
        train = {"n_images": 50000, "n_classes": 10}  # the baseline lists the split it encoded
    prov = records.read_json(run / "provenance.json")
    prov["dataset"]["train"] = train
    if kind == "cnn" and n_holdout is not None:
        prov["dataset"]["trained_on"] = n_train - n_holdout
    records.write_json_atomic(run / "provenance.json", prov)
    return run.name


@pytest.fixture()
def fake_grid(tmp_path):
    runs = tmp_path / "runs"
    ids = [_fake_cell(runs, "20250101T000000Z", "cnn", 0.01, 0, 70.0, 500),
           _fake_cell(runs, "20250101T000100Z", "cnn", 0.01, 1, 74.0, 500),
           _fake_cell(runs, "20250101T000200Z", "cnn", 1.0, 0, 20.0, 50000),
           _fake_cell(runs, "20250101T000300Z", "fv", 0.01, 0, 60.0, 500),
           _fake_cell(runs, "20250101T000400Z", "fv", 1.0, 0, 30.0, 50000)]
    return runs, tmp_path / "results", ids


def test_summary_groups_seeds_and_regenerates_from_the_copies_alone(fake_grid):
    runs, results, ids = fake_grid
    written = scaling.generate(runs, results, ids)
    out = results / "scaling"
    assert {p.name for p in written} == {"summary.csv", "summary.md", "scaling.png", "scaling.pdf"}
    frame = pd.read_csv(out / "summary.csv")
    assert list(frame.columns) == list(scaling.COLUMNS)
    small = frame[(frame["kind"] == "cnn") & (frame["train_fraction"] == 0.01)].iloc[0]
    assert (small["n_seeds"], small["seeds"], small["train_images_per_class"]) == (2, "0 1", 50.0)
    assert small["top1_err_pct_mean"] == pytest.approx(72.0)
    assert small["top1_err_pct_std"] == pytest.approx(np.std([70.0, 74.0], ddof=1))
    assert frame[frame["n_seeds"] == 1]["top1_err_pct_std"].isna().all()
    assert frame["kind"].tolist() == ["cnn", "handcrafted", "cnn", "handcrafted"]  # by fraction, CNN first
    text = (out / "summary.md").read_text()
    assert "| 0.01 | 50 | 72.00 ± 2.83 (2 seeds) | 60.00 (1 seed) |" in text and "different task" in text
    assert sorted(p.name for p in (out / "records").iterdir()) == sorted(ids)
    # Fisher vectors 12 points ahead at 50 per class, the CNN 10 ahead at 5,000: they cross
    # between those two sizes, where the interpolated gap is 0, 12/22 of the way in log scale (616).
    assert "SVM solver of the baseline: sgd at 0.01, 1." in text  # records without svm_solver: SGD
    crossing = 50 * 100 ** (12 / 22)
    assert ("the Fisher vectors by 12.0 points at 50; the CNN by 10.0 points at 5,000. **Crossover: between 50 "
            "and 5,000 training images per class**, the two sizes measured where the lead changes hands; above "
            "it the CNN leads. Interpolated in log scale, near 620;") in text
    # Its interval: the CNN's two seeds at 50 drawn with replacement give a mean of 70, 72 or 74,
    # a gap of 10, 12 or 14 points, a crossing at 500, 616 or 733; the single-seed cells add nothing.
    assert ("95% interval 500 to 730 (percentile bootstrap, 2,000 resamples, over seeds only: the records hold "
            "no per-image predictions). 3 of the 4 cells (one model at one size) ran a single seed and add no "
            "spread, so the interval is narrower than the truth.") in text
    cross = scaling.crossover(frame[frame["scale"] == "cifar10"])
    assert (cross["at"], cross["below"], cross["above"]) == pytest.approx((crossing, 50, 5000))
    assert "616" not in text  # two significant figures
    assert "top1_err_pct_runs" in frame and small["top1_err_pct_runs"] == "70 74"

    shutil.rmtree(runs)  # a fresh clone: only the copies are left
    before = (out / "summary.csv").read_text()
    scaling.generate(runs, results)
    assert (out / "summary.csv").read_text() == before


def test_summary_refuses_two_runs_of_one_cell_and_missing_runs(fake_grid):
    runs, results, ids = fake_grid
    again = _fake_cell(runs, "20250102T000000Z", "cnn", 0.01, 1, 71.0, 500)
    with pytest.raises(scaling.RecordError, match="same cell"):
        scaling.generate(runs, results, ids + [again])
    with pytest.raises(scaling.RecordError, match="no data-scaling runs to cite"):
        scaling.generate(runs, results)
    assert scaling.main(["--runs-dir", str(runs), "--results-dir", str(results), "--run-ids", "nope"]) == 2
    assert not (results / "scaling").exists()  # a failed generation leaves nothing behind


def test_figure_marks_the_published_ilsvrc_pair(fake_grid):
    runs, results, ids = fake_grid
    scaling.generate(runs, results, ids)
    frame = pd.read_csv(results / "scaling" / "summary.csv")
    fig = scaling.scaling_figure(frame, scaling.published.load(results))
    top1, top5 = fig.axes[:2]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert sum("ILSVRC-2012" in label and "different task" in label for label in labels) == 2
    assert top1.get_xscale() == "log" and top5.get_xscale() == "log"
    stars = [line.get_ydata()[0] for line in top5.get_lines() if line.get_marker() == "*"]
    assert sorted(stars) == [18.2, 26.2]
    # Single-seed cells are drawn hollow; the two-seed CNN cell at 50 per class is not.
    hollow = sorted((float(x), float(y)) for line in top1.get_lines() if line.get_markerfacecolor() == "white"
                    and line.get_marker() != "*" for x, y in zip(line.get_xdata(), line.get_ydata()))
    assert hollow == [(50.0, 60.0), (5000.0, 20.0), (5000.0, 30.0)]
    assert "hollow markers: a single seed" in fig._suptitle.get_text()
    # The measured crossing is marked where the summary puts it, over its bootstrap interval.
    crossing = 50 * 100 ** (12 / 22)
    assert [t.get_text() for t in top1.texts if "cross" in t.get_text()] == [
        "cifar10: curves cross between\n50 and 5,000 per class, near 620"]
    assert [line.get_xdata()[0] for line in top1.lines if line.get_linestyle() == "--"
            and len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]] == pytest.approx([crossing])
    band = [p for p in top1.patches if p.get_alpha() == 0.15]
    assert len(band) == 1 and (band[0].get_x(), band[0].get_x() + band[0].get_width()) == pytest.approx(
        (500.0, 50 * 100 ** (14 / 24)))


def _frame(sizes, cnn, fv, fractions=None) -> pd.DataFrame:
    """One scale's summary.csv: per size, each model's per-seed top-1 errors (lists), run ids r0, r1, ..."""
    rows, n = [], 0
    for i, size in enumerate(sizes):
        for kind, errs in (("cnn", cnn[i]), ("handcrafted", fv[i])):
            ids = [f"r{n + j}" for j in range(len(errs))]
            n += len(errs)
            rows.append({"scale": "demo", "model": "m" if kind == "cnn" else "fv", "kind": kind,
                         "train_fraction": (fractions or sizes)[i], "train_images_per_class": float(size),
                         "n_seeds": len(errs), "top1_err_pct_mean": float(np.mean(errs)),
                         "top1_err_pct_std": np.std(errs, ddof=1) if len(errs) > 1 else np.nan,
                         "top1_err_pct_runs": " ".join(f"{e:.10g}" for e in errs), "run_ids": " ".join(ids),
                         "top5_err_pct_mean": 1.0, "top5_err_pct_std": np.nan})
    return pd.DataFrame(rows)


SIZES = [10.0, 30.0, 100.0, 300.0, 1000.0]
# Gaps (CNN minus Fisher vectors) of 30, 15, 3, -5 and -10 points: the lead changes hands between 100 and 300.
CNN_ERRS = [[78.0, 80.0, 82.0], [58.0, 60.0, 62.0], [43.0, 45.0, 47.0], [29.0, 30.0, 31.0], [20.0]]
FV_ERRS = [[50.0, 51.0, 49.0], [44.0, 45.0, 46.0], [41.5, 42.0, 42.5], [34.0, 35.0, 36.0], [30.0]]


def test_the_crossover_is_bracketed_by_the_two_sizes_where_the_lead_changes_sign():
    frame = _frame(SIZES, CNN_ERRS, FV_ERRS)
    cross = scaling.crossover(frame)
    assert (cross["below"], cross["above"], cross["leader"]) == (100.0, 300.0, "the CNN")
    assert cross["at"] == pytest.approx(100 * 3 ** (3 / 8))  # 151: 3/8 of the way from +3 to -5 points
    text = scaling.verdict(frame)
    assert ("**Crossover: between 100 and 300 training images per class**, the two sizes measured where the "
            "lead changes hands; above it the CNN leads. Interpolated in log scale, near 150;") in text
    # The Fisher vectors taking the lead: the bracket is where they do.
    turned = _frame(SIZES, FV_ERRS, CNN_ERRS)
    cross = scaling.crossover(turned)
    assert (cross["below"], cross["above"], cross["leader"]) == (100.0, 300.0, "the Fisher vectors")
    assert scaling.crossover(_frame(SIZES[:3], CNN_ERRS[:3], FV_ERRS[:3])) is None


def test_the_bootstrap_is_deterministic_and_its_interval_holds_the_point():
    frame = _frame(SIZES, CNN_ERRS, FV_ERRS)
    at = scaling.crossover(frame)["at"]
    boot = scaling.bootstrap_crossover(frame)
    assert boot == scaling.bootstrap_crossover(frame)  # the same seed, the same interval
    assert boot["low"] < at < boot["high"]
    assert (boot["resamples"], boot["level"], boot["share"]) == (2000, 0.95, 1.0)
    assert (boot["cells"], boot["single_seed_cells"], boot["runs"], boot["image_runs"]) == (10, 2, 26, 0)
    other = scaling.bootstrap_crossover(frame, seed=1)
    assert (other["low"], other["high"]) != (boot["low"], boot["high"])
    # Fewer resamples, another interval: the seed and the count are what fix it.
    assert scaling.bootstrap_crossover(frame, resamples=200) != boot
    # Only the cells either side of the crossing move it: with one seed there, no spread at all.
    single = _frame(SIZES, [c if i not in (2, 3) else c[:1] for i, c in enumerate(CNN_ERRS)],
                    [c if i not in (2, 3) else c[:1] for i, c in enumerate(FV_ERRS)])
    boot = scaling.bootstrap_crossover(single)
    assert boot["low"] == boot["high"] == pytest.approx(scaling.crossover(single)["at"])
    assert "the resamples do not move it" in scaling.verdict(single)


def _mistakes(frame: pd.DataFrame, n: int = 400) -> dict:
    """Per run, n per-image mistakes giving its recorded error."""
    out = {}
    for _, row in frame.iterrows():
        for i, (run, err) in enumerate(zip(row["run_ids"].split(), row["top1_err_pct_runs"].split())):
            wrong = np.zeros(n, bool)
            wrong[np.random.default_rng(int(run[1:])).choice(n, round(float(err) * n / 100), replace=False)] = True
            out[run] = wrong
    return out


def test_per_image_predictions_resample_the_test_images_even_with_one_seed_per_cell():
    frame = _frame(SIZES, [c[:1] for c in CNN_ERRS], [c[:1] for c in FV_ERRS])
    at = scaling.crossover(frame)["at"]
    seeds_only = scaling.bootstrap_crossover(frame)
    assert seeds_only["low"] == seeds_only["high"] == pytest.approx(at)  # nothing to resample
    wrong = _mistakes(frame)
    boot = scaling.bootstrap_crossover(frame, wrong)
    assert boot["high"] - boot["low"] > 10 and boot["low"] < at < boot["high"]
    assert (boot["image_runs"], boot["runs"], boot["images"], boot["single_seed_cells"]) == (10, 10, 400, 10)
    assert boot == scaling.bootstrap_crossover(frame, wrong)
    # Paired: every run's errors come from the same draw of images (a run and its complement add to 100).
    w = wrong["r0"]
    errs = scaling_stats._image_errors(np.stack([w, ~w, w]), 50, np.random.default_rng(0))
    assert errs[0] + errs[1] == pytest.approx(np.full(50, 100.0)) and (errs[0] == errs[2]).all()
    assert errs[0].std() > 0


def test_the_method_sentence_names_what_was_resampled():
    frame = _frame(SIZES, CNN_ERRS, FV_ERRS)
    wrong = _mistakes(frame)
    assert ("95% interval 120 to 170 (percentile bootstrap, 2,000 resamples, over seeds only: no per-image "
            "predictions were loaded). 2 of the 10 cells (one model at one size) ran a single seed and add no "
            "spread, so the interval is narrower than the truth.") in scaling.verdict(frame)
    assert "over seeds only: the records hold no per-image predictions)" in scaling.verdict(frame, {})
    text = scaling.verdict(frame, wrong)
    assert "over seeds and the 400 test images (the same images drawn for both models: paired); " in text
    # About 1% of these resamples (400 images) do not cross so: the text says how many did.
    share = scaling.bootstrap_crossover(frame, wrong)["share"]
    assert 0.9 < share < 1 and f"the curves cross so in {100 * share:.0f}% of the resamples, and the " \
        "interval is over those). 2 of the 10 cells (one model at one size) ran a single seed and add " \
        "test-image spread but no seed spread, so the interval is narrower than the truth." in text
    some = {r: wrong[r] for r in ("r0", "r1", "r2", "r3")}
    assert ("over seeds, and over the test images for the 4 of 26 runs whose records hold per-image "
            "predictions (the others over seeds only))") in scaling.verdict(frame, some)
    everywhere = _frame(SIZES[:4], CNN_ERRS[:4], FV_ERRS[:4])
    assert "ran a single seed" not in scaling.verdict(everywhere)
    no_runs = frame.drop(columns=["top1_err_pct_runs"])
    assert "near 150 (no interval: the table gives no per-run errors)." in scaling.verdict(no_runs)


def test_crossover_estimates_are_stated_to_two_significant_figures():
    import re
    frame = _frame(SIZES, CNN_ERRS, FV_ERRS)
    text = scaling.verdict(frame)
    boot = scaling.bootstrap_crossover(frame)
    estimates = re.search(r"near ([\d,]+); 95% interval ([\d,]+) to ([\d,]+)", text).groups()
    assert estimates == tuple(scaling.approx_count(v) for v in (scaling.crossover(frame)["at"], boot["low"],
                                                                boot["high"]))
    assert all(len(e.replace(",", "").rstrip("0")) <= 2 for e in estimates)
    assert f"{scaling.crossover(frame)['at']:,.0f}" not in text  # 151, not stated


def test_x_is_the_images_each_model_trained_on_and_the_summary_says_which_it_uses(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    # The CNN learns from 90% of each subset; the baseline's final fit from all of it (the default).
    ids = [_fake_cell(runs, "20250101T000000Z", "cnn", 0.01, 0, 70.0, 500, n_holdout=50),
           _fake_cell(runs, "20250101T000100Z", "cnn", 1.0, 0, 20.0, 50000, n_holdout=5000),
           _fake_cell(runs, "20250101T000200Z", "fv", 0.01, 0, 60.0, 500, n_holdout=50),
           _fake_cell(runs, "20250101T000300Z", "fv", 1.0, 0, 30.0, 50000, n_holdout=5000)]
    scaling.generate(runs, results, ids)
    frame = pd.read_csv(results / "scaling" / "summary.csv")
    assert sorted(zip(frame["kind"], frame["train_images_per_class"], frame["subset_images"])) == [
        ("cnn", 45.0, 500), ("cnn", 4500.0, 50000), ("handcrafted", 50.0, 500), ("handcrafted", 5000.0, 50000)]
    text = (results / "scaling" / "summary.md").read_text()
    assert "| 0.01 | 45 | 70.00 (1 seed) | 60.00 (1 seed) |" in text
    assert ("Images per class are those the CNN trained on: each subset less the held-out part it leaves out. "
            "The Fisher vectors' final SVM fit learned from more in these records, the held-out part included "
            "(50, 5,000 per class); the leads and the crossover compare the two models' runs on the same subset "
            "at the CNN's count.") in text
    assert "**Crossover: between 45 and 4,500 training images per class**" in text
    fig = scaling.scaling_figure(frame, scaling.published.load(results))
    assert fig.axes[0].get_xlabel() == "training images per class, the CNN's count (log scale)"
    assert sorted({float(x) for line in fig.axes[0].get_lines() if line.get_marker() == "o"
                   for x in line.get_xdata()}) == [45.0, 4500.0]  # both models' points at the cell's size
    # A baseline whose final fit leaves the held-out part out, as the CNN does: one count, nothing to say.
    shutil.rmtree(runs)
    ids = [_fake_cell(runs, "20250101T000000Z", "cnn", 0.01, 0, 70.0, 500, n_holdout=50),
           _fake_cell(runs, "20250101T000200Z", "fv", 0.01, 0, 60.0, 500, n_holdout=50,
                      final_fit_includes_holdout=False)]
    scaling.generate(runs, results, ids)
    frame = pd.read_csv(results / "scaling" / "summary.csv")
    assert frame["train_images_per_class"].tolist() == [45.0, 45.0]
    assert "Images per class are those the CNN trained on" not in (results / "scaling" / "summary.md").read_text()


def test_small_predictions_are_committed_and_the_bootstrap_resamples_their_images(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    ids = [_fake_cell(runs, "20250101T000000Z", "cnn", 0.01, 0, 70.0, 500, preds=True),
           _fake_cell(runs, "20250101T000100Z", "cnn", 1.0, 0, 20.0, 50000, preds=True),
           _fake_cell(runs, "20250101T000200Z", "fv", 0.01, 0, 60.0, 500, preds=True),
           _fake_cell(runs, "20250101T000300Z", "fv", 1.0, 0, 30.0, 50000, preds=True)]
    scaling.generate(runs, results, ids)
    out = results / "scaling"
    text = (out / "summary.md").read_text()
    assert "over seeds and the 100 test images (the same images drawn for both models: paired)" in text
    for run in ids:
        copy = out / "records" / run / "predictions.npz"
        assert copy.stat().st_size < scaling.PREDICTIONS_MAX_BYTES
        with np.load(copy) as kept, np.load(runs / run / "predictions.npz") as original:
            assert sorted(kept.files) == ["labels", "probs"]  # the image paths stay behind
            np.testing.assert_array_equal(kept["probs"], original["probs"])
    shutil.rmtree(runs)  # a fresh clone: the committed predictions give the same summary
    scaling.generate(runs, results)
    assert (out / "summary.md").read_text() == text
    # Predictions of more than the limit stay out of the copy; the bootstrap then says seeds only.
    from reporting.runs import discover, lookup
    cited = lookup(discover(runs, results), ids, runs, results)
    assert scaling.copy_predictions(cited, tmp_path / "elsewhere", max_bytes=100) == []


def test_predictions_of_another_evaluation_are_not_resampled(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    ids = [_fake_cell(runs, "20250101T000000Z", "cnn", 0.01, 0, 70.0, 500, preds=True),
           _fake_cell(runs, "20250101T000100Z", "cnn", 1.0, 0, 20.0, 50000),
           _fake_cell(runs, "20250101T000200Z", "fv", 0.01, 0, 60.0, 500, preds=True),
           _fake_cell(runs, "20250101T000300Z", "fv", 1.0, 0, 30.0, 50000, preds=True)]
    # The first CNN's eval.json reports another error than its predictions give (ten crops, say).
    result = records.read_json(runs / ids[0] / "eval.json")
    result["centre"]["top1_err_pct"] = 72.0
    records.write_json_atomic(runs / ids[0] / "eval.json", result)
    from reporting.runs import discover, lookup
    cited = lookup(discover(runs, results), ids, runs, results)
    rows = [scaling.run_row(r) for r in cited]
    assert sorted(scaling.image_mistakes(cited, rows)) == sorted(ids[2:])


# ---- a miniature grid, end to end ------------------------------------------------------------------


GRID = """
def get_config():
    return {{"scales": {{"folder-tiny": {{"cnn": "{cnn}", "fv": "{fv}", "fractions": [0.5, 1.0],
                                          "seeds": [1, 1], "max_epochs": 100}}}}}}
"""
FV = """
from baselines.defaults import fv_base_config
def get_config():
    c = fv_base_config()
    c.update(experiment="tiny_scaling_fv", dataset="folder:{data}", sift_bin_sizes=[4], pca_dim=8,
             gmm_components=2, gmm_iterations=5, gmm_images=24, gmm_samples=2000, svm_epochs=2,
             svm_alphas=[1e-4, 1e-2], cache_dir="{cache}", cache_shard_size=100, workers=1, progress=False)
    return c
"""


def test_miniature_grid_runs_both_models_then_skips_them(tmp_path, runs_dir, capsys):
    data = make_image_folder(tmp_path / "data" / "tiny")
    write_tiny_cnn_file(tmp_path / "tiny_cnn.py", "tiny_scaling_cnn", data, epochs=2, eval_batch_size=24,
                        eval_ten_crop=False, holdout_fraction=0.25)
    (tmp_path / "tiny_fv.py").write_text(textwrap.dedent(FV.format(data=data, cache=tmp_path / "fv")))
    grid = tmp_path / "tiny_scaling.py"
    grid.write_text(GRID.format(cnn=tmp_path / "tiny_cnn.py", fv=tmp_path / "tiny_fv.py"))
    results = tmp_path / "results"
    args = ["--config", str(grid), "--results-dir", str(results)]
    # An interrupted run of one cell (its folder and config, nothing trained yet) is picked up again.
    half = scaling_driver.plan(scaling_driver.load_grid(grid)[0], fractions=[0.5], models=["cnn"])[0]
    interrupted = run_folder.new_run_dir(half.config["experiment"], half.config)

    assert scaling_driver.main(args) == 0
    assert f"resuming {interrupted.name}" in capsys.readouterr().out and run_folder.is_done(interrupted)
    frame = pd.read_csv(results / "scaling" / "summary.csv")
    # x is the images each model learned from: the CNN leaves its held-out quarter out, the baseline's
    # final fit (svm_refit_with_holdout's default) learns from the whole subset, the held-out part included.
    assert sorted(zip(frame["kind"], frame["train_fraction"], frame["train_images_per_class"],
                      frame["subset_images"])) == [
        ("cnn", 0.5, 3.0, 12), ("cnn", 1.0, 6.0, 24), ("handcrafted", 0.5, 4.0, 12), ("handcrafted", 1.0, 8.0, 24)]
    assert (results / "scaling" / "figures" / "scaling.png").stat().st_size > 1000
    runs = {json.loads((p / "config.json").read_text())["train_fraction"]: p
            for p in runs_dir.iterdir() if "tiny_scaling_cnn" in p.name}
    # At half the images: sqrt(2) times the epochs (3 of 2), validated every second epoch and at the last.
    rows = records.read_metrics(runs[0.5])
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert [bool(r["heldout_top1_err_pct"]) for r in rows] == [False, True, True]
    # Both models record the same subset of the same images.
    cnn_subset = records.read_json(runs[0.5] / "provenance.json")["dataset"]["subset"]["indices_sha256"]
    fv_run = next(p for p in runs_dir.iterdir() if "tiny_scaling_fv" in p.name
                  and records.read_json(p / "config.json")["train_fraction"] == 0.5)
    assert records.read_json(fv_run / "eval.json")["train_subset"]["sha256"] == cnn_subset

    capsys.readouterr()
    n_runs = len(list(runs_dir.iterdir()))
    assert scaling_driver.main(args) == 0
    assert "4 finished, 0 to run" in capsys.readouterr().out
    assert len(list(runs_dir.iterdir())) == n_runs


def test_results_notebook_shows_the_scaling_summary(fake_grid):
    import nbformat

    from reporting import notebooks

    runs, results, ids = fake_grid
    scaling.generate(runs, results, ids)
    out = notebooks.execute(notebooks.NOTEBOOK_DIR / "01_results.ipynb", results / "nb.ipynb",
                            notebooks.kernel_env(runs, results, None))
    cells = nbformat.read(out, as_version=4).cells
    cell = next(c for c in cells if "scaling_report.scaling_figure" in c.source)
    assert any("image/png" in o.get("data", {}) for o in cell.outputs)
    assert "top1_err_pct_mean" in json.dumps(cell.outputs)
    assert "cifar10: Top-1, lead per images per class: the Fisher vectors by 12.0 points" in json.dumps(cell.outputs)
    ablation = next(c for c in cells if "ablation_csv" in c.source)  # none in this results folder
    assert "baseline_ablation/summary.csv yet: run `make reproduce-baseline-ablation`" in json.dumps(ablation.outputs)


def test_verdict_without_a_crossing_says_who_leads_everywhere():
    frame = pd.DataFrame({"train_images_per_class": [95.0, 95.0, 947.0, 947.0],
                          "kind": ["cnn", "handcrafted"] * 2,
                          "top1_err_pct_mean": [80.0, 30.0, 56.7, 16.9]})
    text = scaling.verdict(frame)
    assert "the Fisher vectors by 50.0 points at 95; the Fisher vectors by 39.8 points at 947" in text
    # The Fisher vectors' error falls faster (n^-0.25 against n^-0.15): no meeting ahead either.
    assert text.endswith("do not cross in the range measured: the Fisher vectors lead at every size. "
                         "Continued straight in log scale from 95 and 947 images per class (the rule that places "
                         "a measured crossing), the gap in points would close near 7,500,000 training images per "
                         "class (an extrapolation beyond the data). Power laws err = a n^-b fitted through every size measured (b = 0.15 for the CNN "
                         "and 0.25 for the Fisher vectors) do not meet: the leader's error falls as fast or "
                         "faster.")
    assert scaling.extrapolated_crossover(frame) is None
    assert scaling.verdict(frame[frame["kind"] == "cnn"]) == "Only one model has run at this scale so far."


def test_curves_that_do_not_cross_yet_are_extrapolated_as_power_laws(fake_grid):
    # CNN error 200 n^-0.5, Fisher vectors 50 n^-0.25: they meet where n^0.25 = 4, at 256 per class.
    sizes = [10.0, 20.0, 50.0, 100.0]
    frame = pd.DataFrame({"scale": "demo", "model": ["m", "fv"] * 4, "kind": ["cnn", "handcrafted"] * 4,
                          "train_images_per_class": np.repeat(sizes, 2), "n_seeds": 1,
                          "top1_err_pct_mean": [v for n in sizes for v in (200 * n ** -0.5, 50 * n ** -0.25)],
                          "top1_err_pct_std": np.nan, "top5_err_pct_mean": 1.0, "top5_err_pct_std": np.nan})
    ahead = scaling.extrapolated_crossover(frame)
    assert (ahead["at"], ahead["low"], ahead["high"]) == pytest.approx((256, 256, 256))
    assert ahead["slopes"] == pytest.approx({"cnn": 0.5, "handcrafted": 0.25}) and ahead["leader"] == "the CNN"
    text = scaling.verdict(frame)
    assert "the Fisher vectors lead at every size. Continued straight" in text
    assert "(an extrapolation beyond the data). **Extrapolated crossover: near 260 training images per " in text
    assert "b = 0.50 for the CNN and 0.25 for the Fisher vectors; an extrapolation" in text
    assert "between" not in text  # exact power laws: every tail fit meets at 256
    # A bend at the CNN's smallest size steepens the fit through every size (the meeting moves
    # to 156); the fit through the largest 3 still meets at 256, and the range shows both.
    bent = frame.copy()
    bent.loc[0, "top1_err_pct_mean"] = 90.0
    ahead = scaling.extrapolated_crossover(bent)
    assert (ahead["at"], ahead["low"], ahead["high"]) == pytest.approx((156.38, 156.38, 256), abs=0.01)
    assert "through the largest 3 to 4 sizes only, between 160 and 260;" in scaling.verdict(bent)
    # The gap in points continued straight in log scale from the two largest sizes (50, 100).
    d50, d100 = 200 / 50 ** 0.5 - 50 / 50 ** 0.25, 200 / 100 ** 0.5 - 50 / 100 ** 0.25
    assert scaling.straight_gap_closes_at(frame) == pytest.approx(50 * 2 ** (d50 / (d50 - d100)))  # 173
    assert "from 50 and 100 images per class (the rule that places a measured crossing), the gap in points " \
           "would close near 170 training images per class (an extrapolation beyond the data)." in text
    # Extrapolated counts are stated to two significant figures: the fits know no more.
    assert [scaling.approx_count(n) for n in (125882.4, 256, 9.6, 1049)] == ["130,000", "260", "10", "1,000"]
    # Inside the range the measured crossing is reported, not an extrapolation.
    # Nearly parallel fits would meet past any data set (here near 1.2^10000 per class): none.
    parallel = frame.assign(top1_err_pct_mean=[v for n in sizes for v in (60 * n ** -0.2501, 50 * n ** -0.25)])
    assert scaling.extrapolated_crossover(parallel) is None
    assert ("(b = 0.25 for the CNN and 0.25 for the Fisher vectors) fall almost in parallel and would meet "
            "only beyond a billion training images per class." in scaling.verdict(parallel))
    # A CNN curve flat in its largest sizes, steep only through its smallest: the fit through every
    # size meets the Fisher vectors' inside the data, so no crossover is extrapolated from it.
    unsteady = frame.assign(top1_err_pct_mean=[v for n in sizes for v in
                                               (200.0 if n == 10 else 60 * n ** -0.25, 50 * n ** -0.25)])
    assert scaling.extrapolated_crossover(unsteady) is None
    assert scaling.verdict(unsteady).endswith(
        "fitted through every size measured meet near 81 training images per class, inside the range measured, "
        "where the points themselves do not cross: too unsteady a trend to extrapolate a crossover from.")
    crossing = frame.copy()
    crossing.loc[6, "top1_err_pct_mean"] = 10.0  # the CNN ahead at 100 (the Fisher vectors: 15.8)
    assert scaling.crossover(crossing) is not None and scaling.extrapolated_crossover(crossing) is None
    # A measured crossing (near 77) is hindcast from the sizes below it: the exact power laws
    # through 10, 20, 50 meet at 256, the straight gap from 20 and 50 closes near 110.
    assert scaling.verdict(crossing).endswith(
        "Hindcast of the extrapolations used where curves have not crossed yet: fed only the sizes below it "
        "(10, 20, 50), the straight gap would have put it near 110, the power laws near 260.")
    widening = frame.assign(top1_err_pct_mean=[v for n in sizes for v in (30.0 + n / 10, 20.0)])
    assert scaling.straight_gap_closes_at(widening) is None
    # The figure draws the fits beyond the data and marks where they meet.
    fig = scaling.scaling_figure(frame, scaling.published.load(fake_grid[1]))
    dotted = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert len(dotted) == 2 and all(line.get_xdata()[0] == 100.0 for line in dotted)
    assert any("fits meet near\n260 per class (extrapolated)" in t.get_text() for t in fig.axes[0].texts)
    # Fits that meet far beyond the data (100 n^-0.30 and 50 n^-0.25: at 2^20 per class) are drawn
    # to 30x the largest size only, and the meeting is named without stretching the axis to it.
    far = frame.assign(top1_err_pct_mean=[v for n in sizes for v in (100 * n ** -0.30, 50 * n ** -0.25)])
    assert scaling.extrapolated_crossover(far)["at"] == pytest.approx(2 ** 20)
    fig = scaling.scaling_figure(far, scaling.published.load(fake_grid[1]))
    dotted = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == ":" and len(line.get_xdata())]
    assert [line.get_xdata()[-1] for line in dotted] == pytest.approx([3000.0, 3000.0])
    # The straight gap closes near 27,000, the power laws meet near 1,000,000: more than 10x apart, so
    # the figure, as the summary, puts no crossover forward.
    spread = scaling.undetermined(far, scaling.extrapolated_crossover(far))
    assert spread == pytest.approx((scaling.straight_gap_closes_at(far), 2 ** 20))
    label = f"demo: crossover not determined\n(extrapolations {scaling.approx_count(spread[0])} to 1,000,000 per class)"
    assert [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("demo")] == [
        label + "\n(far off this axis)"]
    assert "**the crossover is not determined by these data**." in scaling.verdict(far)


def test_the_summary_says_where_the_penalty_was_not_chosen():
    from reporting.scaling_presentation import penalty_line
    group = pd.DataFrame({"kind": ["cnn", "handcrafted", "handcrafted", "handcrafted"],
                          "train_fraction": [0.1, 0.1, 0.3, 1.0],
                          "svm_choice": ["", "tie", "interior edge", "interior"]})
    assert penalty_line(group) == (
        "Penalty C of the baseline: not determined (every candidate tied on the held-out images) at 0.1; "
        "chosen inside its grid at 0.3, 1; chosen at an edge of its grid (the optimum may lie beyond it) at 0.3.\n")


def test_a_partial_grid_leaves_the_committed_table_alone(monkeypatch, tmp_path, capsys):
    from reporting import runs, scaling as scaling_report
    scales, _ = scaling_driver.load_grid()
    cells = scaling_driver.plan(scales, only_scales=["cifar10"])[:3]
    monkeypatch.setattr(runs, "find_record", lambda config, r, d: None if config is cells[1].config else "run-x")
    monkeypatch.setattr(scaling_report, "generate", lambda *a: pytest.fail("regenerated from part of a grid"))
    assert scaling_driver.report(cells, tmp_path) == []
    assert "results/scaling not regenerated: 1 of the grid's 3 cells have no record yet" in capsys.readouterr().out
