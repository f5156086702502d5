"""RefCOCO masks decoded with pycocotools (polygons, uncompressed and compressed RLE), checked before decoding."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pycocotools import mask as coco_mask

from refcat.datasets.media import box_from_mask
from refcat.datasets.refer import (
    RefCocoReader,
    coco_rle,
    decode_segmentation,
    rle_box,
    rle_counts_from_string,
    rle_mask,
)
from refcat.errors import FormatError

H, W = 12, 14
TRIANGLE = [1.5, 1.2, 11.7, 2.3, 4.1, 10.8]


def pycocotools_polygons(polygons, height=H, width=W):
    """The COCO API's own reading of polygons (annToRLE, annToMask)."""
    return coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects(polygons, height, width))).astype(bool)


def pil_outline(polygons, height=H, width=W):
    """What refcat drew before: PIL's filled polygon with its outline."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for poly in polygons:
        draw.polygon([(poly[i], poly[i + 1]) for i in range(0, len(poly), 2)], fill=1, outline=1)
    return np.array(canvas, dtype=bool)


def compressed(mask):
    encoded = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in encoded["size"]], "counts": encoded["counts"].decode("ascii")}


def random_mask(seed):
    rng = np.random.default_rng(seed)
    mask = np.zeros((H, W), bool)
    mask[rng.integers(0, H, 6), rng.integers(0, W, 6)] = True
    return mask


def test_a_polygon_is_filled_as_pycocotools_fills_it_not_as_pil_draws_it():
    mask = decode_segmentation([TRIANGLE], H, W)
    assert np.array_equal(mask, pycocotools_polygons([TRIANGLE]))
    outline = pil_outline([TRIANGLE])
    assert not np.array_equal(mask, outline)
    assert outline.sum() > mask.sum()  # the outline adds a border of pixels around the COCO mask
    # an axis-aligned rectangle from (1, 1) to (4, 3): pycocotools takes the 3x2 pixels inside it, PIL 4x3
    rectangle = decode_segmentation([[1, 1, 4, 1, 4, 3, 1, 3]], 5, 6)
    assert rectangle.sum() == 6 and rectangle[1:3, 1:4].all()
    assert pil_outline([[1, 1, 4, 1, 4, 3, 1, 3]], 5, 6).sum() == 12


def test_several_polygons_are_one_mask_and_short_ones_are_skipped():
    square = [8, 6, 13, 6, 13, 11, 8, 11]
    mask = decode_segmentation([TRIANGLE, [3, 3, 5, 5], square], H, W)  # [3, 3, 5, 5]: two points, no area
    assert np.array_equal(mask, pycocotools_polygons([TRIANGLE, square]))
    assert not decode_segmentation([], H, W).any() and not decode_segmentation([[1, 2, 3, 4]], H, W).any()


@pytest.mark.parametrize("seed", range(8))
def test_rle_in_both_forms_and_boxes_without_decoding(seed):
    mask = random_mask(seed)
    packed = compressed(mask)
    assert np.array_equal(decode_segmentation(packed, H, W), mask)
    assert np.array_equal(decode_segmentation(packed | {"counts": packed["counts"].encode()}, H, W), mask)
    runs = rle_counts_from_string(packed["counts"])
    assert np.array_equal(decode_segmentation({"size": [H, W], "counts": runs}, H, W), mask)
    assert rle_box(coco_rle(packed, H, W)) == box_from_mask(mask)
    assert rle_box(coco_rle([TRIANGLE], H, W)) == box_from_mask(pycocotools_polygons([TRIANGLE]))
    assert rle_box(coco_rle(compressed(np.zeros((H, W), bool)), H, W)) is None


@pytest.mark.parametrize(
    ("segmentation", "expected"),
    [
        ({"size": [H, W], "counts": [3, 4]}, f"RLE runs cover 7 pixels (expected non-negative runs covering {H}x{W}"),
        ({"size": [H, W], "counts": [H * W + 1, -1]}, "a negative RLE run"),
        ({"size": [H, W], "counts": "3"}, "RLE runs cover 3 pixels"),
        ({"size": [H, W], "counts": "3a"}, "the RLE string ends inside a run length"),
        ({"size": [H, W], "counts": "3 4"}, "character ' ' in an RLE string"),
        ({"size": [H, W], "counts": "é"}, "character 'é' in an RLE string"),
        ({"size": [H, W], "counts": "ooooooo0"}, "an RLE run written with 8 characters"),
        ({"size": [H, W], "counts": b"\xff"}, "an RLE string that is not ASCII"),
        ({"size": [H, W], "counts": 12}, "RLE counts of type int"),
        ({"size": [H, W], "counts": [1.5, 2]}, "RLE counts that are not integers"),
        ({"size": [W, H], "counts": [H * W]}, f"an RLE of {H}x{W} pixels on an image of {W}x{H}"),
        ({"size": "big", "counts": [H * W]}, "RLE size 'big'"),
        ([[1, 2, 3]], "a polygon of 3 coordinates"),
        ([[1, 2, float("nan"), 4, 5, 6]], "a polygon that is not a list of finite numbers"),
        ([[1, 2, True, 4, 5, 6]], "a polygon that is not a list of finite numbers"),
        ("1 2 3", "a segmentation of type str"),
        ({"size": [H, W]}, "a segmentation of type dict"),
    ],
)
def test_a_bad_segmentation_is_refused_before_pycocotools_reads_it(segmentation, expected):
    with pytest.raises(FormatError) as caught:
        coco_rle(segmentation, H, W)
    assert expected in str(caught.value)


def build_refcoco(root, segmentations):
    """One COCO image (id 7) with one referred annotation per segmentation (ids 70, 71, ...)."""
    (root / "train2014").mkdir(parents=True)
    Image.new("RGB", (W, H), (10, 20, 30)).save(root / "train2014" / "COCO_train2014_000000000007.jpg")
    annotations = [
        {"id": 70 + k, "image_id": 7, "category_id": 1, "segmentation": s} for k, s in enumerate(segmentations)
    ]
    coco = {
        "images": [{"id": 7, "file_name": "COCO_train2014_000000000007.jpg", "height": H, "width": W}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person"}],
    }
    (root / "instances.json").write_text(json.dumps(coco))
    refs = [
        {"ref_id": k, "ann_id": a["id"], "image_id": 7, "split": "train", "sentences": [{"sent": f"thing {k}"}]}
        for k, a in enumerate(annotations)
    ]
    with open(root / "refs(unc).p", "wb") as fh:
        pickle.dump(refs, fh)
    return root


def test_the_reader_decodes_with_pycocotools(tmp_path):
    blob = random_mask(3)
    root = build_refcoco(tmp_path / "refcoco", [[TRIANGLE], compressed(blob), {"size": [H, W], "counts": [H * W]}])
    reader = RefCocoReader(root)
    masks = reader.object_masks("7", 0).masks
    assert np.array_equal(masks[70], pycocotools_polygons([TRIANGLE]))
    assert np.array_equal(masks[71], blob) and not masks[72].any()
    boxes = {o.object_id: o.boxes for o in reader.objects("7")}
    assert boxes == {70: {0: box_from_mask(masks[70])}, 71: {0: box_from_mask(blob)}, 72: {}}
    assert np.array_equal(rle_mask(coco_rle(compressed(blob), H, W)), blob)


def test_a_bad_segmentation_names_the_file_and_the_annotation(tmp_path):
    root = build_refcoco(tmp_path / "refcoco", [[TRIANGLE], {"size": [H, W], "counts": [5]}])
    reader = RefCocoReader(root)
    with pytest.raises(FormatError) as caught:
        reader.objects("7")
    assert str(caught.value).startswith(f"{root / 'instances.json'}: annotation 71: RLE runs cover 5 pixels")
