"""MeViSReader on a fixture in the real layout (docs/formats.md): JSON index files, COCO RLE masks, JPEGs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.dataset_files import write_jpeg
from pycocotools import mask as coco_mask

from refcat.analysis.per_sample import TargetReader
from refcat.annotate.ui.video_view import ViewCache
from refcat.cli import main
from refcat.datasets.mevis import UNION_BASE, MeViSReader
from refcat.datasets.readers import open_reader
from refcat.datasets.ref_youtube_vos import UNNAMED_OBJECT
from refcat.errors import FormatError, MissingDataError
from refcat.store.database import open_store
from refcat.store.instances import list_objects

W, H = 20, 12
VID, VID_U, VID_V = "bd1b5d5f1a7c", "0a1b2c3d4e5f", "ffeeddccbbaa"
N_FRAMES = 4


def object_mask(object_id: int, index: int) -> np.ndarray | None:
    """Object `object_id` of VID on frame `index`; None where the file says null."""
    mask = np.zeros((H, W), bool)
    if object_id == 0:
        mask[1:4, 1 + 2 * index : 5 + 2 * index] = True  # rows 1..3, cols 1+2i..4+2i
    elif object_id == 1:
        if index == 2:
            return None
        mask[6:9, 10:13] = True  # rows 6..8, cols 10..12
    elif object_id == 2:
        if index == 2:
            return None
        if index < 2:
            mask[9:11, 0:2] = True  # rows 9..10, cols 0..1; frame 3: an empty RLE
    return mask


def rle(mask: np.ndarray | None) -> dict[str, object] | None:
    """The mask as MeViS stores it: COCO compressed RLE with the counts as text."""
    if mask is None:
        return None
    encoded = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in encoded["size"]], "counts": encoded["counts"].decode("ascii")}


def write_json(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def build_mevis(root):
    frames = [f"{i:05d}" for i in range(N_FRAMES)]
    expressions = {
        "0": {"exp": "the cat moving right", "obj_id": [0], "anno_id": [100]},
        "1": {"exp": "two cats", "obj_id": [0, 1], "anno_id": [100, 101]},
        "2": {"exp": "cats  sitting", "obj_id": [1, 0], "anno_id": ["101", "100"]},
        "3": {"exp": "the last one", "obj_id": [2], "anno_id": [102]},
        "4": {"exp": "everything on the left", "obj_id": [1, 2], "anno_id": [101, 102]},
    }
    write_json(root / "train/meta_expressions.json", {"videos": {VID: {"expressions": expressions, "frames": frames}}})
    write_json(
        root / "train/mask_dict.json",
        {str(100 + o): [rle(object_mask(o, i)) for i in range(N_FRAMES)] for o in range(3)},
    )
    for index, name in enumerate(frames):
        write_jpeg(root / "train/JPEGImages" / VID / f"{name}.jpg", (30 * index, 60, 90), (W, H))
    bird = np.zeros((H, W), bool)
    bird[0, 0:3] = True
    write_json(
        root / "valid_u/meta_expressions.json",
        {
            "videos": {
                VID_U: {
                    "expressions": {"0": {"exp": "a bird flying away", "obj_id": [0], "anno_id": [7]}},
                    "frames": ["00000", "00001"],
                }
            }
        },
    )
    write_json(root / "valid_u/mask_dict.json", {"7": [rle(bird), None]})
    for name in ("00000", "00001"):
        write_jpeg(root / "valid_u/JPEGImages" / VID_U / f"{name}.jpg", (1, 2, 3), (W, H))
    write_json(
        root / "valid/meta_expressions.json",
        {"videos": {VID_V: {"expressions": {"0": {"exp": "the dog that turns"}}, "frames": ["00000", "00001"]}}},
    )
    for name in ("00000", "00001"):
        write_jpeg(root / "valid/JPEGImages" / VID_V / f"{name}.jpg", (1, 2, 3), (W, H))
    return root


@pytest.fixture
def root(tmp_path):
    return build_mevis(tmp_path / "mevis")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, root, db, split="train"):
    """The one error line of an import that exits 2 (after the progress bar's output)."""
    code, _, err = run(capsys, "import", "mevis", "--root", root, "--split", split, "--db", db)
    assert code == 2, err
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("refcat import: error: ") and err.count("error") == 1, err
    return last


def test_one_instance_per_expression_and_union_objects(root):
    reader = MeViSReader(root, split="train")
    instances = list(reader.instances())
    assert [(i.key, i.text) for i in instances] == [
        (f"mevis/{VID}/0/exp0", "the cat moving right"),
        (f"mevis/{VID}/1000/exp1", "two cats"),
        (f"mevis/{VID}/1000/exp2", "cats sitting"),  # the same two objects, listed the other way round
        (f"mevis/{VID}/2/exp3", "the last one"),
        (f"mevis/{VID}/1001/exp4", "everything on the left"),
    ]
    assert [reader.target_ids(i) for i in instances] == [(0,), (0, 1), (0, 1), (2,), (1, 2)]
    assert isinstance(reader, TargetReader)  # evaluation scores the union of the target objects


def test_objects_boxes_from_the_rles(root):
    reader = MeViSReader(root, split="train")
    objects = {o.object_id: o for o in reader.objects(VID)}
    assert sorted(objects) == [0, 1, 2, UNION_BASE, UNION_BASE + 1]
    assert all(o.category is None for o in objects.values())
    assert objects[0].boxes == {i: (1 + 2 * i, 1, 4 + 2 * i, 3) for i in range(N_FRAMES)}
    assert objects[1].boxes == dict.fromkeys((0, 1, 3), (10, 6, 12, 8))
    assert objects[2].boxes == dict.fromkeys((0, 1), (0, 9, 1, 10))  # null on frame 2, empty on frame 3
    assert objects[1000].boxes == {0: (1, 1, 12, 8), 1: (3, 1, 12, 8), 2: (5, 1, 8, 3), 3: (7, 1, 12, 8)}
    assert objects[1001].boxes == {0: (0, 6, 12, 10), 1: (0, 6, 12, 10), 3: (10, 6, 12, 8)}


def test_object_masks_decoded_with_pycocotools(root):
    reader = MeViSReader(root, split="train")
    assert reader.annotated_frames(VID) == [0, 1, 2, 3]
    gt = reader.object_masks(VID, 0)
    assert sorted(gt.masks) == [0, 1, 2, 1000, 1001] and gt.void is None
    for object_id in (0, 1, 2):
        assert np.array_equal(gt.masks[object_id], object_mask(object_id, 0))
    assert np.array_equal(gt.masks[1000], object_mask(0, 0) | object_mask(1, 0))
    assert np.array_equal(gt.masks[1001], object_mask(1, 0) | object_mask(2, 0))
    later = reader.object_masks(VID, 2)  # objects 1 and 2 null there: union 1001 absent, 1000 is object 0
    assert sorted(later.masks) == [0, 1000] and np.array_equal(later.masks[1000], object_mask(0, 2))
    assert sorted(reader.object_masks(VID, 3).masks) == [0, 1, 1000, 1001]  # object 2's RLE is empty
    with pytest.raises(MissingDataError, match="has 4 frames"):
        reader.object_masks(VID, 4)


def test_splits_and_the_split_without_masks(root):
    reader = MeViSReader(root)
    assert {v.video_id: (v.split, v.n_frames, v.width, v.height) for v in reader.videos()} == {
        VID: ("train", 4, W, H),
        VID_U: ("valid_u", 2, W, H),
        VID_V: ("valid", 2, W, H),
    }
    assert reader.annotated_frames(VID_V) == []
    (obj,) = reader.objects(VID_V)
    assert (obj.object_id, obj.boxes) == (UNNAMED_OBJECT, {})
    assert [i.key for i in reader.instances() if i.video_id != VID] == [
        f"mevis/{VID_U}/0/exp0",
        f"mevis/{VID_V}/-1/exp0",
    ]
    with pytest.raises(MissingDataError, match="has no masks"):
        reader.object_masks(VID_V, 0)
    assert [o.boxes for o in reader.objects(VID_U)] == [{0: (0, 0, 2, 0)}]
    assert isinstance(open_reader("mevis", root, split="valid_u"), MeViSReader)


def test_a_video_in_two_splits_is_taken_from_the_first(root):
    (root / "valid_u/meta_expressions.json").write_text(
        json.dumps(
            {
                "videos": {
                    VID: {"expressions": {"0": {"exp": "other", "obj_id": [0], "anno_id": [7]}}, "frames": ["00000"]}
                }
            }
        )
    )
    reader = MeViSReader(root)
    assert [(v.video_id, v.split) for v in reader.videos()] == [(VID, "train"), (VID_V, "valid")]


def test_construction_does_not_read_the_masks(root):
    (root / "train/mask_dict.json").write_text("{not json")
    reader = MeViSReader(root, split="train")
    assert len(list(reader.instances())) == 5
    with pytest.raises(FormatError, match="invalid JSON") as caught:
        reader.objects(VID)
    assert str(root / "train/mask_dict.json") in str(caught.value)


def test_import_and_the_videos_page(root, tmp_path, capsys):
    db = tmp_path / "s.db"
    code, out, err = run(capsys, "import", "mevis", "--root", root, "--split", "train", "--db", db)
    assert code == 0, err
    assert "videos: 1 added" in out and "objects: 5 added" in out and "instances: 5 added" in out
    store = open_store(db)
    assert sorted(o.object_id for o in list_objects(store, "mevis", VID)) == [0, 1, 2, 1000, 1001]
    view = ViewCache(store, {"mevis": root}).build(f"mevis/{VID}/1001/exp4")
    assert view.n_frames == 4 and view.boxed_frames == (0, 1, 3)
    store.dispose()


def _spoil_expression(field, value, expression="1"):
    def change(root):
        path = root / "train/meta_expressions.json"
        data = json.loads(path.read_text())
        record = data["videos"][VID]["expressions"][expression]
        if value is None:
            del record[field]
        else:
            record[field] = value
        path.write_text(json.dumps(data))
        return path

    return change


def _spoil_masks(change):
    def spoil(root):
        path = root / "train/mask_dict.json"
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
        return path

    return spoil


def _small_rle(data):
    data["101"][0] = rle(np.ones((H - 1, W), bool)) | {"size": [H, W]}  # runs that cover H - 1 rows only


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_spoil_expression("anno_id", [100]), f"video '{VID}', expression '1': obj_id [0, 1], anno_id [100]"),
        (_spoil_expression("obj_id", None), "obj_id None"),
        (_spoil_expression("obj_id", [0, 1000]), "object id 1000 (expected object ids below 1000)"),
        (_spoil_expression("obj_id", [0, "x"]), "expression '1': object id 'x'"),
        (_spoil_expression("anno_id", [100, 555], expression="2"), "object 1 has anno_id 100, another"),
        (_spoil_masks(lambda d: d.pop("102")), f"anno_id 102 (video '{VID}', object 2) is not in the file"),
        (_spoil_masks(lambda d: d["100"].pop()), f"anno_id 100 (video '{VID}', object 0): 3 entries"),
        (_spoil_masks(lambda d: d.update({"101": {"a": 1}})), "object 1): a dict"),
        (
            _spoil_masks(lambda d: d["100"].__setitem__(1, rle(np.zeros((H, W + 2), bool)))),
            f"frame 1: anno_id 100 (video '{VID}', object 0): an RLE of {W + 2}x{H} pixels on an image of {W}x{H}",
        ),
        (_spoil_masks(_small_rle), f"RLE runs cover {(H - 1) * W} pixels"),
        (_spoil_masks(lambda d: d["100"].__setitem__(0, {"size": [H, W], "counts": "~~"})), "character '~'"),
        (_spoil_masks(lambda d: d["100"].__setitem__(0, [1, 2])), "a polygon that is not a list of finite numbers"),
        (_spoil_masks(lambda d: d["100"].__setitem__(0, "abc")), "a segmentation of type str"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(root, tmp_path, capsys, spoil, expected):
    path = spoil(root)
    line = refused(capsys, root, tmp_path / "s.db")
    assert str(path) in line and expected in line
