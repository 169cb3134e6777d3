"""Class-folder image trees: `<root>/<split>/<class>/*.{jpg,jpeg,png}`.

The raw ImageNet layout, Imagenette, Imagewoof and CIFAR-10 exported as images
all look like this. The class index is the position of the class-folder name in
the sorted list of class folders; `get_source` sorts the union over all splits,
so a split that lacks a class still labels the others as the training split does.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from alexnet.data.checks import check_file
from alexnet.data.common import IMAGE_EXTENSIONS, LAYOUT, DataError, log_skipped
from alexnet.records import dataset_fingerprint

# Folder names tried, in order, for a split that is not there under its own name.
SPLIT_ALIASES = {"val": ("val", "validation", "test"), "test": ("test",), "train": ("train",)}


def _subfolders(path: Path) -> list[str]:
    with os.scandir(path) as entries:
        return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))


def _check_root(root: Path) -> None:
    if not root.is_dir():
        raise DataError(f"dataset root {root} does not exist or is not a folder; expected {LAYOUT}")


def resolve_split(root: str | Path, split: str) -> str:
    """The split folder's name: `split` itself, else an alias ('val' -> 'validation', 'test').

    Raises:
      DataError: the root or every candidate folder is missing.
    """
    root = Path(root)
    _check_root(root)
    for name in SPLIT_ALIASES.get(split, (split,)):
        if (root / name).is_dir():
            return name
    present = ", ".join(_subfolders(root)) or "nothing"
    raise DataError(f"no '{split}' split folder in {root} (found: {present}); expected {LAYOUT}")


def dataset_classes(root: str | Path) -> list[str]:
    """Sorted union of the class-folder names of every split folder under `root`."""
    root = Path(root)
    _check_root(root)
    names = set()
    for split in _subfolders(root):
        names.update(_subfolders(root / split))
    return sorted(names)


def list_files(root: str | Path, split: str, class_names: list[str] | None = None
               ) -> tuple[list[str], np.ndarray, list[str]]:
    """Lists the images of one split of a class-folder tree, without reading them.

    Args:
      root: the dataset folder holding one folder per split.
      split: the split folder's name ('train', 'val', ...), used as given.
      class_names: the class list defining the label indices; None means the
        sorted class folders of this split.

    Returns:
      (paths, labels, class_names): absolute paths sorted by class then file
      name, int64 labels in the same order, and the class list used.

    Raises:
      DataError: missing root or split folder, no class folders, a class folder
        without images, or a class folder not in `class_names`.
    """
    root = Path(root)
    _check_root(root)
    split_dir = root / split
    if not split_dir.is_dir():
        raise DataError(f"no '{split}' split folder in {root}; expected {LAYOUT}")
    found = _subfolders(split_dir)
    if not found:
        raise DataError(f"{split_dir} holds no class folders; expected {LAYOUT}")
    class_names = list(found if class_names is None else class_names)
    index = {name: i for i, name in enumerate(class_names)}
    paths, labels = [], []
    for name in found:
        if name not in index:
            raise DataError(f"class folder {split_dir / name} is not one of the dataset's "
                            f"{len(class_names)} classes; expected {LAYOUT}")
        with os.scandir(split_dir / name) as entries:
            files = sorted(e.path for e in entries
                           if e.is_file() and e.name.lower().endswith(IMAGE_EXTENSIONS)
                           and not e.name.startswith("."))
        if not files:
            raise DataError(f"class folder {split_dir / name} holds no .jpg/.jpeg/.png images; "
                            f"expected {LAYOUT}")
        paths.extend(files)
        labels.extend([index[name]] * len(files))
    return paths, np.asarray(labels, np.int64), class_names


def scan(paths: list[str], desc: str = "checking images"
         ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Checks every file (see `checks`), reading only its first and last bytes.

    Returns:
      (ok, sizes, bad): a boolean mask of usable files, their sizes in bytes,
      and (index, reason) of each unusable file.
    """
    chunks = [paths[i:i + 1024] for i in range(0, len(paths), 1024)]
    with ThreadPoolExecutor(max_workers=8) as pool:  # threads overlap the file reads
        parts = pool.map(lambda chunk: [check_file(p) for p in chunk], chunks)
        results = [r for part in tqdm(parts, total=len(chunks), desc=desc, unit="chunk",
                                      disable=len(paths) < 100_000, leave=False) for r in part]
    sizes = np.fromiter((size for size, _ in results), np.int64, len(results))
    ok = np.fromiter((why is None for _, why in results), bool, len(results))
    return ok, sizes, [(i, why) for i, (_, why) in enumerate(results) if why is not None]


def checked_backend(root: str | Path, paths: list[str], labels: np.ndarray, where: str
                    ) -> tuple["FolderBackend", list[tuple[str, str]]]:
    """A FolderBackend over the files of `paths` that decode, and (file, reason) of those left out (logged)."""
    ok, sizes, bad = scan(paths, desc=f"checking {where}")
    skipped = [(str(Path(paths[i]).relative_to(root)), why) for i, why in bad]
    log_skipped(where, skipped)
    return FolderBackend(Path(root), np.asarray(paths)[ok], np.asarray(labels)[ok], sizes[ok]), skipped


class FolderBackend:
    """Reads the files of one split from disk, in any order of positions.

    Attributes:
      exact_shuffle: True: `stream` permutes the file list itself, so a training
        epoch is a uniform permutation with no shuffle buffer.
    """

    exact_shuffle = True

    def __init__(self, root: Path, paths: np.ndarray, labels: np.ndarray, sizes: np.ndarray):
        self.root, self.paths, self.labels, self.sizes = Path(root), paths, labels, sizes

    def stream(self, positions: np.ndarray, shuffle_seed: int | None = None):
        """(encoded bytes, int32 label, int64 position) for `positions`, permuted when seeded."""
        import tensorflow as tf

        if shuffle_seed is not None:
            positions = np.random.default_rng(shuffle_seed).permutation(positions)
        ds = tf.data.Dataset.from_tensor_slices(
            (self.paths[positions], self.labels[positions].astype(np.int32), positions.astype(np.int64)))
        return ds.map(lambda path, label, pos: (tf.io.read_file(path), label, pos),
                      num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def nbytes(self, positions: np.ndarray) -> int:
        return int(self.sizes[positions].sum())

    def names(self, positions: np.ndarray) -> list[str]:
        return [os.path.relpath(p, self.root) for p in self.paths[positions]]

    def fingerprint(self, positions: np.ndarray) -> dict:
        return dataset_fingerprint(list(self.paths[positions]), self.root)
