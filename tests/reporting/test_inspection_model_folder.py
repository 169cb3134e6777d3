"""Notebook 02 and `reporting.inspection` on a model folder, against the run it was exported from.

The shared tiny CIFAR run (tests/conftest.py) is exported once with
`alexnet.export --model-folder` (weights chosen as for the committed models:
bfloat16 for this mixed_bfloat16 network). Its conv1 filters and fc7 features
must be the run's, the notebook must run on it headlessly, and nothing may be
written inside it (a committed model folder stays as committed).
"""

import json
import shutil
from pathlib import Path

import ml_dtypes
import nbformat
import numpy as np
import pytest

from alexnet import export
from reporting import inspection, notebooks, runs
from reporting.runs import RecordError


@pytest.fixture(scope="module")
def exported(tiny_cifar_run, tmp_path_factory):
    """(run folder, model folder exported from it, in a models root of its own)."""
    run_dir, _ = tiny_cifar_run
    folder = tmp_path_factory.mktemp("models") / "tiny"
    export.export_model_folder(run_dir, folder, command="test")
    return run_dir, folder


@pytest.fixture()
def feature_cache(tmp_path, monkeypatch) -> Path:
    """A private cache for model folders' features (never the repository's cache/)."""
    path = tmp_path / "feature-cache"
    monkeypatch.setenv("FEATURE_CACHE_DIR", str(path))
    return path


def _listing(folder: Path) -> list:
    """Every file and folder inside `folder`, with sizes and modification times."""
    return sorted((str(p.relative_to(folder)), p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def test_filters_and_features_of_a_model_folder_are_its_runs(exported, feature_cache, tmp_path):
    run_dir, folder = exported
    run = runs.read_record(shutil.copytree(run_dir, tmp_path / run_dir.name))  # its fc7 cache goes in the copy
    model = runs.read_model_folder(folder)
    before = _listing(folder)
    assert model.model_folder and not run.model_folder and model.kind == "cnn" and model.scale == run.scale
    run_net, model_net = inspection.load_model(run), inspection.load_model(model)

    run_filters, run_towers = inspection.conv1(run_net)
    model_filters, model_towers = inspection.conv1(model_net)
    dtype = json.loads((folder / "model.json").read_text())["weights"]["dtype"]
    assert dtype == "bfloat16"  # the case worth testing: the folder stores rounded weights
    np.testing.assert_array_equal(model_filters, run_filters.astype(ml_dtypes.bfloat16).astype(np.float32))
    assert model_towers == run_towers and model_filters.shape == run_filters.shape

    run_images = inspection.image_set(run, "train", max_images=24)
    model_images = inspection.image_set(model, "train", max_images=24)
    np.testing.assert_array_equal(model_images.positions, run_images.positions)
    run_fc7 = inspection.features(run, run_net, run_images, "train")
    model_fc7 = inspection.features(model, model_net, model_images, "train")
    assert model_fc7.shape == run_fc7.shape == (24, inspection.describe(model, model_net)["fc7"])
    np.testing.assert_array_equal(model_fc7, run_fc7)
    assert np.abs(run_fc7).max() > 0

    # The model folder's features are cached outside it, and read back from there.
    cached = list(feature_cache.rglob("fc7-train-*.npz"))
    assert len(cached) == 1 and cached[0].parent.name.startswith("tiny-")
    np.testing.assert_array_equal(inspection.features(model, None, model_images, "train"), model_fc7)
    assert _listing(folder) == before


def test_choose_prefers_the_model_folder_asked_for_then_a_run_then_models(exported, tmp_path):
    _, folder = exported
    empty_runs, empty_results = tmp_path / "runs", tmp_path / "results"
    empty_runs.mkdir(), empty_results.mkdir()
    scale = runs.read_model_folder(folder).scale

    asked = inspection.choose(empty_runs, empty_results, model_dir=folder, models_root=tmp_path / "none")
    assert asked.cnn.path == folder and asked.scale == scale and "MODEL_DIR" in asked.note
    default = inspection.choose(empty_runs, empty_results, models_root=folder.parent)
    assert default.cnn.path == folder and "by default" in default.note and "tiny" in default.note
    assert inspection.choose(empty_runs, empty_results, scale="cifar10", models_root=folder.parent) is None
    assert inspection.choose(empty_runs, empty_results, models_root=tmp_path / "none") is None
    with pytest.raises(RecordError, match="not a model folder"):
        inspection.choose(empty_runs, empty_results, model_dir=tmp_path)
    with pytest.raises(RecordError, match="not 'cifar10'"):
        inspection.choose(empty_runs, empty_results, scale="cifar10", model_dir=folder)


def _outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_notebook_runs_on_a_model_folder_by_default_and_writes_nothing_into_it(exported, feature_cache, tmp_path):
    _, folder = exported
    empty_runs, results = tmp_path / "runs", tmp_path / "results"
    empty_runs.mkdir(), results.mkdir()
    before = _listing(folder)
    notes = []
    written = notebooks.generate(empty_runs, results, names=["02_model_inspection"], notes=notes,
                                 models_root=folder.parent)
    assert [p.name for p in written] == ["02_model_inspection.ipynb"] and notes == []
    outputs = _outputs(nbformat.read(written[0], as_version=4))
    assert [o for o in outputs if o.output_type == "error"] == []
    text = json.dumps([o.get("text", "") for o in outputs if o.output_type == "stream"])
    assert "model folder" in text and "by default" in text and "exported from run" in text
    assert "skipped predictions of" in text and "no predictions.npz" in text
    # conv1 filters, nearest neighbours and layer patches: three figures from the model folder.
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    prose = json.dumps([o["data"].get("text/markdown", "") for o in outputs if "data" in o])
    net = inspection.load_model(runs.read_model_folder(folder))
    assert f"{net.count_params():,} parameters" in prose
    assert _listing(folder) == before
    assert list(feature_cache.rglob("fc7-*.npz"))  # the features went to the cache instead
