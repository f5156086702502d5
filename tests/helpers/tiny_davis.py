"""A tiny DAVIS-format dataset for the RefVOS tests (the `tiny_davis` fixture of conftest.py writes it).

Each video has two objects on a grey background: a red square on the left (object 1) and a
blue square on the right (object 2), moving a pixel a frame; a void (255) border ring around
object 1 in every mask. Two REs per object, in annot1 and annot2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from helpers.dataset_files import write_palette_png

W, H = 48, 32
SPLITS = {"train": ["v0", "v1", "v2", "v3"], "val": ["v4", "v5"]}
N_FRAMES = 3
REs = {
    ("annot1", 1): "the red square on the left",
    ("annot1", 2): "the blue square on the right",
    ("annot2", 1): "a red box at left",
    ("annot2", 2): "a blue box at right",
}


def labels_of(video: int, frame: int) -> np.ndarray:
    labels = np.zeros((H, W), np.uint8)
    y = 8 + (video % 3) + frame
    labels[y - 1 : y + 11, 3:17] = 255
    labels[y : y + 10, 4:16] = 1
    labels[y : y + 10, 28 + frame : 40 + frame] = 2
    return labels


def write_tiny_davis(root: Path) -> Path:
    for split, seqs in SPLITS.items():
        sets = root / "ImageSets" / "2017"
        sets.mkdir(parents=True, exist_ok=True)
        (sets / f"{split}.txt").write_text("".join(s + "\n" for s in seqs))
    for seq in SPLITS["train"] + SPLITS["val"]:
        v = int(seq[1:])
        for f in range(N_FRAMES):
            labels = labels_of(v, f)
            rgb = np.full((H, W, 3), 120, np.uint8)
            rgb[labels == 1] = (220, 30, 30)
            rgb[labels == 2] = (30, 30, 220)
            (root / "JPEGImages" / "480p" / seq).mkdir(parents=True, exist_ok=True)
            Image.fromarray(rgb).save(root / "JPEGImages" / "480p" / seq / f"{f:05d}.jpg", quality=95)
            write_palette_png(root / "Annotations" / "480p" / seq / f"{f:05d}.png", labels)
    text_dir = root / "davis_text_annotations"
    text_dir.mkdir(parents=True, exist_ok=True)
    for source, name, enc in (("annot1", "Davis17_annot1.txt", "utf-8"), ("annot2", "Davis17_annot2.txt", "latin-1")):
        lines = [f'{seq} {obj} "{REs[source, obj]}"\n' for seq in SPLITS["train"] + SPLITS["val"] for obj in (1, 2)]
        (text_dir / name).write_bytes("".join(lines).encode(enc))
    return root
