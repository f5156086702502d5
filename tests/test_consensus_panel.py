"""Consensus (issue 18): by default a strict majority of the panel; ties and left-out items
reported; `refcat consensus --campaign` releases the stored RE texts. Cases decided by hand."""

import json

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, populate

from refcat.analysis.consensus import consensus, consensus_summary, release_frame, strict_majority, votes_rule
from refcat.cli import main
from refcat.datasets.release import read_release


def answers(rows):
    return pd.DataFrame(rows, columns=["item", "annotator", "field", "label"])


VOTES = answers(
    [
        ("k1", "a", "motion", "yes"),
        ("k1", "b", "motion", "yes"),
        ("k1", "c", "motion", "no"),  # panel 3: 2 needed, 2 of 3
        ("k2", "a", "motion", "yes"),
        ("k2", "b", "motion", "no"),  # panel 2: 2 needed, 1-1
        ("k3", "a", "motion", "yes"),
        ("k3", "b", "motion", ""),  # panel 2 (b was asked): 2 needed, one answer
        ("k6", "a", "correctness", "valid"),
        ("k6", "b", "correctness", "valid"),
        ("k6", "c", "correctness", "no-re"),
        ("k6", "d", "correctness", "wrong-object"),  # panel 4: 3 needed, 2-1-1
    ]
)


def by_key(table):
    return {(r.item, r.field): (r.label, r.votes, r.n_answers, r.status) for r in table.itertuples()}


def test_strict_majority():
    assert [strict_majority(n) for n in range(1, 7)] == [1, 2, 2, 3, 3, 4]


def test_default_is_a_strict_majority_of_each_items_annotators():
    assert by_key(consensus(VOTES)) == {
        ("k1", "motion"): ("yes", 2, 3, "ok"),
        ("k2", "motion"): ("", 1, 2, "tie"),
        ("k3", "motion"): ("", 1, 1, "too-few-answers"),
        ("k6", "correctness"): ("", 2, 4, "no-majority"),
    }
    # With 2 votes fixed, k6's 2 of 4 is kept; with a panel of 5 (3 needed), k1's 2 of 3 is not.
    assert by_key(consensus(VOTES, min_votes=2))[("k6", "correctness")] == ("valid", 2, 4, "ok")
    assert by_key(consensus(VOTES, panel=5))[("k1", "motion")] == ("", 2, 3, "no-majority")
    assert by_key(consensus(VOTES, panel=5))[("k2", "motion")] == ("", 1, 2, "too-few-answers")


def test_votes_rule_in_words():
    assert votes_rule(2) == "2 (given)"
    assert votes_rule(None, 4) == "3, a strict majority of 4 annotators per item"
    assert votes_rule() == "a strict majority of each item's annotators"


def test_summary_lists_ties_undecided_and_left_out():
    table = consensus(VOTES)
    skipped = pd.DataFrame([("k6", "correctness: no-majority")], columns=["item", "reason"])
    assert consensus_summary(table, skipped) == {
        "counts": {"ok": 1, "tie": 1, "no-majority": 1, "too-few-answers": 1},
        "ties": [{"item": "k2", "field": "motion", "votes": 1, "n_answers": 2}],
        "undecided": [
            {"item": "k3", "field": "motion", "votes": 1, "n_answers": 1, "status": "too-few-answers"},
            {"item": "k6", "field": "correctness", "votes": 2, "n_answers": 4, "status": "no-majority"},
        ],
        "left_out": [{"item": "k6", "reason": "correctness: no-majority"}],
    }
    assert consensus_summary(table)["left_out"] == []


@pytest.fixture
def four_panel(tmp_path):
    """Three duo instances, four annotators each, difficulty questions; answers:
    DUO_A: correctness valid, valid, no-re (ann4 silent), difficulty non-trivial x3
    DUO_B: correctness valid x4, difficulty trivial x3 + non-trivial
    DUO_C: correctness valid, valid, no-re, no-re (a tie), difficulty non-trivial x4"""
    from refcat.annotate.campaigns import create_campaign
    from refcat.annotate.labels import record_answer
    from refcat.store.database import open_store

    db = tmp_path / "store.db"
    store = open_store(db)
    users = ("ann1", "ann2", "ann3", "ann4")
    populate(store, annotators=users)
    create_campaign(
        store,
        "c4",
        [DUO_A, DUO_B, DUO_C],
        list(users),
        per_instance=4,
        question_sets=("difficulty",),
        auto_trivial=False,
    )
    given = {
        DUO_A: (["valid", "valid", "no-re"], ["non-trivial"] * 3),
        DUO_B: (["valid"] * 4, ["trivial"] * 3 + ["non-trivial"]),
        DUO_C: (["valid", "valid", "no-re", "no-re"], ["non-trivial"] * 4),
    }
    for key, (correctness, difficulty) in given.items():
        for user, c, d in zip(users, correctness + [None], difficulty + [None]):
            if c is not None:
                record_answer(store, user, "c4", key, "correctness", c)
            if d is not None:
                record_answer(store, user, "c4", key, "difficulty", d)
    store.dispose()
    return f"sqlite:///{db}"


def test_campaign_consensus_needs_a_majority_of_the_panel_and_releases_the_texts(four_panel, tmp_path, capsys):
    out, rel, rep = tmp_path / "c.csv", tmp_path / "demo_RE_categorization.csv", tmp_path / "c.json"
    argv = ["consensus", "--db", four_panel, "--campaign", "c4", "--output", str(out)]
    assert main([*argv, "--release-output", str(rel), "--report-output", str(rep)]) == 0
    printed = capsys.readouterr().out
    assert "votes needed: 3, a strict majority of 4 annotators per item" in printed
    assert f"wrote {rel}: 1 instances; 2 left out for lack of consensus" in printed
    assert "  no majority: 1\n  tie: 1\n" in printed  # a count per reason; the instances are in the file
    left = pd.read_csv(tmp_path / "demo_RE_categorization_left_out.csv")
    assert left[["item", "reason"]].values.tolist() == [[DUO_A, "no majority"], [DUO_C, "tie"]]
    release = read_release(rel)
    assert release[["video_id", "instance_id", "ref_exp", "ref_exp_difficulty"]].values.tolist() == [
        ["duo", 1, "a brown dog running", "Trivial"]
    ]
    report = json.loads(rep.read_text())
    assert report["votes_needed"] == "3, a strict majority of 4 annotators per item"
    assert report["counts"] == {"ok": 4, "tie": 1, "no-majority": 1, "too-few-answers": 0}
    assert report["ties"] == [{"item": DUO_C, "field": "correctness", "votes": 2, "n_answers": 4}]
    assert report["undecided"] == [
        {"item": DUO_A, "field": "correctness", "votes": 2, "n_answers": 3, "status": "no-majority"}
    ]
    assert report["left_out"] == [
        {"item": DUO_A, "reason": "correctness: no-majority"},
        {"item": DUO_C, "reason": "correctness: tie"},
    ]
    # Two votes given: DUO_A's 2 of 3 is kept, with its text.
    assert main([*argv, "--min-votes", "2", "--release-output", str(rel)]) == 0
    assert "votes needed: 2 (given)" in capsys.readouterr().out
    release = read_release(rel)
    assert release[["instance_id", "ref_exp", "ref_exp_difficulty"]].values.tolist() == [
        [1, "the dog on the left", "Non-trivial"],
        [1, "a brown dog running", "Trivial"],
    ]


def test_csv_consensus_counts_each_items_annotators(tmp_path, capsys):
    path = tmp_path / "votes.csv"
    VOTES.to_csv(path, index=False)
    assert main(["consensus", "--input", str(path), "--output", str(tmp_path / "c.csv")]) == 0
    printed = capsys.readouterr().out
    assert "1 ok" in printed and "1 tie" in printed and "1 no-majority" in printed and "1 too-few-answers" in printed
    assert "votes needed: a strict majority of each item's annotators" in printed


def test_release_frame_uses_the_texts_given():
    rows = [(DUO_B, who, "correctness", "valid") for who in "abc"] + [
        (DUO_B, who, "difficulty", "trivial") for who in "abc"
    ]
    release, skipped = release_frame(consensus(answers(rows)), {DUO_B: "a brown dog running"})
    assert release["ref_exp"].tolist() == ["a brown dog running"] and skipped.empty
