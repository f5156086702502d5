"""DavisReader on a DAVIS-2017-format fixture with every quirk of FORMATS.md."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.dataset_files import (
    DAVIS_H,
    DAVIS_W,
    build_davis,
    davis_labels,
    write_palette_png,
)

from refcat.datasets.davis import DavisReader
from refcat.datasets.readers import open_reader
from refcat.errors import FormatError, MissingDataError, UsageError


@pytest.fixture
def davis(tmp_path):
    return build_davis(tmp_path / "DAVIS")


def test_splits_from_image_sets(davis):
    assert [v.video_id for v in DavisReader(davis, split="val").videos()] == ["blackswan", "classic-car", "motorbike"]
    assert [v.video_id for v in DavisReader(davis, split="train").videos()] == ["dogs-scale"]
    everything = DavisReader(davis).videos()
    assert {v.video_id: v.split for v in everything} == {
        "dogs-scale": "train",
        "blackswan": "val",
        "classic-car": "val",
        "motorbike": "val",
    }  # "not-listed" has frames but is in no ImageSets file
    with pytest.raises(UsageError, match="test"):
        DavisReader(davis, split="test")


def test_without_image_sets_every_folder_is_a_video(tmp_path):
    root = build_davis(tmp_path / "D", image_sets=False)
    assert [v.video_id for v in DavisReader(root).videos()] == [
        "blackswan",
        "classic-car",
        "dogs-scale",
        "motorbike",
        "not-listed",
    ]


def test_video_record(davis):
    video = DavisReader(davis, split="val").videos()[0]
    assert (video.dataset, video.video_id, video.split) == ("davis", "blackswan", "val")
    assert (video.n_frames, video.width, video.height, video.fps) == (3, DAVIS_W, DAVIS_H, 24.0)
    assert video.source.endswith("JPEGImages/480p/blackswan")


def test_frames_and_masks(davis):
    reader = DavisReader(davis)
    frame = reader.frame("blackswan", 2)
    assert frame.shape == (DAVIS_H, DAVIS_W, 3)
    assert np.abs(frame.reshape(-1, 3).mean(axis=0) - (40, 100, 200)).max() < 6
    assert reader.annotated_frames("blackswan") == [0, 1, 2]
    masks = reader.object_masks("blackswan", 0)
    assert sorted(masks.masks) == [1]
    assert masks.masks[1].sum() == 4 * 7 and masks.masks[1][2, 3] and not masks.masks[1][1, 3]
    assert masks.void.sum() == DAVIS_W and masks.void[0].all()  # 255 is void, not an object
    assert reader.object_masks("blackswan", 1).void.sum() == 0


def test_objects_boxes_and_classes(davis):
    reader = DavisReader(davis)
    (swan,) = reader.objects("blackswan")
    assert (swan.object_id, swan.category) == (1, "bird")
    assert swan.boxes == {0: (3, 2, 9, 5), 1: (3, 3, 9, 6), 2: (3, 4, 9, 7)}
    car, dot = reader.objects("classic-car")
    assert car.boxes == {0: (20, 10, 30, 11), 1: (20, 10, 30, 11), 2: (20, 10, 30, 11)}
    assert (dot.object_id, dot.category, dot.frames) == (2, "car", [0, 2])  # absent from frame 1
    assert dot.boxes[0] == (5, 15, 5, 15)
    ids = [(o.object_id, o.category) for o in reader.objects("dogs-scale")]
    assert ids == [(1, "dog"), (3, None)]  # id 3 has no class in davis_semantics.json


def test_object_with_expressions_but_no_mask_is_listed(davis, caplog):
    path = davis / "davis_text_annotations/Davis17_annot1.txt"
    path.write_bytes(path.read_bytes() + b'dog-scale 2 "a dog hidden all along"\n')
    reader = DavisReader(davis)
    assert [(o.object_id, o.category, o.boxes) for o in reader.objects("motorbike")] == [
        (1, None, {0: (4, 4, 4, 4), 1: (4, 4, 4, 4)})
    ]
    assert [(o.object_id, o.boxes) for o in reader.objects("dogs-scale")] == [
        (1, {0: (0, 0, 1, 23), 1: (0, 0, 1, 23)}),
        (2, {}),
        (3, {0: (8, 5, 8, 6), 1: (8, 5, 8, 6)}),
    ]
    assert "object 2 of dogs-scale has expressions but no mask" in caplog.text


def test_classes_unknown_without_semantics(tmp_path):
    root = build_davis(tmp_path / "D", semantics=False)
    assert [o.category for o in DavisReader(root).objects("classic-car")] == [None, None]


def test_instances_encodings_typos_and_split_filter(davis):
    val = {(i.video_id, i.object_id, i.source): i.text for i in DavisReader(davis, split="val").instances()}
    assert val == {
        ("blackswan", 1, "annot1"): "a black feathered swan",
        ("classic-car", 1, "annot1"): "a red classic car",  # clasic-car -> classic-car
        ("classic-car", 2, "annot1"): "a tiny naïve dot",  # UTF-8
        ("motorbike", 1, "annot1"): "a motorbike",  # motor-bike -> motorbike
        ("blackswan", 1, "annot1_full_video"): "a swan swimming",
        ("classic-car", 1, "annot1_full_video"): "car parked",
        ("blackswan", 1, "annot2"): "swan near the café",  # Latin-1 byte \xe9
        ("motorbike", 1, "annot2"): "bike in the  street",
    }  # annot2_full_video is missing: fewer instances, no error
    train = list(DavisReader(davis, split="train").instances())
    assert [(i.video_id, i.text) for i in train] == [("dogs-scale", "a dog on the left")]  # dog-scale fixed
    assert train[0].key == "davis/dogs-scale/1/annot1"


def test_repeated_expression_keeps_the_first(davis, caplog):
    path = davis / "davis_text_annotations/Davis17_annot1.txt"
    path.write_bytes(path.read_bytes() + b'blackswan 1 "a second one"\n')
    texts = [i.text for i in DavisReader(davis, split="val").instances() if i.key == "davis/blackswan/1/annot1"]
    assert texts == ["a black feathered swan"]
    assert "line 6: second expression for blackswan object 1 ignored" in caplog.text


def test_unsupervised_annotations_folder(tmp_path):
    root = build_davis(tmp_path / "D", annotations="Annotations_unsupervised")
    reader = DavisReader(root, annotations="Annotations_unsupervised")
    np.testing.assert_array_equal(reader.labels("classic-car", 0), davis_labels("classic-car", 0))
    assert DavisReader(root).annotated_frames("classic-car") == []  # Annotations/ is absent


def test_demo_is_davis_format_under_its_own_name(davis):
    reader = open_reader("demo", davis, split="val")
    assert isinstance(reader, DavisReader) and reader.dataset == "demo"
    assert {v.dataset for v in reader.videos()} == {"demo"}
    assert next(iter(reader.instances())).key == "demo/blackswan/1/annot1"
    with pytest.raises(UsageError, match="kitti"):
        open_reader("kitti", davis)


def test_construction_reads_only_index_files(davis):
    # Corrupt every mask and frame: construction and the RE files still work; decoding fails on request.
    for path in list(davis.glob("Annotations/480p/*/*.png")) + list(davis.glob("JPEGImages/480p/*/*.jpg")):
        path.write_bytes(b"broken")
    reader = DavisReader(davis)
    assert len(list(reader.instances())) == 9
    with pytest.raises(FormatError, match=r"blackswan/00000\.png, frame 0: cannot decode PNG"):
        reader.objects("blackswan")


def test_malformed_input_names_file_line_and_frame(davis):
    reader = DavisReader(davis)
    with pytest.raises(MissingDataError, match=r"blackswan/00007\.jpg, frame 7"):
        reader.frame("blackswan", 7)
    with pytest.raises(MissingDataError, match=r"blackswan/00009\.png, frame 9"):
        reader.object_masks("blackswan", 9)
    with pytest.raises(MissingDataError, match="unknown video"):
        reader.frame("no-such-seq", 0)
    path = davis / "Annotations/480p/blackswan/00001.png"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(FormatError, match=r"00001\.png, frame 1.*palette PNG"):
        reader.object_masks("blackswan", 1)
    (davis / "davis_text_annotations/Davis17_annot1.txt").write_text('blackswan 1 "ok"\nblackswan "no id"\n')
    with pytest.raises(FormatError, match=r"Davis17_annot1\.txt, line 2.*<seq> <obj_id>"):
        list(reader.instances())
    (davis / "davis_text_annotations/Davis17_annot1.txt").write_bytes(b'blackswan 1 "ok"\nblackswan 1 "caf\xe9"\n')
    with pytest.raises(FormatError, match=r"Davis17_annot1\.txt, line 2.*utf-8"):
        list(reader.instances())


def test_rgb_mask_is_refused(davis):
    from PIL import Image

    Image.new("RGB", (DAVIS_W, DAVIS_H), (128, 0, 0)).save(davis / "Annotations/480p/motorbike/00000.png")
    with pytest.raises(FormatError, match="mode RGB"):
        DavisReader(davis).object_masks("motorbike", 0)
    write_palette_png(davis / "Annotations/480p/motorbike/00000.png", davis_labels("motorbike", 0))
    assert DavisReader(davis).objects("motorbike")[0].boxes == {0: (4, 4, 4, 4), 1: (4, 4, 4, 4)}
