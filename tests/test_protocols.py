"""Named evaluation protocols against hand-computed cases: tiny masks where J, F, recall and decay can be
worked out by hand, in the real DAVIS layout, through the library and the command line."""

import json
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from helpers.dataset_files import write_palette_png
from PIL import Image

from refcat.analysis.per_sample import Scoring, per_sample_table, read_table
from refcat.analysis.protocols import PROTOCOLS, DavisResults, get_protocol, summarize
from refcat.cli import main
from refcat.datasets.records import Instance, ObjectMasks, ObjectRef, Video
from refcat.errors import UsageError

H, W = 12, 16  # bound_th 0.008 gives a matching radius of ceil(0.008 * 20) = 1 pixel


def box(r0, r1, c0, c1, value=1):
    """Labels with `value` on rows r0..r1-1, columns c0..c1-1."""
    labels = np.zeros((H, W), np.uint8)
    labels[r0:r1, c0:c1] = value
    return labels


def combine(*layers):
    out = np.zeros((H, W), np.uint8)
    for layer in layers:
        out[layer > 0] = layer[layer > 0]
    return out


A_OBJECT = box(2, 6, 2, 8)  # 24 pixels
A_VOID = box(6, 7, 2, 8, 255)  # a void band under it
B_ONE, B_TWO = box(1, 4, 1, 5), box(7, 10, 9, 14, 2)

# ground truth (Annotations) and predictions (combined label maps) of two val sequences, frame by frame
GROUND_TRUTH = {
    "a": [combine(A_OBJECT, A_VOID)] * 5,
    "b": [combine(B_ONE, B_TWO), combine(B_ONE, B_TWO), B_ONE, B_ONE],
}
PREDICTIONS = {
    # frames 0 and 4 are never read (left out): no files. Frame 1 also covers the void band: J = 24/30 with
    # void kept, and F = 1 (every boundary pixel is within one pixel of the other's); frame 2 is empty; 3 exact.
    "a": {1: box(2, 7, 2, 8), 2: np.zeros((H, W), np.uint8), 3: A_OBJECT},
    # frame 0 holds an id beyond the objects, but the first frame is not scored; frame 2 predicts object 2
    # where it is absent: J = F = 0 there
    "b": {0: box(0, 2, 0, 2, 7), 1: combine(B_ONE, B_TWO), 2: combine(B_ONE, B_TWO), 3: B_ONE},
}


def build_davis(root, annotations="Annotations", truth=GROUND_TRUTH):
    (root / "ImageSets" / "2017").mkdir(parents=True)
    (root / "ImageSets" / "2017" / "val.txt").write_text("".join(f"{seq}\n" for seq in truth))
    for seq, frames in truth.items():
        for f, labels in enumerate(frames):
            path = root / "JPEGImages" / "480p" / seq / f"{f:05d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (W, H)).save(path)
            write_palette_png(root / annotations / "480p" / seq / f"{f:05d}.png", labels)
    (root / "davis_text_annotations").mkdir()
    (root / "davis_text_annotations" / "Davis17_annot1.txt").write_text('a 1 "the box"\nb 1 "left"\nb 2 "right"\n')
    return root


def write_predictions(folder, predictions=PREDICTIONS):
    for seq, frames in predictions.items():
        for f, labels in frames.items():
            write_palette_png(folder / seq / f"{f:05d}.png", labels)
    return folder


def evaluate(tmp_path, *extra, pred="pred", output="out/table.csv"):
    return main(
        [
            "evaluate",
            "--pred",
            str(tmp_path / pred),
            "--dataset",
            "davis",
            "--root",
            str(tmp_path / "davis"),
            "--split",
            "val",
            "--output",
            str(tmp_path / output),
            "--jobs",
            "1",
            *extra,
        ]
    )


# hand-computed, per object: J and F per scored frame, then mean, recall (> 0.5) and decay
# a_1: J = .8, 0, 1 -> mean .6, recall 2/3; decay bins for 3 frames: [0, 1], [1], [1, 2], [2] -> .4 - 1 = -.6
#      F = 1, 0, 1 -> mean 2/3, recall 2/3, decay .5 - 1 = -.5
# b_1: J = F = 1, 1 -> 1, 1, 0
# b_2: J = F = 1, 0 -> mean .5, recall .5; decay bins for 2 frames: [0], [0, 1], [1], [1] -> 1 - 0 = 1
SEMI_GLOBAL = {
    "J&F-Mean": (0.7 + (2 / 3 + 1 + 0.5) / 3) / 2,
    "J-Mean": 0.7,
    "J-Recall": (2 / 3 + 1 + 0.5) / 3,
    "J-Decay": (-0.6 + 0 + 1) / 3,
    "F-Mean": (2 / 3 + 1 + 0.5) / 3,
    "F-Recall": (2 / 3 + 1 + 0.5) / 3,
    "F-Decay": (-0.5 + 0 + 1) / 3,
}


def test_davis17_semi_by_hand_and_official_files(tmp_path, capsys):
    build_davis(tmp_path / "davis")
    write_predictions(tmp_path / "pred")
    assert evaluate(tmp_path, "--protocol", "davis17-semi") == 0
    printed = capsys.readouterr().out
    assert "davis17-semi" in printed and "official results" in printed
    table = read_table(tmp_path / "out" / "table.csv")
    assert len(table) == 3 + 2 + 2 and set(table.source) == {"davis17-semi"}
    assert sorted(set(table.frame[table.video_id == "a"])) == [1, 2, 3]
    a = table[table.video_id == "a"].set_index("frame")
    assert (a.loc[1, "I"], a.loc[1, "U"], a.loc[1, "J"], a.loc[1, "F"]) == (24, 30, pytest.approx(0.8), 1.0)
    assert a.J.tolist() == pytest.approx([0.8, 0.0, 1.0]) and a.F.tolist() == [1.0, 0.0, 1.0]
    summary = json.loads((tmp_path / "out" / "table_summary.json").read_text())
    assert summary["protocol"]["results"]["global"] == pytest.approx(SEMI_GLOBAL)
    assert list(summary["by_source"]) == ["all"]
    # the counts say why the IoU figures score fewer rows than were written: b_2 is absent from frame 2
    assert summary["counts"] == {
        "rows": 7,
        "expressions": 3,
        "objects": 3,
        "referent_absent": 1,
        "jf_rows": 7,
        "iou_samples": 6,
    }
    assert "7 rows written" in printed and "1 row where the referent is absent skipped" in printed
    assert (tmp_path / "out" / "global_results-val.csv").read_text() == (
        "J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay\n0.711,0.700,0.722,0.133,0.722,0.722,0.167\n"
    )
    assert (tmp_path / "out" / "per-sequence_results-val.csv").read_text() == (
        "Sequence,J-Mean,F-Mean\na_1,0.600,0.667\nb_1,1.000,1.000\nb_2,0.500,0.500\n"
    )


def test_drop_ends_keeps_its_old_numbers_void_excluded(tmp_path, capsys):
    build_davis(tmp_path / "davis")
    write_predictions(tmp_path / "pred")
    write_palette_png(tmp_path / "pred" / "a" / "00000.png", A_OBJECT)
    write_palette_png(tmp_path / "pred" / "a" / "00004.png", A_OBJECT)
    assert evaluate(tmp_path, "--layout", "object", "--drop-ends", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    # frame 1 of a: with the void band excluded the prediction is exact (J = 1), so a_1: J = 1, 0, 1
    written = json.loads((tmp_path / "out" / "table_summary.json").read_text())
    a = next(row for row in written["per_object"] if row["video_id"] == "a")
    assert a["J_mean"] == pytest.approx(2 / 3)
    assert summary["all"]["rows"] == 5 + 4 + 4


def test_davis17_semi_stops_on_ids_that_are_not_the_objects(tmp_path, capsys):
    build_davis(tmp_path / "davis")
    write_predictions(tmp_path / "pred")
    write_palette_png(tmp_path / "pred" / "b" / "00002.png", combine(B_ONE, box(7, 10, 9, 14, 3)))
    assert evaluate(tmp_path, "--protocol", "davis17-semi") == 2
    assert "largest object id in the scored prediction frames is 3" in capsys.readouterr().err
    write_palette_png(tmp_path / "pred" / "b" / "00001.png", B_ONE)  # fewer ids: the official code stops too
    write_palette_png(tmp_path / "pred" / "b" / "00002.png", B_ONE)
    assert evaluate(tmp_path, "--protocol", "davis17-semi", "--restart") == 2
    assert "is 1, but the sequence has 2 objects" in capsys.readouterr().err


def test_davis_protocol_options(tmp_path, capsys):
    build_davis(tmp_path / "davis")
    write_predictions(tmp_path / "pred")
    assert evaluate(tmp_path, "--protocol", "davis17-semi", "--layout", "expression") == 2
    assert evaluate(tmp_path, "--protocol", "davis17-semi", "--drop-ends") == 2
    assert evaluate(tmp_path, "--protocol", "nope") == 2
    assert "davis17-semi or davis17-unsup" in capsys.readouterr().err
    with pytest.raises(UsageError):
        get_protocol("a2d-mttr").check("davis", None)


def test_official_layout_with_the_expression_layout_points_at_the_object_layout(tmp_path, capsys):
    build_davis(tmp_path / "davis")
    write_predictions(tmp_path / "pred")
    assert evaluate(tmp_path) == 2
    err = capsys.readouterr().err
    assert "combined label maps" in err and "--layout object" in err


# ----- unsupervised: proposals matched to objects

UNSUP_TRUTH = {"s": [combine(B_ONE, B_TWO)] * 3}
# proposal 1 is object 2 (but empty on the last frame), proposal 2 is object 1, proposal 3 a stray pixel
UNSUP_PRED = {
    "s": {
        0: combine(box(7, 10, 9, 14, 1), box(1, 4, 1, 5, 2), box(11, 12, 0, 1, 3)),
        1: combine(box(7, 10, 9, 14, 1), box(1, 4, 1, 5, 2)),
        2: box(1, 4, 1, 5, 2),
    }
}


def test_davis17_unsup_matches_proposals_by_hand(tmp_path):
    build_davis(tmp_path / "davis", "Annotations_unsupervised", UNSUP_TRUTH)
    (tmp_path / "davis" / "davis_text_annotations" / "Davis17_annot1.txt").write_text('s 1 "x"\n')
    write_predictions(tmp_path / "pred", UNSUP_PRED)
    assert evaluate(tmp_path, "--protocol", "davis17-unsup") == 0
    table = read_table(tmp_path / "out" / "table.csv")
    assert table.groupby("object_id").source.first().to_dict() == {1: "proposal2", 2: "proposal1"}
    assert table[table.object_id == 2].sort_values("frame").J.tolist() == [1.0, 1.0, 0.0]
    # object 2 (proposal 1): J = F = 1, 1, 0 -> mean 2/3, recall 2/3, decay 1 - 0; object 1: 1, 1, 0
    # the official file numbers the pairs in proposal order: s_1 is proposal 1, i.e. object 2
    assert (tmp_path / "out" / "per-sequence_results-val.csv").read_text() == (
        "Sequence,J-Mean,F-Mean\ns_1,0.667,0.667\ns_2,1.000,1.000\n"
    )
    results = json.loads((tmp_path / "out" / "table_summary.json").read_text())["protocol"]["results"]
    assert results["global"] == pytest.approx(
        {
            "J&F-Mean": 5 / 6,
            "J-Mean": 5 / 6,
            "J-Recall": 5 / 6,
            "J-Decay": 0.5,
            "F-Mean": 5 / 6,
            "F-Recall": 5 / 6,
            "F-Decay": 0.5,
        }
    )


def test_davis17_unsup_stops_past_twenty_proposals(tmp_path, capsys):
    build_davis(tmp_path / "davis", "Annotations_unsupervised", UNSUP_TRUTH)
    write_predictions(tmp_path / "pred", {"s": {**UNSUP_PRED["s"], 1: box(0, 1, 0, 1, 21)}})
    assert evaluate(tmp_path, "--protocol", "davis17-unsup") == 2
    assert "at most 20 proposals" in capsys.readouterr().err


# ----- A2D conventions and J&F per expression (Ref-YouTube-VOS, MeViS)


def test_a2d_protocols_are_the_two_conventions_by_hand():
    # (I, U, referent present) per sample
    rows = pd.DataFrame(
        {
            "instance_key": ["a/v/1/s"] * 4,
            "dataset": "a2d",
            "video_id": "v",
            "object_id": 1,
            "source": "s",
            "frame": range(4),
            "gt_present": [True, True, False, True],
            "I": [5, 9, 0, 0],
            "U": [10, 10, 4, 0],
            "J": 0.0,
            "F": 0.0,
        }
    )
    mttr = summarize(get_protocol("a2d-mttr"), rows, []).section["results"]
    assert mttr["samples"] == 3 and mttr["overall_iou"] == pytest.approx(14 / 20)
    assert mttr["mean_iou"] == pytest.approx((0.5 + 0.9 + 1.0) / 3)  # union 0 scores 1, the absent frame skipped
    refvos = summarize(get_protocol("a2d-refvos"), rows, []).section["results"]
    assert refvos["samples"] == 4 and refvos["overall_iou"] == pytest.approx(14 / 24)
    assert refvos["mean_iou"] == pytest.approx((0.5 + 0.9) / 4) and refvos["precision@0.5"] == 0.5


class MultiTargetReader:
    """Two frames of one video; expression "both" refers to objects 1 and 2 (MeViS: the union of their masks)."""

    dataset = "mevis"
    masks: ClassVar = {0: {1: box(0, 2, 0, 4) > 0, 2: box(5, 8, 5, 8) > 0}, 1: {1: box(0, 2, 1, 5) > 0}}

    def videos(self):
        return [Video("mevis", "v", "valid_u", 2, W, H)]

    def objects(self, video_id):
        return [ObjectRef("mevis", "v", 1), ObjectRef("mevis", "v", 2)]

    def instances(self):
        return iter(EXPRESSIONS)

    def frame(self, video_id, index):
        return np.zeros((H, W, 3), np.uint8)

    def annotated_frames(self, video_id):
        return [0, 1]

    def object_masks(self, video_id, index):
        return ObjectMasks(dict(self.masks[index]), box(11, 12, 0, 16) > 0)

    def target_ids(self, instance):
        return (1, 2) if instance.source == "both" else (instance.object_id,)


EXPRESSIONS = [Instance("mevis", "v", 1, "both", "the two"), Instance("mevis", "v", 1, "one", "the left one")]


def test_mevis_scores_the_union_and_averages_over_expressions(tmp_path):
    reader = MultiTargetReader()
    union0 = reader.masks[0][1] | reader.masks[0][2]
    predictions = {("both", 0): union0, ("both", 1): reader.masks[1][1], ("one", 0): reader.masks[0][1]}
    for (source, frame), mask in predictions.items():
        path = tmp_path / "v" / "1" / source / f"{frame:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(path)
    path = tmp_path / "v" / "1" / "one" / "00001.png"
    Image.fromarray(np.zeros((H, W), np.uint8), mode="L").save(path)
    mevis = get_protocol("mevis")
    table = per_sample_table(tmp_path, reader, EXPRESSIONS, mevis.layout, scoring=mevis.scoring)
    # "both": exact union on both frames -> J = F = 1; "one": exact, then empty against a present object -> 1, 0
    by_key = table.set_index(["source", "frame"])
    assert by_key.loc[("both", 0), "U"] == 8 + 9 and by_key.loc[("both", 0), "J"] == 1.0
    assert by_key.loc[("one", 1), "J"] == 0.0 and by_key.loc[("one", 1), "F"] == 0.0
    results = summarize(mevis, table, []).section["results"]
    assert results == pytest.approx({"expressions": 2, "J": (1 + 0.5) / 2, "F": (1 + 0.5) / 2, "J&F": 0.75})
    # Ref-YouTube-VOS: the same J&F per expression, one object each: "one" alone -> J = (1 + 0) / 2
    one = summarize(PROTOCOLS["refytvos"], table[table.source == "one"], []).section["results"]
    assert one == pytest.approx({"expressions": 1, "J": 0.5, "F": 0.5, "J&F": 0.5})
    # no void is passed: a prediction on the void row counts against the expression
    assert not mevis.scoring.exclude_void and PROTOCOLS["refytvos"].scoring == Scoring(exclude_void=False)


def test_davis_results_order_and_names():
    rows = []
    for video, obj, source, js in (("z", 1, "proposal2", [1.0]), ("z", 2, "proposal1", [0.0]), ("y", 1, "x", [0.5])):
        for frame, j in enumerate(js):
            rows.append((f"d/{video}/{obj}/{source}", "d", video, obj, source, frame, True, 0, 0, j, j))
    table = pd.DataFrame(
        rows,
        columns=[
            "instance_key",
            "dataset",
            "video_id",
            "object_id",
            "source",
            "frame",
            "gt_present",
            "I",
            "U",
            "J",
            "F",
        ],
    )
    results = DavisResults(table, ["z", "y"])
    assert results.per_sequence[["Sequence", "J-Mean"]].values.tolist() == [["z_1", 0.0], ["z_2", 1.0], ["y_1", 0.5]]
    with pytest.raises(UsageError):
        DavisResults(table, ["z"])
