"""Tiny ImageNet-200 (Stanford CS231n) in its official layout.

    tiny-imagenet-200/
      wnids.txt                      the classes (the official 200)
      words.txt                      wnid <TAB> synset names, for every ImageNet synset
      train/<wnid>/images/*.JPEG     500 per class, 64 x 64
      train/<wnid>/<wnid>_boxes.txt  bounding boxes (not used)
      val/images/*.JPEG              50 per class
      val/val_annotations.txt        file <TAB> wnid <TAB> box
      test/images/*.JPEG             unlabelled (not used)

Users download `tiny-imagenet-200.zip` from the CS231n site
(http://cs231n.stanford.edu/tiny-imagenet-200.zip) and unpack it under
DATA_DIR. The classes are the official 200 wnids committed beside this module
(`tiny_imagenet_wnids.txt`, the first 200 lines of the official wnids.txt):
copies that add class folders (one public copy adds n02480855 and n10148035)
are read with those folders ignored, so every copy counts 100,000 training and
10,000 validation images. Labels index that committed list, in its order.

Class subsets ('tiny_imagenet:N', the classes axis of results/tiny_imagenet):
the first N wnids of one fixed permutation of the 200 (`class_subset`), so the
subsets are nested (the 10 classes are among the 50) and a class keeps its
label in every subset that holds it; each keeps all 500 training and 50
validation images of its classes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alexnet.data.common import IMAGE_EXTENSIONS, DataError

FOLDER = "tiny-imagenet-200"
WNIDS_FILE = Path(__file__).with_name("tiny_imagenet_wnids.txt")
WHERE_TO_GET = ("download http://cs231n.stanford.edu/tiny-imagenet-200.zip and unpack it there, "
                "or set DATA_DIR to the folder holding tiny-imagenet-200/")
SPLITS = ("train", "val")
# The permutation that draws the class subsets; fixed, so every run of the
# classes axis uses the same classes.
CLASS_SUBSET_SEED = 2012


def official_wnids() -> list[str]:
    """The official 200 class wnids, in the order of the official wnids.txt."""
    return WNIDS_FILE.read_text().split()


def class_subset(n: int, seed: int = CLASS_SUBSET_SEED) -> list[str]:
    """The first `n` wnids of a fixed permutation of the official 200 (nested in `n`).

    Raises:
      DataError: `n` outside 1..200.
    """
    wnids = official_wnids()
    if not 1 <= n <= len(wnids):
        raise DataError(f"tiny_imagenet: a class subset holds 1..{len(wnids)} classes, not {n}")
    order = np.random.default_rng(seed).permutation(len(wnids))
    return [wnids[i] for i in order[:n]]


def parse_name(name: str) -> list[str] | None:
    """The classes of a dataset name: None for 'tiny_imagenet' (all 200, official
    order), `class_subset(N)` for 'tiny_imagenet:N'.

    Raises:
      DataError: anything else after the colon.
    """
    if name == "tiny_imagenet":
        return None
    count = name.removeprefix("tiny_imagenet:")
    if not count.isdigit():
        raise DataError(f"dataset {name!r}: expected 'tiny_imagenet' or 'tiny_imagenet:N' "
                        f"with N classes in 1..200")
    return class_subset(int(count))


def _missing(path: Path, what: str) -> DataError:
    return DataError(f"tiny_imagenet: no {what} at {path}; {WHERE_TO_GET}")


def class_names(root: str | Path, wnids: list[str] | None = None) -> list[str]:
    """The first name of each class's synset from words.txt ('African elephant').

    Raises:
      DataError: words.txt missing, or a wnid it does not name.
    """
    words = Path(root) / "words.txt"
    if not words.is_file():
        raise _missing(words, "words.txt (wnid<TAB>names)")
    first = {}
    for line in words.read_text().splitlines():
        wnid, _, names = line.partition("\t")
        first[wnid.strip()] = names.split(",")[0].strip()
    wnids = official_wnids() if wnids is None else wnids
    unnamed = [w for w in wnids if not first.get(w)]
    if unnamed:
        raise DataError(f"tiny_imagenet: {words} names no synset for {', '.join(unnamed[:5])}; "
                        f"expected the official words.txt")
    return [first[w] for w in wnids]


def list_split(root: str | Path, split: str, wnids: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Absolute paths and int64 labels of one split, sorted by class then file name.

    Train labels come from the class folders (train/<wnid>/images/), val labels
    from val/val_annotations.txt. Class folders or annotations outside `wnids`
    are ignored; box files are never read.

    Raises:
      DataError: an unknown split, a missing folder or file, or a class without images.
    """
    root = Path(root)
    wnids = official_wnids() if wnids is None else wnids
    index = {w: i for i, w in enumerate(wnids)}
    if split not in SPLITS:
        raise DataError(f"tiny_imagenet has splits {', '.join(SPLITS)} (test/ is unlabelled), not {split!r}")
    pairs = []
    if split == "train":
        for wnid in wnids:
            folder = root / "train" / wnid / "images"
            if not folder.is_dir():
                raise _missing(folder, f"training folder of class {wnid}")
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
            if not files:
                raise DataError(f"tiny_imagenet: {folder} holds no .JPEG images; {WHERE_TO_GET}")
            pairs.extend((str(p), index[wnid]) for p in files)
    else:
        annotations = root / "val" / "val_annotations.txt"
        if not annotations.is_file():
            raise _missing(annotations, "val/val_annotations.txt (file<TAB>wnid<TAB>box)")
        for line in annotations.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[1] in index:
                pairs.append((str(root / "val" / "images" / fields[0]), index[fields[1]]))
        pairs.sort(key=lambda p: (p[1], p[0]))
        present = {label for _, label in pairs}
        absent = [w for w in wnids if index[w] not in present]
        if absent:
            raise DataError(f"tiny_imagenet: {annotations} labels no image of {len(absent)} class(es) "
                            f"({', '.join(absent[:5])}); expected the official val_annotations.txt")
    return [p for p, _ in pairs], np.asarray([label for _, label in pairs], np.int64)


def find_root(data_dir: str | Path) -> Path:
    """`<data_dir>/tiny-imagenet-200`; a missing folder is a one-line DataError."""
    root = Path(data_dir) / FOLDER
    if not root.is_dir():
        raise _missing(root, "tiny-imagenet-200/ folder (train/, val/, words.txt)")
    return root
