"""Sources: class-folder listing on the real datasets, odd and corrupt files, layout
errors, subsets and shards (alexnet.data.sources / folders / checks)."""

import io
import json
import logging
import shutil

import numpy as np
import pytest
from PIL import Image

from alexnet import data
from alexnet.data.common import LAYOUT

IMAGENETTE = {"train": 9469, "val": 3925}
CIFAR10 = {"train": 50000, "test": 10000}
GREY = "imagenette2-224/val/n01440764/n01440764_15560.JPEG"  # one of the 242 greyscale files


def _check_labels_match_folders(paths, labels, classes):
    folders = [p.split("/")[-2] for p in paths]
    assert folders == [classes[i] for i in labels]


@pytest.mark.parametrize("split", ["train", "val"])
def test_imagenette_listing_counts(data_dir, split):
    paths, labels, classes = data.list_files(data_dir / "imagenette2-224", split)
    assert len(paths) == IMAGENETTE[split] and labels.dtype == np.int64
    assert classes == sorted(classes) and len(classes) == 10 and classes[0] == "n01440764"
    _check_labels_match_folders(paths, labels, classes)


def test_cifar10_sources_and_val_is_test(data_dir):
    train = data.get_source("cifar10", "train", data_dir=data_dir)
    val = data.get_source("cifar10", "val", data_dir=data_dir)
    assert (train.n_images, val.n_images) == (CIFAR10["train"], CIFAR10["test"])
    assert np.bincount(train.labels).tolist() == [5000] * 10
    assert np.bincount(val.labels).tolist() == [1000] * 10
    assert val.class_names == train.class_names and train.class_names[0] == "airplane"
    assert all(f.startswith("test/") for f in val.files[:5]) and not val.skipped


def test_imagenette_source_info_is_stable_provenance(data_dir):
    a = data.get_source("imagenette", "val", data_dir=data_dir)
    b = data.get_source("imagenette", "val", data_dir=data_dir)
    assert a.fingerprint == b.fingerprint and a.fingerprint["n_files"] == IMAGENETTE["val"]
    info = json.loads(json.dumps(a.info()))
    assert info["n_images"] == IMAGENETTE["val"] and info["n_classes"] == 10 and info["n_skipped"] == 0
    assert info["root"].endswith("imagenette2-224")


def test_greyscale_jpeg_becomes_three_identical_channels(data_dir, tmp_path):
    (tmp_path / "train" / "grey").mkdir(parents=True)
    shutil.copy(data_dir / GREY, tmp_path / "train" / "grey" / "g.JPEG")
    assert Image.open(data_dir / GREY).mode == "L"
    source = data.get_source(f"folder:{tmp_path}", "train")
    (image, label), = list(source.images().as_numpy_iterator())
    assert image.shape == (224, 224, 3) and image.std() > 0
    np.testing.assert_array_equal(image[..., 0], image[..., 1])
    np.testing.assert_array_equal(image[..., 0], image[..., 2])


def _odd_files(folder, jpeg_bytes):
    """Writes one good JPEG and the odd cases; returns the original RGB pixels."""
    rgb = np.asarray(Image.open(io.BytesIO(jpeg_bytes)).convert("RGB"))
    (folder / "good.JPEG").write_bytes(jpeg_bytes)
    (folder / "empty.JPEG").write_bytes(b"")
    (folder / "truncated.JPEG").write_bytes(jpeg_bytes[:len(jpeg_bytes) // 2])
    (folder / "text.jpg").write_bytes(b"not an image at all, just text\n" * 10)
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, "PNG")
    (folder / "png_named.JPEG").write_bytes(png.getvalue())
    cmyk = io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(cmyk, "JPEG", quality=95)
    (folder / "cmyk.JPEG").write_bytes(cmyk.getvalue())
    return rgb


def test_corrupt_files_are_skipped_named_and_odd_ones_decoded(data_dir, tmp_path, caplog):
    folder = tmp_path / "train" / "n01440764"
    folder.mkdir(parents=True)
    good = sorted((data_dir / "imagenette2-224/train/n01440764").glob("n*.JPEG"))[0].read_bytes()
    rgb = _odd_files(folder, good)
    with caplog.at_level(logging.WARNING, logger="alexnet.data"):
        source = data.get_source(f"folder:{tmp_path}", "train")
    assert source.files == ["train/n01440764/cmyk.JPEG", "train/n01440764/good.JPEG",
                            "train/n01440764/png_named.JPEG"]
    skipped = dict(source.skipped)
    assert set(skipped) == {f"train/n01440764/{n}" for n in ("empty.JPEG", "text.jpg", "truncated.JPEG")}
    assert skipped["train/n01440764/empty.JPEG"] == "empty file"
    assert skipped["train/n01440764/truncated.JPEG"] == "truncated or corrupt"
    warning = [r.getMessage() for r in caplog.records if "skipped 3" in r.getMessage()]
    assert len(warning) == 1 and "truncated.JPEG" in warning[0] and "\n" not in warning[0]
    assert source.info()["n_skipped"] == 3

    images = dict(zip(source.files, (img for img, _ in source.images().as_numpy_iterator())))
    np.testing.assert_array_equal(images["train/n01440764/png_named.JPEG"], rgb)  # PNG is lossless
    assert np.abs(images["train/n01440764/cmyk.JPEG"].astype(int) - rgb).mean() < 3  # colours kept
    # The whole pipeline runs over them, crops and all, without an error.
    batches = list(data.train_dataset(source, 3, seed=1).as_numpy_iterator())
    assert len(batches) == 1 and batches[0][0].shape == (3, 224, 224, 3)
    (ten, labels), = list(data.eval_dataset(source, 8, ten_crop=True).as_numpy_iterator())
    assert ten.shape == (3, 10, 224, 224, 3) and labels.tolist() == [0, 0, 0]


def _error(name, split="train", **kw):
    with pytest.raises(data.DataError) as err:
        data.get_source(name, split, **kw)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_layout_errors_are_one_clear_line(tmp_path):
    missing = _error(f"folder:{tmp_path / 'nope'}")
    assert "does not exist" in missing and LAYOUT in missing
    (tmp_path / "val" / "a").mkdir(parents=True)
    (tmp_path / "val" / "a" / "x.jpg").write_bytes(b"")
    no_split = _error(f"folder:{tmp_path}")
    assert "no 'train' split folder" in no_split and "found: val" in no_split and LAYOUT in no_split
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "loose.jpg").write_bytes(b"")
    flat = _error(f"folder:{tmp_path}")
    assert "holds no class folders" in flat and LAYOUT in flat
    (tmp_path / "train" / "b").mkdir()
    (tmp_path / "train" / "b" / "notes.txt").write_text("no images here")
    empty = _error(f"folder:{tmp_path}")
    assert f"class folder {tmp_path / 'train' / 'b'} holds no .jpg/.jpeg/.png images" in empty
    assert "unknown dataset 'mnist'" in _error("mnist")


def test_missing_local_copy_is_one_line_and_never_downloads(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def offline(name, **kw):
        raise ConnectionError("Failed to resolve 'www.cs.toronto.edu'")

    monkeypatch.setattr(tfds, "builder", offline)
    assert _error("cifar10", data_dir=tmp_path) == (
        f"dataset 'cifar10': no local copy in {tmp_path} (looked for cifar10/, cifar-10/; layout "
        "<folder>/<split>/<class>/*.jpg) and the automatic download is off (DATA_AUTO_DOWNLOAD=0); set DATA_DIR "
        "to the folder holding one, or use dataset='tfds:cifar10' on a machine with internet")
    # Asked for, the download is tried, and its failure is one line too.
    assert "could not download/prepare 'cifar10': Failed to resolve" in _error("tfds:cifar10", data_dir=tmp_path)


def test_offline_the_missing_copy_fails_fast_with_one_line(tmp_path, monkeypatch):
    import socket
    import time
    tried = []

    def unreachable(address, timeout):
        tried.append((address, timeout))
        raise OSError("Network is unreachable")

    from alexnet.data import tfds_source
    tfds_source._reachable.cache_clear()
    monkeypatch.setenv("DATA_AUTO_DOWNLOAD", "1")
    monkeypatch.setattr(socket, "create_connection", unreachable)
    start = time.time()
    err = _error("imagenette", data_dir=tmp_path)
    assert time.time() - start < 30
    assert tried == [(("s3.amazonaws.com", 443), 5.0)]
    assert "no local copy" in err and "and no connection to s3.amazonaws.com within 5 s (offline?)" in err
    assert _error("imagenette", "val", data_dir=tmp_path) and len(tried) == 1      # asked once a process


def test_without_a_local_copy_the_tfds_path_is_taken_by_itself(tmp_path, monkeypatch):
    import socket
    import tensorflow_datasets as tfds

    class Connection:
        def close(self):
            pass

    from alexnet.data import tfds_source
    tfds_source._reachable.cache_clear()
    monkeypatch.setenv("DATA_AUTO_DOWNLOAD", "1")
    monkeypatch.setattr(socket, "create_connection", lambda address, timeout: Connection())
    with tfds.testing.mock_data(num_examples=24):
        source = data.get_source("cifar10", "train", data_dir=tmp_path)
        assert source.n_images == 24 and len(source.class_names) == 10
        images = [x for x, *_ in source.stream().take(2).as_numpy_iterator()]
        assert len(images) == 2


def test_tfds_data_feed_the_pipeline(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):  # stands in for the download
        source = data.get_source("tfds:cifar10", "val", data_dir=tmp_path)
        assert source.n_images == 12 and source.files[0] == "test/0" and len(source.class_names) == 10
        labels = [label for _, label in source.encoded().as_numpy_iterator()]
        assert labels == source.labels.tolist()
        batches = list(data.train_dataset(source, 4, image_size=28, resize=32).as_numpy_iterator())
        assert len(batches) == 3 and batches[0][0].shape == (4, 28, 28, 3)
        assert source.select(shard=(0, 2)).labels.tolist() == labels[::2]


def test_val_falls_back_to_test_folder(data_dir, tmp_path):
    for split in ("train", "test"):
        (tmp_path / split / "c").mkdir(parents=True)
        shutil.copy(data_dir / GREY, tmp_path / split / "c" / "g.JPEG")
    val = data.get_source(f"folder:{tmp_path}", "val")
    assert val.files == ["test/c/g.JPEG"]


def test_balanced_subset_is_balanced_deterministic_and_nested():
    labels = np.repeat(np.arange(4), [100, 40, 7, 1])
    subsets = {f: data.balanced_subset(labels, f, seed=3) for f in (0.05, 0.1, 0.5, 1.0)}
    for f, idx in subsets.items():
        expected = [max(1, int(np.floor(f * n + 0.5))) for n in (100, 40, 7, 1)]
        assert np.bincount(labels[idx], minlength=4).tolist() == expected
        assert np.all(np.diff(idx) > 0)
    assert set(subsets[0.05]) <= set(subsets[0.1]) <= set(subsets[0.5]) <= set(subsets[1.0])
    assert len(subsets[1.0]) == len(labels)
    np.testing.assert_array_equal(subsets[0.1], data.balanced_subset(labels, 0.1, seed=3))
    assert not np.array_equal(subsets[0.5], data.balanced_subset(labels, 0.5, seed=4))
    with pytest.raises(data.DataError):
        data.balanced_subset(labels, 0.0, seed=0)


def test_indices_and_shards_select_the_right_images(data_dir):
    full = data.get_source("imagenette", "val", data_dir=data_dir)
    idx = data.balanced_subset(full.labels, 0.01, seed=0)
    sub = data.get_source("imagenette", "val", data_dir=data_dir, indices=idx)
    assert sub.n_images == len(idx) and sub.files == [full.files[i] for i in idx]
    np.testing.assert_array_equal(sub.labels, full.labels[idx])
    assert sub.fingerprint["n_files"] == len(idx) and sub.fingerprint != full.fingerprint
    shards = [sub.select(shard=(i, 3)) for i in range(3)]
    assert sorted(f for s in shards for f in s.files) == sorted(sub.files)
    assert shards[1].files == sub.files[1::3]
    assert shards[1].selection == {"indices": len(idx), "shard": [1, 3]}
    encoded = list(shards[1].encoded().as_numpy_iterator())
    assert [label for _, label in encoded] == shards[1].labels.tolist()
    assert encoded[0][0] == (data_dir / "imagenette2-224" / shards[1].files[0]).read_bytes()
    with pytest.raises(data.DataError, match="indices must lie in"):
        full.select([full.n_images])
