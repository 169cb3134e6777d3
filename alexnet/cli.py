"""How every command of the repository ends: 0, or one line `error: ...` and a status.

Expected failures (a bad config, missing data, an unusable run record) are
the user's to fix, so they get one line saying what was wrong, never a
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Callable

USAGE_ERROR = 2  # unusable config, missing data or record
FAILED = 1  # the work itself failed (training diverged, loss stuck at chance)


@contextlib.contextmanager
def _native_stderr_silenced():
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow() -> None:
    """Imports TensorFlow without its start-up banner (CPU features, oneDNN, CUDA
    stubs: lines its C++ core writes to stderr whatever TF_CPP_MIN_LOG_LEVEL says),
    so that a command's first line of output is its own. The device discovery
    runs inside the silence too: on a machine without a GPU driver it logs
    "failed call to cuInit" as an error, which is only the absence of a GPU
    (the trainer names the devices it uses). TensorFlow's C++ info and warning
    lines after start-up (tf.data's notes on generator datasets and memory
    patches) are hidden too unless TF_CPP_MIN_LOG_LEVEL says otherwise; its
    errors still show. An import error still raises."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _native_stderr_silenced():
        tf = importlib.import_module("tensorflow")
        tf.config.list_physical_devices()


OVERRIDES_HELP = ("config overrides, in order: key=value, --key value or --key=value "
                  "(e.g. epochs=5 --lr 0.02)")


def parse_with_overrides(parser, argv) -> tuple:
    """(parsed args, config overrides in command-line order): whatever `parser`
    does not know is an override, so `key=value` and `--key value` can mix."""
    parser.epilog = parser.epilog or OVERRIDES_HELP
    parser.allow_abbrev = False  # `--run 3` must not pass for --run-dir
    parser.usage = parser.usage or parser.format_usage().removeprefix("usage: ").strip() + " [key=value ...]"
    return parser.parse_known_args(argv)


def fail(err: BaseException | str, status: int = USAGE_ERROR) -> int:
    """Prints `error: <err>` on stderr; returns `status`."""
    print(f"error: {err}", file=sys.stderr)
    return status


def run_command(body: Callable[[], object], errors: tuple[type[BaseException], ...],
                failures: tuple[type[BaseException], ...] = ()) -> int:
    """Runs `body()`; returns its status: what it returned if an int, else 0.

    Args:
      body: the command's work.
      errors: exception types that mean unusable input: one line, USAGE_ERROR.
      failures: exception types that mean the work failed: one line, FAILED.
    """
    try:
        status = body()
    except errors as err:
        return fail(err)
    except failures as err:
        return fail(err, FAILED)
    return status if isinstance(status, int) and not isinstance(status, bool) else 0
