"""A2D (Xu et al. 2015) with the A2D Sentences expressions and instance masks (Gavrilyuk et al. 2018).

Layout (FORMATS.md):
  Release/videoset.csv                         no header; vid, actor_action label, start, end, height,
                                               width, n frames, n annotated frames, subset (0 train, 1 test)
  Release/clips320H/<vid>.mp4                  the clips, decoded with PyAV on request
  Release/pngs320H/<vid>/%05d.png (or .jpg)    optional extracted frames, 1-based numbers as ffmpeg
                                               writes them; used instead of the clip when present
  a2d_annotation_with_instances/<vid>/%05d.h5  instance masks of the annotated frames, 1-based numbers
  a2d_annotation.txt                           CSV `video_id,instance_id,query[,short_query]`
  a2d_missed_videos.txt                        optional: videos to skip, one a line

Choices documented here:
- Frame indices are 0-based in memory: file number n is frame n - 1.
- Video width/height/fps come from the clip's stream header (width/height from the first
  extracted frame when frames were extracted; fps is then None): the sizes in videoset.csv are
  those of the original videos, not of the 320-pixel-high clips. n_frames comes from videoset.csv.
- Expression text: surrounding whitespace stripped and runs of whitespace collapsed to one
  space; letter case is kept as in the file. `short_query` is not read.
- An instance's source is `sentence{k}`, k the 0-based order of that (video, instance)'s
  sentences in a2d_annotation.txt, counted over the whole file (so keys do not depend on split).
- Objects are the instance ids of the .h5 files plus any id a sentence refers to (with no
  boxes and no class, listed in `problems`). An object's class is the actor of its
  actor-action code in its first annotated frame; `actions()` gives the action from the same
  frame (objects without a mask have none).
- Known bad frames (a repeated instance, more masks than instances) keep the first mask of each
  instance and the first N masks; each is logged and listed in `problems`.
- Refused with FormatError (refcat.datasets.files): index files that are folders, bytes that are
  not UTF-8, a CSV field over csv's field size limit, an empty videoset.csv, a video id that is
  not a plain name (it becomes a path), an .h5 key that is a group rather than a dataset, an
  instance id or code that is not a finite integer, and a mask whose size is not the frame size.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from refcat.datasets.files import (
    PLAIN_NAME_EXPECTED,
    csv_rows,
    name_problem,
    optional_file,
    read_text,
    require_file,
)
from refcat.datasets.media import ClipPool, add_boxes, image_size, numbered_frames, read_rgb_image
from refcat.datasets.records import (
    Box,
    Instance,
    Mask,
    ObjectMasks,
    ObjectRef,
    Pixels,
    ReferencedObjects,
    Video,
    collapse_spaces,
)
from refcat.errors import FormatError, MissingDataError, UsageError

log = logging.getLogger(__name__)

ACTORS = {1: "adult", 2: "baby", 3: "ball", 4: "bird", 5: "car", 6: "cat", 7: "dog"}
ACTIONS = {
    1: "climbing",
    2: "crawling",
    3: "eating",
    4: "flying",
    5: "jumping",
    6: "rolling",
    7: "running",
    8: "walking",
    9: "none",
}
SUBSETS = {"0": "train", "1": "test"}
VIDEOSET_EXPECTED = "9 columns: vid, label, start, end, height, width, frames, annotated frames, subset (0/1)"
H5_KEYS = ("instance", "reMask", "reBBox", "id")
H5_EXPECTED = "HDF5 keys instance (N,), reMask (N, W, H) or (W, H), reBBox (4, N) or (4,), id (1, N)"
SENTENCES_HEADER = ["video_id", "instance_id", "query"]
SENTENCES_EXPECTED = "CSV video_id,instance_id,query[,short_query]"
MISSED_EXPECTED = "one video id a line"
COPY_ROW = re.compile(r"^\d+ \(copy\)$")


def actor_action(code: int) -> tuple[str, str]:
    """A2D actor-action code (first digit actor, second action), e.g. 18 -> ("adult", "walking")."""
    actor, action = divmod(int(code), 10)
    if actor not in ACTORS or action not in ACTIONS:
        raise ValueError(f"unknown actor-action code {code}")
    return ACTORS[actor], ACTIONS[action]


@dataclass(frozen=True)
class VideosetRow:
    video_id: str
    label: int
    height: int
    width: int
    n_frames: int
    n_annotated: int
    split: str


def read_videoset(path: Path) -> dict[str, VideosetRow]:
    rows: dict[str, VideosetRow] = {}
    text = read_text(path, "utf-8", VIDEOSET_EXPECTED, what="videoset file")
    for line_no, cells in csv_rows(path, text, VIDEOSET_EXPECTED):
        if not cells:
            continue
        cells = [c.strip() for c in cells]
        if len(cells) != 9 or cells[8] not in SUBSETS:
            raise FormatError(f"bad row {','.join(cells)!r}", path=path, line=line_no, expected=VIDEOSET_EXPECTED)
        problem = name_problem(cells[0])
        if problem is not None:
            raise FormatError(f"video id: {problem}", path=path, line=line_no, expected=PLAIN_NAME_EXPECTED)
        try:
            label, height, width, n_frames, n_annotated = (int(float(cells[i])) for i in (1, 4, 5, 6, 7))
        except (ValueError, OverflowError):
            raise FormatError(
                f"non-numeric cell in {','.join(cells)!r}", path=path, line=line_no, expected=VIDEOSET_EXPECTED
            ) from None
        rows[cells[0]] = VideosetRow(cells[0], label, height, width, n_frames, n_annotated, SUBSETS[cells[8]])
    if not rows:
        raise FormatError("the videoset file lists no videos", path=path, expected=VIDEOSET_EXPECTED)
    return rows


@dataclass(frozen=True)
class A2DFrame:
    """One annotated frame of A2D Sentences, masks transposed to (H, W)."""

    masks: dict[int, Mask]  # instance id -> bool (H, W)
    codes: dict[int, int]  # instance id -> actor-action code
    file_boxes: dict[int, tuple[float, ...]]  # instance id -> reBBox (x1, y1, x2, y2) as stored
    problems: tuple[str, ...]


def _whole_number(value: float) -> bool:
    return math.isfinite(value) and value >= 0 and value == int(value)


def read_a2d_h5(path: Path, frame: int | None = None) -> A2DFrame:
    """Read one A2D Sentences .h5 file (`frame` is only used in messages)."""
    import h5py

    require_file(path, H5_EXPECTED, what="annotation file", frame=frame)

    def bad(message: str) -> FormatError:
        return FormatError(message, path=path, frame=frame, expected=H5_EXPECTED)

    try:
        with h5py.File(path, "r") as f:
            data: dict[str, npt.NDArray[Any]] = {}  # any numeric dtype (checked): MATLAB writes doubles or uint8
            for key in H5_KEYS:
                if key not in f:
                    raise bad(f"missing key {key!r}")
                if not isinstance(f[key], h5py.Dataset):
                    raise bad(f"key {key!r} is a {type(f[key]).__name__.lower()}, not a dataset")
                values = np.asarray(f[key][()])
                if values.dtype.kind not in "biuf":
                    raise bad(f"{key} holds {values.dtype} values, not numbers")
                data[key] = values
    except OSError as exc:
        raise FormatError(f"cannot read HDF5 file ({exc})", path=path, frame=frame, expected=H5_EXPECTED) from exc
    for key in ("instance", "id"):
        wrong = [v for v in data[key].reshape(-1).tolist() if not _whole_number(v)]
        if wrong:
            raise bad(f"{key} holds {wrong[0]}, not a whole number >= 0")
    instances = [int(v) for v in data["instance"].reshape(-1)]
    stored = data["reMask"]
    if stored.ndim == 2:  # N = 1 is stored without its first axis
        stored = stored[np.newaxis]
    if stored.ndim != 3:
        raise bad(f"reMask has shape {stored.shape}")
    masks = stored.transpose(0, 2, 1) > 0  # stored (N, W, H) by MATLAB -> (N, H, W)
    boxes = data["reBBox"]
    if boxes.ndim == 1:
        boxes = boxes.reshape(-1, 1)
    if boxes.shape[0] != 4:
        raise bad(f"reBBox has shape {data['reBBox'].shape}")
    codes = data["id"].reshape(-1)
    n = len(instances)
    for name, count in (("reMask", masks.shape[0]), ("reBBox", boxes.shape[1]), ("id", codes.size)):
        if count < n:
            raise bad(f"{name} holds {count} entries for {n} instances")
    where = f"{path}" if frame is None else f"{path}, frame {frame}"
    problems = []
    if masks.shape[0] > n:
        problems.append(f"{where}: {masks.shape[0]} masks for {n} instances; the extra masks are ignored")
    by_instance: dict[int, Mask] = {}
    by_code: dict[int, int] = {}
    file_boxes: dict[int, tuple[float, ...]] = {}
    for i, instance in enumerate(instances):
        if instance in by_instance:
            problems.append(f"{where}: instance {instance} is repeated; its second mask is ignored")
            continue
        try:
            actor_action(codes[i])
        except ValueError as exc:
            raise bad(str(exc)) from None
        by_instance[instance] = masks[i]
        by_code[instance] = int(codes[i])
        file_boxes[instance] = tuple(float(v) for v in boxes[:, i])
    return A2DFrame(by_instance, by_code, file_boxes, tuple(problems))


@dataclass(frozen=True)
class SentenceRow:
    line: int
    video_id: str
    instance_id: int
    source: str
    text: str


def read_a2d_sentences(path: Path) -> Iterator[SentenceRow]:
    """The rows of a2d_annotation.txt, parsed as CSV, with the `1 (copy)` row dropped (logged)."""
    text = read_text(path, "utf-8", SENTENCES_EXPECTED, what="sentences file")
    rows = csv_rows(path, text, SENTENCES_EXPECTED)
    counts: dict[tuple[str, int], int] = {}
    header = [c.strip() for c in next(rows, (1, []))[1]]
    if header[:3] != SENTENCES_HEADER or header[3:] not in ([], ["short_query"]):
        raise FormatError(
            f"header {','.join(header)!r}",
            path=path,
            line=1,
            expected="video_id,instance_id,query[,short_query]",
        )
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and len(header) == 3:
            cells = cells[:2] + [",".join(cells[2:])]  # an unquoted comma inside the last column
        if not 3 <= len(cells) <= len(header):
            raise FormatError(
                f"{len(cells)} columns in {','.join(cells)!r}",
                path=path,
                line=line,
                expected=f"{len(header)} columns: {','.join(header)}",
            )
        video_id, instance_cell, query = cells[0].strip(), cells[1].strip(), cells[2]
        if COPY_ROW.match(instance_cell):
            log.warning("%s, line %d: dropped row with instance_id %r (video %s)", path, line, instance_cell, video_id)
            continue
        if not instance_cell.isdecimal():
            raise FormatError(
                f"instance_id {instance_cell!r}", path=path, line=line, expected="a 0-based integer instance id"
            )
        instance_id = int(instance_cell)
        k = counts.get((video_id, instance_id), 0)
        counts[(video_id, instance_id)] = k + 1
        yield SentenceRow(line, video_id, instance_id, f"sentence{k}", collapse_spaces(query))


def read_missed_videos(path: Path) -> set[str]:
    if not optional_file(path, MISSED_EXPECTED, what="missed videos file"):
        return set()
    return {line.strip() for line in read_text(path, "utf-8", MISSED_EXPECTED).splitlines() if line.strip()}


class A2DReader:
    """Reads A2D + A2D Sentences lazily: construction reads videoset.csv and a2d_missed_videos.txt only."""

    dataset = "a2d"

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        self.root = Path(root)
        if split is not None and split not in SUBSETS.values():
            raise UsageError(f"unknown split {split!r}", expected=" or ".join(SUBSETS.values()))
        self.split = split
        self.release = self.root / "Release"
        self.h5_dir = self.root / "a2d_annotation_with_instances"
        missed = read_missed_videos(self.root / "a2d_missed_videos.txt")
        self._videoset = {
            vid: row
            for vid, row in read_videoset(self.release / "videoset.csv").items()
            if vid not in missed and (split is None or row.split == split)
        }
        self.problems: list[str] = []  # bad frames and unmasked objects met so far (module docstring)
        self._objects: dict[str, list[ObjectRef]] = {}
        self._referenced = ReferencedObjects(self.instances)
        self._actions: dict[str, dict[int, str]] = {}
        self._sizes: dict[str, tuple[int, int, float | None]] = {}
        self._clips = ClipPool()

    def _check_video(self, video_id: str) -> None:
        if video_id not in self._videoset:
            raise MissingDataError(
                f"unknown video {video_id!r} in a2d",
                path=self.release / "videoset.csv",
                expected="a video of the selected split, not in a2d_missed_videos.txt",
            )

    def _report(self, problems: tuple[str, ...]) -> None:
        for problem in problems:
            if problem not in self.problems:
                log.warning("%s", problem)
                self.problems.append(problem)

    def clip_path(self, video_id: str) -> Path:
        return self.release / "clips320H" / f"{video_id}.mp4"

    def _frames_dir(self, video_id: str) -> Path | None:
        folder = self.release / "pngs320H" / video_id
        return folder if folder.is_dir() else None

    def _extracted_frame(self, folder: Path, index: int) -> Path:
        for suffix in (".png", ".jpg"):
            path = folder / f"{index + 1:05d}{suffix}"
            if path.is_file():
                return path
        return folder / f"{index + 1:05d}.png"

    def _source(self, video_id: str) -> Path:
        """The folder of extracted frames when there is one, else the clip."""
        return self._frames_dir(video_id) or self.clip_path(video_id)

    def _header(self, video_id: str) -> tuple[int, int, float | None]:
        """(width, height, fps) of the video's frames, read once (module doc)."""
        if video_id not in self._sizes:
            folder = self._frames_dir(video_id)
            if folder is not None:
                self._sizes[video_id] = (*image_size(self._extracted_frame(folder, 0)), None)
            else:
                self._sizes[video_id] = self._clips.clip(self.clip_path(video_id)).info()
        return self._sizes[video_id]

    def videos(self) -> list[Video]:
        result = []
        for vid, row in self._videoset.items():
            width, height, fps = self._header(vid)
            result.append(Video(self.dataset, vid, row.split, row.n_frames, width, height, fps, str(self._source(vid))))
        return result

    def frame(self, video_id: str, index: int) -> Pixels:
        self._check_video(video_id)
        folder = self._frames_dir(video_id)
        if folder is not None:
            return read_rgb_image(self._extracted_frame(folder, index), frame=index)
        return self._clips.clip(self.clip_path(video_id)).frame(index)

    def h5_path(self, video_id: str, index: int) -> Path:
        return self.h5_dir / video_id / f"{index + 1:05d}.h5"

    def annotated_frames(self, video_id: str) -> list[int]:
        self._check_video(video_id)
        return numbered_frames(self.h5_dir / video_id, ".h5", 1, "annotation file name is not a 1-based frame number")

    def read_frame_annotation(self, video_id: str, index: int) -> A2DFrame:
        """The frame's .h5, its masks checked against the frame size when the video has frames or a clip."""
        self._check_video(video_id)
        path = self.h5_path(video_id, index)
        annotation = read_a2d_h5(path, frame=index)
        if self._frames_dir(video_id) is not None or self.clip_path(video_id).is_file():
            width, height, _ = self._header(video_id)
            for instance, mask in annotation.masks.items():
                if mask.shape != (height, width):
                    raise FormatError(
                        f"mask of instance {instance} is {mask.shape[1]}x{mask.shape[0]} pixels, "
                        f"the frames {width}x{height}",
                        path=path,
                        frame=index,
                        expected="masks the size of the video's frames (stored transposed, (N, W, H))",
                    )
        self._report(annotation.problems)
        return annotation

    def object_masks(self, video_id: str, index: int) -> ObjectMasks:
        annotation = self.read_frame_annotation(video_id, index)
        return ObjectMasks({i: m for i, m in annotation.masks.items() if m.any()}, None)

    def objects(self, video_id: str) -> list[ObjectRef]:
        self._check_video(video_id)
        if video_id not in self._objects:
            boxes: dict[int, dict[int, Box]] = {}
            codes: dict[int, int] = {}
            for index in self.annotated_frames(video_id):
                annotation = self.read_frame_annotation(video_id, index)
                for instance in annotation.masks:
                    codes.setdefault(instance, annotation.codes[instance])
                add_boxes(boxes, index, annotation.masks)
            for instance in self._referenced.unmasked(video_id, boxes):
                self._report((f"{self.h5_dir / video_id}: instance {instance} has sentences but no mask",))
                boxes[instance] = {}
            names = {i: actor_action(code) for i, code in codes.items()}
            self._objects[video_id] = [
                ObjectRef(self.dataset, video_id, i, names[i][0] if i in names else None, boxes[i])
                for i in sorted(boxes)
            ]
            self._actions[video_id] = {i: names[i][1] for i in sorted(names)}
        return self._objects[video_id]

    def actions(self, video_id: str) -> dict[int, str]:
        """Object id -> A2D action name ("walking", "none"...) from its first annotated frame."""
        self.objects(video_id)
        return self._actions[video_id]

    def instances(self) -> Iterator[Instance]:
        path = self.root / "a2d_annotation.txt"
        if not optional_file(path, SENTENCES_EXPECTED, what="sentences file"):
            log.warning("a2d: no sentences file %s, so no instances", path)
            return
        skipped: set[str] = set()
        for row in read_a2d_sentences(path):
            if row.video_id not in self._videoset:
                skipped.add(row.video_id)
                continue
            if not row.text:
                self._report((f"{path}, line {row.line}: empty query, row skipped",))
                continue
            yield Instance(self.dataset, row.video_id, row.instance_id, row.source, row.text)
        if skipped:
            log.info(
                "%s: %d videos with sentences skipped (other split, missed or not in videoset.csv)", path, len(skipped)
            )

    def close(self) -> None:
        self._clips.close()
