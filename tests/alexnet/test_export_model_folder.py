"""`python -m alexnet.export RUN DEST --model-folder`: a folder to commit that predicts as its run."""

import contextlib
import io
import os

import numpy as np
import pytest

from alexnet import export, predict, records
from tests.conftest import CLASSES


@pytest.fixture(scope="module")
def run(tiny_cifar_run):
    """The shared tiny CIFAR run (tests/conftest.py)."""
    return tiny_cifar_run


@pytest.fixture(scope="module")
def folders(run, tmp_path_factory):
    """The run exported by the command line (weights chosen by itself) and in float32."""
    run_dir, _ = run
    out = tmp_path_factory.mktemp("models")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert export.main([str(run_dir), str(out / "cifar"), "--model-folder"]) == 0
    float32 = out / "cifar-float32"
    export.export_model_folder(run_dir, float32, weights="float32", command="test")
    return out / "cifar", float32, printed.getvalue()


def _images(val, n=3):
    return [p for name in CLASSES for p in sorted((val / name).iterdir())[:n]]


@pytest.mark.parametrize("which", ["auto", "float32"])
def test_a_model_folder_predicts_as_its_run(run, folders, which):
    run_dir, val = run
    model_dir = folders[0] if which == "auto" else folders[1]
    from_run, from_folder = predict.Predictor(run_dir), predict.Predictor(model_dir)
    assert (from_run.kind, from_folder.kind) == ("run", "model")
    assert from_folder.labels == from_run.labels == list(CLASSES)
    for path in _images(val):
        for ten_crop in (False, True):
            a, b = from_run.predict(path, 3, ten_crop), from_folder.predict(path, 3, ten_crop)
            assert [label for label, _, _ in b.top] == [label for label, _, _ in a.top], path
            np.testing.assert_allclose([p for *_, p in b.top], [p for *_, p in a.top], atol=1e-4)


def test_the_command_line_prints_the_same_for_both(run, folders, capsys):
    run_dir, val = run
    images = [str(p) for p in _images(val, 2)]
    assert predict.main([str(run_dir), *images, "--ten-crop"]) == 0
    from_run = capsys.readouterr().out
    assert predict.main([str(folders[0]), *images, "--ten-crop"]) == 0
    assert capsys.readouterr().out == from_run and from_run.count("\n") == len(images) * 4


def test_the_folder_holds_exactly_its_files_and_provenance(run, folders):
    run_dir, _ = run
    model_dir, float32, printed = folders
    assert sorted(os.listdir(model_dir)) == sorted(predict.MODEL_FOLDER_FILES)
    assert sorted(os.listdir(model_dir.parent)) == ["cifar", "cifar-float32"]  # no partial folder left
    for name in ("config.json", "preprocessing.json"):
        assert records.read_json(model_dir / name) == records.read_json(run_dir / name), name
    assert records.read_json(model_dir / "class_names.json") == {"labels": list(CLASSES), "names": list(CLASSES)}
    info = records.read_json(model_dir / "model.json")
    evaluation = records.read_json(run_dir / "eval.json")
    assert info["source_run"] == run_dir.name and info["checkpoint"].startswith("ckpt-")
    assert info["params"] == evaluation["params"] == 2_165_635  # cifar_alexnet with 3 classes: 2,167,434 - 7 x 257
    for crops in ("centre", "ten_crop"):
        assert info["eval"][crops] == {k: evaluation[crops][k] for k in ("top1_err_pct", "top5_err_pct")}
    w = info["weights"]
    # mixed_bfloat16 computes in bfloat16 anyway: the bfloat16 file changes nothing and is half the size.
    assert w["dtype"] == "bfloat16" and w["max_probability_change"]["bfloat16"] <= 1e-4
    assert w["file_bytes"] == (model_dir / "model.keras").stat().st_size == w["file_bytes_bfloat16"]
    assert w["file_bytes_bfloat16"] < 0.55 * w["file_bytes_float32"]
    assert (float32 / "model.keras").stat().st_size == w["file_bytes_float32"]
    assert records.read_json(float32 / "model.json")["weights"]["dtype"] == "float32"
    assert info["command"] == f"python -m alexnet.export {run_dir} {model_dir} --model-folder"
    assert printed.startswith(f"wrote {model_dir / 'model.keras'} (2,165,635 parameters, bfloat16 weights: 4.4 MB; "
                              "float32 would be 8.7 MB; bfloat16 changes a probability by at most 0)\n")


def test_an_existing_destination_is_refused_in_one_line(run, folders, capsys):
    run_dir, _ = run
    model_dir = folders[0]
    before = {p.name: p.stat().st_mtime_ns for p in model_dir.iterdir()}
    assert export.main([str(run_dir), str(model_dir), "--model-folder"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (f"error: {model_dir} already exists; a model folder is never overwritten: "
                                 "choose a new folder\n")
    assert {p.name: p.stat().st_mtime_ns for p in model_dir.iterdir()} == before
    assert export.main([str(model_dir), str(model_dir.parent / "again"), "--model-folder"]) == 2
    assert capsys.readouterr().err == f"error: {model_dir} is already a model folder; copy it instead\n"


def test_a_folder_that_is_neither_gets_one_line(run, tmp_path, capsys):
    _, val = run
    folder = tmp_path / "random"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    image = str(_images(val, 1)[0])
    expected = (f"error: {folder} is neither a run folder (config.json, checkpoints/) nor a model folder "
                "(model.json, model.keras: python -m alexnet.export RUN DEST --model-folder)\n")
    assert predict.main([str(folder), image]) == 2
    assert capsys.readouterr().err == expected
    assert export.main([str(folder), str(tmp_path / "out"), "--model-folder"]) == 2
    assert capsys.readouterr().err == expected and not (tmp_path / "out").exists()


def test_a_model_folder_exports_a_saved_model(run, folders, tmp_path):
    """The SavedModel export accepts a model folder too, and serves what the folder predicts."""
    import tensorflow as tf

    _, val = run
    paths = export.export(folders[0], tmp_path / "exported")
    files = _images(val, 1)
    predictor = predict.Predictor(folders[0])
    expected = np.concatenate([np.asarray(predictor.model(predictor.crops(f.read_bytes()), training=False))
                               for f in files])
    serving = tf.saved_model.load(str(paths["saved_model"])).signatures["serving_default"]
    out = serving(images=tf.constant([f.read_bytes() for f in files]))
    np.testing.assert_allclose(out["logits"].numpy(), expected, atol=2e-2)


def test_a_float32_network_in_bfloat16_changes_its_probabilities_a_little():
    """What --weights auto weighs for a network trained in float32: its bfloat16 copy keeps
    float32 logits and predicts close to, not exactly as, the original."""
    import keras

    from alexnet import model as model_lib

    policy = keras.mixed_precision.global_policy()
    try:
        model_lib.set_precision("float32")
        net = model_lib.build_model("cifar_alexnet", 10, 32, init="he")
        copy = export.bfloat16_copy(net)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    assert {w.dtype for w in net.weights} == {"float32"} and {w.dtype for w in copy.weights} == {"bfloat16"}
    assert copy.get_layer("logits").dtype_policy.name == "float32"
    crops = np.random.default_rng(0).normal(size=(16, 32, 32, 3)).astype(np.float32)
    assert copy(crops).dtype == "float32"
    change = np.abs(export._probabilities(copy, crops) - export._probabilities(net, crops)).max()
    assert 0 < change <= export.FIDELITY
