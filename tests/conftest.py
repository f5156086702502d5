"""Shared fixtures (pytest finds them here, no import needed).

`store`: an empty store on SQLite and, when REFCAT_TEST_PG_URL is set, on PostgreSQL.
`clock`: a clock the test moves by hand (helpers/clock.py).
`tiny_davis`: the RefVOS tests' dataset (helpers/tiny_davis.py), written once a session.
`one_torch_thread`: for the model tests, which request it with `pytest.mark.usefixtures`.
`app_demo`: a fresh demo store and dataset that the app (AppTest) reads through $REFCAT_DB and $REFCAT_DATA.
Plain helpers shared by several modules are in the `helpers` package.
"""

import os
from pathlib import Path

import pytest
from helpers.clock import Clock
from helpers.demo import build_demo
from helpers.tiny_davis import write_tiny_davis

from refcat.store.database import open_store


def _fresh_postgres_store(url: str):
    from sqlalchemy import create_engine

    from refcat.store.schema import Base

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()
    return open_store(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = open_store(tmp_path / "store.db")
    else:
        url = os.environ.get("REFCAT_TEST_PG_URL")
        if not url:
            pytest.skip("REFCAT_TEST_PG_URL not set (`make test` starts PostgreSQL and sets it)")
        s = _fresh_postgres_store(url)
    yield s
    s.dispose()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2 parameters in tests (the default costs ~0.2 s a hash on this machine)."""
    from argon2 import PasswordHasher

    from refcat.annotate import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def tiny_davis(tmp_path_factory) -> Path:
    return write_tiny_davis(tmp_path_factory.mktemp("tiny_davis"))


@pytest.fixture(scope="session")
def one_torch_thread():
    """One intra-op thread: on the shared 2-core machine, spinning OpenMP threads slow tiny models tenfold."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def app_demo(tmp_path, monkeypatch):
    """A fresh demo store (and its dataset) in tmp_path, named to the app by $REFCAT_DB and $REFCAT_DATA."""
    url, data = build_demo(tmp_path)
    monkeypatch.setenv("REFCAT_DB", url)
    monkeypatch.setenv("REFCAT_DATA", str(data))
    store = open_store(url)
    yield store
    store.dispose()
