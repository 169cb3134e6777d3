"""The per-scale driver: what it refuses, and that it reuses finished runs."""

from pathlib import Path

from alexnet import run_folder
from drivers import reproduce


def test_imagenet_without_archives_names_what_it_needs(tmp_path, monkeypatch, capsys, runs_dir):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert reproduce.main(["imagenet2012"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "ILSVRC2012_img_val.tar" in err[0] and "alexnet.data.imagenet prepare" in err[0]
    assert not runs_dir.exists() or not any(runs_dir.iterdir())  # nothing started


def test_a_finished_run_is_reused_not_repeated(runs_dir):
    config = {"experiment": "fv_demo", "seed": 1}
    run_dir = run_folder.new_run_dir("fv_demo", config)
    run_folder.mark_done(run_dir)
    calls = []
    assert run_folder.find_or_run(config, calls.append, "baseline") == run_dir
    assert calls == []
    other = {"experiment": "fv_demo", "seed": 2}
    run_folder.find_or_run(other, lambda c: calls.append(c) or Path("new"), "baseline")
    assert calls == [other]


def test_unknown_override_is_one_line(capsys, runs_dir):
    assert reproduce.main(["cifar10", "learning_rate=0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "learning_rate" in err and "\n" not in err


def test_overrides_reach_the_model_whose_config_has_the_key():
    cnn, fv = reproduce.split_overrides(["epochs=3", "--gmm_components", "64", "seed=1", "fv.holdout_fraction=0.2",
                                         "cnn.holdout_fraction=0.05"])
    assert cnn == ["epochs=3", "seed=1", "holdout_fraction=0.05"]
    assert fv == ["gmm_components=64", "seed=1", "holdout_fraction=0.2"]


def test_missing_vlfeat_and_data_stop_the_driver_before_any_training(tmp_path, monkeypatch, capsys, runs_dir):
    from baselines import descriptors
    monkeypatch.setattr(descriptors, "dsift", None)          # a machine without VLFeat
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "nothing"))
    assert reproduce.main(["cifar10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot start (2 missing, nothing was run): (1) ") and "\n" not in err
    assert " | (2) " in err
    assert "cifar10" in err and "VLFeat" in err                 # the data, and VLFeat, in one line
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_preflight_names_vlfeat_when_the_data_is_there(data_dir, monkeypatch, runs_dir):
    from baselines import descriptors
    from drivers import preflight
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    cnn, fvs = reproduce.scale_configs("cifar10", [])
    stages = [preflight.Stage("cnn", cnn), *(preflight.Stage("fv", fv) for fv in fvs)]
    assert preflight.problems(stages) == []
    monkeypatch.setattr(descriptors, "dsift", None)
    assert preflight.problems(stages) == [descriptors.VLFEAT_MISSING]     # once, for both baselines


def test_preflight_counts_the_vector_cache_against_free_disk(data_dir, tmp_path, monkeypatch, runs_dir):
    import shutil
    from drivers import preflight
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    _, (fv, plain) = reproduce.scale_configs("cifar10", [f"fv.cache_dir={tmp_path / 'fisher'}"])
    # SIFT + colour, each 2 x K=256 x 64 dimensions, float16; 50,000 train + 10,000 test images.
    assert preflight.fv_cache_bytes(fv, 60_000) == 60_000 * 2 * (2 * 256 * 64) * 2
    assert preflight.fv_cache_bytes(plain, 60_000) == 60_000 * (2 * 256 * 64) * 2
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12 - 10**9, 10**9))
    message = [p for p in preflight.problems([preflight.Stage("fv", fv)]) if "GB free" in p]
    assert message == [f"fv_cifar10 need about {60_000 * 131_072 * 1.1 / 1e9:.1f} GB free for their Fisher-vector "
                       f"caches in {tmp_path / 'fisher'} (FV_CACHE_DIR), 1.0 GB are free"]
    # A data-scaling cell caches its own subset (1% of 50,000 here) and the 10,000 test images,
    # and the stages' needs add up.
    cell = dict(fv, train_fraction=0.01, encoder_fit="cell", experiment="fv_cell")
    (both,) = [p for p in preflight.problems([preflight.Stage("fv", fv), preflight.Stage("fv", cell)])
               if "GB free" in p]
    assert both.startswith(f"fv_cifar10, fv_cell need about {(60_000 + 10_500) * 131_072 * 1.1 / 1e9:.1f} GB")


def _fake_stages(runs_dir, monkeypatch):
    """Fake CNN and baseline runners (records with made-up numbers), a preflight that
    notes the stages it was asked about, and figures that note the runs they cite."""
    from alexnet import train
    from baselines import run as baseline
    from reporting import figures
    from tests.reporting_fakes import baseline_eval, cnn_eval, make_run

    seen = {"trained": [], "checked": [], "figures": []}

    def fake_train(config):
        seen["trained"].append(config)
        return make_run(runs_dir, "20260102T000000Z", config, cnn_eval(20.0, 5.0, 40, "cifar10", config["arch"]))

    def fake_baseline(config):
        seen["trained"].append(config)
        return make_run(runs_dir, f"2026010{len(seen['trained'])}T000000Z", config,
                        baseline_eval(40.0, 15.0, 40, "cifar10"))

    monkeypatch.setattr(train, "run", fake_train)
    monkeypatch.setattr(baseline, "run", fake_baseline)
    monkeypatch.setattr(reproduce.preflight, "check", lambda stages: seen["checked"].extend(stages))

    def fake_figures(runs, results, run_ids, scales):
        seen["figures"].extend(run_ids)
        return []

    monkeypatch.setattr(figures, "generate", fake_figures)
    return seen


def _commit_baselines(results_dir) -> list[str]:
    """Committed records (results/cifar10/records/) of both cifar10 baselines' exact configs; their run ids."""
    from tests.reporting_fakes import baseline_eval, make_run
    _, fvs = reproduce.scale_configs("cifar10", [])
    return [make_run(results_dir / "cifar10" / "records", f"2026010{i + 1}T000000Z", fv,
                     baseline_eval(45.0 + i, 16.0, 40, "cifar10"), done=False).name for i, fv in enumerate(fvs)]


def _cited(results_dir) -> list[str]:
    import pandas as pd
    return sorted(pd.read_csv(results_dir / "cifar10" / "summary.csv")["run_id"])


def test_reuse_committed_skips_the_committed_baselines_and_the_table_cites_them(runs_dir, tmp_path, monkeypatch,
                                                                                capsys):
    """A new machine has no runs/, only the records committed under results/: only the CNN trains."""
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "results"))
    seen = _fake_stages(runs_dir, monkeypatch)
    committed = _commit_baselines(tmp_path / "results")
    assert reproduce.main(["cifar10", "--reuse-committed"]) == 0
    cnn, _ = reproduce.scale_configs("cifar10", [])
    assert seen["trained"] == [cnn]
    assert [(s.kind, s.config) for s in seen["checked"]] == [("cnn", cnn)]  # no VLFeat or disk for skipped stages
    out = capsys.readouterr().out
    assert f"baseline already done: {committed[0]} (committed record)" in out
    assert f"plain baseline already done: {committed[1]} (committed record)" in out
    (cnn_run,) = [p.name for p in runs_dir.iterdir()]
    assert _cited(tmp_path / "results") == sorted([cnn_run, *committed])
    assert sorted(seen["figures"]) == sorted([cnn_run, *committed])


def test_without_reuse_committed_every_stage_runs(runs_dir, tmp_path, monkeypatch):
    """Off by default: a clean clone reproduces everything, committed records or not."""
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "results"))
    seen = _fake_stages(runs_dir, monkeypatch)
    committed = _commit_baselines(tmp_path / "results")
    assert reproduce.main(["cifar10"]) == 0
    cnn, fvs = reproduce.scale_configs("cifar10", [])
    assert seen["trained"] == [cnn, *fvs]
    assert [s.kind for s in seen["checked"]] == ["cnn", "fv", "fv"]
    new = sorted(p.name for p in runs_dir.iterdir())
    assert len(new) == 3 and not set(new) & set(committed)
    assert _cited(tmp_path / "results") == new


def test_seeds_train_both_models_once_per_seed_and_the_plain_baseline_once():
    stages = reproduce.plan("cifar10", ["epochs=3"], seeds=3)
    assert [(kind, what) for kind, what, _, _ in stages] == [
        ("cnn", "CNN training, seed 0"), ("fv", "baseline, seed 0"), ("fv", "plain baseline"),
        ("cnn", "CNN training, seed 1"), ("fv", "baseline, seed 1"),
        ("cnn", "CNN training, seed 2"), ("fv", "baseline, seed 2")]
    configs = [config for *_, config in stages]
    assert [c["seed"] for c in configs] == [0, 0, 0, 1, 1, 2, 2]
    assert [c["epochs"] for c in configs if "arch" in c] == [3, 3, 3]  # the overrides reach every seed
    # Seed 0 is the single-seed run itself, so `--seeds 3` reuses a finished `--seeds 1` run.
    assert configs[:3] == [config for *_, config in reproduce.plan("cifar10", ["epochs=3"])]
    # Apart from the seed, every seed's config is the same recipe.
    assert {**configs[3], "seed": 0} == configs[0] and {**configs[6], "seed": 0} == configs[1]


def test_seeds_and_a_seed_override_together_are_one_line(capsys, runs_dir):
    assert reproduce.main(["cifar10", "--seeds", "3", "fv.seed=4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: give either --seeds N (seeds 0 to N-1) or a seed= override, not both"
    assert reproduce.main(["cifar10", "--seeds", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --seeds must be 1 or more, got 0"


def test_the_cifar10_ensemble_is_the_three_seeds_of_the_headline_recipe():
    """The paper's ensembles: one recipe, different seeds; here the very runs `--seeds 3` averages."""
    from alexnet import ensemble
    from alexnet.config import EXPERIMENTS_DIR, load_config
    members = ensemble.member_configs(ensemble.validate(load_config(EXPERIMENTS_DIR / "cifar10_ensemble.py")))
    cnns = [config for kind, *_, config in reproduce.plan("cifar10", [], seeds=3) if kind == "cnn"]
    assert members == cnns
