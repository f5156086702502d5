"""`refcat stats --dataset`: Figure 3 (trivial / non-trivial from the object classes) and, with --categorize,
Figure 4 (the automatic categorizer's categories) for Ref-YouTube-VOS and MeViS, on fixtures in the real layout
(docs/formats.md), read from the root and through the store; hand-counted."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.dataset_files import write_jpeg, write_palette_png
from pycocotools import mask as coco_mask

from refcat.analysis.stats import (
    UNDECIDED,
    category_shares,
    class_label_table,
    difficulty_proportions,
    with_categorizer,
)
from refcat.cli import main
from refcat.datasets.records import Instance, ObjectRef
from refcat.errors import UsageError

W, H = 16, 12
PERSONS, SOLO = "aaaa000001", "bbbb000002"  # Ref-YouTube-VOS: two persons and a dog; one horse


def write_json(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def build_refytvos(root):
    """Train: PERSONS (objects 1, 2 persons, 3 a dog; 3 REs of the persons, 1 of the dog) and SOLO (a horse,
    1 RE); every 5th frame listed, a mask on each; valid: one video whose 2 REs name no object."""
    frames = ["00000", "00005"]
    expressions = {
        PERSONS: {
            "0": {"exp": "a man in a red shirt", "obj_id": "1"},
            "1": {"exp": "the person walking on the left", "obj_id": "1"},
            "2": {"exp": "a woman sitting", "obj_id": "2"},
            "3": {"exp": "the dog", "obj_id": "3"},
        },
        SOLO: {"0": {"exp": "a brown horse running", "obj_id": "1"}},
    }
    write_json(
        root / "meta_expressions/train/meta_expressions.json",
        {"videos": {v: {"expressions": e, "frames": frames} for v, e in expressions.items()}},
    )
    classes = {PERSONS: {"1": "person", "2": "person", "3": "dog"}, SOLO: {"1": "horse"}}
    write_json(
        root / "train/meta.json",
        {
            "videos": {
                v: {"objects": {o: {"category": c, "frames": frames} for o, c in objects.items()}}
                for v, objects in classes.items()
            }
        },
    )
    for video, objects in classes.items():
        labels = np.zeros((H, W), np.uint8)
        for n, object_id in enumerate(objects):
            labels[2 * n : 2 * n + 2, 0:4] = int(object_id)
        for name in frames:
            write_jpeg(root / "train/JPEGImages" / video / f"{name}.jpg", (90, 90, 90), (W, H))
            write_palette_png(root / "train/Annotations" / video / f"{name}.png", labels)
    write_json(
        root / "meta_expressions/valid/meta_expressions.json",
        {"videos": {"cccc000003": {"expressions": {"0": {"exp": "a cat"}, "1": {"exp": "the cat"}}, "frames": frames}}},
    )
    for name in frames:
        write_jpeg(root / "valid/JPEGImages/cccc000003" / f"{name}.jpg", (10, 10, 10), (W, H))
    return root


def rle(rows: slice) -> dict[str, object]:
    mask = np.zeros((H, W), np.uint8)
    mask[rows, 0:4] = 1
    encoded = coco_mask.encode(np.asfortranarray(mask))
    return {"size": [H, W], "counts": encoded["counts"].decode("ascii")}


def build_mevis(root):
    """Train: "one" (a single object, 2 REs) and "two" (objects 0 and 1, an RE each and one of both):
    MeViS has no classes, so only the single object's REs are decided."""
    frames = ["00000", "00001"]
    expressions = {
        "one": {
            "0": {"exp": "the bird flying away", "obj_id": [0], "anno_id": [10]},
            "1": {"exp": "a bird", "obj_id": [0], "anno_id": [10]},
        },
        "two": {
            "0": {"exp": "the cow walking to the left", "obj_id": [0], "anno_id": [20]},
            "1": {"exp": "the cow standing still", "obj_id": [1], "anno_id": [21]},
            "2": {"exp": "two cows", "obj_id": [0, 1], "anno_id": [20, 21]},
        },
    }
    write_json(
        root / "train/meta_expressions.json",
        {"videos": {v: {"expressions": e, "frames": frames} for v, e in expressions.items()}},
    )
    write_json(
        root / "train/mask_dict.json",
        {"10": [rle(slice(0, 2))] * 2, "20": [rle(slice(0, 2))] * 2, "21": [rle(slice(4, 6))] * 2},
    )
    for video in expressions:
        for name in frames:
            write_jpeg(root / "train/JPEGImages" / video / f"{name}.jpg", (50, 50, 50), (W, H))
    return root


def stats_json(capsys, *argv):
    code = main(["stats", *map(str, argv), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_refytvos_figure3_from_the_classes(tmp_path, capsys):
    root = build_refytvos(tmp_path / "rytvos")
    stats = stats_json(capsys, "--dataset", "ref-youtube-vos", "--root", root, "--split", "train")
    # 3 REs of persons (non-trivial), the dog and the horse trivial: 2 of 5
    assert stats["figure3_difficulty"]["ref-youtube-vos"] == {
        "trivial": 0.4,
        "non-trivial": 0.6,
        "no-re": 0.0,
        "wrong-object": 0.0,
        "n": 5,
    }
    both = stats_json(capsys, "--dataset", "ref-youtube-vos", "--root", root)
    # the valid split names no referent: its 2 REs are undecided
    assert both["figure3_difficulty"]["ref-youtube-vos"][UNDECIDED] == pytest.approx(2 / 7)
    assert both["figure3_difficulty"]["ref-youtube-vos"]["n"] == 7


def test_refytvos_figure4_from_the_categorizer(tmp_path, capsys):
    root = build_refytvos(tmp_path / "rytvos")
    stats = stats_json(capsys, "--dataset", "ref-youtube-vos", "--root", root, "--split", "train", "--categorize")
    shares = stats["figure4_categories"]
    every = shares["ref-youtube-vos / all"]
    assert (every["n"], every["unlabelled"]) == (5, 0)
    assert every["category"] == 1.0  # man, person, woman, dog, horse
    assert every["appearance"] == pytest.approx(2 / 5)  # "in a red shirt", "brown"
    assert every["motion"] == pytest.approx(2 / 5)  # walking, running
    assert every["static"] == pytest.approx(1 / 5)  # sitting
    assert every["location"] == pytest.approx(1 / 5)  # on the left
    assert shares["ref-youtube-vos / trivial"]["n"] == 2 and shares["ref-youtube-vos / non-trivial"]["n"] == 3
    # without --categorize the REs have no category labels: all counted unlabelled
    plain = stats_json(capsys, "--dataset", "ref-youtube-vos", "--root", root, "--split", "train")
    assert plain["figure4_categories"]["ref-youtube-vos / all"]["unlabelled"] == 5


def test_through_the_store_the_same_tables(tmp_path, capsys):
    root = build_refytvos(tmp_path / "rytvos")
    db = tmp_path / "s.db"
    assert main(["import", "ref-youtube-vos", "--root", str(root), "--split", "train", "--db", str(db)]) == 0
    capsys.readouterr()
    from_store = stats_json(capsys, "--dataset", "ref-youtube-vos", "--db", db, "--categorize")
    from_root = stats_json(capsys, "--dataset", "ref-youtube-vos", "--root", root, "--split", "train", "--categorize")
    assert from_store == from_root


def test_mevis_decides_only_single_object_videos(tmp_path, capsys):
    root = build_mevis(tmp_path / "mevis")
    assert main(["stats", "--dataset", "mevis", "--root", str(root), "--categorize"]) == 0
    out = capsys.readouterr().out
    assert "Difficulty (Figure 3)" in out and "Categories (Figure 4)" in out
    assert "mevis: 3 of 5 REs undecided, e.g. class of object 0 in two is unknown" in out
    stats = stats_json(capsys, "--dataset", "mevis", "--root", root, "--categorize")
    assert stats["figure3_difficulty"]["mevis"] == {
        "trivial": 0.4,
        "non-trivial": 0.0,
        "no-re": 0.0,
        "wrong-object": 0.0,
        UNDECIDED: 0.6,
        "n": 5,
    }
    every = stats["figure4_categories"]["mevis / all"]
    assert every["n"] == 5 and every["motion"] == pytest.approx(2 / 5)  # flying, walking; undecided REs count here
    assert stats["figure4_categories"]["mevis / trivial"]["n"] == 2


def test_class_label_table_and_categorizer_conventions():
    objects = {"v": [ObjectRef("d", "v", 1, "dog", {}), ObjectRef("d", "v", 2, None, {})]}
    labels = class_label_table("d", [Instance("d", "v", 1, "s", "the dog on the left")], objects)
    assert labels.loc[0, "difficulty"] is None and labels.loc[0, "correctness"] == "valid"
    assert "classes of objects [2] in v are unknown" == labels.loc[0, "difficulty_reason"]
    assert difficulty_proportions(labels).loc["d", UNDECIDED] == 1.0
    categorized = with_categorizer(labels)
    assert bool(categorized.loc[0, "location"]) and categorized.loc[0, "information"] in ("minimal", "redundant")
    assert category_shares(categorized).loc[("d", "all"), "n"] == 1
    with pytest.raises(UsageError, match="not an object of its video"):
        class_label_table("d", [Instance("d", "v", 9, "s", "a cat")], objects)


def test_dataset_options_need_a_dataset(capsys):
    assert main(["stats", "--categorize"]) == 2
    assert "--root, --split and --categorize describe a --dataset" in capsys.readouterr().err
    assert main(["stats"]) == 2
