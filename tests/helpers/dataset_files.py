"""Builders of small datasets in the real on-disk formats (docs/formats.md), for tests/test_datasets_*.py.

Each builder writes into a folder the test gives (tmp_path) and returns what the test needs to
check values by hand.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from PIL import Image

# The DAVIS palette's first colours: index 1 is dark red, 2 green, 3 olive; 255 (void) is near-white.
PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0, 0, 0] * 251 + [224, 224, 192]


def write_palette_png(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette(PALETTE)
    image.save(path)


def write_jpeg(path: Path, rgb: tuple[int, int, int], size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, rgb).save(path, quality=95)


def write_mp4(path: Path, colours: list[tuple[int, int, int]], width: int = 64, height: int = 48) -> None:
    """A real H.264 MP4 whose frame i is a solid `colours[i]`, written with PyAV."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "10", "preset": "ultrafast"}
        for colour in colours:
            array = np.zeros((height, width, 3), np.uint8)
            array[:] = colour
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


# ---------------------------------------------------------------- DAVIS

DAVIS_W, DAVIS_H = 32, 24
DAVIS_SPLITS = {"train": ["dogs-scale"], "val": ["blackswan", "classic-car", "motorbike"]}
DAVIS_N_FRAMES = {"blackswan": 3, "classic-car": 3, "dogs-scale": 2, "motorbike": 2, "not-listed": 1}


def davis_labels(seq: str, index: int) -> np.ndarray:
    """The hand-made mask of each annotated frame (H, W) uint8."""
    labels = np.zeros((DAVIS_H, DAVIS_W), np.uint8)
    if seq == "blackswan":
        labels[2 + index : 6 + index, 3:10] = 1  # rows 2+i..5+i, cols 3..9
        if index == 0:
            labels[0, :] = 255  # a void row
    elif seq == "classic-car":
        labels[10:12, 20:31] = 1  # rows 10..11, cols 20..30
        if index != 1:
            labels[15, 5] = 2  # one pixel, absent from frame 1
    elif seq == "dogs-scale":
        labels[0:DAVIS_H, 0:2] = 1
        labels[5:7, 8:9] = 3
    elif seq == "motorbike":
        labels[4:5, 4:5] = 1
    return labels


def build_davis(
    root: Path,
    annotations: str = "Annotations",
    image_sets: bool = True,
    semantics: bool = True,
    re_files: bool = True,
) -> Path:
    for seq, n in DAVIS_N_FRAMES.items():
        for index in range(n):
            write_jpeg(root / "JPEGImages/480p" / seq / f"{index:05d}.jpg", (20 * index, 100, 200), (DAVIS_W, DAVIS_H))
            write_palette_png(root / annotations / "480p" / seq / f"{index:05d}.png", davis_labels(seq, index))
    if image_sets:
        sets = root / "ImageSets/2017"
        sets.mkdir(parents=True)
        for split, seqs in DAVIS_SPLITS.items():
            (sets / f"{split}.txt").write_text("".join(s + "\n" for s in seqs))
    if semantics:
        (root / "davis_semantics.json").write_text(
            '{"blackswan": {"1": "bird"}, "classic-car": {"1": "car", "2": "car"}, "dogs-scale": {"1": "dog"}}'
        )
    if re_files:
        text = root / "davis_text_annotations"
        text.mkdir()
        # annot1: UTF-8, the three misspelled names, an expression with a non-ASCII letter.
        (text / "Davis17_annot1.txt").write_bytes(
            'blackswan 1 "a black feathered swan"\n'
            'clasic-car 1 "a red classic car"\n'
            'clasic-car 2 "a tiny naïve dot"\n'
            'dog-scale 1 "a dog on the left"\n'
            'motor-bike 1 "a motorbike"\n'.encode()
        )
        (text / "Davis17_annot1_full_video.txt").write_bytes(
            b'blackswan 1 "a swan swimming"\r\nclasic-car 1 "car parked"\r\n'
        )
        # annot2: Latin-1 bytes (\xe9 is e-acute), CRLF endings.
        (text / "Davis17_annot2.txt").write_bytes(
            b'blackswan 1 "swan near the caf\xe9"\r\nmotor-bike 1 "bike in the  street"\r\n'
        )
        # annot2_full_video is missing on purpose.
    return root


# ---------------------------------------------------------------- A2D

A2D_W, A2D_H = 64, 48


def a2d_mask(x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    """A bool (H, W) rectangle, inclusive corners."""
    mask = np.zeros((A2D_H, A2D_W), bool)
    mask[y1 : y2 + 1, x1 : x2 + 1] = True
    return mask


def _inclusive_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def write_a2d_h5(
    path: Path,
    instances: list[int],
    masks: list[np.ndarray],
    codes: list[int],
    *,
    squeeze: bool | None = None,
    drop: str | None = None,
) -> None:
    """An A2D Sentences .h5 as MATLAB writes it: masks stored transposed, N = 1 shapes squeezed."""
    squeeze = len(masks) == 1 if squeeze is None else squeeze
    stored = np.stack([m.T.astype(np.uint8) for m in masks])  # (N, W, H)
    boxes = np.array([_inclusive_box(m) for m in masks], np.float64).T  # (4, N): x1, y1, x2, y2
    if squeeze:
        stored, boxes = stored[0], boxes[:, 0]  # (W, H), (4,)
    data = {
        "instance": np.array(instances, np.float64),
        "reMask": stored,
        "reBBox": boxes,
        "id": np.array([codes], np.float64),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        for key, value in data.items():
            if key != drop:
                f.create_dataset(key, data=value)


A2D_VIDEOSET = (
    "--h5fAKYurM,41,1.0,5.5,720,1280,8,2,0\n"  # train, clip; sizes are the original video's
    "-0cOo0cRVZU,11,0,3.2,360,640,8,1,1\n"  # test, clip
    "EadxBPmQvtg,18,0,4,240,320,30,1,1\n"  # test, extracted frames; frame 25 repeats instance 1
    "95Nq6fQoP2o,61,0,4,240,320,40,1,0\n"  # train, extracted frames; frame 32 has an extra mask
    "T6bNPuKV-wY,17,0,4,240,320,8,0,0\n"  # train, extracted frames; the `1 (copy)` row
    "MISSEDvid01,17,0,4,240,320,8,0,0\n"  # listed in a2d_missed_videos.txt
)
A2D_SENTENCES = (
    "video_id,instance_id,query\n"
    "--h5fAKYurM,0,the pigeon is limping\n"
    "--h5fAKYurM,1,  a Bird  standing still \n"
    '--h5fAKYurM,0,"pigeon walking, then stopping"\n'
    "-0cOo0cRVZU,0,player in blue shirt passing a basketball on left\n"
    "T6bNPuKV-wY,0,man running\n"
    "T6bNPuKV-wY,1 (copy),man running\n"
    "MISSEDvid01,0,gone\n"
    "EadxBPmQvtg,1,dog jumping\n"
)
A2D_CLIP_COLOURS = [
    (250, 10, 10),
    (10, 250, 10),
    (10, 10, 250),
    (250, 250, 10),
    (10, 250, 250),
    (250, 10, 250),
    (128, 128, 128),
    (30, 30, 30),
]


def build_a2d(root: Path) -> Path:
    release = root / "Release"
    release.mkdir(parents=True)
    (release / "videoset.csv").write_text(A2D_VIDEOSET)
    (root / "a2d_missed_videos.txt").write_text("MISSEDvid01\n")
    (root / "a2d_annotation.txt").write_text(A2D_SENTENCES)
    for vid in ("--h5fAKYurM", "-0cOo0cRVZU"):
        write_mp4(release / "clips320H" / f"{vid}.mp4", A2D_CLIP_COLOURS, A2D_W, A2D_H)
    for vid in ("EadxBPmQvtg", "95Nq6fQoP2o", "T6bNPuKV-wY"):
        for number in (1, 2):  # ffmpeg numbers extracted frames from 1
            path = release / "pngs320H" / vid / f"{number:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (A2D_W, A2D_H), (40 * number, 0, 0)).save(path)
    h5 = root / "a2d_annotation_with_instances"
    # Frame 2 (index 1): one bird, N = 1 stored squeezed as (W, H) and (4,).
    write_a2d_h5(h5 / "--h5fAKYurM/00002.h5", [0], [a2d_mask(10, 5, 20, 15)], [48])
    # Frame 6 (index 5): two instances (N, W, H); instance 1 is a single pixel at the corner.
    write_a2d_h5(h5 / "--h5fAKYurM/00006.h5", [0, 1], [a2d_mask(12, 6, 22, 16), a2d_mask(63, 47, 63, 47)], [48, 41])
    # N = 1 stored with its first axis kept (1, W, H).
    write_a2d_h5(h5 / "-0cOo0cRVZU/00003.h5", [0], [a2d_mask(0, 0, 3, 1)], [11], squeeze=False)
    write_a2d_h5(
        h5 / "EadxBPmQvtg/00025.h5",
        [0, 1, 1],
        [a2d_mask(0, 0, 1, 1), a2d_mask(5, 5, 6, 6), a2d_mask(30, 30, 40, 40)],
        [11, 75, 75],
    )
    write_a2d_h5(h5 / "95Nq6fQoP2o/00032.h5", [0], [a2d_mask(2, 2, 4, 4), a2d_mask(8, 8, 9, 9)], [61, 61])
    return root


# ---------------------------------------------------------------- A2Dre+

# category file stem -> (rows of the file with the category, rows of the file without); commas in queries
A2DRE_PLUS_PAIRS = {
    "appearance": (
        [
            "XQ2WJo8sLEw;2;the person in gray is walking",
            "-abc_DEF12;0;a blue, red and white car is jumping on the air",
            "-abc_DEF12;0; the  car ; on the road ",
        ],
        [
            "XQ2WJo8sLEw;2;the person in the left is walking",
            "-abc_DEF12;0;a car is jumping on the air",
            "-abc_DEF12;0;car",
        ],
    ),
    "spatial": (["v1;1;dog on the left"], ["v1;1;dog"]),
    "verb_motion": (["v2;0;man running"], ["v2;0;man"]),
    "verb_static": (["v3;3;parked car"], ["v3;3;car"]),
}


def write_a2dre_plus_files(folder: Path, pairs: dict[str, tuple[list[str], list[str]]] = A2DRE_PLUS_PAIRS) -> Path:
    """The with/without file of each category in `pairs` (its rows, `;`-separated under a comma header)."""
    folder.mkdir(exist_ok=True)
    for name, (with_rows, without_rows) in pairs.items():
        for prefix, rows in (("", with_rows), ("no_", without_rows)):
            path = folder / f"A2D_{prefix}{name}_new_format_all_non_trivial.txt"
            path.write_bytes(("\n".join(["video_id,instance_id,query", *rows]) + "\n").encode())
    return folder
