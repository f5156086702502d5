"""Labels: queues, append-only answers and undo, blind round, revision, adjudication, and the
tables derived from events, checked against hand-worked cases; refused requests write nothing."""

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, KEYS, SOLO, event_count, populate

from refcat.annotate.accounts import User, authenticate, user_for_token
from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.labels import (
    adjudicate,
    answers,
    disagreements,
    events_table,
    final_labels,
    label_table,
    others_answers,
    queue,
    record_answer,
    resume_position,
    revision_questions,
    undo_last,
)
from refcat.errors import PermissionDenied, StoreError, UsageError


@pytest.fixture
def small(store):
    """Three annotators label DUO_A and DUO_B with the difficulty set only."""
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B], ["ann1", "ann2", "ann3"], question_sets=("difficulty",))
    return store


def answer(store, user, key, difficulty, correctness, camp="c"):
    record_answer(store, user, camp, key, "difficulty", difficulty)
    record_answer(store, user, camp, key, "correctness", correctness)


def test_answers_undo_and_resume(small):
    store = small
    assert [(q.instance_key, q.position, q.complete) for q in queue(store, "ann1", "c")] == [
        (DUO_A, 0, False),
        (DUO_B, 1, False),
    ]
    assert resume_position(store, "ann1", "c") == 0
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial")
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "non-trivial")
    record_answer(store, "ann1", "c", DUO_A, "correctness", "valid")
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "non-trivial", "correctness": "valid"}
    # A new login (another tab, a day later) resumes after the complete item.
    assert resume_position(store, "ann1", "c") == 1
    undone = undo_last(store, "ann1", "c")
    assert (undone.instance_key, undone.field, undone.value) == (DUO_A, "correctness", "valid")
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "non-trivial"}
    assert resume_position(store, "ann1", "c") == 0
    undo_last(store, "ann1", "c")  # takes back non-trivial: the earlier trivial stands again
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial"}
    undo_last(store, "ann1", "c")
    assert answers(store, "ann1", "c", DUO_A) == {}
    with pytest.raises(UsageError, match="nothing to undo"):
        undo_last(store, "ann1", "c")
    # Append-only: three answers and three undos, nothing deleted.
    events = events_table(store, "c")
    assert events["kind"].tolist() == ["answer"] * 3 + ["undo"] * 3
    assert events["retracted"].tolist() == [True] * 3 + [False] * 3
    assert events["retracts"].tolist()[3:] == events["event_id"].tolist()[2::-1]
    answer(store, "ann1", DUO_A, "trivial", "valid")
    answer(store, "ann1", DUO_B, "trivial", "valid")
    assert resume_position(store, "ann1", "c") == 2 == len(queue(store, "ann1", "c"))


def test_blind_round_then_revision_then_adjudication(small):
    store = small
    answer(store, "ann1", DUO_A, "non-trivial", "valid")
    answer(store, "ann2", DUO_A, "non-trivial", "no-re")
    answer(store, "ann3", DUO_A, "trivial", "wrong-object")
    for user in ("ann1", "ann2", "ann3"):
        answer(store, user, DUO_B, "non-trivial", "valid")
    # Blind: nobody reads another's answers, admin included.
    for reader in ("ann1", "boss"):
        with pytest.raises(PermissionDenied, match="blind"):
            others_answers(store, reader, "c", DUO_A)
    with pytest.raises(PermissionDenied, match="blind"):
        answers(store, "ann1", "c", DUO_A, annotator="ann2")
    assert revision_questions(store, "ann1", "c", DUO_A) == []

    close_round(store, "c", "boss")
    # Revision queues: only DUO_A, where every one of them differs from someone.
    for user in ("ann1", "ann2", "ann3"):
        assert [(q.instance_key, q.complete) for q in queue(store, user, "c")] == [(DUO_A, False)]
    assert revision_questions(store, "ann1", "c", DUO_A) == ["difficulty", "correctness"]
    assert revision_questions(store, "ann2", "c", DUO_A) == ["difficulty", "correctness"]
    assert others_answers(store, "ann1", "c", DUO_A) == {
        "ann2": {"difficulty": "non-trivial", "correctness": "no-re"},
        "ann3": {"difficulty": "trivial", "correctness": "wrong-object"},
    }
    assert answers(store, "ann1", "c", DUO_A, annotator="ann3") == {
        "difficulty": "trivial",
        "correctness": "wrong-object",
    }
    with pytest.raises(PermissionDenied, match="revision queue"):
        record_answer(store, "ann1", "c", DUO_B, "difficulty", "trivial")
    # ann3 revises both; ann1 confirms both; ann2 revises nothing.
    answer(store, "ann3", DUO_A, "non-trivial", "valid")
    answer(store, "ann1", DUO_A, "non-trivial", "valid")
    assert [q.complete for q in queue(store, "ann3", "c")] == [True]
    assert [q.complete for q in queue(store, "ann2", "c")] == [False]

    first = label_table(store, "c", round=1)
    revised = label_table(store, "c", round=2)
    assert list(first.columns) == ["item", "annotator", "field", "label"]
    assert len(first) == len(revised) == 12
    pick = lambda t, who: t[(t.item == DUO_A) & (t.annotator == who)].set_index("field")["label"].to_dict()  # noqa: E731
    assert pick(first, "ann3") == {"difficulty": "trivial", "correctness": "wrong-object"}
    assert pick(revised, "ann3") == {"difficulty": "non-trivial", "correctness": "valid"}
    assert pick(revised, "ann2") == {"difficulty": "non-trivial", "correctness": "no-re"}  # carried over
    assert answers(store, "ann3", "c", DUO_A, round=1) == {"difficulty": "trivial", "correctness": "wrong-object"}

    before = disagreements(store, "c", round=1)
    row = before[(before.item == DUO_A) & (before.field == "correctness")].iloc[0]
    assert (row.majority, row.unanimous, row.n_answers) == (None, False, 3)
    after = disagreements(store, "c")
    row = after[(after.item == DUO_A) & (after.field == "correctness")].iloc[0]
    assert (row.majority, row.unanimous) == ("valid", False)
    assert after[after.unanimous].shape[0] == 3  # DUO_A difficulty, DUO_B both

    with pytest.raises(PermissionDenied, match="only admins adjudicate"):
        adjudicate(store, "ann1", "c", DUO_A, "correctness", "no-re", "I say so")
    with pytest.raises(UsageError, match="needs a reason"):
        adjudicate(store, "boss", "c", DUO_A, "correctness", "no-re", " ")
    adjudicate(store, "boss", "c", DUO_A, "correctness", "no-re", "the left dog is not unique")
    final = final_labels(store, "c").set_index(["item", "field"])
    assert final.loc[(DUO_A, "correctness"), ["label", "source", "reason"]].tolist() == [
        "no-re",
        "adjudication",
        "the left dog is not unique",
    ]
    assert final.loc[(DUO_A, "difficulty"), ["label", "source"]].tolist() == ["non-trivial", "majority"]
    assert final.loc[(DUO_B, "correctness"), "votes"] == {"ann1": "valid", "ann2": "valid", "ann3": "valid"}
    close_round(store, "c", "boss")
    with pytest.raises(StoreError, match="finished"):
        record_answer(store, "ann2", "c", DUO_A, "difficulty", "trivial")
    adjudicate(store, "boss", "c", DUO_A, "difficulty", "trivial", "second look")  # still allowed after the end
    assert final_labels(store, "c").set_index(["item", "field"]).loc[(DUO_A, "difficulty"), "label"] == "trivial"


def test_final_labels_with_automatic_and_missing_answers(store):
    populate(store)
    create_campaign(store, "c", [DUO_C, SOLO], ["ann1", "ann2", "ann3"], question_sets=("difficulty",))
    record_answer(store, "ann1", "c", DUO_C, "correctness", "valid")
    record_answer(store, "ann2", "c", DUO_C, "correctness", "no-re")
    record_answer(store, "ann1", "c", SOLO, "correctness", "valid")
    record_answer(store, "ann2", "c", SOLO, "correctness", "valid")
    final = final_labels(store, "c")
    assert final[["item", "field", "label", "source", "status"]].values.tolist() == [
        [DUO_C, "difficulty", None, "none", "too-few-answers"],
        [DUO_C, "correctness", None, "none", "tie"],
        [SOLO, "difficulty", "trivial", "auto", "too-few-answers"],
        [SOLO, "correctness", "valid", "majority", "ok"],
    ]
    # Automatic answers take no part in agreement tables.
    assert "auto" not in set(label_table(store, "c")["annotator"])
    assert disagreements(store, "c")[["item", "field"]].values.tolist() == [
        [DUO_C, "difficulty"],
        [DUO_C, "correctness"],
        [SOLO, "correctness"],
    ]


def test_bad_requests_are_refused_and_never_applied(store):
    populate(store, annotators=("ann1", "ann2", "ann3", "ann4"))
    create_campaign(store, "c", KEYS, ["ann1", "ann2", "ann3", "ann4"], per_instance=2)
    # Round robin with 4 annotators, 2 each: DUO_A -> ann1, ann2; DUO_B -> ann3, ann4.
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial")
    n = event_count(store)
    cases = [
        (
            StoreError,
            "unknown instance",
            lambda: record_answer(store, "ann1", "c", "demo/duo/9/annot1", "difficulty", "trivial"),
        ),
        (
            StoreError,
            "unknown instance",
            lambda: record_answer(store, "ann1", "c", "../../etc", "difficulty", "trivial"),
        ),
        (StoreError, "unknown campaign", lambda: record_answer(store, "ann1", "nope", DUO_A, "difficulty", "trivial")),
        (
            PermissionDenied,
            "not assigned to ann1",
            lambda: record_answer(store, "ann1", "c", DUO_B, "difficulty", "trivial"),
        ),
        (
            PermissionDenied,
            "unknown user",
            lambda: record_answer(store, "mallory", "c", DUO_A, "difficulty", "trivial"),
        ),
        (
            PermissionDenied,
            "does not match",
            lambda: record_answer(store, User(999, "ann1", "annotator"), "c", DUO_A, "difficulty", "trivial"),
        ),
        (
            UsageError,
            "not an answer to 'difficulty'",
            lambda: record_answer(store, "ann1", "c", DUO_A, "difficulty", "easy"),
        ),
        (UsageError, "unknown question", lambda: record_answer(store, "ann1", "c", DUO_A, "colour", "red")),
        (UsageError, "not asked", lambda: record_answer(store, "ann3", "c", SOLO, "difficulty", "non-trivial")),
        (PermissionDenied, "blind", lambda: answers(store, "ann2", "c", DUO_A, annotator="ann1")),
        (PermissionDenied, "blind", lambda: others_answers(store, "ann2", "c", DUO_A)),
        (StoreError, "still open", lambda: adjudicate(store, "boss", "c", DUO_A, "difficulty", "trivial", "r")),
        (PermissionDenied, "only admins may close", lambda: close_round(store, "c", "ann1")),
    ]
    for exc, message, call in cases:
        with pytest.raises(exc, match=message):
            call()
    assert event_count(store) == n
    close_round(store, "c", "boss")
    n = event_count(store)
    with pytest.raises(StoreError, match="round 1 of campaign 'c' is closed"):
        record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial", round=1)
    with pytest.raises(PermissionDenied, match="revision queue"):  # ann1 disagreed with nobody
        record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial")
    with pytest.raises(PermissionDenied, match="does not annotate"):
        others_answers(store, "ann3", "c", DUO_A)
    with pytest.raises(UsageError, match="nothing to undo"):  # round 1 answers cannot be undone in round 2
        undo_last(store, "ann1", "c")
    assert event_count(store) == n
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial"}


def test_token_user_answers(small):
    token = authenticate(small, "ann2", "ann2")
    user = user_for_token(small, token)
    answer(small, user, DUO_B, "trivial", "valid")
    table = events_table(small)
    assert table[["campaign", "instance", "annotator", "round", "question", "answer", "kind"]].values.tolist() == [
        ["c", DUO_B, "ann2", 1, "difficulty", "trivial", "answer"],
        ["c", DUO_B, "ann2", 1, "correctness", "valid", "answer"],
    ]
    assert isinstance(table["time"].dtype, pd.DatetimeTZDtype)


def test_answer_racing_a_round_close_is_refused(small, monkeypatch):
    """The admin closes round 1 after an answer was checked but before it was written: the
    answer is refused inside its own transaction and nothing is written."""
    from refcat.annotate import labels

    real, raced = labels.last_round, []

    def close_in_between(session, campaign_pk, lock=False):
        row = real(session, campaign_pk, lock)
        if not raced:
            raced.append(True)
            close_round(small, "c", "boss")
        return row

    monkeypatch.setattr(labels, "last_round", close_in_between)
    n = event_count(small)
    with pytest.raises(StoreError, match="round 1 of campaign 'c' is closed"):
        record_answer(small, "ann1", "c", DUO_A, "difficulty", "trivial")
    assert raced and event_count(small) == n
