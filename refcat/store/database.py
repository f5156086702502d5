"""Open the store: the engine, sessions and the schema-version check.

The store is any SQLAlchemy URL; a bare path means a SQLite file. SQLite stores run in
WAL mode with foreign keys on and a busy timeout, so that several annotators' processes
can write at once. A store created by another schema version is refused, never migrated
silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from refcat.errors import StoreError
from refcat.store.schema import SCHEMA_VERSION, Base, Meta

DEFAULT_DB = "sqlite:///refcat.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL as given, or `sqlite:///ABS_PATH` for a bare file path."""
    text = str(url_or_path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


class Store:
    """A connection to one store. `session()` commits on success and rolls back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url_or_path: str | Path, *, create: bool = True) -> Store:
    """Open (and with `create`, initialise) a store; check its schema version."""
    url = normalize_url(url_or_path)
    if url.startswith("sqlite:///") and create:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(
            f"cannot open store: {exc}", path=url, expected="a SQLAlchemy URL or a SQLite file path"
        ) from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    store = Store(engine)
    try:
        _check_or_create_schema(store, create=create)
    except OperationalError as exc:
        raise StoreError(f"cannot open store: {exc.orig}", path=store.url) from exc
    return store


def _check_or_create_schema(store: Store, *, create: bool) -> None:
    tables = set(inspect(store.engine).get_table_names())
    if "meta" not in tables:
        if tables:
            raise StoreError("database has tables but no refcat meta table", path=store.url, expected="a refcat store")
        if not create:
            raise StoreError("no refcat store here", path=store.url, expected="a store created by refcat")
        Base.metadata.create_all(store.engine)
        with store.session() as session:
            session.add(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
        return
    with store.session() as session:
        row = session.get(Meta, "schema_version")
    found = None if row is None else row.value
    if found != str(SCHEMA_VERSION):
        raise StoreError(
            f"store schema version is {found}",
            path=store.url,
            expected=f"version {SCHEMA_VERSION}; create a new store or use a matching refcat",
        )
