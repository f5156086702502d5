"""RefYouTubeVOSReader on a fixture in the real layout (docs/formats.md): JSON index files, palette PNGs, JPEGs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.dataset_files import write_jpeg, write_palette_png

from refcat.annotate.ui.video_view import ViewCache
from refcat.categorize.difficulty import video_difficulties
from refcat.cli import main
from refcat.datasets.readers import open_reader
from refcat.datasets.ref_youtube_vos import UNNAMED_OBJECT, RefYouTubeVOSReader
from refcat.errors import FormatError, MissingDataError, UsageError
from refcat.store.database import open_store
from refcat.store.instances import list_objects

W, H = 24, 16
VID, HORSE, VALID = "a1b2c3d4e5", "f0e1d2c3b4", "0062f687f1"


def labels_of(index: int) -> np.ndarray:
    """The mask of frame `index` of VID: 1 and 2 persons (2 absent from frame 1), 3 a one-pixel dog."""
    labels = np.zeros((H, W), np.uint8)
    labels[2:6, 3 + index : 9 + index] = 1  # rows 2..5, cols 3+i..8+i
    if index != 1:
        labels[10:12, 15:21] = 2  # rows 10..11, cols 15..20
    labels[14, 1] = 3
    return labels


def write_json(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def build_refytvos(root):
    """Train: VID (frames listed out of order, every 5th) and HORSE (one annotated frame); valid: VALID, no obj_id."""
    train_frames = {VID: ["00000", "00010", "00005"], HORSE: ["00000", "00005"]}
    expressions = {
        VID: {
            "0": {"exp": "a man  on the left ", "obj_id": "1"},
            "1": {"exp": "the dog", "obj_id": "3"},
            "2": {"exp": "person on the right", "obj_id": "2"},
            "3": {"exp": "the cat", "obj_id": "4"},
        },
        HORSE: {"0": {"exp": "a horse", "obj_id": "1"}},
    }
    write_json(
        root / "meta_expressions/train/meta_expressions.json",
        {"videos": {v: {"expressions": expressions[v], "frames": train_frames[v]} for v in train_frames}},
    )
    write_json(
        root / "train/meta.json",
        {
            "videos": {
                VID: {
                    "objects": {
                        "1": {"category": "person", "frames": ["00000", "00005", "00010"]},
                        "2": {"category": "person", "frames": ["00000", "00010"]},
                        "3": {"category": "dog", "frames": ["00000", "00005", "00010"]},
                        "4": {"category": "cat", "frames": []},
                    }
                },
                HORSE: {"objects": {"1": {"category": "horse", "frames": ["00000"]}}},
            }
        },
    )
    for index, name in enumerate(sorted(train_frames[VID])):
        write_jpeg(root / "train/JPEGImages" / VID / f"{name}.jpg", (40 * index, 90, 160), (W, H))
        write_palette_png(root / "train/Annotations" / VID / f"{name}.png", labels_of(index))
    for name in train_frames[HORSE]:
        write_jpeg(root / "train/JPEGImages" / HORSE / f"{name}.jpg", (200, 10, 10), (W, H))
    horse = np.zeros((H, W), np.uint8)
    horse[0:2, 0:2] = 1
    write_palette_png(root / "train/Annotations" / HORSE / "00000.png", horse)
    valid_frames = ["00000", "00001", "00002"]
    write_json(
        root / "meta_expressions/valid/meta_expressions.json",
        {
            "videos": {
                VALID: {
                    "expressions": {
                        "0": {"exp": "a puppy dog on the left drinking milk from its mother"},
                        "1": {"exp": "the mother dog"},
                    },
                    "frames": valid_frames,
                }
            }
        },
    )
    for name in valid_frames:
        write_jpeg(root / "valid/JPEGImages" / VALID / f"{name}.jpg", (5, 5, 5), (W, H))
    return root


@pytest.fixture
def root(tmp_path):
    return build_refytvos(tmp_path / "ref-youtube-vos")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, root, db):
    """The one error line of an import of the train split that exits 2 (after the progress bar's output)."""
    code, _, err = run(capsys, "import", "ref-youtube-vos", "--root", root, "--split", "train", "--db", db)
    assert code == 2, err
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("refcat import: error: ") and err.count("error") == 1, err
    return last


def test_videos_and_frames_by_position_in_the_sorted_names(root):
    reader = RefYouTubeVOSReader(root, split="train")
    videos = {v.video_id: v for v in reader.videos()}
    assert list(videos) == [VID, HORSE]
    video = videos[VID]
    assert (video.dataset, video.split, video.n_frames, video.width, video.height, video.fps) == (
        "ref-youtube-vos",
        "train",
        3,
        W,
        H,
        None,
    )
    assert video.source.endswith(f"train/JPEGImages/{VID}")
    assert [reader.frame_name(VID, i) for i in range(3)] == ["00000", "00005", "00010"]
    assert reader.frame(VID, 2).shape == (H, W, 3)
    assert abs(int(reader.frame(VID, 2)[0, 0, 0]) - 80) < 8  # frame 00010.jpg, written with red 40 * 2
    with pytest.raises(MissingDataError, match="has 3 frames"):
        reader.frame(VID, 3)


def test_masks_objects_and_categories(root):
    reader = RefYouTubeVOSReader(root, split="train")
    assert reader.annotated_frames(VID) == [0, 1, 2]
    assert reader.annotated_frames(HORSE) == [0]
    masks = reader.object_masks(VID, 1)
    assert sorted(masks.masks) == [1, 3] and masks.void is None  # object 2 is absent from frame 1
    assert np.array_equal(masks.masks[1], labels_of(1) == 1)
    objects = {o.object_id: o for o in reader.objects(VID)}
    assert sorted(objects) == [1, 2, 3, 4]  # 4: in meta.json, never masked
    assert objects[1].boxes == {0: (3, 2, 8, 5), 1: (4, 2, 9, 5), 2: (5, 2, 10, 5)}
    assert objects[2].boxes == {0: (15, 10, 20, 11), 2: (15, 10, 20, 11)}
    assert objects[3].boxes == dict.fromkeys(range(3), (1, 14, 1, 14))
    assert objects[4].boxes == {} and objects[4].category == "cat"
    assert [objects[i].category for i in (1, 2, 3)] == ["person", "person", "dog"]


def test_trivial_and_non_trivial_from_the_categories(root):
    decisions = video_difficulties(RefYouTubeVOSReader(root, split="train").objects(VID))
    assert {i: d.difficulty for i, d in decisions.items()} == {
        1: "non-trivial",
        2: "non-trivial",
        3: "trivial",
        4: "trivial",
    }
    assert all(d.automatic for d in decisions.values())


def test_instances_one_per_expression(root):
    reader = RefYouTubeVOSReader(root)
    instances = list(reader.instances())
    assert [(i.key, i.text) for i in instances] == [
        (f"ref-youtube-vos/{VID}/1/exp0", "a man on the left"),  # spaces collapsed, case kept
        (f"ref-youtube-vos/{VID}/3/exp1", "the dog"),
        (f"ref-youtube-vos/{VID}/2/exp2", "person on the right"),
        (f"ref-youtube-vos/{VID}/4/exp3", "the cat"),
        (f"ref-youtube-vos/{HORSE}/1/exp0", "a horse"),
        (f"ref-youtube-vos/{VALID}/-1/exp0", "a puppy dog on the left drinking milk from its mother"),
        (f"ref-youtube-vos/{VALID}/-1/exp1", "the mother dog"),
    ]


def test_the_valid_split_names_no_referent(root):
    reader = RefYouTubeVOSReader(root, split="valid")
    assert [(v.video_id, v.split, v.n_frames) for v in reader.videos()] == [(VALID, "valid", 3)]
    assert reader.annotated_frames(VALID) == []
    (obj,) = reader.objects(VALID)
    assert (obj.object_id, obj.boxes, obj.category) == (UNNAMED_OBJECT, {}, None)


def test_splits(root, tmp_path):
    assert {v.video_id: v.split for v in RefYouTubeVOSReader(root).videos()} == {
        VID: "train",
        HORSE: "train",
        VALID: "valid",
    }
    with pytest.raises(UsageError, match="unknown split 'val'"):
        RefYouTubeVOSReader(root, split="val")
    with pytest.raises(MissingDataError, match=r"no meta_expressions\.json"):
        RefYouTubeVOSReader(tmp_path / "empty")
    reader = open_reader("ref-youtube-vos", root, split="valid")
    assert isinstance(reader, RefYouTubeVOSReader) and reader.split == "valid"


def test_construction_reads_the_index_files_only(root):
    png = root / "train/Annotations" / VID / "00005.png"
    png.write_bytes(png.read_bytes()[:30])  # truncated
    (root / "train/JPEGImages" / HORSE / "00000.jpg").unlink()
    reader = RefYouTubeVOSReader(root, split="train")
    assert len(list(reader.instances())) == 5
    with pytest.raises(FormatError, match="cannot decode PNG") as caught:
        reader.objects(VID)
    assert str(png) in str(caught.value)
    with pytest.raises(MissingDataError, match="file not found"):
        reader.videos()


def test_import_categorize_and_the_videos_page(root, tmp_path, capsys):
    db = tmp_path / "s.db"
    code, out, err = run(capsys, "import", "ref-youtube-vos", "--root", root, "--split", "train", "--db", db)
    assert code == 0, err
    assert "videos: 2 added" in out and "objects: 5 added" in out and "instances: 5 added" in out
    store = open_store(db)
    objects = list_objects(store, "ref-youtube-vos", VID)
    assert {o.object_id: o.category for o in objects} == {1: "person", 2: "person", 3: "dog", 4: "cat"}
    assert {o.object_id: d.difficulty for o, d in zip(objects, video_difficulties(objects).values())} == {
        1: "non-trivial",
        2: "non-trivial",
        3: "trivial",
        4: "trivial",
    }
    # the app's player (Videos page) draws object 2's box on the frames where it is present
    view = ViewCache(store, {"ref-youtube-vos": root}).build(f"ref-youtube-vos/{VID}/2/exp2")
    assert view.n_frames == 3 and view.boxed_frames == (0, 2)
    store.dispose()


def _spoil_expressions(root, change):
    path = root / "meta_expressions/train/meta_expressions.json"
    data = json.loads(path.read_text())
    change(data["videos"])
    path.write_text(json.dumps(data))
    return path


def _set(video, key, value):
    def change(videos):
        videos[video][key] = value

    return change


def _set_expression(field, value):
    def change(videos):
        videos[VID]["expressions"]["1"][field] = value

    return change


def _drop_obj_id(videos):
    del videos[VID]["expressions"]["2"]["obj_id"]


def _rename_video(videos):
    videos["../up"] = videos.pop(HORSE)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set(VID, "frames", "00000"), f"video '{VID}': \"frames\" is '00000'"),
        (_set(VID, "frames", ["00000", "a/b"]), f"video '{VID}', frame 'a/b': 'a/b' is not a plain name"),
        (_set(VID, "frames", ["00000", "00005", "00000"]), "frame '00000' is listed twice"),
        (_set(VID, "expressions", []), f"video '{VID}': \"expressions\" is a list, not an object"),
        (_set_expression("exp", 7), f"video '{VID}', expression '1': \"exp\" is 7"),
        (_set_expression("obj_id", "one"), f"video '{VID}', expression '1': object id 'one'"),
        (_set_expression("obj_id", -3), "object id -3"),
        (_drop_obj_id, f"video '{VID}', expression '2' has no obj_id"),
        (_rename_video, "video '../up': '../up' is not a plain name"),
    ],
)
def test_a_bad_expressions_file_exits_2_naming_the_file_and_the_place(root, tmp_path, capsys, change, expected):
    path = _spoil_expressions(root, change)
    line = refused(capsys, root, tmp_path / "s.db")
    assert str(path) in line and expected in line


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda r: (r / "meta_expressions/train/meta_expressions.json").write_text('{"videos": {'), "invalid JSON"),
        (lambda r: (r / "meta_expressions/train/meta_expressions.json").write_text("[1]"), "not an object"),
        (lambda r: (r / "meta_expressions/train/meta_expressions.json").write_bytes(b'{"v\xff": 1}'), "not UTF-8"),
        (
            lambda r: (r / "train/meta.json").write_text(
                json.dumps({"videos": {VID: {"objects": {"1": {"category": 5}}}}})
            ),
            f"video '{VID}', object '1': category 5",
        ),
        (
            lambda r: write_palette_png(r / "train/Annotations" / VID / "00003.png", labels_of(0)),
            "named after no frame",
        ),
        (
            lambda r: write_palette_png(r / "train/Annotations" / VID / "00005.png", np.zeros((H, W + 1), np.uint8)),
            f"mask of {W + 1}x{H} pixels on frames of {W}x{H}",
        ),
        (
            lambda r: write_jpeg(r / "train/Annotations" / HORSE / "00000.png", (1, 2, 3), (W, H)),
            "PNG in mode RGB, not a palette image",
        ),
    ],
)
def test_bad_files_exit_2_with_one_line(root, tmp_path, capsys, spoil, expected):
    spoil(root)
    line = refused(capsys, root, tmp_path / "s.db")
    assert expected in line and str(root) in line
