"""reporting.tables and reporting.published: summaries come from the records, exactly."""

import json
import shutil
import statistics

import numpy as np
import pandas as pd
import pytest

from alexnet import records
from reporting import plots, published, tables
from reporting import runs as runs_module
from reporting.runs import RecordError, cite, scale_name
from tests.reporting_fakes import (baseline_config, baseline_eval, cnn_config, cnn_eval, ensemble_config,
                                   ensemble_eval, fake_scale, fake_seeds, make_run)


@pytest.fixture()
def scale(tmp_path):
    runs = tmp_path / "runs"
    return runs, tmp_path / "results", fake_scale(runs)


def _tables(runs, results, *extra):
    return tables.main(["--runs-dir", str(runs), "--results-dir", str(results), *extra])


def test_summary_values_equal_the_records(scale):
    runs, results, made = scale
    assert _tables(runs, results) == 0
    table = pd.read_csv(results / "imagenette" / "summary.csv")
    assert list(table["run_id"]) == [made["cnn"].name, made["baseline"].name]  # newest finished CNN
    for _, row in table.iterrows():
        result = json.loads((runs / row["run_id"] / "eval.json").read_text())
        assert row["top1_err_pct_centre"] == result["centre"]["top1_err_pct"]
        assert row["top5_err_pct_centre"] == result["centre"]["top5_err_pct"]
        if result["ten_crop"]:
            assert row["top1_err_pct_10crop"] == result["ten_crop"]["top1_err_pct"]
            assert row["top5_err_pct_10crop"] == result["ten_crop"]["top5_err_pct"]
        else:
            assert pd.isna(row["top1_err_pct_10crop"]) and pd.isna(row["top5_err_pct_10crop"])
        assert row["params"] == result["params"]
        assert row["train_time_s"] == result["train_time_s"]
        assert row["n_images"] == result["n_images"]
        assert row["hardware"] == records.hardware_summary(result["hardware"])
    assert list(table["kind"]) == ["cnn", "handcrafted"]
    # Single runs only: the columns, and the cells, of a table before multi-seed rows existed.
    assert list(table.columns) == list(tables.SUMMARY_COLUMNS)
    markdown = (results / "imagenette" / "summary.md").read_text()
    assert "| AlexNet 2012 (two towers) | 31.23 | 9.88 | 29.98 | 9.38 | 61.0 M | 1.5 h |" in markdown
    assert f"`{made['baseline'].name}`" in markdown
    assert "seed" not in markdown and " each |" not in markdown


def test_cited_records_are_copied_without_checkpoints(scale):
    runs, results, made = scale
    (made["cnn"] / "checkpoints").mkdir()
    (made["cnn"] / "checkpoints" / "ckpt-1.index").write_text("x")
    assert _tables(runs, results) == 0
    copies = results / "imagenette" / "records"
    assert sorted(p.name for p in copies.iterdir()) == sorted([made["cnn"].name, made["baseline"].name])
    copied = sorted(p.name for p in (copies / made["cnn"].name).iterdir())
    assert copied == ["config.json", "confusion.csv", "eval.json", "metrics.csv", "provenance.json"]
    for name in ("config.json", "eval.json", "metrics.csv", "provenance.json"):
        assert (copies / made["cnn"].name / name).read_text() == (made["cnn"] / name).read_text()


def test_tables_regenerate_from_committed_records_alone(scale):
    runs, results, _ = scale
    assert _tables(runs, results) == 0
    before = {p.name: p.read_bytes() for p in (results / "imagenette").glob("summary.*")}
    shutil.rmtree(runs)
    assert _tables(runs, results) == 0
    after = {p.name: p.read_bytes() for p in (results / "imagenette").glob("summary.*")}
    assert after == before and set(before) == {"summary.csv", "summary.md"}


def test_missing_eval_json_is_one_clear_line(tmp_path, capsys):
    runs = tmp_path / "runs"
    run = make_run(runs, "20250101T000000Z", cnn_config(), eval_result=None)
    assert _tables(runs, tmp_path / "results") == 2
    assert capsys.readouterr().err == (
        f"error: run record {run} has no eval.json (its final evaluation never ran); "
        "re-evaluate it or cite another run\n")
    assert not (tmp_path / "results" / "imagenette").exists()


def test_eval_json_without_centre_errors_is_named(tmp_path, capsys):
    runs = tmp_path / "runs"
    result = cnn_eval(30.0, 10.0)
    result["centre"] = {"top1_err": 0.3, "top5_err": 0.1}  # fractions under the old names
    run = make_run(runs, "20250101T000000Z", cnn_config(), result)
    assert _tables(runs, tmp_path / "results") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: run record {run}: eval.json 'centre' lacks top1_err_pct/top5_err_pct")
    assert err.count("\n") == 1


def test_explicit_run_ids_override_the_newest(scale):
    runs, results, made = scale
    assert _tables(runs, results, "--run-ids", made["old_cnn"].name) == 0
    table = pd.read_csv(results / "imagenette" / "summary.csv")
    assert list(table["run_id"]) == [made["old_cnn"].name, made["baseline"].name]
    # The copy of the previously cited run goes once it is no longer cited.
    assert _tables(runs, results) == 0
    assert not (results / "imagenette" / "records" / made["old_cnn"].name).exists()


def test_unfinished_or_unknown_run_ids_are_refused(scale, capsys):
    runs, results, made = scale
    assert _tables(runs, results, "--run-ids", made["unfinished"].name) == 2
    assert "has not finished" in capsys.readouterr().err
    assert _tables(runs, results, "--run-ids", "20990101T000000Z-nope-00000000") == 2
    assert "not found" in capsys.readouterr().err


def test_subset_runs_are_not_cited_by_default(tmp_path):
    runs = tmp_path / "runs"
    made = fake_scale(runs)
    subset = make_run(runs, "20250109T000000Z", cnn_config(train_fraction=0.1), cnn_eval(70.0, 40.0))
    cited = cite(runs, tmp_path / "results")
    assert [r.run_id for r in cited["imagenette"]] == [made["cnn"].name, made["baseline"].name]
    explicit = cite(runs, tmp_path / "results", [subset.name])
    assert explicit["imagenette"][0].run_id == subset.name


def test_scales_are_kept_apart_and_published_rows_shown(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    fake_scale(runs)
    make_run(runs, "20250105T000000Z", cnn_config("imagenet2012", num_classes=1000),
             cnn_eval(42.0, 19.5, 50000, "imagenet2012"))
    make_run(runs, "20250105T010000Z", baseline_config("imagenet2012"),
             baseline_eval(60.0, 38.0, 50000, "imagenet2012"))
    assert _tables(runs, results) == 0
    assert len(pd.read_csv(results / "imagenet2012" / "summary.csv")) == 2
    markdown = (results / "imagenet2012" / "summary.md").read_text()
    assert "## Published on the same dataset" in markdown
    assert "| 1 CNN (AlexNet) | val | 10-crop | 40.7 | 18.2 |" in markdown
    assert "No published numbers" in (results / "imagenette" / "summary.md").read_text()
    assert _tables(runs, results, "--scale", "cifar10") == 2


def test_no_records_at_all_is_an_error(tmp_path, capsys):
    assert _tables(tmp_path / "runs", tmp_path / "results") == 2
    assert "no finished run records" in capsys.readouterr().err


def test_published_csv_is_valid_and_holds_the_history():
    frame = published.load(records.REPO_ROOT / "results")
    assert set(frame["kind"]) == {"cnn", "handcrafted"}
    row = frame[(frame["dataset"] == "imagenet2010") & (frame["eval"] == "10-crop")].iloc[0]
    assert (row["top1_err_pct"], row["top5_err_pct"]) == (37.5, 17.0)
    history = published.ilsvrc_history(frame)
    # One point per (year, entry), each at its own year; AlexNet's 2010 number is marked as
    # measured after the competition, and so is Sánchez & Perronnin's.
    assert not history.duplicated(["year", "model"]).any()
    points = {(r.year, r.model): (r.role, r.top5_err_pct) for r in history.itertuples()}
    assert points[(2010, "CNN (AlexNet)")] == ("after", 17.0)
    assert points[(2010, "SIFT + FVs")] == ("after", 25.7)
    winners = {r.year: (r.model, r.top5_err_pct) for r in history[history["role"] == "winner"].itertuples()}
    assert winners == {2010: ("Sparse coding (NEC-UIUC)", 28.2), 2011: ("Fisher vectors (XRCE)", 25.8),
                       2012: ("7 CNNs* (SuperVision)", 15.3)}
    assert points[(2012, "5 CNNs (SuperVision)")] == ("entry", 16.4)  # without the extra data
    best = published.best_per_year(history, "handcrafted")
    assert list(zip(best["year"], best["top5_err_pct"])) == [(2010, 28.2), (2011, 25.8), (2012, 26.2)]


def test_published_history_refuses_an_entry_marked_twice(tmp_path):
    frame = pd.read_csv(records.REPO_ROOT / "results" / "published.csv", dtype=str, keep_default_na=False)
    frame.loc[1, "ilsvrc_entry"] = "after"  # AlexNet's single-crop 2010 number beside its 10-crop one
    frame.to_csv(tmp_path / "published.csv", index=False)
    with pytest.raises(RecordError, match="marks 'CNN \\(AlexNet\\)' \\(2010\\) as an ILSVRC entry twice"):
        published.ilsvrc_history(published.load(tmp_path))
    frame.loc[1, "ilsvrc_entry"] = "champion"
    frame.to_csv(tmp_path / "published.csv", index=False)
    with pytest.raises(RecordError, match="row 3: ilsvrc_entry 'champion' is not one of winner, entry, after"):
        published.load(tmp_path)


def test_gap_figure_draws_every_history_entry_once_at_its_year():
    history = published.ilsvrc_history(published.load(records.REPO_ROOT / "results"))
    fig = plots.gap(pd.DataFrame(columns=["scale", "name", "kind", "top1_err_pct_centre",
                                          "top5_err_pct_centre"]), history)
    right = fig.axes[1]
    points = [(int(line.get_xdata()[0]), float(line.get_ydata()[0]), line.get_markerfacecolor() == "white")
              for line in right.get_lines() if line.get_marker() == "o" and len(line.get_xdata()) == 1
              and not np.isnan(line.get_ydata()[0])]
    assert sorted(points) == sorted((r.year, r.top5_err_pct, r.role == "after") for r in history.itertuples())
    texts = " ".join(t.get_text() for t in right.texts)
    assert "CNN (AlexNet)† 17.0" in texts and "† measured on that year's test set after the competition" in texts
    assert "* trained with extra data" in texts


def test_published_csv_rejects_a_row_without_source(tmp_path):
    frame = pd.read_csv(records.REPO_ROOT / "results" / "published.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "source"] = ""
    frame.to_csv(tmp_path / "published.csv", index=False)
    with pytest.raises(RecordError, match="row 2: every published number needs a source"):
        published.load(tmp_path)


@pytest.mark.parametrize("dataset, scale", [("imagenette", "imagenette"), ("folder:/data/birds/", "folder-birds"),
                                            ("synthetic:64:32", "synthetic"), ("cifar10", "cifar10"),
                                            ("tfds:cifar10", "cifar10")])
def test_scale_names(dataset, scale):
    assert scale_name(dataset) == scale


def test_copies_under_another_results_folder_are_not_this_scale_s_citation(tmp_path):
    # The scaling study keeps a copy of every full-data cell it cites (results/scaling/records);
    # a newer such copy must not slip into the scale's own table, and a run copied both there
    # and under results/<scale>/records is read from the scale's copy.
    runs, results = tmp_path / "runs", tmp_path / "results"
    made = fake_scale(runs)
    tables.generate(runs, results)
    newer = make_run(tmp_path / "elsewhere", "20300101T000000Z", cnn_config("imagenette", num_classes=4, seed=7),
                     cnn_eval(10.0, 1.0, 40))
    shutil.copytree(newer, results / "scaling" / "records" / newer.name)
    shutil.copytree(results / "imagenette" / "records" / made["baseline"].name,
                    results / "scaling" / "records" / made["baseline"].name)
    shutil.rmtree(runs)  # a fresh clone
    cited = cite(runs, results)["imagenette"]
    assert [r.run_id for r in cited] == [made["cnn"].name, made["baseline"].name]
    assert cited[1].path.parent == results / "imagenette" / "records"
    assert tables.main(["--runs-dir", str(runs), "--results-dir", str(results), "--run-ids", newer.name]) == 0


# Runs of one recipe that differ only in `seed` (issue 24): one row of means.
SEED_TOP1 = [14.0, 15.0, 16.5]


def test_three_seeds_of_one_recipe_are_one_row_of_means(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    seeds = fake_seeds(runs, SEED_TOP1)
    assert _tables(runs, results) == 0
    table = pd.read_csv(results / "cifar10" / "summary.csv", keep_default_na=False, na_values=[""])
    assert len(table) == 1
    row = table.iloc[0]
    # Independent of the code: the mean and the sample (n - 1) standard deviation of the eval.json numbers.
    evals = [json.loads((s / "eval.json").read_text()) for s in seeds]
    for crop, col in (("centre", "centre"), ("ten_crop", "10crop")):
        for k in ("top1", "top5"):
            values = [e[crop][f"{k}_err_pct"] for e in evals]
            assert row[f"{k}_err_pct_{col}"] == pytest.approx(statistics.mean(values))
            assert row[f"{k}_err_pct_{col}_std"] == pytest.approx(statistics.stdev(values))
    assert (row["n_seeds"], row["seeds"]) == (3, "0 1 2")
    assert row["run_ids"].split() == [s.name for s in seeds]
    assert row["run_id"] == seeds[-1].name  # the newest, for readers that want one run
    assert row["train_time_s"] == pytest.approx(evals[0]["train_time_s"])  # per run, not summed
    copies = results / "cifar10" / "records"
    assert sorted(p.name for p in copies.iterdir()) == sorted(s.name for s in seeds)
    for s in seeds:
        assert (copies / s.name / "eval.json").read_text() == (s / "eval.json").read_text()
    markdown = (results / "cifar10" / "summary.md").read_text()
    assert "| Small-image AlexNet (CIFAR) | 15.17 ± 1.26 (3 seeds) | 1.52 ± 0.13 (3 seeds) | " in markdown
    assert "| 1.5 h each |" in markdown
    assert ", ".join(f"`{s.name}`" for s in seeds) in markdown
    assert "A row over several seeds averages runs of one recipe" in markdown
    # The committed copies alone give the same table (a fresh clone).
    before = {p.name: p.read_bytes() for p in (results / "cifar10").glob("summary.*")}
    shutil.rmtree(runs)
    assert _tables(runs, results) == 0
    assert {p.name: p.read_bytes() for p in (results / "cifar10").glob("summary.*")} == before


def test_a_seed_row_beside_single_runs_leaves_their_cells_as_they_were(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    baseline = make_run(runs, "20250101T000000Z", baseline_config("cifar10"), baseline_eval(22.37, 1.97, 40, "cifar10"))
    assert _tables(runs, results) == 0
    alone = [line for line in (results / "cifar10" / "summary.md").read_text().splitlines()
             if baseline.name in line]
    fake_seeds(runs, SEED_TOP1)
    assert _tables(runs, results) == 0
    table = pd.read_csv(results / "cifar10" / "summary.csv")
    single = table[table["run_id"] == baseline.name].iloc[0]
    assert (single["n_seeds"], single["run_ids"], single["top1_err_pct_centre"]) == (1, baseline.name, 22.37)
    assert pd.isna(single["top1_err_pct_centre_std"])
    beside = [line for line in (results / "cifar10" / "summary.md").read_text().splitlines()
              if baseline.name in line]
    assert beside == alone
    assert alone[0].startswith("| Dense SIFT + Fisher vectors + linear SVM (plain) | 22.37 | 1.97 |")


@pytest.mark.parametrize("other_is_newer", [True, False])
def test_a_run_of_another_config_of_the_model_is_not_averaged_in(tmp_path, other_is_newer):
    runs, results = tmp_path / "runs", tmp_path / "results"
    seeds = fake_seeds(runs, SEED_TOP1, first_stamp=2)
    stamp = "20250301T000000Z" if other_is_newer else "20250101T000000Z"
    other = make_run(runs, stamp, cnn_config("cifar10", "cifar_alexnet", num_classes=10, seed=0, epochs=9),
                     cnn_eval(30.0, 3.0, 40, "cifar10", "cifar_alexnet"))
    assert _tables(runs, results) == 0
    table = pd.read_csv(results / "cifar10" / "summary.csv")
    assert len(table) == 1
    copies = sorted(p.name for p in (results / "cifar10" / "records").iterdir())
    if other_is_newer:  # the newest run's recipe is cited, as a single run replaced another before
        assert list(table.columns) == list(tables.SUMMARY_COLUMNS)
        assert (table["run_id"].iloc[0], table["top1_err_pct_centre"].iloc[0]) == (other.name, 30.0)
        assert copies == [other.name]
    else:
        assert table["run_ids"].iloc[0].split() == [s.name for s in seeds]
        assert table["top1_err_pct_centre"].iloc[0] == pytest.approx(statistics.mean(SEED_TOP1))
        assert copies == sorted(s.name for s in seeds)


def test_a_rerun_of_one_seed_replaces_that_seed_only(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    seeds = fake_seeds(runs, SEED_TOP1)
    again = make_run(runs, "20250301T000000Z", json.loads((seeds[1] / "config.json").read_text()),
                     cnn_eval(15.5, 1.5, 40, "cifar10", "cifar_alexnet"))
    group = runs_module.cite_groups(runs, results)["cifar10"][0]
    assert [r.run_id for r in group] == [seeds[0].name, again.name, seeds[2].name]


def test_a_config_without_a_seed_is_not_another_seed_of_a_seeded_one():
    base = cnn_config("cifar10")
    assert runs_module.recipe_key({**base, "seed": 1}) == runs_module.recipe_key({**base, "seed": 2})
    assert runs_module.recipe_key(base) != runs_module.recipe_key({**base, "seed": 1})
    assert runs_module.recipe_key({**base, "seed": 1}) != runs_module.recipe_key({**base, "seed": 1, "lr": 0.1})


def test_explicit_run_ids_of_one_recipe_are_averaged_and_of_two_refused(tmp_path, capsys):
    runs, results = tmp_path / "runs", tmp_path / "results"
    seeds = fake_seeds(runs, SEED_TOP1)
    fake_seeds(runs, [40.0, 41.0], first_stamp=5, epochs=2)  # newer, another recipe
    assert _tables(runs, results, "--run-ids", seeds[0].name, seeds[2].name) == 0
    row = pd.read_csv(results / "cifar10" / "summary.csv").iloc[0]
    assert row["run_ids"].split() == [seeds[0].name, seeds[2].name]
    assert row["top1_err_pct_centre"] == pytest.approx(statistics.mean([SEED_TOP1[0], SEED_TOP1[2]]))
    other = sorted(p.name for p in runs.iterdir())[-1]
    assert _tables(runs, results, "--run-ids", seeds[0].name, other) == 2
    assert "differ in more than their seed" in capsys.readouterr().err


def _ensemble(runs, members, definition, stamp="20250401T000000Z"):
    return make_run(runs, stamp, ensemble_config(definition), ensemble_eval(13.0, 0.5, [m.name for m in members]))


def test_an_ensemble_of_seeds_says_so_and_its_members_are_copied(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    seeds = fake_seeds(runs, SEED_TOP1)
    ensemble = _ensemble(runs, seeds, [["cifar10_convnet.py", [f"seed={i}"]] for i in range(3)])
    assert _tables(runs, results) == 0
    table = pd.read_csv(results / "cifar10" / "summary.csv").set_index("model")
    row = table.loc["cifar_alexnet_ensemble"]
    assert (row["n_members"], row["members_same_recipe"], row["run_id"]) == (3, True, ensemble.name)
    assert row["member_run_ids"].split() == [s.name for s in seeds] and pd.isna(row["members_missing"])
    assert pd.isna(table.loc["cifar_alexnet", "n_members"])
    copies = sorted(p.name for p in (results / "cifar10" / "records").iterdir())
    assert copies == sorted([ensemble.name, *(s.name for s in seeds)])
    markdown = (results / "cifar10" / "summary.md").read_text()
    assert ("| Small-image AlexNet, ensemble (CIFAR): 3 members, the same recipe with different seeds | 13.00 |"
            in markdown)


def test_an_ensemble_of_different_recipes_and_missing_member_records_says_so(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    first = fake_seeds(runs, [14.0])[0]
    second = make_run(runs, "20250110T000000Z", cnn_config("cifar10", "cifar_alexnet", num_classes=10, seed=0,
                                                           image_size=28),
                      cnn_eval(15.0, 1.5, 40, "cifar10", "cifar_alexnet"))
    gone = make_run(tmp_path / "elsewhere", "20250111T000000Z", cnn_config("cifar10", "cifar_alexnet",
                                                                           num_classes=10, seed=0, epochs=2),
                    cnn_eval(16.0, 1.6, 40, "cifar10", "cifar_alexnet"))
    ensemble = _ensemble(runs, [first, second, gone], [["cifar10_convnet.py", []],
                                                       ["cifar10_convnet.py", ["image_size=28"]],
                                                       ["cifar10_convnet.py", ["epochs=2"]]])
    assert tables.generate(runs, results, run_ids=[first.name, ensemble.name])
    row = pd.read_csv(results / "cifar10" / "summary.csv").set_index("model").loc["cifar_alexnet_ensemble"]
    assert (row["n_members"], row["members_same_recipe"], row["members_missing"]) == (3, False, gone.name)
    copies = sorted(p.name for p in (results / "cifar10" / "records").iterdir())
    assert copies == sorted([first.name, second.name, ensemble.name])  # every member at hand is copied
    markdown = (results / "cifar10" / "summary.md").read_text()
    assert "ensemble (CIFAR): 3 members, different recipes (records of 1 member missing) |" in markdown


def test_with_every_member_at_hand_their_configs_decide_not_the_definition(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    same = fake_seeds(runs, [14.0, 15.0])
    other = make_run(runs, "20250110T000000Z", cnn_config("cifar10", "cifar_alexnet", num_classes=10, seed=1,
                                                          image_size=28),
                     cnn_eval(15.0, 1.5, 40, "cifar10", "cifar_alexnet"))
    # The definitions say the opposite of the records: overrides that spell out a default, and
    # members whose resolved configs differ in more than seed.
    looks_different = _ensemble(runs, same, [["cifar10_convnet.py", []], ["cifar10_convnet.py", ["seed=1", "pad=4"]]])
    looks_same = _ensemble(runs, [same[0], other], [["cifar10_convnet.py", ["seed=0"]],
                                                    ["cifar10_convnet.py", ["seed=1"]]], "20250402T000000Z")
    found = runs_module.discover(runs, results)
    assert tables.ensemble_columns(found[looks_different.name], found)["members_same_recipe"] is True
    assert tables.ensemble_columns(found[looks_same.name], found)["members_same_recipe"] is False
    # Without the member records the definition is all there is.
    alone = {looks_same.name: found[looks_same.name]}
    assert tables.ensemble_columns(found[looks_same.name], alone)["members_same_recipe"] is True
    assert tables.ensemble_columns(found[looks_same.name], alone)["members_missing"].split() == [same[0].name,
                                                                                                  other.name]


def test_the_summary_says_how_each_baseline_chose_its_penalty():
    """Issue 24: a Fisher-vector row whose C sat at an edge or was not chosen (a tie) says so."""
    from reporting.tables import penalty_sentence
    frame = pd.DataFrame({"kind": ["cnn", "handcrafted", "handcrafted"], "name": ["CNN", "FV 2012", "FV plain"],
                          "svm_choice": ["", "interior", "edge tie"]})
    assert penalty_sentence(frame) == (
        "Penalty C of the SVMs, chosen on held-out training images: FV 2012: chosen inside its grid; "
        "FV plain: chosen at an edge of its grid (the optimum may lie beyond it), not determined (every "
        "candidate tied on the held-out images).\n")
    assert penalty_sentence(frame[frame["kind"] == "cnn"]) == ""
