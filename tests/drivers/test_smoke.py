"""make smoke: both models and the reports run end to end, inside the scratch folder only."""

import subprocess

import pytest

from alexnet import records
from drivers import smoke

pytest.importorskip("cyvlfeat")


def _status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=records.REPO_ROOT,
                          capture_output=True, text=True, check=True).stdout


def test_smoke_runs_both_models_and_writes_only_to_its_scratch_folder(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("RUNS_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("FV_CACHE_DIR", str(tmp_path / "elsewhere-cache"))
    before = _status()
    assert smoke.main(["--dir", str(tmp_path / "look"), "--per-class", "20", "--val-per-class", "5"]) == 0
    table = (tmp_path / "look" / "results" / "folder-cifar10-slice" / "summary.md").read_text()
    assert "Small-image AlexNet (CIFAR)" in table and "Dense SIFT + colour Fisher vectors" in table
    assert "validation split, 50 images" in table      # a folder slice: its val folder
    assert (tmp_path / "look" / "results" / "figures" / "gap.png").exists()
    assert _status() == before                              # nothing new in the repository
    assert not (tmp_path / "elsewhere").exists()            # run folders went to the scratch folder
    assert "smoke test passed" in capsys.readouterr().out


def test_smoke_without_cifar10_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert smoke.main(["--dir", str(tmp_path / "look")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: make smoke reads CIFAR-10 JPEGs from {tmp_path}/cifar10/{{train,test}}/<class>/ and "
                   "found none; set DATA_DIR to the folder holding cifar10/ (README: Data)")
