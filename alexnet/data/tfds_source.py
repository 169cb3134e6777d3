"""TensorFlow Datasets copies: dataset 'tfds:imagenette' or 'tfds:cifar10'.

A user with internet needs no manual step: the first use downloads and prepares
the dataset into TFDS's own folder ($TFDS_DATA_DIR, default ~/tensorflow_datasets).
Asked for 'imagenette' or 'cifar10' with no local copy under DATA_DIR, the
sources take this path by themselves when the TFDS copy is already prepared or
the download host answers within a few seconds (`auto_download_blocked`);
DATA_AUTO_DOWNLOAD=0 turns that off.
The images stay TFDS's encoded bytes; this pipeline decodes them itself, so
the transforms are the same as for a class-folder copy.
"""

from __future__ import annotations

import functools
import os
import socket
import threading

import numpy as np

from alexnet.data.common import DataError, hash_lines
from alexnet.data.tfrecord import select

# Our dataset name -> (TFDS name, {our split: TFDS split}). Imagenette comes as
# full-size images (not the 224 px local copy), closest to the paper's ImageNet.
TFDS_NAMES = {
    "imagenette": ("imagenette/full-size-v2", {"train": "train", "val": "validation"}),
    "cifar10": ("cifar10", {"train": "train", "val": "test", "test": "test"}),
}
# What a missing local copy of 'imagenette' or 'cifar10' becomes by itself: for Imagenette
# the 320 px variant, the images a local imagenette2-320/ copy holds (full size would make
# the same config a different, much slower experiment).
AUTO_NAMES = {"imagenette": "imagenette/320px-v2", "cifar10": "cifar10"}
# Where TFDS downloads each from (its builders' URLs): what the connectivity check tries.
DOWNLOAD_HOSTS = {"imagenette": "s3.amazonaws.com", "cifar10": "www.cs.toronto.edu"}
CONNECT_TIMEOUT_S = 5.0


def auto_download_blocked(name: str) -> str | None:
    """Why `name` cannot be fetched through TFDS by itself now, or None if it can.

    Blocked when DATA_AUTO_DOWNLOAD is '0'; otherwise possible when TFDS has the
    copy prepared already or the download host answers within CONNECT_TIMEOUT_S.
    """
    if os.environ.get("DATA_AUTO_DOWNLOAD", "1") == "0":
        return "the automatic download is off (DATA_AUTO_DOWNLOAD=0)"
    try:
        import tensorflow_datasets as tfds
        if tfds.builder(AUTO_NAMES[name]).is_prepared():
            return None
    except Exception:  # noqa: BLE001 - no TFDS, or no metadata offline: decided below
        pass
    host = DOWNLOAD_HOSTS[name]
    return None if _reachable(host) else f"no connection to {host} within {CONNECT_TIMEOUT_S:g} s (offline?)"


@functools.lru_cache(maxsize=None)
def _reachable(host: str) -> bool:
    """Whether `host` accepts a connection on 443 within CONNECT_TIMEOUT_S, name lookup
    included (getaddrinfo has no timeout of its own, so the attempt runs in a thread).
    Asked once per process."""
    answer: list[bool] = []

    def attempt():
        try:
            socket.create_connection((host, 443), timeout=CONNECT_TIMEOUT_S).close()
            answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_S + 1.0)
    return bool(answer and answer[0])


def load_builder(name: str, tfds_name: str | None = None):
    """The prepared TFDS builder for `name`, downloading it first if needed.

    Raises:
      DataError: tensorflow-datasets missing, or the download/preparation failed
        (no internet, for instance); the message names the cause.
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:
        raise DataError(f"tensorflow-datasets cannot be imported ({err})") from None
    tfds_name = tfds_name or TFDS_NAMES[name][0]
    try:
        builder = tfds.builder(tfds_name)
        builder.download_and_prepare()
    except Exception as err:  # noqa: BLE001 - any failure becomes one clear line
        cause = " ".join(str(err).split())[:200] or type(err).__name__
        raise DataError(f"TensorFlow Datasets could not download/prepare {tfds_name!r}: {cause}") from None
    return builder


class TfdsBackend:
    """Reads a prepared TFDS split in its stored order (no file shuffling)."""

    exact_shuffle = False

    def __init__(self, builder, split: str):
        import tensorflow_datasets as tfds

        self.builder, self.split = builder, split
        self.class_names = list(builder.info.features["label"].names)
        self._read = lambda: builder.as_dataset(
            split=split, shuffle_files=False, decoders={"image": tfds.decode.SkipDecoding()})
        labels = self._read().map(lambda ex: ex["label"]).as_numpy_iterator()
        self.labels = np.fromiter(labels, np.int64)
        self.n_full = len(self.labels)
        try:
            self.total_bytes = builder.info.splits[split].num_bytes
        except KeyError:  # split metadata absent (mocked builders): assume small
            self.total_bytes = 0

    def stream(self, positions: np.ndarray, shuffle_seed: int | None = None):
        """(encoded bytes, int32 label, int64 position) for the sorted `positions`."""
        import tensorflow as tf

        del shuffle_seed  # the pipeline's shuffle buffer does all the shuffling
        ds = select(self._read().enumerate(), positions, self.n_full)
        return ds.map(lambda pos, ex: (ex["image"], tf.cast(ex["label"], tf.int32), pos),
                      num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def nbytes(self, positions: np.ndarray) -> int:
        return int(self.total_bytes * len(positions) / max(1, self.n_full))

    def names(self, positions: np.ndarray) -> list[str]:
        return [f"{self.split}/{int(p)}" for p in positions]

    def fingerprint(self, positions: np.ndarray) -> dict:
        head = f"{self.builder.info.full_name}/{self.split}"
        ids = positions.astype(np.int64).tobytes().hex()
        return {"n_files": len(positions), "sha256": hash_lines([head, ids])}
