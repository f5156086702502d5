"""The quality view's figures (refcat.annotate.quality) on a hand-computed case: three annotators,
four instances, the difficulty questions; event times set by hand.

Answers (N non-trivial, T trivial; V valid, R no RE, W wrong object):

    difficulty     A  B  C  S        correctness    A  B  C  S
    ann1           N  N  T  T        ann1           V  R  V  V
    ann2           N  N  T  N        ann2           V  R  W  V
    ann3           N  T  T  N        ann3           R  R  V  V   (ann3 first said V on A, then undid it)

The others' majority is the label both other annotators gave (2 of 2). Kappa (p_o - p_e) / (1 - p_e):
- difficulty, ann1: pairs (N,N) (T,T) (T,N) on A C S: p_o 2/3, p_e 1/3*2/3 + 2/3*1/3 = 4/9: 2/5.
- difficulty, ann2: pairs (N,N) (T,T) on A C: 1.  ann3: (N,N) (T,N) (T,T) on A B C: 2/5.
- correctness, ann1: (R,R) (V,V) on B S: 1.  ann2: (R,R) (W,V) (V,V) on B C S: p_o 2/3, p_e 1/9 + 2/9 = 1/3: 1/2.
- correctness, ann3: (R,V) (R,R) (V,V) on A B S: p_o 2/3, p_e 2/3*1/3 + 1/3*2/3 = 4/9: 2/5.
Seconds from first to last answer event per instance: ann1 4 10 2 6 (median 5), ann2 1 3 8 20 (5.5),
ann3 9 (counted from the undone answer; 5 from the first standing one) 2 2 7 (4.5, not 3.5).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, SOLO, populate
from helpers.app_test import page_as
from sqlalchemy import insert, select, update

from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.labels import disagreements, record_answer, undo_last
from refcat.annotate.quality import (
    annotator_summary,
    case_link,
    disagreement_rows,
    filter_cases,
    flags_table,
    kappa_vs_others,
    others_majority,
)
from refcat.annotate.state import campaign_row, instance_row
from refcat.store.schema import LabelEventRow, UserRow

KEYS = [DUO_A, DUO_B, DUO_C, SOLO]
N, T, V, R, W = "non-trivial", "trivial", "valid", "no-re", "wrong-object"
DIFFICULTY = {"ann1": [N, N, T, T], "ann2": [N, N, T, N], "ann3": [N, T, T, N]}
CORRECTNESS = {"ann1": [V, R, V, V], "ann2": [V, R, W, V], "ann3": [R, R, V, V]}
SECONDS = {"ann1": [4, 10, 2, 6], "ann2": [1, 3, 8, 20], "ann3": [9, 2, 2, 7]}
START = datetime(2026, 1, 5, 9, 0, 0)


def set_time(store, event_id: int, at: datetime) -> None:
    with store.session() as session:
        session.execute(update(LabelEventRow).where(LabelEventRow.id == event_id).values(created_at=at))


@pytest.fixture
def labelled(store):
    populate(store)
    create_campaign(store, "c", KEYS, ["ann1", "ann2", "ann3"], question_sets=("difficulty",), auto_trivial=False)
    for index, key in enumerate(KEYS):
        begin = START + timedelta(minutes=10 * index)
        for name in ("ann1", "ann2", "ann3"):
            slip = (name, key) == ("ann3", DUO_A)
            if slip:  # pressed first and undone: the time on item still starts there
                set_time(store, record_answer(store, name, "c", key, "correctness", V), begin)
                undo_last(store, name, "c")
            difficulty = record_answer(store, name, "c", key, "difficulty", DIFFICULTY[name][index])
            set_time(store, difficulty, begin + timedelta(seconds=4 if slip else 0))
            last = record_answer(store, name, "c", key, "correctness", CORRECTNESS[name][index])
            set_time(store, last, begin + timedelta(seconds=SECONDS[name][index]))
    return store


def test_kappa_of_each_annotator_against_the_majority_of_the_others(labelled):
    table = kappa_vs_others(labelled, "c").set_index(["annotator", "field"])
    expected = {
        ("ann1", "difficulty"): (3, 2 / 3, 2 / 5),
        ("ann2", "difficulty"): (2, 1.0, 1.0),
        ("ann3", "difficulty"): (3, 2 / 3, 2 / 5),
        ("ann1", "correctness"): (2, 1.0, 1.0),
        ("ann2", "correctness"): (3, 2 / 3, 1 / 2),
        ("ann3", "correctness"): (3, 2 / 3, 2 / 5),
    }
    assert sorted(table.index) == sorted(expected)
    for index, (n, agreement, kappa) in expected.items():
        row = table.loc[index]
        assert row["n"] == n
        assert row["agreement"] == pytest.approx(agreement)
        assert row["kappa"] == pytest.approx(kappa)


def test_answers_median_time_on_item_revisions_and_flags(labelled):
    store = labelled
    close_round(store, "c", "boss")  # every queue item is complete
    record_answer(store, "ann2", "c", DUO_C, "correctness", V)  # ann2 revises W -> V
    with store.session() as session:
        session.execute(
            insert(LabelEventRow).values(
                campaign_pk=campaign_row(session, "c").id,
                instance_pk=instance_row(session, DUO_B).id,
                user_pk=session.scalar(select(UserRow.id).where(UserRow.name == "ann2")),
                round=1,
                kind="unsure",
                field="",
                value="yes",
                reason="the box is on the other dog",
                created_at=START,
            )
        )
    summary = annotator_summary(store, "c").set_index("annotator")
    assert summary["assigned"].tolist() == [4, 4, 4]
    assert summary["instances"].tolist() == [4, 4, 4]
    assert summary["answers"].tolist() == [8, 8, 8]  # the undone answer is not one
    assert summary["revisions"].tolist() == [0, 1, 0]
    assert summary["median_seconds"].tolist() == [5.0, 5.5, 4.5]
    assert summary["flags"].tolist() == [0, 1, 0]  # a flag: an event of another kind (here "unsure")
    flags = flags_table(store, "c")
    assert flags[["item", "annotator", "kind", "text"]].values.tolist() == [
        [DUO_B, "ann2", "unsure", "the box is on the other dog"]
    ]
    # After revision ann2 agrees with the others on C: pairs (R,R) (V,V) (V,V), kappa 1.
    after = kappa_vs_others(store, "c", round=2).set_index(["annotator", "field"])
    assert after.loc[("ann2", "correctness"), "kappa"] == pytest.approx(1.0)


def test_disagreements_name_first_and_revised_answers_status_and_filters(labelled):
    store = labelled
    close_round(store, "c", "boss")  # every queue item is complete
    record_answer(store, "ann2", "c", DUO_C, "correctness", V)
    table = disagreements(store, "c")
    row = table[(table["item"] == DUO_C) & (table["field"] == "correctness")].iloc[0]
    assert row["first"] == {"ann1": V, "ann2": W, "ann3": V}
    assert row["revised"] == {"ann2": V}
    assert row["answers"] == {"ann1": V, "ann2": V, "ann3": V} and row["status"] == "ok"
    cases = disagreement_rows(table, include_adjudicated=False)
    # Still in dispute after revision: A correctness (V V R), B and S difficulty (N N T, T N N).
    assert cases[["item", "field"]].values.tolist() == [
        [DUO_A, "correctness"],
        [DUO_B, "difficulty"],
        [SOLO, "difficulty"],
    ]
    assert filter_cases(cases, field="difficulty")["item"].tolist() == [DUO_B, SOLO]
    assert filter_cases(cases, flagged={SOLO})["item"].tolist() == [SOLO]
    assert filter_cases(cases, ties_only=True).empty


def test_others_majority_and_case_links():
    assert others_majority(["yes", "yes"], 2) == "yes"
    assert others_majority(["yes", "no"], 2) is None
    assert others_majority(["yes"], 2) is None  # one of two others is not more than half
    assert others_majority(["no", "no", "yes"], 4) is None and others_majority(["no"] * 3, 4) == "no"
    assert case_link("c 1", "demo/duo/1/annot1", "obj-motion") == (
        "adjudicate?campaign=c+1&instance=demo%2Fduo%2F1%2Fannot1&field=obj-motion"
    )


def test_shown_kappa_writes_no_negative_zero():
    """A kappa of 0 computed as -1.2e-15 (float error; the demo store's ann1 difficulty) shows, and its
    CSV download writes, 0.0, not -0."""
    from refcat.annotate.ui.quality import shown_kappa

    kappa = pd.DataFrame({"difficulty": [-1.1657341758564157e-15, 2 / 5, math.nan], "motion": [-0.0004, 1.0, 0.5]})
    shown = shown_kappa(kappa)
    assert [math.copysign(1.0, v) for v in shown["difficulty"][:2]] == [1.0, 1.0]
    assert shown["motion"].tolist() == [0.0, 1.0, 0.5] and math.copysign(1.0, shown["motion"][0]) == 1.0
    assert shown["difficulty"][1] == 0.4 and math.isnan(shown["difficulty"][2])
    assert "-0" not in shown.to_csv(index=False)


def test_quality_page_counts_disagreements_in_words(labelled, monkeypatch):
    from refcat.annotate.ui.quality import disagreements_title

    assert disagreements_title("location", 1) == "Location: 1 disagreement"
    assert disagreements_title("motion", 2) == "Motion: 2 disagreements"
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    close_round(store, "c", "boss")
    monkeypatch.setenv("REFCAT_DB", store.url)

    at = page_as("refcat.annotate.ui.quality", "boss")
    assert not at.exception
    # Difficulty: B (N N T) and S (T N N); correctness: A (V V R) and C (V W V).
    assert [e.label for e in at.expander] == ["Difficulty: 2 disagreements", "Correctness: 2 disagreements"]
    kappa = next(d.value for d in at.dataframe if "difficulty" in d.value.columns and "n" not in d.value.columns)
    assert kappa.loc["ann1", "difficulty"] == 0.4 and kappa.loc["ann2", "correctness"] == 0.5
