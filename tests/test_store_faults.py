"""The store under concurrent writers that are killed at random (SIGKILL), on SQLite and PostgreSQL.

WRITERS annotator processes answer their own list of questions through `record_answer`, for
SECONDS, while the test kills one of them every 0.05-0.4 s and starts it again. Each writer keeps
a log of its own (not a queue shared with the test): `begin I` (flushed) before it sends task I,
and `ack I EVENT_ID`, flushed and fsync'ed, once `record_answer` has returned. A restarted writer
goes on after the last task it began, so a task that was in flight when the writer was killed
(begun, never acknowledged) is never sent twice.

Afterwards, for every task: acknowledged -> exactly one answer event for it, the acknowledged
one, with the value sent; begun but not acknowledged -> none or one; never begun -> none. And
the database is sound: `PRAGMA integrity_check` and `PRAGMA foreign_key_check` on SQLite,
every event's foreign keys resolving on PostgreSQL.
"""

import multiprocessing
import os
import random
import signal
import time

import pytest
from sqlalchemy import select, text

from refcat.annotate.accounts import create_user
from refcat.annotate.campaigns import create_campaign
from refcat.annotate.labels import record_answer
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.store.database import open_store
from refcat.store.instances import upsert_records
from refcat.store.schema import InstanceRow, LabelEventRow, UserRow
from refcat.taxonomy import FIELD_VALUES

pytestmark = pytest.mark.slow

WRITERS = 4
SECONDS = 20.0
INSTANCES = 300  # x 10 questions: more tasks than a writer gets through in SECONDS (~2,400 answers in 3 s seen)
CAMPAIGN = "faults"


def writer_names():
    return [f"writer{i}" for i in range(WRITERS)]


def tasks_of(writer, keys, fields):
    """The writer's questions, each once, in an order of its own, with a value of its own."""
    rng = random.Random(writer)
    tasks = [(key, field, rng.choice(FIELD_VALUES[field])) for key in keys for field in fields]
    rng.shuffle(tasks)
    return tasks


def read_log(path):
    """(begun task indices, {acknowledged task index: event id}); a line cut short by a kill is ignored."""
    begun, acked = set(), {}
    if not path.exists():
        return begun, acked
    for line in path.read_text().split("\n")[:-1]:  # the part after the last newline is unfinished
        kind, *numbers = line.split()
        if kind == "begin":
            begun.add(int(numbers[0]))
        else:
            acked[int(numbers[0])] = int(numbers[1])
    return begun, acked


def write(url, writer, tasks, log_path):
    """A writer process: answer the tasks after the last one begun, logging each as the module doc says."""
    store = open_store(url, create=False)
    begun, _ = read_log(log_path)
    with log_path.open("a") as log:
        for index in range(max(begun, default=-1) + 1, len(tasks)):
            key, field, value = tasks[index]
            log.write(f"begin {index}\n")
            log.flush()
            event_id = record_answer(store, writer, CAMPAIGN, key, field, value)
            log.write(f"ack {index} {event_id}\n")
            log.flush()
            os.fsync(log.fileno())


def prepare(store):
    upsert_records(
        store,
        [Video("demo", "crowd", "val", 10, 64, 48)],
        [ObjectRef("demo", "crowd", 1), ObjectRef("demo", "crowd", 2)],
        [Instance("demo", "crowd", 1 + i % 2, f"s{i:03d}", f"expression {i}") for i in range(INSTANCES)],
    )
    for name in writer_names():
        create_user(store, name, f"{name}-password")
    keys = [f"demo/crowd/{1 + i % 2}/s{i:03d}" for i in range(INSTANCES)]
    campaign = create_campaign(store, CAMPAIGN, keys, writer_names(), per_instance=WRITERS, auto_trivial=False)
    return {name: tasks_of(name, keys, campaign.fields) for name in writer_names()}


def run_and_kill(url, tasks, logs, seed=0):
    """Run the writers for SECONDS, killing and restarting one at random all along; returns the kill count."""
    context = multiprocessing.get_context("fork")  # fast restarts; the parent holds no open connection

    def start(name):
        process = context.Process(target=write, args=(url, name, tasks[name], logs[name]), daemon=True)
        process.start()
        return process

    rng = random.Random(seed)
    processes = {name: start(name) for name in tasks}
    kills = 0
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline and any(p.exitcode != 0 for p in processes.values()):
        time.sleep(rng.uniform(0.05, 0.4))
        name = rng.choice(sorted(processes))
        process = processes[name]
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.join()
        assert process.exitcode in (0, -signal.SIGKILL), f"{name} failed (exit code {process.exitcode})"
        if process.exitcode != 0:
            processes[name] = start(name)
    for process in processes.values():  # the last ones die mid-write as well
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
        process.join()
    return kills


def stored_answers(store):
    """(writer, instance key, field) -> [(event id, value)] of every answer event."""
    query = (
        select(UserRow.name, InstanceRow.key, LabelEventRow.field, LabelEventRow.id, LabelEventRow.value)
        .join(UserRow, LabelEventRow.user_pk == UserRow.id)
        .join(InstanceRow, LabelEventRow.instance_pk == InstanceRow.id)
        .where(LabelEventRow.kind == "answer")
    )
    found = {}
    with store.session() as session:
        for writer, key, field, event_id, value in session.execute(query):
            found.setdefault((writer, key, field), []).append((event_id, value))
    return found


def check_integrity(store):
    with store.engine.connect() as conn:
        if store.is_sqlite:
            assert conn.execute(text("PRAGMA integrity_check")).all() == [("ok",)]
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            return
        dangling = conn.execute(
            text(
                "SELECT count(*) FROM label_events e "
                "LEFT JOIN instances i ON e.instance_pk = i.id LEFT JOIN users u ON e.user_pk = u.id "
                "LEFT JOIN campaigns c ON e.campaign_pk = c.id "
                "WHERE i.id IS NULL OR c.id IS NULL OR (e.user_pk IS NOT NULL AND u.id IS NULL)"
            )
        ).scalar_one()
        assert dangling == 0


def test_killed_writers_lose_no_acknowledged_answer_and_duplicate_none(store, tmp_path):
    tasks = prepare(store)
    url = store.engine.url.render_as_string(hide_password=False)
    store.dispose()  # no pooled connection crosses the fork
    logs = {name: tmp_path / f"{name}.log" for name in tasks}

    kills = run_and_kill(url, tasks, logs)

    found = stored_answers(store)
    task_keys = {(name, key, field) for name, own in tasks.items() for key, field, _ in own}
    assert set(found) <= task_keys, "an answer no writer sent"
    acknowledged = in_flight = landed = 0
    for name, own in tasks.items():
        begun, acked = read_log(logs[name])
        assert set(acked) <= begun
        for index, (key, field, value) in enumerate(own):
            events = found.get((name, key, field), [])
            if index in acked:
                assert events == [(acked[index], value)], (name, index)
                acknowledged += 1
            elif index in begun:
                assert len(events) <= 1 and all(v == value for _, v in events), (name, index, events)
                in_flight += 1
                landed += len(events)
            else:
                assert events == [], (name, index)
    assert sum(map(len, found.values())) == acknowledged + landed
    assert in_flight <= kills + WRITERS  # at most one task in flight a killed process
    check_integrity(store)
    # the run did what it is for: many kills, many answers acknowledged in between
    assert kills >= 20 and acknowledged >= 100, (kills, acknowledged, in_flight)
