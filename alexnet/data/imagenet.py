"""ILSVRC-2012 from the original archives, prepared once into TFRecord shards.

Where the files go (DATA_DIR defaults to ../shared/data):

    $DATA_DIR/imagenet2012/ILSVRC2012_img_train.tar   138 GiB, a tar of 1,000 per-class tars
    $DATA_DIR/imagenet2012/ILSVRC2012_img_val.tar     6.3 GiB, 50,000 JPEGs
    $DATA_DIR/imagenet2012/prepared/                  written here: ~145 GiB of shards + index

The first `get_source('imagenet2012', split)` prepares a split whose shards are
missing; better run `python -m alexnet.data.imagenet prepare` once beforehand (and
always before starting several processes: preparation is not locked). It
streams each archive once and rewrites it as shards, so it is bound by the
disk: ~145 GB read and ~145 GB written, about 30-60 minutes at 100-200 MB/s.
The CPU work is small (0.18 ms per image measured on one core here: 3,600
images/s, i.e. ~6 minutes for 1.33 million). Plan for ~300 GB free while the
archives and the shards both exist; the archives may be deleted afterwards.

Labels, and why this is not TensorFlow Datasets' own `imagenet2012` builder:
  * train: the per-class tar's wnid; class index = position of the wnid in the
    official sorted list of 1,000 wnids (TFDS ships it as labels.txt).
  * val: the number in the file name. ILSVRC2012_val_00000293.JPEG is line 293
    of the official ground truth (TFDS ships it as validation_labels.txt). TFDS
    4.9.10's builder instead pairs the *sorted archive listing* with that file
    line by line, which is right only for the complete 50,000-image archive:
    any partial or re-packed archive is labelled wrongly without a warning.
  * Odd files are handled once, here: PNG data named .JPEG and CMYK JPEGs are
    re-encoded as RGB JPEG (so every record takes the fused decode-and-crop
    path); empty and truncated files are skipped. Both lists go into the index
    and the log.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import re
import tarfile
from pathlib import Path

from tqdm import tqdm

from alexnet.data.checks import JPEG, check_bytes, jpeg_components, sniff
from alexnet.data.common import DataError, default_data_dir, log, log_skipped, summarise_names
from alexnet.data.tfrecord import FORMAT, example_bytes, read_index
from alexnet.records import write_json_atomic

ARCHIVES = {"train": "ILSVRC2012_img_train.tar", "val": "ILSVRC2012_img_val.tar"}
IMAGES_PER_SHARD = 1024  # ~110 MB shards for full-size ImageNet JPEGs
_VAL_NAME = re.compile(r"ILSVRC2012_val_(\d{8})\.JPEG$")


def _tfds_file(name: str) -> Path:
    # Found without importing tensorflow_datasets, which takes seconds.
    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("tensorflow-datasets is not installed; it ships the ILSVRC-2012 label lists")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "imagenet2012" / name


def wnids() -> list[str]:
    """The 1,000 ILSVRC-2012 wnids, sorted: the class index of each."""
    return _tfds_file("labels.txt").read_text().split()


def validation_wnids() -> list[str]:
    """The official validation ground truth: entry k-1 is ILSVRC2012_val_<k>'s wnid."""
    return _tfds_file("validation_labels.txt").read_text().split()


def val_label(file_name: str, truth: list[str], index: dict[str, int]) -> int | None:
    """Class index of a validation image from the number in its name; None if it has none."""
    match = _VAL_NAME.search(file_name)
    if not match or not 1 <= int(match.group(1)) <= len(truth):
        return None
    return index[truth[int(match.group(1)) - 1]]


def default_dirs(data_dir: str | Path | None = None) -> tuple[Path, Path]:
    """(manual_dir holding the archives, prepared_dir holding the shards)."""
    manual = Path(data_dir or default_data_dir()) / "imagenet2012"
    return manual, manual / "prepared"


def _reencode(data: bytes) -> bytes:
    import tensorflow as tf

    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    return tf.io.encode_jpeg(image, format="rgb", quality=100).numpy()


def normalise(data: bytes) -> tuple[bytes | None, str | None]:
    """(RGB or grey JPEG bytes, what was fixed) or (None, why it is skipped)."""
    why = check_bytes(data)
    if why is not None:
        return None, why
    if sniff(data[:16]) != JPEG:
        return _reencode(data), f"{sniff(data[:16])} data re-encoded as JPEG"
    if jpeg_components(data) == 4:
        return _reencode(data), "CMYK JPEG re-encoded as RGB"
    return data, None


def _train_images(archive: Path, index: dict[str, int]):
    """(file name, bytes, label) from the tar of per-class tars, streaming each inner tar."""
    with tarfile.open(archive, "r:") as outer:
        members = [m for m in outer.getmembers() if m.isfile()]
        for member in tqdm(members, desc="ILSVRC-2012 train classes", unit="class"):
            wnid = Path(member.name).name.removesuffix(".tar")
            if wnid not in index:
                raise DataError(f"{archive}: member {member.name} is not <wnid>.tar of a known class")
            with tarfile.open(fileobj=outer.extractfile(member), mode="r|") as inner:
                for item in inner:
                    if item.isfile():
                        yield Path(item.name).name, inner.extractfile(item).read(), index[wnid]


def _val_images(archive: Path, index: dict[str, int]):
    truth = validation_wnids()
    with tarfile.open(archive, "r:") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        for member in tqdm(members, desc="ILSVRC-2012 val images", unit="img"):
            name = Path(member.name).name
            yield name, tar.extractfile(member).read(), val_label(name, truth, index)


def prepare_split(archive: str | Path, out_dir: str | Path, split: str,
                  images_per_shard: int | None = None) -> dict:
    """Writes one split's shards and index from its archive; returns the index."""
    archive, out_dir = Path(archive), Path(out_dir)
    import tensorflow as tf

    if not archive.is_file():
        raise DataError(f"ILSVRC-2012 archive {archive} not found")
    per_shard = images_per_shard or IMAGES_PER_SHARD
    out_dir.mkdir(parents=True, exist_ok=True)
    classes = wnids()
    class_index = {w: i for i, w in enumerate(classes)}
    images = _train_images if split == "train" else _val_images
    index = {"format": FORMAT, "split": split, "class_names": classes, "shards": [], "files": [],
             "labels": [], "nbytes": [], "skipped": [], "fixed": [],
             "archive": {"name": archive.name, "size": archive.stat().st_size}}
    writer, count = None, 0

    def close_shard():
        if writer is not None:
            writer.close()
            final = f"{split}-{len(index['shards']):05d}.tfrecord"
            (out_dir / f".{final}.tmp").replace(out_dir / final)
            index["shards"].append({"file": final, "count": count})

    for name, data, label in images(archive, class_index):
        if label is None:
            index["skipped"].append([name, "no ILSVRC2012_val_<number> in the name"])
            continue
        data, note = normalise(data)
        if data is None:
            index["skipped"].append([name, note])
            continue
        if note:
            index["fixed"].append([name, note])
        if writer is None or count == per_shard:
            close_shard()
            writer = tf.io.TFRecordWriter(str(out_dir / f".{split}-{len(index['shards']):05d}.tfrecord.tmp"))
            count = 0
        writer.write(example_bytes(data, label, name))
        count += 1
        index["files"].append(name)
        index["labels"].append(label)
        index["nbytes"].append(len(data))
    close_shard()
    if not index["files"]:
        raise DataError(f"{archive} holds no usable ILSVRC-2012 {split} images")
    log_skipped(f"imagenet2012/{split} ({archive.name})", [tuple(s) for s in index["skipped"]])
    if index["fixed"]:
        log.info("imagenet2012/%s: re-encoded %d file(s): %s", split, len(index["fixed"]),
                 summarise_names([f"{n} ({what})" for n, what in index["fixed"]]))
    write_json_atomic(out_dir / f"{split}.json", index)  # last: marks the split complete
    return index


def ensure_prepared(split: str, data_dir: str | Path | None = None) -> tuple[Path, dict]:
    """The prepared folder and index of a split, preparing it from its archive if needed."""
    if split not in ARCHIVES:
        raise DataError(f"imagenet2012 has splits 'train' and 'val' (the test split has no labels), "
                        f"not {split!r}")
    manual, prepared = default_dirs(data_dir)
    if (prepared / f"{split}.json").is_file():
        return prepared, read_index(prepared, split)
    archive = manual / ARCHIVES[split]
    if not archive.is_file():
        raise DataError(f"imagenet2012 '{split}' is neither prepared ({prepared}/{split}.json) nor "
                        f"available as {archive}; download the archive from image-net.org into {manual}")
    log.warning("preparing imagenet2012/%s from %s into %s (once; the full train split takes ~30-60 min)",
                split, archive, prepared)
    return prepared, prepare_split(archive, prepared, split)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alexnet.data.imagenet",
                                     description="Prepare ILSVRC-2012 archives into TFRecord shards.")
    parser.add_argument("command", nargs="?", choices=["prepare"], default="prepare",
                        help="the only command, also the default")
    parser.add_argument("--data-dir", default=None, help="folder holding imagenet2012/ (default $DATA_DIR)")
    parser.add_argument("--splits", default="train,val", help="comma-separated: train,val")
    parser.add_argument("--force", action="store_true", help="prepare again even if shards exist")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    manual, prepared = default_dirs(args.data_dir)
    try:
        for split in args.splits.split(","):
            if args.force and (prepared / f"{split}.json").exists():
                (prepared / f"{split}.json").unlink()
            _, index = ensure_prepared(split, args.data_dir)
            print(f"imagenet2012/{split}: {len(index['files'])} images in {len(index['shards'])} shards "
                  f"under {prepared}; {len(index['skipped'])} skipped, {len(index['fixed'])} re-encoded")
    except DataError as err:
        print(f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
