"""MeViS (Ding et al. 2023): motion expressions, each referring to one object or to several.

Layout (docs/formats.md):
  <split>/meta_expressions.json    {"videos": {"<vid>": {"expressions": {"<id>": {"exp": "...", "obj_id": [0, 1],
                                   "anno_id": [12, 13]}}, "frames": ["00000", ...]}}}
  <split>/mask_dict.json           {"<anno_id>": [COCO RLE or null, one per frame of the video's sorted frames]}
  <split>/JPEGImages/<vid>/<frame>.jpg
  splits: train, valid_u (both with mask_dict.json), valid (without: its referents are scored by a server)

Choices documented here:
- Splits, frames and expression texts as for Ref-YouTube-VOS (`ref_youtube_vos.ExpressionVideos`):
  split=None reads every split with a meta_expressions.json, a video listed by two splits is taken
  from the first of `SPLITS`; frame index i is the i-th of the sorted frame names (mask_dict.json's
  lists are in that order, as the official loaders index them); fps is None; source `exp<id>`.
- Object ids are MeViS's `obj_id`s (0-based in each video, below `UNION_BASE`); an object's masks are
  those of the `anno_id` at the same place in the expression's lists, and every expression of the
  video that names the object must give it the same `anno_id`. Objects have no class (MeViS has
  none), so trivial / non-trivial is decided only for videos of one object.
- An expression of several objects is one instance whose object is a *union object*: id
  `UNION_BASE + k` (1000, 1001, ...), k numbering the distinct sets of objects in the order they first
  appear among the video's expressions (file order), so the same file gives the same ids. Its boxes
  and masks are the union of its members'. `target_ids(instance)` gives the members (what
  `refcat.analysis.per_sample.TargetReader` asks for), so an expression is scored against the union
  of its objects' masks, as MeViS's evaluation does. A union object is listed by `objects()` beside
  the objects it joins.
- Every frame is annotated in a split with mask_dict.json (null: the object is absent there), none in
  the others. mask_dict.json is parsed whole on the first `objects()` or `object_masks()` call and
  kept (the train file is large). Boxes come from pycocotools' `toBbox` of each RLE, without decoding;
  masks are decoded with pycocotools (`refer.coco_rle`, which checks the runs cover the frame).
- An expression of a split without mask_dict.json that names no object refers to `UNNAMED_OBJECT`
  (-1, no boxes). An expression whose `obj_id` list is empty is left out with a warning.
- Refused with FormatError, one line naming the file and the video, expression, object or frame: what
  Ref-YouTube-VOS refuses, an expression without obj_id / anno_id in a split with masks, `obj_id` and
  `anno_id` lists of different lengths or with ids that are not non-negative integers, an `obj_id` of
  `UNION_BASE` or more, one object given two anno_ids, an anno_id missing from mask_dict.json, a mask
  list whose length is not the video's number of frames, and an RLE that is not one of the frame's size.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from refcat.datasets.files import optional_file
from refcat.datasets.records import Box, Instance, Mask, ObjectMasks, ObjectRef
from refcat.datasets.ref_youtube_vos import (
    UNNAMED_OBJECT,
    ExpressionVideos,
    json_mapping,
    parse_object_id,
    read_json,
    selected_splits,
)
from refcat.datasets.refer import CocoRle, coco_rle, rle_box, rle_mask
from refcat.errors import FormatError, MissingDataError

log = logging.getLogger(__name__)

SPLITS = ("train", "valid_u", "valid")
UNION_BASE = 1000  # the first union object id; MeViS's own ids are below it
MASK_DICT_EXPECTED = '{"<anno_id>": [{"size": [h, w], "counts": "<RLE>"} or null, one per frame]}'
IDS_EXPECTED = '"obj_id" and "anno_id": lists of the same length of non-negative integers'


@dataclass(frozen=True)
class Referents:
    """Who the expressions of one video refer to."""

    anno_ids: dict[int, str]  # object id -> its mask_dict.json key
    unions: dict[int, tuple[int, ...]]  # union object id -> its objects, ascending
    targets: dict[str, int | None]  # expression id -> object or union id; None: no object (left out)


def _union_box(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


class MeViSReader(ExpressionVideos):
    """Reads MeViS lazily: construction reads the meta_expressions.json files only."""

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        self.root = Path(root)
        self.split = split
        paths = {s: self.root / s / "meta_expressions.json" for s in SPLITS}
        splits = selected_splits(self.root, split, SPLITS, paths)
        super().__init__("mevis", {s: paths[s] for s in splits}, {s: self.root / s / "JPEGImages" for s in splits})
        self._mask_files = {
            s: self.root / s / "mask_dict.json"
            for s in splits
            if optional_file(self.root / s / "mask_dict.json", MASK_DICT_EXPECTED, what="mask file")
        }
        self._mask_dicts: dict[str, dict[str, Any]] = {}
        self._referents: dict[str, Referents] = {}
        self._objects: dict[str, list[ObjectRef]] = {}

    # ----- who the expressions refer to

    def referents(self, video_id: str) -> Referents:
        """The objects, union objects and targets of the video's expressions, read once."""
        if video_id not in self._referents:
            entry = self.entry(video_id)
            path = self.expressions_file(video_id)
            named = entry.split in self._mask_files
            anno_ids: dict[int, str] = {}
            unions: dict[tuple[int, ...], int] = {}
            targets: dict[str, int | None] = {}
            for expression_id, record in entry.expressions:
                where = f"video {video_id!r}, expression {expression_id!r}"
                if "obj_id" not in record and "anno_id" not in record and not named:
                    targets[expression_id] = UNNAMED_OBJECT
                    continue
                objects = self._expression_objects(record, path, where, anno_ids)
                if not objects:
                    targets[expression_id] = None
                elif len(objects) == 1:
                    targets[expression_id] = objects[0]
                else:
                    targets[expression_id] = unions.setdefault(objects, UNION_BASE + len(unions))
            self._referents[video_id] = Referents(anno_ids, {uid: members for members, uid in unions.items()}, targets)
        return self._referents[video_id]

    @staticmethod
    def _expression_objects(
        record: dict[str, Any], path: Path, where: str, anno_ids: dict[int, str]
    ) -> tuple[int, ...]:
        """The sorted distinct objects of one expression; records each object's anno_id in `anno_ids`."""
        obj_ids, annos = record.get("obj_id"), record.get("anno_id")
        if not isinstance(obj_ids, list) or not isinstance(annos, list) or len(obj_ids) != len(annos):
            raise FormatError(
                f"{where}: obj_id {obj_ids!r:.40}, anno_id {annos!r:.40}", path=path, expected=IDS_EXPECTED
            )
        objects = set()
        for raw_object, raw_anno in zip(obj_ids, annos):
            oid = parse_object_id(raw_object, path, where)
            if oid >= UNION_BASE:
                raise FormatError(f"{where}: object id {oid}", path=path, expected=f"object ids below {UNION_BASE}")
            anno = str(parse_object_id(raw_anno, path, f"{where}, anno_id"))
            known = anno_ids.setdefault(oid, anno)
            if known != anno:
                raise FormatError(
                    f"{where}: object {oid} has anno_id {anno}, another expression gives it {known}",
                    path=path,
                    expected="one anno_id per object of a video",
                )
            objects.add(oid)
        return tuple(sorted(objects))

    def target_ids(self, instance: Instance) -> tuple[int, ...]:
        """The objects `instance` refers to: a union object's members, else its own object."""
        return self.referents(instance.video_id).unions.get(instance.object_id, (instance.object_id,))

    def instances(self) -> Iterator[Instance]:
        for video_id, expression_id, _record, text in self.texts():
            target = self.referents(video_id).targets[expression_id]
            if target is None:
                log.warning(
                    "%s: video %s, expression %s names no object, left out",
                    self.expressions_file(video_id),
                    video_id,
                    expression_id,
                )
                continue
            yield Instance(self.dataset, video_id, target, f"exp{expression_id}", text)

    # ----- masks

    def mask_file(self, video_id: str) -> Path | None:
        """The split's mask_dict.json, None for a split without masks."""
        return self._mask_files.get(self.entry(video_id).split)

    def _mask_dict(self, path: Path) -> dict[str, Any]:
        """The parsed mask_dict.json at `path` (one of `_mask_files`), read once."""
        split = path.parent.name
        if split not in self._mask_dicts:
            data = read_json(path, MASK_DICT_EXPECTED, what="mask file")
            self._mask_dicts[split] = json_mapping(data, path, "the file", MASK_DICT_EXPECTED)
        return self._mask_dicts[split]

    def _object_rles(self, video_id: str, path: Path, oid: int) -> list[object]:
        """The raw per-frame RLEs of one object, one entry per frame."""
        anno = self.referents(video_id).anno_ids[oid]
        rles = self._mask_dict(path).get(anno)
        n_frames = len(self.entry(video_id).frames)
        where = f"anno_id {anno} (video {video_id!r}, object {oid})"
        if rles is None:
            raise FormatError(f"{where} is not in the file", path=path, expected=MASK_DICT_EXPECTED)
        if not isinstance(rles, list) or len(rles) != n_frames:
            found = f"{len(rles)} entries" if isinstance(rles, list) else f"a {type(rles).__name__}"
            raise FormatError(
                f"{where}: {found}", path=path, expected=f"a list of {n_frames} RLEs or nulls, one per frame"
            )
        return rles

    def _rle(self, video_id: str, path: Path, oid: int, index: int, raw: object) -> CocoRle | None:
        """The checked RLE of object `oid` on frame `index`, None where the object is absent."""
        if raw is None:
            return None
        width, height = self.frame_size(video_id)
        try:
            return coco_rle(raw, height, width)
        except FormatError as exc:
            anno = self.referents(video_id).anno_ids[oid]
            raise FormatError(
                f"anno_id {anno} (video {video_id!r}, object {oid}): {exc.message}",
                path=path,
                frame=index,
                expected=exc.expected,
            ) from exc

    def annotated_frames(self, video_id: str) -> list[int]:
        return list(range(len(self.entry(video_id).frames))) if self.mask_file(video_id) else []

    def object_masks(self, video_id: str, index: int) -> ObjectMasks:
        path = self.mask_file(video_id)
        if path is None:
            raise MissingDataError(
                f"the split of video {video_id!r} has no masks",
                path=self.root / self.entry(video_id).split / "mask_dict.json",
                frame=index,
                expected="a split with mask_dict.json (train, valid_u)",
            )
        self.frame_name(video_id, index)  # the index is one of the video's frames
        referents = self.referents(video_id)
        masks: dict[int, Mask] = {}
        for oid in sorted(referents.anno_ids):
            rle = self._rle(video_id, path, oid, index, self._object_rles(video_id, path, oid)[index])
            if rle is not None and rle_box(rle) is not None:
                masks[oid] = rle_mask(rle)
        for uid, members in referents.unions.items():
            present = [masks[m] for m in members if m in masks]
            if present:
                masks[uid] = np.logical_or.reduce(present)
        return ObjectMasks(masks, None)

    def objects(self, video_id: str) -> list[ObjectRef]:
        if video_id not in self._objects:
            referents = self.referents(video_id)
            path = self.mask_file(video_id)
            boxes: dict[int, dict[int, Box]] = {oid: {} for oid in referents.anno_ids}
            if path is not None:
                for oid in referents.anno_ids:
                    for index, raw in enumerate(self._object_rles(video_id, path, oid)):
                        rle = self._rle(video_id, path, oid, index, raw)
                        box = None if rle is None else rle_box(rle)
                        if box is not None:
                            boxes[oid][index] = box
            for uid, members in referents.unions.items():
                frames = sorted({i for m in members for i in boxes[m]})
                boxes[uid] = {i: _union_box([boxes[m][i] for m in members if i in boxes[m]]) for i in frames}
            if UNNAMED_OBJECT in referents.targets.values():
                boxes[UNNAMED_OBJECT] = {}
            self._objects[video_id] = [
                ObjectRef(self.dataset, video_id, oid, None, boxes[oid]) for oid in sorted(boxes)
            ]
        return self._objects[video_id]
