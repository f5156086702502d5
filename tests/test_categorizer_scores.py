"""Scores of categorizer output against reference labels (refcat.analysis.categorizer_scores), hand-computed."""

import math

import pandas as pd

from refcat.analysis.categorizer_scores import category_scores, compare_sources, losses

REFERENCE = pd.DataFrame({"motion": [1, 1, 0, 0, pd.NA], "static": [0, 0, 0, 0, 0]}, dtype="Int8")
RULES = pd.DataFrame({"motion": [1, 0, 0, 1, 1], "static": [0, 0, 0, 0, 0]})
LEARNED = pd.DataFrame({"motion": [1, 1, 0, 0, 0], "static": [0, 0, 1, 0, 0]})


def test_category_scores_by_hand():
    scores = category_scores(REFERENCE, RULES, ["motion", "static"])
    # motion, the unlabelled row left out: tp 1, fp 1, fn 1, tn 1 -> P = R = F1 = 0.5; p_o = p_e = 0.5 -> kappa 0
    assert scores.loc["motion", ["n", "tp", "fp", "fn"]].tolist() == [4, 1, 1, 1]
    assert scores.loc["motion", ["precision", "recall", "f1", "kappa"]].tolist() == [0.5, 0.5, 0.5, 0.0]
    # static: no positive anywhere -> precision, recall, F1 and kappa undefined
    assert all(math.isnan(scores.loc["static", m]) for m in ("precision", "recall", "f1", "kappa"))


def test_compare_sources_side_by_side_and_the_losses_against_a_baseline():
    table = compare_sources(REFERENCE, {"rules": RULES, "learned": LEARNED}, ["motion", "static"])
    assert list(table.columns) == [
        ("n", ""),
        ("f1", "rules"),
        ("f1", "learned"),
        ("kappa", "rules"),
        ("kappa", "learned"),
    ]
    assert table.loc["motion"].tolist() == [4, 0.5, 1.0, 0.0, 1.0]
    assert table.loc["static", ("n", "")] == 5 and table.loc["static", ("f1", "learned")] == 0.0
    worse = losses(table, "rules", "learned")
    assert list(worse.index) == ["motion"] and worse.loc["motion"].tolist() == [-0.5, -1.0]
    # learned's static F1 0 against the rules' NaN is not compared; nothing else is lower
    assert losses(table, "learned", "rules").empty
    assert losses(table, "rules", "learned", tolerance=1.0).empty
