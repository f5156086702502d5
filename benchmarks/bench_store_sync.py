"""SQLite's `synchronous` level and what it costs: answers per second through `record_answer` with
synchronous=NORMAL and with synchronous=FULL (the store's setting, refcat.store.database), measured
in the same run on the same disk, one writer, each answer its own transaction as in the app; and,
to show the sync alone, bare one-row commits per second at each level.

In WAL mode NORMAL syncs the log only at checkpoints, so the last commits before a power loss or an
OS crash can be lost (never on a crash of the process alone); FULL syncs the log at every commit.
The store file goes in --dir (default: a temporary folder in the current directory, not /tmp, which
may be a RAM disk where a sync costs nothing). Run:
    .venv/bin/python benchmarks/bench_store_sync.py [--answers 600] [--repeats 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from refcat.annotate.accounts import create_user
from refcat.annotate.campaigns import create_campaign
from refcat.annotate.labels import record_answer
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.store import database
from refcat.store.instances import upsert_records
from refcat.taxonomy import FIELD_VALUES

LEVELS = ("NORMAL", "FULL")
PRAGMA_VALUES = {"NORMAL": 1, "FULL": 2}


def answers_per_second(folder: Path, level: str, n_answers: int) -> float:
    """A fresh store at `level`; `n_answers` answers of one annotator, one by one; answers/s."""
    database.SQLITE_SYNCHRONOUS = level  # read by every new connection
    store = database.open_store(folder / f"bench-{level}.db")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar_one() == PRAGMA_VALUES[level]
    n_instances = n_answers // 10 + 1
    upsert_records(
        store,
        [Video("demo", "v", "val", 10, 64, 48)],
        [ObjectRef("demo", "v", 1), ObjectRef("demo", "v", 2)],
        [Instance("demo", "v", 1 + i % 2, f"s{i:05d}", f"expression {i}") for i in range(n_instances)],
    )
    create_user(store, "ann1", "ann1-benchmark-password")
    keys = [f"demo/v/{1 + i % 2}/s{i:05d}" for i in range(n_instances)]
    campaign = create_campaign(store, "bench", keys, ["ann1"], per_instance=1, auto_trivial=False)
    answers = [(key, field, FIELD_VALUES[field][0]) for key in keys for field in campaign.fields][:n_answers]
    record_answer(store, "ann1", "bench", *answers[0])  # warm the caches
    start = time.perf_counter()
    for key, field, value in answers[1:]:
        record_answer(store, "ann1", "bench", key, field, value)
    elapsed = time.perf_counter() - start
    store.dispose()
    return (len(answers) - 1) / elapsed


def commits_per_second(folder: Path, level: str, n_commits: int) -> float:
    """A fresh store at `level`; `n_commits` transactions of one tiny insert each; commits/s."""
    database.SQLITE_SYNCHRONOUS = level
    store = database.open_store(folder / f"commits-{level}.db")
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_commits (n INTEGER)"))
    start = time.perf_counter()
    for n in range(n_commits):
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_commits VALUES (:n)"), {"n": n})
    elapsed = time.perf_counter() - start
    store.dispose()
    return n_commits / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=600, help="answers timed per run (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per level, alternating (default %(default)s)")
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where the store files go (default: here)")
    args = parser.parse_args()

    rates: dict[str, list[float]] = {level: [] for level in LEVELS}
    commits: dict[str, list[float]] = {level: [] for level in LEVELS}
    with tempfile.TemporaryDirectory(prefix="bench-sync-", dir=args.dir) as tmp:
        for repeat in range(args.repeats):
            for level in LEVELS:
                run = Path(tmp) / f"run{repeat}"
                run.mkdir(exist_ok=True)
                rates[level].append(answers_per_second(run, level, args.answers))
                commits[level].append(commits_per_second(run, level, args.answers))
    print(f"{args.answers} answers (and bare commits) a run, {args.repeats} runs a level, store files in {args.dir}")
    for name, table in (("answers", rates), ("bare commits", commits)):
        for level in LEVELS:
            values = ", ".join(f"{r:.0f}" for r in table[level])
            print(f"synchronous={level:<6}  median {statistics.median(table[level]):8.1f} {name}/s  (runs: {values})")
        ratio = statistics.median(table["FULL"]) / statistics.median(table["NORMAL"])
        print(f"  {name}: FULL / NORMAL = {ratio:.2f}")


if __name__ == "__main__":
    main()
