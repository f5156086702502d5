"""The pages around round control: the campaign picker shows open campaigns first (then the
finished ones, marked), and the page list gives every page its own path (deep links) with emoji
icons (a Material icon as a page icon makes the browser fetch it from an outside server)."""

import pytest
from helpers.annotate_store import DUO_A, populate
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.ui.pages import HOME, page_specs


def test_picker_shows_open_campaigns_first(store, monkeypatch):
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    populate(store)
    for name in ("a-done", "b-open"):
        create_campaign(store, name, [DUO_A], ["ann1"], per_instance=1, created_by="boss")
    close_round(store, "a-done", "boss")
    close_round(store, "a-done", "boss")
    monkeypatch.setenv("REFCAT_DB", store.url)

    def script():
        import os

        import streamlit as st

        from refcat.annotate.campaigns import list_campaigns
        from refcat.annotate.ui.navigation import campaign_selector
        from refcat.store.database import open_store

        chosen = campaign_selector(list_campaigns(open_store(os.environ["REFCAT_DB"])), 1, lambda campaign: [])
        st.write(f"chosen {chosen.name}")

    at = AppTest.from_function(script, default_timeout=60).run()
    picker = at.selectbox(key="campaign_pick")
    assert picker.options == ["b-open", "a-done (finished)"]
    assert picker.value == "b-open" and at.markdown[0].value == "chosen b-open"


def test_every_page_has_a_path_and_an_emoji_icon():
    for role in HOME:
        specs = [spec for section in page_specs(role).values() for spec in section]
        paths = [path for _, _, path, _ in specs]
        assert HOME[role] in paths and len(set(paths)) == len(paths)
        assert [icon for *_, icon in specs if icon.startswith(":")] == []


def test_revision_shows_the_others_answers_by_their_display_names(store, monkeypatch):
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    from refcat.annotate.labels import record_answer

    populate(store)
    create_campaign(store, "c", [DUO_A], ["ann1", "ann2"], per_instance=2, question_sets=("difficulty",))
    for user, value in (("ann1", "valid"), ("ann2", "no-re")):
        record_answer(store, user, "c", DUO_A, "difficulty", "non-trivial")
        record_answer(store, user, "c", DUO_A, "correctness", value)
    close_round(store, "c", "boss")
    monkeypatch.setenv("REFCAT_DB", store.url)

    def script():
        import os

        from refcat.annotate.accounts import get_user
        from refcat.annotate.ui import revise
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        revise.render(db, get_user(db, "ann1"))

    at = AppTest.from_function(script, default_timeout=60).run()
    captions = [c.value for c in at.caption]
    assert any("ann2: no RE" in c for c in captions), captions
    assert not [c for c in captions if "no-re" in c]


def _tab_containers(node):
    """The st.tabs blocks under `node`, in page order."""
    if getattr(node, "type", None) == "tab_container":
        yield node
    for child in getattr(node, "children", {}).values():
        yield from _tab_containers(child)


def test_admin_tab_stays_open_when_a_message_appears_above_it(store, monkeypatch):
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    from refcat.annotate.ui.admin import TAB, TABS

    populate(store)
    create_campaign(store, "c", [DUO_A], ["ann1"], per_instance=1, created_by="boss")
    close_round(store, "c", "boss")
    monkeypatch.setenv("REFCAT_DB", store.url)

    def script():
        import os

        from refcat.annotate.accounts import get_user
        from refcat.annotate.ui import admin
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        admin.render(db, get_user(db, "boss"))

    at = AppTest.from_function(script, default_timeout=60).run()
    (tabs,) = _tab_containers(at._tree)
    assert tabs.proto.tab_container.default_tab_index == 0 and at.session_state[TAB] == TABS[0]
    at.session_state[TAB] = "Progress and rounds"  # the admin opens the tab: its label is the widget's value
    at.run()
    next(b for b in at.button if b.key == "reopen:c:revision").click()
    at.run()
    assert [s.value for s in at.success] == ["Reopened the last closed round of 'c'; answers kept."]  # above the tabs
    (tabs,) = _tab_containers(at._tree)
    assert at.session_state[TAB] == "Progress and rounds"
    assert tabs.proto.tab_container.default_tab_index == TABS.index("Progress and rounds")  # sent as the open tab
