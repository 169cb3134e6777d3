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
    # The CNN's 200-class point is the recipe with the axis' overrides (the first, 14-epoch recipe), nothing else.
    recipe = load_config(classes.EXPERIMENTS_DIR / "tiny_imagenet_alexnet.py")
    assert _definition()["cnn_overrides"] == {"epochs": 14, "fc8_std": None}
    assert recipe["epochs"] == 28 and recipe["fc8_std"] == 0.01
    recipe.update(epochs=14)
    del recipe["fc8_std"]
    assert runs[("cnn", 200)] == train.validate(recipe)
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
    # Every cited record is kept beside the table, the 200-class pair's too.
    kept = sorted(p.name for p in (results / "tiny_imagenet_classes" / "records").iterdir())
    assert kept == sorted(ids)
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


def test_overrides_change_the_recipe_at_every_size_and_none_removes_a_key():
    plain = classes.cnn_config("tiny_imagenet_alexnet.py", 50, 100)
    pinned = classes.cnn_config("tiny_imagenet_alexnet.py", 50, 100, {"epochs": 10, "fc8_std": None, "lr": 0.01})
    assert plain["epochs"] == 56 and plain["fc8_std"] == 0.01        # 28 / sqrt(50 / 200)
    assert pinned["epochs"] == 20 and "fc8_std" not in pinned and pinned["lr"] == 0.01   # 10 / sqrt(1/4)
    assert pinned["warmup_epochs"] == plain["warmup_epochs"] == 2.0    # the same share of the run as 1 epoch of 10 or of 28


def test_the_axis_keeps_its_200_class_run_when_the_headline_moves_on(tmp_path):
    """A new machine: no run folders, the committed records only; the headline cites a newer recipe."""
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    ids = [_fake(runs_dir, n, kind, 40.0, 20.0).name for n in (10, 200) for kind in ("cnn", "fv")]
    tables.generate(runs_dir, results)
    classes_report.generate(runs_dir, results, ids)
    newer = make_run(runs_dir, "20260301T000000Z", {**records.read_json(runs_dir / ids[2] / "config.json"),
                                                     "epochs": 28}, cnn_eval(35.0, 15.0, 10000, "tiny_imagenet",
                                                                             "alexnet64"))
    tables.generate(runs_dir, results)             # the headline's copy of the older 200-class run goes
    headline = pd.read_csv(results / "tiny_imagenet" / "summary.csv")["run_id"].tolist()
    assert newer.name in headline and ids[2] not in headline
    assert not (results / "tiny_imagenet" / "records" / ids[2]).exists()
    empty = tmp_path / "fresh_runs"
    empty.mkdir()
    assert sorted(classes_report.default_run_ids(results)) == sorted(ids)
    classes_report.generate(empty, results)
    frame = pd.read_csv(results / "tiny_imagenet" / "classes.csv")
    assert frame.loc[frame["classes"] == 200, "run_id"].tolist() == [ids[2], ids[3]]


def test_without_its_own_200_class_records_the_axis_cites_the_headline_pair(tmp_path):
    runs_dir, results = tmp_path / "runs", tmp_path / "results"
    subset = [_fake(runs_dir, 10, kind, 40.0, 20.0).name for kind in ("cnn", "fv")]
    pair = [_fake(runs_dir, 200, kind, 40.0, 20.0).name for kind in ("cnn", "fv")]
    tables.generate(runs_dir, results)
    classes_report.generate(runs_dir, results, subset)
    assert sorted(classes_report.default_run_ids(results)) == sorted(subset + pair)
