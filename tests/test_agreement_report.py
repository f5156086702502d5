"""The agreement report (issue 18): header, revision table, annotators, percent agreement beside
every kappa, notes as sentences, the forest plot, and JSON holding what the Markdown shows.
Every figure checked here is computed by hand in the comments."""

import json

import numpy as np
import pandas as pd
import pytest

from refcat.analysis.agreement_report import (
    ReportSettings,
    agreement_by_field,
    annotator_frame,
    build_report,
    forest_frame,
    full_markdown,
    report_json,
    report_lines,
    revision_frame,
    summary_line,
    write_report,
)


def long(rows):
    return pd.DataFrame(rows, columns=["item", "annotator", "field", "label"])


# Three annotators on one field, c leaves i4 unanswered:
#   i1: a yes, b yes, c no     i2: a no, b no, c no     i3: a yes, b no, c yes     i4: a no, b no
THREE = long(
    [
        ("i1", "a", "motion", "yes"),
        ("i1", "b", "motion", "yes"),
        ("i1", "c", "motion", "no"),
        ("i2", "a", "motion", "no"),
        ("i2", "b", "motion", "no"),
        ("i2", "c", "motion", "no"),
        ("i3", "a", "motion", "yes"),
        ("i3", "b", "motion", "no"),
        ("i3", "c", "motion", "yes"),
        ("i4", "a", "motion", "no"),
        ("i4", "b", "motion", "no"),
    ]
)


def test_pairs_carry_percent_agreement_and_each_annotator_agreement_with_the_others():
    result = agreement_by_field(THREE)["motion"]
    pairs = result.pairwise_cohen.set_index(["rater_a", "rater_b"])
    # a-b on i1..i4: equal on i1, i2, i4; a = y n y n, b = y n n n: p_o 3/4, p_e 1/2 * 1/4 + 1/2 * 3/4 = 1/2
    assert pairs.loc[("a", "b"), "percent_agreement"] == pytest.approx(3 / 4)
    assert pairs.loc[("a", "b"), "kappa"] == pytest.approx(0.5)
    # a-c on i1..i3: equal on i2, i3; p_o 2/3, p_e 2/3 * 1/3 + 1/3 * 2/3 = 4/9, kappa (2/9) / (5/9)
    assert pairs.loc[("a", "c"), "percent_agreement"] == pytest.approx(2 / 3)
    assert pairs.loc[("a", "c"), "kappa"] == pytest.approx(0.4)
    # b-c on i1..i3: equal on i2 only; p_o 1/3, p_e 1/9 + 4/9, kappa (-2/9) / (4/9)
    assert pairs.loc[("b", "c"), "percent_agreement"] == pytest.approx(1 / 3)
    assert pairs.loc[("b", "c"), "kappa"] == pytest.approx(-0.5)
    frame = annotator_frame({"motion": result}).set_index("annotator")
    # a: pairs a-b (4 items, 3 equal) and a-c (3 items, 2 equal): (3 + 2) / 7; kappas (0.5 + 0.4) / 2
    assert frame.loc["a", "percent_agreement"] == pytest.approx(5 / 7)
    assert frame.loc["a", "mean_cohen_kappa"] == pytest.approx(0.45)
    assert frame.loc["b", "percent_agreement"] == pytest.approx(4 / 7)  # (3 + 1) / 7
    assert frame.loc["b", "mean_cohen_kappa"] == pytest.approx(0.0)  # (0.5 - 0.5) / 2
    assert frame.loc["c", "percent_agreement"] == pytest.approx(3 / 6)  # (2 + 1) / 6
    assert frame.loc["c", "mean_cohen_kappa"] == pytest.approx(-0.05)  # (0.4 - 0.5) / 2
    assert frame["n_items"].tolist() == [7, 7, 6] and (frame["n_defined"] == 2).all()


def two_raters(field, a_yes, b_yes, n=40):
    """Two annotators answer yes on the given item numbers and no on the others."""
    return [
        (f"i{i:02d}", who, field, "yes" if i in yes else "no")
        for i in range(n)
        for who, yes in (("a", a_yes), ("b", b_yes))
    ]


# 40 items, two annotators (Conger's kappa is then Cohen's):
#   motion: a yes on 0-19, b on 0-17 and 20-21: p_o 36/40, p_e 1/2, kappa 0.8
#   static: a yes on 0-19, b on 0-15 and 20-23: p_o 32/40, p_e 1/2, kappa 0.6
#   obj-static: a yes on 0, 1, 2, b on 0, 1, 3: p_o 38/40, p_e (3/40)^2 + (37/40)^2 = 1378/1600,
#     kappa (0.95 - 0.86125) / 0.13875 = 0.6396; at most 3 positives: very few
#   obj-motion: every answer no: percent agreement 1, kappa undefined
PAPER = long(
    two_raters("motion", set(range(20)), set(range(18)) | {20, 21})
    + two_raters("static", set(range(20)), set(range(16)) | {20, 21, 22, 23})
    + two_raters("obj-static", {0, 1, 2}, {0, 1, 3})
    + two_raters("obj-motion", set(), set())
)


def test_summary_line_is_the_papers_sentence():
    results = agreement_by_field(PAPER)
    assert results["obj-static"].davies_fleiss.value == pytest.approx(0.08875 / 0.13875)
    assert summary_line(results) == (
        "Davies & Fleiss' kappa between 0.60 (static) and 0.80 (motion) over 2 fields; "
        "except 0.64 (obj-static) with very few positives (at most 3 positive answers per annotator); "
        "perfect agreement (100%, kappa undefined) on obj-motion."
    )


def test_perfect_agreement_shows_100_percent_and_a_note():
    results = agreement_by_field(PAPER)
    markdown = full_markdown(build_report(PAPER, ReportSettings("paper.csv")))
    row = next(line for line in markdown.splitlines() if line.startswith("| obj-motion |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # field, items, kappa, CI, % agreement, AC1, alpha, note
    assert cells[:5] == ["obj-motion", "40", "—", "—", "100.0%"]
    assert cells[7].startswith("Perfect agreement. Very few positives.")
    obj = next(o for o in report_json(results) if o["field"] == "obj-motion")
    assert obj["percent_agreement"]["value"] == 1.0 and obj["davies_fleiss_kappa"]["value"] is None
    assert obj["notes"][0].startswith("Perfect agreement: every pair of answers agrees (kappa undefined: ")
    assert obj["notes"][1] == "Very few positives: no `yes` answer from any annotator."


def test_mean_cohen_says_it_averages_the_defined_pairs_and_notes_are_sentences():
    # a varies, b and c always no: b-c has one category (undefined); a-b and a-c are defined.
    rows = [(f"i{i}", "a", "motion", "yes" if i < 2 else "no") for i in range(6)]
    rows += [(f"i{i}", who, "motion", "no") for i in range(6) for who in "bc"]
    result = agreement_by_field(long(rows))["motion"]
    # a-b: p_o 4/6, p_a(yes) 1/3, p_b(yes) 0: p_e 2/3, kappa 0; a-c the same: the mean is 0
    assert result.mean_cohen.value == pytest.approx(0.0)
    markdown = full_markdown(build_report(long(rows), ReportSettings("x.csv")))
    row = next(line for line in markdown.splitlines() if line.startswith("| mean_cohen_kappa |"))
    assert row.endswith("| Mean over the 2 of 3 annotator pairs whose kappa is defined. |")
    fleiss = next(line for line in markdown.splitlines() if line.startswith("| fleiss_kappa |"))
    note = fleiss.rstrip(" |").rsplit("|", 1)[1].strip()
    assert note.startswith("Null test: z = ") and note.endswith(".")
    assert "- Warning: interval unreliable: 6 items" in markdown  # a warning is a sentence of its own
    pair = next(line for line in markdown.splitlines() if line.startswith("| b – c |"))
    assert "| 100.0% | The two annotators used one and the same category throughout. |" in pair
    (obj,) = report_json({"motion": result})
    assert obj["mean_cohen_pairs"] == {"defined": 2, "total": 3}


def rounds_tables():
    """Round 1: a = y y n n, b = y n y n (p_o 1/2, p_e 1/2: kappa 0); round 2: b revises i2 and i3."""
    first = long(
        [(f"i{i}", w, "motion", v) for i, (x, y) in enumerate(["yy", "yn", "ny", "nn"]) for w, v in zip("ab", (x, y))]
    )
    first["label"] = first["label"].map({"y": "yes", "n": "no"})
    second = first.copy()
    second.loc[second["annotator"] == "b", "label"] = ["yes", "yes", "no", "no"]
    return first, second


def test_revision_table_and_header():
    first, second = rounds_tables()
    settings = ReportSettings("campaign c", campaign="c", round=2, n_boot=0, seed=7, date="2024-05-01")
    report = build_report(second, settings, {1: first, 2: second})
    frame = revision_frame(*report.revision).set_index("field")
    assert frame.loc["motion", "kappa_round1"] == pytest.approx(0.0)
    assert frame.loc["motion", "kappa_round2"] == pytest.approx(1.0)  # all four equal, two categories
    assert frame.loc["motion", "kappa_change"] == pytest.approx(1.0)
    assert frame.loc["motion", "percent_round1"] == pytest.approx(0.5)
    assert frame.loc["motion", "percent_change"] == pytest.approx(0.5)
    markdown = full_markdown(report)
    for line in (
        "| campaign | c |",
        "| round | round 2 (after revision) |",
        "| annotators | a, b (2) |",
        "| items | 4 |",
        "| date | 2024-05-01 |",
        "| bootstrap B | 0 |",
        "| seed | 7 |",
        "| motion | 0.000 | 1.000 | +1.000 | 50.0% | 100.0% | +50.0 pp |",
    ):
        assert line in markdown.splitlines()
    assert "| methods | Fleiss' kappa and Conger's kappa" in markdown
    (obj,) = report_lines(report)
    assert obj["report"]["campaign"] == "c" and obj["report"]["round"] == 2 and obj["report"]["seed"] == 7
    assert obj["report"]["annotators"] == ["a", "b"] and obj["report"]["n_items"] == 4
    assert obj["revision"]["kappa_round1"] == pytest.approx(0.0) and obj["revision"]["percent_round2"] == 1.0


def test_json_holds_every_figure_of_the_markdown():
    results = agreement_by_field(THREE)
    (obj,) = report_json(results)
    for name in ("fleiss_kappa", "davies_fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "brennan_prediger"):
        assert set(obj[name]) == {"value", "se", "ci_low", "ci_high", "reason", "ci_method"}
        assert obj[name]["ci_method"] == "t"
    assert obj["percent_agreement"]["value"] == pytest.approx(results["motion"].percent_agreement.value)
    assert set(obj["null_test"]) == {"se_null", "z", "p"} and set(obj["per_category"]) == {"yes", "no"}
    pair = next(p for p in obj["pairwise_cohen"] if (p["rater_a"], p["rater_b"]) == ("a", "b"))
    assert pair["kappa"]["value"] == pytest.approx(0.5) and pair["percent_agreement"] == pytest.approx(0.75)
    assert pair["n_items"] == 4
    assert [a["annotator"] for a in obj["annotators"]] == ["a", "b", "c"]
    assert obj["warnings"] == list(results["motion"].warnings) and obj["warnings"]
    json.dumps(obj, allow_nan=False)  # NaN is null


def test_bootstrap_is_named_in_the_header():
    report = build_report(THREE, ReportSettings("x.csv", n_boot=200, seed=3))
    (obj,) = report_lines(report)
    assert obj["report"]["n_boot"] == 200 and obj["report"]["seed"] == 3
    assert "bootstrap percentile intervals, B = 200 resamples of items, seed 3" in obj["report"]["intervals"]


def test_write_report_writes_the_forest_plot_and_links_it(tmp_path):
    first, second = rounds_tables()
    report = build_report(second, ReportSettings("campaign c", campaign="c", round=2), {1: first, 2: second})
    forest = forest_frame(report)
    assert forest[["field", "series"]].values.tolist() == [
        ["motion", "round 1 (first answers)"],
        ["motion", "round 2 (after revision)"],
    ]
    assert forest["value"].tolist() == pytest.approx([0.0, 1.0])
    assert forest["percent_agreement"].tolist() == pytest.approx([0.5, 1.0])
    paths = write_report(report, tmp_path)
    assert [p.name for p in paths] == [
        "agreement.md",
        "agreement.json",
        "agreement.csv",
        "agreement_pairwise.csv",
        "agreement_forest.png",
    ]
    assert (tmp_path / "agreement_forest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![Davies & Fleiss' kappa per field with its intervals](agreement_forest.png)" in paths[0].read_text()
    assert json.loads(paths[1].read_text()) == json.loads(json.dumps(report_lines(report)))
    pairwise = pd.read_csv(paths[3])
    assert pairwise[["field", "rater_a", "rater_b", "percent_agreement"]].values.tolist() == [["motion", "a", "b", 1.0]]


def test_forest_plot_draws_one_series_per_round():
    from refcat.analysis.plots import forest_plot

    first, second = rounds_tables()
    report = build_report(second, ReportSettings("c", round=2), {1: first, 2: second})
    figure = forest_plot(forest_frame(report), "kappa")
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["motion"]
    points = [line.get_xdata()[0] for line in ax.get_lines() if line.get_marker() in ("o", "s")]
    assert points == pytest.approx([0.0, 1.0])
    assert sorted(t.get_text() for t in ax.texts if t.get_text().endswith("%")) == ["100%", "50%"]
    assert np.isfinite(ax.get_xlim()).all()
