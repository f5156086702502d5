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
- The RE files are read from `expressions=` when given (a folder that must exist), else from
  davis_text_annotations/ inside the root, else from davis_text_annotations/ beside it (the
  layout of the RefVOS authors' code and of ReferFormer's data preparation); `expressions_dir`
  says which. A missing RE file gives no instances of its source (logged).
- Refused with FormatError (refcat.datasets.files): an index file that is a folder, bytes that
  are not UTF-8 in an ImageSets file, ImageSets files of the split(s) read that list nothing (one
  empty split beside a full one is fine: the demo writes such files), a line that is not
  a plain sequence name (no '/', '..' or leading dot: the name becomes a path and part of instance
  keys), a class in davis_semantics.json that is not a string, and a mask whose size is not its
  video's frame size (the size of the first frame).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from refcat.datasets.files import PLAIN_NAME_EXPECTED, name_problem, optional_file, read_text
from refcat.datasets.media import (
    add_boxes,
    frame_sized,
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
    Pixels,
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
RE_FOLDER = "davis_text_annotations"
RE_FOLDER_EXPECTED = "a folder of Davis17_annot1.txt, Davis17_annot2.txt and their _full_video files"
SPLIT_EXPECTED = "one sequence name a line"
SEMANTICS_EXPECTED = '{"<seq>": {"<obj id>": "<class>"}}'


class DavisReader:
    """Reads a DAVIS-2017-format dataset lazily: only index files are read at construction."""

    def __init__(
        self,
        root: str | Path,
        split: str | None = None,
        annotations: str = "Annotations",
        dataset: str = "davis",
        expressions: str | Path | None = None,
    ) -> None:
        self.root = Path(root)
        self.dataset = dataset
        self.split = split
        self.frames_dir = self.root / "JPEGImages" / "480p"
        self.masks_dir = self.root / annotations / "480p"
        self.expressions_dir = expressions_folder(self.root, expressions)
        if not self.frames_dir.is_dir():
            raise MissingDataError("frames folder not found", path=self.frames_dir, expected="JPEGImages/480p/<seq>/")
        self._splits = self._read_splits()
        self._semantics = self._read_semantics()
        self._sizes: dict[str, tuple[int, int]] = {}
        self._objects: dict[str, list[ObjectRef]] = {}
        self._referenced = ReferencedObjects(self.instances)

    # ----- index files

    def _read_splits(self) -> dict[str, str]:
        """Sequence -> split, for the sequences this reader covers (file order kept)."""
        sets_dir = self.root / "ImageSets" / "2017"
        files = {
            name: sets_dir / f"{name}.txt"
            for name in SPLITS
            if optional_file(sets_dir / f"{name}.txt", SPLIT_EXPECTED, what="split file")
        }
        if not files:
            if self.split is not None:
                raise UsageError(
                    f"split {self.split!r} asked for but there is no ImageSets/2017/{self.split}.txt", path=sets_dir
                )
            return {p.name: "all" for p in sorted(self.frames_dir.iterdir()) if p.is_dir()}
        if self.split is not None and self.split not in files:
            raise UsageError(f"unknown split {self.split!r}", path=sets_dir, expected=" or ".join(sorted(files)))
        splits: dict[str, str] = {}
        read = [(name, path) for name, path in files.items() if self.split is None or name == self.split]
        for name, path in read:
            for line_no, line in enumerate(read_text(path, "utf-8", SPLIT_EXPECTED).splitlines(), start=1):
                seq = line.strip()
                if not seq:
                    continue
                problem = name_problem(seq)
                if problem is not None:
                    raise FormatError(f"sequence {problem}", path=path, line=line_no, expected=PLAIN_NAME_EXPECTED)
                splits.setdefault(seq, name)
        if not splits:
            raise FormatError(
                "the split file lists no sequences" if len(read) == 1 else "the split files list no sequences",
                path=read[0][1] if len(read) == 1 else sets_dir,
                expected=SPLIT_EXPECTED,
            )
        return splits

    def _read_semantics(self) -> dict[str, dict[str, str]]:
        path = self.root / "davis_semantics.json"
        if not optional_file(path, SEMANTICS_EXPECTED, what="semantics file"):
            return {}
        try:
            data = json.loads(read_text(path, "utf-8", SEMANTICS_EXPECTED))
        except json.JSONDecodeError as exc:
            raise FormatError(
                f"invalid JSON ({exc.msg})", path=path, line=exc.lineno, expected=SEMANTICS_EXPECTED
            ) from exc
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise FormatError("not a mapping of sequences to {id: class}", path=path, expected=SEMANTICS_EXPECTED)
        for seq, classes in data.items():
            for object_id, name in classes.items():
                if not isinstance(name, str):
                    raise FormatError(
                        f"the class of object {object_id!r} of {seq!r} is {name!r}",
                        path=path,
                        expected="each class a string, " + SEMANTICS_EXPECTED,
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

    def _frames(self, video_id: str) -> list[Path]:
        folder = self.frames_dir / video_id
        frames = sorted(folder.glob("*.jpg")) if folder.is_dir() else []
        if not frames:
            raise MissingDataError("no frames for a listed sequence", path=folder, expected="%05d.jpg frames")
        return frames

    def frame_size(self, video_id: str) -> tuple[int, int]:
        """(width, height) of the video's first frame, read from its header once."""
        if video_id not in self._sizes:
            self._sizes[video_id] = image_size(self._frames(video_id)[0])
        return self._sizes[video_id]

    def videos(self) -> list[Video]:
        result = []
        for seq, split in self._splits.items():
            width, height = self.frame_size(seq)
            n_frames = len(self._frames(seq))
            result.append(
                Video(self.dataset, seq, split, n_frames, width, height, DAVIS_FPS, str(self.frames_dir / seq))
            )
        return result

    def frame_path(self, video_id: str, index: int) -> Path:
        return self.frames_dir / video_id / f"{index:05d}.jpg"

    def mask_path(self, video_id: str, index: int) -> Path:
        return self.masks_dir / video_id / f"{index:05d}.png"

    def frame(self, video_id: str, index: int) -> Pixels:
        self._check_video(video_id)
        return read_rgb_image(self.frame_path(video_id, index), frame=index)

    def annotated_frames(self, video_id: str) -> list[int]:
        self._check_video(video_id)
        return numbered_frames(self.masks_dir / video_id, ".png", 0, "mask file name is not a frame number")

    def labels(self, video_id: str, index: int) -> Pixels:
        """The raw mask index values (H, W) uint8 of one annotated frame, the size of the video's frames."""
        self._check_video(video_id)
        path = self.mask_path(video_id, index)
        labels = read_label_png(path, frame=index)
        return frame_sized(labels, self.frame_size(video_id), path, index)

    def object_masks(self, video_id: str, index: int) -> ObjectMasks:
        labels = self.labels(video_id, index)
        return ObjectMasks(masks_from_labels(labels, VOID), labels == VOID)

    def objects(self, video_id: str) -> list[ObjectRef]:
        self._check_video(video_id)
        if video_id not in self._objects:
            boxes: dict[int, dict[int, Box]] = {}
            for index in self.annotated_frames(video_id):
                add_boxes(boxes, index, masks_from_labels(self.labels(video_id, index), VOID))
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
        folder = self.expressions_dir
        for source, name, encoding in RE_FILES:
            path = folder / name
            if not optional_file(path, RE_LINE_EXPECTED, what="referring expressions file"):
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


def expressions_folder(root: Path, given: str | Path | None) -> Path:
    """Where the RE files are (module docstring): `given`, else RE_FOLDER inside `root`, else beside it.

    When neither is there, the folder inside `root` (which then yields no instances).
    """
    if given is not None:
        folder = Path(given)
        if not folder.is_dir():
            raise MissingDataError("referring expressions folder not found", path=folder, expected=RE_FOLDER_EXPECTED)
        return folder
    inside, beside = root / RE_FOLDER, root.parent / RE_FOLDER
    return beside if not inside.is_dir() and beside.is_dir() else inside


def read_re_file(path: Path, encoding: str) -> Iterator[tuple[int, str, int, str]]:
    """(line number, sequence, object id, expression) for each non-blank line of a Khoreva RE file.

    Sequence names go through SEQUENCE_TYPOS; the expression loses its surrounding double quotes.
    """
    for line_no, line in enumerate(read_text(path, encoding, RE_LINE_EXPECTED).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3 or not parts[1].isdecimal():
            raise FormatError(f"malformed line {line.strip()!r}", path=path, line=line_no, expected=RE_LINE_EXPECTED)
        seq, object_id, expression = parts
        expression = expression.strip()
        if len(expression) >= 2 and expression[0] == '"' and expression[-1] == '"':
            expression = expression[1:-1]
        yield line_no, SEQUENCE_TYPOS.get(seq, seq), int(object_id), expression
