"""The store: schema version, idempotent import, SQLite pragmas, and the same code on PostgreSQL."""

import pytest
from sqlalchemy import text

from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.errors import StoreError
from refcat.store.database import open_store
from refcat.store.instances import (
    dataset_counts,
    list_instances,
    list_objects,
    upsert_records,
)
from refcat.store.schema import Meta

VIDEOS = [
    Video("davis", "blackswan", "val", 50, 854, 480, 24.0, "/d/blackswan"),
    Video("a2d", "-0cOo0cRVZU", "test", 120, 320, 240, 30.0, "/a/x.mp4"),
]
OBJECTS = [
    ObjectRef("davis", "blackswan", 1, "bird", {0: (10, 20, 30, 40), 1: (11, 21, 31, 41)}),
    ObjectRef("a2d", "-0cOo0cRVZU", 0, "adult", {4: (0, 0, 5, 5)}),
]
INSTANCES = [
    Instance("davis", "blackswan", 1, "annot1", "a black feathered swan"),
    Instance("davis", "blackswan", 1, "annot2", 'caf\u00e9 swan, "quoted"'),
    Instance("a2d", "-0cOo0cRVZU", 0, "sentence0", "player in blue shirt passing a basketball on left"),
]


def test_import_twice_changes_nothing(store):
    first = upsert_records(store, VIDEOS, OBJECTS, INSTANCES)
    assert (first.added["videos"], first.added["objects"], first.added["instances"]) == (2, 2, 3)
    second = upsert_records(store, VIDEOS, OBJECTS, INSTANCES)
    assert sum(second.added.values()) == 0 and sum(second.updated.values()) == 0
    assert (second.unchanged["videos"], second.unchanged["objects"], second.unchanged["instances"]) == (2, 2, 3)
    assert [i.key for i in list_instances(store)] == sorted(i.key for i in INSTANCES)
    assert dataset_counts(store) == [
        {"dataset": "a2d", "split": "test", "videos": 1, "objects": 1, "instances": 1},
        {"dataset": "davis", "split": "val", "videos": 1, "objects": 1, "instances": 2},
    ]


def test_update_is_counted_and_kept(store):
    upsert_records(store, VIDEOS, OBJECTS, INSTANCES)
    moved = ObjectRef("davis", "blackswan", 1, "swan", {0: (10, 20, 30, 40)})
    edited = Instance("davis", "blackswan", 1, "annot1", "a black swan")
    counts = upsert_records(store, [], [moved], [edited])
    assert counts.updated["objects"] == 1 and counts.updated["instances"] == 1
    (obj,) = list_objects(store, "davis", "blackswan")
    assert obj.category == "swan" and obj.boxes == {0: (10, 20, 30, 40)}
    assert {i.key: i.text for i in list_instances(store, dataset="davis")}["davis/blackswan/1/annot1"] == "a black swan"


def test_unicode_and_dash_ids_round_trip(store):
    upsert_records(store, VIDEOS, OBJECTS, INSTANCES)
    got = {i.key: i for i in list_instances(store)}
    assert got["davis/blackswan/1/annot2"].text == 'caf\u00e9 swan, "quoted"'
    assert got["a2d/-0cOo0cRVZU/0/sentence0"] == INSTANCES[2]


def test_orphan_instance_is_refused(store):
    with pytest.raises(StoreError, match="unknown object"):
        upsert_records(store, [], [], [Instance("davis", "nope", 1, "annot1", "x")])


def test_sqlite_pragmas(tmp_path):
    s = open_store(tmp_path / "s.db")
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_schema_version_is_checked(tmp_path):
    path = tmp_path / "s.db"
    s = open_store(path)
    with s.session() as session:
        session.get(Meta, "schema_version").value = "999"
    s.dispose()
    with pytest.raises(StoreError, match="schema version is 999"):
        open_store(path)


def test_missing_store_without_create(tmp_path):
    with pytest.raises(StoreError, match="no refcat store"):
        open_store(tmp_path / "absent.db", create=False)
