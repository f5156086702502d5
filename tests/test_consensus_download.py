"""The consensus download names every instance it leaves out, and why (tie, too few answers, round
not finished: too few answers while more can still come), beside the file; rows that share video,
object and text are told apart by their source column. Library, CLI and the app's Export page, which
also offers the time on item beside the long table of answers."""

import io
from datetime import datetime, timedelta

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_C, SOLO, populate
from helpers.app_test import page_as
from sqlalchemy import select, update

from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.export import (
    LEFT_OUT_COLUMNS,
    TIME_ON_ITEM_COLUMNS,
    answers_to_come,
    consensus_release,
    left_out_path,
    write_consensus_release,
)
from refcat.annotate.labels import questions_for, record_answer
from refcat.annotate.state import instance_row
from refcat.cli import main
from refcat.datasets.records import Instance
from refcat.datasets.release import read_release
from refcat.store.instances import upsert_records
from refcat.store.schema import LabelEventRow, UserRow
from refcat.taxonomy import CATEGORY_NAMES, FIELD_VALUES

FULL = "demo/duo/1/annot1_full_video"  # the same object and text as DUO_A, written after the full video


def _answer_all(store, user, key, correctness="valid", campaign="c"):
    for f in questions_for(store, campaign, key):
        record_answer(store, user, campaign, key, f, correctness if f == "correctness" else FIELD_VALUES[f][0])


@pytest.fixture
def labelled(store):
    populate(store)
    upsert_records(store, [], [], [Instance("demo", "duo", 1, "annot1_full_video", "the dog on the left")])
    create_campaign(store, "c", [DUO_A, FULL, DUO_C, SOLO], ["ann1", "ann2", "ann3"], created_by="boss")
    for user in ("ann1", "ann2", "ann3"):
        _answer_all(store, user, DUO_A)
        _answer_all(store, user, FULL, "valid" if user != "ann3" else "no-re")
        _answer_all(store, user, SOLO)
    # DUO_C: a tie on correctness (valid, no-re) with ann3 not answering it.
    _answer_all(store, "ann1", DUO_C, "valid")
    _answer_all(store, "ann2", DUO_C, "no-re")
    return store


def test_left_out_names_a_tie_with_its_answers(labelled, tmp_path):
    store = labelled
    close_round(store, "c", "boss")
    # In revision, DUO_C has 2 answers of 3 and a 1-1 tie: the tie is named.
    result = consensus_release(store, "c")
    assert result.left_out.columns.tolist() == LEFT_OUT_COLUMNS
    assert result.left_out[["item", "source", "field", "reason", "answers"]].values.tolist() == [
        [DUO_C, "annot1", "correctness", "tie", "ann1=valid; ann2=no-re"]
    ]


def test_release_file_has_source_and_left_out_file_beside_it(labelled, tmp_path):
    store = labelled
    close_round(store, "c", "boss")
    close_round(store, "c", "boss")
    path = tmp_path / "c_RE_categorization.csv"
    result = write_consensus_release(store, "c", path)
    got = read_release(path)
    assert got[["video_id", "instance_id", "ref_exp", "source"]].values.tolist() == [
        ["duo", 1, "the dog on the left", "annot1"],
        ["duo", 1, "the dog on the left", "annot1_full_video"],
        ["solo", 1, "a cat", "annot1"],
    ]
    assert path.read_bytes().splitlines()[0].endswith(b";static;source")
    assert left_out_path(path) == tmp_path / "c_RE_categorization_left_out.csv"
    left = pd.read_csv(left_out_path(path), keep_default_na=False)
    assert left.to_dict("records") == [
        {
            "item": DUO_C,
            "video_id": "duo",
            "object_id": 2,
            "source": "annot1",
            "ref_exp": "the dog on the right",
            "field": "correctness",
            "reason": "tie",
            "answers": "ann1=valid; ann2=no-re",
        }
    ]
    assert len(result.release) + len(result.left_out) == 4  # every instance is in one file or the other


def test_too_few_answers_is_round_not_finished_only_while_answers_can_come(store, tmp_path):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_C], ["ann1", "ann2", "ann3"], created_by="boss")
    _answer_all(store, "ann1", DUO_A)
    result = consensus_release(store, "c")
    assert result.left_out[["item", "reason", "answers"]].values.tolist() == [
        [DUO_A, "round not finished", "ann1=valid"],
        [DUO_C, "round not finished", ""],
    ]
    close_round(store, "c", "boss")
    # Revision: the others never answered, so nobody has anything to revise and no answer can come.
    assert answers_to_come(store, "c") == set()
    assert consensus_release(store, "c").left_out["reason"].tolist() == ["too few answers", "too few answers"]
    close_round(store, "c", "boss")  # finished
    assert consensus_release(store, "c").left_out["reason"].tolist() == ["too few answers", "too few answers"]


def test_in_revision_only_questions_skipped_after_a_disputed_no_re_can_still_get_answers(store):
    """DUO_A: ann1 and ann2 say valid, ann3 no RE, so ann3's information is skipped and ann2 leaves it
    unanswered: information has 1 answer of the 2 needed. In revision ann3 is asked to revise correctness
    (the others said valid), and revising it to valid asks information: it may still come. DUO_C: ann1
    alone answered, nothing to revise against: too few answers for good. (The categories, which the
    release leaves empty without consensus, may get answers from ann3 too.) ann3 answered every
    question in the blind round, the skipped ones too, as a page never asks but a script may."""
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_C], ["ann1", "ann2", "ann3"], created_by="boss")
    _answer_all(store, "ann1", DUO_A)
    for f in questions_for(store, "c", DUO_A):
        if f != "information":
            record_answer(store, "ann2", "c", DUO_A, f, "valid" if f == "correctness" else FIELD_VALUES[f][0])
    _answer_all(store, "ann3", DUO_A, "no-re")
    _answer_all(store, "ann1", DUO_C)
    close_round(store, "c", "boss")
    # Every question skipped after ann3's "no RE": the categories and information.
    assert answers_to_come(store, "c") == {(DUO_A, f) for f in (*CATEGORY_NAMES, "information")}
    assert answers_to_come(store, "c", number=1) == set()  # the blind round's answers are in
    left = consensus_release(store, "c").left_out
    assert left[["item", "field", "reason", "answers"]].values.tolist() == [
        [DUO_A, "information", "round not finished", f"ann1={FIELD_VALUES['information'][0]}"],
        [DUO_C, "correctness", "too few answers", "ann1=valid"],
    ]
    # ann3 confirms "no RE": they may still change it while the round is open.
    record_answer(store, "ann3", "c", DUO_A, "correctness", "no-re")
    assert answers_to_come(store, "c") == {(DUO_A, f) for f in (*CATEGORY_NAMES, "information")}
    # ann3 revises to valid: their blind-round answers to the skipped questions count now, nothing more
    # can come, and information has its 2 of 3.
    record_answer(store, "ann3", "c", DUO_A, "correctness", "valid")
    assert answers_to_come(store, "c") == set()
    result = consensus_release(store, "c")
    assert result.left_out[["item", "reason"]].values.tolist() == [[DUO_C, "too few answers"]]
    assert result.release["source"].tolist() == ["annot1"] and len(result.release) == 1  # DUO_A


def test_cli_writes_and_names_what_is_left_out(labelled, tmp_path, capsys):
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    rel = tmp_path / "rel.csv"
    args = ["export", "labels", "--campaign", "c", "--output", str(tmp_path / "ev.csv"), "--release-output", str(rel)]
    assert main([*args, "--db", store.url]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:] == [  # the count and the file that names them, one line per reason, no line per instance
        f"3 instances written to {rel}",
        f"1 instance left out, listed in {tmp_path / 'rel_left_out.csv'}",
        "  tie: 1",
    ]
    assert pd.read_csv(tmp_path / "rel_left_out.csv")["item"].tolist() == [DUO_C]


def test_export_page_lists_what_is_left_out(labelled, monkeypatch):
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    monkeypatch.setenv("REFCAT_DB", store.url)

    at = page_as("refcat.annotate.ui.export", "boss")
    at.selectbox(key="export_campaign").select("c").run()
    assert any("3 instances in the file, 1 left out" in m.value for m in at.markdown)
    shown = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert shown[["item", "reason"]].values.tolist() == [[DUO_C, "tie"]]


def test_consensus_command_writes_sources_and_left_out_beside(labelled, tmp_path, capsys):
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    rel = tmp_path / "c_release.csv"
    args = ["consensus", "--campaign", "c", "--output", str(tmp_path / "long.csv"), "--release-output", str(rel)]
    assert main([*args, "--db", store.url]) == 0
    printed = capsys.readouterr().out
    assert "  tie: 1\n  no answers: 1\n" in printed and DUO_C not in printed  # counts, not one line per instance
    assert f"wrote {tmp_path / 'c_release_left_out.csv'}: the instances left out and why" in printed
    got = read_release(rel)
    assert got.loc[got["video_id"] == "duo", "source"].tolist() == ["annot1", "annot1_full_video"]
    left = pd.read_csv(tmp_path / "c_release_left_out.csv", keep_default_na=False)
    assert left[["item", "field", "reason"]].values.tolist() == [
        [DUO_C, "correctness", "tie"],
        [SOLO, "difficulty", "no answers"],  # automatic, so not among the answers this command counts
    ]


def test_consensus_command_names_the_instances_nobody_answered(labelled, tmp_path, capsys):
    """Campaign d: DUO_A answered by all three, DUO_C by nobody. Its release leaves DUO_C out by name:
    "round not finished" while the blind round is open, "too few answers" once it is closed."""
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    create_campaign(store, "d", [DUO_A, DUO_C], ["ann1", "ann2", "ann3"], created_by="boss")
    for user in ("ann1", "ann2", "ann3"):
        _answer_all(store, user, DUO_A, campaign="d")
    rel = tmp_path / "d_release.csv"
    args = ["consensus", "--campaign", "d", "--output", str(tmp_path / "long.csv"), "--release-output", str(rel)]
    for reason in ("round not finished", "too few answers"):
        assert main([*args, "--db", store.url]) == 0
        assert f"  {reason}: 1\n" in capsys.readouterr().out
        left = pd.read_csv(tmp_path / "d_release_left_out.csv", keep_default_na=False)
        assert left[["item", "field", "reason"]].values.tolist() == [[DUO_C, "correctness", reason]]
        assert read_release(rel)["video_id"].tolist() == ["duo"]  # DUO_A only
        close_round(store, "d", "boss")


def test_export_page_offers_the_left_out_list_beside_the_release(labelled, monkeypatch):
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    from refcat.annotate.ui.export import release_files

    close_round(store, "c", "boss")
    monkeypatch.setenv("REFCAT_DB", store.url)

    at = page_as("refcat.annotate.ui.export", "boss")
    at.selectbox(key="export_campaign").select("c").run()
    assert not at.exception
    buttons = {b.key: b.proto for b in at.get("download_button")}
    assert buttons["export_release"].label == "Download c_RE_categorization.csv"
    assert buttons["export_left_out"].label == "Download c_RE_categorization_left_out.csv"
    shown = next(d.value for d in at.dataframe if "reason" in d.value.columns)  # by display names
    assert shown[["item", "source", "field", "reason", "answers"]].values.tolist() == [
        [DUO_C, "annotator 1, from the first frame", "Correctness", "tie", "ann1: valid RE; ann2: no RE"]
    ]

    # The two files the buttons hand over: the release and the list of what it leaves out, with codes.
    files = release_files(consensus_release(store, "c"), "c")
    assert list(files) == ["c_RE_categorization.csv", "c_RE_categorization_left_out.csv"]
    left = pd.read_csv(io.BytesIO(files["c_RE_categorization_left_out.csv"]), keep_default_na=False)
    assert left.columns.tolist() == LEFT_OUT_COLUMNS
    assert left[["item", "field", "reason", "answers"]].values.tolist() == [
        [DUO_C, "correctness", "tie", "ann1=valid; ann2=no-re"]
    ]
    release = files["c_RE_categorization.csv"].decode().splitlines()
    assert release[0].endswith(";static;source") and len(release) == 1 + 3  # header and DUO_A, FULL, SOLO


def test_export_page_offers_the_time_on_item_beside_the_long_table(labelled, monkeypatch):
    """ann1's events on DUO_A set 1 s apart from 10:00:00 (10 answers: 9 s); every annotator and instance
    answered has its row, in both formats, under the name `refcat export labels` writes it."""
    store = labelled
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    from refcat.annotate.ui.export import long_table_downloads

    start = datetime(2026, 3, 1, 10, 0, 0)
    with store.session() as session:
        ann1 = session.scalar(select(UserRow.id).where(UserRow.name == "ann1"))
        duo_a = instance_row(session, DUO_A).id
        ids = session.scalars(
            select(LabelEventRow.id).where(LabelEventRow.user_pk == ann1, LabelEventRow.instance_pk == duo_a)
        ).all()
        for i, event in enumerate(sorted(ids)):
            session.execute(
                update(LabelEventRow).where(LabelEventRow.id == event).values(created_at=start + timedelta(seconds=i))
            )
    monkeypatch.setenv("REFCAT_DB", store.url)

    at = page_as("refcat.annotate.ui.export", "boss")
    at.selectbox(key="export_campaign").select("c").run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")][:4] == [
        "Download CSV",
        "Download PARQUET",
        "Download c_labels_time_on_item.csv",
        "Download c_labels_time_on_item.parquet",
    ]
    downloads = {d.name: d for d in long_table_downloads(store, "c")}
    assert list(downloads) == [
        "c_labels.csv",
        "c_labels.parquet",
        "c_labels_time_on_item.csv",
        "c_labels_time_on_item.parquet",
    ]
    assert [d.key for d in downloads.values()] == [b.key for b in at.get("download_button")][:4]
    times = pd.read_csv(io.BytesIO(downloads["c_labels_time_on_item.csv"].data()))
    assert times.columns.tolist() == TIME_ON_ITEM_COLUMNS
    expected = {(u, k) for u in ("ann1", "ann2", "ann3") for k in (DUO_A, FULL, SOLO)} | {
        ("ann1", DUO_C),
        ("ann2", DUO_C),
    }
    assert set(zip(times["annotator"], times["instance"])) == expected and len(times) == len(expected)
    assert set(times["round"]) == {1} and set(times["campaign"]) == {"c"}
    mine = times[(times["annotator"] == "ann1") & (times["instance"] == DUO_A)].iloc[0]
    assert len(ids) == 10  # difficulty, correctness, the seven categories and information
    assert (mine["start"], mine["end"]) == ("2026-03-01T10:00:00.000000Z", "2026-03-01T10:00:09.000000Z")
    assert mine["seconds"] == 9.0
    parquet = pd.read_parquet(io.BytesIO(downloads["c_labels_time_on_item.parquet"].data()))
    assert parquet[["annotator", "instance", "seconds"]].equals(times[["annotator", "instance", "seconds"]])
    events = pd.read_csv(io.BytesIO(downloads["c_labels.csv"].data()))
    assert events.columns[0] == "event_id" and "seconds" not in events.columns  # the long table itself
