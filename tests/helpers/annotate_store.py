"""A small store for the annotation tests: two videos, one with two objects, one with one.

Instance keys (sorted, the campaign order):
  demo/duo/1/annot1, demo/duo/1/annot2, demo/duo/2/annot1   (video "duo": two objects)
  demo/solo/1/annot1                                         (video "solo": one object -> auto trivial)
"""

from refcat.annotate.accounts import create_user
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.store.instances import upsert_records

DUO_A, DUO_B, DUO_C, SOLO = "demo/duo/1/annot1", "demo/duo/1/annot2", "demo/duo/2/annot1", "demo/solo/1/annot1"
KEYS = [DUO_A, DUO_B, DUO_C, SOLO]


def populate(store, annotators=("ann1", "ann2", "ann3"), admin="boss"):
    upsert_records(
        store,
        [Video("demo", "duo", "val", 10, 64, 48, 10.0), Video("demo", "solo", "train", 5, 64, 48, 10.0)],
        [
            ObjectRef("demo", "duo", 1, "dog", {0: (1, 1, 5, 5)}),
            ObjectRef("demo", "duo", 2, "dog", {0: (9, 9, 20, 20)}),
            ObjectRef("demo", "solo", 1, "cat", {0: (2, 2, 8, 8)}),
        ],
        [
            Instance("demo", "duo", 1, "annot1", "the dog on the left"),
            Instance("demo", "duo", 1, "annot2", "a brown dog running"),
            Instance("demo", "duo", 2, "annot1", "the dog on the right"),
            Instance("demo", "solo", 1, "annot1", "a cat"),
        ],
    )
    for name in annotators:
        create_user(store, name, name, demo=True)
    if admin:
        create_user(store, admin, admin, role="admin", demo=True)


def event_count(store):
    from sqlalchemy import func, select

    from refcat.store.schema import LabelEventRow

    with store.session() as session:
        return session.scalar(select(func.count(LabelEventRow.id)))
