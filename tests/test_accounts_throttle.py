"""The login throttle (per account name and per client address, kept in the store) and the cost
of a login: one argon2 verification whether the name exists or not, none while throttled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from refcat.annotate import accounts
from refcat.annotate.accounts import AuthPolicy, authenticate, create_user, set_password
from refcat.errors import PermissionDenied, UsageError
from refcat.store.database import open_store

PW = "correct horse battery"
POLICY = AuthPolicy(max_failures=5, failure_window=timedelta(minutes=15), cooldown=timedelta(minutes=10))


class CountingHasher(PasswordHasher):
    """The test's cheap hasher, counting its verifications and hashings."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0
        self.hashed = 0

    def verify(self, hash, password):
        self.verified += 1
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self.hashed += 1
        return super().hash(password, salt=salt)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def attempt(store, clock, name, password, address=None):
    """The message of a refused attempt, or "ok"."""
    try:
        authenticate(store, name, password, address=address, policy=POLICY, clock=clock)
    except PermissionDenied as exc:
        return exc.message
    return "ok"


def test_five_failures_lock_the_account_until_the_cool_down_ends(store, clock, hasher):
    create_user(store, "ann1", PW)
    for _ in range(5):
        clock.tick(minutes=1)
        assert attempt(store, clock, "ann1", "wrong password!") == "wrong user name or password"
    clock.tick(minutes=3)  # last failure at 9:05; locked until 9:15
    before = hasher.verified
    assert attempt(store, clock, "ann1", PW) == (
        "too many failed logins for this account: try again in 7 minutes (after 09:15 UTC)"
    )
    assert hasher.verified == before  # refused without looking at the password
    clock.tick(minutes=7)
    assert attempt(store, clock, "ann1", PW) == "ok"
    # The success cleared the account's failures: four more are allowed before the lock again.
    for _ in range(4):
        assert attempt(store, clock, "ann1", "wrong password!") == "wrong user name or password"
    assert attempt(store, clock, "ann1", PW) == "ok"


def test_failures_older_than_the_window_do_not_count(store, clock, hasher):
    create_user(store, "ann1", PW)
    for _ in range(4):
        attempt(store, clock, "ann1", "wrong password!")
    clock.tick(minutes=16)
    assert attempt(store, clock, "ann1", "wrong password!") == "wrong user name or password"
    assert attempt(store, clock, "ann1", PW) == "ok"  # 1 failure in the window, not 5


def test_the_cool_down_runs_from_the_last_failure_even_as_the_first_leave_the_window(store, clock, hasher):
    create_user(store, "ann1", PW)
    for minutes in (0, 1, 1, 1, 11):  # failures at 9:00, 9:01, 9:02, 9:03 and 9:14
        clock.tick(minutes=minutes)
        attempt(store, clock, "ann1", "wrong password!")
    clock.tick(minutes=9)  # 9:23: one failure within the last 15 minutes, but the lock holds until 9:24
    assert attempt(store, clock, "ann1", PW).endswith("try again in 1 minute (after 09:24 UTC)")
    clock.tick(minutes=1)
    assert attempt(store, clock, "ann1", PW) == "ok"


def test_one_address_trying_many_names_is_throttled(store, clock, hasher):
    create_user(store, "ann1", PW)
    for i in range(5):
        assert attempt(store, clock, f"guess{i}", "password123456", address="203.0.113.9") == (
            "wrong user name or password"
        )
    assert attempt(store, clock, "ann1", PW, address="203.0.113.9").startswith(
        "too many failed logins from this address: try again in 10 minutes"
    )
    assert attempt(store, clock, "ann1", PW, address="198.51.100.7") == "ok"  # another address is not


def test_unknown_names_are_throttled_like_known_ones(store, clock, hasher):
    create_user(store, "ann1", PW)
    for name in ("ann1", "nobody"):
        for _ in range(5):
            assert attempt(store, clock, name, "wrong password!") == "wrong user name or password"
        assert attempt(store, clock, name, "wrong password!").startswith("too many failed logins for this account")


def test_the_throttle_is_shared_by_every_process_through_the_store(tmp_path, clock, hasher):
    one, two = open_store(tmp_path / "s.db"), open_store(tmp_path / "s.db")  # two server processes' stores
    create_user(one, "ann1", PW)
    for store in (one, two, one, two, one):
        attempt(store, clock, "ann1", "wrong password!")
    assert attempt(two, clock, "ann1", PW).startswith("too many failed logins")
    one.dispose()
    two.dispose()


def test_a_new_password_unlocks_the_account(store, clock, hasher):
    create_user(store, "ann1", PW)
    for _ in range(5):
        attempt(store, clock, "ann1", "wrong password!")
    set_password(store, "ann1", "another long password")
    assert attempt(store, clock, "ann1", "another long password") == "ok"


def test_throttle_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("REFCAT_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("REFCAT_LOGIN_WINDOW_MINUTES", "60")
    monkeypatch.setenv("REFCAT_LOGIN_COOLDOWN_MINUTES", "2.5")
    policy = AuthPolicy.from_env()
    assert (policy.max_failures, policy.failure_window, policy.cooldown) == (
        3,
        timedelta(hours=1),
        timedelta(minutes=2.5),
    )
    default = AuthPolicy()
    assert (default.max_failures, default.failure_window, default.cooldown) == (
        5,
        timedelta(minutes=15),
        timedelta(minutes=15),
    )
    with pytest.raises(UsageError, match="REFCAT_LOGIN_MAX_FAILURES"):
        AuthPolicy.from_env({"REFCAT_LOGIN_MAX_FAILURES": "0"})


def test_known_and_unknown_names_cost_one_verification_each(store, clock, hasher):
    """What makes their times equal: the same argon2 work on both paths (an unknown name is
    verified against a dummy hash with the current parameters), and nothing else hashed."""
    create_user(store, "ann1", PW)
    attempt(store, clock, "warm-up", "x")  # the process's first attempt also makes the dummy hash
    costs = {}
    for case, name, password in (
        ("unknown name", "nobody", "wrong password!"),
        ("known name, wrong password", "ann1", "wrong password!"),
        ("known name, right password", "ann1", PW),
    ):
        verified, hashed = hasher.verified, hasher.hashed
        attempt(store, clock, name, password)
        costs[case] = (hasher.verified - verified, hasher.hashed - hashed)
    assert costs == {
        "unknown name": (1, 0),
        "known name, wrong password": (1, 0),
        "known name, right password": (1, 0),
    }


def test_the_first_attempt_of_a_process_costs_the_same_for_any_name(store, clock, hasher):
    create_user(store, "ann1", PW)
    costs = []
    for name in ("nobody", "ann1"):
        accounts._dummy_hash.cache_clear()  # as in a fresh process
        verified, hashed = hasher.verified, hasher.hashed
        attempt(store, clock, name, "wrong password!")
        costs.append((hasher.verified - verified, hasher.hashed - hashed))
    assert costs == [(1, 1), (1, 1)]
