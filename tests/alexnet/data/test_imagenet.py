"""ILSVRC-2012 through the project's own path: a miniature archive pair built from
real Imagenette images, prepared into shards and read back (alexnet.data.imagenet)."""

import io
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alexnet import data
from alexnet.data import imagenet

TRAIN_WNIDS = ("n01440764", "n02102040", "n03888257")
PER_CLASS = 3
N_VAL = 20


def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def _tar_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, payload in members.items():
            _add(tar, name, payload)
    return buf.getvalue()


@pytest.fixture(scope="module")
def mini_ilsvrc(data_dir, tmp_path_factory):
    """DATA_DIR-like folder with imagenet2012/ILSVRC2012_img_{train,val}.tar.

    Train: PER_CLASS real images per wnid, plus in the first class a zero-byte
    file, PNG data named .JPEG and a CMYK JPEG, and in the second a truncated
    JPEG. Val: N_VAL of the ILSVRC2012_val_* files kept by Imagenette, with the
    wnid of the folder each came from.
    """
    src = data_dir / "imagenette2-224"
    root = tmp_path_factory.mktemp("ilsvrc")
    (root / "imagenet2012").mkdir()
    inner = {}
    for k, wnid in enumerate(TRAIN_WNIDS):
        files = sorted((src / "train" / wnid).glob(f"{wnid}_*.JPEG"))[:PER_CLASS]
        members = {f.name: f.read_bytes() for f in files}
        if k == 0:
            rgb = Image.open(files[0]).convert("RGB")
            png, cmyk = io.BytesIO(), io.BytesIO()
            rgb.save(png, "PNG")
            rgb.convert("CMYK").save(cmyk, "JPEG")
            members.update({f"{wnid}_90001.JPEG": b"", f"{wnid}_90002.JPEG": png.getvalue(),
                            f"{wnid}_90003.JPEG": cmyk.getvalue()})
        if k == 1:
            members[f"{wnid}_90004.JPEG"] = files[0].read_bytes()[:3000]
        inner[f"{wnid}.tar"] = _tar_bytes(members)
    (root / "imagenet2012" / imagenet.ARCHIVES["train"]).write_bytes(_tar_bytes(inner))
    val_files = sorted(src.glob("*/*/ILSVRC2012_val_*.JPEG"), key=lambda p: p.name)[:N_VAL]
    (root / "imagenet2012" / imagenet.ARCHIVES["val"]).write_bytes(
        _tar_bytes({f.name: f.read_bytes() for f in val_files}))
    truth = {f.name: f.parent.name for f in val_files}
    return root, truth


@pytest.fixture(scope="module")
def prepared(mini_ilsvrc):
    root, truth = mini_ilsvrc
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(imagenet, "IMAGES_PER_SHARD", 4)  # several shards from a few images
        val = data.get_source("imagenet2012", "val", data_dir=root)
        train = data.get_source("imagenet2012", "train", data_dir=root)
    return train, val, truth


def test_validation_labels_come_from_file_names(prepared):
    _, val, truth = prepared
    assert val.n_images == N_VAL and len(val.class_names) == 1000
    assert val.class_names == imagenet.wnids() and val.class_names == sorted(val.class_names)
    assert [val.class_names[i] for i in val.labels] == [truth[f] for f in val.files]
    # The trap this guards against: labelling by position in the sorted listing
    # (TFDS 4.9.10) pairs these 20 files with ground-truth lines 1..20.
    positional = imagenet.validation_wnids()[:N_VAL]
    assert sum(p == truth[f] for p, f in zip(positional, sorted(truth))) < N_VAL // 2


def test_train_archive_counts_fixes_and_skips(prepared):
    train, _, _ = prepared
    w0, w1, w2 = TRAIN_WNIDS
    assert train.n_images == 3 * PER_CLASS + 2  # PNG and CMYK re-encoded, empty and truncated skipped
    assert dict(train.skipped) == {f"{w0}_90001.JPEG": "empty file",
                                   f"{w1}_90004.JPEG": "truncated or corrupt"}
    fixed = dict(map(tuple, train.backend.index["fixed"]))
    assert fixed == {f"{w0}_90002.JPEG": "png data re-encoded as JPEG",
                     f"{w0}_90003.JPEG": "CMYK JPEG re-encoded as RGB"}
    index = {w: i for i, w in enumerate(imagenet.wnids())}
    assert train.labels.tolist() == [index[f.split("_")[0]] for f in train.files]
    assert len(train.backend.index["shards"]) == 3  # 11 images, 4 per shard
    records = list(train.encoded().as_numpy_iterator())
    assert [label for _, label in records] == train.labels.tolist()
    assert all(image[:3] == b"\xff\xd8\xff" for image, _ in records)  # every record is a JPEG


def test_prepared_shards_feed_the_pipelines(prepared):
    train, val, _ = prepared
    available = Counter(train.labels.tolist())
    for cache in (True, False):  # bytes cached in memory; shards interleaved from disk
        first = list(data.train_dataset(train, 4, epoch=0, cache=cache).as_numpy_iterator())
        again = list(data.train_dataset(train, 4, epoch=0, cache=cache).as_numpy_iterator())
        assert len(first) == train.n_images // 4 and first[0][0].shape == (4, 224, 224, 3)
        for (x1, y1), (x2, y2) in zip(first, again):
            np.testing.assert_array_equal(x1, x2)
            np.testing.assert_array_equal(y1, y2)
        seen = Counter(np.concatenate([y for _, y in first]).tolist())
        assert all(n <= available[c] for c, n in seen.items())
    (images, labels), = list(data.eval_dataset(val, 32).as_numpy_iterator())
    assert images.shape == (N_VAL, 224, 224, 3) and labels.tolist() == val.labels.tolist()
    shard = val.select(shard=(1, 3))
    assert [y for _, y in shard.encoded().as_numpy_iterator()] == val.labels[1::3].tolist()


def test_missing_archive_is_one_clear_line(tmp_path, capsys):
    with pytest.raises(data.DataError) as err:
        data.get_source("imagenet2012", "val", data_dir=tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(Path(tmp_path, "imagenet2012", "ILSVRC2012_img_val.tar")) in message
    assert imagenet.main(["prepare", "--data-dir", str(tmp_path), "--splits", "val"]) == 1
    assert capsys.readouterr().out == f"error: {message}\n"
