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


def test_out_writes_the_printed_table_and_its_csv(monkeypatch, tmp_path, capsys):
    rows = {"scripts.bench_input": [{"benchmark": "input train", "images_per_s": 410.5, "threads": 1}],
            "scripts.bench_train": [{"arch": "alexnet64", "precision": "float32", "input": "synthetic",
                                     "images_per_s": 99.5, "share_of_peak": 0.41}]}
    monkeypatch.setattr(bench, "run_suite", lambda name, quick: rows.get(name))
    out = tmp_path / "bench" / "2026-12-06-epyc"
    assert bench.main(["--out", str(out)]) == 0
    printed = capsys.readouterr().out
    text = out.with_suffix(".txt").read_text()
    assert text.startswith(f"python -m scripts.bench --out {out}\n\n")
    assert text.removeprefix(f"python -m scripts.bench --out {out}\n\n") in printed  # as printed
    assert "alexnet64 float32 synthetic" in text and "not yet written: scripts.bench_baseline" in text
    csv = out.with_suffix(".csv").read_text().splitlines()
    assert csv[0] == "suite,benchmark,images_per_s,details"
    assert csv[1:] == ["input,train,410.5,threads=1", "train,alexnet64 float32 synthetic,99.5,share_of_peak=0.41"]


def test_evaluation_is_timed_at_the_experiments_eval_batch_and_compared_per_image(monkeypatch):
    from scripts import bench_train
    monkeypatch.setattr(bench_train, "peak_gflops", lambda precision: 100.0)
    rows = bench_train.bench("cifar_convnet", precisions=("float32",), input_kinds=("synthetic",),
                             batch_size=16, steps=1, warmup=1, rounds=1)
    train, evaluation = (next(r for r in rows if r["input"] == kind) for kind in ("synthetic", "evaluation, synthetic"))
    assert (train["batch"], evaluation["batch"]) == (16, 500)  # cifar10_convnet.py: eval_batch_size=500
    ratio = float(evaluation["vs"].removesuffix("x training"))
    assert abs(ratio - evaluation["images_per_s"] / train["images_per_s"]) < 0.02 * ratio + 0.01
