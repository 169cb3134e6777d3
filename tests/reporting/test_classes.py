"""The classes axis of Tiny ImageNet: the plan (drivers.classes) and its table (reporting.classes)."""

import pandas as pd
import pytest

from alexnet import records
from alexnet.config import ConfigError, load_config
from drivers import classes
from reporting import classes as classes_report
from reporting import tables
from reporting.runs import RecordError, read_record
from tests.reporting_fakes import baseline_eval, cnn_eval, make_run


def _definition():
    return load_config(classes.DEFAULT_CONFIG)


def test_plan_runs_both_recipes_on_nested_subsets_and_the_200_class_point_unchanged():
    runs = {(r.model, r.classes): r.config for r in classes.plan(_definition())}
    assert sorted(runs) == [("cnn", 10), ("cnn", 50), ("cnn", 200), ("fv", 10), ("fv", 50), ("fv", 200)]
    from alexnet import train
    from baselines import run as baseline
    assert runs[("cnn", 200)] == train.validate(load_config(classes.EXPERIMENTS_DIR / "tiny_imagenet_alexnet.py"))
    assert runs[("fv", 200)] == baseline.validate(load_config(classes.EXPERIMENTS_DIR / "fv_tiny_imagenet.py"))
    base = runs[("cnn", 200)]
    for n, epochs in ((10, 63), (50, 28)):      # base / sqrt(n / 200), the data-scaling rule, capped at 100
        cnn, fv = runs[("cnn", n)], runs[("fv", n)]
        assert cnn["dataset"] == fv["dataset"] == f"tiny_imagenet:{n}" and cnn["num_classes"] == n
        assert cnn["epochs"] == epochs
        assert cnn["warmup_epochs"] == pytest.approx(base["warmup_epochs"] * epochs / base["epochs"])
        assert cnn["holdout_fraction"] == base["holdout_fraction"] and cnn["seed"] == fv["seed"]
        assert fv["svm_select_fraction"] == 1.0 and not fv["svm_refit_with_holdout"]
        assert cnn["study"] == fv["study"] == classes.STUDY          # kept out of the per-scale tables
        assert {k: v for k, v in cnn.items() if k not in ("dataset", "num_classes", "epochs", "warmup_epochs",
                                                            "val_every_epochs", "study")} == \
               {k: v for k, v in base.items() if k not in ("dataset", "num_classes", "epochs", "warmup_epochs",
                                                            "val_every_epochs", "study")}
    with pytest.raises(ConfigError, match=r"classes \[20\] not in the axis \[10, 50, 200\]"):
        classes.plan(_definition(), classes=[20])


def test_reuse_committed_counts_a_committed_record_as_finished(runs_dir, tmp_path, monkeypatch, capsys):
    """A new machine has no runs/, only the records the report step committed under results/."""
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "results"))
    run = next(r for r in classes.plan(_definition()) if (r.model, r.classes) == ("cnn", 10))
    make_run(tmp_path / "results" / "tiny_imagenet" / "records", "20260101T000000Z", run.config,
             cnn_eval(60.0, 20.0, 500, run.config["dataset"], "alexnet64"), done=False)
    assert classes.main(["--dry-run"]) == 0
    assert "6 runs selected, 0 finished, 6 to run" in capsys.readouterr().out  # off: a clean clone reruns all
    assert classes.main(["--dry-run", "--reuse-committed"]) == 0
    out = capsys.readouterr().out
    assert "6 runs selected, 1 finished, 5 to run" in out
    assert f"  cnn at 10 classes, {run.config['epochs']} epochs: finished" in out


def _fake(runs_dir, n, kind, top1, top5):
    dataset = classes.dataset_name(n)
    config = ({"experiment": "tiny_imagenet_alexnet", "dataset": dataset, "arch": "alexnet64", "num_classes": n}
              if kind == "cnn" else {"experiment": "fv_tiny_imagenet", "dataset": dataset,
                                     "model": "dsift_colour_fv_svm"})
    if n < 200:
        config["study"] = classes.STUDY
    result = (cnn_eval(top1, top5, 50 * n, dataset, "alexnet64") if kind == "cnn"
              else {**baseline_eval(top1, top5, 50 * n, dataset), "model": "dsift_colour_fv_svm",
                    "train_subset": {"n_images": 500 * n, "n_holdout": 50 * n,
                                     "final_fit_includes_holdout": False}})
    run_dir = make_run(runs_dir, f"2026010{1 + (kind == 'fv')}T{n:06d}Z", config, result)
    if kind == "cnn":
        prov = records.read_json(run_dir / "provenance.json")
        prov["dataset"]["trained_on"] = 450 * n
        records.write_json_atomic(run_dir / "provenance.json", prov)
    return run_dir


def test_table_and_figure_give_both_models_and_the_lead_per_number_of_classes(tmp_path):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    errors = {10: ((30.0, 8.0), (25.0, 6.0)), 200: ((55.0, 30.0), (70.0, 45.0))}
    ids = [_fake(runs_dir, n, kind, *errors[n][i]).name for n in errors for i, kind in enumerate(("cnn", "fv"))]
    written = classes_report.generate(runs_dir, results, ids)
    assert [p.name for p in written] == ["classes.csv", "classes.md", "classes.png", "classes.pdf"]
    frame = pd.read_csv(results / "tiny_imagenet" / "classes.csv")
    assert frame[["classes", "kind"]].values.tolist() == [[10, "cnn"], [10, "handcrafted"],
                                                          [200, "cnn"], [200, "handcrafted"]]
    assert frame["n_train_images"].tolist() == [4500, 4500, 90000, 90000]   # the same images for both
    lead = classes_report.leads(classes_report.class_frame([read_record(runs_dir / i) for i in ids]))
    assert lead["lead_top1"].tolist() == [-5.0, 15.0] and lead["lead_top5"].tolist() == [-2.0, 15.0]
    assert lead["top5_ratio"].round(3).tolist() == [round(8 / 6, 3), round(30 / 45, 3)]
    text = (results / "tiny_imagenet" / "classes.md").read_text()
    assert "| 10 | -5.0 | -2.0 | 1.33 |" in text and "| 200 | +15.0 | +15.0 | 0.67 |" in text
    # Subset runs' records are kept beside, the 200-class pair is the scale table's.
    kept = sorted(p.name for p in (results / "tiny_imagenet_classes" / "records").iterdir())
    assert kept == sorted(ids[:2])
    # The subset runs never become scales of their own in the per-scale tables.
    tables.generate(runs_dir, results)
    assert not (results / "tiny_imagenet-10").exists()
    assert pd.read_csv(results / "tiny_imagenet" / "summary.csv")["run_id"].tolist() == ids[2:]


def test_two_runs_of_one_model_at_one_size_is_an_error(tmp_path):
    runs_dir = tmp_path / "runs"
    a = _fake(runs_dir, 10, "cnn", 30.0, 8.0)
    b = make_run(runs_dir, "20260105T000000Z", {**records.read_json(a / "config.json"), "seed": 1},
                 cnn_eval(31.0, 9.0, 500, "tiny_imagenet:10", "alexnet64"))
    with pytest.raises(RecordError, match="two runs of one model at one number of classes"):
        classes_report.generate(runs_dir, tmp_path / "results", [a.name, b.name])
