"""`refcat annotators passwd|disable|enable|revoke-sessions NAME` and `list`: effects and exit codes."""

from __future__ import annotations

import pytest

from refcat.annotate.accounts import authenticate, create_user, list_accounts, user_for_token
from refcat.cli import main
from refcat.errors import PermissionDenied
from refcat.store.database import open_store

PW = "correct horse battery"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.db"
    store = open_store(path)
    create_user(store, "boss", PW, role="admin")
    create_user(store, "ann1", PW)
    store.dispose()
    return str(path)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def live(db, token) -> bool:
    store = open_store(db)
    try:
        user_for_token(store, token)
    except PermissionDenied:
        return False
    finally:
        store.dispose()
    return True


def login(db, password=PW) -> str:
    store = open_store(db)
    try:
        return authenticate(store, "ann1", password)
    finally:
        store.dispose()


def test_passwd_from_a_file_ends_the_sessions(db, tmp_path, capsys):
    token = login(db)
    (tmp_path / "new.pw").write_text("a brand new password\n")
    code, out, _ = run(capsys, "annotators", "passwd", "ann1", "--password-file", str(tmp_path / "new.pw"), "--db", db)
    assert (code, out) == (0, "password of ann1 set; 1 session ended\n")
    assert not live(db, token)
    with pytest.raises(PermissionDenied):
        login(db)
    assert live(db, login(db, "a brand new password"))


def test_passwd_refuses_a_short_password_and_an_unknown_name(db, tmp_path, capsys):
    (tmp_path / "short.pw").write_text("short\n")
    code, _, err = run(
        capsys, "annotators", "passwd", "ann1", "--password-file", str(tmp_path / "short.pw"), "--db", db
    )
    assert code == 2 and err.count("\n") == 1 and "at least 12 characters" in err
    code, _, err = run(
        capsys, "annotators", "passwd", "nobody", "--password-file", str(tmp_path / "short.pw"), "--db", db
    )
    assert code == 2 and err.count("\n") == 1 and "unknown user 'nobody'" in err
    assert live(db, login(db))  # nothing changed


def test_disable_enable_and_revoke_sessions(db, capsys):
    token = login(db)
    assert run(capsys, "annotators", "disable", "ann1", "--db", db)[:2] == (0, "ann1 disabled; 1 session ended\n")
    assert not live(db, token)
    with pytest.raises(PermissionDenied, match="disabled"):
        login(db)
    assert run(capsys, "annotators", "list", "--db", db)[1].splitlines() == ["ann1\tannotator\tdisabled", "boss\tadmin"]
    assert run(capsys, "annotators", "enable", "ann1", "--db", db)[:2] == (0, "ann1 enabled\n")
    token = login(db)
    assert run(capsys, "annotators", "revoke-sessions", "ann1", "--db", db)[:2] == (0, "1 session of ann1 ended\n")
    assert not live(db, token)
    assert run(capsys, "annotators", "revoke-sessions", "ann1", "--db", db)[1] == "0 sessions of ann1 ended\n"
    store = open_store(db)
    assert [(a.name, a.disabled, a.sessions) for a in list_accounts(store)] == [("ann1", False, 0), ("boss", False, 0)]
    store.dispose()


@pytest.mark.parametrize("action", ["disable", "enable", "revoke-sessions"])
def test_unknown_names_and_stores_exit_2_with_one_line(db, tmp_path, capsys, action):
    code, _, err = run(capsys, "annotators", action, "nobody", "--db", db)
    assert code == 2 and err.count("\n") == 1 and "unknown user 'nobody'" in err
    code, _, err = run(capsys, "annotators", action, "ann1", "--db", str(tmp_path / "absent.db"))
    assert code == 2 and err.count("\n") == 1 and "no refcat store" in err


def test_add_refuses_a_short_password(db, tmp_path, capsys):
    (tmp_path / "short.pw").write_text("eleven-char\n")
    code, _, err = run(capsys, "annotators", "add", "ann2", "--password-file", str(tmp_path / "short.pw"), "--db", db)
    assert code == 2 and "the password has 11 characters (expected at least 12 characters)" in err
