"""A2DReader on an A2D + A2D Sentences fixture with every quirk of FORMATS.md."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from helpers.dataset_files import (
    A2D_CLIP_COLOURS,
    A2D_H,
    A2D_W,
    a2d_mask,
    build_a2d,
    write_a2d_h5,
)

from refcat.datasets.a2d import A2DReader, actor_action, read_a2d_h5
from refcat.datasets.readers import open_reader
from refcat.datasets.records import ObjectRef
from refcat.errors import FormatError, MissingDataError, UsageError


@pytest.fixture(scope="module")
def a2d(tmp_path_factory):
    return build_a2d(tmp_path_factory.mktemp("a2d") / "A2D")


def test_actor_action_codes():
    assert actor_action(48) == ("bird", "walking")
    assert actor_action(11) == ("adult", "climbing")
    assert actor_action(79) == ("dog", "none")
    with pytest.raises(ValueError):
        actor_action(81)


def test_videos_splits_missed_and_clip_sizes(a2d):
    videos = {v.video_id: v for v in A2DReader(a2d).videos()}
    assert set(videos) == {"--h5fAKYurM", "-0cOo0cRVZU", "EadxBPmQvtg", "95Nq6fQoP2o", "T6bNPuKV-wY"}  # no MISSED
    pigeon = videos["--h5fAKYurM"]
    assert (pigeon.split, pigeon.n_frames) == ("train", 8)
    assert (pigeon.width, pigeon.height, pigeon.fps) == (A2D_W, A2D_H, 24.0)  # from the clip, not 1280x720
    assert pigeon.source.endswith("Release/clips320H/--h5fAKYurM.mp4")
    assert videos["EadxBPmQvtg"].source.endswith("Release/pngs320H/EadxBPmQvtg")
    assert (videos["EadxBPmQvtg"].width, videos["EadxBPmQvtg"].height) == (A2D_W, A2D_H)
    assert [v.video_id for v in open_reader("a2d", a2d, split="test").videos()] == ["-0cOo0cRVZU", "EadxBPmQvtg"]
    with pytest.raises(UsageError, match="val"):
        A2DReader(a2d, split="val")


def test_frames_from_clip_and_extracted_folder(a2d):
    reader = A2DReader(a2d)
    for index in (5, 2):
        frame = reader.frame("--h5fAKYurM", index)
        assert frame.shape == (A2D_H, A2D_W, 3)
        assert np.abs(frame.reshape(-1, 3).mean(axis=0) - A2D_CLIP_COLOURS[index]).max() < 12
    # Extracted frames are numbered from 1: frame index 1 is 00002.png.
    assert tuple(reader.frame("EadxBPmQvtg", 1)[0, 0]) == (80, 0, 0)
    with pytest.raises(MissingDataError, match=r"--h5fAKYurM\.mp4, frame 8"):
        reader.frame("--h5fAKYurM", 8)
    with pytest.raises(MissingDataError, match=r"00003\.png, frame 2"):
        reader.frame("EadxBPmQvtg", 2)
    reader.close()


def test_masks_are_transposed_and_frames_zero_based(a2d):
    reader = A2DReader(a2d)
    assert reader.annotated_frames("--h5fAKYurM") == [1, 5]  # files 00002.h5 and 00006.h5
    masks = reader.object_masks("--h5fAKYurM", 1)
    assert masks.void is None and sorted(masks.masks) == [0]
    assert masks.masks[0].shape == (A2D_H, A2D_W)
    np.testing.assert_array_equal(masks.masks[0], a2d_mask(10, 5, 20, 15))
    two = reader.object_masks("--h5fAKYurM", 5)
    assert sorted(two.masks) == [0, 1] and two.masks[1].sum() == 1 and two.masks[1][47, 63]
    one = reader.object_masks("-0cOo0cRVZU", 2)  # N = 1 kept as (1, W, H)
    np.testing.assert_array_equal(one.masks[0], a2d_mask(0, 0, 3, 1))


def test_h5_layouts_with_reBBox(a2d):
    folder = a2d / "a2d_annotation_with_instances"
    squeezed = read_a2d_h5(folder / "--h5fAKYurM/00002.h5", frame=1)  # reMask (W, H), reBBox (4,)
    assert squeezed.codes == {0: 48} and squeezed.file_boxes == {0: (10.0, 5.0, 20.0, 15.0)}
    two = read_a2d_h5(folder / "--h5fAKYurM/00006.h5", frame=5)  # reMask (N, W, H), reBBox (4, N)
    assert two.codes == {0: 48, 1: 41}
    assert two.file_boxes == {0: (12.0, 6.0, 22.0, 16.0), 1: (63.0, 47.0, 63.0, 47.0)}
    assert two.problems == ()


def test_objects_boxes_classes_actions(a2d):
    reader = A2DReader(a2d)
    bird, pixel = reader.objects("--h5fAKYurM")
    assert (bird.object_id, bird.category, bird.boxes) == (0, "bird", {1: (10, 5, 20, 15), 5: (12, 6, 22, 16)})
    assert (pixel.object_id, pixel.category, pixel.boxes) == (1, "bird", {5: (63, 47, 63, 47)})
    assert reader.actions("--h5fAKYurM") == {0: "walking", 1: "climbing"}
    assert reader.problems == []
    # No annotated frames, but a sentence refers to instance 0: listed without boxes or class.
    assert reader.objects("T6bNPuKV-wY") == [ObjectRef("a2d", "T6bNPuKV-wY", 0, None, {})]
    assert reader.actions("T6bNPuKV-wY") == {}
    assert reader.problems == [f"{a2d}/a2d_annotation_with_instances/T6bNPuKV-wY: instance 0 has sentences but no mask"]


def test_known_bad_frames_are_reported_not_fatal(a2d, caplog):
    reader = A2DReader(a2d)
    with caplog.at_level(logging.WARNING):
        objects = reader.objects("EadxBPmQvtg")
    assert [(o.object_id, o.category, o.boxes) for o in objects] == [
        (0, "adult", {24: (0, 0, 1, 1)}),
        (1, "dog", {24: (5, 5, 6, 6)}),  # the first mask of the repeated instance
    ]
    assert reader.actions("EadxBPmQvtg") == {0: "climbing", 1: "jumping"}
    assert [(o.object_id, o.boxes) for o in reader.objects("95Nq6fQoP2o")] == [(0, {31: (2, 2, 4, 4)})]
    assert len(reader.problems) == 2
    assert "00025.h5, frame 24: instance 1 is repeated" in reader.problems[0]
    assert "00032.h5, frame 31: 2 masks for 1 instances" in reader.problems[1]
    assert "instance 1 is repeated" in caplog.text
    reader.object_masks("EadxBPmQvtg", 24)
    assert len(reader.problems) == 2  # reported once


def test_sentences(a2d, caplog):
    with caplog.at_level(logging.WARNING):
        instances = list(A2DReader(a2d).instances())
    assert [(i.video_id, i.object_id, i.source, i.text) for i in instances] == [
        ("--h5fAKYurM", 0, "sentence0", "the pigeon is limping"),
        ("--h5fAKYurM", 1, "sentence0", "a Bird standing still"),  # whitespace normalised, case kept
        ("--h5fAKYurM", 0, "sentence1", "pigeon walking, then stopping"),  # quoted comma
        ("-0cOo0cRVZU", 0, "sentence0", "player in blue shirt passing a basketball on left"),
        ("T6bNPuKV-wY", 0, "sentence0", "man running"),  # the `1 (copy)` row is dropped
        ("EadxBPmQvtg", 1, "sentence0", "dog jumping"),
    ]  # MISSEDvid01 is skipped
    assert "1 (copy)" in caplog.text and "line 7" in caplog.text
    assert instances[2].key == "a2d/--h5fAKYurM/0/sentence1"
    test = [i.key for i in A2DReader(a2d, split="test").instances()]
    assert test == ["a2d/-0cOo0cRVZU/0/sentence0", "a2d/EadxBPmQvtg/1/sentence0"]


def test_short_query_column_and_unquoted_comma(tmp_path):
    root = build_a2d(tmp_path / "A2D")
    (root / "a2d_annotation.txt").write_text(
        "video_id,instance_id,query,short_query\n"
        "--h5fAKYurM,0,the pigeon is limping,pigeon\n"
        '--h5fAKYurM,1,"a bird, small",bird\n'
        "-0cOo0cRVZU,0,player in blue\n"
    )
    assert [i.text for i in A2DReader(root).instances()] == ["the pigeon is limping", "a bird, small", "player in blue"]
    (root / "a2d_annotation.txt").write_text("video_id,instance_id,query\n--h5fAKYurM,0,red, white and blue bird\n")
    assert [i.text for i in A2DReader(root).instances()] == ["red, white and blue bird"]


def test_construction_reads_only_index_files(tmp_path):
    root = build_a2d(tmp_path / "A2D")
    (root / "a2d_annotation.txt").write_text("not,the,header\n")
    for path in root.glob("a2d_annotation_with_instances/*/*.h5"):
        path.write_bytes(b"broken")
    reader = A2DReader(root)
    assert reader.annotated_frames("--h5fAKYurM") == [1, 5]
    with pytest.raises(FormatError, match=r"00002\.h5, frame 1: cannot read HDF5"):
        reader.objects("--h5fAKYurM")
    with pytest.raises(FormatError, match=r"a2d_annotation\.txt, line 1.*video_id,instance_id,query"):
        list(reader.instances())


def test_malformed_input_names_file_line_and_frame(tmp_path):
    root = build_a2d(tmp_path / "A2D")
    h5 = root / "a2d_annotation_with_instances/--h5fAKYurM/00006.h5"
    write_a2d_h5(h5, [0, 1], [a2d_mask(1, 1, 2, 2)] * 2, [48, 41], drop="reMask")
    reader = A2DReader(root)
    with pytest.raises(FormatError, match=r"00006\.h5, frame 5: missing key 'reMask'.*expected HDF5 keys"):
        reader.object_masks("--h5fAKYurM", 5)
    write_a2d_h5(h5, [0, 1], [a2d_mask(1, 1, 2, 2)], [48, 41])
    with pytest.raises(FormatError, match="reMask holds 1 entries for 2 instances"):
        read_a2d_h5(h5)
    write_a2d_h5(h5, [0], [a2d_mask(1, 1, 2, 2)], [83])
    with pytest.raises(FormatError, match="unknown actor-action code 83"):
        read_a2d_h5(h5)
    with pytest.raises(MissingDataError, match=r"00004\.h5, frame 3"):
        reader.object_masks("--h5fAKYurM", 3)
    (root / "a2d_annotation.txt").write_text("video_id,instance_id,query\n--h5fAKYurM,0,ok\n--h5fAKYurM,x,bad id\n")
    with pytest.raises(FormatError, match=r"a2d_annotation\.txt, line 3: instance_id 'x'"):
        list(reader.instances())
    (root / "a2d_annotation.txt").write_text("video_id,instance_id,query\n--h5fAKYurM,0\n")
    with pytest.raises(FormatError, match=r"line 2: 2 columns"):
        list(reader.instances())
    (root / "Release/videoset.csv").write_text("--h5fAKYurM,41,1.0,5.5,720,1280,8,2,0\nabc,41,1,2,3,4,5,6\n")
    with pytest.raises(FormatError, match=r"videoset\.csv, line 2.*9 columns"):
        A2DReader(root)
