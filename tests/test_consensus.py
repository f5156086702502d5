"""Consensus by votes: statuses decided by hand, and the released-format rows."""

import pandas as pd
import pytest

from refcat.analysis.consensus import consensus, is_re_fields, release_frame
from refcat.errors import FormatError, UsageError


def answers(rows):
    return pd.DataFrame(rows, columns=["item", "annotator", "field", "label"])


VOTES = answers(
    [
        ("k1", "a", "motion", "yes"),
        ("k1", "b", "motion", "yes"),
        ("k1", "c", "motion", "no"),  # 2 of 3
        ("k2", "a", "motion", "yes"),
        ("k2", "b", "motion", "no"),  # 1-1
        ("k3", "a", "motion", "yes"),
        ("k3", "b", "motion", ""),  # one answer
        ("k4", "a", "correctness", "valid"),
        ("k4", "b", "correctness", "no-re"),
        ("k4", "c", "correctness", "wrong-object"),  # 1-1-1
        ("k5", "a", "correctness", "valid"),
        ("k5", "b", "correctness", "valid"),
        ("k5", "c", "correctness", "valid"),
        ("k5", "d", "correctness", "no-re"),
        ("k5", "e", "correctness", "no-re"),  # 3-2
    ]
)


def by_key(table):
    return {(r.item, r.field): (r.label, r.votes, r.n_answers, r.status) for r in table.itertuples()}


def test_two_of_three_by_hand():
    got = by_key(consensus(VOTES, min_votes=2))
    assert got == {
        ("k1", "motion"): ("yes", 2, 3, "ok"),
        ("k2", "motion"): ("", 1, 2, "tie"),
        ("k3", "motion"): ("", 1, 1, "too-few-answers"),
        ("k4", "correctness"): ("", 1, 3, "tie"),
        ("k5", "correctness"): ("valid", 3, 5, "ok"),
    }


def test_three_votes_needed():
    got = by_key(consensus(VOTES, min_votes=3))
    assert got[("k1", "motion")] == ("", 2, 3, "no-majority")
    assert got[("k2", "motion")] == ("", 1, 2, "too-few-answers")
    assert got[("k5", "correctness")] == ("valid", 3, 5, "ok")
    got = by_key(consensus(VOTES, min_votes=1))
    assert got[("k3", "motion")] == ("yes", 1, 1, "ok")
    assert got[("k2", "motion")][3] == "tie"


def test_rows_follow_item_then_field_order_and_errors():
    table = consensus(answers([("b", "x", "static", "no"), ("a", "x", "static", "no"), ("a", "x", "motion", "yes")]), 1)
    assert list(zip(table["item"], table["field"])) == [("a", "static"), ("a", "motion"), ("b", "static")]
    with pytest.raises(UsageError):
        consensus(VOTES, min_votes=0)
    with pytest.raises(FormatError, match="answered field 'motion' of item 'k1' twice"):
        consensus(pd.concat([VOTES, answers([("k1", "a", "motion", "no")])]), 2)


def re_votes(key, labels, annotators=("a", "b", "c")):
    return [(key, who, field, value) for field, values in labels.items() for who, value in zip(annotators, values)]


def test_release_rows_and_skipped_items():
    valid = {
        "correctness": ["valid"] * 3,
        "difficulty": ["non-trivial", "non-trivial", "trivial"],
        "information": ["minimal"] * 3,
        "motion": ["yes", "yes", "no"],
        "location": ["yes", "no", ""],
        "appearance": ["no"] * 3,
    }
    no_re = {
        "correctness": ["no-re", "no-re", "valid"],
        "difficulty": ["", "", ""],
        "information": ["", "", ""],
        "motion": ["yes", "yes", "yes"],
    }
    undecided = {"correctness": ["valid", "wrong-object", ""], "motion": ["no", "no", "no"]}
    long = answers(
        re_votes("davis/blackswan/1/annot1", valid)
        + re_votes("a2d/-7EE9T3Z0qk/0/sentence0", no_re)
        + re_votes("davis/dogs-jump/3/annot2", undecided)
    )
    table = consensus(long, 2)
    assert is_re_fields(table["field"].unique())
    release, skipped = release_frame(table, {"davis/blackswan/1/annot1": "a black feathered swan"})
    assert skipped.to_dict("records") == [{"item": "davis/dogs-jump/3/annot2", "reason": "correctness: tie"}]
    swan = release.set_index("video_id").loc["blackswan"]
    assert swan["instance_id"] == 1 and swan["ref_exp"] == "a black feathered swan"
    assert swan["ref_exp_difficulty"] == "Non-trivial" and swan["ref_exp_information"] == "Minimum Information"
    assert swan["motion"] == 1 and swan["appearance"] == 0
    assert pd.isna(swan["location"])  # one yes, one no: a tie is left empty
    assert pd.isna(swan["static"])  # never asked
    child = release.set_index("video_id").loc["-7EE9T3Z0qk"]
    assert child["instance_id"] == 0 and child["ref_exp"] == ""
    assert child["ref_exp_difficulty"] == "Not a Referring Expression"
    assert child["ref_exp_information"] == "Not Applicable"
    assert pd.isna(child["motion"])  # no categories for a non-RE, as in the release
    assert str(release["motion"].dtype) == "Int8"


def test_release_needs_re_fields_and_instance_keys():
    with pytest.raises(UsageError):
        release_frame(consensus(answers([("k", "a", "colour", "red"), ("k", "b", "colour", "red")]), 2))
    bad = consensus(answers(re_votes("not-a-key", {"correctness": ["no-re"] * 3, "difficulty": ["trivial"] * 3})), 2)
    with pytest.raises(FormatError, match="not an instance key"):
        release_frame(bad)
