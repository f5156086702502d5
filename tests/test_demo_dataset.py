"""The demo dataset: DAVIS-2017 layout, palette masks, determinism, encodings, refusal to overwrite."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from refcat.demo.davis_layout import davis_palette
from refcat.demo.generator import (
    COMPLETE_MARKER,
    DEMO_SCENE_FILE,
    read_scene,
    write_demo_dataset,
)
from refcat.errors import FormatError, MissingDataError, UsageError

LINE = re.compile(r'^(\S+) (\d+) "([^"]+)"$')
RE_FILES = {
    "annot1": ("Davis17_annot1.txt", "utf-8"),
    "annot1_full_video": ("Davis17_annot1_full_video.txt", "utf-8"),
    "annot2": ("Davis17_annot2.txt", "latin-1"),
    "annot2_full_video": ("Davis17_annot2_full_video.txt", "latin-1"),
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The twelve templates at 214x120, 6-8 frames."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    write_demo_dataset(root, seed=0, n_videos=12, min_frames=6, max_frames=8, width=214, height=120)
    return root


def _mask(root, seq, frame):
    return Image.open(root / "Annotations" / "480p" / seq / f"{frame:05d}.png")


def test_layout_splits_and_semantics(small):
    scene = read_scene(small)
    videos = scene["videos"]
    assert (small / COMPLETE_MARKER).is_file()
    assert len(videos) == 12
    train = (small / "ImageSets/2017/train.txt").read_text().split()
    val = (small / "ImageSets/2017/val.txt").read_text().split()
    assert len(train) == 8 and len(val) == 4 and not set(train) & set(val)
    assert sorted(train + val) == sorted(videos)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)+", name) for name in videos)
    semantics = json.loads((small / "davis_semantics.json").read_text())
    for seq, video in videos.items():
        assert video["split"] == ("train" if seq in train else "val")
        jpgs = sorted((small / "JPEGImages/480p" / seq).iterdir())
        pngs = sorted((small / "Annotations/480p" / seq).iterdir())
        assert [p.name for p in jpgs] == [f"{i:05d}.jpg" for i in range(video["n_frames"])]
        assert [p.stem for p in pngs] == [p.stem for p in jpgs]
        assert 6 <= video["n_frames"] <= 8
        assert 2 <= len(video["objects"]) <= 4
        assert semantics[seq] == {oid: o["class"] for oid, o in video["objects"].items()}
        with Image.open(jpgs[0]) as frame:
            assert (frame.format, frame.mode, frame.size) == ("JPEG", "RGB", (214, 120))


def test_masks_are_davis_palette_pngs_with_object_ids(small):
    scene = read_scene(small)
    palette = davis_palette()
    # The PASCAL VOC / DAVIS colour map, first entries and the void colour.
    assert palette[:15] == [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128]
    assert palette[255 * 3 :] == [224, 224, 192]
    for seq, video in scene["videos"].items():
        ids = {int(k) for k in video["objects"]}
        for frame in range(video["n_frames"]):
            with _mask(small, seq, frame) as image:
                assert image.format == "PNG" and image.mode == "P" and image.size == (214, 120)
                assert image.getpalette()[:768] == palette
                values = np.array(image)
            assert set(np.unique(values)) <= {0, 255} | ids
            if frame == 0:
                assert {int(v) for v in np.unique(values)} - {0, 255} == ids  # every object visible in frame 0
            for oid, obj in video["objects"].items():
                ys, xs = np.nonzero(values == int(oid))
                box = [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())] if xs.size else None
                assert obj["boxes"][frame] == box
                assert obj["areas"][frame] == xs.size


def test_void_ring_only_around_objects_in_marked_videos(small):
    scene = read_scene(small)
    marked = [seq for seq, v in scene["videos"].items() if v["void_ring"]]
    assert marked == ["parking-lot", "pet-show"]
    for seq in scene["videos"]:
        values = np.array(_mask(small, seq, 0))
        void = values == 255
        if seq not in marked:
            assert not void.any()
            continue
        assert void.any()
        objects = np.pad((values > 0) & ~void, 2)
        near = np.zeros_like(objects)
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                near |= np.roll(np.roll(objects, dy, 0), dx, 1)
        assert near[2:-2, 2:-2][void].all()  # every void pixel within 2 px of an object


def test_re_files_khoreva_format_and_encodings(small):
    scene = read_scene(small)
    folder = small / "davis_text_annotations"
    for source, (name, encoding) in RE_FILES.items():
        raw = (folder / name).read_bytes()
        text = raw.decode(encoding)
        lines = text.splitlines()
        expected = [
            (seq, e["object_id"], e["text"])
            for seq, v in scene["videos"].items()
            for e in v["expressions"]
            if e["source"] == source
        ]
        assert [(m[1], int(m[2]), m[3]) for m in map(LINE.match, lines)] == expected
        assert sum(len(v["objects"]) for v in scene["videos"].values()) == len(lines)
        if encoding == "latin-1":
            assert b"cr\xe8me" in raw  # Latin-1, not UTF-8 (which would be b"cr\xc3\xa8me")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        else:
            raw.decode("utf-8")


def test_davis_reader_reads_the_demo(small):
    """The shared contract: DavisReader(root, dataset="demo") sees the same videos, boxes and REs."""
    from refcat.datasets.davis import DavisReader

    scene = read_scene(small)
    reader = DavisReader(small, dataset="demo")
    assert {v.video_id: v.n_frames for v in reader.videos()} == {k: v["n_frames"] for k, v in scene["videos"].items()}
    video = scene["videos"]["parking-lot"]
    for ref in reader.objects("parking-lot"):
        obj = video["objects"][str(ref.object_id)]
        assert ref.category == obj["class"]
        assert {f: list(b) for f, b in ref.boxes.items()} == {f: b for f, b in enumerate(obj["boxes"]) if b}
    texts = {(i.video_id, i.object_id, i.source): i.text for i in reader.instances()}
    expected = {
        (k, e["object_id"], e["source"]): e["text"] for k, v in scene["videos"].items() for e in v["expressions"]
    }
    assert texts == expected
    assert reader.object_masks("parking-lot", 0).void.any()


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    args = dict(n_videos=3, min_frames=3, max_frames=4, width=214, height=120)
    a = _tree_bytes(write_demo_dataset(tmp_path / "a", seed=7, **args))
    b = _tree_bytes(write_demo_dataset(tmp_path / "b", seed=7, **args))
    c = _tree_bytes(write_demo_dataset(tmp_path / "c", seed=8, **args))
    assert a == b
    assert "Annotations/480p/two-dogs/00000.png" in a
    assert a["Annotations/480p/two-dogs/00000.png"] != c["Annotations/480p/two-dogs/00000.png"]
    assert a["demo_scene.json"] != c["demo_scene.json"]


def test_refuses_a_foreign_folder_and_replaces_an_old_demo(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(UsageError, match="not empty"):
        write_demo_dataset(foreign, n_videos=1, min_frames=2, max_frames=2, width=214, height=120)
    assert (foreign / "thesis.tex").read_text() == "keep me"
    out = tmp_path / "demo"
    write_demo_dataset(out, n_videos=2, min_frames=2, max_frames=2, width=214, height=120)
    (out / "my-notes.txt").write_text("mine")
    write_demo_dataset(out, n_videos=1, min_frames=2, max_frames=2, width=214, height=120)
    assert sorted(p.name for p in (out / "JPEGImages/480p").iterdir()) == ["dog-walk"]
    assert (out / "my-notes.txt").read_text() == "mine"  # only the demo's own paths are replaced
    with pytest.raises(UsageError):
        write_demo_dataset(tmp_path / "bad", min_frames=5, max_frames=3)
    with pytest.raises(UsageError, match=r"val round in 1\.\.2"):  # 13 videos make two rounds
        write_demo_dataset(tmp_path / "bad", n_videos=13, val_round=3)


def test_read_scene_errors(tmp_path):
    with pytest.raises(MissingDataError, match=DEMO_SCENE_FILE):
        read_scene(tmp_path)
    (tmp_path / DEMO_SCENE_FILE).write_text('{"version": 99}')
    with pytest.raises(FormatError, match="version"):
        read_scene(tmp_path)


@pytest.mark.slow
def test_default_parameters(tmp_path):
    root = write_demo_dataset(tmp_path / "demo")
    scene = read_scene(root)
    videos = scene["videos"]
    assert (scene["width"], scene["height"], scene["seed"]) == (854, 480, 0)
    assert len(videos) == 12
    assert all(30 <= v["n_frames"] <= 50 for v in videos.values())
    assert sum(v["split"] == "val" for v in videos.values()) == 4
    n_objects = sum(len(v["objects"]) for v in videos.values())
    assert n_objects == 40
    with Image.open(root / "Annotations/480p/dog-walk/00000.png") as mask:
        assert mask.size == (854, 480)
    for name, encoding in RE_FILES.values():
        lines = (root / "davis_text_annotations" / name).read_bytes().decode(encoding).splitlines()
        assert len(lines) == n_objects
