"""Tiny ImageNet-200's official layout (alexnet.data.tiny_imagenet) on a miniature
fixture built in that exact layout: val labels from the annotations file, names
from words.txt, box files and extra classes ignored, one-line errors."""

import io

import numpy as np
import pytest
from PIL import Image

from alexnet import data
from alexnet.data import tiny_imagenet

WNIDS = tiny_imagenet.official_wnids()
CLASSES = WNIDS[:3]          # a miniature of the official 200
EXTRA = "n02480855"          # gorilla: a class one public copy adds


def _jpeg(colour) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """DATA_DIR/tiny-imagenet-200 with 3 official classes (2 train, 1 val image each) and one extra class."""
    root = tmp_path / "tiny-imagenet-200"
    words, annotations = [], []
    for c, wnid in enumerate(CLASSES + [EXTRA]):
        images = root / "train" / wnid / "images"
        images.mkdir(parents=True)
        (root / "train" / wnid / f"{wnid}_boxes.txt").write_text(f"{wnid}_0.JPEG\t0\t0\t63\t63\n")
        for i in range(2):
            (images / f"{wnid}_{i}.JPEG").write_bytes(_jpeg((40 * c, 10 * i, 0)))
        words.append(f"{wnid}\tname{c}, other name")
        annotations.append(f"val_{c}.JPEG\t{wnid}\t0\t0\t63\t63")
    (root / "val" / "images").mkdir(parents=True)
    for c in reversed(range(len(CLASSES) + 1)):      # annotation order is not label order
        (root / "val" / "images" / f"val_{c}.JPEG").write_bytes(_jpeg((0, 0, 40 * c)))
    (root / "val" / "val_annotations.txt").write_text("\n".join(reversed(annotations)) + "\n")
    (root / "words.txt").write_text("\n".join(words) + "\n")
    (root / "wnids.txt").write_text("\n".join(CLASSES + [EXTRA]) + "\n")
    monkeypatch.setattr(tiny_imagenet, "official_wnids", lambda: list(CLASSES))
    return root


def test_committed_wnids_are_the_official_200():
    assert len(WNIDS) == 200 == len(set(WNIDS))
    assert "n02504458" in WNIDS and "n02099601" in WNIDS      # African elephant, golden retriever
    assert "n02480855" not in WNIDS and "n10148035" not in WNIDS


def test_train_split_from_class_folders_boxes_and_extra_class_ignored(tiny_root):
    source = data.get_source("tiny_imagenet", "train", data_dir=tiny_root.parent)
    assert source.n_images == 6 and source.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert source.class_names == ["name0", "name1", "name2"]      # first name of each synset
    assert all(f.startswith(f"train/{CLASSES[label]}/images/") and f.endswith(".JPEG")
               for f, label in zip(source.files, source.labels))


def test_val_labels_come_from_the_annotations_file(tiny_root):
    source = data.get_source("tiny_imagenet", "val", data_dir=tiny_root.parent)
    assert source.files == ["val/images/val_0.JPEG", "val/images/val_1.JPEG", "val/images/val_2.JPEG"]
    assert source.labels.tolist() == [0, 1, 2]
    images = [img.numpy() for img, _ in source.images()]
    assert [int(np.argmax(img.mean((0, 1)))) for img in images[1:]] == [2, 2]   # the blue val images
    assert images[0].shape == (64, 64, 3)


def test_missing_folder_is_one_line_naming_where_to_get_it(tmp_path):
    with pytest.raises(data.DataError) as err:
        data.get_source("tiny_imagenet", "train", data_dir=tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "tiny-imagenet-200") in message
    assert "tiny-imagenet-200.zip" in message


def test_missing_class_folder_and_annotations_are_named(tiny_root):
    (tiny_root / "val" / "val_annotations.txt").unlink()
    with pytest.raises(data.DataError, match="no val/val_annotations.txt"):
        data.get_source("tiny_imagenet", "val", data_dir=tiny_root.parent)
    (tiny_root / "train" / CLASSES[1] / "images").rename(tiny_root / "train" / CLASSES[1] / "moved")
    with pytest.raises(data.DataError, match=f"training folder of class {CLASSES[1]}"):
        data.get_source("tiny_imagenet", "train", data_dir=tiny_root.parent)
    with pytest.raises(data.DataError, match="test/ is unlabelled"):
        data.get_source("tiny_imagenet", "test", data_dir=tiny_root.parent)


def test_class_subsets_are_nested_fixed_and_keep_their_labels():
    ten, fifty = tiny_imagenet.class_subset(10), tiny_imagenet.class_subset(50)
    assert len(set(ten)) == 10 and len(set(fifty)) == 50 and set(ten) <= set(fifty) <= set(WNIDS)
    assert fifty[:10] == ten                                   # class i keeps label i in every subset
    assert tiny_imagenet.class_subset(10) == ten               # the same classes in every run
    assert ten != WNIDS[:10]                                   # drawn, not the official file's order
    with pytest.raises(data.DataError, match=r"1\.\.200 classes, not 201$"):
        tiny_imagenet.class_subset(201)
    with pytest.raises(data.DataError, match=r"expected 'tiny_imagenet' or 'tiny_imagenet:N'"):
        data.get_source("tiny_imagenet:ten", "train")


def test_class_subset_source_holds_all_images_of_its_classes_and_their_val_images(tiny_root, monkeypatch):
    # The fixture's 3 classes stand in for the 200; the subset of 2 is their fixed permutation's first two.
    monkeypatch.setattr(tiny_imagenet, "class_subset", lambda n: [CLASSES[2], CLASSES[0]][:n])
    train = data.get_source("tiny_imagenet:2", "train", data_dir=tiny_root.parent)
    val = data.get_source("tiny_imagenet:2", "val", data_dir=tiny_root.parent)
    assert train.class_names == ["name2", "name0"] and val.class_names == train.class_names
    assert train.labels.tolist() == [0, 0, 1, 1] and val.labels.tolist() == [0, 1]
    assert all(f.startswith(f"train/{CLASSES[2]}/") for f in train.files[:2])
    assert val.files == ["val/images/val_2.JPEG", "val/images/val_0.JPEG"]
    # Disjoint from training: no val image is a training image of the subset.
    assert not set(val.files) & set(train.files)
