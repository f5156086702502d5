"""The admin's Accounts page (AppTest): set a password, disable, enable, end sessions."""

from __future__ import annotations

import pytest
from helpers.app_test import page_as
from streamlit.testing.v1 import AppTest

from refcat.annotate.accounts import authenticate, create_user, list_accounts
from refcat.errors import PermissionDenied
from refcat.store.database import open_store

PW = "correct horse battery"


@pytest.fixture
def db(tmp_path, monkeypatch):
    store = open_store(tmp_path / "store.db")
    monkeypatch.setenv("REFCAT_DB", store.url)
    create_user(store, "boss", PW, role="admin")
    create_user(store, "ann1", PW)
    yield store
    store.dispose()


def page(user: str) -> AppTest:
    return page_as("refcat.annotate.ui.accounts", user)


def state(store):
    return {a.name: (a.disabled, a.demo, a.sessions) for a in list_accounts(store)}


def button(at, key):
    return next(b for b in at.button if b.key == key)


def test_annotators_are_refused(db):
    at = page("ann1")
    assert [e.value for e in at.error] == ["Refused: this page is for admins only."]
    assert not at.button and not at.text_input


def test_disable_enable_and_end_sessions(db):
    authenticate(db, "ann1", PW)
    at = page("boss")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["name", "role", "status", "demo", "live sessions", "created"]
    assert table[["name", "status", "live sessions"]].values.tolist() == [["ann1", "active", 1], ["boss", "active", 0]]
    at.selectbox(key="acct_name").set_value("boss").run()
    assert button(at, "acct_disable").disabled  # not your own account
    at.selectbox(key="acct_name").set_value("ann1").run()
    button(at, "acct_disable").click().run()
    assert [s.value for s in at.success] == ["Account disabled; 1 session ended."]
    assert state(db)["ann1"] == (True, False, 0)
    with pytest.raises(PermissionDenied, match="disabled"):
        authenticate(db, "ann1", PW)
    button(at, "acct_enable").click().run()
    assert state(db)["ann1"] == (False, False, 0)
    authenticate(db, "ann1", PW)
    at.run()
    button(at, "acct_revoke").click().run()
    assert [s.value for s in at.success] == ["1 session ended."] and state(db)["ann1"][2] == 0
    assert button(at, "acct_revoke").disabled


def test_set_a_password(db):
    at = page("boss")
    at.selectbox(key="acct_name").set_value("ann1").run()
    for first, again, refusal in (
        ("a long new password", "a long new passw0rd", "Refused: the two passwords differ"),
        ("short", "short", "Refused: the password has 5 characters (expected at least 12 characters)"),
    ):
        at.text_input(key="acct_password").input(first)
        at.text_input(key="acct_password_again").input(again)
        next(b for b in at.button if b.label == "Set password").click().run()
        assert [e.value for e in at.error] == [refusal]
    authenticate(db, "ann1", PW)  # unchanged so far
    at.text_input(key="acct_password").input("a long new password")
    at.text_input(key="acct_password_again").input("a long new password")
    next(b for b in at.button if b.label == "Set password").click().run()
    assert [s.value for s in at.success] == ["Password set; 1 session ended."]
    assert authenticate(db, "ann1", "a long new password")
