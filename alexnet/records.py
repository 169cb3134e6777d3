"""Run records: the one format the CNN trainer and the Fisher-vector baseline write.

A run folder (never reused by another run, never overwritten):

    runs/<UTC time>-<experiment>-<config hash>/
      config.json       the resolved config, written first
      provenance.json   git commit and dirty flag, command line, Python and
                        package versions, host, CPU/GPU devices, dataset name,
                        root and fingerprint
      preprocessing.json  CNN runs: resize, crop size, input_norm and the training
                        colour statistics (what predict and export need)
      metrics.csv       one row per epoch (columns METRIC_COLUMNS): train_* over the
                        epoch's training batches, heldout_* on the held-out part of
                        the training set (never the reported split), lr of the
                        epoch's last step (runs before 2026-12 logged val_*)
      eval.json         final numbers (see `write_eval`)
      done              written last: the run finished
      checkpoints/ tb/ log.txt

Errors are stored as percentages in columns named `*_err_pct`.

Creating, finding, locking, logging and finishing run folders is
`alexnet.run_folder`; this module reads and writes the files in them. Every
file is written atomically (temporary file, then rename), so a kill never
leaves half a JSON file.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Sequence

METRIC_COLUMNS = (
    "epoch", "lr", "train_loss", "train_top1_err_pct", "train_top5_err_pct",
    "heldout_loss", "heldout_top1_err_pct", "heldout_top5_err_pct", "images_per_s", "wall_s",
)
# The baseline's one row: its final model on the training and the reported split,
# evaluated once, after every choice was made on held-out training images.
BASELINE_METRIC_COLUMNS = (
    "epoch", "lr", "train_loss", "train_top1_err_pct", "train_top5_err_pct",
    "val_loss", "val_top1_err_pct", "val_top5_err_pct", "images_per_s", "wall_s",
)

PACKAGES = (
    "tensorflow", "keras", "tensorflow-datasets", "numpy", "scikit-learn",
    "scipy", "pandas", "matplotlib", "opencv-python-headless", "cyvlfeat",
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def config_hash(config: dict) -> str:
    """Eight hex digits identifying a resolved config (key order ignored)."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:8]


def write_text_atomic(path: Path, text: str) -> None:
    """Writes `text` to `path` via a temporary file and rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def dataset_fingerprint(paths: Sequence[str], root: str | Path | None = None) -> dict:
    """File count plus a hash of sorted relative paths and sizes.

    Cheap (no file contents are read) yet changes when a file is added, removed,
    renamed or re-encoded to another size.
    """
    root = Path(root) if root else None
    h = hashlib.sha256()
    rels = []
    for p in paths:
        p = Path(p)
        rel = str(p.relative_to(root)) if root and p.is_absolute() == root.is_absolute() else str(p)
        try:
            size = p.stat().st_size
        except OSError:
            size = -1
        rels.append((rel, size))
    for rel, size in sorted(rels):
        h.update(f"{rel}\t{size}\n".encode())
    return {"n_files": len(rels), "sha256": h.hexdigest()[:16]}


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _package_versions() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def hardware() -> dict:
    """CPU model and core count, plus GPUs when TensorFlow is already imported."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cpu_cores": os.cpu_count(), "gpus": []}
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        info["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    return info


def hardware_summary(hw: dict) -> str:
    """One short string for tables: '2x Intel Xeon ... (CPU)' or '8x NVIDIA ... GPU'."""
    if hw.get("gpus"):
        return f"{len(hw['gpus'])} GPU" + ("" if len(hw["gpus"]) == 1 else "s")
    return f"{hw.get('cpu_cores')}-core CPU ({hw.get('cpu', '?')})"


def write_provenance(run_dir: Path, dataset: dict, extra: dict | None = None) -> dict:
    """Writes provenance.json: code version, environment, hardware, dataset.

    Args:
      run_dir: the run folder.
      dataset: at least {"name", "root", "fingerprint"}; anything else is kept.
      extra: more fields (e.g. strategy, replicas).
    """
    prov = {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": sys.version.split()[0],
        "packages": _package_versions(),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "hardware": hardware(),
        "dataset": dataset,
        "written_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    prov.update(extra or {})
    write_json_atomic(Path(run_dir) / "provenance.json", prov)
    return prov


def append_metrics(run_dir: Path, row: dict, columns: Sequence[str] = METRIC_COLUMNS) -> None:
    """Appends one epoch's row to metrics.csv, rewriting the file atomically.

    Rows for an epoch already present are replaced, so an epoch repeated after a
    resume appears once.
    """
    path = Path(run_dir) / "metrics.csv"
    rows = read_metrics(run_dir)
    # Columns an older version of the trainer wrote (a resumed run) are kept.
    columns = list(columns) + [k for k in (rows[0] if rows else {}) if k not in columns]
    rows = [r for r in rows if str(r.get("epoch")) != str(row.get("epoch"))]
    rows.append({k: row.get(k, "") for k in columns})
    lines = [",".join(columns)]
    for r in rows:
        lines.append(",".join(_fmt(r.get(k, "")) for k in columns))
    write_text_atomic(path, "\n".join(lines) + "\n")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.csv"
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_eval(run_dir: Path, result: dict) -> None:
    """Writes eval.json. Expected fields:

    model, dataset, split, n_images, centre {top1_err_pct, top5_err_pct},
    ten_crop {top1_err_pct, top5_err_pct} (CNN only), params, train_time_s,
    hardware. Existing fields are kept unless `result` replaces them, so the
    trainer and `alexnet.evaluate` can each add their part.
    """
    path = Path(run_dir) / "eval.json"
    current = read_json(path) if path.exists() else {}
    current.update(result)
    write_json_atomic(path, current)


DIVERGED = "diverged.json"  # a run folder whose training diverged: {"error": the line printed}


def copy_record(run_dir: Path, dest_root: Path, names: Iterable[str] = (
        "config.json", "provenance.json", "metrics.csv", "eval.json", "fit_gap.json")) -> Path:
    """Copies the small files of a run record (no checkpoints) under dest_root/<run id>/.

    fit_gap.json, where `alexnet.evaluate --fit-gap` wrote one, backs the fit
    gaps docs/recipes.md cites.
    """
    run_dir = Path(run_dir)
    dest = Path(dest_root) / run_dir.name
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = run_dir / name
        if src.exists():
            write_text_atomic(dest / name, src.read_text())
    return dest
