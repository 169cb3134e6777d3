"""The transfer study's table (reporting.transfer) and the driver's regeneration of it (drivers.transfer)."""

import math
import shutil

import pandas as pd
import pytest

from alexnet import records
from alexnet.config import load_config
from drivers import transfer
from reporting import transfer as transfer_report
from reporting.runs import RecordError
from tests.reporting_fakes import baseline_eval, cnn_eval, make_run

FULL, HELD = 9469, 947                       # Imagenette's training images; the held-out tenth
SOURCE = "20260101T000000Z-tiny_imagenet_alexnet-0123abcd"
# (fraction, model): (top-1, top-5). At 100% the Fisher vectors win, at 10% the probe.
ERRORS = {(1.0, "probe"): (22.0, 4.0), (1.0, "cnn"): (31.5, 6.0), (1.0, "fv"): (19.7, 3.5),
          (0.1, "probe"): (35.0, 8.0), (0.1, "cnn"): (60.4, 20.0), (0.1, "fv"): (41.5, 9.0)}


@pytest.fixture()
def definition():
    """The study's definition with a fine-tuning grid of its own, so the committed grid may widen."""
    study = load_config(transfer.DEFAULT_CONFIG)
    study["finetune"] = dict(study["finetune"], lrs=[0.0005, 0.002, 0.008])
    return study


def _subset(fraction):
    n = round(FULL * fraction)
    return n, round(n * HELD / FULL)


def _fake(runs_dir, fraction, model, top1, top5, stamp="20260201", config=None, lr=None, held_err=None,
          **eval_extra):
    """A finished fake record of one study cell, shaped as alexnet.train, alexnet.probe or baselines.run write."""
    n, held = _subset(fraction)
    if model == "probe":
        config = config or {"experiment": "probe", "model": "alexnet64_fc7_probe", "probe_of": SOURCE,
                            "source_dataset": "tiny_imagenet", "layer": "fc7", "dataset": "imagenette",
                            "train_fraction": fraction, "subset_seed": 0, "holdout_fraction": 0.1, "seed": 0}
        result = {**cnn_eval(top1, top5, 3925, arch="alexnet64_fc7_probe"),
                  "train_subset": {"n_images": n, "n_fit": n - held, "n_holdout": held}}
    elif model in ("cnn", "finetune"):
        config = config or {"experiment": "imagenette64_alexnet", "dataset": "imagenette", "arch": "alexnet64",
                            "num_classes": 10, "train_fraction": fraction}
        if model == "finetune":
            config = {**config, "experiment": "imagenette64_finetune", "init_from": SOURCE, "lr": lr}
        result = cnn_eval(top1, top5, 3925, arch="alexnet64")
        if fraction < 1:
            result["ten_crop"] = None        # the data-scaling rule evaluates subsets with the centre crop only
    else:
        config = config or {"experiment": "fv_imagenette64", "dataset": "imagenette", "model": "dsift_colour_fv_svm",
                            "train_fraction": fraction}
        result = {**baseline_eval(top1, top5, 3925), "model": "dsift_colour_fv_svm",
                  "train_subset": {"n_images": n, "n_holdout": held, "final_fit_includes_holdout": False}}
    result.update(eval_extra)
    order = ("probe", "cnn", "fv", "finetune").index(model) * 10 + int(1e4 * (lr or 0)) % 10
    stamp = f"{stamp}T{int(fraction * 100):03d}{order:03d}Z"
    metrics = [{"epoch": 1, "heldout_top1_err_pct": held_err + 5}, {"epoch": 2, "heldout_top1_err_pct": held_err}] \
        if held_err is not None else None
    run_dir = make_run(runs_dir, stamp, config, result, metrics)
    if model in ("cnn", "finetune"):
        prov = records.read_json(run_dir / "provenance.json")
        prov["dataset"]["trained_on"] = n - held
        records.write_json_atomic(run_dir / "provenance.json", prov)
    return run_dir


def _study(runs_dir):
    return {key: _fake(runs_dir, *key, *errs).name for key, errs in ERRORS.items()}


def test_summary_has_one_row_per_fraction_and_model_and_copies_the_records(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = _study(runs_dir)
    written = transfer_report.generate(runs_dir, results, list(ids.values()), definition)
    assert [p.name for p in written] == ["summary.csv", "summary.md"]
    frame = pd.read_csv(results / "transfer" / "summary.csv")
    assert tuple(frame.columns) == transfer_report.COLUMNS
    kinds = ["probe (frozen)", "CNN from scratch", "Fisher vectors"]
    assert frame[["fraction", "kind"]].values.tolist() == [[f, k] for f in (1.0, 0.1) for k in kinds]
    assert frame["run_id"].tolist() == [ids[(f, m)] for f in (1.0, 0.1) for m in ("probe", "cnn", "fv")]
    # Each model's own count of the images it learned from: here the same nine tenths.
    assert frame["n_train_images"].tolist() == [8522] * 3 + [852] * 3
    assert frame["top1_err_pct_centre"].tolist() == [22.0, 31.5, 19.7, 35.0, 60.4, 41.5]
    assert frame["top5_err_pct_centre"].tolist() == [4.0, 6.0, 3.5, 8.0, 20.0, 9.0]
    ten = frame["top1_err_pct_10crop"].tolist()   # the probe's and the full CNN's only
    assert ten[:2] == [20.75, 30.25] and ten[3] == 33.75 and all(math.isnan(ten[i]) for i in (2, 4, 5))
    assert not frame["reference"].any() and frame["n_val_images"].eq(3925).all()
    assert sorted(p.name for p in (results / "transfer" / "records").iterdir()) == sorted(ids.values())
    text = (results / "transfer" / "summary.md").read_text()
    assert "| 10% | 852 | CNN from scratch | AlexNet at 64 px (conv1 5x5 stride 2) | 60.40 | 20.00 | — | — |" in text
    assert "Not run yet: fine-tuned at 100%, fine-tuned at 10% (`make reproduce-transfer`)." in text
    # Without --run-ids the copies are the records: a fresh clone gets the same table.
    before = (results / "transfer" / "summary.csv").read_text()
    transfer_report.generate(tmp_path / "no-runs", results, (), definition)
    assert (results / "transfer" / "summary.csv").read_text() == before


def test_the_sentence_per_fraction_names_the_winner_and_its_lead(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    transfer_report.generate(runs_dir, results, list(_study(runs_dir).values()), definition)
    text = (results / "transfer" / "summary.md").read_text()
    assert ("- At 100% of Imagenette's training images the **Fisher vectors win** on top-1 error (centre crop) "
            "with 19.70%: 2.3 points ahead of the probe (frozen), at 22.00%, and 11.8 points ahead of the CNN "
            "from scratch, at 31.50%.") in text
    assert ("- At 10% of Imagenette's training images the **probe (frozen) wins** on top-1 error (centre crop) "
            "with 35.00%: 6.5 points ahead of the Fisher vectors, at 41.50%, and 25.4 points ahead of the CNN "
            "from scratch, at 60.40%.") in text
    assert text.index("At 100%") < text.index("At 10%")


def test_a_tie_and_a_lone_model_are_said_as_such(tmp_path):
    runs_dir = tmp_path / "runs"
    from reporting.runs import read_record
    cited = [read_record(_fake(runs_dir, 1.0, "probe", 20.001, 4.0)), read_record(_fake(runs_dir, 1.0, "fv", 20.0, 3.0)),
             read_record(_fake(runs_dir, 0.1, "cnn", 50.0, 9.0))]
    sentences = transfer_report.winner_sentences(transfer_report.transfer_frame(cited))
    assert sentences == [
        "At 100% of Imagenette's training images the Fisher vectors and the probe (frozen) tie on top-1 error "
        "(centre crop): 20.00%.",
        "At 10% of Imagenette's training images only the CNN from scratch has run so far: 50.00% top-1 error "
        "(centre crop)."]


def test_reference_rows_come_from_the_imagenette_summary_and_never_win(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = _study(runs_dir)
    reference = make_run(runs_dir, "20250101T000000Z", {"experiment": "imagenette_alexnet", "dataset": "imagenette",
                                                         "arch": "alexnet2012", "num_classes": 10},
                         cnn_eval(3.25, 1.0, 3925))
    (results / "imagenette").mkdir(parents=True)
    pd.DataFrame({"run_id": [reference.name]}).to_csv(results / "imagenette" / "summary.csv", index=False)
    transfer_report.generate(runs_dir, results, list(ids.values()), definition)
    frame = pd.read_csv(results / "transfer" / "summary.csv")
    assert frame["reference"].tolist() == [False] * 6 + [True]
    assert frame.iloc[-1][["fraction", "name", "top1_err_pct_centre", "run_id"]].tolist() == \
        [1.0, "AlexNet 2012 (two towers)", 3.25, reference.name]
    text = (results / "transfer" / "summary.md").read_text()
    assert "| AlexNet 2012 (two towers) (224 px, reference) | 3.25 |" in text
    assert "the **Fisher vectors win**" in text and "3.25%" not in text   # the lowest error, yet no winner
    # Its record stays the imagenette table's.
    assert reference.name not in {p.name for p in (results / "transfer" / "records").iterdir()}


def test_a_partial_record_is_refused_and_nothing_is_written(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = _study(runs_dir)
    quick = _fake(runs_dir, 0.1, "fv", 40.0, 9.0, stamp="20260301", partial=True, n_images=200,
                  config={"experiment": "fv_imagenette64", "dataset": "imagenette", "model": "dsift_colour_fv_svm",
                          "train_fraction": 0.1, "eval_images": 200})
    cited = [i for k, i in ids.items() if k != (0.1, "fv")] + [quick.name]
    with pytest.raises(RecordError, match=f"{quick.name} were evaluated on part of the split only"):
        transfer_report.generate(runs_dir, results, cited, definition)
    assert not (results / "transfer").exists()


def test_two_runs_of_one_cell_are_an_error(tmp_path, definition):
    runs_dir = tmp_path / "runs"
    ids = _study(runs_dir)
    again = _fake(runs_dir, 1.0, "cnn", 30.0, 5.0, stamp="20260301",
                  config={"experiment": "imagenette64_alexnet", "dataset": "imagenette", "arch": "alexnet64",
                          "num_classes": 10, "train_fraction": 1.0, "seed": 1})
    with pytest.raises(RecordError, match="two runs of one model at one fraction"):
        transfer_report.generate(runs_dir, tmp_path / "results", [*ids.values(), again.name], definition)


def test_with_nothing_finished_the_command_says_what_is_missing_in_one_line(tmp_path, capsys):
    unfinished = make_run(tmp_path / "runs", "20260101T000000Z", {"experiment": "fv_imagenette64",
                                                                  "dataset": "imagenette", "model": "x"},
                          None, done=False)
    argv = ["--runs-dir", str(tmp_path / "runs"), "--results-dir", str(tmp_path / "results")]
    assert transfer_report.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no transfer-study runs to cite")
    assert ("missing: probe (frozen), fine-tuned, CNN from scratch, Fisher vectors at 100% and 10% of Imagenette's "
            "training images (run `make reproduce-transfer` first)") in err[0]
    assert transfer_report.main([*argv, "--run-ids", unfinished.name]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and unfinished.name in err[0]
    assert not (tmp_path / "results" / "transfer").exists()


def test_the_driver_reports_every_finished_run_of_its_plan(runs_dir, tmp_path, definition, monkeypatch, capsys):
    results = tmp_path / "results"
    monkeypatch.setenv("RESULTS_DIR", str(results))
    with pytest.raises(RecordError, match="missing: fv at 1 of the training images, fv at 0.1 of the training "
                                          "images, cnn at 1 of the training images, .*probe at 0.1"):
        transfer.report(definition, results)
    # The plan's own configs (no source network: no probe), finished; a run of another config is not cited.
    planned = transfer.plan(definition, models=("fv", "cnn"))
    ids = [_fake(runs_dir, r.fraction, r.model, *ERRORS[(r.fraction, r.model)], config=r.config).name
           for r in planned]
    _fake(runs_dir, 1.0, "cnn", 1.0, 0.5, stamp="20260301")
    assert transfer.execute(definition, planned) == 0
    assert f"wrote {results / 'transfer' / 'summary.csv'}" in capsys.readouterr().out
    frame = pd.read_csv(results / "transfer" / "summary.csv")
    assert sorted(frame["run_id"]) == sorted(ids)
    text = (results / "transfer" / "summary.md").read_text()
    assert ("Not run yet: probe (frozen) at 100%, fine-tuned at 100%, probe (frozen) at 10%, fine-tuned at 10% "
            "(`make reproduce-transfer`).") in text


def test_fine_tuning_keeps_the_rate_with_the_lowest_heldout_error_per_fraction(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = list(_study(runs_dir).values())
    # val errors that would pick other rates: the choice must read the held-out errors only.
    tuned = {(1.0, 0.0005): (18.0, 30.0), (1.0, 0.002): (25.0, 20.0), (1.0, 0.008): (40.0, 35.0),
             (0.1, 0.0005): (20.0, 50.0), (0.1, 0.002): (30.0, 45.0), (0.1, 0.008): (31.0, 40.0)}
    ids += [_fake(runs_dir, f, "finetune", top1, 3.0, lr=lr, held_err=held).name
            for (f, lr), (top1, held) in tuned.items()]
    transfer_report.generate(runs_dir, results, ids, definition)
    frame = pd.read_csv(results / "transfer" / "summary.csv")
    rows = frame[frame["kind"] == "fine-tuned"]
    assert rows[["fraction", "lr", "heldout_top1_err_pct", "top1_err_pct_centre"]].values.tolist() == \
        [[1.0, 0.002, 20.0, 25.0], [0.1, 0.008, 40.0, 31.0]]
    assert frame["kind"].tolist()[:4] == ["probe (frozen)", "fine-tuned", "CNN from scratch", "Fisher vectors"]
    assert frame[frame["kind"] != "fine-tuned"]["lr"].isna().all()
    text = (results / "transfer" / "summary.md").read_text()
    assert "- 100% of Imagenette's training images: lr 0.002 (0.0005: 30.00%, 0.002: 20.00%, 0.008: 35.00%)\n" in text
    assert ("- 10% of Imagenette's training images: lr 0.008 (0.0005: 50.00%, 0.002: 45.00%, 0.008: 40.00%) "
            "**at the grid's edge: widen the grid**") in text
    # Every rate's record is kept beside the table, the unchosen ones included.
    assert len(list((results / "transfer" / "records").iterdir())) == len(ids)


def test_a_fine_tuned_run_without_heldout_errors_is_refused(tmp_path, definition):
    runs_dir = tmp_path / "runs"
    lone = _fake(runs_dir, 1.0, "finetune", 20.0, 3.0, lr=0.002)
    with pytest.raises(RecordError, match=f"without a held-out error to choose the learning rate by: {lone.name}"):
        transfer_report.generate(runs_dir, tmp_path / "results", [lone.name], definition)


def test_a_rate_not_run_yet_is_named_and_a_rate_run_twice_is_an_error(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = list(_study(runs_dir).values())
    ids += [_fake(runs_dir, 1.0, "finetune", 20.0, 3.0, lr=lr, held_err=held).name
            for lr, held in ((0.0005, 30.0), (0.002, 25.0))]          # 0.008 not run yet
    transfer_report.generate(runs_dir, results, ids, definition)
    text = (results / "transfer" / "summary.md").read_text()
    # The edge is the study's grid's: 0.002 lies inside 0.0005-0.008 even with 0.008 missing.
    assert "- 100% of Imagenette's training images: lr 0.002 (0.0005: 30.00%, 0.002: 25.00%, 0.008: not run)\n" in text
    assert "Not run yet: fine-tuned (lr 0.008) at 100%, fine-tuned at 10% (`make reproduce-transfer`)." in text
    again = _fake(runs_dir, 1.0, "finetune", 21.0, 3.0, lr=0.002, held_err=24.0, stamp="20260301",
                  config={"experiment": "imagenette64_alexnet", "dataset": "imagenette", "arch": "alexnet64",
                          "num_classes": 10, "train_fraction": 1.0, "seed": 1})
    with pytest.raises(RecordError, match="two fine-tuned runs of one learning rate at one fraction"):
        transfer_report.generate(runs_dir, results, [*ids, again.name], definition)


def test_a_rate_that_diverged_bounds_the_grid_and_its_record_is_kept(tmp_path, definition):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = list(_study(runs_dir).values())
    ids += [_fake(runs_dir, 1.0, "finetune", top1, 3.0, lr=lr, held_err=held).name
            for lr, top1, held in ((0.0005, 30.0, 31.0), (0.002, 25.0, 24.0))]
    # The grid's top, 0.008, diverged: a run folder with config and diverged.json, as alexnet.train leaves it.
    failed = runs_dir / "20260201T100999Z-imagenette64_finetune-deadbeef"
    failed.mkdir()
    # Its config is the grid's, but for the rate.
    records.write_json_atomic(failed / "config.json", {**records.read_json(runs_dir / ids[-1] / "config.json"),
                                                       "lr": 0.008})
    records.write_json_atomic(failed / "diverged.json", {"error": "non-finite training loss (nan) at epoch 1, step 5"})
    # A newer diverged run at that rate, fine-tuning another network: another grid's, never counted.
    other = runs_dir / "20260202T100999Z-imagenette64_finetune-0badf00d"
    other.mkdir()
    records.write_json_atomic(other / "config.json", {**records.read_json(failed / "config.json"), "init_from": "x"})
    records.write_json_atomic(other / "diverged.json", {"error": "non-finite training loss (nan) at epoch 1, step 2"})
    transfer_report.generate(runs_dir, results, ids, definition)
    text = (results / "transfer" / "summary.md").read_text()
    # 0.002 is the largest rate that trained, and a rate above it diverged: not the grid's edge.
    assert "- 100% of Imagenette's training images: lr 0.002 (0.0005: 31.00%, 0.002: 24.00%, 0.008: diverged)\n" in text
    assert "fine-tuned (lr 0.008) at 100%" not in text                     # diverged is not "not run yet"
    kept = results / "transfer" / "records" / failed.name
    assert sorted(p.name for p in kept.iterdir()) == ["config.json", "diverged.json"]
    # A fresh clone: no runs/, the committed records only; the table comes out the same.
    shutil.rmtree(runs_dir)
    runs_dir.mkdir()
    transfer_report.generate(runs_dir, results, definition=definition)
    assert (results / "transfer" / "summary.md").read_text() == text
    # Without the diverged record, 0.008 is a rate not run yet.
    shutil.rmtree(kept)
    transfer_report.generate(runs_dir, results, definition=definition)
    assert "0.008: not run" in (results / "transfer" / "summary.md").read_text()
