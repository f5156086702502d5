"""Password rules, demo accounts, and `refcat demo-store` refusing a store with real accounts."""

from __future__ import annotations

import pytest
from helpers.demo import build_demo

from refcat.annotate.accounts import (
    authenticate,
    check_password,
    create_user,
    list_accounts,
    set_password,
    user_for_token,
)
from refcat.annotate.demo_project import build_demo_store, create_demo_project
from refcat.cli import main
from refcat.errors import PermissionDenied, UsageError
from refcat.store.database import open_store
from refcat.store.instances import dataset_counts

PW = "correct horse battery"


def test_passwords_have_at_least_12_characters_outside_the_demo(store):
    with pytest.raises(UsageError, match=r"the password has 11 characters \(expected at least 12 characters\)"):
        create_user(store, "ann1", "x" * 11)
    create_user(store, "ann1", "x" * 12)
    with pytest.raises(UsageError, match="the password has 1 characters"):
        set_password(store, "ann1", "a")
    with pytest.raises(UsageError, match="empty password"):
        create_user(store, "ann2", "", demo=True)
    with pytest.raises(UsageError, match="at most 1024"):
        check_password("x" * 1025)
    create_user(store, "demo1", "demo1", demo=True)  # demo accounts: published short passwords
    with pytest.raises(UsageError, match="at most 64"):
        create_user(store, "n" * 65, PW)


def test_demo_accounts_are_marked_and_refused_once_the_store_has_real_ones(store):
    create_user(store, "ann1", "ann1", demo=True)
    token = authenticate(store, "ann1", "ann1")  # only demo accounts: the demo works
    create_user(store, "boss", PW, role="admin")
    assert [(a.name, a.demo) for a in list_accounts(store)] == [("ann1", True), ("boss", False)]
    with pytest.raises(PermissionDenied, match="demo accounts cannot log in: this store holds real accounts"):
        authenticate(store, "ann1", "ann1")
    assert user_for_token(store, token).name == "ann1"  # refused at login; a running session ends by itself
    # A new password makes it an ordinary account, which logs in.
    set_password(store, "ann1", "ann1's own password")
    assert [(a.name, a.demo) for a in list_accounts(store)] == [("ann1", False), ("boss", False)]
    assert authenticate(store, "ann1", "ann1's own password")


def test_demo_project_refuses_a_store_with_real_accounts(tmp_path):
    url, data = build_demo(tmp_path)
    store = open_store(url)
    create_demo_project(store)  # only demo accounts: idempotent
    create_user(store, "boss", PW, role="admin")
    before = dataset_counts(store)
    with pytest.raises(UsageError, match=r"accounts that are not demo accounts \(boss\)"):
        create_demo_project(store)
    store.dispose()
    with pytest.raises(UsageError, match="not demo accounts"):
        build_demo_store(url, data)
    store = open_store(url)
    assert dataset_counts(store) == before and [a.name for a in list_accounts(store)] == [
        "admin",
        "ann1",
        "ann2",
        "ann3",
        "boss",
    ]
    store.dispose()


def test_demo_store_command_refuses_a_real_store_with_exit_2_and_one_line(tmp_path, capsys):
    _, data = build_demo(tmp_path / "demo")  # a demo dataset folder (and a demo store, not used)
    real = tmp_path / "real.db"
    store = open_store(real)
    create_user(store, "boss", PW, role="admin")
    store.dispose()
    assert main(["demo-store", "--data", str(data), "--db", str(real)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not demo accounts (boss)" in err and "expected a new store" in err
    store = open_store(real)
    assert dataset_counts(store) == [] and [a.name for a in list_accounts(store)] == ["boss"]  # nothing written
    store.dispose()
