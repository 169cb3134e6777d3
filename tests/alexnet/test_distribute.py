"""Distribution on a CPU-only machine: two logical CPUs, two local worker processes.

Each check runs tests/distributed_worker.py in a fresh process, because
logical devices and TF_CONFIG must be set before TensorFlow initialises.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from alexnet import distribute
from alexnet.config import ConfigError
from tests.conftest import REPO

WORKER = REPO / "tests" / "distributed_worker.py"


def _run(mode: str, tmp_path: Path, *overrides: str, env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "RUNS_DIR": str(tmp_path / "runs"), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    out = tmp_path / f"{mode}-{env.get('WORKER_ID', 0)}.json"
    return subprocess.Popen([sys.executable, str(WORKER), mode, str(out), *overrides], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _result(process: subprocess.Popen, tmp_path: Path, mode: str, worker: int = 0) -> dict:
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 0, output[-3000:]
    return json.loads((tmp_path / f"{mode}-{worker}.json").read_text())


def test_two_replicas_follow_the_one_device_loss_trajectory(tmp_path):
    result = _result(_run("mirrored", tmp_path), tmp_path, "mirrored")
    np.testing.assert_allclose(result["two"], result["one"], rtol=1e-4)
    assert result["max_abs_weight_diff"] < 1e-4


def test_tower_placement_gives_the_same_outputs_as_one_device(tmp_path):
    result = _result(_run("towers", tmp_path), tmp_path, "towers")
    assert result["devices"] == ["device:CPU:0", "device:CPU:1"]
    assert result["max_abs_diff"] <= 1e-5 * max(1.0, result["max_abs_logit"])


def test_trainer_places_the_towers_on_two_devices(tmp_path):
    result = _result(_run("towers_training", tmp_path), tmp_path, "towers_training")
    assert result["strategy"] == "OneDeviceStrategy" and np.isfinite(result["losses"]).all()


def test_towers_with_data_parallel_strategy_is_a_config_error():
    with pytest.raises(ConfigError, match="placement 'towers' runs one model over two devices"):
        distribute.resolve_kind({"strategy": "mirrored", "placement": "towers"})


def test_batch_not_divisible_by_replicas_is_a_config_error(tmp_path):
    result = _result(_run("batch", tmp_path), tmp_path, "batch")
    assert result["error"] == ("batch_size 33 is not divisible by the 2 replicas of the MirroredStrategy; "
                               "use a multiple of 2")
    assert result["run_folders"] == []


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_worker_processes_finish_with_identical_weights(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    workers = [_run("multi_worker", tmp_path, "dropout=0.5", "dataset='synthetic:190:37'",
                    env={"WORKER_ID": str(i), "TF_CONFIG": json.dumps({"cluster": cluster,
                                                                      "task": {"type": "worker", "index": i}})})
               for i in range(2)]
    results = [_result(w, tmp_path, "multi_worker", i) for i, w in enumerate(workers)]
    assert results[0]["run_dir"] == results[1]["run_dir"]
    assert results[0]["n_weights"] == results[1]["n_weights"] >= 10
    assert results[0]["weights_sha256"] == results[1]["weights_sha256"]  # bit for bit
    assert any(results[0]["weights_sum"])
    run_dir = Path(results[0]["run_dir"])
    assert sorted(p.name for p in run_dir.parent.iterdir()) == [run_dir.name]
    assert not list(run_dir.glob(".worker*")), "worker 1's scratch checkpoints are removed"
    prov = json.loads((run_dir / "provenance.json").read_text())["distribution"]
    assert prov["strategy"] == "MultiWorkerMirroredStrategy" and prov["workers"] == 2
    eval_json = json.loads((run_dir / "eval.json").read_text())
    assert eval_json["n_images"] == 37  # both workers' uneven validation shards counted once


def test_slurm_cluster_resolver_reads_the_job_environment(monkeypatch):
    for key, value in {"SLURM_JOB_ID": "7", "SLURM_PROCID": "1", "SLURM_STEP_NUM_TASKS": "2",
                       "SLURM_STEP_NODELIST": "node[3-4]", "SLURM_STEP_TASKS_PER_NODE": "1(x2)"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    resolver = distribute.cluster_resolver({"cluster": "slurm"})
    assert resolver.cluster_spec().as_dict() == {"worker": ["node3:8888", "node4:8888"]}
    assert resolver.get_task_info() == ("worker", 1)


def test_multi_worker_without_a_cluster_is_a_config_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="strategy 'multi_worker' needs TF_CONFIG"):
        distribute.cluster_resolver({"cluster": "tf_config"})


def test_auto_strategy_is_one_device_on_a_single_cpu():
    assert distribute.resolve_kind({"strategy": "auto", "cluster": "tf_config", "devices": None}) == "one_device"
    strategy = distribute.make_strategy({"strategy": "auto", "cluster": "tf_config", "devices": None})
    assert strategy.num_replicas_in_sync == 1 and distribute.is_chief(strategy)
    assert tf.distribute.OneDeviceStrategy == type(strategy)
