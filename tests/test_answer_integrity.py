"""An answer is filed on the instance the page showed when it was pressed, or refused.

The store files a page's presses in press order, each once (labels.Sent); the page applies its
presses in order and refuses an answer pressed before it showed the instance it has moved to
(navigation.apply_presses); a page's round is checked, so Undo on a page left open across a
round close never takes back a revision of the next round. The timing in a real browser is
tested in test_e2e_answer_timing.py.
"""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, event_count, populate
from sqlalchemy import select

from refcat.annotate.campaigns import close_round, create_campaign, get_campaign
from refcat.annotate.labels import Sent, answers, questions_for, queue, record_answer, undo_last
from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND
from refcat.annotate.ui import navigation
from refcat.annotate.ui.shortcuts import (
    ANSWER,
    MAX_AGE_MS,
    MOVE_BACK,
    MOVE_ON,
    TAKE_BACK,
    Press,
    key_actions,
    parse_presses,
)
from refcat.errors import StoreError, UsageError
from refcat.store.schema import LabelEventRow, utcnow
from refcat.taxonomy import FIELD_VALUES


@pytest.fixture
def camp(store):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B, DUO_C], ["ann1", "ann2"], question_sets=("difficulty",), per_instance=2)
    return store


def stored(store):
    """(kind, field, value, client, client_seq) of every event, in id order."""
    with store.session() as session:
        rows = session.execute(
            select(
                LabelEventRow.kind,
                LabelEventRow.field,
                LabelEventRow.value,
                LabelEventRow.client,
                LabelEventRow.client_seq,
            ).order_by(LabelEventRow.id)
        )
        return [tuple(r) for r in rows]


# ------------------------------------------------------------------ the store: press order, each once


def test_a_page_presses_are_filed_in_order_and_once(camp):
    store = camp
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial", sent=Sent("page1", 2))
    before = event_count(store)
    with pytest.raises(StoreError, match="press 1 of this page arrived after its press 2"):
        record_answer(store, "ann1", "c", DUO_A, "difficulty", "non-trivial", sent=Sent("page1", 1))
    with pytest.raises(StoreError, match="in the order they were pressed, each once"):
        record_answer(store, "ann1", "c", DUO_A, "difficulty", "non-trivial", sent=Sent("page1", 2))  # a replay
    assert event_count(store) == before and answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial"}
    # Another page of the same annotator, and another annotator, count on their own.
    record_answer(store, "ann1", "c", DUO_B, "difficulty", "trivial", sent=Sent("page2", 1))
    record_answer(store, "ann2", "c", DUO_A, "difficulty", "trivial", sent=Sent("page1", 1))
    # Answers and undos of a page share its numbers.
    undone = undo_last(store, "ann1", "c", sent=Sent("page1", 3))
    assert (undone.instance_key, undone.value) == (DUO_B, "trivial")  # the latest answer, from page2
    with pytest.raises(StoreError, match="arrived after its press 3"):
        record_answer(store, "ann1", "c", DUO_C, "difficulty", "trivial", sent=Sent("page1", 3))
    record_answer(store, "ann1", "c", DUO_C, "difficulty", "non-trivial", sent=Sent("page1", 7))  # gaps are fine
    # Answers without a page (scripts, the CLI) are not numbered.
    record_answer(store, "ann1", "c", DUO_C, "correctness", "valid")
    assert stored(store) == [
        ("answer", "difficulty", "trivial", "page1", 2),
        ("answer", "difficulty", "trivial", "page2", 1),
        ("answer", "difficulty", "trivial", "page1", 1),
        ("undo", "difficulty", "trivial", "page1", 3),
        ("answer", "difficulty", "non-trivial", "page1", 7),
        ("answer", "correctness", "valid", None, None),
    ]


@pytest.mark.parametrize(
    "sent",
    [Sent("", 1), Sent("x" * 33, 1), Sent("a b", 1), Sent("p<1>", 1), Sent("page", 0), Sent("page", 2**31)],
    ids=["empty", "long", "space", "markup", "zero", "too-big"],
)
def test_bad_page_ids_and_numbers_are_refused_before_the_store(camp, sent):
    before = event_count(camp)
    with pytest.raises(UsageError):
        record_answer(camp, "ann1", "c", DUO_A, "difficulty", "trivial", sent=sent)
    with pytest.raises(UsageError):
        undo_last(camp, "ann1", "c", sent=sent)
    assert event_count(camp) == before


# ------------------------------------------------------------------ the round a page shows


def test_undo_from_a_page_left_open_across_a_round_close_takes_nothing_back(camp):
    store = camp
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial", round=LABEL_ROUND)
    record_answer(store, "ann2", "c", DUO_A, "difficulty", "non-trivial", round=LABEL_ROUND)
    close_round(store, "c", "boss")
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "non-trivial", round=REVISION_ROUND)  # a revision
    before = event_count(store)
    # ann1's annotate page (round 1) is still open: its Undo and its answers are refused.
    with pytest.raises(StoreError, match="round 1 of campaign 'c' is closed"):
        undo_last(store, "ann1", "c", round=LABEL_ROUND)
    with pytest.raises(StoreError, match="round 1 of campaign 'c' is closed"):
        record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial", round=LABEL_ROUND)
    assert event_count(store) == before
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "non-trivial"}  # the revision stands
    # The revise page (round 2) takes back the revision; round 1's answer is left as it was.
    undone = undo_last(store, "ann1", "c", round=REVISION_ROUND)
    assert (undone.instance_key, undone.value) == (DUO_A, "non-trivial")
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial"}
    with pytest.raises(UsageError, match="nothing to undo for ann1 in round 2"):
        undo_last(store, "ann1", "c", round=REVISION_ROUND)


# ------------------------------------------------------------------ the page: presses in order


def place_of(store, user="ann1", index=0, page="annotate", round=LABEL_ROUND):
    items = queue(store, user, "c")
    return navigation.Place(get_campaign(store, "c"), items, index, None, page, round)


def run(store, place, presses, user="ann1"):
    """Apply presses as the page of `place` does; returns (instance shown after them, messages)."""
    said = []
    undone = []
    handlers = navigation.store_handlers(store, user, place, lambda what: undone.append(what) or what.instance_key)
    view = navigation.View(place.key, place.view)
    shown = navigation.apply_presses(place.keys, view, presses, handlers, lambda kind, text: said.append(text))
    return shown.key, said, undone


AGAIN = "nothing was written. Press it again to answer here."


def press(action, instance, field="", value="", seq=None, page="annotate:c", view=0):
    return Press(action, page, instance, view, field, value, None if seq is None else Sent("tab", seq))


def test_an_answer_pressed_before_the_page_moved_on_is_refused(camp):
    store = camp
    place = place_of(store)
    assert place.keys == [DUO_A, DUO_B, DUO_C]
    # "1" on A, Right, then "3" pressed before the page showed B (it still carries A), then "2" on B.
    shown, said, _ = run(
        store,
        place,
        [
            press(ANSWER, DUO_A, "difficulty", "trivial", seq=1),
            press(MOVE_ON, DUO_A, seq=2),
            press(ANSWER, DUO_A, "correctness", "valid", seq=3),
            press(ANSWER, DUO_B, "difficulty", "non-trivial", seq=4, view=1),
        ],
    )
    assert shown == DUO_B
    assert said == [f"Refused: an answer pressed before the page showed {DUO_B} (it had moved on); " + AGAIN]
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial"}  # not overwritten, nothing added
    assert answers(store, "ann1", "c", DUO_B) == {"difficulty": "non-trivial"}
    assert [(f, v, s) for _, f, v, _, s in stored(store)] == [
        ("difficulty", "trivial", 1),
        ("difficulty", "non-trivial", 4),
    ]


def test_an_answer_pressed_on_an_earlier_view_of_the_same_instance_is_refused(camp):
    store = camp
    place = place_of(store)
    # Right then Left: the page is on A again, in its view 2. A press still carrying view 0 was made
    # while the page showed something else (B, or A before the moves): refused, though its instance is A.
    shown, said, _ = run(
        store,
        place,
        [
            press(MOVE_ON, DUO_A, seq=1),
            press(MOVE_BACK, DUO_A, seq=2),
            press(ANSWER, DUO_A, "difficulty", "trivial", seq=3),
            press(ANSWER, DUO_A, "difficulty", "non-trivial", seq=4, view=2),
        ],
    )
    assert shown == DUO_A and len(said) == 1 and said[0].endswith(AGAIN)
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "non-trivial"}
    assert [v for _, _, v, _, _ in stored(store)] == ["non-trivial"]


def test_moves_are_from_the_instance_shown_and_stay_in_the_queue(camp):
    place = place_of(camp)
    # Two quick Rights both carry A (the page had not moved yet): they go two steps, then stop at the end.
    moves = [press(MOVE_ON, DUO_A, seq=n) for n in (1, 2, 3)]
    assert run(camp, place, moves)[0] == DUO_C
    assert run(camp, place, [press(MOVE_BACK, DUO_A)])[0] == DUO_A
    assert event_count(camp) == 0


def test_undo_after_quick_presses_takes_back_the_last_one_and_shows_it(camp):
    store = camp
    place = place_of(store)
    shown, said, undone = run(
        store,
        place,
        [
            press(ANSWER, DUO_A, "difficulty", "trivial", seq=1),
            press(ANSWER, DUO_A, "correctness", "valid", seq=2),
            press(MOVE_ON, DUO_A, seq=3),
            press(ANSWER, DUO_B, "correctness", "no-re", seq=4, view=1),
            press(MOVE_ON, DUO_B, seq=5, view=1),
            press(TAKE_BACK, DUO_C, seq=6, view=2),
        ],
    )
    assert said == [] and shown == DUO_B  # the undone answer's instance is shown
    assert [(u.instance_key, u.field, u.value) for u in undone] == [(DUO_B, "correctness", "no-re")]
    assert answers(store, "ann1", "c", DUO_B) == {}
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial", "correctness": "valid"}


def test_a_refused_press_is_said_and_the_next_ones_go_on(camp):
    store = camp
    place = place_of(store)
    shown, said, _ = run(
        store,
        place,
        [
            press(ANSWER, DUO_A, "difficulty", "trivial", seq=2),
            press(ANSWER, DUO_A, "difficulty", "non-trivial", seq=1),  # out of order (a replayed message)
            press(ANSWER, DUO_A, "information", "minimal", seq=3),  # not asked in this campaign
            press(ANSWER, DUO_A, "correctness", "valid", seq=4),
        ],
    )
    assert shown == DUO_A and len(said) == 2
    assert said[0].startswith("Refused: press 1 of this page arrived after its press 2")
    assert said[1].startswith("Refused: question 'information' is not asked")
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "trivial", "correctness": "valid"}


def test_a_page_left_open_across_a_round_close_writes_nothing(camp):
    store = camp
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "trivial")
    record_answer(store, "ann2", "c", DUO_A, "difficulty", "non-trivial")
    place = place_of(store)  # ann1's annotate page, drawn in round 1
    close_round(store, "c", "boss")
    record_answer(store, "ann1", "c", DUO_A, "difficulty", "non-trivial", round=REVISION_ROUND)
    before = event_count(store)
    _, said, undone = run(
        store, place, [press(ANSWER, DUO_A, "difficulty", "trivial", seq=1), press(TAKE_BACK, DUO_A, seq=2)]
    )
    assert len(said) == 2 and all("round 1 of campaign 'c' is closed" in text for text in said)
    assert undone == [] and event_count(store) == before
    assert answers(store, "ann1", "c", DUO_A) == {"difficulty": "non-trivial"}


# ------------------------------------------------------------------ what the key listener sends


def test_key_presses_are_read_in_the_order_of_their_numbers():
    raw = {
        "client": "0a1b",
        "presses": [
            {"seq": 3, "action": "undo", "page": "annotate", "instance": DUO_B, "view": 2},
            {
                "seq": 1,
                "action": "answer",
                "page": "annotate",
                "instance": DUO_A,
                "view": 1,
                "field": "motion",
                "value": "yes",
            },
            {"seq": 2, "action": "next", "page": "annotate", "instance": DUO_A, "view": 1},
        ],
    }
    client, presses = parse_presses(raw)
    assert client == "0a1b"
    assert [(p.sent.seq, p.action, p.instance) for p in presses] == [
        (1, ANSWER, DUO_A),
        (2, MOVE_ON, DUO_A),
        (3, TAKE_BACK, DUO_B),
    ]
    assert presses[0] == Press(ANSWER, "annotate", DUO_A, 1, "motion", "yes", Sent("0a1b", 1))


def test_a_press_the_desk_showed_at_once_dates_the_view_it_moved_to_by_its_age():
    """A Next the desk showed at once, sent 250 ms after it was made: the browser showed the next
    instance 250 ms before the press arrived. Not moved, or older than MAX_AGE_MS: not known."""
    base = {"action": "next", "page": "annotate:c", "instance": DUO_A, "view": 0}
    raw = {
        "client": "tab",
        "presses": [
            {**base, "seq": 1, "moved": True, "age": 250},
            {**base, "seq": 2, "moved": False, "age": 250},
            {**base, "seq": 3, "moved": True, "age": MAX_AGE_MS + 1},
            {**base, "seq": 4},
        ],
    }
    before = utcnow()
    _, presses = parse_presses(raw)
    after = utcnow()
    shown = presses[0].shown_at
    assert before - timedelta(milliseconds=250) <= shown <= after - timedelta(milliseconds=250)
    assert [p.shown_at for p in presses[1:]] == [None, None, None]


def test_the_view_a_press_moved_to_keeps_when_the_browser_showed_it(camp):
    """Next and an auto-advance carry the press's `shown_at` into the view they open; a dropped
    Next opens nothing, and the view stays as it was."""
    store = camp
    place = place_of(store)
    handlers = navigation.store_handlers(store, "ann1", place, lambda what: what.instance_key, advance=True)
    t1, t2 = datetime(2026, 1, 5, 9, 0, 1), datetime(2026, 1, 5, 9, 0, 2)
    moved = replace(press(MOVE_ON, DUO_A, seq=1), shown_at=t1)
    view = navigation.apply_presses(place.keys, navigation.View(DUO_A, 0), [moved], handlers, print)
    assert (view.key, view.number, view.shown_at) == (DUO_B, 1, t1)
    # The answer to the last question asked on B completes it, and the page advances to C.
    asked = questions_for(store, "c", DUO_B)
    given = [press(ANSWER, DUO_B, field, FIELD_VALUES[field][0], seq=2 + i, view=1) for i, field in enumerate(asked)]
    given[-1] = replace(given[-1], shown_at=t2)
    view = navigation.apply_presses(place.keys, view, given, handlers, print)
    assert (view.key, view.number, view.advanced, view.shown_at) == (DUO_C, 2, True, t2)
    # A Next pressed on B after the page advanced by itself is dropped: C keeps its time.
    late = replace(press(MOVE_ON, DUO_B, seq=9, view=1), shown_at=datetime(2026, 1, 5, 9, 0, 3))
    assert navigation.apply_presses(place.keys, view, [late], handlers, print).shown_at == t2


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"client": 7, "presses": []},
        {"client": "a", "presses": {}},
        {"client": "a", "presses": [{"seq": "1", "action": "next", "page": "annotate", "instance": DUO_A, "view": 1}]},
        {"client": "a", "presses": [{"seq": True, "action": "next", "page": "annotate", "instance": DUO_A, "view": 1}]},
        {"client": "a", "presses": [{"seq": 1, "action": "delete", "page": "annotate", "instance": DUO_A, "view": 1}]},
        {
            "client": "a",
            "presses": [{"seq": 1, "action": "next", "page": "annotate", "instance": "x" * 321, "view": 1}],
        },
        {"client": "a", "presses": [{"seq": 1, "action": "next", "page": "annotate", "view": 1}]},
        {"client": "a", "presses": [{"seq": 1, "action": "next", "page": "annotate", "instance": DUO_A}]},
        {
            "client": "a",
            "presses": [{"seq": n, "action": "next", "page": "a", "instance": "i", "view": 1} for n in range(257)],
        },
    ],
    ids=[
        "none",
        "list",
        "client",
        "presses",
        "seq-text",
        "seq-bool",
        "action",
        "long",
        "no-instance",
        "no-view",
        "flood",
    ],
)
def test_what_the_page_does_not_send_is_refused_whole(raw):
    assert parse_presses(raw) is None


def test_the_listener_knows_the_keys_of_the_questions_asked_and_of_moving():
    keys = key_actions(["difficulty", "location"])
    assert keys["1"] == {"action": ANSWER, "field": "difficulty", "value": "trivial"}
    assert keys["Shift+L"] == {"action": ANSWER, "field": "location", "value": "no"}
    assert keys["Right"] == {"action": MOVE_ON} and keys["Left"] == {"action": MOVE_BACK}
    assert keys["U"] == {"action": TAKE_BACK}
    assert "3" not in keys and "A" not in keys  # questions not asked have no key
