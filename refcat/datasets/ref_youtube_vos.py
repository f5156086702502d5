"""Ref-YouTube-VOS (Seo et al. 2020, URVOS): YouTube-VOS 2019 videos with referring expressions.

Layout (docs/formats.md):
  meta_expressions/<split>/meta_expressions.json  {"videos": {"<vid>": {"expressions": {"<id>": {"exp": "...",
                                                  "obj_id": "1"}}, "frames": ["00000", "00005", ...]}}}
  <split>/meta.json                               optional: {"videos": {"<vid>": {"objects": {"<id>":
                                                  {"category": "person", "frames": [...]}}}}}
  <split>/JPEGImages/<vid>/<frame>.jpg            the frames, named as in "frames"
  <split>/Annotations/<vid>/<frame>.png           palette masks: 0 background, the value is the object id
  splits: train, valid (valid has no obj_id and no public masks: its referents are scored by a server)

Choices documented here (`ExpressionVideos` holds those MeViS shares):
- split=None takes every split whose meta_expressions.json is there; a video listed by two of them
  is taken from the first (in `SPLITS` order) and the later copy is left out, with a log line.
- A video's frames are the names of its "frames" list, sorted as the official loaders sort them
  (they are 5-digit numbers); frame index i is the i-th name, so indices are 0-based and
  consecutive even where the names step by 5. `frame_name` gives the name back.
- fps is None: the files hold frames only (train lists every 5th frame of a 30 fps video, valid every one).
- Annotated frames are those with a PNG in Annotations/<vid>/ (none in valid). Pixel values are
  object ids (the keys of meta.json's objects); there is no void label.
- Objects are meta.json's objects of the video (with their category, which makes trivial /
  non-trivial decidable), the ids found in the masks, and any id an expression refers to (with no
  boxes, and a warning). Masks are decoded on the first `objects()` call for a video and cached.
- One instance per expression, source `exp<id>` (the file's expression id), text with surrounding
  spaces stripped and runs of spaces collapsed (case kept). An expression without text is left
  out with a warning. An expression of a split that names no referent (valid, no obj_id) refers
  to object `UNNAMED_OBJECT` (-1), which has no boxes and no class.
- Refused with FormatError, one line naming the file and the video, expression or frame: JSON that
  does not parse or does not have the layout above, a video id, frame name or expression id that
  is not a plain name (they become paths and instance keys), a repeated frame name, a video with
  no frames, an obj_id that is not a non-negative integer (or is missing in train), a mask named
  after no frame of its video, and a mask whose size is not its video's frame size (the first frame's).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refcat.datasets.files import PLAIN_NAME_EXPECTED, name_problem, optional_file, require_file
from refcat.datasets.media import (
    add_boxes,
    frame_sized,
    image_size,
    masks_from_labels,
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
    collapse_spaces,
)
from refcat.errors import FormatError, MissingDataError, UsageError

log = logging.getLogger(__name__)

SPLITS = ("train", "valid")
UNNAMED_OBJECT = -1  # the referent of an expression whose split does not name it
EXPRESSIONS_EXPECTED = (
    '{"videos": {"<vid>": {"expressions": {"<id>": {"exp": "<text>", ...}}, "frames": ["<frame>", ...]}}}'
)
META_EXPECTED = '{"videos": {"<vid>": {"objects": {"<id>": {"category": "<class>", "frames": [...]}}}}}'
OBJECT_ID_EXPECTED = "a non-negative integer object id (a string of digits or a number)"


def read_json(path: Path, expected: str, *, what: str = "file") -> object:
    """The parsed JSON of a required UTF-8 file; FormatError naming the line of a syntax error or bad bytes.

    The bytes go to `json.loads` as they are (no decoded copy of the whole text), since MeViS's
    mask_dict.json runs to gigabytes.
    """
    require_file(path, expected, what=what)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the {what} ({exc.strerror})", path=path, expected=expected) from exc
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON ({exc.msg})", path=path, line=exc.lineno, expected=expected) from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"bytes that are not UTF-8 text ({data[exc.start : exc.end]!r})", path=path, line=line, expected=expected
        ) from exc


def json_mapping(value: object, path: Path, where: str, expected: str) -> dict[str, Any]:
    """`value` when it is a JSON object, else FormatError naming `where` in `path`."""
    if not isinstance(value, dict):
        raise FormatError(f"{where} is a {type(value).__name__}, not an object", path=path, expected=expected)
    return value


def plain_name(name: str, path: Path, where: str) -> str:
    """`name` when it is a plain name (files.py), else FormatError naming `where` in `path`."""
    problem = name_problem(name)
    if problem is not None:
        raise FormatError(f"{where}: {problem}", path=path, expected=PLAIN_NAME_EXPECTED)
    return name


def parse_object_id(value: object, path: Path, where: str) -> int:
    """An object id written as digits (`"1"`) or a whole number (`1`), else FormatError."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        return int(value)
    raise FormatError(f"{where}: object id {value!r}", path=path, expected=OBJECT_ID_EXPECTED)


@dataclass(frozen=True)
class VideoEntry:
    """One video of a meta_expressions.json: its split, sorted frame names and raw expression records."""

    split: str
    frames: tuple[str, ...]
    expressions: tuple[tuple[str, dict[str, Any]], ...]  # (expression id, record with "exp"), file order


def read_meta_expressions(path: Path, split: str) -> dict[str, VideoEntry]:
    """The videos of one meta_expressions.json (layout checked; fields other than "exp" are the caller's)."""
    data = json_mapping(read_json(path, EXPRESSIONS_EXPECTED), path, "the file", EXPRESSIONS_EXPECTED)
    videos = json_mapping(data.get("videos"), path, 'its "videos"', EXPRESSIONS_EXPECTED)
    entries = {}
    for video_id, record in videos.items():
        where = f"video {video_id!r}"
        plain_name(video_id, path, where)
        record = json_mapping(record, path, where, EXPRESSIONS_EXPECTED)
        frames = record.get("frames")
        if not isinstance(frames, list) or not frames or not all(isinstance(f, str) for f in frames):
            raise FormatError(
                f'{where}: "frames" is {frames!r:.60}', path=path, expected="a non-empty list of frame names"
            )
        for name in frames:
            plain_name(name, path, f"{where}, frame {name!r}")
        if len(set(frames)) < len(frames):
            repeated = next(f for f in frames if frames.count(f) > 1)
            raise FormatError(f"{where}: frame {repeated!r} is listed twice", path=path, expected="distinct names")
        expressions = json_mapping(record.get("expressions"), path, f'{where}: "expressions"', EXPRESSIONS_EXPECTED)
        checked = []
        for expression_id, expression in expressions.items():
            at = f"{where}, expression {expression_id!r}"
            plain_name(expression_id, path, at)
            expression = json_mapping(expression, path, at, EXPRESSIONS_EXPECTED)
            if not isinstance(expression.get("exp"), str):
                raise FormatError(
                    f'{at}: "exp" is {expression.get("exp")!r:.60}', path=path, expected="the expression's text"
                )
            checked.append((expression_id, expression))
        entries[video_id] = VideoEntry(split, tuple(sorted(frames)), tuple(checked))
    return entries


class ExpressionVideos:
    """Videos from meta_expressions.json files, frames by name: what the Ref-YouTube-VOS and MeViS readers share.

    `files` maps each split read to its meta_expressions.json and `frame_dirs` to its JPEGImages
    folder, in the order a video listed twice is taken from (module docstring).
    """

    def __init__(self, dataset: str, files: dict[str, Path], frame_dirs: dict[str, Path]) -> None:
        self.dataset = dataset
        self.frame_dirs = frame_dirs
        self._files = files
        self._videos: dict[str, VideoEntry] = {}
        for split, path in files.items():
            repeated = 0
            for video_id, entry in read_meta_expressions(path, split).items():
                if video_id in self._videos:
                    repeated += 1
                    continue
                self._videos[video_id] = entry
            if repeated:
                log.info("%s: %d videos also listed by an earlier split, left out here", path, repeated)
        self._sizes: dict[str, tuple[int, int]] = {}
        self._frame_indices: dict[str, dict[str, int]] = {}

    def entry(self, video_id: str) -> VideoEntry:
        """The video's record; MissingDataError for a video the reader does not cover."""
        entry = self._videos.get(video_id)
        if entry is None:
            raise MissingDataError(
                f"unknown video {video_id!r} in {self.dataset}",
                path=next(iter(self._files.values())),
                expected="a video of the selected split(s)",
            )
        return entry

    def expressions_file(self, video_id: str) -> Path:
        return self._files[self.entry(video_id).split]

    def frame_name(self, video_id: str, index: int) -> str:
        """The file name (without suffix) of frame `index` of `video_id`."""
        frames = self.entry(video_id).frames
        if not 0 <= index < len(frames):
            raise MissingDataError(
                f"video {video_id!r} has {len(frames)} frames",
                path=self.expressions_file(video_id),
                frame=index,
                expected=f"an index from 0 to {len(frames) - 1}",
            )
        return frames[index]

    def frame_index(self, video_id: str, name: str) -> int | None:
        """The index of the frame named `name`, None when the video has no such frame."""
        if video_id not in self._frame_indices:
            frames = self.entry(video_id).frames
            self._frame_indices[video_id] = {frame: i for i, frame in enumerate(frames)}
        return self._frame_indices[video_id].get(name)

    def frame_path(self, video_id: str, index: int) -> Path:
        name = self.frame_name(video_id, index)
        return self.frame_dirs[self._videos[video_id].split] / video_id / f"{name}.jpg"

    def frame_size(self, video_id: str) -> tuple[int, int]:
        """(width, height) of the video's first frame, read from its header once."""
        if video_id not in self._sizes:
            self._sizes[video_id] = image_size(self.frame_path(video_id, 0))
        return self._sizes[video_id]

    def videos(self) -> list[Video]:
        result = []
        for video_id, entry in self._videos.items():
            width, height = self.frame_size(video_id)
            folder = self.frame_dirs[entry.split] / video_id
            result.append(
                Video(self.dataset, video_id, entry.split, len(entry.frames), width, height, None, str(folder))
            )
        return result

    def frame(self, video_id: str, index: int) -> Pixels:
        return read_rgb_image(self.frame_path(video_id, index), frame=index)

    def texts(self) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        """(video id, expression id, record, text) for each expression with a text, in file order."""
        for video_id, entry in self._videos.items():
            for expression_id, record in entry.expressions:
                text = collapse_spaces(record["exp"])
                if not text:
                    log.warning(
                        "%s: video %s, expression %s has no text, left out",
                        self._files[entry.split],
                        video_id,
                        expression_id,
                    )
                    continue
                yield video_id, expression_id, record, text


def selected_splits(root: Path, split: str | None, splits: tuple[str, ...], path_of: dict[str, Path]) -> list[str]:
    """The splits a reader reads: `split`, or every split of `splits` whose file (`path_of`) is there."""
    if split is not None:
        if split not in splits:
            raise UsageError(f"unknown split {split!r}", expected=" or ".join(splits))
        return [split]
    found = [s for s in splits if optional_file(path_of[s], EXPRESSIONS_EXPECTED, what="expressions file")]
    if not found:
        raise MissingDataError(
            "no meta_expressions.json for any split",
            path=root,
            expected=" or ".join(str(path_of[s].relative_to(root)) for s in splits),
        )
    return found


def read_categories(path: Path) -> dict[str, dict[int, str | None]]:
    """Video -> object id -> category from a meta.json, {} when the file is absent."""
    if not optional_file(path, META_EXPECTED, what="meta file"):
        return {}
    data = json_mapping(read_json(path, META_EXPECTED), path, "the file", META_EXPECTED)
    videos = json_mapping(data.get("videos"), path, 'its "videos"', META_EXPECTED)
    categories: dict[str, dict[int, str | None]] = {}
    for video_id, record in videos.items():
        where = f"video {video_id!r}"
        record = json_mapping(record, path, where, META_EXPECTED)
        objects = json_mapping(record.get("objects", {}), path, f'{where}: "objects"', META_EXPECTED)
        classes: dict[int, str | None] = {}
        for key, obj in objects.items():
            at = f"{where}, object {key!r}"
            obj = json_mapping(obj, path, at, META_EXPECTED)
            category = obj.get("category")
            if category is not None and not isinstance(category, str):
                raise FormatError(f"{at}: category {category!r}", path=path, expected="a class name (a string)")
            classes[parse_object_id(key, path, at)] = category
        categories[video_id] = classes
    return categories


class RefYouTubeVOSReader(ExpressionVideos):
    """Reads Ref-YouTube-VOS lazily: construction reads the meta_expressions.json and meta.json files only."""

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        self.root = Path(root)
        self.split = split
        paths = {s: self.root / "meta_expressions" / s / "meta_expressions.json" for s in SPLITS}
        splits = selected_splits(self.root, split, SPLITS, paths)
        super().__init__(
            "ref-youtube-vos", {s: paths[s] for s in splits}, {s: self.root / s / "JPEGImages" for s in splits}
        )
        self._categories = {s: read_categories(self.root / s / "meta.json") for s in splits}
        self._objects: dict[str, list[ObjectRef]] = {}
        self._referenced = ReferencedObjects(self.instances)

    def masks_dir(self, video_id: str) -> Path:
        return self.root / self.entry(video_id).split / "Annotations" / video_id

    def mask_path(self, video_id: str, index: int) -> Path:
        return self.masks_dir(video_id) / f"{self.frame_name(video_id, index)}.png"

    def annotated_frames(self, video_id: str) -> list[int]:
        folder = self.masks_dir(video_id)
        if not folder.is_dir():
            return []
        indices = []
        for path in folder.glob("*.png"):
            index = self.frame_index(video_id, path.stem)
            if index is None:
                raise FormatError(
                    f"a mask of video {video_id!r} named after no frame of it",
                    path=path,
                    expected=f"<frame>.png for a name in the video's frames ({self.expressions_file(video_id)})",
                )
            indices.append(index)
        return sorted(indices)

    def labels(self, video_id: str, index: int) -> Pixels:
        """The raw mask values (H, W) uint8 of one annotated frame, the size of the video's frames."""
        path = self.mask_path(video_id, index)
        labels = read_label_png(path, frame=index)
        return frame_sized(labels, self.frame_size(video_id), path, index)

    def object_masks(self, video_id: str, index: int) -> ObjectMasks:
        return ObjectMasks(masks_from_labels(self.labels(video_id, index), None), None)

    def categories(self, video_id: str) -> dict[int, str | None]:
        """Object id -> category from meta.json ({} when the video or the file is not there)."""
        return self._categories[self.entry(video_id).split].get(video_id, {})

    def objects(self, video_id: str) -> list[ObjectRef]:
        if video_id not in self._objects:
            boxes: dict[int, dict[int, Box]] = {}
            for index in self.annotated_frames(video_id):
                add_boxes(boxes, index, masks_from_labels(self.labels(video_id, index), None))
            categories = self.categories(video_id)
            for oid in categories:
                boxes.setdefault(oid, {})
            for oid in self._referenced.unmasked(video_id, boxes):
                if oid != UNNAMED_OBJECT:
                    log.warning(
                        "%s: object %d of %s has expressions but no mask in %s",
                        self.dataset,
                        oid,
                        video_id,
                        self.masks_dir(video_id),
                    )
                boxes[oid] = {}
            self._objects[video_id] = [
                ObjectRef(self.dataset, video_id, oid, categories.get(oid), boxes[oid]) for oid in sorted(boxes)
            ]
        return self._objects[video_id]

    def instances(self) -> Iterator[Instance]:
        for video_id, expression_id, record, text in self.texts():
            split = self.entry(video_id).split
            where = f"video {video_id!r}, expression {expression_id!r}"
            if "obj_id" in record:
                referent = parse_object_id(record["obj_id"], self._files[split], where)
            elif split == "train":
                raise FormatError(
                    f"{where} has no obj_id", path=self._files[split], expected='"obj_id" in every train expression'
                )
            else:
                referent = UNNAMED_OBJECT
            yield Instance(self.dataset, video_id, referent, f"exp{expression_id}", text)
