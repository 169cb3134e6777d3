"""reporting.figures, plots, predictions and inspection helpers, on fake records (no training)."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

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


def _drawn_confusion(monkeypatch, records, out):
    """The panel titles and the figure title record_figures gives plots.confusion."""
    drawn = {}

    def confusion(matrices, families=None, title=""):
        drawn.update(panels=[t for t, _ in matrices], families=families, title=title)
        return plots.Figure()
    monkeypatch.setattr(plots, "confusion", confusion)
    monkeypatch.setattr(plots, "per_class", lambda errors, families=None, title="": plots.Figure())
    figures.record_figures(records, out)
    return drawn


def test_confusion_titles_name_the_crops_the_table_column_used(scale, monkeypatch):
    runs, _, made = scale
    drawn = _drawn_confusion(monkeypatch, [read_record(made["cnn"]), read_record(made["baseline"])],
                             runs.parent / "out")
    # The CNN's saved predictions are its 10-crop softmax, the baseline scores the whole image: each
    # panel names its crops and the table's error for them (two decimals), the CNN's centre crop beside.
    assert drawn["panels"] == ["AlexNet 2012 (two towers): 10-crop, top-1 error 29.98% (centre crop: 31.23%)",
                               "Dense SIFT + Fisher vectors + linear SVM (plain): centre crop, top-1 error 45.50%"]
    assert drawn["families"] == ["cnn", "handcrafted"]
    assert drawn["title"].startswith("Confusion matrices, imagenette, validation split: CNN 10-crop, "
                                     "hand-crafted centre crop (a record keeps one crop mode's predictions")


def test_confusion_of_centre_crop_predictions_only_says_centre_crop_once(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    made = fake_scale(runs, dataset="cifar10")
    npz = made["cnn"] / "predictions.npz"
    with np.load(npz) as saved:
        data = dict(saved)
    np.savez(npz, **data, crops=np.asarray("centre"))  # a CNN evaluated on the centre crop only
    drawn = _drawn_confusion(monkeypatch, [read_record(made["cnn"]), read_record(made["baseline"])],
                             tmp_path / "out")
    assert drawn["title"] == "Confusion matrices, cifar10, test split: centre crop"
    assert drawn["panels"][0] == "AlexNet 2012 (two towers): centre crop, top-1 error 31.23%"


def test_model_figures_are_skipped_with_a_note_without_checkpoints(scale):
    runs, results, made = scale
    notes = []
    figures.generate(runs, results, model=True, notes=notes)
    assert any(made["cnn"].name in n and "no checkpoints" in n for n in notes)
    assert not list((results / "imagenette" / "figures").glob("conv1_filters_*"))


@pytest.fixture(scope="module")
def models_root(tiny_cifar_run, tmp_path_factory):
    """A models root holding one model folder, exported from the shared tiny CIFAR run."""
    from alexnet import export
    root = tmp_path_factory.mktemp("models")
    export.export_model_folder(tiny_cifar_run[0], root / "tiny", command="test")
    return root


def _without_checkpoints(run_dir, dest, **config_changes):
    """A copy of a run folder as a fresh clone would cite it: no checkpoints; config changed as asked."""
    shutil.copytree(run_dir, dest, ignore=shutil.ignore_patterns("checkpoints", "cache"))
    if config_changes:
        config = json.loads((dest / "config.json").read_text())
        (dest / "config.json").write_text(json.dumps({**config, **config_changes}))
    return read_record(dest)


def test_model_figures_fall_back_to_a_model_folder_of_the_same_config(tiny_cifar_run, models_root, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("FEATURE_CACHE_DIR", str(tmp_path / "feature-cache"))  # never the repository's cache/
    record = _without_checkpoints(tiny_cifar_run[0], tmp_path / "runs" / tiny_cifar_run[0].name)
    notes = []
    written = figures.model_figures([record], tmp_path / "out", max_images=24, notes=notes,
                                    models_root=models_root)
    names = [f"{kind}_{record.model}" for kind in ("conv1_filters", "nearest_neighbours", "layer_patches")]
    assert written == [tmp_path / "out" / f"{n}.{ext}" for n in names for ext in figures.FORMATS]
    assert all(p.stat().st_size > 1000 for p in written)
    assert notes == [f"model figures of {record.run_id} drawn with model folder {(models_root / 'tiny').resolve()} "
                     f"(exported from run {tiny_cifar_run[0].name}), same config"]
    assert not (record.path / "cache").exists()  # the folder's features are cached outside the cited record


def test_model_figures_ignore_a_model_folder_of_another_config(tiny_cifar_run, models_root, tmp_path):
    record = _without_checkpoints(tiny_cifar_run[0], tmp_path / "runs" / tiny_cifar_run[0].name, seed=12345)
    notes = []
    assert figures.model_figures([record], tmp_path / "out", max_images=24, notes=notes,
                                 models_root=models_root) == []
    assert len(notes) == 1 and notes[0].startswith(f"skipped model figures of {record.run_id}: ")
    assert "no checkpoints" in notes[0]
    assert not (tmp_path / "out").exists()


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


def _bar_colours(ax) -> list[str]:
    """The colour of each bar series (container) of an axes, alpha dropped."""
    return [to_hex(c.patches[0].get_facecolor(), keep_alpha=False) for c in ax.containers
            if len(c.patches) and np.isfinite(c.patches[0].get_height())]


def test_a_model_family_has_one_colour_in_every_figure(scale):
    from reporting.tables import summary_frame
    _, _, made = scale
    cnn, baseline = read_record(made["cnn"]), read_record(made["baseline"])
    cnn_colour, handcrafted_colour = plots.FAMILY_COLOURS["cnn"], plots.FAMILY_COLOURS["handcrafted"]
    assert cnn_colour != handcrafted_colour
    # Per-class error, the baseline listed first: the order must not decide a model's colour.
    shown = [(r, predictions.record_confusion(r), predictions.saved_crops(r)) for r in (baseline, cnn)]
    per_class = figures.per_class_figure(shown)
    assert _bar_colours(per_class.axes[0]) == [handcrafted_colour, cnn_colour]
    # The gap figure: top-1 (light) and top-5 bars of the CNN, then of the baseline.
    ours = summary_frame([cnn, baseline]).assign(scale="imagenette", name=["CNN", "FV"])
    gap = plots.gap(ours, pd.DataFrame(columns=["year", "kind", "model", "role", "top5_err_pct"]))
    assert _bar_colours(gap.axes[0]) == [cnn_colour] * 2 + [handcrafted_colour] * 2
    # The learning curves draw the CNN's held-out error in its family's colour too.
    curves = plots.learning_curves([("run", cnn.metrics())], [plots.family(cnn.kind, cnn.model)])
    held_out = next(line for line in curves.axes[0].get_lines() if line.get_label() == "held-out top-1")
    assert to_hex(held_out.get_color()) == cnn_colour
    # reporting.scaling_presentation and reporting.classes colour by KIND_COLOURS: the same colours.
    assert plots.KIND_COLOURS == {"cnn": cnn_colour, "handcrafted": handcrafted_colour}
    # An ensemble of CNNs: a shade of the CNN's colour, not a colour of its own.
    ensemble = plots.family_colour("cnn", "cifar_alexnet_ensemble")
    assert ensemble not in (cnn_colour, handcrafted_colour)
    assert ensemble == plots.shade(cnn_colour, -0.45)


def test_learning_curves_have_error_loss_and_learning_rate_panels(scale):
    _, _, made = scale
    metrics = read_record(made["cnn"]).metrics()
    fig = plots.learning_curves([("run a", metrics), ("run b", metrics)])
    assert len(fig.axes) == 6  # one row of three panels per run
    error, loss, lr = fig.axes[:3]
    assert [ax.get_ylabel() for ax in (error, loss, lr)] == ["error (%)", "loss (cross-entropy)", "learning rate"]
    lines = {line.get_label(): line for line in loss.get_lines()}
    assert np.allclose(lines["train loss"].get_ydata(), metrics["train_loss"])
    assert np.allclose(lines["held-out loss"].get_ydata(), metrics["heldout_loss"])
    assert np.allclose(lr.get_lines()[0].get_ydata(), metrics["lr"])
    assert lr.get_yscale() == "log"  # a step schedule (/10 at epoch 4)


def test_learning_curves_mark_where_the_held_out_loss_was_lowest(scale):
    _, _, made = scale
    metrics = read_record(made["cnn"]).metrics()
    metrics["heldout_loss"] = [2.0, 1.5, 1.2, 1.4, 1.7]  # overfitting from epoch 4
    loss = plots.learning_curves([("run", metrics)]).axes[1]
    lowest = next(line for line in loss.get_lines() if line.get_label().startswith("lowest held-out loss"))
    assert lowest.get_label() == "lowest held-out loss (epoch 3)" and list(lowest.get_ydata()) == [1.2]


def test_gap_names_the_split_each_scale_reports_and_prints_two_decimals():
    ours = pd.DataFrame({"scale": ["cifar10", "cifar10", "imagenette"], "name": ["CNN", "FV", "CNN"],
                         "model": ["cifar_alexnet", "dsift_fv_svm", "alexnet2012"],
                         "kind": ["cnn", "handcrafted", "cnn"],
                         "top1_err_pct_centre": [14.949999999999996, 25.549999999999994, 19.41],
                         "top5_err_pct_centre": [0.79, 2.88, 2.19]})
    fig = plots.gap(ours, pd.DataFrame(columns=["year", "kind", "model", "role", "top5_err_pct"]))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "cifar10\n(test split)" in texts and "imagenette\n(validation split)" in texts
    assert {"14.95", "25.55", "19.41"} <= set(texts)  # as the tables print them, not 14.9 / 25.5
    assert "validation" not in fig.axes[0].get_ylabel()
    assert plots.split_name("cifar10") == "test" and plots.split_name("tiny_imagenet") == "validation"
