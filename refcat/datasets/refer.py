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
or compressed RLE ({"counts": "string"}), decoded here without pycocotools:
RLE runs alternate background / foreground starting with background, in column-major order;
the compressed string is pycocotools' LEB128-like code (5 bits a character, offset 48,
runs after the second stored as a difference to the run two before). Polygons are filled
with PIL, which can differ from pycocotools' rasterisation by a pixel along edges.
The refs pickle is read as plain data only (`PlainUnpickler`): a file naming any class or
function, which unpickling would call, is refused with FormatError.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from PIL import Image, ImageDraw

from refcat.datasets.media import box_from_mask, read_rgb_image
from refcat.datasets.records import Instance, Mask, ObjectMasks, ObjectRef, Pixels, Video
from refcat.errors import FormatError, MissingDataError, UsageError


def rle_counts_from_string(text: str) -> list[int]:
    """Decode pycocotools' compressed RLE string into run lengths (rleFrString in maskApi.c)."""
    counts: list[int] = []
    p = 0
    while p < len(text):
        value, shift, more = 0, 0, True
        while more:
            c = ord(text[p]) - 48
            value |= (c & 0x1F) << (5 * shift)
            more = bool(c & 0x20)
            p += 1
            shift += 1
            if not more and c & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def decode_rle(counts: list[int], height: int, width: int) -> Mask:
    """Bool (H, W) mask from run lengths (background first, column-major)."""
    if sum(counts) != height * width:
        raise FormatError(f"RLE runs cover {sum(counts)} pixels", expected=f"{height}x{width} = {height * width}")
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    return np.repeat(values, counts).reshape(width, height).T


def decode_polygons(polygons: list[list[float]], height: int, width: int) -> Mask:
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for poly in polygons:
        if len(poly) >= 6:
            draw.polygon([(poly[i], poly[i + 1]) for i in range(0, len(poly) - 1, 2)], fill=1, outline=1)
    return np.array(canvas, dtype=bool)


def decode_segmentation(segmentation: object, height: int, width: int) -> Mask:
    """A COCO segmentation (polygons, uncompressed or compressed RLE) as a bool (H, W) mask."""
    if isinstance(segmentation, list):
        return decode_polygons(segmentation, height, width)
    if isinstance(segmentation, dict) and "counts" in segmentation:
        counts = segmentation["counts"]
        if isinstance(counts, (str, bytes)):
            counts = rle_counts_from_string(counts.decode("ascii") if isinstance(counts, bytes) else counts)
        h, w = segmentation.get("size", (height, width))
        return decode_rle(list(counts), int(h), int(w))
    raise FormatError(f"unknown segmentation {type(segmentation).__name__}", expected="polygons or RLE")


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

    def _mask(self, ann_id: int) -> Mask:
        ann = self._anns[ann_id]
        im = self._images[str(ann["image_id"])]
        return decode_segmentation(ann["segmentation"], im["height"], im["width"])

    def objects(self, video_id: str) -> list[ObjectRef]:
        self._image(video_id)
        out = []
        for ann_id in self._image_anns[video_id]:
            box = box_from_mask(self._mask(ann_id))
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
        return ObjectMasks({a: self._mask(a) for a in self._image_anns[video_id]}, None)
