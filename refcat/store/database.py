"""Open the store: the engine, sessions, the schema-version check and the checks of every value written.

The store is any SQLAlchemy URL; a bare path means a SQLite file. SQLite stores run in
WAL mode with foreign keys on and a busy timeout, so that several annotators' processes
can write at once, and with `synchronous=FULL`, so that a commit that returned survives a
power loss or an OS crash (NORMAL would lose the last commits then; docs/store.md gives the
choice and its cost). A store created by another schema version is refused, never migrated
silently; a file that is not a SQLite database is refused with a StoreError naming it.

Every session checks the rows it is about to write (`check_row`, before SQL is sent): a text
longer than its `String(n)` column or holding a NUL character is refused with a StoreError.
PostgreSQL would refuse both itself and SQLite neither, so the same data is accepted or
refused alike on both. A Core insert bypasses the session's check; `check_values` does it for one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, String, Table, create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Mapper, QueryableAttribute, Session, sessionmaker
from sqlalchemy.orm.unitofwork import UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry

from refcat.errors import StoreError
from refcat.store import variant_schema  # noqa: F401  (its tables belong to every store, created with the rest)
from refcat.store.schema import SCHEMA_VERSION, Base, Meta

DEFAULT_DB = "sqlite:///refcat.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_SYNCHRONOUS = "FULL"  # durable across power loss; see docs/store.md for NORMAL's trade


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
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.close()


def text_limit(attribute: QueryableAttribute[Any]) -> int:
    """The most characters a `String(n)` column takes, e.g. `text_limit(CampaignRow.name) == 128`."""
    length = getattr(attribute.expression.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{attribute} is not a String(n) column")
    return length


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def check_value(column: ColumnElement[Any], value: object, what: str = "") -> None:
    """Refuse (StoreError) a value the database should not see in `column`: in a String column, a
    non-text value, a NUL character, or a text longer than its String(n) length. `what` (e.g.
    "instance a2d/v/0/x") starts the message."""
    if value is None or not isinstance(column.type, String):
        return
    table = getattr(column, "table", None)
    name = f"{what}: " if what else ""
    name += f"{table.name}.{column.name}" if table is not None else str(column.name)
    if not isinstance(value, str):
        raise StoreError(f"{name} is {value!r}", expected="text")
    if "\x00" in value:
        raise StoreError(f"{name} {_shown(value)} holds a NUL character", expected="text without NUL characters")
    limit = column.type.length
    if limit is not None and len(value) > limit:
        raise StoreError(
            f"{name} {_shown(value)} is {len(value)} characters long",
            expected=f"at most {limit} characters, on SQLite as on PostgreSQL",
        )


@functools.cache
def _text_columns(mapper: Mapper[Any]) -> tuple[tuple[str, ColumnElement[Any]], ...]:
    """(attribute key, column) of each String column of a mapped class, the only ones `check_value` looks at."""
    props = mapper.column_attrs
    return tuple((prop.key, prop.columns[0]) for prop in props if isinstance(prop.columns[0].type, String))


def check_row(row: object, what: str = "") -> None:
    """`check_value` on every column value set on ORM `row` (values not loaded are not new: skipped)."""
    state = inspect(row)
    for key, column in _text_columns(state.mapper):
        if key in state.dict:
            check_value(column, state.dict[key], what)


def check_values(table: Table, values: Mapping[str, object], what: str = "") -> None:
    """`check_value` on each value of a Core insert or update of `table` (keys: column names)."""
    for name, value in values.items():
        check_value(table.c[name], value, what)


def _check_flushed_rows(session: Session, _context: UOWTransaction, _instances: object) -> None:
    for row in (*session.new, *session.dirty):
        check_row(row)


class Store:
    """A connection to one store. `session()` commits on success and rolls back on error; every
    row it writes goes through `check_row` first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", _check_flushed_rows)

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
    except DBAPIError as exc:  # OperationalError (cannot connect), DatabaseError (not a SQLite file)...
        store.dispose()
        raise StoreError(
            f"cannot open store: {' '.join(str(exc.orig).split())}",
            path=store.url,
            expected="a refcat store: a SQLite file or a server URL",
        ) from exc
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
    if set(Base.metadata.tables) - tables:  # a store made before variant_schema was always registered
        Base.metadata.create_all(store.engine)
