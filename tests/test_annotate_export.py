"""Exports: the event long table (CSV and Parquet round trip) and the consensus in the paper's
released format, checked row by row against hand-worked answers; the CLI end to end."""

import json

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_C, SOLO, populate

from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.export import write_consensus_release, write_labels
from refcat.annotate.labels import (
    adjudicate,
    events_table,
    questions_for,
    record_answer,
    undo_last,
)
from refcat.cli import main
from refcat.datasets.release import read_release
from refcat.errors import UsageError
from refcat.store.database import open_store
from refcat.taxonomy import CATEGORY_NAMES

YES_FOR = {"appearance", "category", "location"}  # "the dog on the left"


def _answer_all(store, user, key, **override):
    for f in questions_for(store, "c", key):
        base = {"difficulty": "non-trivial", "correctness": "valid", "information": "redundant"}
        value = override.get(f.replace("-", "_"), base.get(f, "yes" if f in YES_FOR else "no"))
        record_answer(store, user, "c", key, f, value)


@pytest.fixture
def labelled(store):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_C, SOLO], ["ann1", "ann2", "ann3"], created_by="boss")
    _answer_all(store, "ann1", DUO_A, information="minimal")
    _answer_all(store, "ann2", DUO_A, motion="yes")
    _answer_all(store, "ann3", DUO_A, appearance="no", information="minimal")
    for user, correctness in (("ann1", "valid"), ("ann2", "no-re"), ("ann3", "wrong-object")):
        _answer_all(store, user, DUO_C, correctness=correctness)  # no consensus on correctness
    for user in ("ann1", "ann2", "ann3"):
        _answer_all(store, user, SOLO, location="no")
    record_answer(store, "ann3", "c", SOLO, "static", "yes")
    undo_last(store, "ann3", "c")
    close_round(store, "c", "boss")
    adjudicate(store, "boss", "c", DUO_A, "motion", "yes", "the dog walks across the frame")
    return store


def test_events_round_trip_csv_and_parquet(labelled, tmp_path):
    expected = events_table(labelled, "c")
    # 9 + 10 + 10 answers x 3 annotators for DUO_A/DUO_C... : 3 x (10 + 10 + 9) + 1 answer + 1 undo
    # + 1 automatic + 1 adjudication.
    assert len(expected) == 3 * 29 + 4
    assert write_labels(labelled, tmp_path / "ev.parquet", "c") == len(expected)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "ev.parquet"), expected, check_dtype=False)
    write_labels(labelled, tmp_path / "ev.csv")
    back = pd.read_csv(tmp_path / "ev.csv", keep_default_na=False, na_values=[""])
    assert list(back.columns) == [
        "event_id",
        "campaign",
        "instance",
        "annotator",
        "round",
        "question",
        "answer",
        "time",
        "kind",
        "reason",
        "retracts",
        "retracted",
    ]
    assert back["event_id"].tolist() == expected["event_id"].tolist()
    assert back["answer"].tolist() == expected["answer"].tolist()
    assert pd.to_datetime(back["time"], utc=True).tolist() == expected["time"].tolist()
    assert back["time"].str.endswith("Z").all()
    assert back.loc[back.kind == "auto", ["instance", "annotator", "question", "answer"]].values.tolist() == [
        [SOLO, "auto", "difficulty", "trivial"]
    ]
    with pytest.raises(UsageError, match=r"csv or \.parquet"):
        write_labels(labelled, tmp_path / "ev.xlsx")


def test_consensus_release(labelled, tmp_path):
    result = write_consensus_release(labelled, "c", tmp_path / "demo_RE_categorization.csv")
    assert len(result.release) == 2
    assert result.skipped.values.tolist() == [[DUO_C, "correctness: tie"]]
    raw = (tmp_path / "demo_RE_categorization.csv").read_bytes()
    assert raw.startswith(b"video_id;instance_id;ref_exp;ref_exp_difficulty;ref_exp_information;appearance;")
    assert b"\r\n" in raw
    got = read_release(tmp_path / "demo_RE_categorization.csv")
    assert got[["video_id", "instance_id", "ref_exp", "ref_exp_difficulty", "ref_exp_information"]].values.tolist() == [
        ["duo", 1, "the dog on the left", "Non-trivial", "Minimum Information"],
        ["solo", 1, "a cat", "Trivial (Single Object Category)", "Redundant Information"],
    ]
    # DUO_A: appearance 2 of 3 yes; motion adjudicated yes over a 2-of-3 no; location, category yes.
    duo = got.iloc[0]
    assert {c: int(duo[c]) for c in CATEGORY_NAMES} == {
        "appearance": 1,
        "location": 1,
        "motion": 1,
        "obj-motion": 0,
        "static": 0,
        "obj-static": 0,
        "category": 1,
    }
    # SOLO: ann3's undone "static: yes" does not count; location answered no by all.
    solo = got.iloc[1]
    assert {c: int(solo[c]) for c in CATEGORY_NAMES} == {
        "appearance": 1,
        "location": 0,
        "motion": 0,
        "obj-motion": 0,
        "static": 0,
        "obj-static": 0,
        "category": 1,
    }


def test_consensus_release_needs_difficulty_questions(store, tmp_path):
    populate(store)
    create_campaign(store, "s", [DUO_A], ["ann1"], per_instance=1, question_sets=("semantics",))
    record_answer(store, "ann1", "s", DUO_A, "appearance", "yes")
    with pytest.raises(UsageError, match="needs the RE fields"):
        write_consensus_release(store, "s", tmp_path / "x.csv")


def test_cli_workflow(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    store = open_store(db)
    populate(store, annotators=(), admin=None)
    store.dispose()
    for name in ("boss", "ann1", "ann2", "ann3"):
        (tmp_path / f"{name}.pw").write_text(f"{name}-password\nignored second line\n")
    assert main(["annotators", "add", "boss", "--admin", "--password-file", str(tmp_path / "boss.pw"), "--db", db]) == 0
    for name in ("ann1", "ann2", "ann3"):
        assert main(["annotators", "add", name, "--password-file", str(tmp_path / f"{name}.pw"), "--db", db]) == 0
    assert main(["annotators", "add", "ann1", "--password-file", str(tmp_path / "ann1.pw"), "--db", db]) == 2
    assert (
        main(
            [
                "campaign",
                "create",
                "two",
                "--dataset",
                "demo",
                "--min-objects",
                "2",
                "--annotators",
                "ann1,ann2,ann3",
                "--questions",
                "difficulty",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert main(["campaign", "create", "x", "--dataset", "davis", "--annotators", "ann1", "--db", db]) == 2
    capsys.readouterr()
    assert main(["annotators", "list", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ann1\tannotator",
        "ann2\tannotator",
        "ann3\tannotator",
        "boss\tadmin",
    ]
    assert main(["campaign", "list", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines() == ["two\tlabel\t3 instances\tann1,ann2,ann3\tdifficulty"]

    from refcat.annotate.accounts import authenticate

    store = open_store(db)
    authenticate(store, "ann1", "ann1-password")  # the password is the file's first line
    record_answer(store, "ann1", "two", DUO_A, "difficulty", "trivial")
    record_answer(store, "ann1", "two", DUO_A, "correctness", "valid")
    store.dispose()
    assert main(["campaign", "progress", "two", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["ann1", "1", "3", "1", "2"] and lines[-1].split() == ["total", "1", "9", "1", "8"]
    assert main(["campaign", "close-round", "two", "--force", "--db", db]) == 0
    assert "campaign two: the blind round closed, the revision round open" in capsys.readouterr().out
    out = tmp_path / "labels.csv"
    assert main(["export", "labels", "--output", str(tmp_path / "all.parquet"), "--db", db]) == 0
    assert (
        main(
            [
                "export",
                "labels",
                "--campaign",
                "two",
                "--output",
                str(out),
                "--consensus-release",
                str(tmp_path / "rel.csv"),
                "--db",
                db,
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "2 label events written" in printed and "0 instances written" in printed
    assert f"3 instances left out, listed in {tmp_path / 'rel_left_out.csv'}\n  too few answers: 3\n" in printed
    assert len(pd.read_csv(out)) == 2


def test_stats_from_a_store_campaign(labelled, capsys):
    """`refcat stats --campaign` reads the same final labels the release export writes."""
    if not labelled.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    assert main(["stats", "--campaign", "c", "--json", "--db", labelled.url]) == 0
    stats = json.loads(capsys.readouterr().out)
    # Released rows: DUO_A non-trivial (appearance, location, motion adjudicated, category; minimal),
    # SOLO trivial automatically (appearance, category; redundant); DUO_C has no consensus.
    assert stats["figure3_difficulty"]["demo"] == {
        "trivial": 0.5,
        "non-trivial": 0.5,
        "no-re": 0.0,
        "wrong-object": 0.0,
        "n": 2,
    }
    shares = stats["figure4_categories"]["demo / all"]
    assert (shares["appearance"], shares["location"], shares["motion"], shares["static"]) == (1.0, 0.5, 0.5, 0.0)
    assert stats["redundancy"]["demo"] == {"redundant": 1, "minimal": 1, "ratio": 0.5}
