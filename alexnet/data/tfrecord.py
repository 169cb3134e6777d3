"""TFRecord shards written by `alexnet.data.imagenet`, and reading them back.

A prepared split is a folder of shards plus an index, `<split>.json`:

    {"format": FORMAT, "split", "class_names", "shards": [{"file", "count"}],
     "files", "labels", "nbytes",          one entry per image, in record order
     "skipped": [[file, reason]], "fixed": [[file, what]], "archive": {...}}

Each record is a tf.train.Example with the keys TensorFlow Datasets uses,
'image' (JPEG bytes), 'label' (int64) and 'file_name'. The index is written
last, so its presence means the shards are complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from alexnet.data.common import DataError, hash_lines

FORMAT = "alexnet-tfrecord-v1"


def example_bytes(image: bytes, label: int, file_name: str) -> bytes:
    """One serialised tf.train.Example."""
    import tensorflow as tf

    def feature(**kind):
        return tf.train.Feature(**kind)

    return tf.train.Example(features=tf.train.Features(feature={
        "image": feature(bytes_list=tf.train.BytesList(value=[image])),
        "label": feature(int64_list=tf.train.Int64List(value=[label])),
        "file_name": feature(bytes_list=tf.train.BytesList(value=[file_name.encode()])),
    })).SerializeToString()


def read_index(folder: Path, split: str) -> dict:
    """The index of a prepared split; DataError when it is missing or foreign."""
    path = Path(folder) / f"{split}.json"
    if not path.is_file():
        raise DataError(f"no prepared '{split}' split at {path}")
    index = json.loads(path.read_text())
    if index.get("format") != FORMAT:
        raise DataError(f"{path} is not an index this version can read (format {index.get('format')!r})")
    return index


def select(ds, positions: np.ndarray, n_full: int):
    """Keeps the (position, ...) elements of `ds` whose position is in `positions`."""
    import tensorflow as tf

    if len(positions) == n_full:
        return ds
    mask = np.zeros(n_full, bool)
    mask[positions] = True
    mask = tf.constant(mask)
    return ds.filter(lambda pos, *rest: tf.gather(mask, pos))


class RecordBackend:
    """Reads a prepared split's shards; only shards holding wanted images are opened.

    Attributes:
      exact_shuffle: False: a training epoch permutes the shard order and
        interleaves shards; the pipeline then adds a shuffle buffer.
    """

    exact_shuffle = False
    # Shards read at once when shuffling: more mixes classes better; each costs
    # a read buffer only.
    cycle_length = 16

    def __init__(self, folder: Path, index: dict):
        self.folder, self.index = Path(folder), index
        self.counts = np.array([s["count"] for s in index["shards"]], np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])
        self.labels = np.asarray(index["labels"], np.int64)
        self.nbytes_each = np.asarray(index["nbytes"], np.int64)
        if len(self.labels) != self.offsets[-1]:
            raise DataError(f"{self.folder}: index lists {len(self.labels)} images but shards hold "
                            f"{self.offsets[-1]}; prepare the split again")

    def stream(self, positions: np.ndarray, shuffle_seed: int | None = None):
        """(JPEG bytes, int32 label, int64 position) for the sorted `positions`."""
        import tensorflow as tf

        first, last = self.offsets[:-1], self.offsets[1:]
        wanted = [k for k in range(len(self.counts))
                  if np.any((positions >= first[k]) & (positions < last[k]))]
        if shuffle_seed is not None:
            wanted = list(np.random.default_rng(shuffle_seed).permutation(wanted))
        files = [str(self.folder / self.index["shards"][k]["file"]) for k in wanted]
        shards = tf.data.Dataset.from_tensor_slices((files, first[wanted].astype(np.int64)))

        def read(file, offset):
            return tf.data.TFRecordDataset(file, buffer_size=8 << 20).enumerate(offset)

        if shuffle_seed is None:
            ds = shards.flat_map(read)  # shard after shard: the split's own order
        else:
            ds = shards.interleave(read, cycle_length=min(self.cycle_length, len(files)),
                                   num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        ds = select(ds, positions, int(self.offsets[-1]))
        spec = {"image": tf.io.FixedLenFeature([], tf.string),
                "label": tf.io.FixedLenFeature([], tf.int64)}

        def parse(pos, record):
            ex = tf.io.parse_single_example(record, spec)
            return ex["image"], tf.cast(ex["label"], tf.int32), pos

        return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def nbytes(self, positions: np.ndarray) -> int:
        return int(self.nbytes_each[positions].sum())

    def names(self, positions: np.ndarray) -> list[str]:
        files = self.index["files"]
        return [files[i] for i in positions]

    def fingerprint(self, positions: np.ndarray) -> dict:
        """Like records.dataset_fingerprint: count plus a hash of sorted names and sizes."""
        lines = sorted(f"{name}\t{size}" for name, size in
                       zip(self.names(positions), self.nbytes_each[positions]))
        return {"n_files": len(lines), "sha256": hash_lines(lines)}
