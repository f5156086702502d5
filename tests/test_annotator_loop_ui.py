"""The flag panel (refcat.annotate.ui.flags) through streamlit's AppTest: "Unsure" and comments are
written to the store as events at once, shown back, and refused changes are shown, not raised; the
first showing of an instance in a round records one view. The flag and player keys are free,
routed by the page's key listener, and the `?` overlay lists exactly the keys the listener routes."""

from __future__ import annotations

import json

import pytest
from helpers.annotate_store import DUO_A, DUO_B, populate
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.export import time_on_item_table
from refcat.annotate.labels import events_table, instance_flags, record_answer, record_view
from refcat.annotate.state import COMMENT, UNSURE
from refcat.annotate.ui.flags import widget_keys
from refcat.annotate.ui.help_overlay import OWN_KEYS, hotkey_rows
from refcat.annotate.ui.shortcuts import (
    ANSWER_KEYS,
    BROWSER_KEYS,
    FLAG,
    KEY_SYMBOLS,
    NEXT,
    PLAYER,
    PREVIOUS,
    UNDO,
    key_actions,
)
from refcat.annotate.ui.video_view import PLAYER_KEYS, player_clip, player_html
from refcat.store.database import open_store
from refcat.taxonomy import FIELD_VALUES

TIMEOUT = 60


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = str(tmp_path / "flags.db")
    store = open_store(path)
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B], ["ann1", "ann2", "ann3"])
    store.dispose()
    monkeypatch.setenv("REFCAT_DB", path)
    return path


def panel(instance: str) -> AppTest:
    def script(key):
        import os

        from refcat.annotate.accounts import get_user
        from refcat.annotate.ui import flags, widgets
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"], create=False)
        widgets.show_flash()
        flags.flag_panel(db, get_user(db, "ann1"), "c", key, 1)

    return AppTest.from_function(script, args=(instance,), default_timeout=TIMEOUT).run()


def test_unsure_and_a_comment_are_written_and_shown(db_path):
    unsure, text, _ = widget_keys("c", DUO_A)
    at = panel(DUO_A)
    assert not at.exception
    assert at.toggle(key=unsure).value is False and at.text_area(key=text).value == ""

    at.toggle(key=unsure).set_value(True).run()
    store = open_store(db_path, create=False)
    assert instance_flags(store, "ann1", "c", DUO_A).unsure
    assert at.toggle(key=unsure).value is True

    at.text_area(key=text).input("the box is on the wrong dog")
    at.button[0].click().run()
    assert instance_flags(store, "ann1", "c", DUO_A).comments == ("the box is on the wrong dog",)
    assert "Your comment: the box is on the wrong dog" in [c.value for c in at.caption]
    assert at.text_area(key=text).value == ""  # the form is cleared for the next comment

    at.toggle(key=unsure).set_value(False).run()
    assert not instance_flags(store, "ann1", "c", DUO_A).unsure
    assert events_table(store, "c").query("kind != 'auto'")["kind"].tolist() == [UNSURE, COMMENT, "undo"]
    assert record_view(store, "ann1", "c", DUO_A) is None  # the panel's first showing recorded the view

    # Another instance's panel starts clear: nothing is carried over.
    other = panel(DUO_B)
    assert other.toggle(key=widget_keys("c", DUO_B)[0]).value is False
    assert not [c.value for c in other.caption]
    store.dispose()


def test_a_refused_flag_is_shown_and_the_toggle_follows_the_store(db_path):
    unsure, _, _ = widget_keys("c", DUO_A)
    at = panel(DUO_A)
    store = open_store(db_path, create=False)
    close_round(store, "c", "boss")
    at.toggle(key=unsure).set_value(True).run()
    assert not at.exception
    assert any("round 1" in e.value and "closed" in e.value for e in at.error)
    assert at.toggle(key=unsure).value is False
    assert events_table(store, "c").query("kind != 'auto'").empty
    assert time_on_item_table(store, "c").empty  # a view without an answer is no time on item
    store.dispose()


def test_the_flag_keys_are_free_and_routed_by_the_listener():
    flag_keys = {key for key, (action, _, _) in BROWSER_KEYS.items() if action == FLAG}
    assert flag_keys == {"F", "W"}
    taken = {PREVIOUS, NEXT, UNDO} | {k.removeprefix("Shift+") for k in ANSWER_KEYS.values()}
    assert not flag_keys & (taken | {"C", "R"})  # Streamlit keeps C and R
    routed = key_actions(["difficulty"])  # on every queue page, whatever it asks
    assert routed["F"] == {"action": FLAG, "command": "unsure"}
    assert routed["W"] == {"action": FLAG, "command": "comment"}
    assert routed["Space"] == {"action": PLAYER, "command": "toggle"}
    assert {routed[k]["command"] for k in PLAYER_KEYS} == {"toggle", "back", "forward", "slower", "faster"}


def test_the_overlay_lists_exactly_the_keys_the_listener_routes():
    """One source: every key of `key_actions` (all questions asked) is listed once, and the overlay
    lists nothing else but its own keys."""
    routed = {KEY_SYMBOLS.get(key, key) for key in key_actions(list(FIELD_VALUES))}
    listed = [key for _, key, _ in hotkey_rows()]
    assert len(listed) == len(set(listed))
    assert set(listed) - set(OWN_KEYS) == routed
    assert len(routed) == 2 + 3 + 2 + 2 * 7 + 3 + 2 + 5  # answers to 10 questions, 3 moves, 2 flags, 5 player
    groups = {key: group for group, key, _ in hotkey_rows()}
    assert [groups[k] for k in ("F", "W", "Space", ",", ".", "<", ">")] == ["Flags"] * 2 + ["Player"] * 5


def test_the_player_has_the_controls_the_listener_works_and_its_own_keys_are_the_same():
    clip = player_clip("demo/duo/1/annot1", ["a.jpg", "b.jpg", "c.jpg"], {0}, 10.0, 64, 48)
    html = player_html(clip)
    for control in ('id="player"', 'id="play"', 'id="scrub"', 'id="speed"'):  # shortcuts.py's browser keys
        assert control in clip["markup"]
    # The player's own handler (pages without the key listener) knows the same keys, doing the same.
    handled = json.loads(html.split("const ACTIONS = ", 1)[1].split(", FIELDS", 1)[0])
    assert {("Space" if k == " " else k): command for k, command in handled.items()} == {
        key: command for key, (_, command, _) in BROWSER_KEYS.items() if key in PLAYER_KEYS
    }
    assert clip["speeds"] == [0.5, 1, 2]
    assert '<option value="1" selected>1x</option>' in clip["markup"]
    rows = [(group, key) for group, key, _ in hotkey_rows()]
    assert all(("Player", key) in rows for key in PLAYER_KEYS)
    listed = [key for _, key in rows]
    assert len(listed) == len(set(listed))  # no key does two things


def test_the_answer_panel_drops_the_categories_after_no_re(db_path):
    """On the Annotate page's panel, "no RE" leaves difficulty and correctness only; "valid" asks again."""

    def script(key):
        import os

        from refcat.annotate.accounts import get_user
        from refcat.annotate.labels import answers, questions_for, record_answer
        from refcat.annotate.ui import widgets
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"], create=False)
        user = get_user(db, "ann1")
        widgets.answer_panel(
            questions_for(db, "c", key),
            lambda: answers(db, user, "c", key),
            lambda field, value: record_answer(db, user, "c", key, field, value),
            read_fields=lambda: questions_for(db, "c", key, user),
        )

    def shown(at: AppTest) -> set[str]:
        return {b.key.split(":")[1] for b in at.button if b.key and b.key.startswith("answer:")}

    at = AppTest.from_function(script, args=(DUO_A,), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert "appearance" in shown(at) and "information" in shown(at)
    store = open_store(db_path)
    record_answer(store, "ann1", "c", DUO_A, "correctness", "no-re")
    at.run()
    assert shown(at) == {"difficulty", "correctness"}
    record_answer(store, "ann1", "c", DUO_A, "correctness", "valid")
    at.run()
    assert "appearance" in shown(at)


def test_a_key_with_markup_cannot_close_the_players_script():
    """An instance key read from a file goes into the player's script as JSON with <, > and & escaped."""
    key = 'demo/</script><img src=x onerror="alert(1)">&amp;/1/annot1'
    html = player_html(player_clip(key, ["a.jpg"], set(), 10.0, 64, 48))
    assert html.count("</script>") == 1 and "<img src=x" not in html
    assert (
        json.loads(html.split('refcatPlayer(document.getElementById("root"), ', 1)[1].split(");\n", 1)[0])["key"] == key
    )
