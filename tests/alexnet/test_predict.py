"""`python -m alexnet.predict` on a run the suite trains: names, probabilities, CSV, bad files."""

import csv
import io

import numpy as np
import pytest

from alexnet import predict, records
from alexnet.class_names import readable
from tests.conftest import CLASSES


@pytest.fixture(scope="module")
def run(tiny_cifar_run):
    """The shared tiny CIFAR run (tests/conftest.py)."""
    return tiny_cifar_run


def test_the_run_records_what_prediction_needs(run):
    run_dir, _ = run
    record = records.read_json(run_dir / "preprocessing.json")
    assert record["resize"] == 32 and record["image_size"] == 32 and record["input_norm"] == "standardise"
    assert len(record["colour_stats"]["mean"]) == 3


def test_predictions_are_the_evaluations_softmax(run):
    """The predictor reproduces the trainer's own evaluation of the same images."""
    run_dir, val = run
    predictor = predict.Predictor(run_dir)
    saved = np.load(run_dir / "predictions.npz")  # centre-crop and ten-crop softmax of val, in order
    for i, rel in enumerate(saved["paths"][:4]):
        path = val.parent / rel
        for ten_crop, key in ((False, "probs"), (True, "ten_crop_probs")):
            p = predictor.predict(path, k=3, ten_crop=ten_crop)
            assert [label for label, _, _ in p.top] == [CLASSES[j] for j in np.argsort(-saved[key][i])[:3]]
            np.testing.assert_allclose(sorted((prob for _, _, prob in p.top), reverse=True),
                                       np.sort(saved[key][i].astype(np.float32))[::-1][:3], atol=2e-3)


def test_command_line_top5_csv_and_a_bad_file(run, tmp_path, capsys):
    run_dir, val = run
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in sorted((val / "ship").iterdir())[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "notes.jpg").write_text("not an image")
    assert predict.main([str(run_dir), str(folder)]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["path", "label_1", "name_1", "prob_1", "label_2", "name_2", "prob_2",
                       "label_3", "name_3", "prob_3"]
    assert len(rows) == 4 and all(r[1] in CLASSES for r in rows[1:])
    assert all(abs(sum(float(r[i]) for i in (3, 6, 9)) - 1.0) < 1e-3 for r in rows[1:])  # 3 classes: all of them
    assert err.strip() == f"warning: {folder / 'notes.jpg'}: not a JPEG/PNG/GIF/BMP image; skipped"
    one = sorted(folder.glob("*.png")) or sorted(p for p in folder.iterdir() if p.name != "notes.jpg")
    assert predict.main([str(run_dir), str(one[0])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(one[0]) and len(lines) == 4 and lines[1].strip().endswith(tuple(CLASSES))


def test_bad_arguments_are_one_line(run, tmp_path, capsys):
    assert predict.main([str(tmp_path), str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"error: {tmp_path} is neither a run folder")
    assert predict.main([str(run[0]), str(tmp_path / "missing.jpg")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'missing.jpg'}: no such file or folder"


def test_imagenette_wnids_have_names():
    assert readable("n01440764") == "tench" and readable("n03888257") == "parachute"
    assert readable("ship") == "ship" and readable("n99999999") == "n99999999"


def test_export_round_trip(run, tmp_path):
    """The SavedModel serves encoded images by itself and agrees with the in-repo network;
    the .keras file reloads the same network."""
    import keras
    import tensorflow as tf

    from alexnet import export

    run_dir, val = run
    paths = export.export(run_dir, tmp_path / "exported")
    files = sorted((val / "cat").iterdir())[:3]
    predictor = predict.Predictor(run_dir)
    crops = np.concatenate([predictor.crops(f.read_bytes()) for f in files])
    expected = np.asarray(predictor.model(crops, training=False), np.float32)
    serving = tf.saved_model.load(str(paths["saved_model"])).signatures["serving_default"]
    out = serving(images=tf.constant([f.read_bytes() for f in files]))
    # The same batch through the same bfloat16 network: equal up to a bfloat16 step or two.
    np.testing.assert_allclose(out["logits"].numpy(), expected, atol=2e-2)
    np.testing.assert_allclose(out["probabilities"].numpy().sum(axis=1), 1.0, atol=1e-4)
    assert out["classes"].shape == (3, 3) and {c.decode() for c in out["classes"].numpy().ravel()} <= set(CLASSES)
    reloaded = keras.saving.load_model(paths["keras"])
    np.testing.assert_array_equal(np.asarray(reloaded(crops), np.float32), expected)
    with pytest.raises(predict.ConfigError, match="already holds an export"):
        export.export(run_dir, tmp_path / "exported")


@pytest.mark.parametrize("arch, size, expected", [
    # (size, jump) per layer; AlexNet's are the textbook values (conv5: 163 px, every 16 px).
    ("alexnet2014", 224, {"conv1": (11, 4), "conv2": (51, 8), "conv3": (99, 16), "conv4": (131, 16),
                          "conv5": (163, 16)}),
    ("alexnet2012", 224, {"conv1": (11, 4), "conv2": (51, 8), "conv5": (163, 16)}),
    ("cifar_alexnet", 32, {"conv1": (5, 1), "conv2": (15, 2), "conv3": (27, 4), "conv5": (43, 4)}),
])
def test_receptive_fields(arch, size, expected):
    from alexnet import model as model_lib
    from reporting.activations import receptive_field

    net = model_lib.build_model(arch, 10, size, init="he")
    for layer, (rf, jump) in expected.items():
        field = receptive_field(net, layer, size)
        assert (field.size, field.jump) == (rf, jump), layer
    first = receptive_field(net, "conv1", size)
    assert first.window(0, 0, size)[:2] == (0, 0)  # clipped at the image's edge


def test_layer_patches_figure_of_a_trained_run(run):
    from reporting import figures, inspection
    from reporting.runs import read_record

    record = read_record(run[0])
    net = inspection.load_model(record)
    fig = figures.layers_figure(record, net, max_images=24, channels=3, k=2)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 5 * 3
    assert {ax.images[0].get_array().shape for ax in shown} == {(48, 96, 3)}
