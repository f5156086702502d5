"""Accounts: hashed passwords, login, idle expiry, logout, refusals (more rules: test_accounts_*.py)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from refcat.annotate.accounts import (
    AuthPolicy,
    User,
    authenticate,
    create_user,
    list_users,
    logout,
    user_for_token,
)
from refcat.errors import PermissionDenied, UsageError
from refcat.store.schema import AuthSessionRow, UserRow

PW = "twelve-chars"  # the shortest password outside the demo has 12 characters


def _age_sessions(store, by):
    with store.session() as session:
        for row in session.scalars(select(AuthSessionRow)):
            row.last_seen -= by


def test_password_is_hashed_and_login_works(store):
    ann = create_user(store, "ann1", "s3cret-s3cret")
    admin = create_user(store, "boss", "pw-pw-pw-pw-pw", role="admin")
    assert (ann.name, ann.role, admin.role, admin.is_admin, ann.is_admin) == ("ann1", "annotator", "admin", True, False)
    with store.session() as session:
        stored = session.scalar(select(UserRow.password_hash).where(UserRow.name == "ann1"))
    assert "s3cret-s3cret" not in stored and stored.startswith("$argon2id$")
    token = authenticate(store, "ann1", "s3cret-s3cret")
    assert user_for_token(store, token) == User(ann.id, "ann1", "annotator")
    with store.session() as session:
        digests = list(session.scalars(select(AuthSessionRow.token_digest)))
    assert token not in digests and len(digests) == 1
    assert [u.name for u in list_users(store)] == ["ann1", "boss"]


def test_refusals(store):
    create_user(store, "ann1", PW)
    with pytest.raises(UsageError, match="already exists"):
        create_user(store, "ann1", "other-password")
    with pytest.raises(UsageError, match="unknown role"):
        create_user(store, "x", PW, role="root")
    with pytest.raises(UsageError, match="bad user name"):
        create_user(store, "a b", PW)
    with pytest.raises(UsageError, match="reserved"):
        create_user(store, "auto", PW)
    with pytest.raises(PermissionDenied, match="wrong user name or password"):
        authenticate(store, "ann1", "TWELVE-CHARS")
    with pytest.raises(PermissionDenied, match="wrong user name or password"):
        authenticate(store, "nobody", PW)
    with pytest.raises(PermissionDenied, match="unknown session"):
        user_for_token(store, "forged-token")


def test_session_expires_when_idle_and_logout_ends_it(store):
    create_user(store, "ann1", PW)
    token = authenticate(store, "ann1", PW)
    _age_sessions(store, timedelta(hours=2))
    # Idle 2 h: alive under a 12 h timeout, expired under a 1 h timeout.
    assert user_for_token(store, token, AuthPolicy(idle_timeout=timedelta(hours=12))).name == "ann1"
    _age_sessions(store, timedelta(hours=2))
    with pytest.raises(PermissionDenied, match="session expired"):
        user_for_token(store, token, AuthPolicy(idle_timeout=timedelta(hours=1)))
    with pytest.raises(PermissionDenied, match="unknown session"):
        user_for_token(store, token)  # an expired session is gone for good
    token2 = authenticate(store, "ann1", PW)
    logout(store, token2)
    with pytest.raises(PermissionDenied):
        user_for_token(store, token2)


def test_idle_timeout_from_environment(store, monkeypatch):
    create_user(store, "ann1", PW)
    token = authenticate(store, "ann1", PW)
    _age_sessions(store, timedelta(minutes=40))
    monkeypatch.setenv("REFCAT_SESSION_IDLE_MINUTES", "30")
    with pytest.raises(PermissionDenied, match="session expired"):
        user_for_token(store, token)
