"""Reliability of the label store (issue 3): concurrent writers lose nothing, a writer killed
in the middle of a transaction leaves the store readable and consistent. SQLite and, with
REFCAT_TEST_PG_URL, PostgreSQL. Refused requests are covered in test_annotate_labels.py."""

import logging
import multiprocessing as mp
import os
import signal
import time

import pytest
from sqlalchemy import func, select, text

from refcat.annotate.accounts import authenticate, create_user, user_for_token
from refcat.annotate.campaigns import create_campaign
from refcat.annotate.labels import answers, events_table, label_table, record_answer
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.store.database import open_store
from refcat.store.instances import upsert_records
from refcat.store.schema import LabelEventRow
from refcat.taxonomy import FIELD_VALUES

# The figures on SQLite: 20 writers x 500 answers (50 instances x 10 questions).
# PostgreSQL, a server built for concurrent clients, gets 20 x 100 to keep the suite short.
# Both can be changed with REFCAT_TEST_WRITERS / REFCAT_TEST_INSTANCES.
N_WRITERS = int(os.environ.get("REFCAT_TEST_WRITERS", 20))
N_INSTANCES = {
    "sqlite": int(os.environ.get("REFCAT_TEST_INSTANCES", 50)),
    "postgresql": int(os.environ.get("REFCAT_TEST_INSTANCES", 10)),
}
FORK = mp.get_context("fork")


def _url(store):
    return store.engine.url.render_as_string(hide_password=False)


def _setup(store, n_users, n_instances):
    """One video with two objects (so nothing is automatic); instances on object 1."""
    upsert_records(
        store,
        [Video("demo", "duo", "val", 10, 64, 48)],
        [ObjectRef("demo", "duo", 1), ObjectRef("demo", "duo", 2)],
        [Instance("demo", "duo", 1, f"s{i:03d}", f"expression {i}") for i in range(n_instances)],
    )
    names = [f"w{i:02d}" for i in range(n_users)]
    for name in names:
        create_user(store, name, name, demo=True)
    keys = [f"demo/duo/1/s{i:03d}" for i in range(n_instances)]
    # every question answered, whatever the correctness: no question is skipped after "no RE"
    campaign = create_campaign(store, "c", keys, names, per_instance=n_users, skip_after_invalid=False)
    return names, keys, campaign.fields


def _value(writer, instance, field_index, field):
    values = FIELD_VALUES[field]
    return values[(writer + instance + field_index) % len(values)]


def _count(store):
    with store.session() as session:
        return session.scalar(select(func.count(LabelEventRow.id)))


class _Count(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _writer(url, writer, keys, fields, go, results):
    retries = _Count()
    logging.getLogger("refcat.store.retry").addHandler(retries)
    store = open_store(url, create=False)
    user = user_for_token(store, authenticate(store, f"w{writer:02d}", f"w{writer:02d}"))
    go.wait()
    start = time.perf_counter()
    for i, key in enumerate(keys):
        for j, field in enumerate(fields):
            record_answer(store, user, "c", key, field, _value(writer, i, j, field), round=1)
    results.put((writer, retries.messages, time.perf_counter() - start))
    store.dispose()


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(store):
    names, keys, fields = _setup(store, N_WRITERS, N_INSTANCES[store.engine.dialect.name])
    url = _url(store)
    store.dispose()  # no connection crosses the fork
    go, results = FORK.Event(), FORK.Queue()
    procs = [FORK.Process(target=_writer, args=(url, w, keys, fields, go, results)) for w in range(N_WRITERS)]
    for p in procs:
        p.start()
    started = time.perf_counter()
    go.set()
    reports = [results.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * N_WRITERS
    n = N_WRITERS * len(keys) * len(fields)
    retried = [m for r in reports for m in r[1]]
    print(
        f"\n{store.engine.dialect.name}: {N_WRITERS} writers x {len(keys) * len(fields)} answers = {n} events "
        f"in {elapsed:.1f} s ({n / elapsed:.0f}/s); transactions retried after a transient conflict: {len(retried)}"
    )
    for message in sorted(set(retried))[:5]:
        print("  ", message)
    assert _count(store) == n
    events = events_table(store, "c")
    assert events["event_id"].is_unique and set(events["kind"]) == {"answer"}
    assert events.groupby("annotator").size().to_dict() == {name: len(keys) * len(fields) for name in names}
    table = label_table(store, "c", round=1)
    assert len(table) == n
    expected = {
        (f"w{w:02d}", key, field): _value(w, i, j, field)
        for w in range(N_WRITERS)
        for i, key in enumerate(keys)
        for j, field in enumerate(fields)
    }
    got = {(a, item, field): label for item, a, field, label in table.itertuples(index=False)}
    assert got == expected


def _open_transaction_then_hang(url, committed_ready, partial_ready):
    """Commits two answers, then writes 2000 events and a round change without committing, and waits."""
    store = open_store(url, create=False)
    record_answer(store, "w00", "c", "demo/duo/1/s000", "difficulty", "trivial")
    record_answer(store, "w00", "c", "demo/duo/1/s000", "correctness", "no-re")
    committed_ready.set()
    with store.session() as session:
        from refcat.store.schema import RoundRow

        session.execute(text("UPDATE rounds SET kind = 'garbage'"))
        for i in range(2000):
            session.add(
                LabelEventRow(
                    campaign_pk=1,
                    instance_pk=1,
                    user_pk=1,
                    round=1,
                    kind="answer",
                    field="difficulty",
                    value="non-trivial",
                )
            )
            if i % 500 == 499:
                session.flush()
        assert session.scalar(select(func.count(RoundRow.id)).where(RoundRow.kind == "garbage")) == 1
        partial_ready.set()
        time.sleep(600)


def test_writer_killed_mid_transaction_leaves_store_consistent(store):
    _setup(store, 2, n_instances=3)
    record_answer(store, "w01", "c", "demo/duo/1/s001", "motion", "yes")
    url, path = _url(store), store.engine.url.database
    store.dispose()
    committed, partial = FORK.Event(), FORK.Event()
    proc = FORK.Process(target=_open_transaction_then_hang, args=(url, committed, partial))
    proc.start()
    assert partial.wait(timeout=120), "the writer never got to its open transaction"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL

    again = open_store(url, create=False)  # opens: schema and version readable
    try:
        if again.is_sqlite:
            with again.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            assert os.path.exists(path)
        assert _count(again) == 3  # earlier commits present, the 2000 partial rows absent
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT kind FROM rounds")).scalars().all() == ["label"]
        assert answers(again, "w00", "c", "demo/duo/1/s000") == {"difficulty": "trivial", "correctness": "no-re"}
        # The killed writer's lock is gone: the store takes new answers at once.
        record_answer(again, "w01", "c", "demo/duo/1/s002", "static", "no")
        assert _count(again) == 4
    finally:
        again.dispose()


def _answer_forever(url, acks):
    store = open_store(url, create=False)
    values = ("yes", "no")
    for i in range(100_000):
        event_id = record_answer(store, "w00", "c", "demo/duo/1/s000", "appearance", values[i % 2])
        acks.put(event_id)


def test_writer_killed_while_committing_loses_no_acknowledged_answer(store):
    _setup(store, 1, n_instances=1)
    url = _url(store)
    store.dispose()
    acks = FORK.Queue()
    proc = FORK.Process(target=_answer_forever, args=(url, acks))
    proc.start()
    acked = [acks.get(timeout=120) for _ in range(30)]
    os.kill(proc.pid, signal.SIGKILL)  # somewhere in the middle of a later answer
    proc.join(timeout=30)
    while not acks.empty():
        acked.append(acks.get())
    again = open_store(url, create=False)
    try:
        if again.is_sqlite:
            with again.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        ids = events_table(again, "c")["event_id"].tolist()
        # Every acknowledged answer is there; at most the one in flight committed unacknowledged.
        assert ids[: len(acked)] == acked and len(ids) - len(acked) in (0, 1)
        expected = ("yes", "no")[(len(ids) - 1) % 2]
        assert answers(again, "w00", "c", "demo/duo/1/s000") == {"appearance": expected}
    finally:
        again.dispose()


class _PgError(Exception):
    def __init__(self, pgcode):
        super().__init__(f"pg error {pgcode}")
        self.pgcode = pgcode


def test_transient_conflicts_are_retried_and_others_are_not(monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from refcat.errors import StoreError
    from refcat.store import retry

    monkeypatch.setattr(retry.time, "sleep", lambda _s: None)
    failures = [
        OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")),
        OperationalError("INSERT", {}, _PgError("40P01")),
    ]
    calls = []

    @retry.retry_transient
    def flaky():
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    assert flaky() == "done" and len(calls) == 3

    @retry.retry_transient
    def broken():
        calls.append(1)
        raise OperationalError("INSERT", {}, _PgError("23505"))  # unique violation: not transient

    calls.clear()
    with pytest.raises(OperationalError):
        broken()
    assert len(calls) == 1

    @retry.retry_transient
    def always_busy():
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    with pytest.raises(StoreError, match=f"busy through {retry.ATTEMPTS} attempts"):
        always_busy()
