"""Label breakdowns of per-sample tables (trivial vs non-trivial, Tables 5 and 6, categories) and phrase levels."""

import json
import math

import h5py
import numpy as np
import pandas as pd
import pytest
from helpers.release import write_release_lines
from helpers.tables import A2DRE, labels_frame, samples
from PIL import Image

from refcat.analysis.ablation import (
    category_table,
    difficulty_table,
    expression_labels,
    expression_scores,
    ratio_ci,
    table5,
    table6,
)
from refcat.analysis.per_sample import read_table
from refcat.analysis.phrases import phrase, phrase_instances
from refcat.cli import main
from refcat.datasets.instance_io import read_instances, write_instances
from refcat.datasets.records import Instance
from refcat.errors import UsageError


def test_ratio_ci_estimate_and_paired_identity():
    assert ratio_ci([1, 2, 3], [2, 2, 2], n_boot=0)[0] == 1.0
    est, low, high = ratio_ci([1, 2, 3], [2, 2, 2], minus=([1, 2, 3], [2, 2, 2]), n_boot=200)
    assert (est, low, high) == (0.0, 0.0, 0.0)  # the same units on both sides: every resample differs by 0
    assert all(math.isnan(v) for v in ratio_ci([], []))


def test_ratio_ci_matches_the_normal_theory_interval_of_a_mean():
    values = np.random.default_rng(5).normal(0.5, 0.2, 400)
    est, low, high = ratio_ci(values, np.ones_like(values), n_boot=4000, seed=1)
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
    assert est == pytest.approx(values.mean())
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)
    assert (low + high) / 2 == pytest.approx(est, abs=half * 0.1)
    assert ratio_ci(values, np.ones_like(values), n_boot=500, seed=3) == ratio_ci(
        values, np.ones_like(values), n_boot=500, seed=3
    )


def test_table5_by_hand():
    t5 = table5(A2DRE, n_boot=500)
    app = t5.loc["appearance"]
    assert app.pairs == 2
    assert app.overall_iou_with == pytest.approx(19 / 30) and app.overall_iou_without == pytest.approx(11 / 30)
    assert app.overall_iou_diff == pytest.approx(8 / 30)
    assert app.mean_iou_with == pytest.approx(1.9 / 3) and app.mean_iou_diff == pytest.approx(0.8 / 3)
    # resamples are {A, A} (difference 0.4), {B, B} (0) or {A, B} (8/30): the CI lies within [0, 0.4]
    assert 0 <= app.overall_iou_ci_low <= app.overall_iou_diff <= app.overall_iou_ci_high <= 0.4 + 1e-12
    assert t5.loc["location", "pairs"] == 1 and t5.loc["location", "mean_iou_diff"] == pytest.approx(0.2)
    assert t5.loc["motion", "pairs"] == 0 and math.isnan(t5.loc["motion", "mean_iou_diff"])
    with pytest.raises(UsageError):
        table5(A2DRE[A2DRE.source == "sentence0"])


def test_conventions_change_which_samples_count():
    table = samples([("v", 0, "s", [(5, 10, True), (0, 0, False), (0, 0, True)])])
    mttr = expression_scores(table, "mttr").iloc[0]
    refvos = expression_scores(table, "refvos").iloc[0]
    assert (mttr.samples, mttr.iou_sum) == (2, 1.5)  # absent frame skipped, empty vs empty = 1
    assert (refvos.samples, refvos.iou_sum) == (3, 0.5)  # absent frame kept, union 0 scores 0


def test_difficulty_table_by_hand():
    table = samples(
        [
            ("v1", 0, "s0", [(10, 10, True), (5, 10, True)]),
            ("v2", 0, "s0", [(2, 10, True)]),
            ("v3", 1, "s0", [(4, 10, True), (6, 10, True)]),
            ("v3", 1, "s1", [(8, 10, True)]),
            ("v4", 0, "s0", [(0, 10, True)]),  # no label
        ]
    )
    labels = labels_frame(
        [
            ("v1", 0, "a", "trivial", "valid", []),
            ("v2", 0, "b", "non-trivial", "valid", []),
            ("v3", 1, "c", "non-trivial", "valid", []),
            ("v3", 1, "d", None, "no-re", None),
        ]
    )
    t = difficulty_table(table, labels, n_boot=200)
    assert t.loc["trivial", "referents"] == 1 and t.loc["trivial", "referent_mean_iou"] == pytest.approx(0.75)
    assert t.loc["non-trivial", "referent_mean_iou"] == pytest.approx((0.2 + 0.6) / 2)
    assert t.loc["non-trivial", "mean_iou"] == pytest.approx(0.5)  # over samples: (.2 + .4 + .6 + .8) / 4
    assert t.loc["non-trivial", "overall_iou"] == pytest.approx(20 / 40)
    assert t.loc["all", "referents"] == 3 and t.loc["all", "referent_mean_iou"] == pytest.approx((0.75 + 0.2 + 0.6) / 3)


def test_expression_labels_and_category_table():
    labels = labels_frame(
        [
            ("v1", 0, "The  dog running", "non-trivial", "valid", ["category", "motion"]),
            ("v1", 0, "the dog on the left", "non-trivial", "valid", ["category", "location"]),
            ("v2", 0, "a parked car", "trivial", "valid", ["category", "static"]),
            ("v3", 0, "x", "non-trivial", "valid", None),  # categories not labelled
        ]
    )
    expressions = pd.DataFrame(
        {
            "instance_key": ["a2d/v1/0/s0", "a2d/v1/0/s1", "a2d/v2/0/s0", "a2d/v1/0/s2"],
            "video_id": ["v1", "v1", "v2", "v1"],
            "object_id": [0, 0, 0, 0],
            "text": ["the dog running", "the dog on the left", "", "unknown text"],
        }
    )
    by_expr = expression_labels(expressions, labels).set_index("instance_key")
    assert by_expr.loc["a2d/v1/0/s0", "motion"] and not by_expr.loc["a2d/v1/0/s0", "location"]
    assert by_expr.loc["a2d/v1/0/s1", "location"]
    assert by_expr.loc["a2d/v2/0/s0", "static"]  # no text, but v2/0 has a single label row
    assert "a2d/v1/0/s2" not in by_expr.index  # a text that matches no label row
    table = samples(
        [
            ("v1", 0, "s0", [(2, 10, True)]),
            ("v1", 0, "s1", [(6, 10, True)]),
            ("v2", 0, "s0", [(8, 10, True), (9, 10, True)]),
        ]
    )
    cats = category_table(table, by_expr.reset_index(), n_boot=100)
    assert cats.loc[("motion", "yes"), "expressions"] == 1 and cats.loc[("motion", "yes"), "mean_iou"] == 0.2
    assert cats.loc[("motion", "no"), "mean_iou"] == pytest.approx((0.6 + 0.8 + 0.9) / 3)
    assert cats.loc[("category", "yes"), "overall_iou"] == pytest.approx(25 / 40)
    assert cats.loc[("obj-motion", "yes"), "expressions"] == 0


def test_table6_by_hand():
    table = samples(
        [
            ("v1", 0, "phrase:thing", [(2, 10, True), (4, 10, True)]),
            ("v1", 0, "phrase:full:sentence0", [(8, 10, True), (10, 10, True)]),
            ("v2", 0, "phrase:thing", [(0, 10, True)]),
            ("v2", 0, "phrase:full:sentence0", [(5, 10, True)]),
            ("v2", 0, "phrase:full:sentence1", [(7, 10, True)]),
            ("v9", 0, "phrase:thing", [(9, 10, True)]),  # no label: in no group
        ]
    )
    labels = labels_frame([("v1", 0, "a", "trivial", "valid", []), ("v2", 0, "b", "non-trivial", "valid", [])])
    t6 = table6(table, labels)
    assert list(t6.index) == ["thing", "full"]
    assert t6.loc["thing", "trivial_mean_iou"] == pytest.approx(0.3)
    assert t6.loc["thing", "all_overall_iou"] == pytest.approx(6 / 30)
    assert t6.loc["full", "non-trivial_mean_iou"] == pytest.approx(0.6)
    assert t6.loc["full", "all_samples"] == 4 and t6.loc["full", "all_mean_iou"] == pytest.approx(3.0 / 4)


def test_phrases_by_level():
    assert [phrase(level, "adult", "walking") for level in ("thing", "actor", "action", "actor+action")] == [
        "thing",
        "person",
        "thing walking",
        "person walking",
    ]
    assert phrase("action", "dog", "none") == "thing" and phrase("actor+action", "dog", "none") == "dog"
    with pytest.raises(UsageError):
        phrase("actor", "horse", "running")
    variants, skipped = phrase_instances(
        [
            Instance("a2d", "v", 1, "sentence0", "a brown dog running"),
            Instance("a2d", "v", 2, "sentence0", "a cat"),
            Instance("a2d", "v", 1, "sentence1", "dog"),
            Instance("a2d", "v", 3, "sentence0", "the ball"),
        ],
        {("v", 1): "dog", ("v", 3): None},
        {("v", 1): "running"},
    )
    assert skipped == [("v", 2), ("v", 3)]  # no code, or an object without a mask: skipped, the rest goes on
    assert [(i.source, i.text) for i in variants] == [
        ("phrase:thing", "thing"),
        ("phrase:actor", "dog"),
        ("phrase:action", "thing running"),
        ("phrase:actor+action", "dog running"),
        ("phrase:full:sentence0", "a brown dog running"),
        ("phrase:full:sentence1", "dog"),
    ]


# ----- the whole path on the real A2D format: phrases -> predictions -> evaluate -> ablation

H, W = 12, 16


def build_a2d(root):
    """One test video: instance 0 an adult walking (code 18), instance 1 a dog running (77), two annotated frames."""
    (root / "Release").mkdir(parents=True)
    (root / "Release" / "videoset.csv").write_text("vidA,18,0,4,240,320,10,2,1\n")
    (root / "a2d_annotation.txt").write_text(
        "video_id,instance_id,query\nvidA,0,man in red walking\nvidA,1,the dog running on the left\n"
    )
    masks = {0: np.zeros((H, W), bool), 1: np.zeros((H, W), bool)}
    masks[0][2:8, 2:6] = True
    masks[1][6:10, 9:15] = True
    for number in (3, 7):  # 1-based file numbers: frames 2 and 6
        path = root / "a2d_annotation_with_instances" / "vidA" / f"{number:05d}.h5"
        path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(path, "w") as f:
            f.create_dataset("instance", data=np.array([0.0, 1.0]))
            f.create_dataset("reMask", data=np.stack([masks[0].T, masks[1].T]).astype(np.uint8))
            f.create_dataset("reBBox", data=np.array([[2, 2, 5, 7], [9, 6, 14, 9]], float).T)
            f.create_dataset("id", data=np.array([[18.0, 77.0]]))
    return masks


def test_phrases_skip_a_referent_without_mask(tmp_path, capsys, caplog):
    build_a2d(tmp_path / "a2d")
    with (tmp_path / "a2d" / "a2d_annotation.txt").open("a") as f:
        f.write("vidA,2,the cat behind the sofa\n")  # instance 2 has no mask in any annotated frame
    out = tmp_path / "phrases.csv"
    assert main(["phrases", "--root", str(tmp_path / "a2d"), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "10 phrase variants of 2 referents" in printed
    assert "1 referents skipped: sentences but no mask, so no actor-action code (vidA object 2)" in printed
    assert {i.object_id for i in read_instances(out)} == {0, 1}
    assert any(
        "no actor-action code for vidA object 2" in r.getMessage() and "a2d_annotation_with_instances" in r.getMessage()
        for r in caplog.records
    )


def test_phrases_evaluate_and_table6_on_a2d_format(tmp_path, capsys):
    masks = build_a2d(tmp_path / "a2d")
    out = tmp_path / "phrases.csv"
    assert (
        main(["phrases", "--root", str(tmp_path / "a2d"), "--output", str(out), "--a2d-dir", str(tmp_path / "levels")])
        == 0
    )
    variants = read_instances(out)
    texts = {(i.object_id, i.source): i.text for i in variants}
    assert texts[(0, "phrase:actor")] == "person" and texts[(1, "phrase:actor+action")] == "dog running"
    assert texts[(0, "phrase:full:sentence0")] == "man in red walking"
    assert (tmp_path / "levels" / "a2d_annotation_actor_action.txt").read_text().splitlines()[1:] == [
        "vidA,0,person walking",
        "vidA,1,dog running",
    ]
    # with the dataset's own sentences in the same instance file (texts as A2D writes them)
    originals = [
        Instance("a2d", "vidA", 0, "sentence0", "man in red walking"),
        Instance("a2d", "vidA", 1, "sentence0", "the dog running on the left"),
    ]
    both = tmp_path / "both.jsonl"
    write_instances(variants + originals, both)
    # predictions: right for the full phrase and the sentences, the other object for "thing", empty otherwise
    pred = tmp_path / "pred"
    for inst in variants + originals:
        for frame in (2, 6):
            level = inst.source.split(":")[1] if ":" in inst.source else "full"
            mask = {"full": masks[inst.object_id], "thing": masks[1 - inst.object_id]}.get(level, np.zeros((H, W)))
            path = pred / "vidA" / str(inst.object_id) / inst.source / f"{frame:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray((mask * 255).astype(np.uint8), mode="L").save(path)
    table_path = tmp_path / "t.csv"
    assert (
        main(
            [
                "evaluate",
                "--pred",
                str(pred),
                "--dataset",
                "a2d",
                "--root",
                str(tmp_path / "a2d"),
                "--instances",
                str(both),
                "--output",
                str(table_path),
            ]
        )
        == 0
    )
    table = read_table(table_path)
    assert len(table) == 2 * 2 * 6  # referents x frames x (levels + the sentence)
    release = tmp_path / "A2D_RE_categorization.csv"
    write_release_lines(
        release,
        [
            "vidA;0;man in red walking;Trivial (Single Object Category);Redundant Information;1;0;1;0;1;0;0",
            "vidA;1;the dog running on the left;Non-trivial;Redundant Information;0;0;1;1;1;0;0",
        ],
    )
    capsys.readouterr()
    assert (
        main(
            [
                "ablation",
                "--table",
                str(table_path),
                "--release",
                str(release),
                "--instances",
                str(both),
                "--json",
                "--n-boot",
                "50",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    t6 = result["Table 6: phrase levels"]
    assert t6["full"]["all_overall_iou"] == 1.0 and t6["full"]["trivial_samples"] == 2
    assert t6["thing"]["all_mean_iou"] == 0.0 and t6["actor"]["non-trivial_mean_iou"] == 0.0
    assert list(t6) == ["thing", "actor", "action", "actor+action", "full"]
    # per-category IoU counts the sentences only (variants carry no labels), matched by their text
    categories = result["IoU by RE category"]
    assert (
        categories["('location', 'yes')"]["expressions"] == 1 and categories["('location', 'no')"]["expressions"] == 1
    )
    assert categories["('motion', 'yes')"]["expressions"] == 2 and categories["('motion', 'yes')"]["mean_iou"] == 1.0
    assert result["Trivial vs non-trivial referents"]["trivial"]["referents"] == 1


def test_a2dre_plus_files_evaluate_into_table5(tmp_path, capsys):
    masks = build_a2d(tmp_path / "a2d")
    plus = tmp_path / "plus"
    plus.mkdir()
    (plus / "A2D_appearance_new_format_all_non_trivial.txt").write_text(
        "video_id,instance_id,query\nvidA;0;the man in red is walking\nvidA;1;a brown, small dog running\n"
    )
    (plus / "A2D_no_appearance_new_format_all_non_trivial.txt").write_text(
        "video_id,instance_id,query\nvidA;0;the man on the left is walking\nvidA;1;a dog running\n"
    )
    pred = tmp_path / "pred"
    for obj in (0, 1):
        for polarity in ("with", "without"):
            mask = masks[obj].copy()
            if polarity == "without":
                rows = np.flatnonzero(mask.any(axis=1))
                mask[rows[: len(rows) // 2]] = False  # the lower half of the object: IoU 0.5
            for frame in (2, 6):
                path = pred / "vidA" / str(obj) / f"a2dre+:appearance:{polarity}" / f"{frame:05d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray((mask * 255).astype(np.uint8), mode="L").save(path)
    table_path = tmp_path / "t.parquet"
    assert (
        main(
            [
                "evaluate",
                "--pred",
                str(pred),
                "--dataset",
                "a2d",
                "--root",
                str(tmp_path / "a2d"),
                "--a2dre-plus",
                str(plus),
                "--output",
                str(table_path),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["ablation", "--table", str(table_path), "--json", "--n-boot", "100"]) == 0
    t5 = json.loads(capsys.readouterr().out)["Table 5: A2Dre+ with vs without each category"]
    assert t5["appearance"]["pairs"] == 2
    assert t5["appearance"]["mean_iou_with"] == 1.0 and t5["appearance"]["mean_iou_without"] == 0.5
    assert t5["appearance"]["mean_iou_ci_low"] == t5["appearance"]["mean_iou_ci_high"] == 0.5
    assert t5["location"]["pairs"] == 0
