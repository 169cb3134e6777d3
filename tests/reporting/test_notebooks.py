"""The notebooks and the model figures, executed against a real (tiny) trained run.

One session fixture trains a cifar_convnet for two epochs on a generated 3-class
image folder through `alexnet.train.run` (about 20 s on two cores), adds a fake
baseline record with predictions on the same validation images, and generates
the tables, as `make reproduce` would before `make notebooks`. Under xdist the
workers share it; each test writes into its own copy of the results.
"""

import fcntl
import json
import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from alexnet import records
from reporting import figures, notebooks, tables
from reporting.runs import RecordError
from tests.reporting_fakes import (baseline_config, baseline_eval, fake_predictions, make_image_folder,
                                   make_run, train_small_run)


def _shared_dir(tmp_path_factory) -> Path:
    """A folder all pytest-xdist workers of this session share (this session's own without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build(base: Path) -> None:
    data_root = make_image_folder(base / "data" / "tiny")
    runs = base / "runs"
    cnn = train_small_run(runs, data_root)
    with np.load(cnn / "predictions.npz") as cnn_preds:
        labels, names = cnn_preds["labels"], cnn_preds["class_names"]
    preds = fake_predictions(len(labels), len(names), 0.6, seed=5)
    preds.update(labels=labels, class_names=names)
    dataset = f"folder:{data_root}"
    make_run(runs, "20250110T010000Z", baseline_config(dataset), baseline_eval(40.0, 0.0, len(labels), dataset),
             None, preds)
    tables.generate(runs, base / "results")


@pytest.fixture(scope="session")
def small_base(tmp_path_factory) -> Path:
    """Trained once per session, however many xdist workers ask (a file lock serialises them)."""
    base = _shared_dir(tmp_path_factory) / "reporting_small_run"
    base.mkdir(exist_ok=True)
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "ready").exists():
            _build(base)
            (base / "ready").write_text("ok\n")
    return base


@pytest.fixture()
def small(small_base, tmp_path):
    """The shared run and data, with a private copy of the results each test may overwrite."""
    shutil.copytree(small_base / "results", tmp_path / "results")
    runs = small_base / "runs"
    return {"runs": runs, "results": tmp_path / "results", "data": small_base / "data",
            "cnn": next(p for p in runs.iterdir() if "tiny_cifar_convnet" in p.name)}


def test_model_figures_from_a_trained_run(small):
    written = figures.generate(small["runs"], small["results"], data_dir=small["data"], max_images=24)
    out = small["results"] / "folder-tiny" / "figures"
    names = ("conv1_filters_cifar_convnet", "nearest_neighbours_cifar_convnet", "learning_curves", "confusion")
    for name in names:
        for ext in figures.FORMATS:
            assert (out / f"{name}.{ext}") in written and (out / f"{name}.{ext}").stat().st_size > 1000
    cached = {p.name.split("-")[1] for p in (small["cnn"] / "cache").glob("fc7-*.npz")}
    assert cached == {"train", "val"}


def _errors(nb) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


def test_notebooks_execute_against_the_small_run(small):
    # A side study's summary (the committed transfer table) is read by its own section, never as a scale.
    for study in ("transfer", "ablations"):
        (small["results"] / study).mkdir()
        shutil.copy(records.REPO_ROOT / "results" / study / "summary.csv", small["results"] / study / "summary.csv")
    notes = []
    written = notebooks.generate(small["runs"], small["results"], small["data"], notes=notes)
    assert [p.name for p in written] == ["01_results.ipynb", "02_model_inspection.ipynb"] and not notes
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert _errors(nb) == []
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if "image/png" in o.get("data", {})]
        assert len(images) >= (1 if path.name.startswith("01") else 4), path.name
    setup = next(c for c in nbformat.read(written[0], as_version=4).cells if c.cell_type == "code")
    results_text = json.dumps(setup.outputs)
    assert "folder-tiny" in results_text and "transfer" not in results_text and "ablations" not in results_text
    every_output = json.dumps([c.outputs for c in nbformat.read(written[0], as_version=4).cells
                               if c.cell_type == "code"])
    assert "At 100% of Imagenette's training images the" in every_output
    assert "At 10% of Imagenette's training images the" in every_output
    assert "**LRN vs none** (small AlexNet" in every_output     # the design claims' section, one line each


def test_inspection_notebook_is_skipped_without_run_folders_or_model_folders(small, tmp_path):
    notes = []
    # No models root either: the repository's models/ would otherwise be the default.
    written = notebooks.generate(tmp_path / "no-runs", small["results"], names=["02_model_inspection"],
                                 notes=notes, models_root=tmp_path / "no-models")
    assert written == [] and "skipped 02_model_inspection" in notes[0] and "no model folder" in notes[0]


def test_a_model_dir_that_is_no_model_folder_is_one_error(small, tmp_path):
    with pytest.raises(RecordError, match="is not a model folder"):
        notebooks.generate(small["runs"], small["results"], names=["02_model_inspection"],
                           model_dir=small["cnn"])


def test_a_failing_cell_is_reported_in_one_line(tmp_path):
    source = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("raise ValueError('no summary for scale x')")]), source)
    with pytest.raises(RecordError, match=r"notebook broken.ipynb failed: ValueError: no summary for scale x"):
        notebooks.execute(source, tmp_path / "out" / "broken.ipynb",
                          notebooks.kernel_env(tmp_path, tmp_path, None))
    assert (tmp_path / "out" / "broken.ipynb").exists()  # the executed copy is kept for reading


def test_committed_notebooks_have_no_outputs():
    for name in notebooks.NOTEBOOKS:
        nb = nbformat.read(records.REPO_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.outputs == [] and c.execution_count is None for c in code), name
