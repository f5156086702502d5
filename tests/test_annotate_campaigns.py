"""Campaigns: instance selection, balanced deterministic assignment, automatic trivial labels,
rounds, progress, the demo project."""

import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, KEYS, SOLO, event_count, populate

from refcat.annotate.campaigns import (
    close_round,
    create_campaign,
    current_round,
    get_campaign,
    list_campaigns,
    progress,
    select_instances,
)
from refcat.annotate.demo_project import create_demo_project
from refcat.annotate.labels import events_table, questions_for, queue, record_answer
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.taxonomy import CATEGORY_NAMES


def test_select_instances(store):
    populate(store)
    assert select_instances(store) == KEYS
    assert select_instances(store, dataset="demo", min_objects=2) == [DUO_A, DUO_B, DUO_C]
    assert select_instances(store, split="train") == [SOLO]
    assert select_instances(store, video_ids=["solo"]) == [SOLO]
    assert select_instances(store, dataset="davis") == []


def test_round_robin_assignment_is_balanced_and_deterministic(store):
    populate(store, annotators=("a", "b", "c", "d"))
    camp = create_campaign(store, "c1", KEYS, ["a", "b", "c", "d"], per_instance=2)
    # Instance i goes to annotators 2i and 2i+1 (mod 4): a,b / c,d / a,b / c,d.
    assert [q.instance_key for q in queue(store, "a", camp)] == [DUO_A, DUO_C]
    assert [q.instance_key for q in queue(store, "d", camp)] == [DUO_B, SOLO]
    assert [q.position for q in queue(store, "d", camp)] == [0, 1]
    assert camp.n_instances == 4 and camp.annotators == ("a", "b", "c", "d") and camp.status == "label"
    assert camp.fields == ("difficulty", "correctness", *CATEGORY_NAMES, "information")


def test_auto_trivial_for_single_object_videos(store):
    populate(store)
    create_campaign(store, "c1", KEYS, ["ann1", "ann2", "ann3"], created_by="boss")
    assert questions_for(store, "c1", SOLO) == ["correctness", *CATEGORY_NAMES, "information"]
    assert questions_for(store, "c1", DUO_A)[:2] == ["difficulty", "correctness"]
    events = events_table(store, "c1")
    assert events[["instance", "annotator", "question", "answer", "kind"]].values.tolist() == [
        [SOLO, "auto", "difficulty", "trivial", "auto"]
    ]
    create_campaign(store, "c2", KEYS, ["ann1", "ann2", "ann3"], auto_trivial=False, question_sets=("difficulty",))
    assert questions_for(store, "c2", SOLO) == ["difficulty", "correctness"]
    assert len(events_table(store, "c2")) == 0
    create_campaign(store, "c3", KEYS, ["ann1"], per_instance=1, question_sets=("semantics",))
    assert len(events_table(store, "c3")) == 0  # difficulty not asked: nothing automatic
    assert [c.name for c in list_campaigns(store)] == ["c1", "c2", "c3"]
    assert get_campaign(store, "c1").created_by == "boss"


def test_bad_campaigns_are_refused(store):
    populate(store)
    with pytest.raises(UsageError, match="unknown annotator 'zed'"):
        create_campaign(store, "x", KEYS, ["ann1", "zed"], per_instance=1)
    with pytest.raises(UsageError, match="3 annotators per instance with 2"):
        create_campaign(store, "x", KEYS, ["ann1", "ann2"])
    with pytest.raises(StoreError, match="unknown instances"):
        create_campaign(store, "x", [*KEYS, "demo/nope/1/annot1"], ["ann1"], per_instance=1)
    with pytest.raises(UsageError, match="unknown question sets"):
        create_campaign(store, "x", KEYS, ["ann1"], per_instance=1, question_sets=("colour",))
    with pytest.raises(PermissionDenied, match="only admins may create"):
        create_campaign(store, "x", KEYS, ["ann1"], per_instance=1, created_by="ann2")
    create_campaign(store, "x", KEYS, ["ann1"], per_instance=1)
    with pytest.raises(UsageError, match="already exists"):
        create_campaign(store, "x", KEYS, ["ann1"], per_instance=1)
    with pytest.raises(StoreError, match="unknown campaign"):
        get_campaign(store, "y")


def test_rounds_open_close_and_finish(store):
    populate(store)
    create_campaign(store, "c1", KEYS, ["ann1", "ann2", "ann3"])
    first = current_round(store, "c1")
    assert (first.number, first.kind, first.open) == (1, "label", True)
    with pytest.raises(PermissionDenied, match="only admins may close"):
        close_round(store, "c1", "ann1")
    revision = close_round(store, "c1", "boss")
    assert (revision.number, revision.kind, revision.open) == (2, "revision", True)
    assert get_campaign(store, "c1").status == "revision"
    last = close_round(store, "c1", "boss")
    assert (last.number, last.kind, last.open) == (2, "revision", False)
    assert get_campaign(store, "c1").status == "finished" and not current_round(store, "c1").open
    with pytest.raises(StoreError, match="finished"):
        close_round(store, "c1", "boss")


def test_progress_counts_complete_items(store):
    populate(store)
    camp = create_campaign(store, "c1", [DUO_A, SOLO], ["ann1", "ann2", "ann3"])
    for f in questions_for(store, camp, SOLO):
        record_answer(
            store,
            "ann1",
            camp,
            SOLO,
            f,
            "yes" if f in CATEGORY_NAMES else {"correctness": "valid", "information": "minimal"}[f],
        )
    record_answer(store, "ann2", camp, DUO_A, "difficulty", "trivial")  # one answer: not complete
    table = progress(store, camp)
    assert table.values.tolist() == [
        ["ann1", 1, 2, 1, 1],
        ["ann2", 1, 2, 0, 2],
        ["ann3", 1, 2, 0, 2],
        ["total", 1, 6, 1, 5],
    ]
    assert list(table.columns) == ["annotator", "round", "assigned", "complete", "remaining"]


def test_demo_project_is_idempotent(store):
    populate(store, annotators=("ann1",), admin=None)
    first = create_demo_project(store)
    assert first["users"] == {"admin": "admin", "ann1": "ann1", "ann2": "ann2", "ann3": "ann3"}
    assert first["created"] == ["user admin", "user ann2", "user ann3", "campaign demo"]
    assert first["instances"] == 4
    n = event_count(store)
    second = create_demo_project(store)
    assert second["created"] == [] and event_count(store) == n
    assert get_campaign(store, "demo").annotators == ("ann1", "ann2", "ann3")


def test_demo_project_needs_demo_instances(store):
    with pytest.raises(StoreError, match="no instances of the demo dataset"):
        create_demo_project(store)


def test_pre_annotation_is_off_unless_asked_for(store):
    populate(store)
    assert not create_campaign(store, "blind", KEYS, ["ann1"], per_instance=1).pre_annotate
    assert create_campaign(store, "helped", KEYS, ["ann1"], per_instance=1, pre_annotate=True).pre_annotate
    assert {c.name: c.pre_annotate for c in list_campaigns(store)} == {"blind": False, "helped": True}
    assert event_count(store) == 2  # the automatic trivial of SOLO in each; suggestions write nothing


def test_campaign_create_pre_annotate_flag(tmp_path, capsys):
    from refcat.cli import main
    from refcat.store.database import open_store

    db = str(tmp_path / "cli.db")
    store = open_store(db)
    populate(store)
    store.dispose()
    base = ["campaign", "create", "--dataset", "demo", "--annotators", "ann1", "--per-instance", "1", "--db", db]
    assert main([*base[:2], "plain", *base[2:]]) == 0
    assert main([*base[:2], "helped", *base[2:], "--pre-annotate"]) == 0
    assert "automatic suggestions shown" in capsys.readouterr().out.splitlines()[-1]
    store = open_store(db)
    assert (get_campaign(store, "plain").pre_annotate, get_campaign(store, "helped").pre_annotate) == (False, True)
    store.dispose()
