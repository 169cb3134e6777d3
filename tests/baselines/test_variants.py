"""The baseline ablation: variant configs, keeping variants out of the summary tables, its table."""

import shutil

import pandas as pd
import pytest

from alexnet import records
from alexnet.config import EXPERIMENTS_DIR, ConfigError, load_config
from baselines import run as fv_run
from baselines.defaults import fair_svm_settings
from baselines.variants import plain_config, untagged, variant_config
from reporting import ablation
from reporting.runs import RecordError, cite
from tests.reporting_fakes import baseline_config, baseline_eval, fake_scale, make_run

DEFINITION = load_config(EXPERIMENTS_DIR / "baseline_ablation.py")


def test_the_plain_and_the_2012_variants_are_the_tables_encoders_with_the_studys_svm():
    headline = fv_run.validate(load_config(EXPERIMENTS_DIR / "fv_imagenette.py"))
    base = variant_config(DEFINITION, "pyramid_colour")
    # The encoder is the table's; the classifier stage is the one the study's records ran with.
    fair = {*fair_svm_settings(), "study"}
    assert {k: v for k, v in base.items() if k not in fair} == {k: v for k, v in headline.items() if k not in fair}
    assert {k: base.get(k) for k in fair_svm_settings()} == {**dict.fromkeys(fair_svm_settings()), **DEFINITION["svm"]}
    plain = variant_config(DEFINITION, "plain")
    assert untagged(plain) == untagged(plain_config(untagged(base)))
    assert (plain["model"], plain["colour"], plain["spatial_pyramid"]) == ("dsift_fv_svm", False, False)
    # Untagged (so the study reuses the table's run) exactly when it is the table's config.
    assert ("study" in base) == (untagged(base) != headline)
    assert ("study" in plain) == (untagged(plain) != plain_config(headline))


def test_the_studys_records_are_its_variants():
    """Every variant has its committed record: the same config, or the same config before the
    study tagged it (a run that was then also the table's); pinning the SVM reran nothing."""
    from reporting.runs import committed_record
    for name in DEFINITION["variants"]:
        config = variant_config(DEFINITION, name)
        results = records.REPO_ROOT / "results"
        assert committed_record(config, results) or committed_record(untagged(config), results), name


@pytest.mark.parametrize("scale", ["imagenette", "cifar10"])
def test_both_baseline_rows_of_the_tables_are_what_make_reproduce_runs(scale):
    # The per-scale table cites a plain and a 2012-form baseline run; `make reproduce` must
    # rebuild exactly their configs (same hash), or the table would cite runs nobody can redo.
    frame = pd.read_csv(records.REPO_ROOT / "results" / scale / "summary.csv")
    cited = dict(zip(frame["model"], frame["run_id"]))
    headline = fv_run.validate(load_config(EXPERIMENTS_DIR / f"fv_{scale}.py"))
    for config in (headline, plain_config(headline)):
        assert cited[config["model"]].endswith(records.config_hash(config)), config["model"]


@pytest.mark.parametrize("name,changes", [
    ("k64", {"gmm_components": 64}),
    ("pyramid", {"spatial_pyramid": True}),
    ("colour", {"colour": True}),
])
def test_variants_change_only_their_settings_and_carry_the_study_tag(name, changes):
    base = untagged(variant_config(DEFINITION, "plain"))
    config = variant_config(DEFINITION, name)
    differ = {k for k in config if config.get(k) != base.get(k)}
    assert differ == set(changes) | {"study"}
    assert all(config[k] == v for k, v in changes.items()) and config["study"] == "baseline_ablation"
    assert records.config_hash(config) != records.config_hash(base)


def test_study_key_is_optional_but_checked():
    config = variant_config(DEFINITION, "plain")
    assert fv_run.validate({**config, "study": "x"})["study"] == "x"
    with pytest.raises(ConfigError, match="config key 'study' must be a non-empty name, got ''"):
        fv_run.validate({**config, "study": ""})
    with pytest.raises(ConfigError, match="unknown baseline config key.*: studdy"):
        fv_run.validate({**config, "studdy": "x"})


def _variant_run(runs, stamp, top1, top5, **changes):
    config = baseline_config(gmm_components=256, spatial_pyramid=False, colour=False)
    config.update(changes)
    if changes:
        config["study"] = "baseline_ablation"
    result = baseline_eval(top1, top5, n_images=3925)
    result["fv_dim"] = 2 * 64 * config["gmm_components"] * (4 if config["spatial_pyramid"] else 1)
    if config["gmm_components"] == 64:
        result["svm_solver"] = "liblinear"  # the others stand for records from before the solver was recorded
    return make_run(runs, stamp, config, result)


def test_study_runs_never_replace_the_scale_baseline_in_the_summary_tables(tmp_path):
    runs = tmp_path / "runs"
    made = fake_scale(runs)
    _variant_run(runs, "20300101T000000Z", 12.0, 1.0, spatial_pyramid=True)  # the newest baseline run
    cited = cite(runs, tmp_path / "results")
    assert [r.run_id for r in cited["imagenette"]] == [made["cnn"].name, made["baseline"].name]


def test_table_reports_each_variant_against_the_plain_pipeline(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    ids = {"plain": _variant_run(runs, "20250101T000000Z", 17.0, 2.0).name,
           "k64": _variant_run(runs, "20250102T000000Z", 19.5, 2.5, gmm_components=64).name,
           "pyramid": _variant_run(runs, "20250103T000000Z", 15.25, 1.5, spatial_pyramid=True).name}
    ablation.generate(runs, results, ids)
    frame = pd.read_csv(results / "baseline_ablation" / "summary.csv")
    assert list(frame["variant"]) == ["k64", "plain", "pyramid"]  # the definition's order
    assert list(frame["d_top1_pct"]) == pytest.approx([2.5, 0.0, -1.75])
    assert list(frame["d_top5_pct"]) == pytest.approx([0.5, 0.0, -0.5])
    assert list(frame["fv_dim"]) == [8192, 32768, 131072]
    assert list(frame["svm_solver"]) == ["liblinear", "sgd", "sgd"]
    markdown = (results / "baseline_ablation" / "summary.md").read_text()
    assert "| pyramid | K=256 + spatial pyramid" in markdown and "| 15.25 | -1.75 |" in markdown

    # From the committed copies alone, each matched to its variant by its settings.
    before = (results / "baseline_ablation" / "summary.csv").read_text()
    shutil.rmtree(runs)
    assert ablation.main(["--runs-dir", str(runs), "--results-dir", str(results)]) == 0
    assert (results / "baseline_ablation" / "summary.csv").read_text() == before


def test_a_record_matching_no_variant_is_named(tmp_path):
    runs, results = tmp_path / "runs", tmp_path / "results"
    odd = _variant_run(runs, "20250101T000000Z", 17.0, 2.0, gmm_components=128).name
    with pytest.raises(RecordError, match=f"run {odd} matches no variant"):
        ablation.variant_of(cite_one(runs, results, odd), DEFINITION)


def cite_one(runs, results, run_id):
    from reporting.runs import discover
    return discover(runs, results)[run_id]
