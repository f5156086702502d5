"""The annotator's loop in the library: questions skipped after an invalid RE (the campaign's
skip_after_invalid), the "unsure" flag and comments, views and time on item (refcat.annotate.state,
labels, export).

Hand-checked counts, on the annotate store (refcat/tests/helpers/annotate_store.py: DUO_A, DUO_B,
DUO_C on a video of two objects, SOLO the only object of its video, so difficulty is automatic):
- a campaign with both question sets asks 10 questions: difficulty, correctness, the 7
  categories, information; SOLO 9 (difficulty is automatic).
- a valid RE takes 10 answers; a "no RE" 2 (difficulty, correctness), so 3 keys with Next; a
  "wrong object" on SOLO 1. Without the setting a "no RE" takes all 10.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, SOLO, populate
from sqlalchemy import update

from refcat.annotate.campaigns import close_round, create_campaign, get_campaign, progress
from refcat.annotate.export import time_on_item_path, time_on_item_table, write_labels
from refcat.annotate.labels import (
    disagreements,
    events_table,
    final_labels,
    flag,
    instance_flags,
    label_table,
    questions_for,
    queue,
    record_answer,
    record_view,
    revision_questions,
    unflag,
)
from refcat.annotate.quality import annotator_summary, flags_table
from refcat.annotate.state import COMMENT, IDLE_SECONDS, UNSURE
from refcat.cli import main
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.store.database import open_store
from refcat.store.schema import InstanceViewRow, LabelEventRow, utcnow
from refcat.taxonomy import CATEGORY_NAMES

KEYS = [DUO_A, DUO_B, DUO_C, SOLO]
START = datetime(2026, 1, 5, 9, 0, 0)
ALL = ["difficulty", "correctness", *CATEGORY_NAMES, "information"]
SEMANTICS = [*CATEGORY_NAMES, "information"]
VALID = {
    "difficulty": "non-trivial",
    "correctness": "valid",
    **dict.fromkeys(CATEGORY_NAMES, "no"),
    "information": "minimal",
}


def answer_all(store, user, campaign, key, given):
    for field, value in given.items():
        record_answer(store, user, campaign, key, field, value)


def complete(store, user, campaign):
    return {item.instance_key: item.complete for item in queue(store, user, campaign)}


@pytest.fixture
def loop(store):
    populate(store, annotators=("ann1", "ann2", "ann3", "ann4"))
    create_campaign(store, "c", KEYS, ["ann1", "ann2", "ann3"])
    return store


def test_the_setting_is_on_by_default_and_can_be_turned_off(loop):
    assert get_campaign(loop, "c").skip_after_invalid
    create_campaign(loop, "c2", KEYS, ["ann1"], per_instance=1, skip_after_invalid=False)
    assert not get_campaign(loop, "c2").skip_after_invalid


def test_keys_per_instance_valid_no_re_and_wrong_object(loop):
    assert questions_for(loop, "c", DUO_A) == ALL
    assert questions_for(loop, "c", SOLO) == ALL[1:]
    assert questions_for(loop, "c", DUO_A, user="ann1") == ALL  # nothing answered yet: everything is asked

    # "no RE": 2 answers complete the instance (3 keys with Next).
    answer_all(loop, "ann1", "c", DUO_A, {"difficulty": "non-trivial", "correctness": "no-re"})
    assert questions_for(loop, "c", DUO_A, user="ann1") == ["difficulty", "correctness"]
    assert questions_for(loop, "c", DUO_A, user="ann2") == ALL  # another annotator's answer skips nothing
    assert complete(loop, "ann1", "c")[DUO_A]

    # valid: 9 answers leave it incomplete, the 10th completes it.
    answer_all(loop, "ann1", "c", DUO_B, dict(list(VALID.items())[:9]))
    assert not complete(loop, "ann1", "c")[DUO_B]
    record_answer(loop, "ann1", "c", DUO_B, "information", "minimal")
    assert complete(loop, "ann1", "c")[DUO_B]

    # "wrong object" where difficulty is automatic: 1 answer.
    record_answer(loop, "ann1", "c", SOLO, "correctness", "wrong-object")
    assert questions_for(loop, "c", SOLO, user="ann1") == ["correctness"]
    assert complete(loop, "ann1", "c") == {DUO_A: True, DUO_B: True, DUO_C: False, SOLO: True}

    table = progress(loop, "c")
    assert table[["annotator", "assigned", "complete", "remaining"]].values.tolist() == [
        ["ann1", 4, 3, 1],
        ["ann2", 4, 0, 4],
        ["ann3", 4, 0, 4],
        ["total", 12, 3, 9],
    ]


def test_without_the_setting_a_no_re_takes_every_question(loop):
    create_campaign(loop, "c2", KEYS, ["ann1"], per_instance=1, skip_after_invalid=False)
    answer_all(loop, "ann1", "c2", DUO_A, {"difficulty": "non-trivial", "correctness": "no-re"})
    assert questions_for(loop, "c2", DUO_A, user="ann1") == ALL
    assert not complete(loop, "ann1", "c2")[DUO_A]
    answer_all(loop, "ann1", "c2", DUO_A, {f: VALID[f] for f in SEMANTICS})
    assert complete(loop, "ann1", "c2")[DUO_A]
    assert len(label_table(loop, "c2")) == 10


def test_category_answers_before_a_no_re_are_not_counted_until_valid_again(loop):
    answer_all(loop, "ann1", "c", DUO_A, {"difficulty": "non-trivial", "correctness": "valid", "motion": "yes"})
    record_answer(loop, "ann1", "c", DUO_A, "correctness", "no-re")
    mine = label_table(loop, "c").query("annotator == 'ann1'")
    assert dict(zip(mine["field"], mine["label"])) == {"difficulty": "non-trivial", "correctness": "no-re"}
    record_answer(loop, "ann1", "c", DUO_A, "correctness", "valid")
    mine = label_table(loop, "c").query("annotator == 'ann1'")
    assert dict(zip(mine["field"], mine["label"])) == {
        "difficulty": "non-trivial",
        "correctness": "valid",
        "motion": "yes",
    }
    assert not complete(loop, "ann1", "c")[DUO_A]  # valid again: the other categories are asked


def test_consensus_counts_only_the_questions_asked(loop):
    # ann1 pressed motion "no", then said "no RE": their motion answer is not a vote.
    answer_all(loop, "ann1", "c", DUO_A, {"motion": "no", "difficulty": "non-trivial", "correctness": "no-re"})
    for name in ("ann2", "ann3"):
        answer_all(loop, name, "c", DUO_A, {**VALID, "motion": "yes"})
    rows = disagreements(loop, "c").set_index(["item", "field"])
    motion = rows.loc[(DUO_A, "motion")]
    assert motion["answers"] == {"ann2": "yes", "ann3": "yes"}
    assert motion["n_answers"] == 2 and motion["majority"] == "yes" and not motion["unanimous"]
    correctness = rows.loc[(DUO_A, "correctness")]
    assert correctness["answers"] == {"ann1": "no-re", "ann2": "valid", "ann3": "valid"}
    final = final_labels(loop, "c").set_index(["item", "field"])
    assert final.loc[(DUO_A, "motion"), "label"] == "yes"
    assert final.loc[(DUO_A, "correctness"), "label"] == "valid"


def test_revising_a_no_re_to_valid_asks_the_categories(loop):
    answer_all(loop, "ann1", "c", DUO_A, {"difficulty": "non-trivial", "correctness": "no-re"})
    for name in ("ann2", "ann3"):
        answer_all(loop, name, "c", DUO_A, VALID)
    close_round(loop, "c", "boss")
    # Only correctness differs (ann1 answered no category: nothing else to compare).
    assert revision_questions(loop, "ann1", "c", DUO_A) == ["correctness"]
    assert revision_questions(loop, "ann2", "c", DUO_A) == ["correctness"]
    assert [item.instance_key for item in queue(loop, "ann1", "c")] == [DUO_A]
    record_answer(loop, "ann1", "c", DUO_A, "correctness", "valid", round=2)
    assert revision_questions(loop, "ann1", "c", DUO_A) == ["correctness", *SEMANTICS]
    assert not complete(loop, "ann1", "c")[DUO_A]
    answer_all(loop, "ann1", "c", DUO_A, {f: VALID[f] for f in SEMANTICS})
    assert complete(loop, "ann1", "c")[DUO_A]
    # ann2 confirms valid: complete with one answer.
    record_answer(loop, "ann2", "c", DUO_A, "correctness", "valid", round=2)
    assert complete(loop, "ann2", "c")[DUO_A]


def test_unsure_and_comments_are_events_shown_and_exported(loop, tmp_path):
    first = flag(loop, "ann1", "c", DUO_A, UNSURE)
    with pytest.raises(UsageError, match="already marked unsure"):
        flag(loop, "ann1", "c", DUO_A, UNSURE)
    flag(loop, "ann1", "c", DUO_A, COMMENT, "  the box is off by a few pixels ")
    assert instance_flags(loop, "ann1", "c", DUO_A).unsure
    assert instance_flags(loop, "ann1", "c", DUO_A).comments == ("the box is off by a few pixels",)
    assert instance_flags(loop, "ann2", "c", DUO_A) == instance_flags(loop, "ann1", "c", DUO_B)  # nothing
    assert not instance_flags(loop, "ann2", "c", DUO_A).unsure

    undo = unflag(loop, "ann1", "c", DUO_A)
    assert not instance_flags(loop, "ann1", "c", DUO_A).unsure
    with pytest.raises(UsageError, match="not marked unsure"):
        unflag(loop, "ann1", "c", DUO_A)
    flag(loop, "ann1", "c", DUO_A, UNSURE, "broken clip")
    flag(loop, "ann2", "c", DUO_B, COMMENT, "static or obj-static?")

    flags = flags_table(loop, "c")
    assert flags[["item", "annotator", "kind", "text"]].values.tolist() == [
        [DUO_A, "ann1", COMMENT, "the box is off by a few pixels"],
        [DUO_A, "ann1", UNSURE, "broken clip"],
        [DUO_B, "ann2", COMMENT, "static or obj-static?"],
    ]
    summary = annotator_summary(loop, "c").set_index("annotator")
    assert summary["flags"].to_dict() == {"ann1": 2, "ann2": 1, "ann3": 0}
    assert summary["answers"].sum() == 0  # flags are not answers
    assert complete(loop, "ann1", "c")[DUO_A] is False

    events = events_table(loop, "c").query("kind != 'auto'")  # SOLO's automatic difficulty comes first
    assert events["kind"].tolist() == [UNSURE, COMMENT, "undo", UNSURE, COMMENT]
    assert events.loc[events["event_id"] == undo, "retracts"].item() == first
    assert events.loc[events["event_id"] == first, "retracted"].item()
    path = tmp_path / "labels.csv"
    assert write_labels(loop, path, "c") == 6
    exported = pd.read_csv(path, keep_default_na=False).query("kind != 'auto'")
    assert exported[["annotator", "kind", "reason"]].values.tolist() == [
        ["ann1", UNSURE, ""],
        ["ann1", COMMENT, "the box is off by a few pixels"],
        ["ann1", "undo", ""],
        ["ann1", UNSURE, "broken clip"],
        ["ann2", COMMENT, "static or obj-static?"],
    ]


def test_flags_are_refused_where_answers_are(loop):
    with pytest.raises(UsageError, match="empty comment"):
        flag(loop, "ann1", "c", DUO_A, COMMENT, "   ")
    with pytest.raises(UsageError, match="at most"):
        flag(loop, "ann1", "c", DUO_A, COMMENT, "x" * 2001)
    with pytest.raises(UsageError, match="unknown flag"):
        flag(loop, "ann1", "c", DUO_A, "answer")
    with pytest.raises(PermissionDenied, match="not assigned"):
        flag(loop, "ann4", "c", DUO_A, COMMENT, "not mine")
    close_round(loop, "c", "boss")
    with pytest.raises(StoreError, match=r"round 1 .* is closed"):
        flag(loop, "ann1", "c", DUO_A, UNSURE, round=1)
    flag(loop, "ann1", "c", DUO_A, UNSURE, round=2)  # flags are taken in the revision round too
    close_round(loop, "c", "boss")
    with pytest.raises(StoreError, match="finished"):
        flag(loop, "ann1", "c", DUO_A, COMMENT, "too late")
    assert events_table(loop, "c")["kind"].tolist() == ["auto", UNSURE]


def test_cli_create_option(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    store = open_store(db)
    populate(store)
    store.dispose()
    args = ["campaign", "create", "--dataset", "demo", "--annotators", "ann1,ann2,ann3", "--by", "boss", "--db", db]
    assert main([*args[:2], "on", *args[2:]]) == 0
    assert main([*args[:2], "off", *args[2:], "--no-skip-after-invalid"]) == 0
    out = capsys.readouterr().out
    assert "categories asked after an invalid RE" in out.splitlines()[-1]
    assert "categories asked" not in out.splitlines()[0]
    store = open_store(db, create=False)
    assert get_campaign(store, "on").skip_after_invalid and not get_campaign(store, "off").skip_after_invalid
    store.dispose()


# ------------------------------------------------------------------ time on item


def at(store, event_id, seconds, table=LabelEventRow):
    """Set the time of a label event (or, with table InstanceViewRow, of a view) to START + seconds."""
    with store.session() as session:
        session.execute(update(table).where(table.id == event_id).values(created_at=START + timedelta(seconds=seconds)))


def test_a_view_the_browser_showed_before_the_server_drew_it_starts_at_that_time(loop):
    """`record_view(at=...)`: the desk showed the instance 2 s before the server drew it, and its time on
    item starts then; a time after now (a clock ahead) is taken as now."""
    shown = utcnow() - timedelta(seconds=2)
    record_view(loop, "ann1", "c", DUO_A, at=shown)
    record_answer(loop, "ann1", "c", DUO_A, "difficulty", "trivial")
    record_view(loop, "ann1", "c", DUO_B, at=utcnow() + timedelta(hours=1))
    later = utcnow()
    record_answer(loop, "ann1", "c", DUO_B, "difficulty", "trivial")
    times = time_on_item_table(loop, "c").set_index("instance")
    assert times.loc[DUO_A, "start"] == pd.Timestamp(shown, tz="UTC")
    assert times.loc[DUO_A, "seconds"] >= 2.0
    assert times.loc[DUO_B, "start"] <= pd.Timestamp(later, tz="UTC")


def test_time_on_item_from_first_view_to_last_answer_without_idle_gaps(loop, tmp_path):
    """ann1 (seconds after START): DUO_A view 0, answers 5 and 8: 8 s. DUO_B view 10, answers 15 and
    315 (a 300 s gap: idle, left out), a comment 320, an answer 325: 5 + 5 + 5 = 15 s. DUO_C view 400,
    answer 410: 10 s; then DUO_A again at 420: the 10 s between are DUO_C's, DUO_A stays at 8 s
    (its end moves to 420). ann2 answers DUO_A at 0 and 30 with no view: 30 s from the first answer.
    Medians: ann1 of 8, 15, 10: 10; ann2 30."""
    view_a = record_view(loop, "ann1", "c", DUO_A)
    assert view_a is not None
    assert record_view(loop, "ann1", "c", DUO_A) is None  # once per round
    at(loop, view_a, 0, InstanceViewRow)
    at(loop, record_answer(loop, "ann1", "c", DUO_A, "difficulty", "non-trivial"), 5)
    at(loop, record_answer(loop, "ann1", "c", DUO_A, "correctness", "no-re"), 8)
    at(loop, record_view(loop, "ann1", "c", DUO_B), 10, InstanceViewRow)
    at(loop, record_answer(loop, "ann1", "c", DUO_B, "difficulty", "trivial"), 15)
    at(loop, record_answer(loop, "ann1", "c", DUO_B, "correctness", "valid"), 315)
    at(loop, flag(loop, "ann1", "c", DUO_B, COMMENT, "long clip"), 320)
    at(loop, record_answer(loop, "ann1", "c", DUO_B, "motion", "yes"), 325)
    at(loop, record_view(loop, "ann1", "c", DUO_C), 400, InstanceViewRow)
    at(loop, record_answer(loop, "ann1", "c", DUO_C, "difficulty", "trivial"), 410)
    at(loop, record_answer(loop, "ann1", "c", DUO_A, "correctness", "valid"), 420)
    at(loop, record_answer(loop, "ann2", "c", DUO_A, "difficulty", "trivial"), 0)
    at(loop, record_answer(loop, "ann2", "c", DUO_A, "correctness", "valid"), 30)

    path = tmp_path / "labels.csv"
    write_labels(loop, path, "c")
    times = pd.read_csv(time_on_item_path(path))
    assert time_on_item_path(path).name == "labels_time_on_item.csv"
    assert list(times.columns) == ["campaign", "instance", "annotator", "round", "start", "end", "seconds"]
    assert times[["instance", "annotator", "round", "seconds"]].values.tolist() == [
        [DUO_A, "ann1", 1, 8.0],
        [DUO_B, "ann1", 1, 15.0],
        [DUO_C, "ann1", 1, 10.0],
        [DUO_A, "ann2", 1, 30.0],
    ]
    assert times["start"].tolist()[:2] == ["2026-01-05T09:00:00.000000Z", "2026-01-05T09:00:10.000000Z"]
    assert times["end"].tolist()[0] == "2026-01-05T09:07:00.000000Z"
    assert IDLE_SECONDS == 120
    assert time_on_item_table(loop)["seconds"].tolist() == times["seconds"].tolist()  # all campaigns: one here

    summary = annotator_summary(loop, "c").set_index("annotator")
    assert summary["median_seconds"].to_dict() == {
        "ann1": 10.0,
        "ann2": 30.0,
        "ann3": pytest.approx(float("nan"), nan_ok=True),
    }
    assert summary["flags"].to_dict() == {"ann1": 1, "ann2": 0, "ann3": 0}  # views are not flags
    assert flags_table(loop, "c")["kind"].tolist() == [COMMENT]
    assert "view" not in set(events_table(loop, "c")["kind"])  # views are kept apart from the label events

    close_round(loop, "c", "boss")
    assert record_view(loop, "ann1", "c", DUO_A, round=2) is not None  # a new round, a new first view
