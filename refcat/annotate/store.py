"""Open the store and move dataset records in and out of it.

The store is any SQLAlchemy URL; a bare path means a SQLite file. SQLite stores run in
WAL mode with foreign keys on and a busy timeout, so that several annotators' processes
can write at once. A store created by another schema version is refused, never migrated
silently.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from refcat.annotate import variant_schema  # noqa: F401  (registers the A2Dre+ tables on Base)
from refcat.annotate.schema import SCHEMA_VERSION, Base, BoxRow, InstanceRow, Meta, ObjectRow, VideoRow
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL as given, or `sqlite:///ABS_PATH` for a bare file path."""
    text = str(url_or_path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001 - DB-API objects
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
        raise StoreError(f"cannot open store: {exc}", path=url, expected="a SQLAlchemy URL or a SQLite file path") from exc
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


@dataclass
class ImportCounts:
    """What an import did, per kind of record ('videos', 'objects', 'instances', 'boxes')."""

    added: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        kinds = ("videos", "objects", "instances")
        return ", ".join(
            f"{kind}: {self.added[kind]} added, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            for kind in kinds
        )


def _set_if_changed(row: object, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def upsert_records(
    store: Store,
    videos: Iterable[Video],
    objects: Iterable[ObjectRef] = (),
    instances: Iterable[Instance] = (),
) -> ImportCounts:
    """Insert or update videos, objects (with their boxes) and instances in one transaction.

    Natural keys decide identity, so importing the same data twice changes nothing.
    Every object must belong to a video given here or already stored; every instance
    to an object given here or already stored.
    """
    counts = ImportCounts()
    with store.session() as session:
        video_rows = {(r.dataset, r.video_id): r for r in session.scalars(select(VideoRow))}
        for video in videos:
            values = dict(split=video.split, n_frames=video.n_frames, width=video.width,
                          height=video.height, fps=video.fps, source=video.source)
            row = video_rows.get((video.dataset, video.video_id))
            if row is None:
                row = VideoRow(dataset=video.dataset, video_id=video.video_id, **values)
                session.add(row)
                video_rows[(video.dataset, video.video_id)] = row
                counts.added["videos"] += 1
            elif _set_if_changed(row, values):
                counts.updated["videos"] += 1
            else:
                counts.unchanged["videos"] += 1
        session.flush()

        object_rows = {
            (r.video.dataset, r.video.video_id, r.object_id): r
            for r in session.scalars(select(ObjectRow).options(selectinload(ObjectRow.video), selectinload(ObjectRow.boxes)))
        }
        for obj in objects:
            video_row = video_rows.get((obj.dataset, obj.video_id))
            if video_row is None:
                raise StoreError(f"object {obj.object_id} of unknown video {obj.dataset}/{obj.video_id}",
                                 expected="its video imported first")
            key = (obj.dataset, obj.video_id, obj.object_id)
            row = object_rows.get(key)
            is_new = row is None
            if is_new:
                row = ObjectRow(video=video_row, object_id=obj.object_id, category=obj.category)
                session.add(row)
                object_rows[key] = row
            changed = _set_if_changed(row, {"category": obj.category})
            boxes = {f: tuple(b) for f, b in obj.boxes.items()}
            if {b.frame: (b.x1, b.y1, b.x2, b.y2) for b in row.boxes} != boxes:
                row.boxes = [BoxRow(frame=f, x1=b[0], y1=b[1], x2=b[2], y2=b[3]) for f, b in sorted(boxes.items())]
                changed = True
            kind = counts.added if is_new else counts.updated if changed else counts.unchanged
            kind["objects"] += 1
        session.flush()

        instance_rows = {r.key: r for r in session.scalars(select(InstanceRow))}
        for inst in instances:
            row = instance_rows.get(inst.key)
            if row is None:
                object_row = object_rows.get((inst.dataset, inst.video_id, inst.object_id))
                if object_row is None:
                    raise StoreError(f"instance {inst.key} refers to an unknown object", expected="its object imported first")
                row = InstanceRow(key=inst.key, object_pk=object_row.id, source=inst.source, text=inst.text)
                session.add(row)
                instance_rows[inst.key] = row
                counts.added["instances"] += 1
            elif _set_if_changed(row, {"text": inst.text}):
                counts.updated["instances"] += 1
            else:
                counts.unchanged["instances"] += 1
    return counts


def list_instances(store: Store, dataset: str | None = None, split: str | None = None) -> list[Instance]:
    """Stored instances as records, ordered by key."""
    query = (
        select(InstanceRow, ObjectRow.object_id, VideoRow.dataset, VideoRow.video_id)
        .join(ObjectRow, InstanceRow.object_pk == ObjectRow.id)
        .join(VideoRow, ObjectRow.video_pk == VideoRow.id)
        .order_by(InstanceRow.key)
    )
    if dataset is not None:
        query = query.where(VideoRow.dataset == dataset)
    if split is not None:
        query = query.where(VideoRow.split == split)
    with store.session() as session:
        return [
            Instance(dataset=ds, video_id=vid, object_id=oid, source=row.source, text=row.text)
            for row, oid, ds, vid in session.execute(query)
        ]


def list_videos(store: Store, dataset: str | None = None) -> list[Video]:
    query = select(VideoRow).order_by(VideoRow.dataset, VideoRow.video_id)
    if dataset is not None:
        query = query.where(VideoRow.dataset == dataset)
    with store.session() as session:
        return [
            Video(r.dataset, r.video_id, r.split, r.n_frames, r.width, r.height, r.fps, r.source)
            for r in session.scalars(query)
        ]


def list_objects(store: Store, dataset: str, video_id: str) -> list[ObjectRef]:
    query = (
        select(ObjectRow)
        .join(VideoRow)
        .where(VideoRow.dataset == dataset, VideoRow.video_id == video_id)
        .options(selectinload(ObjectRow.boxes))
        .order_by(ObjectRow.object_id)
    )
    with store.session() as session:
        return [
            ObjectRef(dataset, video_id, r.object_id, r.category, {b.frame: (b.x1, b.y1, b.x2, b.y2) for b in r.boxes})
            for r in session.scalars(query)
        ]


def dataset_counts(store: Store) -> list[dict]:
    """Counts of videos, objects and instances per (dataset, split)."""
    rows: dict[tuple[str, str], Counter] = {}
    with store.session() as session:
        for video in session.scalars(select(VideoRow).options(selectinload(VideoRow.objects).selectinload(ObjectRow.instances))):
            c = rows.setdefault((video.dataset, video.split), Counter())
            c["videos"] += 1
            c["objects"] += len(video.objects)
            c["instances"] += sum(len(o.instances) for o in video.objects)
    return [
        {"dataset": ds, "split": split, "videos": c["videos"], "objects": c["objects"], "instances": c["instances"]}
        for (ds, split), c in sorted(rows.items())
    ]


