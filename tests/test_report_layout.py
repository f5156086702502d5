"""The report in the paper's layout (issue 17): Tables 5 and 6 cell by cell in Markdown and LaTeX,
paired bootstrap intervals checked by hand, one-decimal percentages, display names, the dataset's
REs summarized apart from the variants, the precision@K plot, provenance, `--format`."""

import hashlib
import json
import math

import pandas as pd
import pytest
from helpers.tables import labels_frame, samples

from refcat.analysis.ablation import paired_ratio_intervals, table5, table6
from refcat.analysis.per_sample import write_table
from refcat.analysis.report import (
    Provenance,
    build_report,
    count,
    gather_provenance,
    interval,
    latex_escape,
    latex_table,
    markdown_table,
    percent,
    source_summaries,
    table5_layout,
    table6_layout,
    to_html,
    to_markdown,
)
from refcat.analysis.summaries import summary_document, summary_path, write_summary
from refcat.cli import main
from refcat.errors import MissingDataError

# Four expressions, two referents, one sample each: A with (9/10) and without (8/10) appearance,
# B with (6/20) and without (4/20). Every resample of the two pairs is {A, A}, {B, B} or {A, B}:
# with = 0.9, 0.3 or 15/30 (overall) and 0.6 (mean); without = 0.8, 0.2, 12/30 or 0.5; the
# difference is 0.1 in every one of them, which only a paired bootstrap gives.
FOUR = samples(
    [
        ("A", 0, "a2dre+:appearance:with", [(9, 10, True)]),
        ("A", 0, "a2dre+:appearance:without", [(8, 10, True)]),
        ("B", 0, "a2dre+:appearance:with", [(6, 20, True)]),
        ("B", 0, "a2dre+:appearance:without", [(4, 20, True)]),
    ]
)


def test_table5_of_four_expressions_by_hand():
    t5 = table5(FOUR, n_boot=2000, seed=4)
    app = t5.loc["appearance"]
    assert (app.pairs, app.samples_with, app.samples_without) == (2, 2, 2)
    assert app.overall_iou_with == pytest.approx(0.5) and app.overall_iou_without == pytest.approx(0.4)
    assert app.mean_iou_with == pytest.approx(0.6) and app.mean_iou_without == pytest.approx(0.5)
    for measure in ("overall_iou", "mean_iou"):
        # each side: the resamples {B, B} and {A, A} (a quarter each) bound the interval
        assert (t5.loc["appearance", f"{measure}_with_ci_low"], app[f"{measure}_with_ci_high"]) == pytest.approx(
            (0.3, 0.9)
        )
        assert (app[f"{measure}_without_ci_low"], app[f"{measure}_without_ci_high"]) == pytest.approx((0.2, 0.8))
        # paired: the same pairs on both sides, so every resample differs by 0.1
        assert (app[f"{measure}_diff"], app[f"{measure}_ci_low"], app[f"{measure}_ci_high"]) == pytest.approx(
            (0.1, 0.1, 0.1)
        )
    assert t5.loc["motion", "pairs"] == 0 and math.isnan(t5.loc["motion", "overall_iou_with_ci_low"])


def test_paired_intervals_share_their_resamples():
    plus, minus = ([9, 6], [10, 20]), ([8, 4], [10, 20])
    paired = paired_ratio_intervals(plus, minus, n_boot=500, seed=1)
    assert paired.plus.estimate == pytest.approx(0.5) and paired.minus.estimate == pytest.approx(0.4)
    assert (paired.difference.low, paired.difference.high) == pytest.approx((0.1, 0.1))
    # drawn independently, the sides would differ by up to 0.9 - 0.2 = 0.7
    assert paired.plus.high - paired.minus.low == pytest.approx(0.7)
    assert all(math.isnan(v) for v in paired_ratio_intervals(([], []), ([], [])).difference)


TABLE5_MARKDOWN = [
    "|  | +App | -App | +Loc | -Loc | +Motion | -Motion | +Static | -Static |",
    "|---|---|---|---|---|---|---|---|---|",
    "| Overall IoU | 50.0 | 40.0 |  |  |  |  |  |  |",
    "| 95% CI | [30.0, 90.0] | [20.0, 80.0] |  |  |  |  |  |  |",
    "| Difference [95% CI] | +10.0 [10.0, 10.0] |  |  |  |  |  |  |  |",
    "| Pairs | 2 | 2 | 0 | 0 | 0 | 0 | 0 | 0 |",
    "| Samples | 2 | 2 | 0 | 0 | 0 | 0 | 0 | 0 |",
]


def test_table5_layout_in_markdown_and_latex():
    t5 = table5(FOUR, n_boot=2000, seed=4)
    assert markdown_table(table5_layout(t5)).splitlines() == TABLE5_MARKDOWN
    assert (
        markdown_table(table5_layout(t5, "mean_iou")).splitlines()[2] == "| Mean IoU | 60.0 | 50.0 |  |  |  |  |  |  |"
    )
    assert latex_table(table5_layout(t5), "Table 5").splitlines() == [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{Table 5}",
        r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
        r"\begin{tabular}{lrrrrrrrr}",
        r"\toprule",
        r" & +App & -App & +Loc & -Loc & +Motion & -Motion & +Static & -Static \\",
        r"\midrule",
        r"Overall IoU & 50.0 & 40.0 &  &  &  &  &  &  \\",
        r"95\% CI & [30.0, 90.0] & [20.0, 80.0] &  &  &  &  &  &  \\",
        r"Difference [95\% CI] & +10.0 [10.0, 10.0] &  &  &  &  &  &  &  \\",
        r"Pairs & 2 & 2 & 0 & 0 & 0 & 0 & 0 & 0 \\",
        r"Samples & 2 & 2 & 0 & 0 & 0 & 0 & 0 & 0 \\",
        r"\bottomrule",
        r"\end{tabular}}",
        r"\end{table}",
    ]
    assert table5_layout(t5, confidence=0.9).index[1] == "90% CI"


# v1 is trivial, v2 non-trivial; one sample per level and referent except v2's two full sentences
PHRASES = samples(
    [
        ("v1", 0, "phrase:thing", [(2, 10, True)]),
        ("v2", 0, "phrase:thing", [(0, 10, True)]),
        ("v1", 0, "phrase:actor", [(4, 10, True)]),
        ("v2", 0, "phrase:actor", [(1, 10, True)]),
        ("v1", 0, "phrase:action", [(3, 10, True)]),
        ("v2", 0, "phrase:action", [(2, 10, True)]),
        ("v1", 0, "phrase:actor+action", [(6, 10, True)]),
        ("v2", 0, "phrase:actor+action", [(3, 10, True)]),
        ("v1", 0, "phrase:full:sentence0", [(8, 10, True)]),
        ("v2", 0, "phrase:full:sentence0", [(5, 10, True)]),
        ("v2", 0, "phrase:full:sentence1", [(7, 20, True)]),
    ]
)
PHRASE_LABELS = labels_frame([("v1", 0, "a", "trivial", "valid", []), ("v2", 0, "b", "non-trivial", "valid", [])])


def test_table6_layout_in_markdown_and_latex():
    t6 = table6(PHRASES, PHRASE_LABELS)
    assert t6.loc["full", "non-trivial_referents"] == 1 and t6.loc["full", "all_referents"] == 2
    # full, non-trivial: overall (5 + 7) / (10 + 20), mean (0.5 + 0.35) / 2; all: 20 / 40 and 1.65 / 3
    assert markdown_table(table6_layout(t6)).splitlines() == [
        "|  | Overall IoU (Trivial) | Overall IoU (Non-Trivial) | Overall IoU (All) "
        "| Mean IoU (Trivial) | Mean IoU (Non-Trivial) | Mean IoU (All) |",
        "|---|---|---|---|---|---|---|",
        "| Generic | 20.0 | 0.0 | 10.0 | 20.0 | 0.0 | 10.0 |",
        "| Only Actor | 40.0 | 10.0 | 25.0 | 40.0 | 10.0 | 25.0 |",
        "| Only Action | 30.0 | 20.0 | 25.0 | 30.0 | 20.0 | 25.0 |",
        "| Actor + Action | 60.0 | 30.0 | 45.0 | 60.0 | 30.0 | 45.0 |",
        "| Full phrase | 80.0 | 40.0 | 50.0 | 80.0 | 42.5 | 55.0 |",
    ]
    assert latex_table(table6_layout(t6)).splitlines()[3:10] == [
        r"\begin{tabular}{lrrrrrr}",
        r"\toprule",
        r" & \multicolumn{3}{c}{Overall IoU} & \multicolumn{3}{c}{Mean IoU} \\",
        r"\cmidrule(lr){2-4} \cmidrule(lr){5-7}",
        r" & Trivial & Non-Trivial & All & Trivial & Non-Trivial & All \\",
        r"\midrule",
        r"Generic & 20.0 & 0.0 & 10.0 & 20.0 & 0.0 & 10.0 \\",
    ]
    page = to_html(build_report(PHRASES, PHRASE_LABELS, n_boot=20, provenance=Provenance(date="d")))
    assert '<th colspan="3" halign="left">Overall IoU</th>' in page
    md = to_markdown(build_report(PHRASES, PHRASE_LABELS, n_boot=20, provenance=Provenance(date="d")))
    assert "Referents: Trivial 1, Non-Trivial 1, All 2. Every value is a percentage." in md


def test_cells_are_percentages_with_one_decimal():
    assert [percent(v) for v in (19 / 30, 1.0, 0.0, float("nan"), None, pd.NA)] == ["63.3", "100.0", "0.0", "", "", ""]
    assert percent(0.2667, signed=True) == "+26.7" and percent(-0.0004, signed=True) == "0.0"
    assert percent(-0.031, signed=True) == "-3.1"
    assert count(2.0) == "2" and count(float("nan")) == ""
    assert interval(0.0, 0.4) == "[0.0, 40.0]" and interval(float("nan"), 0.4) == ""


def test_latex_escapes_specials():
    assert latex_escape(r"J&F 5% a_b #1 {x} ~ ^ $ \ ") == (
        r"J\&F 5\% a\_b \#1 \{x\} \textasciitilde{} \textasciicircum{} \$ \textbackslash{} "
    )


MIXED = samples(
    [
        ("v1", 0, "sentence0", [(10, 10, True), (5, 10, True)]),
        ("v1", 0, "sentence1", [(2, 10, True)]),
        ("v1", 0, "a2dre+:appearance:with", [(0, 10, True)]),
        ("v1", 0, "a2dre+:appearance:with:1", [(0, 10, True)]),
        ("v1", 0, "a2dre+:appearance:without", [(0, 10, True)]),
        ("v1", 0, "a2dre+:appearance:without:1", [(0, 10, True)]),
        *[("v1", 0, f"a2dre+:location:{p}:{k}", [(1, 10, True)]) for p in ("with", "without") for k in range(1, 6)],
        ("v1", 0, "phrase:thing", [(3, 10, True)]),
        ("v1", 0, "phrase:full:sentence0", [(4, 10, True)]),
        ("v1", 0, "phrase:full:sentence1", [(6, 10, True)]),
    ]
)


def test_the_dataset_s_res_are_summarized_apart_from_the_variants():
    summaries = source_summaries(MIXED)
    assert list(summaries) == [
        "Summary: the dataset's REs",
        "Summary: A2Dre+ variants",
        "Summary: phrase-level variants",
    ]
    own = summaries["Summary: the dataset's REs"]
    assert list(own.index) == ["all", "sentence0", "sentence1"]
    assert own.loc["all", "overall_iou"] == pytest.approx(17 / 30) and own.loc["all", "expressions"] == 1 + 1
    plus = summaries["Summary: A2Dre+ variants"]
    # 14 A2Dre+ sources, repetitions pooled: four groups under the pool of them all
    assert list(plus.index) == [
        "all",
        "a2dre+:appearance:with",
        "a2dre+:appearance:without",
        "a2dre+:location:with",
        "a2dre+:location:without",
    ]
    assert plus.loc["a2dre+:location:with", "expressions"] == 5 and plus.loc["all", "expressions"] == 14
    assert plus.loc["all", "overall_iou"] == pytest.approx(10 / 140)
    phrase = summaries["Summary: phrase-level variants"]
    assert list(phrase.index) == ["phrase:thing", "phrase:full"]  # no pool of the levels
    assert phrase.loc["phrase:full", "mean_iou"] == pytest.approx(0.5)
    md = to_markdown(build_report(MIXED, n_boot=10, provenance=Provenance(date="d")))
    # J: (0.75 + 0.2) / 2 over expressions; IoU 17/30 and (1 + 0.5 + 0.2) / 3; only the IoU of 1 is > 0.5
    assert "| All REs | 2 | 3 | 47.5 | 0.0 | 23.8 | 56.7 | 56.7 | 33.3 | 33.3 | 33.3 | 33.3 | 33.3 |" in md
    assert "| Annotator" not in md and "| Sentence 1 | 1 | 1 |" in md
    assert "| +Loc | 5 | 5 |" in md and "a2dre+:location:with:1" not in md
    assert "| Generic | 1 | 1 |" in md and "| Full phrase | 2 | 2 |" in md


def test_precision_curves_keep_the_dataset_s_res_first():
    report = build_report(MIXED, n_boot=10, provenance=Provenance(date="d"))
    figure = report.sections[0].figure
    assert report.sections[0].title == "Summary: the dataset's REs" and figure is not None
    _, labels = figure().axes[0].get_legend_handles_labels()
    assert labels == [
        "Dataset REs",
        "Sentence 0",
        "Sentence 1",
        "A2Dre+ with",
        "A2Dre+ without",
        "Generic",
        "Full phrase",
    ]
    only_plus = build_report(MIXED[MIXED.source.str.startswith("a2dre+")], n_boot=10).sections[0]
    assert only_plus.title == "Summary: A2Dre+ variants" and only_plus.figure is not None


def test_davis_sources_have_display_names():
    table = samples([("s", 1, f"annot{a}{v}", [(5, 10, True)]) for a in (1, 2) for v in ("", "_full_video")], "davis")
    md = to_markdown(build_report(table, n_boot=10, provenance=Provenance(date="d")))
    assert "| Annotator 1, first frame | 1 | 1 |" in md and "| Annotator 2, full video | 1 | 1 |" in md
    assert "annot1_full_video" not in md


def test_provenance_from_options_and_the_summary_beside_the_table(tmp_path):
    table_path = tmp_path / "t.csv"
    write_table(FOUR, table_path)
    write_summary(summary_document(FOUR, layout="object", drop_ends=True), summary_path(table_path))
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"weights" * 1000)
    config = tmp_path / "config.json"
    config.write_text('{"backbone": "resnet101"}')
    origin = gather_provenance(
        table_path, model="RefVOS", checkpoint=checkpoint, config=config, split="val", protocol="A2D", date="today"
    )
    rows = dict(origin.rows())
    assert rows["Checkpoint SHA-256"] == hashlib.sha256(b"weights" * 1000).hexdigest()
    assert rows["Configuration"] == f"{config} (SHA-256 {hashlib.sha256(config.read_bytes()).hexdigest()})"
    assert (rows["Model"], rows["Split"], rows["Protocol"], rows["Date"]) == ("RefVOS", "val", "A2D", "today")
    assert rows["Evaluation"] == "object layout; printed IoU convention mttr; first and last frames left out of J and F"
    assert rows["Summary"] == str(summary_path(table_path)) and rows["refcat version"] == "0.1.0"
    # what the summary records under the same names fills what the options leave out
    document = json.loads(summary_path(table_path).read_text())
    document.update({"model": "RefVOS-BERT", "split": "test", "checkpoint_sha256": "ab" * 32, "config": "a2d-finetune"})
    summary_path(table_path).write_text(json.dumps(document))
    rows = dict(gather_provenance(table_path, protocol="mine").rows())
    assert (rows["Model"], rows["Split"], rows["Protocol"]) == ("RefVOS-BERT", "test", "mine")
    assert (rows["Checkpoint SHA-256"], rows["Configuration"], rows["Checkpoint"]) == (
        "ab" * 32,
        "a2d-finetune",
        "not given",
    )
    assert dict(gather_provenance(tmp_path / "other.csv", config="preset").rows())["Configuration"] == "preset"
    # the protocol `refcat evaluate --protocol` ran, as it records it
    document["protocol"] = {"name": "a2d-mttr", "mirrors": "A2D Sentences, IoU > t", "results": {"overall_iou": 0.5}}
    summary_path(table_path).write_text(json.dumps(document))
    assert dict(gather_provenance(table_path).rows())["Protocol"] == "a2d-mttr (A2D Sentences, IoU > t)"
    with pytest.raises(MissingDataError):
        gather_provenance(table_path, checkpoint=tmp_path / "missing.pt")


def test_report_command_writes_the_formats_asked_for_with_provenance(tmp_path, capsys):
    table_path = tmp_path / "t.parquet"
    write_table(FOUR, table_path)
    checkpoint = tmp_path / "ckpt.pt"
    checkpoint.write_bytes(b"\x00" * 10)
    argv = ["report", "--table", str(table_path), "--out-dir", str(tmp_path / "out"), "--n-boot", "200"]
    argv += ["--format", "md,latex", "--checkpoint", str(checkpoint), "--split", "val", "--protocol", "mttr A2D"]
    assert main(argv) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.md", "report.tex"]
    md = (tmp_path / "out" / "report.md").read_text()
    digest = hashlib.sha256(b"\x00" * 10).hexdigest()
    assert f"| Checkpoint SHA-256 | {digest} |" in md and "| Split | val |" in md and "| Protocol | mttr A2D |" in md
    assert "| Summary | not given |" in md
    assert "| Overall IoU | 50.0 | 40.0 |" in md and "| Mean IoU | 60.0 | 50.0 |" in md
    tex = (tmp_path / "out" / "report.tex").read_text()
    assert tex.startswith("\\documentclass{article}") and tex.rstrip().endswith("\\end{document}")
    # provenance, the A2Dre+ summary, Table 5 for overall and for mean IoU
    assert tex.count("\\begin{table}") == tex.count("\\end{table}") == 4
    assert f"Checkpoint SHA-256 & {digest} \\\\" in tex and "\\caption{Table 5: A2Dre+ with vs without" in tex
    # every row of every tabular has as many cells as its column specification
    for block in tex.split("\\begin{tabular}{")[1:]:
        spec, body = block.split("}", 1)
        rows = [
            r for r in body.split("\\end{tabular}")[0].splitlines() if r.endswith("\\\\") and "multicolumn" not in r
        ]
        assert rows and all(r.count(" & ") == len(spec) - 1 for r in rows)


def test_ablation_prints_the_paper_layout(tmp_path, capsys):
    write_table(FOUR, tmp_path / "t.csv")
    assert main(["ablation", "--table", str(tmp_path / "t.csv"), "--n-boot", "100"]) == 0
    out = capsys.readouterr().out
    assert "Table 5: A2Dre+ with vs without each category (Overall IoU):" in out
    assert "+App" in out and "-Static" in out and "[30.0, 90.0]" in out and "appearance" not in out
