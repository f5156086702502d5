"""The queue pages (through Streamlit's AppTest, where a button's click reaches its own callback):
the page keeps what it shows in its session, numbers its moves, and checks its round, so Undo on
a page left open across a round close takes nothing back. The keys and the listener are tested
in a browser (test_e2e_answer_timing.py)."""

from __future__ import annotations

from helpers.app_test import logged_in
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round
from refcat.annotate.labels import answers, events_table, queue, record_answer
from refcat.annotate.state import REVISION_ROUND


def click(at: AppTest, key: str) -> AppTest:
    next(b for b in at.button if b.key == key).click()
    return at.run()


def shown(at: AppTest) -> str:
    return at.caption[0].value.split(" · ")[-1]


def test_undo_on_an_annotate_page_left_open_across_a_round_close_keeps_the_revision(app_demo):
    store = app_demo
    key = queue(store, "ann1", "demo")[0].instance_key
    at = logged_in("ann1")
    assert shown(at) == key
    click(at, "answer:correctness:valid")
    record_answer(store, "ann2", "demo", key, "correctness", "no-re")
    close_round(store, "demo", "admin")
    record_answer(store, "ann1", "demo", key, "correctness", "no-re", round=REVISION_ROUND)  # from the revise page
    before = len(events_table(store, "demo"))
    click(at, "nav:undo")  # ann1's annotate page, still open from round 1
    assert any("Refused" in e.value and "round 1 of campaign 'demo' is closed" in e.value for e in at.error)
    assert len(events_table(store, "demo")) == before
    assert answers(store, "ann1", "demo", key) == {"correctness": "no-re"}  # the revision stands
    assert answers(store, "ann1", "demo", key, round=1) == {"correctness": "valid"}


def test_the_page_keeps_what_it_shows_and_an_old_url_does_not_move_it(app_demo):
    store = app_demo
    first, second = [item.instance_key for item in queue(store, "ann1", "demo")][:2]
    at = logged_in("ann1")
    click(at, "nav:next")
    assert shown(at) == second
    # A request whose URL was sent before the move reached the browser still names the first instance.
    at.query_params["instance"] = first
    at.run()
    assert shown(at) == second and not at.error
    click(at, "answer:appearance:yes")
    assert answers(store, "ann1", "demo", second) == {"appearance": "yes"}
    assert answers(store, "ann1", "demo", first) == {}


def test_buttons_show_their_key_and_leave_the_keys_to_the_listener(app_demo):
    at = logged_in("ann1")
    labels = {b.key: b.label for b in at.button if b.key}
    assert labels["answer:correctness:valid"] == "valid RE `3`"
    assert labels["answer:location:no"] == "no `Shift+L`"
    assert (labels["nav:prev"], labels["nav:next"], labels["nav:undo"]) == (
        "Previous `←`",
        "Next `→`",
        "Undo last answer `U`",
    )
    assert not [b for b in at.button if b.key and b.proto.shortcut]  # no second listener for the same keys
