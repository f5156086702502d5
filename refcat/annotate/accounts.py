"""Accounts: users with argon2-hashed passwords, and login sessions that expire when idle.

Conventions:
- Roles are "admin" (creates campaigns, closes rounds, adjudicates) and "annotator".
- `authenticate` returns a random token; the store keeps only its SHA-256 digest, so a copy
  of the database does not let anyone log in.
- A session expires after `idle_timeout` without use (default 12 h, or the number of hours
  in $REFCAT_SESSION_IDLE_HOURS); each successful `user_for_token` refreshes it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from refcat.errors import PermissionDenied, UsageError
from refcat.store.database import Store
from refcat.store.schema import AuthSessionRow, UserRow, utcnow

ROLES = ("admin", "annotator")
DEFAULT_IDLE_TIMEOUT = timedelta(hours=12)
# A session's last_seen is written at most this often, so that page loads do not all write.
_TOUCH_INTERVAL = timedelta(seconds=60)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: UserRow) -> User:
    return User(row.id, row.name, row.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout_from_env() -> timedelta:
    hours = os.environ.get("REFCAT_SESSION_IDLE_HOURS")
    if not hours:
        return DEFAULT_IDLE_TIMEOUT
    try:
        return timedelta(hours=float(hours))
    except ValueError as exc:
        raise UsageError(f"REFCAT_SESSION_IDLE_HOURS={hours!r} is not a number", expected="hours, e.g. 12") from exc


def create_user(store: Store, name: str, password: str, role: str = "annotator") -> User:
    """Add a user. Names are unique, non-empty and without '/' or whitespace."""
    name = name.strip()
    if not name or any(c.isspace() or c in "/," for c in name):
        raise UsageError(f"bad user name {name!r}", expected="a non-empty name without spaces, '/' or ','")
    if name == "auto":
        raise UsageError("the name 'auto' is reserved for automatic answers")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", expected=" or ".join(ROLES))
    if not password:
        raise UsageError(f"empty password for {name!r}", expected="a non-empty password")
    with store.session() as session:
        if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
            raise UsageError(f"user {name!r} already exists")
        row = UserRow(name=name, role=role, password_hash=_hasher.hash(password))
        session.add(row)
        session.flush()
        return _user(row)


def list_users(store: Store) -> list[User]:
    with store.session() as session:
        return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def get_user(store: Store, name: str) -> User:
    with store.session() as session:
        return stored_user(session, name)


def stored_user(session: Session, user: User | str) -> User:
    """The stored account of a user given by name or `User`; a `User` must match the store exactly."""
    name = user.name if isinstance(user, User) else user
    row = session.execute(select(UserRow.id, UserRow.name, UserRow.role).where(UserRow.name == name)).first()
    if row is None:
        raise PermissionDenied(f"unknown user {name!r}")
    found = User(*row)
    if isinstance(user, User) and user != found:
        raise PermissionDenied(f"user {name!r} does not match the store's account")
    return found


def authenticate(store: Store, name: str, password: str) -> str:
    """Check a password and open a session; returns its token."""
    with store.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.name == name))
        if row is None:
            raise PermissionDenied("wrong user name or password")
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError) as exc:
            raise PermissionDenied("wrong user name or password") from exc
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session.add(AuthSessionRow(token_digest=_digest(token), user_pk=row.id, created_at=now, last_seen=now))
        return token


def user_for_token(store: Store, token: str, idle_timeout: timedelta | None = None) -> User:
    """The user of a live session; refreshes it. Unknown or expired tokens are refused."""
    timeout = idle_timeout if idle_timeout is not None else idle_timeout_from_env()
    with store.session() as session:
        row = session.get(AuthSessionRow, _digest(token or ""))
        if row is None:
            raise PermissionDenied("not logged in (unknown session)", expected="log in again")
        now = utcnow()
        if now - row.last_seen > timeout:
            session.delete(row)
            # The deletion must be committed even though the request is refused.
            session.commit()
            raise PermissionDenied("session expired", expected="log in again")
        if now - row.last_seen > _TOUCH_INTERVAL:
            row.last_seen = now
        return _user(session.get_one(UserRow, row.user_pk))


def logout(store: Store, token: str) -> None:
    with store.session() as session:
        session.execute(delete(AuthSessionRow).where(AuthSessionRow.token_digest == _digest(token or "")))
