"""Sessions end when idle, when too old, when the account logs in again, is disabled, gets a new
password or has its sessions revoked; the limits come from the environment. Times from a test clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from refcat.annotate.accounts import (
    AuthPolicy,
    authenticate,
    create_user,
    disable_user,
    enable_user,
    list_accounts,
    revoke_sessions,
    set_password,
    user_for_token,
)
from refcat.errors import PermissionDenied, UsageError

PW = "correct horse battery"
POLICY = AuthPolicy(idle_timeout=timedelta(minutes=30), max_age=timedelta(hours=8))


def login(store, clock, name="ann1", policy=POLICY):
    return authenticate(store, name, PW, policy=policy, clock=clock)


def alive(store, token, clock, policy=POLICY) -> bool:
    try:
        user_for_token(store, token, policy, clock=clock)
    except PermissionDenied:
        return False
    return True


def test_idle_timeout_is_refreshed_by_use(store, clock):
    create_user(store, "ann1", PW)
    token = login(store, clock)
    for _ in range(4):  # used every 25 minutes: stays alive past the 30-minute idle limit
        clock.tick(minutes=25)
        assert alive(store, token, clock)
    clock.tick(minutes=31)
    with pytest.raises(PermissionDenied, match=r"session expired \(idle for more than 30 minutes\)"):
        user_for_token(store, token, POLICY, clock=clock)
    assert not alive(store, token, clock)  # deleted: unknown from now on


def test_absolute_lifetime_ends_a_session_in_constant_use(store, clock):
    create_user(store, "ann1", PW)
    token = login(store, clock)
    for _ in range(8 * 4):  # used every 15 minutes for 8 hours
        clock.tick(minutes=15)
        assert alive(store, token, clock)
    clock.tick(minutes=1)  # 8 h 1 min after the login, used a minute ago
    with pytest.raises(PermissionDenied, match=r"session expired \(older than 8 hours\)"):
        user_for_token(store, token, POLICY, clock=clock)


def test_limits_from_the_environment(store, clock, monkeypatch):
    monkeypatch.setenv("REFCAT_SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("REFCAT_SESSION_MAX_HOURS", "0.5")
    policy = AuthPolicy.from_env()
    assert (policy.idle_timeout, policy.max_age) == (timedelta(minutes=10), timedelta(minutes=30))
    create_user(store, "ann1", PW)
    token = authenticate(store, "ann1", PW, clock=clock)  # the policy read from the environment
    clock.tick(minutes=9)
    assert user_for_token(store, token, clock=clock).name == "ann1"
    clock.tick(minutes=11)
    with pytest.raises(PermissionDenied, match="idle for more than 10 minutes"):
        user_for_token(store, token, clock=clock)
    assert AuthPolicy.from_env({}) == AuthPolicy()  # unset: the defaults
    assert (AuthPolicy().idle_timeout, AuthPolicy().max_age) == (timedelta(minutes=60), timedelta(hours=12))
    for name, value in (
        ("REFCAT_SESSION_IDLE_MINUTES", "soon"),
        ("REFCAT_SESSION_MAX_HOURS", "-1"),
        ("REFCAT_SESSION_KEEP_OLDER", "yes"),
    ):
        with pytest.raises(UsageError, match=name):
            AuthPolicy.from_env({name: value})


def test_a_new_login_ends_the_older_sessions_unless_configured(store, clock, monkeypatch):
    create_user(store, "ann1", PW)
    create_user(store, "ann2", PW)
    first, other = login(store, clock), login(store, clock, "ann2")
    second = login(store, clock)
    assert (alive(store, first, clock), alive(store, second, clock), alive(store, other, clock)) == (False, True, True)
    keep = AuthPolicy(keep_older_sessions=True)
    third = login(store, clock, policy=keep)
    assert alive(store, second, clock) and alive(store, third, clock)
    monkeypatch.setenv("REFCAT_SESSION_KEEP_OLDER", "1")
    assert AuthPolicy.from_env().keep_older_sessions
    fourth = authenticate(store, "ann1", PW, clock=clock)
    assert all(alive(store, t, clock) for t in (second, third, fourth))
    assert {a.name: a.sessions for a in list_accounts(store, POLICY, clock=clock)} == {"ann1": 3, "ann2": 1}


def test_disable_passwd_and_revoke_end_sessions(store, clock):
    create_user(store, "ann1", PW)
    keep = AuthPolicy(keep_older_sessions=True)
    tokens = [login(store, clock, policy=keep) for _ in range(2)]
    assert disable_user(store, "ann1") == 2
    assert not any(alive(store, t, clock) for t in tokens)
    with pytest.raises(PermissionDenied, match="this account is disabled"):
        login(store, clock)
    enable_user(store, "ann1")
    token = login(store, clock)
    assert set_password(store, "ann1", "a new password, long") == 1
    assert not alive(store, token, clock)
    with pytest.raises(PermissionDenied, match="wrong user name or password"):
        login(store, clock)  # the old password
    token = authenticate(store, "ann1", "a new password, long", policy=POLICY, clock=clock)
    assert revoke_sessions(store, "ann1") == 1 and revoke_sessions(store, "ann1") == 0
    assert not alive(store, token, clock)
    login_again = authenticate(store, "ann1", "a new password, long", policy=POLICY, clock=clock)
    assert alive(store, login_again, clock)  # revoking does not lock the account out


def test_a_session_of_an_account_disabled_meanwhile_is_refused(store, clock):
    """Even a session row that outlived the disabling (another process) is refused."""
    from refcat.store.schema import AuthSessionRow, UserRow

    create_user(store, "ann1", PW)
    token = login(store, clock)
    with store.session() as session:
        session.query(UserRow).update({UserRow.disabled: True})
        assert session.query(AuthSessionRow).count() == 1
    with pytest.raises(PermissionDenied, match="the account is disabled"):
        user_for_token(store, token, POLICY, clock=clock)


def test_account_changes_by_a_page_need_an_admin(store):
    create_user(store, "boss", PW, role="admin")
    create_user(store, "ann1", PW)
    with pytest.raises(PermissionDenied, match="only admins may disable accounts"):
        disable_user(store, "boss", by="ann1")
    with pytest.raises(PermissionDenied, match="only admins may set passwords"):
        set_password(store, "boss", "taken over, ha ha", by="ann1")
    with pytest.raises(PermissionDenied, match="your own account"):
        disable_user(store, "boss", by="boss")
    with pytest.raises(PermissionDenied, match="unknown user"):
        revoke_sessions(store, "nobody", by="boss")
    assert disable_user(store, "ann1", by="boss") == 0
    enable_user(store, "ann1", by="boss")
    assert [(a.name, a.disabled) for a in list_accounts(store)] == [("ann1", False), ("boss", False)]
