"""Writing a dataset in the DAVIS-2017 layout of FORMATS.md, the one `refcat.datasets.davis.DavisReader` reads.

    JPEGImages/480p/<seq>/%05d.jpg          frames (JPEG, quality 90), 0-based numbers
    Annotations/480p/<seq>/%05d.png         palette PNGs (the DAVIS colour map): 0 background, object ids, 255 void
    ImageSets/2017/train.txt, val.txt       the sequences of each split, one a line
    davis_semantics.json                    {"<seq>": {"<object id>": "<class>"}}
    davis_text_annotations/<RE file>        `<seq> <object id> "<expression>"` a line, in the file's encoding
                                            (the files and encodings of `refcat.datasets.davis.RE_FILES`)

`TOP_LEVEL` names what this module writes at the root; nothing else there is touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from refcat.datasets.davis import RE_FILES, SPLITS
from refcat.datasets.records import Instance

TOP_LEVEL = ("JPEGImages", "Annotations", "ImageSets", "davis_semantics.json", "davis_text_annotations")


def davis_palette() -> list[int]:
    """The PASCAL VOC / DAVIS colour map: index i gets the bit-interleaved colour of i; 255 stays (224, 224, 192)."""
    palette = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    palette[255 * 3 :] = [224, 224, 192]
    return palette


class SequenceWriter:
    """Writes the frames and masks of one sequence under `root`; its two folders must not exist yet."""

    def __init__(self, root: Path, name: str) -> None:
        self.frame_dir = root / "JPEGImages" / "480p" / name
        self.mask_dir = root / "Annotations" / "480p" / name
        self.frame_dir.mkdir(parents=True)
        self.mask_dir.mkdir(parents=True)
        self._palette = davis_palette()

    def write(self, index: int, image: np.ndarray, labels: np.ndarray) -> None:
        """Frame `index`: an RGB uint8 (H, W, 3) image and its uint8 (H, W) label map."""
        Image.fromarray(image).save(self.frame_dir / f"{index:05d}.jpg", quality=90)
        mask = Image.fromarray(labels, mode="P")
        mask.putpalette(self._palette)
        mask.save(self.mask_dir / f"{index:05d}.png", compress_level=1)


def write_index_files(
    root: Path,
    splits: Mapping[str, str],
    classes: Mapping[str, Mapping[int, str]],
    instances: Iterable[Instance],
) -> None:
    """The split lists, the object classes and the RE files of the sequences.

    `splits`: sequence -> "train" | "val", in the order the lists give them; `classes`:
    sequence -> object id -> class; `instances` go to the RE file of their source, in order.
    """
    sets = root / "ImageSets" / "2017"
    sets.mkdir(parents=True)
    for split in SPLITS:
        names = [name for name, of in splits.items() if of == split]
        (sets / f"{split}.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    semantics = {seq: {str(i): cls for i, cls in objects.items()} for seq, objects in classes.items()}
    (root / "davis_semantics.json").write_text(json.dumps(semantics, indent=1) + "\n", encoding="utf-8")
    lines: dict[str, list[str]] = {source: [] for source, _, _ in RE_FILES}
    for instance in instances:
        lines[instance.source].append(f'{instance.video_id} {instance.object_id} "{instance.text}"\n')
    text_dir = root / "davis_text_annotations"
    text_dir.mkdir()
    for source, name, encoding in RE_FILES:
        (text_dir / name).write_bytes("".join(lines[source]).encode(encoding))
