"""Readable names for class labels that are WordNet ids.

Imagenette's ten wnids are named as in its README (github.com/fastai/imagenette,
"Imagenette" section), which takes the first ILSVRC-2012 synonym of each.
Labels that are already words (CIFAR-10's folder names) are their own names;
an unknown wnid stays as it is.
"""

from __future__ import annotations

IMAGENETTE = {
    "n01440764": "tench",
    "n02102040": "English springer",
    "n02979186": "cassette player",
    "n03000684": "chain saw",
    "n03028079": "church",
    "n03394916": "French horn",
    "n03417042": "garbage truck",
    "n03425413": "gas pump",
    "n03445777": "golf ball",
    "n03888257": "parachute",
}


def readable(label: str) -> str:
    """The name of a class label: Imagenette's name for its wnids, else the label."""
    return IMAGENETTE.get(str(label), str(label))
