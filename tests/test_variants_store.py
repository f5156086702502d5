"""A2Dre+ variants in the store (refcat.annotate.variants): append-only review history, a re-run of the
builder never overwrites a person's work, imports of released files, export (SQLite and PostgreSQL)."""

import dataclasses
import re

import pandas as pd
import pytest
from helpers.release import RELEASE_ROWS, labelled, write_release_file

import refcat.store.variant_schema  # noqa: F401  (the variant tables on the store's metadata)
from refcat.annotate import variants as sv
from refcat.annotate.accounts import create_user
from refcat.categorize import augment as aug
from refcat.cli import main
from refcat.datasets.a2dre_plus import read_a2dre_plus, write_a2dre_plus
from refcat.datasets.records import ObjectRef, Video
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.store.instances import upsert_records


@pytest.fixture
def people(store):
    return create_user(store, "ada", "pw-ada-1-long", role="admin"), create_user(store, "bob", "pw-bob-1-long")


def built():
    re_ = labelled("the person in gray is walking", appearance=True, location=False, motion=True, static=None)
    return {v.category: v for v in aug.build_variants([re_])}


def test_save_review_and_rerun_keeps_a_persons_edit(store, people):
    ada, _ = people
    variants = built()
    counts = sv.save_generated(store, variants.values())
    assert (counts.new, counts.regenerated, counts.unchanged) == (3, 0, 0)
    table = sv.variant_table(store).set_index("category")
    assert table.loc["appearance", "text"] == "the person is walking" and table.loc["appearance", "status"] == "pending"
    assert table.loc["location", "flags"] == aug.NEEDS_PERSON and pd.isna(table.loc["location", "text"])

    app, mot, loc = (variants[c].key for c in ("appearance", "motion", "location"))
    sv.review(store, ada, app, sv.EDIT, "the  person   walking")
    sv.review(store, ada, mot, sv.ACCEPT)
    sv.review(store, ada, loc, sv.WRITE, "the person in gray is walking on the left")
    # the builder runs again and now makes other text for all three
    rerun = [dataclasses.replace(variants[c], text=f"regenerated {c}", flags=()) for c in variants]
    counts = sv.save_generated(store, rerun)
    assert (counts.new, counts.regenerated, counts.kept_human) == (0, 3, 3)
    table = sv.variant_table(store).set_index("category")
    assert table.loc["appearance", ["text", "status", "origin"]].tolist() == ["the person walking", "edited", "human"]
    assert table.loc["motion", ["text", "status", "origin"]].tolist() == ["the person in gray", "accepted", "generated"]
    assert table.loc["location", ["text", "status", "origin"]].tolist() == [
        "the person in gray is walking on the left",
        "written",
        "human",
    ]
    history = sv.history(store, app)
    assert history[["kind", "author", "text"]].values.tolist() == [
        ["generated", "builder", "the person is walking"],
        ["edit", "ada", "the person walking"],
        ["generated", "builder", "regenerated appearance"],
    ]
    assert history["time"].is_monotonic_increasing
    # the same run once more changes nothing
    assert sv.save_generated(store, rerun).unchanged == 3


def test_refused_reviews_write_nothing(store, people):
    ada, bob = people
    variants = built()
    sv.save_generated(store, variants.values())
    loc = variants["location"].key
    with pytest.raises(PermissionDenied):
        sv.review(store, bob, variants["appearance"].key, sv.ACCEPT)
    with pytest.raises(PermissionDenied):
        sv.review(store, "mallory", variants["appearance"].key, sv.ACCEPT)
    with pytest.raises(UsageError):
        sv.review(store, ada, loc, sv.ACCEPT)  # nothing generated to accept
    with pytest.raises(UsageError):
        sv.review(store, ada, loc, sv.WRITE, "   ")
    with pytest.raises(UsageError):
        sv.review(store, ada, loc, "approve")
    with pytest.raises(StoreError):
        sv.review(store, ada, "a2d/none/0/location/0", sv.REJECT)
    assert len(sv.history(store, loc)) == 1
    assert (sv.variant_table(store)["status"] == "pending").all()


def test_export_writes_decided_and_unflagged_variants(store, people, tmp_path):
    ada, _ = people
    variants = built()
    sv.save_generated(store, variants.values())
    sv.review(store, ada, variants["motion"].key, sv.REJECT)
    files, tidy = sv.export(store, tmp_path / "all")
    table = read_a2dre_plus(tmp_path / "all")
    assert len(files) == 8
    assert table[["category", "polarity", "query"]].values.tolist() == [
        ["appearance", "with", "the person in gray is walking"],
        ["appearance", "without", "the person is walking"],
    ]
    sv.export(store, tmp_path / "reviewed", reviewed_only=True)
    assert read_a2dre_plus(tmp_path / "reviewed").empty
    long = pd.read_csv(tidy, keep_default_na=False)
    assert long[long.category == "motion"][["polarity", "phrase", "origin"]].values.tolist() == [
        ["with", "the person in gray is walking", "original"],
        ["without", "the person in gray", "generated"],
    ]
    assert aug.report(sv.variant_table(store))["rejected"] == 1


def test_import_released_files_finds_the_original_side(store, people, tmp_path, capsys):
    rows = [  # the original appears in both categories; the hand-written phrases once each
        ("appearance", "with", "XQ2WJo8sLEw", 2, "the person in gray is walking", 0),
        ("appearance", "without", "XQ2WJo8sLEw", 2, "the person in the left is walking", 0),
        ("motion", "with", "XQ2WJo8sLEw", 2, "the person in gray is walking", 0),
        ("motion", "without", "XQ2WJo8sLEw", 2, "the person in gray", 0),
        ("location", "with", "-0cOo0cRVZU", 0, "player in blue shirt passing a basketball on left", 0),
        ("location", "without", "-0cOo0cRVZU", 0, "player in blue shirt passing a basketball", 0),
    ]
    write_a2dre_plus(
        pd.DataFrame(rows, columns=["category", "polarity", "video_id", "instance_id", "query", "row"]),
        tmp_path / "released",
    )
    videos = {(video_id, object_id) for _, _, video_id, object_id, _, _ in rows}  # imported first: known objects
    upsert_records(
        store,
        [Video("a2d", video_id, "test", 8, 64, 48) for video_id, _ in sorted(videos)],
        [ObjectRef("a2d", video_id, object_id) for video_id, object_id in sorted(videos)],
    )
    assert sv.import_a2dre_plus(store, tmp_path / "released") == 3
    assert sv.import_a2dre_plus(store, tmp_path / "released") == 0
    if store.is_sqlite:  # the command: import (nothing new) and export the store
        assert (
            main(
                [
                    "augment",
                    "--import",
                    str(tmp_path / "released"),
                    "--db",
                    store.url,
                    "--out-dir",
                    str(tmp_path / "exported"),
                ]
            )
            == 0
        )
        for name in sorted(p.name for p in (tmp_path / "released").glob("*.txt")):
            assert (tmp_path / "exported" / name).read_bytes() == (tmp_path / "released" / name).read_bytes()
    table = sv.variant_table(store).set_index("category")
    assert table.loc["appearance", ["original_side", "text", "status", "origin"]].tolist() == [
        "with",
        "the person in the left is walking",
        "imported",
        "human",
    ]
    assert "original side unknown" in table.loc["location", "note"]
    # the released phrase swaps gray for a location: the categorizer check flags it, the text stays
    assert table.loc["appearance", "flags"] == aug.CHECK_FAILED
    assert "check failed on location" in table.loc["appearance", "note"]
    assert table.loc["motion", "flags"] == ""
    # the builder's variant of the same RE is the same variant: the imported text stays
    sv.save_generated(store, built().values())
    table = sv.variant_table(store).set_index("category")
    assert len(table) == 4  # appearance, motion, location (imported) + the builder's location one
    assert table.loc["appearance", "text"] == "the person in the left is walking"


def test_cli_save_then_rerun_keeps_the_review(store, people, tmp_path, capsys):
    if not store.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    ada, _ = people
    labels = write_release_file(tmp_path / "A2D_RE_categorization.csv", RELEASE_ROWS)
    args = ["augment", "--input", str(labels), "--out-dir", str(tmp_path / "out"), "--save", "--db", store.url]
    assert main(args) == 0
    assert "19 new" in capsys.readouterr().out
    table = sv.variant_table(store)
    first = table[table.category == "appearance"].iloc[0]
    sv.review(store, ada, first["key"], sv.EDIT, "the walking person")
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "0 new, 0 regenerated, 19 unchanged" in printed
    assert re.search(r"^edited +1$", printed, re.M)
    assert re.search(r"^REs with a made-up key +5$", printed, re.M)  # the store holds no A2D instances
    out = read_a2dre_plus(tmp_path / "out")
    assert "the walking person" in set(out["query"])


def test_cli_from_a_campaign_consensus(store, tmp_path, capsys):
    if not store.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    from helpers.annotate_store import DUO_A, DUO_B, populate

    from refcat.annotate.campaigns import create_campaign
    from refcat.annotate.labels import questions_for, record_answer

    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B], ["ann1", "ann2", "ann3"])
    said = {  # "the dog on the left", "a brown dog running"; ann3 misses the motion of DUO_B
        DUO_A: {
            "difficulty": "non-trivial",
            "correctness": "valid",
            "location": "yes",
            "category": "yes",
            "information": "minimal",
        },
        DUO_B: {
            "difficulty": "non-trivial",
            "correctness": "valid",
            "appearance": "yes",
            "motion": "yes",
            "category": "yes",
            "information": "redundant",
        },
    }
    for name in ("ann1", "ann2", "ann3"):
        for key, answers in said.items():
            for field in questions_for(store, "c", key):
                value = answers.get(field, "no")
                if name == "ann3" and key == DUO_B and field == "motion":
                    value = "no"
                record_answer(store, name, "c", key, field, value)
    out = tmp_path / "out"
    assert main(["augment", "--campaign", "c", "--db", store.url, "--out-dir", str(out)]) == 0
    assert "2 non-trivial REs -> 8 variants" in capsys.readouterr().out
    table = read_a2dre_plus(out)
    pairs = {c: tuple(table[table.category == c].sort_values("polarity")["query"]) for c in set(table.category)}
    assert pairs == {
        "appearance": ("a brown dog running", "a dog running"),
        "motion": ("a brown dog running", "a brown dog"),
    }
    assert set(table["video_id"]) == {"duo"} and set(table["instance_id"]) == {1}
    assert sv.variant_table(store)["instance"].tolist()[:4] == [DUO_A] * 4


def test_a_persons_phrase_is_checked_too(store, people):
    ada, _ = people
    variants = built()
    sv.save_generated(store, variants.values())
    key = variants["appearance"].key  # the "without appearance" side of "the person in gray is walking"
    sv.review(store, ada, key, sv.EDIT, "the person in red is walking", note="typo")
    row = sv.variant_table(store, category="appearance").iloc[0]
    assert (row["status"], row["flags"]) == ("edited", aug.CHECK_FAILED)
    assert row["note"] == "typo; categorizer check failed on appearance"
    sv.review(store, ada, key, sv.EDIT, "the person walking")
    row = sv.variant_table(store, category="appearance").iloc[0]
    assert (row["text"], row["flags"]) == ("the person walking", "")
    assert aug.report(sv.variant_table(store))["edited"] == 1
