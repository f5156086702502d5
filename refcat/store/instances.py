"""Dataset records in the store: upsert videos, objects and instances; list and count them.

Records are the readers' dataclasses (refcat.datasets.records); an upsert adds what is new,
updates what changed and leaves the rest, so that importing twice adds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.errors import StoreError
from refcat.store.database import Store, check_row
from refcat.store.schema import BoxRow, InstanceRow, ObjectRow, VideoRow


@dataclass
class ImportCounts:
    """What an import did, per kind of record ('videos', 'objects', 'instances')."""

    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        kinds = ("videos", "objects", "instances")
        return ", ".join(
            f"{kind}: {self.added[kind]} added, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            for kind in kinds
        )

    def count(self, kind: str, *, new: bool, changed: bool) -> None:
        """Count one record of `kind`: added when `new`, else updated when `changed`, else unchanged."""
        tally = self.added if new else self.updated if changed else self.unchanged
        tally[kind] += 1


def _set_if_changed(row: object, values: dict[str, object]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


VideoKey = tuple[str, str]  # (dataset, video_id)
ObjectKey = tuple[str, str, int]  # (dataset, video_id, object_id)


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
        video_rows = _upsert_videos(session, videos, counts)
        object_rows = _upsert_objects(session, video_rows, objects, counts)
        _upsert_instances(session, object_rows, instances, counts)
    return counts


def _upsert_videos(session: Session, videos: Iterable[Video], counts: ImportCounts) -> dict[VideoKey, VideoRow]:
    """Every stored video by its key, those of `videos` added or updated."""
    rows = {(r.dataset, r.video_id): r for r in session.scalars(select(VideoRow))}
    for video in videos:
        values: dict[str, object] = dict(
            split=video.split,
            n_frames=video.n_frames,
            width=video.width,
            height=video.height,
            fps=video.fps,
            source=video.source,
        )
        row = rows.get((video.dataset, video.video_id))
        if row is not None:
            counts.count("videos", new=False, changed=_set_if_changed(row, values))
            continue
        row = rows[(video.dataset, video.video_id)] = VideoRow(dataset=video.dataset, video_id=video.video_id, **values)
        check_row(row, f"video {video.dataset}/{video.video_id}")
        session.add(row)
        counts.count("videos", new=True, changed=False)
    session.flush()
    return rows


def _upsert_objects(
    session: Session, video_rows: dict[VideoKey, VideoRow], objects: Iterable[ObjectRef], counts: ImportCounts
) -> dict[ObjectKey, ObjectRow]:
    """Every stored object by its key, those of `objects` (of videos in `video_rows`) added or updated."""
    rows = {
        (r.video.dataset, r.video.video_id, r.object_id): r
        for r in session.scalars(
            select(ObjectRow).options(selectinload(ObjectRow.video), selectinload(ObjectRow.boxes))
        )
    }
    for obj in objects:
        video_row = video_rows.get((obj.dataset, obj.video_id))
        if video_row is None:
            raise StoreError(
                f"object {obj.object_id} of unknown video {obj.dataset}/{obj.video_id}",
                expected="its video imported first",
            )
        key = (obj.dataset, obj.video_id, obj.object_id)
        row = rows.get(key)
        is_new = row is None
        if row is None:
            row = rows[key] = ObjectRow(video=video_row, object_id=obj.object_id, category=obj.category)
            session.add(row)
        changed = _set_if_changed(row, {"category": obj.category})
        check_row(row, f"object {obj.object_id} of video {obj.dataset}/{obj.video_id}")
        boxes = {f: tuple(b) for f, b in obj.boxes.items()}
        if {b.frame: (b.x1, b.y1, b.x2, b.y2) for b in row.boxes} != boxes:
            row.boxes = [BoxRow(frame=f, x1=b[0], y1=b[1], x2=b[2], y2=b[3]) for f, b in sorted(boxes.items())]
            changed = True
        counts.count("objects", new=is_new, changed=changed)
    session.flush()
    return rows


def _upsert_instances(
    session: Session, object_rows: dict[ObjectKey, ObjectRow], instances: Iterable[Instance], counts: ImportCounts
) -> None:
    """Add or update `instances`, each of an object in `object_rows`; only an instance's text is ever updated."""
    rows = {r.key: r for r in session.scalars(select(InstanceRow))}
    for inst in instances:
        row = rows.get(inst.key)
        if row is not None:
            counts.count("instances", new=False, changed=_set_if_changed(row, {"text": inst.text}))
            check_row(row, f"instance {inst.key}")
            continue
        object_row = object_rows.get((inst.dataset, inst.video_id, inst.object_id))
        if object_row is None:
            raise StoreError(f"instance {inst.key} refers to an unknown object", expected="its object imported first")
        row = rows[inst.key] = InstanceRow(key=inst.key, object_pk=object_row.id, source=inst.source, text=inst.text)
        check_row(row, f"instance {inst.key}")
        session.add(row)
        counts.count("instances", new=True, changed=False)


def stored_objects(store: Store, dataset: str) -> set[tuple[str, int]]:
    """(video_id, object_id) of every stored object of `dataset`."""
    query = select(VideoRow.video_id, ObjectRow.object_id).join(ObjectRow.video).where(VideoRow.dataset == dataset)
    with store.session() as session:
        return {(video_id, object_id) for video_id, object_id in session.execute(query)}


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


def dataset_counts(store: Store) -> list[dict[str, str | int]]:
    """Counts of videos, objects and instances per (dataset, split)."""
    rows: dict[tuple[str, str], Counter[str]] = {}
    with store.session() as session:
        for video in session.scalars(
            select(VideoRow).options(selectinload(VideoRow.objects).selectinload(ObjectRow.instances))
        ):
            c = rows.setdefault((video.dataset, video.split), Counter())
            c["videos"] += 1
            c["objects"] += len(video.objects)
            c["instances"] += sum(len(o.instances) for o in video.objects)
    return [
        {"dataset": ds, "split": split, "videos": c["videos"], "objects": c["objects"], "instances": c["instances"]}
        for (ds, split), c in sorted(rows.items())
    ]
