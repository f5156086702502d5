"""The demo REs are true of the drawn scene: every claim is re-checked here on the written masks and frames.

These checks are written from the claim semantics (demo_scene's docstring), not by calling the
generator's own checks: boxes come from the PNGs, colours from the JPEGs.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from refcat.demo.generator import read_scene, write_demo_dataset
from refcat.demo.scene import COLOURS, TEMPLATES

W, H = 854, 480
MOTION_WORDS = ("walking", "running", "driving", "rolling", "flying")
CATEGORY_OF_CLAIM = {
    "category": "category",
    "colour": "appearance",
    "size": "appearance",
    "hpos": "location",
    "depth": "location",
    "next_to": "location",
    "static": "static",
    "motion": "motion",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Two rounds of the twelve templates (the second one held out) at full size, 6-8 frames each,
    with boxes re-measured from the PNG masks."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    write_demo_dataset(root, seed=3, n_videos=24, min_frames=6, max_frames=8, val_round=2)
    scene = read_scene(root)
    boxes = {}
    for seq, video in scene["videos"].items():
        for frame in range(video["n_frames"]):
            values = np.array(Image.open(root / "Annotations/480p" / seq / f"{frame:05d}.png"))
            for oid in video["objects"]:
                ys, xs = np.nonzero(values == int(oid))
                box = (xs.min(), ys.min(), xs.max(), ys.max()) if xs.size else None
                boxes.setdefault((seq, int(oid)), []).append(box)
    return root, scene, boxes


def _frames(boxes, full_video):
    return [f for f, b in enumerate(boxes) if b is not None] if full_video else [0]


def _median_height(boxes, frames):
    return float(np.median([boxes[f][3] - boxes[f][1] + 1 for f in frames if boxes[f] is not None]))


def _holds(key, value, seq, oid, scene, boxes, full_video) -> bool:
    """Is the claim `key = value` true of object `oid`? Written from the claim definitions."""
    video = scene["videos"][seq]
    obj = video["objects"][str(oid)]
    mine = boxes[(seq, oid)]
    frames = _frames(mine, full_video)
    present = [f for f in frames if mine[f] is not None]
    rivals = [int(k) for k, o in video["objects"].items() if o["class"] == obj["class"] and int(k) != oid]
    if key == "category":
        return obj["class"] == value
    if key == "colour":
        return obj["colour"] == value
    if key == "size":
        if not rivals:
            return False
        h = _median_height(mine, present)
        others = [_median_height(boxes[(seq, r)], frames) for r in rivals]
        return all(h >= 1.2 * o for o in others) if value == "big" else all(h * 1.2 <= o for o in others)
    if key == "hpos":
        index = ("left", "middle", "right").index(value)
        return all(index * W / 3 <= (mine[f][0] + mine[f][2]) / 2 < (index + 1) * W / 3 for f in present)
    if key == "depth":
        if not rivals or any(video["objects"][str(r)]["motion"] == "flying" for r in rivals + [oid]):
            return False
        sign = 1 if value == "back" else -1
        return all(
            boxes[(seq, r)][f] is not None and sign * (boxes[(seq, r)][f][3] - mine[f][3]) >= 0.03 * H
            for r in rivals
            for f in present
        )
    if key == "next_to":
        other = boxes[(seq, value)]
        both = [f for f in present if other[f] is not None]
        return (
            value != oid
            and bool(both)
            and all(
                max(mine[f][0] - other[f][2], other[f][0] - mine[f][2], 0) <= 0.06 * W
                and mine[f][1] <= other[f][3]
                and other[f][1] <= mine[f][3]
                for f in both
            )
        )
    if key == "static":
        return obj["motion"] == "static" and obj["pose"] == value
    if key == "motion":
        verb, direction = value
        dx = (mine[present[-1]][0] + mine[present[-1]][2] - mine[present[0]][0] - mine[present[0]][2]) / 2
        return obj["motion"] == verb and (dx if direction == "right" else -dx) >= 0.1 * W
    raise AssertionError(f"unknown claim {key}")


def _fits(claims, seq, oid, scene, boxes, full_video):
    return all(_holds(k, v, seq, oid, scene, boxes, full_video) for k, v in claims.items())


def test_claims_are_true_and_pick_the_intended_objects(demo):
    _, scene, boxes = demo
    kinds = set()
    for seq, video in scene["videos"].items():
        for e in video["expressions"]:
            full_video = e["frames"] == "all"
            fits = [int(k) for k in video["objects"] if _fits(e["claims"], seq, int(k), scene, boxes, full_video)]
            assert fits == e["matches"], (seq, e)
            kinds.add(e["intended"])
            if e["intended"] == "valid":
                assert fits == [e["object_id"]], (seq, e["text"])
            elif e["intended"] == "no-re":
                assert e["object_id"] in fits and len(fits) >= 2, (seq, e["text"])
            else:
                assert e["object_id"] not in fits and fits == [e["described_object"]], (seq, e["text"])
    assert kinds == {"valid", "no-re", "wrong-object"}


def test_deliberate_cases(demo):
    _, scene, _ = demo
    odd = {
        (seq, e["object_id"], e["source"], e["intended"], e["text"])
        for seq, v in scene["videos"].items()
        for e in v["expressions"]
        if e["intended"] != "valid"
    }
    lot = scene["videos"]["parking-lot"]["objects"]
    assert lot["1"]["colour"] == lot["2"]["colour"]  # two parked cars of one colour
    colour = lot["1"]["colour"]
    assert ("parking-lot", 1, "annot2", "no-re", f"a {colour} parked car") in odd
    assert {(s, i, src, k) for s, i, src, k, _ in odd} == {
        (name + suffix, *case)
        for suffix in ("", "-2")
        for name, *case in (
            ("parking-lot", 1, "annot2", "no-re"),
            ("street-cross", 2, "annot2", "wrong-object"),
            ("pet-show", 3, "annot2_full_video", "no-re"),
        )
    }


def test_first_frame_files_have_no_motion_and_categories_follow_claims(demo):
    _, scene, _ = demo
    used = set()
    for video in scene["videos"].values():
        for e in video["expressions"]:
            assert e["categories"] == sorted({CATEGORY_OF_CLAIM[k] for k in e["claims"]})
            used |= set(e["categories"])
            if e["frames"] == "first":
                assert "motion" not in e["claims"]
                assert not any(word in e["text"].split() for word in MOTION_WORDS), e["text"]
            assert (e["frames"] == "all") == e["source"].endswith("_full_video")
    assert used == {"appearance", "location", "motion", "static", "category"}


def test_trivial_and_non_trivial_objects_exist(demo):
    _, scene, _ = demo
    counts = []
    for video in scene["videos"].values():
        classes = [o["class"] for o in video["objects"].values()]
        counts += [classes.count(c) for c in classes]
    assert 1 in counts and max(counts) >= 3


def test_static_objects_stay_and_movers_travel(demo):
    _, scene, boxes = demo
    for seq, video in scene["videos"].items():
        for oid, obj in video["objects"].items():
            track = [b for b in boxes[(seq, int(oid))] if b is not None]
            widths = [b[2] - b[0] + 1 for b in track]
            union = max(b[2] for b in track) - min(b[0] for b in track) + 1
            if obj["motion"] == "static":
                # occlusion only removes pixels: the union of the masks is no wider than one frame's
                assert union <= max(widths), (seq, oid)
                assert len({tuple(a) for a in obj["anchors"]}) == 1
            else:
                assert union - max(widths) >= 0.1 * W, (seq, oid)


def test_named_colours_are_the_drawn_colours(demo):
    """The colour an RE names is the nearest named colour (of the class's palette, under any shading
    factor in 0.6-1.1) to the object's median pixel in frame 0; for people, over the shirt band
    (25-50% of the box height)."""
    root, scene, boxes = demo
    from refcat.demo.scene import CLASS_COLOURS

    for seq, video in scene["videos"].items():
        frame = np.asarray(Image.open(root / "JPEGImages/480p" / seq / "00000.jpg"), np.float32)
        values = np.array(Image.open(root / "Annotations/480p" / seq / "00000.png"))
        for oid, obj in video["objects"].items():
            mask = values == int(oid)
            if obj["class"] == "person":
                _, y1, _, y2 = boxes[(seq, int(oid))][0]
                band = np.zeros_like(mask)
                band[y1 + (y2 - y1) // 4 : y1 + (y2 - y1) // 2] = True
                mask &= band
            pixel = np.median(frame[mask], axis=0)
            names = CLASS_COLOURS[obj["class"]]
            shades = np.linspace(0.6, 1.1, 11)[:, None]
            nearest = min(names, key=lambda n: np.linalg.norm(pixel - shades * COLOURS[n], axis=1).min())
            assert nearest == obj["colour"], (seq, oid, pixel)


def test_second_round_is_held_out_and_mirrors_some_templates(demo):
    """val_round=2: the second round is val, the first train; a mirrored video has every static
    object that stands in a side third of its template on the other side."""
    _, scene, boxes = demo
    assert {seq: v["split"] for seq, v in scene["videos"].items()} == {
        t.name + suffix: split for t in TEMPLATES for suffix, split in (("", "train"), ("-2", "val"))
    }
    mirrored = set()
    for template in TEMPLATES:
        for suffix in ("", "-2"):
            seq = template.name + suffix
            sides = []
            for oid, spec in enumerate(template.objects, start=1):
                if spec.motion == "static" and not spec.near and spec.start != "middle":
                    x1, _, x2, _ = boxes[(seq, oid)][0]
                    drawn = "left" if (x1 + x2) / 2 < W / 3 else "right" if (x1 + x2) / 2 >= 2 * W / 3 else "middle"
                    sides.append(drawn == spec.start)
            assert sides.count(True) in (0, len(sides)), seq  # all kept or all swapped
            if sides and not sides[0]:
                mirrored.add(seq)
    assert mirrored and all(seq.endswith("-2") for seq in mirrored)
