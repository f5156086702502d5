"""Shared fixtures: `store`, an empty store on SQLite and, when REFCAT_TEST_PG_URL is set, on PostgreSQL."""

import os

import pytest

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
            pytest.skip("REFCAT_TEST_PG_URL not set (.ci/run starts PostgreSQL and sets it)")
        s = _fresh_postgres_store(url)
    yield s
    s.dispose()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2 parameters in tests (the default costs ~0.2 s a hash on this machine)."""
    from argon2 import PasswordHasher

    from refcat.annotate import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
