"""Accounts: users with argon2-hashed passwords, their login sessions, and the login throttle.

Conventions:
- Roles are "admin" (manages accounts, creates campaigns, closes rounds, adjudicates) and "annotator".
- A password has `MIN_PASSWORD_LENGTH` to `MAX_PASSWORD_LENGTH` characters. Demo accounts
  (`create_user(..., demo=True)`, the demo project's published passwords) may have shorter
  ones, and are refused at login by a store that holds any other account; giving a demo
  account a new password (`set_password`) makes it an ordinary account.
- `authenticate` returns a random token; the store keeps only its SHA-256 digest, so a copy
  of the database does not let anyone log in.
- A session ends after `AuthPolicy.idle_timeout` without use, `AuthPolicy.max_age` after its
  login, at logout, when its account logs in again (unless `keep_older_sessions`), and when
  its account is disabled, given a new password or has its sessions revoked. Ended sessions
  are deleted.
- The throttle: each failed login is recorded against the account name as typed and against
  the client address (when known). Once `max_failures` failures of a name or an address fall
  within `failure_window`, its attempts are refused, without looking at the password, until
  `cooldown` after its last failure. The records live in the store, so every server process
  shares them. A successful login clears its name's failures (not its address's).
- Every attempt that is not throttled costs exactly one argon2 verification: an unknown name
  is verified against a dummy hash, so the time taken does not tell which names exist. At most
  `VERIFY_SLOTS` verifications (64 MiB each at argon2's defaults) run at once in a process.
- Times are naive UTC (`utcnow`); the functions that read the time take a `clock`, so that
  tests can move it.
- Functions that change an account take `by`: the admin acting on an app page, checked
  against the store; None is the operator at the command line, who holds the store itself.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from refcat.errors import PermissionDenied, UsageError
from refcat.store.database import Store
from refcat.store.schema import AuthSessionRow, LoginFailureRow, UserRow, utcnow

ROLES = ("admin", "annotator")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 64  # users.name
_MAX_SUBJECT_LENGTH = 128  # login_failures.subject
VERIFY_SLOTS = 2
# A session's last_seen is written at most this often, so that page loads do not all write.
_TOUCH_INTERVAL = timedelta(seconds=60)
_hasher = PasswordHasher()
_verify_slots = threading.BoundedSemaphore(VERIFY_SLOTS)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Account:
    """An account as the admin sees it: `sessions` counts its live sessions."""

    name: str
    role: str
    disabled: bool
    demo: bool
    sessions: int
    created_at: datetime


def _env_duration(env: Mapping[str, str], name: str, unit: str, default: timedelta) -> timedelta:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0 < number < math.inf:
        raise UsageError(f"{name}={text!r} is not a positive number", expected=f"{unit}, e.g. 30")
    return timedelta(**{unit: number})


def _env_count(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{name}={text!r} is not a whole number", expected="a count of at least 1")
    return int(text)


def _env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name, "").strip()
    if not text:
        return default
    if text not in ("0", "1"):
        raise UsageError(f"{name}={text!r} is not 0 or 1", expected="1 for yes, 0 for no")
    return text == "1"


@dataclass(frozen=True)
class AuthPolicy:
    """How long sessions live and how failed logins are throttled (see the module's conventions).

    `from_env` reads $REFCAT_SESSION_IDLE_MINUTES (default 60), $REFCAT_SESSION_MAX_HOURS (12),
    $REFCAT_SESSION_KEEP_OLDER (0: a login ends the account's other sessions; 1: they stay),
    $REFCAT_LOGIN_MAX_FAILURES (5), $REFCAT_LOGIN_WINDOW_MINUTES (15) and
    $REFCAT_LOGIN_COOLDOWN_MINUTES (15); an unset or empty variable keeps the default.
    """

    idle_timeout: timedelta = timedelta(minutes=60)
    max_age: timedelta = timedelta(hours=12)
    keep_older_sessions: bool = False
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthPolicy:
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            idle_timeout=_env_duration(env, "REFCAT_SESSION_IDLE_MINUTES", "minutes", default.idle_timeout),
            max_age=_env_duration(env, "REFCAT_SESSION_MAX_HOURS", "hours", default.max_age),
            keep_older_sessions=_env_flag(env, "REFCAT_SESSION_KEEP_OLDER", default.keep_older_sessions),
            max_failures=_env_count(env, "REFCAT_LOGIN_MAX_FAILURES", default.max_failures),
            failure_window=_env_duration(env, "REFCAT_LOGIN_WINDOW_MINUTES", "minutes", default.failure_window),
            cooldown=_env_duration(env, "REFCAT_LOGIN_COOLDOWN_MINUTES", "minutes", default.cooldown),
        )


def _user(row: UserRow) -> User:
    return User(row.id, row.name, row.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str, *, demo: bool = False) -> None:
    """Refuse a password outside the length rules (a demo account's only needs to be non-empty)."""
    if not password:
        raise UsageError("empty password", expected="a non-empty password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UsageError(f"the password has {len(password)} characters", expected=f"at most {MAX_PASSWORD_LENGTH}")
    if not demo and len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(
            f"the password has {len(password)} characters", expected=f"at least {MIN_PASSWORD_LENGTH} characters"
        )


def create_user(store: Store, name: str, password: str, role: str = "annotator", *, demo: bool = False) -> User:
    """Add a user. Names are unique, non-empty, at most 64 characters, without '/', ',' or whitespace."""
    name = name.strip()
    if not name or any(c.isspace() or c in "/," for c in name):
        raise UsageError(f"bad user name {name!r}", expected="a non-empty name without spaces, '/' or ','")
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"the user name has {len(name)} characters", expected=f"at most {MAX_NAME_LENGTH}")
    if name == "auto":
        raise UsageError("the name 'auto' is reserved for automatic answers")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", expected=" or ".join(ROLES))
    check_password(password, demo=demo)
    with store.session() as session:
        if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
            raise UsageError(f"user {name!r} already exists")
        row = UserRow(name=name, role=role, password_hash=_hasher.hash(password), demo=demo)
        session.add(row)
        session.flush()
        return _user(row)


def list_users(store: Store) -> list[User]:
    with store.session() as session:
        return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def list_accounts(store: Store, policy: AuthPolicy | None = None, *, clock: Clock = utcnow) -> list[Account]:
    """Every account by name, with its state and the number of its live sessions."""
    policy = policy or AuthPolicy.from_env()
    now = clock()
    with store.session() as session:
        live: dict[int, int] = {}
        for row in session.scalars(select(AuthSessionRow)):
            if _session_end(row, policy, now) is None:
                live[row.user_pk] = live.get(row.user_pk, 0) + 1
        return [
            Account(r.name, r.role, r.disabled, r.demo, live.get(r.id, 0), r.created_at)
            for r in session.scalars(select(UserRow).order_by(UserRow.name))
        ]


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


# ------------------------------------------------------------------ login


@functools.lru_cache(maxsize=1)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, made with `hasher`'s parameters: what unknown names are verified against."""
    return hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    with _verify_slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _subjects(name: str, address: str | None) -> list[tuple[str, str]]:
    """The (scope, subject) pairs an attempt is throttled under."""
    subjects = [("account", name[:_MAX_SUBJECT_LENGTH])]
    if address:
        subjects.append(("address", address[:_MAX_SUBJECT_LENGTH]))
    return subjects


def _locked_until(session: Session, scope: str, subject: str, policy: AuthPolicy, now: datetime) -> datetime | None:
    """Until when attempts under (scope, subject) are refused, or None when they are not: the
    last `max_failures` failures fell within `failure_window`, and `cooldown` has not passed since."""
    recent = session.scalars(
        select(LoginFailureRow.at)
        .where(
            LoginFailureRow.scope == scope,
            LoginFailureRow.subject == subject,
            LoginFailureRow.at > now - policy.failure_window - policy.cooldown,
        )
        .order_by(LoginFailureRow.at.desc())
        .limit(policy.max_failures)
    ).all()
    if len(recent) < policy.max_failures or recent[0] - recent[-1] > policy.failure_window:
        return None
    until = recent[0] + policy.cooldown
    return until if until > now else None


def _throttled(scope: str, until: datetime, now: datetime) -> PermissionDenied:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    who = "for this account" if scope == "account" else "from this address"
    return PermissionDenied(
        f"too many failed logins {who}: try again in {minutes} minute{'s' if minutes > 1 else ''} "
        f"(after {until:%H:%M} UTC)"
    )


def _record_failure(store: Store, subjects: list[tuple[str, str]], policy: AuthPolicy, now: datetime) -> None:
    """Record a failed attempt under each subject, and forget failures too old to count."""
    with store.session() as session:
        horizon = now - policy.failure_window - policy.cooldown
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < horizon))
        session.add_all(LoginFailureRow(scope=scope, subject=subject, at=now) for scope, subject in subjects)


def _session_end(row: AuthSessionRow, policy: AuthPolicy, now: datetime) -> str | None:
    """Why a session is over by now, or None while it is alive."""
    if now - row.created_at > policy.max_age:
        return f"older than {policy.max_age.total_seconds() / 3600:g} hours"
    if now - row.last_seen > policy.idle_timeout:
        return f"idle for more than {policy.idle_timeout.total_seconds() / 60:g} minutes"
    return None


def authenticate(
    store: Store,
    name: str,
    password: str,
    *,
    address: str | None = None,
    policy: AuthPolicy | None = None,
    clock: Clock = utcnow,
) -> str:
    """Check a password and open a session; returns its token.

    `address` is the client's address, for the throttle (None: unknown, only the name is
    throttled). Refused with PermissionDenied: a throttled name or address, a wrong name or
    password (the same message for both), a disabled account, a demo account of a store that
    holds other accounts.
    """
    policy = policy or AuthPolicy.from_env()
    name = name.strip()
    subjects = _subjects(name, address)
    dummy = _dummy_hash(_hasher)  # made before any branch: the first attempt of a process pays for it, whoever it names
    now = clock()
    with store.session() as session:
        for scope, subject in subjects:
            until = _locked_until(session, scope, subject, policy, now)
            if until is not None:
                raise _throttled(scope, until, now)
        found = session.execute(select(UserRow.id, UserRow.password_hash).where(UserRow.name == name)).first()
    # Outside the transaction: the verification takes a while and needs nothing of the store.
    verified = _verify(dummy if found is None else found.password_hash, password)
    if found is None or not verified:
        _record_failure(store, subjects, policy, clock())
        raise PermissionDenied("wrong user name or password")
    with store.session() as session:
        row = session.get_one(UserRow, found.id)
        if row.disabled:
            raise PermissionDenied("this account is disabled", expected="an admin to enable it")
        if row.demo and session.scalar(select(UserRow.id).where(UserRow.demo.is_(False)).limit(1)) is not None:
            raise PermissionDenied(
                "demo accounts cannot log in: this store holds real accounts", expected="an account of your own"
            )
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        session.execute(
            delete(LoginFailureRow).where(LoginFailureRow.scope == "account", LoginFailureRow.subject == subjects[0][1])
        )
        if not policy.keep_older_sessions:
            session.execute(delete(AuthSessionRow).where(AuthSessionRow.user_pk == row.id))
        session.execute(
            delete(AuthSessionRow).where(
                or_(
                    AuthSessionRow.created_at < now - policy.max_age,
                    AuthSessionRow.last_seen < now - policy.idle_timeout,
                )
            )
        )
        token = secrets.token_urlsafe(32)
        session.add(AuthSessionRow(token_digest=_digest(token), user_pk=row.id, created_at=now, last_seen=now))
        return token


def user_for_token(store: Store, token: str, policy: AuthPolicy | None = None, *, clock: Clock = utcnow) -> User:
    """The user of a live session; refreshes it. Unknown, ended or expired tokens are refused."""
    policy = policy or AuthPolicy.from_env()
    with store.session() as session:
        row = session.get(AuthSessionRow, _digest(token or ""))
        if row is None:
            raise PermissionDenied("not logged in (unknown session)", expected="log in again")
        now = clock()
        account = session.get_one(UserRow, row.user_pk)
        end = "the account is disabled" if account.disabled else _session_end(row, policy, now)
        if end is not None:
            session.delete(row)
            # The deletion must be committed even though the request is refused.
            session.commit()
            raise PermissionDenied(f"session expired ({end})", expected="log in again")
        if now - row.last_seen > _TOUCH_INTERVAL:
            row.last_seen = now
        return _user(account)


def logout(store: Store, token: str) -> None:
    with store.session() as session:
        session.execute(delete(AuthSessionRow).where(AuthSessionRow.token_digest == _digest(token or "")))


# ------------------------------------------------------------------ account management


def _account(session: Session, name: str, by: User | str | None, action: str) -> UserRow:
    """The stored row of `name`, once `by` (None: the command line) is checked to be an admin."""
    if by is not None:
        actor = stored_user(session, by)
        if not actor.is_admin:
            raise PermissionDenied(f"{actor.name} is not an admin; only admins may {action}")
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise PermissionDenied(f"unknown user {name!r}")
    return row


def _end_sessions(session: Session, row: UserRow) -> int:
    count = session.scalar(select(func.count()).select_from(AuthSessionRow).where(AuthSessionRow.user_pk == row.id))
    session.execute(delete(AuthSessionRow).where(AuthSessionRow.user_pk == row.id))
    return int(count or 0)


def _person(row: UserRow) -> UserRow:
    """`row`, refused when it is no person's account (e.g. the `release` label source): such an
    account never logs in, so it gets no password and stays disabled."""
    if row.role not in ROLES:
        raise UsageError(
            f"{row.name!r} is a {row.role} account, not a person's: it never logs in",
            expected="an annotator or admin account",
        )
    return row


def set_password(store: Store, name: str, password: str, *, by: User | str | None = None) -> int:
    """Give an account a new password (the full length rules: the account is no demo account
    afterwards), clear its failed logins and end its sessions; returns how many ended."""
    check_password(password)
    with store.session() as session:
        row = _person(_account(session, name, by, "set passwords"))
        row.password_hash = _hasher.hash(password)
        row.demo = False
        session.execute(
            delete(LoginFailureRow).where(LoginFailureRow.scope == "account", LoginFailureRow.subject == name)
        )
        return _end_sessions(session, row)


def disable_user(store: Store, name: str, *, by: User | str | None = None) -> int:
    """Disable an account: it cannot log in and its sessions end (returns how many). Admins
    cannot disable themselves on a page (the command line can disable anyone)."""
    with store.session() as session:
        row = _account(session, name, by, "disable accounts")
        if by is not None and row.name == (by.name if isinstance(by, User) else by):
            raise PermissionDenied("you cannot disable your own account", expected="another admin to do it")
        row.disabled = True
        return _end_sessions(session, row)


def enable_user(store: Store, name: str, *, by: User | str | None = None) -> None:
    """Let a disabled account log in again (with its old password)."""
    with store.session() as session:
        _person(_account(session, name, by, "enable accounts")).disabled = False


def revoke_sessions(store: Store, name: str, *, by: User | str | None = None) -> int:
    """End every session of an account (it can log in again); returns how many ended."""
    with store.session() as session:
        return _end_sessions(session, _account(session, name, by, "end sessions"))
