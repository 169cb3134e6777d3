"""Executes the analysis notebooks headlessly against existing run records.

    python -m reporting.notebooks [--runs-dir runs] [--results-dir results]
                                  [--data-dir DIR] [--model DIR] [NAME ...]

The notebooks in notebooks/ are kept in git without outputs. This command runs
each one top to bottom and writes the executed copy, outputs and figures
included, to results/notebooks/<name>.ipynb; the sources stay untouched. The
executed copies are committed, so they can be read on GitHub as they are. The
notebooks take their inputs from environment variables, which this command
sets for the kernel from its options:

    RESULTS_DIR   results folder (summaries, published.csv, scaling)
    RUNS_DIR      run folders (checkpoints, predictions.npz)
    DATA_DIR      the datasets (images for nearest neighbours and examples)
    MODEL_DIR     02_model_inspection: a model folder to show (--model), e.g. models/cifar10
    MODELS_DIR    where the committed model folders are (default: models/)

02_model_inspection shows one CNN: the model folder of --model; else the cited
CNN whose run folder has checkpoints; else, by default, the committed model
folder of a scale, models/<scale>/, saying so in its output. A model folder has
no predictions.npz, so the notebook's prediction sections are skipped with a
note; its filters, neighbours and layer patches come from the folder's network
and the images of its dataset (DATA_DIR). Where there is neither a run folder
nor a model folder, the notebook is skipped with a note rather than failed.

The kernel is always an ipykernel on the interpreter running this command (the
virtual environment's), whatever Jupyter kernels are installed elsewhere: the
kernel spec is made here, not looked up, so no `ipykernel install` is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from alexnet import records
from reporting import inspection
from reporting.runs import RecordError, resolve_dirs, run_main

NOTEBOOK_DIR = records.REPO_ROOT / "notebooks"
NOTEBOOKS = ("01_results", "02_model_inspection")
NEEDS_RUN_FOLDER = ("02_model_inspection",)  # a run folder with checkpoints, or a model folder


def kernel_manager():
    """A KernelManager whose kernel is ipykernel on this very interpreter."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            # capture_fd_output off: TensorFlow's C++ start-up log lines then go to
            # this command's stderr instead of into the notebooks' outputs.
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                                    "--IPKernelApp.capture_fd_output=False"],
                              display_name="Python 3 (ipykernel)", language="python")

    return KernelManager(kernel_name="python3", kernel_spec_manager=ThisInterpreter())


def kernel_env(runs_dir: Path, results_dir: Path, data_dir: Path | None, model_dir: Path | None = None,
               models_root: Path | None = None) -> dict:
    """The kernel's environment: ours, plus the inputs and the repository on the path."""
    env = dict(os.environ)
    env.update(RUNS_DIR=str(Path(runs_dir).resolve()), RESULTS_DIR=str(Path(results_dir).resolve()))
    for key, value in (("DATA_DIR", data_dir), ("MODEL_DIR", model_dir), ("MODELS_DIR", models_root)):
        if value is not None:
            env[key] = str(Path(value).resolve())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(records.REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def execute(source: Path, dest: Path, env: dict, timeout: int = 900) -> Path:
    """Runs one notebook and writes the executed copy to `dest`, even when a cell fails.

    Raises:
      RecordError: a cell raised; the message names the notebook and the error.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, km=kernel_manager(), timeout=timeout,
                            resources={"metadata": {"path": str(records.REPO_ROOT)}})
    try:
        client.execute(env=env)
    except CellExecutionError as err:
        raise RecordError(f"notebook {source.name} failed: {err.ename}: {err.evalue} "
                          f"(executed copy in {dest})") from None
    finally:
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest)
    return dest


def generate(runs_dir: Path, results_dir: Path, data_dir: Path | None = None,
             names=NOTEBOOKS, notes: list[str] | None = None, model_dir: Path | None = None,
             models_root: Path | None = None) -> list[Path]:
    """Executes the named notebooks into results/notebooks/; returns the copies written.

    Args:
      model_dir: the model folder 02_model_inspection shows (default: $MODEL_DIR,
        else a run folder, else models/<scale>/; see `inspection.choose`).
      models_root: where the committed model folders are (default: $MODELS_DIR, else models/).

    Raises:
      RecordError: an unknown notebook, a model_dir that is no model folder, or a failing cell.
    """
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise RecordError(f"unknown notebook(s) {', '.join(unknown)}; known: {', '.join(NOTEBOOKS)}")
    model_dir = model_dir or os.environ.get("MODEL_DIR") or None
    models_root = models_root or os.environ.get("MODELS_DIR") or None
    env = kernel_env(runs_dir, results_dir, data_dir, model_dir, models_root)
    written = []
    for name in names:
        if name in NEEDS_RUN_FOLDER and inspection.choose(
                runs_dir, results_dir, os.environ.get("SCALE") or None, model_dir,
                Path(models_root or inspection.MODELS_ROOT)) is None:
            if notes is not None:
                notes.append(f"skipped {name}: no cited CNN has its run folder (checkpoints) in {runs_dir}, "
                             f"and no model folder in {models_root or inspection.MODELS_ROOT}")
            continue
        written.append(execute(NOTEBOOK_DIR / f"{name}.ipynb",
                               Path(results_dir) / "notebooks" / f"{name}.ipynb", env))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.notebooks", description=__doc__.split("\n")[0])
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="run folders (default: $RUNS_DIR, else runs/)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="results folder (default: $RESULTS_DIR, else results/)")
    parser.add_argument("--data-dir", type=Path, default=None, help="datasets (default: $DATA_DIR)")
    parser.add_argument("--model", type=Path, default=None, dest="model_dir", metavar="DIR",
                        help="a model folder for 02_model_inspection, e.g. models/cifar10 (default: $MODEL_DIR, "
                             "else the cited CNN's run folder, else models/<scale>/)")
    parser.add_argument("names", nargs="*", default=list(NOTEBOOKS), metavar="NAME",
                        help=f"notebooks to run (default: all of {', '.join(NOTEBOOKS)})")

    def body(args, notes):
        runs_dir, results_dir = resolve_dirs(args)
        return generate(runs_dir, results_dir, args.data_dir, args.names, notes, args.model_dir)

    return run_main(body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
