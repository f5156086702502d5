"""RefCOCO / RefCOCO+ (Yu et al. 2016, the `refer` toolkit layout) as a reader of one-frame "videos".

Layout:
  <root>/refs(unc).p       pickle: list of refs {ref_id, ann_id, image_id, split, sentences: [{sent, raw, ...}]}
                           (RefCOCOg uses refs(umd).p / refs(google).p: pass `split_by`)
  <root>/instances.json    COCO: images [{id, file_name, height, width}],
                           annotations [{id, image_id, segmentation, category_id, ...}], categories
  <images>/<file_name>     the COCO train2014 images (default <root>/train2014)

Each COCO image is a video with one frame (index 0), each referred annotation an object
(object id = COCO annotation id), each sentence an instance with source `ref<ref_id>s<k>`.
Segmentations are polygons (lists of x, y coordinates), uncompressed RLE ({"counts": [ints]})
or compressed RLE ({"counts": "string"}); all three are decoded with pycocotools, the reference
implementation, as the COCO API's `annToRLE` does: polygons through `frPyObjects` and `merge`,
uncompressed RLE through `frPyObjects`, compressed RLE as it is, then `decode`. Polygons of fewer
than three points are skipped (they enclose no pixel). RLE runs alternate background /
foreground starting with background, in column-major order, and must cover the image exactly:
pycocotools 2.0.11 refuses runs past the image but leaves the pixels after runs that stop short
undefined, so the run lengths are read here first (`rle_counts_from_string`: pycocotools'
LEB128-like string code, 5 bits a character, offset 48, runs after the second stored as a
difference to the run two before) and checked.
The refs pickle is read as plain data only (`PlainUnpickler`): a file naming any class or
function, which unpickling would call, is refused with FormatError.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
from pycocotools import mask as coco_mask

from refcat.datasets.media import read_rgb_image
from refcat.datasets.records import Box, Instance, Mask, ObjectMasks, ObjectRef, Pixels, Video
from refcat.errors import FormatError, MissingDataError, UsageError

CocoRle = dict[str, Any]  # pycocotools' compressed RLE: {"size": [h, w], "counts": bytes}
SEGMENTATION_EXPECTED = 'COCO polygons [[x, y, ...]] or RLE {"size": [h, w], "counts": ...}'


MAX_RUN_CHARACTERS = 7  # 35 bits: any run (or difference of runs) of an image under 2**34 pixels


def rle_counts_from_string(text: str) -> list[int]:
    """Decode pycocotools' compressed RLE string into run lengths (rleFrString in maskApi.c)."""
    return [int(c) for c in _string_runs(text)]


def _string_runs(text: str) -> npt.NDArray[np.int64]:
    """`rle_counts_from_string` with numpy, one pass over the characters (real strings run to thousands).

    Each run is a group of characters: 5 bits each (least significant first) after subtracting
    48, bit 0x20 set on all but the group's last, whose bit 0x10 is the sign; runs from the
    fourth on are stored as differences to the run two before.
    """
    if not text.isascii():
        raise FormatError(
            f"character {next(c for c in text if not c.isascii())!r} in an RLE string", expected="characters '0' to 'o'"
        )
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    bad = np.flatnonzero((codes < 0) | (codes >= 64))
    if bad.size:
        raise FormatError(f"character {text[bad[0]]!r} in an RLE string", expected="characters '0' to 'o'")
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    more = (codes & 0x20) != 0
    if more[-1]:
        raise FormatError("the RLE string ends inside a run length", expected=SEGMENTATION_EXPECTED)
    ends = np.flatnonzero(~more)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if int(lengths.max()) > MAX_RUN_CHARACTERS:
        raise FormatError(
            f"an RLE run written with {int(lengths.max())} characters",
            expected=f"at most {MAX_RUN_CHARACTERS} characters a run",
        )
    position = np.arange(codes.size) - np.repeat(starts, lengths)
    values = np.add.reduceat((codes & 0x1F) << (5 * position), starts)
    negative = (codes[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * lengths[negative])
    counts = values.copy()
    counts[1::2] = np.cumsum(values[1::2])  # run m (m >= 3) = stored m + run m - 2
    counts[2::2] = np.cumsum(values[2::2])
    return counts


def _check_runs(negative: bool, total: int, height: int, width: int) -> None:
    """FormatError unless the runs (any `negative`? their `total`) cover the image exactly."""
    expected = f"non-negative runs covering {height}x{width} = {height * width} pixels"
    if negative:
        raise FormatError("a negative RLE run", expected=expected)
    if total != height * width:
        raise FormatError(f"RLE runs cover {total} pixels", expected=expected)


def rle_from_counts(counts: list[int], height: int, width: int) -> CocoRle:
    """The compressed RLE of run lengths (background first, column-major) that cover the image exactly."""
    _check_runs(any(c < 0 for c in counts), sum(counts), height, width)
    rle: CocoRle = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    return rle


def _size(segmentation: dict[str, Any], height: int, width: int) -> None:
    size = segmentation.get("size", [height, width])
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) and v >= 0 for v in size)):
        raise FormatError(f"RLE size {size!r}", expected="[height, width]")
    if (size[0], size[1]) != (height, width):
        raise FormatError(
            f"an RLE of {size[1]}x{size[0]} pixels on an image of {width}x{height}",
            expected="the size of its image",
        )


def _polygons(polygons: list[object], height: int, width: int) -> CocoRle:
    kept: list[list[float]] = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in polygon
        ):
            raise FormatError("a polygon that is not a list of finite numbers", expected=SEGMENTATION_EXPECTED)
        if len(polygon) % 2:
            raise FormatError(f"a polygon of {len(polygon)} coordinates", expected="x, y pairs")
        if len(polygon) >= 6:
            kept.append([float(v) for v in polygon])
    if not kept:
        return rle_from_counts([height * width], height, width)
    rle: CocoRle = coco_mask.merge(coco_mask.frPyObjects(kept, height, width))
    return rle


def coco_rle(segmentation: object, height: int, width: int) -> CocoRle:
    """A COCO segmentation (polygons, uncompressed or compressed RLE) of a `height` x `width` image as a
    checked compressed RLE (module docstring); FormatError (without a path: the caller adds it) otherwise."""
    if isinstance(segmentation, list):
        return _polygons(segmentation, height, width)
    if not isinstance(segmentation, dict) or "counts" not in segmentation:
        raise FormatError(f"a segmentation of type {type(segmentation).__name__}", expected=SEGMENTATION_EXPECTED)
    _size(segmentation, height, width)
    counts = segmentation["counts"]
    if isinstance(counts, list):
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
            raise FormatError("RLE counts that are not integers", expected="a list of run lengths")
        return rle_from_counts(counts, height, width)
    if isinstance(counts, bytes):
        try:
            counts = counts.decode("ascii")
        except UnicodeDecodeError as exc:
            raise FormatError("an RLE string that is not ASCII", expected=SEGMENTATION_EXPECTED) from exc
    if not isinstance(counts, str):
        raise FormatError(f"RLE counts of type {type(counts).__name__}", expected="a string or a list of run lengths")
    runs = _string_runs(counts)
    _check_runs(bool(runs.size) and int(runs.min()) < 0, int(runs.sum()), height, width)
    return {"size": [height, width], "counts": counts.encode("ascii")}


def rle_mask(rle: CocoRle) -> Mask:
    """The bool (H, W) mask of a checked RLE (`coco_rle`), decoded by pycocotools."""
    mask: Mask = coco_mask.decode(rle).astype(bool)
    return mask


def rle_box(rle: CocoRle) -> Box | None:
    """The inclusive box of a checked RLE's foreground, from pycocotools' `toBbox` (no decoding); None if empty."""
    if int(coco_mask.area(rle)) == 0:
        return None
    x, y, w, h = (int(v) for v in coco_mask.toBbox(rle))
    return x, y, x + w - 1, y + h - 1


def decode_rle(counts: list[int], height: int, width: int) -> Mask:
    """Bool (H, W) mask from run lengths (background first, column-major)."""
    return rle_mask(rle_from_counts(counts, height, width))


def decode_segmentation(segmentation: object, height: int, width: int) -> Mask:
    """A COCO segmentation (polygons, uncompressed or compressed RLE) as a bool (H, W) mask."""
    return rle_mask(coco_rle(segmentation, height, width))


class PlainUnpickler(pickle.Unpickler):
    """Unpickles lists, dicts, strings and numbers only; refuses any global (class or function)."""

    def find_class(self, module: str, name: str) -> NoReturn:
        raise pickle.UnpicklingError(f"the file names {module}.{name}; only plain data (lists, dicts, text) is read")


class RefCocoReader:
    """RefCOCO-family reader following the DatasetReader protocol (records.py)."""

    def __init__(
        self,
        root: str | Path,
        split: str | None = None,
        dataset: str = "refcoco",
        split_by: str = "unc",
        images: str | Path | None = None,
    ) -> None:
        self.root = Path(root)
        self.dataset = dataset
        self.split = split
        self.images_dir = Path(images) if images else self.root / "train2014"
        refs_path = self.root / f"refs({split_by}).p"
        instances_path = self.root / "instances.json"
        for path in (refs_path, instances_path):
            if not path.is_file():
                raise MissingDataError("RefCOCO file not found", path=path)
        try:
            with open(refs_path, "rb") as fh:
                refs = PlainUnpickler(fh).load()
        except Exception as exc:
            raise FormatError(f"cannot unpickle: {exc}", path=refs_path, expected="a list of ref dicts") from exc
        try:
            coco = json.loads(instances_path.read_text())
        except json.JSONDecodeError as exc:
            raise FormatError(f"invalid JSON: {exc.msg}", path=instances_path, line=exc.lineno) from exc
        splits = sorted({r["split"] for r in refs})
        if split is not None and split not in splits:
            raise UsageError(f"no refs in split {split!r}", expected=" / ".join(splits))
        self._refs = [r for r in refs if split is None or r["split"] == split]
        # the COCO records as json gives them: image {id, file_name, height, width}, annotation {id, image_id, ...}
        self._images: dict[str, dict[str, Any]] = {str(im["id"]): im for im in coco["images"]}
        self._anns = {a["id"]: a for a in coco["annotations"]}
        categories = {c["id"]: c["name"] for c in coco.get("categories", [])}
        self._ann_category = {a["id"]: categories.get(a.get("category_id")) for a in coco["annotations"]}
        self._image_anns: dict[str, list[int]] = {}
        for ref in self._refs:
            if ref["ann_id"] not in self._anns:
                raise FormatError(f"ref {ref['ref_id']} names annotation {ref['ann_id']}, absent", path=instances_path)
            anns = self._image_anns.setdefault(str(ref["image_id"]), [])
            if ref["ann_id"] not in anns:
                anns.append(ref["ann_id"])

    def _image(self, video_id: str) -> dict[str, Any]:
        if video_id not in self._image_anns:
            raise MissingDataError(f"image {video_id} has no refs in this split", path=self.root)
        return self._images[video_id]

    def videos(self) -> list[Video]:
        out = []
        for image_id in self._image_anns:
            im = self._images[image_id]
            split = next(r["split"] for r in self._refs if str(r["image_id"]) == image_id)
            out.append(
                Video(
                    self.dataset,
                    image_id,
                    split,
                    1,
                    im["width"],
                    im["height"],
                    None,
                    str(self.images_dir / im["file_name"]),
                )
            )
        return out

    def _rle(self, ann_id: int) -> CocoRle:
        """The annotation's segmentation as a checked RLE; FormatError naming instances.json and the annotation."""
        ann = self._anns[ann_id]
        im = self._images[str(ann["image_id"])]
        try:
            return coco_rle(ann.get("segmentation"), im["height"], im["width"])
        except FormatError as exc:
            raise FormatError(
                f"annotation {ann_id}: {exc.message}", path=self.root / "instances.json", expected=exc.expected
            ) from exc

    def objects(self, video_id: str) -> list[ObjectRef]:
        self._image(video_id)
        out = []
        for ann_id in self._image_anns[video_id]:
            box = rle_box(self._rle(ann_id))
            out.append(ObjectRef(self.dataset, video_id, ann_id, self._ann_category[ann_id], {0: box} if box else {}))
        return out

    def instances(self) -> Iterator[Instance]:
        for ref in self._refs:
            for k, sentence in enumerate(ref["sentences"]):
                text = sentence.get("sent") or sentence.get("raw", "")
                yield Instance(self.dataset, str(ref["image_id"]), ref["ann_id"], f"ref{ref['ref_id']}s{k}", text)

    def frame(self, video_id: str, index: int) -> Pixels:
        if index != 0:
            raise MissingDataError("a RefCOCO image has only frame 0", path=self.root, frame=index)
        return read_rgb_image(self.images_dir / self._image(video_id)["file_name"], frame=index)

    def annotated_frames(self, video_id: str) -> list[int]:
        self._image(video_id)
        return [0]

    def object_masks(self, video_id: str, index: int) -> ObjectMasks:
        if index != 0:
            raise MissingDataError("a RefCOCO image has only frame 0", path=self.root, frame=index)
        self._image(video_id)
        return ObjectMasks({a: rle_mask(self._rle(a)) for a in self._image_anns[video_id]}, None)
