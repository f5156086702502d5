"""Annotation store speed: one answer (all its checks) against a bare insert of the same event,
and the reads a page makes (queue, resume position) and the admin tables, as a campaign grows.

Run: .venv/bin/python benchmarks/bench_store.py [--instances 200] [--answers 300]
Prints milliseconds per call and ratios against the bare insert measured in the same process.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from refcat.annotate.accounts import create_user
from refcat.annotate.campaigns import create_campaign
from refcat.annotate.labels import (
    disagreements,
    label_table,
    queue,
    record_answer,
    resume_position,
)
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.store.database import open_store
from refcat.store.instances import upsert_records
from refcat.store.schema import LabelEventRow, utcnow
from refcat.taxonomy import FIELD_VALUES

ANNOTATORS = ("ann1", "ann2", "ann3")


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200, help="instances in the campaign (default %(default)s)")
    parser.add_argument("--answers", type=int, default=300, help="answers timed one by one (default %(default)s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        upsert_records(
            store,
            [Video("demo", "v", "val", 10, 64, 48)],
            [ObjectRef("demo", "v", 1), ObjectRef("demo", "v", 2)],
            [Instance("demo", "v", 1, f"s{i:04d}", f"expression {i}") for i in range(args.instances)],
        )
        for name in ANNOTATORS:
            create_user(store, name, name, demo=True)
        keys = [f"demo/v/1/s{i:04d}" for i in range(args.instances)]
        campaign = create_campaign(store, "bench", keys, list(ANNOTATORS))
        answers = [(user, key, field) for key in keys for field in campaign.fields for user in ANNOTATORS]

        def bare_insert():
            with store.session() as session:
                session.execute(
                    insert(LabelEventRow),
                    dict(
                        campaign_pk=campaign.id,
                        instance_pk=1,
                        user_pk=1,
                        round=1,
                        kind="answer",
                        field="motion",
                        value="yes",
                        created_at=utcnow(),
                    ),
                )

        baseline = statistics.median(_timed(bare_insert, args.answers))
        print(f"bare insert of one event (own transaction): {baseline:.2f} ms")

        pending = iter(answers)

        def one_answer():
            user, key, field = next(pending)
            record_answer(store, user, "bench", key, field, FIELD_VALUES[field][0])

        checked = statistics.median(_timed(one_answer, args.answers))
        print(
            f"record_answer (checks + insert + round re-check): {checked:.2f} ms  "
            f"= {checked / baseline:.1f}x bare insert"
        )

        for user, key, field in pending:  # fill the campaign, untimed
            record_answer(store, user, "bench", key, field, FIELD_VALUES[field][0])
        n_events = len(answers) + args.answers
        print(
            f"campaign filled: {args.instances} instances x {len(campaign.fields)} questions x "
            f"{len(ANNOTATORS)} annotators ({n_events} events)"
        )
        for name, fn, repeat in (
            ("queue (blind round)", lambda: queue(store, "ann1", "bench"), 10),
            ("resume_position", lambda: resume_position(store, "ann1", "bench"), 10),
            ("label_table", lambda: label_table(store, "bench"), 3),
            ("disagreements", lambda: disagreements(store, "bench"), 3),
        ):
            ms = statistics.median(_timed(fn, repeat))
            print(f"{name}: {ms:.1f} ms  = {ms / baseline:.0f}x bare insert")
        store.dispose()


if __name__ == "__main__":
    main()
