"""Low-level decoding: palette PNG indices, frames, MP4 clips, boxes, drawing."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.dataset_files import write_mp4, write_palette_png
from PIL import Image

from refcat.datasets.media import (
    VideoClip,
    box_from_mask,
    draw_box,
    masks_from_labels,
    read_label_png,
    read_rgb_image,
)
from refcat.errors import FormatError, MissingDataError


def test_palette_png_gives_index_values_not_colours(tmp_path):
    labels = np.zeros((6, 8), np.uint8)
    labels[1:3, 2:5] = 1
    labels[4, 7] = 2
    labels[5, 0] = 255
    write_palette_png(tmp_path / "m.png", labels)
    # The palette maps 1 -> (128, 0, 0): an RGB or luminance read would not give 1.
    assert Image.open(tmp_path / "m.png").convert("RGB").getpixel((2, 1)) == (128, 0, 0)
    got = read_label_png(tmp_path / "m.png")
    assert got.dtype == np.uint8 and got.shape == (6, 8)
    np.testing.assert_array_equal(got, labels)


def test_non_palette_png_is_refused_unless_grayscale_allowed(tmp_path):
    Image.new("RGB", (4, 4), (128, 0, 0)).save(tmp_path / "rgb.png")
    with pytest.raises(FormatError, match=r"rgb\.png.*mode RGB.*palette"):
        read_label_png(tmp_path / "rgb.png")
    Image.fromarray(np.full((3, 3), 2, np.uint8), mode="L").save(tmp_path / "gray.png")
    with pytest.raises(FormatError):
        read_label_png(tmp_path / "gray.png")
    assert read_label_png(tmp_path / "gray.png", allow_grayscale=True)[0, 0] == 2


def test_truncated_png_names_file_and_frame(tmp_path):
    labels = (np.arange(40 * 50) % 7).astype(np.uint8).reshape(40, 50)
    write_palette_png(tmp_path / "full.png", labels)
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "00003.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError) as err:
        read_label_png(tmp_path / "00003.png", frame=3)
    assert "00003.png" in str(err.value) and "frame 3" in str(err.value) and "palette PNG" in str(err.value)


def test_missing_png_is_missing_data(tmp_path):
    with pytest.raises(MissingDataError, match=r"nope\.png.*frame 4"):
        read_label_png(tmp_path / "nope.png", frame=4)


def test_jpeg_frame_is_rgb(tmp_path):
    Image.new("RGB", (10, 6), (200, 40, 10)).save(tmp_path / "f.jpg", quality=95)
    frame = read_rgb_image(tmp_path / "f.jpg")
    assert frame.shape == (6, 10, 3) and frame.dtype == np.uint8
    assert np.abs(frame.astype(int) - (200, 40, 10)).max() <= 4
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(FormatError, match=r"bad\.jpg"):
        read_rgb_image(tmp_path / "bad.jpg")


def test_box_is_inclusive():
    mask = np.zeros((5, 6), bool)
    mask[3, 4] = True
    assert box_from_mask(mask) == (4, 3, 4, 3)
    mask[1:3, 0:2] = True  # rows 1..2, cols 0..1
    assert box_from_mask(mask) == (0, 1, 4, 3)
    assert box_from_mask(np.zeros((2, 2), bool)) is None


def test_masks_from_labels_skips_background_and_void():
    labels = np.array([[0, 1, 255], [2, 2, 0]], np.uint8)
    masks = masks_from_labels(labels)
    assert sorted(masks) == [1, 2]
    np.testing.assert_array_equal(masks[2], [[False, False, False], [True, True, False]])


COLOURS = [
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (128, 128, 128),
    (20, 20, 20),
]


def test_mp4_frames_by_index(tmp_path):
    path = tmp_path / "clip.mp4"
    write_mp4(path, COLOURS)
    clip = VideoClip(path, cache_size=2)
    assert clip.info()[:2] == (64, 48)
    for index in (5, 1, 7, 0, 5):  # backwards access restarts decoding
        frame = clip.frame(index)
        assert frame.shape == (48, 64, 3)
        assert np.abs(frame.reshape(-1, 3).mean(axis=0) - COLOURS[index]).max() < 12, index
    with pytest.raises(MissingDataError, match=r"clip\.mp4, frame 8: the clip has only 8 frames"):
        clip.frame(8)
    assert np.abs(clip.frame(2).mean(axis=(0, 1)) - COLOURS[2]).max() < 12
    clip.close()


def test_broken_mp4_is_format_error(tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all" * 10)
    with pytest.raises(FormatError, match=r"bad\.mp4"):
        VideoClip(tmp_path / "bad.mp4").frame(0)
    with pytest.raises(MissingDataError, match=r"absent\.mp4"):
        VideoClip(tmp_path / "absent.mp4")


def test_draw_box_outlines_inclusive_box():
    frame = np.zeros((40, 60, 3), np.uint8)
    out = draw_box(frame, (10, 12, 20, 30), color=(0, 255, 0), width=1)
    assert frame.max() == 0  # the input is untouched
    for x, y in [(10, 12), (20, 30), (15, 12), (10, 20), (20, 25)]:
        assert tuple(out[y, x]) == (0, 255, 0), (x, y)
    assert tuple(out[20, 15]) == (0, 0, 0)  # inside
    assert tuple(out[31, 21]) == (0, 0, 0)  # just outside the inclusive corner
    labelled = draw_box(frame, (10, 25, 20, 30), label="dog 1", color=(0, 255, 0), width=1)
    above = labelled[:25]
    assert (above == (0, 255, 0)).all(axis=2).sum() > 20  # the label's background sits above the box
