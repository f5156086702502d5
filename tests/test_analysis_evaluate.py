"""The per-sample table: predictions in both DAVIS PNG layouts, resume, processes, summaries, the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from refcat.analysis.metrics import boundary_f_measure
from refcat.analysis.per_sample import COLUMNS, evaluate_to_file, per_sample_table, read_table, write_table
from refcat.analysis.summaries import davis_summary, summary_by_source
from refcat.cli import main
from refcat.datasets.records import Instance, ObjectMasks, ObjectRef, Video
from refcat.errors import FormatError, MissingDataError

H, W = 6, 8


def box(r0, r1, c0, c1):
    m = np.zeros((H, W), bool)
    m[r0:r1, c0:c1] = True
    return m


# ground truth: video -> frame -> object id -> mask; void per frame
GT = {
    "v1": {
        0: {1: box(1, 3, 1, 4), 2: box(4, 6, 5, 8)},
        1: {1: box(1, 3, 2, 5), 2: box(4, 6, 5, 8)},
        2: {1: box(2, 4, 2, 5)},
    },
    "-v2": {0: {1: box(0, 2, 0, 2)}, 1: {}},
}
VOID = {("v1", 0): box(1, 3, 4, 5)}


class FakeReader:
    """The DatasetReader protocol over the in-memory GT above (picklable, for worker processes)."""

    dataset = "fake"

    def videos(self):
        return [Video("fake", v, "val", len(f), W, H) for v, f in GT.items()]

    def objects(self, video_id):
        ids = sorted({o for masks in GT[video_id].values() for o in masks})
        return [ObjectRef("fake", video_id, o) for o in ids]

    def instances(self):
        return iter(INSTANCES)

    def frame(self, video_id, index):
        return np.zeros((H, W, 3), np.uint8)

    def annotated_frames(self, video_id):
        return sorted(GT[video_id])

    def object_masks(self, video_id, index):
        return ObjectMasks(dict(GT[video_id][index]), VOID.get((video_id, index)))


INSTANCES = [
    Instance("fake", "v1", 1, "s0", "the left block"),
    Instance("fake", "v1", 2, "s0", "the corner block"),
    Instance("fake", "-v2", 1, "s0", "the small one"),
    Instance("fake", "-v2", 1, "s1", "top left"),
]


def save_png(path, mask, mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(mask.astype(np.uint8), mode=mode)
    if mode == "P":
        image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    image.save(path)


def pred_mask(inst, frame):
    """A prediction one column right of the ground truth (or a fixed box where the referent is absent)."""
    gt = GT[inst.video_id][frame].get(inst.object_id)
    if gt is None:
        return box(4, 5, 4, 6) if inst.source == "s0" else np.zeros((H, W), bool)
    return np.roll(gt, 1, axis=1)


def write_expression_predictions(pred_dir, instances=INSTANCES):
    for inst in instances:
        for frame in GT[inst.video_id]:
            save_png(
                pred_dir / inst.video_id / str(inst.object_id) / inst.source / f"{frame:05d}.png",
                pred_mask(inst, frame) * 255,
            )


def test_expression_layout_rows_by_hand(tmp_path):
    write_expression_predictions(tmp_path)
    table = per_sample_table(tmp_path, FakeReader(), INSTANCES)
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 3 + 3 + 2 + 2
    row = table[(table.video_id == "v1") & (table.object_id == 1) & (table.frame == 0)].iloc[0]
    # gt rows 1-2 cols 1-3 (6 px), prediction cols 2-4 (6 px): I = 4, U = 8, minus the 2 void pixels of col 4
    assert (row.I, row.U, row.J) == (4, 6, pytest.approx(4 / 6))
    assert row.F == pytest.approx(boundary_f_measure(box(1, 3, 2, 5), box(1, 3, 1, 4), box(1, 3, 4, 5)))
    assert row.instance_key == "fake/v1/1/s0" and row.gt_present
    absent = table[(table.video_id == "-v2") & (table.frame == 1)].set_index("source")
    assert not absent.gt_present.any()
    # s0 predicts 2 pixels where nothing is: I = 0, U = 2, J = 0; s1 predicts nothing: empty vs empty
    assert (absent.loc["s0", "I"], absent.loc["s0", "U"], absent.loc["s0", "J"], absent.loc["s0", "F"]) == (0, 2, 0, 0)
    assert (absent.loc["s1", "U"], absent.loc["s1", "J"], absent.loc["s1", "F"]) == (0, 1.0, 1.0)
    assert table.video_id.tolist()[:2] == ["-v2", "-v2"]  # sorted by video, object, source, frame


def test_object_layout_shares_one_png_per_frame(tmp_path):
    for video, frames in GT.items():
        for frame, masks in frames.items():
            labels = np.zeros((H, W), np.uint8)
            for obj, mask in masks.items():
                labels[np.roll(mask, 1, axis=1)] = obj
            save_png(tmp_path / video / f"{frame:05d}.png", labels, mode="P")
    table = per_sample_table(tmp_path, FakeReader(), INSTANCES, layout="object")
    expr = tmp_path / "expr"
    write_expression_predictions(expr)
    by_expression = per_sample_table(expr, FakeReader(), INSTANCES)
    present = table.gt_present
    pd.testing.assert_frame_equal(table[present], by_expression[present])
    s1 = table[(table.video_id == "-v2") & (table.frame == 1)]
    assert (s1.U == 0).all()  # object 1 is in neither the ground truth nor the prediction of frame 1


def test_missing_and_mis_sized_predictions(tmp_path):
    write_expression_predictions(tmp_path)
    missing = tmp_path / "v1" / "2" / "s0" / "00001.png"
    missing.unlink()
    with pytest.raises(MissingDataError, match=r"00001\.png"):
        per_sample_table(tmp_path, FakeReader(), INSTANCES)
    table = per_sample_table(tmp_path, FakeReader(), INSTANCES, missing_as_empty=True)
    row = table[(table.instance_key == "fake/v1/2/s0") & (table.frame == 1)].iloc[0]
    assert (row.I, row.U, row.J, row.F) == (0, 6, 0.0, 0.0)
    save_png(missing, np.zeros((H + 1, W)))
    with pytest.raises(FormatError, match="expected 8x6"):
        per_sample_table(tmp_path, FakeReader(), INSTANCES)


@pytest.mark.slow
def test_worker_processes_give_the_same_table(tmp_path):
    write_expression_predictions(tmp_path)
    one = per_sample_table(tmp_path, FakeReader(), INSTANCES)
    two = per_sample_table(tmp_path, FakeReader(), INSTANCES, processes=2)
    pd.testing.assert_frame_equal(one, two)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_round_trip_keeps_types(tmp_path, suffix):
    write_expression_predictions(tmp_path / "pred")
    table = per_sample_table(tmp_path / "pred", FakeReader(), INSTANCES)
    table.loc[0, "video_id"] = "00123"  # an id that looks like a number stays a string
    write_table(table, tmp_path / f"t{suffix}")
    pd.testing.assert_frame_equal(read_table(tmp_path / f"t{suffix}"), table)


def test_resume_skips_complete_videos_only(tmp_path):
    pred, out = tmp_path / "pred", tmp_path / "out.csv"
    write_expression_predictions(pred)
    first = evaluate_to_file(pred, FakeReader(), INSTANCES[:3], out)
    # with the predictions of v1 gone, a resumed run still succeeds: v1 and -v2 are complete in the output
    for path in (pred / "v1").rglob("*.png"):
        path.unlink()
    again = evaluate_to_file(pred, FakeReader(), INSTANCES[:3], out)
    pd.testing.assert_frame_equal(first, again)
    # a new expression for -v2 makes that video run again (its predictions are there), v1 still skipped
    full = evaluate_to_file(pred, FakeReader(), INSTANCES, out)
    assert set(full.instance_key) == {i.key for i in INSTANCES}
    assert len(read_table(out)) == 10
    with pytest.raises(MissingDataError):
        evaluate_to_file(pred, FakeReader(), INSTANCES, out, restart=True)


def sample_rows(sequences):
    """Per-sample rows from {instance_key: (J per frame, F per frame)}."""
    rows = []
    for key, (js, fs) in sequences.items():
        _, video, obj, source = key.split("/")
        for frame, (j, f) in enumerate(zip(js, fs)):
            rows.append(
                {
                    "instance_key": key,
                    "dataset": "d",
                    "video_id": video,
                    "object_id": int(obj),
                    "source": source,
                    "frame": frame,
                    "gt_present": True,
                    "I": 1,
                    "U": 1,
                    "J": j,
                    "F": f,
                }
            )
    return pd.DataFrame(rows)


def test_davis_summary_by_hand():
    rows = sample_rows(
        {"d/a/1/s": ([1.0, 0.0, 1.0, 0.0, 1.0], [1.0] * 5), "d/b/1/s": ([0.2, 0.4, 0.6, 0.8, 1.0], [1.0] * 5)}
    )
    per_expr, _, overall = davis_summary(rows.iloc[::-1])  # frame order is restored
    a = per_expr.set_index("instance_key").loc["d/b/1/s"]
    assert (a.J_mean, a.J_recall, a.J_decay) == pytest.approx((0.6, 0.6, 0.3 - 0.9))
    assert overall["J_mean"] == pytest.approx((0.6 + 0.6) / 2)
    assert overall["F_mean"] == 1.0
    assert overall["JF_mean"] == pytest.approx(0.8)
    dropped = davis_summary(rows, drop_ends=True).overall
    assert dropped["J_mean"] == pytest.approx((1 / 3 + 0.6) / 2)


def test_davis_summary_per_object_counts_each_object_once():
    # object a/1 has two expressions sharing its mask (object layout), b/1 one:
    # a/1: J = 1, 1, .5, 0, 0 -> mean .5, recall .4, decay mean(1, 1) - mean(0, 0) = 1; F = 1 throughout
    # b/1: J = .2 throughout -> mean .2, recall 0, decay 0; F = 0 throughout
    a_seq = ([1.0, 1.0, 0.5, 0.0, 0.0], [1.0] * 5)
    rows = sample_rows({"d/a/1/s0": a_seq, "d/a/1/s1": a_seq, "d/b/1/s0": ([0.2] * 5, [0.0] * 5)})
    per_expr, per_object, overall = davis_summary(rows, layout="object")
    assert len(per_expr) == 3
    assert per_object[["video_id", "object_id", "expressions"]].values.tolist() == [["a", 1, 2], ["b", 1, 1]]
    a = per_object.iloc[0]
    assert (a.J_mean, a.J_recall, a.J_decay, a.F_mean) == pytest.approx((0.5, 0.4, 1.0, 1.0))
    # DAVIS: the mean over the two objects
    assert overall["davis_average"] == "object" and overall["objects"] == 2 and overall["expressions"] == 3
    assert (overall["J_mean"], overall["J_recall"], overall["J_decay"]) == pytest.approx((0.35, 0.2, 0.5))
    assert (overall["F_mean"], overall["JF_mean"]) == pytest.approx((0.5, 0.425))
    assert overall["object_JF_mean"] == overall["JF_mean"]
    # over expressions, a/1 counts twice
    assert (
        overall["expression_J_mean"],
        overall["expression_J_recall"],
        overall["expression_J_decay"],
    ) == pytest.approx((1.2 / 3, 0.8 / 3, 2 / 3))
    assert overall["expression_JF_mean"] == pytest.approx((0.4 + 2 / 3) / 2)
    by_expression = davis_summary(rows, layout="expression").overall
    assert by_expression["davis_average"] == "expression"
    assert by_expression["J_mean"] == pytest.approx(0.4) and by_expression["object_J_mean"] == pytest.approx(0.35)


def test_summary_by_source(tmp_path):
    write_expression_predictions(tmp_path)
    table = per_sample_table(tmp_path, FakeReader(), INSTANCES)
    summary = summary_by_source(table, "refvos")
    assert list(summary.index) == ["all", "s0", "s1"]
    assert summary.loc["all", "samples"] == 10
    assert summary.loc["s1", "overall_iou"] == pytest.approx(
        table[table.source == "s1"].I.sum() / table[table.source == "s1"].U.sum()
    )


# ----- the real DAVIS format through open_reader and the command line


def build_davis(root):
    """Two val sequences of 3 frames, 16x12: 'swan' with one object and a void row, 'cars' with two."""
    (root / "ImageSets" / "2017").mkdir(parents=True)
    (root / "ImageSets" / "2017" / "val.txt").write_text("swan\ncars\n")
    (root / "ImageSets" / "2017" / "train.txt").write_text("other\n")
    labels = {}
    for seq in ("swan", "cars", "other"):
        for f in range(3):
            frame = root / "JPEGImages" / "480p" / seq / f"{f:05d}.jpg"
            frame.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (16, 12)).save(frame)
            lab = np.zeros((12, 16), np.uint8)
            if seq == "swan":
                lab[2:6, 3 + f : 9 + f] = 1
                lab[0, :] = 255
            else:
                lab[1:4, 1:5] = 1
                if f != 2:
                    lab[7:10, 8:14] = 2
            labels[seq, f] = lab
            save_png(root / "Annotations" / "480p" / seq / f"{f:05d}.png", lab, mode="P")
    (root / "davis_text_annotations").mkdir()
    (root / "davis_text_annotations" / "Davis17_annot1.txt").write_text(
        'swan 1 "a black swan"\ncars 1 "the red car"\ncars 2 "the car on the right"\nother 1 "x"\n'
    )
    return labels


def test_cli_evaluates_real_davis_format(tmp_path, capsys):
    labels = build_davis(tmp_path / "davis")
    pred = tmp_path / "pred"
    for (seq, f), lab in labels.items():
        for obj in (1, 2):
            if seq != "other" and (seq, obj) != ("swan", 2):
                save_png(pred / seq / str(obj) / "annot1" / f"{f:05d}.png", (lab == obj) * 255)
    pred_swan = pred / "swan" / "1" / "annot1" / "00001.png"
    save_png(pred_swan, np.zeros((12, 16)))  # one wrong frame: J = 0 there
    out = tmp_path / "table.parquet"
    code = main(
        [
            "evaluate",
            "--pred",
            str(pred),
            "--dataset",
            "davis",
            "--root",
            str(tmp_path / "davis"),
            "--split",
            "val",
            "--output",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    table = read_table(out)
    assert len(table) == 9 and set(table.video_id) == {"swan", "cars"}
    assert table.J.tolist().count(0.0) == 1
    absent = table[(table.video_id == "cars") & (table.object_id == 2) & (table.frame == 2)].iloc[0]
    assert not absent.gt_present and absent.J == 1.0  # object absent and nothing predicted
    summary = json.loads(capsys.readouterr().out)
    assert summary["all"]["J_mean"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert summary["all"]["samples"] == 8  # mttr skips the absent frame
    written = json.loads((tmp_path / "table_summary.json").read_text())
    assert written["by_source"] == summary and written["layout"] == "expression"
    assert len(written["per_object"]) == 3 and len(written["per_expression"]) == 3
    assert (
        main(
            [
                "evaluate",
                "--pred",
                str(pred),
                "--dataset",
                "davis",
                "--root",
                str(tmp_path / "davis"),
                "--output",
                str(tmp_path / "t.txt"),
            ]
        )
        == 2
    )  # unknown table format: one-line error


def test_cli_object_layout_averages_over_objects(tmp_path, capsys):
    labels = build_davis(tmp_path / "davis")
    # a second annotator's expressions for both cars objects: five expressions, three objects
    (tmp_path / "davis" / "davis_text_annotations" / "Davis17_annot2.txt").write_text(
        'cars 1 "red car"\ncars 2 "car at the right"\n', encoding="latin-1"
    )
    pred = tmp_path / "pred"
    for (seq, f), lab in labels.items():
        save_png(pred / seq / f"{f:05d}.png", lab if (seq, f) != ("swan", 1) else np.zeros_like(lab), mode="P")
    out = tmp_path / "out" / "table.csv"
    args = [
        "evaluate",
        "--pred",
        str(pred),
        "--dataset",
        "davis",
        "--root",
        str(tmp_path / "davis"),
        "--split",
        "val",
        "--layout",
        "object",
        "--output",
        str(out),
    ]
    assert main(args + ["--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["all"]
    # swan: J = 1, 0, 1 (frame 1 predicted empty); both cars objects: J = 1 on every frame
    assert (summary["objects"], summary["expressions"], summary["davis_average"]) == (3, 5, "object")
    assert summary["J_mean"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert summary["expression_J_mean"] == pytest.approx((2 / 3 + 4) / 5)
    written = json.loads((tmp_path / "out" / "table_summary.json").read_text())
    assert written["davis_average"] == "object" and "mean over objects" in written["notes"]["J_mean..JF_mean"]
    swan = [row for row in written["per_object"] if row["video_id"] == "swan"]
    assert swan == [pytest.approx({**swan[0], "J_mean": 2 / 3, "J_recall": 2 / 3, "expressions": 1})]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "mean over objects" in printed and f"summary to {tmp_path / 'out' / 'table_summary.json'}" in printed
