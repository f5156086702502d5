"""The motion diagnostic set: layout read by the DAVIS reader, only the cue under test differs, REs checked on the
written masks and frames (re-derived here from the pixels, not by calling the generator's checks), positions that
say nothing, determinism, the CLI option."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from PIL import Image

from refcat.cli import main
from refcat.datasets.davis import DavisReader
from refcat.demo.diagnostic import (
    FAST,
    SLOW,
    VideoSpec,
    marked_object,
    plan_video,
    video_specs,
    write_diagnostic_dataset,
)
from refcat.demo.generator import COMPLETE_MARKER, read_scene
from refcat.demo.scene import COLOURS
from refcat.errors import UsageError
from refcat.taxonomy import DECISIONS

WIDTH, HEIGHT = 320, 180
FULL_VIDEO = ("annot1_full_video", "annot2_full_video")


@pytest.fixture(scope="module")
def diag(tmp_path_factory):
    """18 videos (12 train, 6 val: every contrast and movement in train), 6-8 frames, 320x180."""
    root = tmp_path_factory.mktemp("diag") / "diag"
    write_diagnostic_dataset(root, seed=0, n_videos=18, min_frames=6, max_frames=8)
    return root


def _labels(root, seq, frame):
    return np.asarray(Image.open(root / "Annotations" / "480p" / seq / f"{frame:05d}.png"))


def _image(root, seq, frame):
    return np.asarray(Image.open(root / "JPEGImages" / "480p" / seq / f"{frame:05d}.jpg").convert("RGB"))


def _measure(root, seq, video):
    """Per object id: (box centre x, box bottom y, box height) per frame, from the written masks."""
    out = {}
    for oid in map(int, video["objects"]):
        rows = []
        for f in range(video["n_frames"]):
            ys, xs = np.nonzero(_labels(root, seq, f) == oid)
            rows.append(((xs.min() + xs.max()) / 2, ys.max(), ys.max() - ys.min() + 1))
        out[oid] = np.array(rows, dtype=float)
    return out


def test_video_specs_take_cues_contrasts_and_movements_in_turn():
    got = [(s.cue, s.contrast, s.movement) for s in video_specs(12)]
    assert got == [
        ("motion", "moving-still", None),
        ("appearance", "colour", "still"),
        ("location", "side", "still"),
        ("motion", "left-right", None),
        ("appearance", "colour", "moving"),
        ("location", "depth", "still"),
        ("motion", "fast-slow", None),
        ("appearance", "colour", "still"),
        ("location", "side", "moving"),
        ("motion", "moving-still", None),
        ("appearance", "colour", "moving"),
        ("location", "depth", "moving"),
    ]


def test_the_davis_reader_reads_it_with_its_splits_and_full_video_res(diag):
    scene = read_scene(diag)
    assert scene["diagnostic"] == "motion" and (diag / COMPLETE_MARKER).is_file()
    reader = DavisReader(diag, dataset="demo")
    videos = reader.videos()
    assert sorted(v.split for v in videos) == ["train"] * 12 + ["val"] * 6
    assert all(re.fullmatch(r"(train|val)-\d{3}-[a-z]+(-[a-z]+)?", v.video_id) for v in videos)
    instances = list(reader.instances())
    assert len(instances) == 18 * 2 * 2 and {i.source for i in instances} == set(FULL_VIDEO)
    for name in ("Davis17_annot1.txt", "Davis17_annot2.txt"):
        assert (diag / "davis_text_annotations" / name).read_bytes() == b""
    by_key = {(i.video_id, i.object_id, i.source): i.text for i in instances}
    for seq, video in scene["videos"].items():
        objects = reader.objects(seq)
        assert [o.object_id for o in objects] == [1, 2] and len({o.category for o in objects}) == 1
        assert reader.frame_size(seq) == (WIDTH, HEIGHT)
        for e in video["expressions"]:
            assert by_key[(seq, e["object_id"], e["source"])] == e["text"]


def test_only_the_cue_under_test_differs(diag):
    scene = read_scene(diag)
    kinds = set()
    for seq, video in scene["videos"].items():
        a, b = video["objects"].values()
        kinds.add((video["cue"], video["contrast"], video["movement"]))
        assert a["class"] == b["class"] and a["gait"] == b["gait"]
        assert (a["colour"] != b["colour"]) == (video["cue"] == "appearance")
        assert {a["lane"], b["lane"]} == {"back", "front"}
        heights = _measure(diag, seq, video)
        ha, hb = (np.median(m[:, 2]) for m in heights.values())
        assert abs(ha - hb) <= 0.1 * max(ha, hb), seq  # one sprite height in both lanes
        if video["cue"] != "motion":  # controls: both still, or both moving the same way at the same speed
            assert a["motion"] == b["motion"] and a["direction"] == b["direction"]
            assert a["travel"] == pytest.approx(b["travel"], abs=0.02)
            assert (a["motion"] == "static") == (video["movement"] == "still")
        elif video["contrast"] == "moving-still":
            assert sorted([a["motion"] == "static", b["motion"] == "static"]) == [False, True]
        elif video["contrast"] == "left-right":
            assert {a["direction"], b["direction"]} == {"left", "right"} and a["travel"] == pytest.approx(b["travel"])
        else:
            assert max(a["travel"], b["travel"]) / min(a["travel"], b["travel"]) == pytest.approx(FAST / SLOW, rel=0.01)
    assert len(kinds) == 9  # 3 motion contrasts, colour x 2 movements, side and depth x 2 movements


def test_every_re_is_true_of_its_referent_alone_on_the_written_pixels(diag):
    """Each claim re-derived from the masks and frames, for the referent and against the other object."""
    scene = read_scene(diag)
    checked = set()
    for seq, video in scene["videos"].items():
        m = _measure(diag, seq, video)
        objects = video["objects"]
        for e in video["expressions"]:
            me = e["object_id"]
            other = 3 - me
            claims = e["claims"]
            assert e["intended"] == "valid" and e["matches"] == [me] and e["frames"] == "all"
            assert e["cue"] == video["cue"] and e["source"] in FULL_VIDEO
            assert claims["category"] == objects[str(me)]["class"]
            path = {k: np.abs(np.diff(m[k][:, 0])).sum() for k in (me, other)}
            if claims.get("moves") == "no":
                assert len({tuple(p) for p in objects[str(me)]["anchors"]}) == 1
                assert path[other] >= 0.1 * WIDTH
                assert e["categories"] == ["category", "static"]
            elif "moves" in claims:
                assert claims["moves"] == objects[str(me)]["motion"] and path[me] >= 0.1 * WIDTH
                assert "motion" in e["categories"]
            if "speed" in claims:
                fast, slow = (me, other) if claims["speed"] == "fast" else (other, me)
                assert path[fast] >= 1.5 * path[slow]
            if "motion" in claims:
                verb, direction = claims["motion"]
                assert verb == objects[str(me)]["motion"] == objects[str(other)]["motion"]
                shift = {k: m[k][-1, 0] - m[k][0, 0] for k in (me, other)}
                sign = 1 if direction == "right" else -1
                assert sign * shift[me] >= 0.1 * WIDTH and sign * shift[other] < 0
                assert e["categories"] == ["category", "location", "motion"]
            if "side" in claims:
                sign = 1 if claims["side"] == "left" else -1
                assert (sign * (m[other][:, 0] - m[me][:, 0]) >= 0.1 * WIDTH).all()
            if "depth" in claims:
                sign = 1 if claims["depth"] == "front" else -1
                assert (sign * (m[me][:, 1] - m[other][:, 1]) >= 0.03 * HEIGHT).all()
            if "colour" in claims:  # the pair of mean pixel colours is nearer the named colours than swapped
                mean = {}
                for k in (me, other):
                    pixels = [_image(diag, seq, f)[_labels(diag, seq, f) == k] for f in range(video["n_frames"])]
                    mean[k] = np.concatenate(pixels).mean(axis=0)
                named = {k: np.array(COLOURS[objects[str(k)]["colour"]]) for k in (me, other)}
                right = np.linalg.norm(mean[me] - named[me]) + np.linalg.norm(mean[other] - named[other])
                swapped = np.linalg.norm(mean[me] - named[other]) + np.linalg.norm(mean[other] - named[me])
                assert right < swapped, (seq, e["text"])
            checked |= set(claims) - {"category"}
    assert checked == {"moves", "speed", "motion", "side", "depth", "colour"}


def test_re_wording_names_only_the_cue(diag):
    scene = read_scene(diag)
    words = {
        "motion": {"moving", "running", "walking", "driving", "rolling", "fast", "slowly", "faster", "moves", "still"},
        "appearance": set(COLOURS),
        "location": {"left", "right", "front", "back", "foreground", "background"},
    }
    for video in scene["videos"].values():
        for e in video["expressions"]:
            tokens = set(e["text"].split())
            assert tokens & words[e["cue"]], e["text"]
            for cue, vocabulary in words.items():
                if cue != e["cue"] and not (e["cue"] == "motion" and cue == "location" and "motion" in e["claims"]):
                    assert not tokens & vocabulary, e["text"]


def test_a_negated_motion_is_static_as_the_taxonomy_decides(diag):
    example = next(x for d in DECISIONS for x in d.examples if x.text == "a car that is not moving")
    still = [
        e for v in read_scene(diag)["videos"].values() for e in v["expressions"] if e["claims"].get("moves") == "no"
    ]
    assert still and all(
        set(example.has) <= set(e["categories"]) and not set(example.lacks) & set(e["categories"]) for e in still
    )


@pytest.mark.parametrize("contrast", ["moving-still", "left-right", "fast-slow"])
def test_in_motion_videos_position_lane_facing_and_id_say_nothing(contrast):
    """Over 600 plans: the key object (the mover, the one going left, the fast one) against the other."""
    rng = np.random.default_rng(3)
    key_x, other_x, left, front, first, facing = [], [], [], [], [], []
    for i in range(600):
        plan = plan_video("x", "train", VideoSpec("motion", contrast, None), rng, (0, 0, i), 16, 24, WIDTH, HEIGHT)
        a, b = plan.objects
        key = marked_object(plan, contrast)
        other = b if key is a else a
        kx, ox = (np.array([x for x, _ in o.anchors]) for o in (key, other))
        key_x += list(kx)
        other_x += list(ox)
        left.append((kx < ox).mean())
        front.append(key.anchors[0][1] > other.anchors[0][1])
        first.append(key is a)
        facing.append(key.facing == "left")
        assert a.gait == b.gait and a.height == b.height and a.colour == b.colour
    for share in (np.mean(left), np.mean(front), np.mean(first), np.mean(facing)):
        assert 0.44 <= share <= 0.56
    # the x positions of the key object and of the other one over all frames: the same distribution
    # (Kolmogorov-Smirnov distance; a still object placed uniformly beside a mover whose path midpoint is uniform
    # gives about 0.13)
    k, o = np.sort(key_x), np.sort(other_x)
    grid = np.concatenate([k, o])
    ks = np.abs(np.searchsorted(k, grid, side="right") / len(k) - np.searchsorted(o, grid, side="right") / len(o))
    assert ks.max() < 0.06


def test_still_objects_are_frozen_in_a_stride_and_movers_start_at_random_phases():
    rng = np.random.default_rng(5)
    starts = []
    for i in range(200):
        plan = plan_video("x", "train", VideoSpec("motion", "moving-still", None), rng, (0, 0, i), 16, 24, 320, 180)
        still, mover = sorted(plan.objects, key=lambda o: o.motion != "static")
        assert still.gait == mover.motion and len(set(still.phases)) == 1 and len(set(mover.phases)) == plan.n_frames
        starts += [still.phases[0] % 1, mover.phases[0] % 1]
    assert np.histogram(starts, bins=4, range=(0, 1))[0].min() >= 70  # 400 phases, about 100 a quarter


def test_deterministic_for_a_seed(tmp_path):
    def files(root):
        return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        write_diagnostic_dataset(tmp_path / name, seed=seed, n_videos=3, min_frames=2, max_frames=3)
    a, b, c = (files(tmp_path / n) for n in "abc")
    assert a == b and a.keys() == c.keys() and a != c


def test_bad_parameters_and_targets_are_refused(tmp_path):
    with pytest.raises(UsageError, match="bad diagnostic parameters"):
        write_diagnostic_dataset(tmp_path / "x", n_videos=2)
    with pytest.raises(UsageError, match="wider frame"):
        write_diagnostic_dataset(tmp_path / "x", n_videos=3, width=120)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        write_diagnostic_dataset(tmp_path / "other", n_videos=3)


def test_cli_option_writes_it_and_refuses_val_round(tmp_path, capsys):
    sizes = ["--videos", "3", "--min-frames", "2", "--max-frames", "3"]
    assert main(["demo-data", "--diagnostic", "motion", "--out-dir", str(tmp_path / "d"), *sizes]) == 0
    assert "motion diagnostic dataset written" in capsys.readouterr().out
    scene = read_scene(tmp_path / "d")
    assert scene["diagnostic"] == "motion" and (scene["width"], scene["height"]) == (WIDTH, HEIGHT)
    assert [v["cue"] for v in scene["videos"].values()] == ["motion", "appearance", "motion"]
    assert main(["demo-data", "--diagnostic", "motion", "--out-dir", str(tmp_path / "e"), "--val-round", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--val-round" in err
    assert main(["demo-data", "--diagnostic", "motion", "--out-dir", str(tmp_path / "f"), "--width", "10"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_help_states_the_writers_defaults(capsys):
    defaults = inspect.signature(write_diagnostic_dataset).parameters
    with pytest.raises(SystemExit):
        main(["demo-data", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option, name in (("videos", "n_videos"), ("min-frames", "min_frames"), ("max-frames", "max_frames")):
        assert f"with --diagnostic {defaults[name].default}" in text, option
    assert f"with --diagnostic {defaults['width'].default})" in text
    assert f"with --diagnostic {defaults['height'].default})" in text
