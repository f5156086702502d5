"""DAVIS-2017 (and the demo dataset, which uses the same layout) with Khoreva et al.'s referring expressions.

Layout (FORMATS.md):
  JPEGImages/480p/<seq>/%05d.jpg          frames, 0-based file numbers
  Annotations/480p/<seq>/%05d.png         palette masks: 0 background, 1..N object ids, 255 void
  Annotations_unsupervised/480p/<seq>/    the alternative mask set (`annotations=` picks it)
  ImageSets/2017/{train,val}.txt          one sequence a line
  davis_semantics.json                    optional: {"<seq>": {"<obj id>": "<class>"}}
  davis_text_annotations/Davis17_annot{1,2}[_full_video].txt
                                          `<seq> <obj_id> "<expression>"`; annot1 UTF-8, annot2 Latin-1

Choices documented here:
- split=None takes every sequence listed in any ImageSets file, or every frames folder when
  there is no ImageSets folder (their split is then "all").
- fps is 24.0, the frame rate DAVIS was recorded at (the dataset itself stores frames only).
- Objects are the mask ids present in any annotated frame, plus any id an expression refers
  to (with no boxes, and a warning); masks are decoded on the first `objects()` call for a
  video and the result is cached.
- Expression text is kept as written, with its surrounding double quotes removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from refcat.datasets.media import (
    box_from_mask,
    image_size,
    masks_from_labels,
    numbered_frames,
    read_label_png,
    read_rgb_image,
)
from refcat.datasets.records import (
    Box,
    Instance,
    ObjectMasks,
    ObjectRef,
    ReferencedObjects,
    Video,
)
from refcat.errors import FormatError, MissingDataError, UsageError

log = logging.getLogger(__name__)

DAVIS_FPS = 24.0
VOID = 255
SPLITS = ("train", "val")
# Khoreva et al.'s files: (source name, file name, encoding).
RE_FILES = (
    ("annot1", "Davis17_annot1.txt", "utf-8"),
    ("annot1_full_video", "Davis17_annot1_full_video.txt", "utf-8"),
    ("annot2", "Davis17_annot2.txt", "latin-1"),
    ("annot2_full_video", "Davis17_annot2_full_video.txt", "latin-1"),
)
# Sequence names misspelled in the RE files -> the names of the frame folders.
SEQUENCE_TYPOS = {"clasic-car": "classic-car", "dog-scale": "dogs-scale", "motor-bike": "motorbike"}
RE_LINE_EXPECTED = '<seq> <obj_id> "<expression>"'


class DavisReader:
    """Reads a DAVIS-2017-format dataset lazily: only index files are read at construction."""

    def __init__(
        self,
        root: str | Path,
        split: str | None = None,
        annotations: str = "Annotations",
        dataset: str = "davis",
    ) -> None:
        self.root = Path(root)
        self.dataset = dataset
        self.split = split
        self.frames_dir = self.root / "JPEGImages" / "480p"
        self.masks_dir = self.root / annotations / "480p"
        if not self.frames_dir.is_dir():
            raise MissingDataError("frames folder not found", path=self.frames_dir, expected="JPEGImages/480p/<seq>/")
        self._splits = self._read_splits()
        self._semantics = self._read_semantics()
        self._objects: dict[str, list[ObjectRef]] = {}
        self._referenced = ReferencedObjects(self.instances)

    # ----- index files

    def _read_splits(self) -> dict[str, str]:
        """Sequence -> split, for the sequences this reader covers (file order kept)."""
        sets_dir = self.root / "ImageSets" / "2017"
        files = {name: sets_dir / f"{name}.txt" for name in SPLITS if (sets_dir / f"{name}.txt").is_file()}
        if not files:
            if self.split is not None:
                raise UsageError(
                    f"split {self.split!r} asked for but there is no ImageSets/2017/{self.split}.txt", path=sets_dir
                )
            return {p.name: "all" for p in sorted(self.frames_dir.iterdir()) if p.is_dir()}
        if self.split is not None and self.split not in files:
            raise UsageError(f"unknown split {self.split!r}", path=sets_dir, expected=" or ".join(sorted(files)))
        splits: dict[str, str] = {}
        for name, path in files.items():
            if self.split is not None and name != self.split:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    splits.setdefault(line.strip(), name)
        return splits

    def _read_semantics(self) -> dict[str, dict[str, str]]:
        path = self.root / "davis_semantics.json"
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(
                f"invalid JSON ({exc})", path=path, expected='{"<seq>": {"<obj id>": "<class>"}}'
            ) from exc
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise FormatError(
                "not a mapping of sequences to {id: class}", path=path, expected='{"<seq>": {"<obj id>": "<class>"}}'
            )
        return data

    # ----- reader protocol

    def sequences(self) -> list[str]:
        return list(self._splits)

    def _check_video(self, video_id: str) -> None:
        if video_id not in self._splits:
            raise MissingDataError(
                f"unknown video {video_id!r} in {self.dataset}",
                path=self.root,
                expected="a sequence of the selected split",
            )

    def videos(self) -> list[Video]:
        result = []
        for seq, split in self._splits.items():
            folder = self.frames_dir / seq
            frames = sorted(folder.glob("*.jpg")) if folder.is_dir() else []
            if not frames:
                raise MissingDataError("no frames for a listed sequence", path=folder, expected="%05d.jpg frames")
            width, height = image_size(frames[0])
            result.append(Video(self.dataset, seq, split, len(frames), width, height, DAVIS_FPS, str(folder)))
        return result

    def frame_path(self, video_id: str, index: int) -> Path:
        return self.frames_dir / video_id / f"{index:05d}.jpg"

    def mask_path(self, video_id: str, index: int) -> Path:
        return self.masks_dir / video_id / f"{index:05d}.png"

    def frame(self, video_id: str, index: int) -> np.ndarray:
        self._check_video(video_id)
        return read_rgb_image(self.frame_path(video_id, index), frame=index)

    def annotated_frames(self, video_id: str) -> list[int]:
        self._check_video(video_id)
        return numbered_frames(self.masks_dir / video_id, ".png", 0, "mask file name is not a frame number")

    def labels(self, video_id: str, index: int) -> np.ndarray:
        """The raw mask index values (H, W) uint8 of one annotated frame."""
        self._check_video(video_id)
        return read_label_png(self.mask_path(video_id, index), frame=index)

    def object_masks(self, video_id: str, index: int) -> ObjectMasks:
        labels = self.labels(video_id, index)
        return ObjectMasks(masks_from_labels(labels, VOID), labels == VOID)

    def objects(self, video_id: str) -> list[ObjectRef]:
        self._check_video(video_id)
        if video_id not in self._objects:
            boxes: dict[int, dict[int, Box]] = {}
            for index in self.annotated_frames(video_id):
                for object_id, mask in masks_from_labels(self.labels(video_id, index), VOID).items():
                    box = box_from_mask(mask)
                    if box is not None:  # always: a label present in the frame has pixels
                        boxes.setdefault(object_id, {})[index] = box
            for object_id in self._referenced.unmasked(video_id, boxes):
                log.warning(
                    "%s: object %d of %s has expressions but no mask in %s",
                    self.dataset,
                    object_id,
                    video_id,
                    self.masks_dir / video_id,
                )
                boxes[object_id] = {}
            classes = self._semantics.get(video_id, {})
            self._objects[video_id] = [
                ObjectRef(self.dataset, video_id, object_id, classes.get(str(object_id)), boxes[object_id])
                for object_id in sorted(boxes)
            ]
        return self._objects[video_id]

    def instances(self) -> Iterator[Instance]:
        folder = self.root / "davis_text_annotations"
        for source, name, encoding in RE_FILES:
            path = folder / name
            if not path.is_file():
                log.info("%s: no referring expressions file %s, skipping source %s", self.dataset, path, source)
                continue
            seen: set[tuple[str, int]] = set()
            for line_no, seq, object_id, text in read_re_file(path, encoding):
                if seq not in self._splits:
                    continue
                if (seq, object_id) in seen:
                    log.warning(
                        "%s, line %d: second expression for %s object %d ignored", path, line_no, seq, object_id
                    )
                    continue
                seen.add((seq, object_id))
                yield Instance(self.dataset, seq, object_id, source, text)


def read_re_file(path: Path, encoding: str) -> Iterator[tuple[int, str, int, str]]:
    """(line number, sequence, object id, expression) for each non-blank line of a Khoreva RE file.

    Sequence names go through SEQUENCE_TYPOS; the expression loses its surrounding double quotes.
    """
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        bad_line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise FormatError(f"not valid {encoding} text", path=path, line=bad_line, expected=f"{encoding} text") from exc
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3 or not parts[1].isdigit():
            raise FormatError(f"malformed line {line.strip()!r}", path=path, line=line_no, expected=RE_LINE_EXPECTED)
        seq, object_id, expression = parts
        expression = expression.strip()
        if len(expression) >= 2 and expression[0] == '"' and expression[-1] == '"':
            expression = expression[1:-1]
        yield line_no, SEQUENCE_TYPOS.get(seq, seq), int(object_id), expression
