"""What every part of the input pipeline shares: the error type, paths and logging.

Kept free of TensorFlow so that listing files and reporting errors stay cheap.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Iterable

from alexnet.records import REPO_ROOT

log = logging.getLogger("alexnet.data")

# The class-folder layout, quoted in every layout error so the user sees the fix.
LAYOUT = "<root>/<split>/<class>/*.jpg|*.jpeg|*.png"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
# How many file names a log line or `info()` spells out before summarising.
MAX_NAMES_SHOWN = 20


class DataError(ValueError):
    """Data that cannot be used: missing, misplaced or empty. The message is one line."""


def default_data_dir() -> Path:
    """Where datasets live: $DATA_DIR, else `<repo>/../shared/data`."""
    return Path(os.environ.get("DATA_DIR", REPO_ROOT.parent / "shared" / "data")).resolve()


def cache_root() -> Path:
    """Derived, re-creatable files (colour statistics): `<repo>/cache` (git-ignored)."""
    return REPO_ROOT / "cache"


def hash_lines(lines: Iterable[str]) -> str:
    """Sixteen hex digits of SHA-256 over `lines`, one per line (fingerprints)."""
    h = hashlib.sha256()
    for line in lines:
        h.update(f"{line}\n".encode())
    return h.hexdigest()[:16]


def summarise_names(names: list[str], limit: int = MAX_NAMES_SHOWN) -> str:
    """'a, b, c' or 'a, b, ... and 7 more' so that a log line stays readable."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... and {len(names) - limit} more"


def log_skipped(where: str, skipped: list[tuple[str, str]]) -> None:
    """One warning naming the files a source leaves out and why."""
    if skipped:
        log.warning("%s: skipped %d unreadable image file(s): %s", where, len(skipped),
                    summarise_names([f"{name} ({why})" for name, why in skipped]))
