"""scripts.bench: every suite's rows in one table."""

from scripts import bench


def test_rows_of_every_suite_become_one_table():
    table = bench.combine({
        "input": [{"benchmark": "input train", "images": 64, "threads": 1, "images_per_s": 410.5,
                   "images_per_s_per_core": 400.1, "note": ""}],
        "train": [{"arch": "alexnet2012", "precision": "mixed_bfloat16", "input": "synthetic", "batch": 128,
                   "images_per_s": 150.0, "ms_per_step": 853.3, "vs_synthetic": None}],
    })
    assert table.columns.tolist() == ["suite", "benchmark", "images_per_s", "details"]
    assert table["benchmark"].tolist() == ["train", "alexnet2012 mixed_bfloat16 synthetic"]
    assert table["details"].tolist() == ["images=64, threads=1, images_per_s_per_core=400.1",
                                         "batch=128, ms_per_step=853.3"]


def test_a_suite_not_written_yet_is_skipped_and_quick_passes_only_known_arguments(monkeypatch):
    assert bench.run_suite("scripts.no_such_bench", quick=True) is None
    seen = {}

    def fake_bench(n_images=2000, steps=8):
        seen.update(n_images=n_images, steps=steps)
        return []

    monkeypatch.setattr(bench.importlib, "import_module", lambda name: type("M", (), {"bench": fake_bench}))
    assert bench.run_suite("scripts.fake", quick=True) == []
    assert seen == {"n_images": bench.QUICK["n_images"], "steps": bench.QUICK["steps"]}
