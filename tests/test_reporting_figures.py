"""reporting.figures, plots, predictions and inspection helpers, on fake records (no training)."""

import shutil

import numpy as np
import pytest

from reporting import figures, inspection, plots, predictions
from reporting.runs import read_record
from tests.reporting_fakes import fake_predictions, fake_scale

RECORD_FIGURES = ("learning_curves", "confusion", "per_class_error")


@pytest.fixture()
def scale(tmp_path):
    runs = tmp_path / "runs"
    return runs, tmp_path / "results", fake_scale(runs)


def _files(results, scale_name="imagenette"):
    out = results / scale_name / "figures"
    return [out / f"{name}.{ext}" for name in RECORD_FIGURES for ext in figures.FORMATS]


def test_record_figures_and_gap_are_written(scale, capsys):
    runs, results, _ = scale
    assert figures.main(["--runs-dir", str(runs), "--results-dir", str(results), "--no-model-figures"]) == 0
    for path in _files(results) + [results / "figures" / "gap.png", results / "figures" / "gap.pdf"]:
        assert path.is_file() and path.stat().st_size > 1000, path
    assert str(results / "figures" / "gap.png") in capsys.readouterr().out


def test_figures_regenerate_from_committed_records_alone(scale):
    from reporting import tables
    runs, results, _ = scale
    assert tables.main(["--runs-dir", str(runs), "--results-dir", str(results)]) == 0
    shutil.rmtree(runs)  # a fresh clone: only results/<scale>/records
    written = figures.generate(runs, results, model=True)
    assert set(_files(results)) <= set(written)  # confusion comes from the committed confusion.csv
    assert all(p.stat().st_size > 1000 for p in written)


def test_confusion_titles_name_the_crops_the_table_column_used(scale, monkeypatch):
    runs, _, made = scale
    drawn = {}
    monkeypatch.setattr(plots, "confusion", lambda matrices: drawn.update(matrices) or plots.Figure())
    monkeypatch.setattr(plots, "per_class", lambda errors: plots.Figure())
    figures.record_figures([read_record(made["cnn"]), read_record(made["baseline"])], runs.parent / "out")
    # The CNN's saved predictions are its 10-crop softmax; the baseline scores the whole image.
    assert sorted(drawn) == ["AlexNet 2012 (two towers), 10-crop",
                             "Dense SIFT + Fisher vectors + linear SVM (plain), centre crop"]


def test_model_figures_are_skipped_with_a_note_without_checkpoints(scale):
    runs, results, made = scale
    notes = []
    figures.generate(runs, results, model=True, notes=notes)
    assert any(made["cnn"].name in n and "no checkpoints" in n for n in notes)
    assert not list((results / "imagenette" / "figures").glob("conv1_filters_*"))


def test_learning_curves_mark_each_learning_rate_drop(scale):
    _, _, made = scale
    metrics = read_record(made["cnn"]).metrics()
    fig = plots.learning_curves([("run", metrics)])
    drops = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == ":"]
    assert len(drops) == 1 and drops[0].get_xdata()[0] == pytest.approx(3.5)  # lr fell from epoch 4


def test_confusion_and_per_class_error_count_the_predictions():
    preds = predictions.Predictions(
        probs=np.eye(3, dtype=np.float32)[[0, 1, 1, 2, 0, 2]], labels=np.array([0, 1, 2, 2, 0, 1]),
        class_names=["a", "b", "c"])
    counts = predictions.confusion(preds)
    assert counts.to_numpy().tolist() == [[2, 0, 0], [0, 1, 1], [0, 1, 1]]
    assert predictions.per_class_error(counts).tolist() == [0.0, 50.0, 50.0]
    confused = predictions.most_confused(counts, 5)
    assert set(zip(confused["true"], confused["predicted"])) == {("b", "c"), ("c", "b")}


def test_disagreements_pair_images_by_path_or_order():
    a = fake_predictions(40, 4, 0.7, 0)
    b = fake_predictions(40, 4, 0.4, 1)
    pa = predictions.Predictions(a["probs"], a["labels"], list(a["class_names"]))
    pb = predictions.Predictions(b["probs"], b["labels"], list(b["class_names"]))
    split = predictions.disagreements(pa, pb)
    assert np.all(pa.correct[split["only_a"]]) and not np.any(pb.correct[split["only_a"]])
    # Paths in another order pair the same images.
    paths = np.asarray([f"img{i}.jpg" for i in range(40)])
    order = np.random.default_rng(0).permutation(40)
    pa.paths = paths
    shuffled = predictions.Predictions(pb.probs[order], pb.labels[order], pb.class_names, paths[order])
    assert np.array_equal(np.sort(predictions.disagreements(pa, shuffled)["only_a"]), np.sort(split["only_a"]))
    pb.labels = pb.labels[::-1].copy()
    assert predictions.disagreements(pa, pb) is None


def test_filter_mosaic_scales_each_filter_and_keeps_towers_apart():
    filters = np.random.default_rng(0).normal(size=(11, 11, 3, 96)).astype(np.float32)
    filters[..., 5] *= 100.0  # one strong filter must not wash out the others
    mosaic = inspection.filter_mosaic(filters[..., :48])
    assert mosaic.shape == (3 * 12 + 1, 16 * 12 + 1, 3)
    tile = mosaic[1:12, 1:12]
    assert tile.min() == 0.0 and tile.max() == 1.0


def test_two_tower_filters_figure_shows_both_towers():
    from alexnet.model import build_model
    net = build_model("alexnet2012", num_classes=4, image_size=67)
    fig = figures.filters_figure(read_record_stub(), net)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["tower 0 (the paper's GPU 1): filters 0-47", "tower 1 (the paper's GPU 2): filters 48-95"]


def read_record_stub():
    class Stub:
        model, kind = "alexnet2012", "cnn"
    return Stub()


def test_nearest_is_euclidean():
    database = np.array([[0.0, 0.0], [10.0, 0.0], [1.0, 1.0]])
    found = inspection.nearest(np.array([[9.0, 0.0], [0.2, 0.1]]), database, 2)
    assert found.tolist() == [[1, 2], [0, 2]]


def test_figures_name_imagenette_classes_not_wnids():
    import numpy as np
    import pandas as pd

    from reporting import plots

    wnids = ["n01440764", "n02102040", "n03888257"]
    counts = pd.DataFrame(np.eye(3, dtype=int) * 5, index=wnids, columns=wnids)
    fig = plots.confusion([("model", counts)])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["tench", "English springer", "parachute"]
    fig = plots.per_class(pd.DataFrame({"model": [10.0, 20.0, 30.0]}, index=wnids))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["tench", "English springer", "parachute"]
