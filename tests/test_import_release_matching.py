"""`refcat import release`: near matches (case, spacing, 1-2 character edits) listed as a warning, unmatched rows
refused in a short summary (the full list with --report-output), and the file's dataset checked against --dataset."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers.dataset_files import build_davis
from helpers.release import write_release_lines

from refcat.cli import main
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.store.database import open_store
from refcat.store.importing import edit_distance, release_instances
from refcat.store.instances import list_instances, upsert_records

EMPTY = "Trivial;Not Applicable;;;;;;;"  # the label cells of a row, none set


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path, capsys):
    db = tmp_path / "s.db"
    code, _, err = run(capsys, "import", "davis", "--root", build_davis(tmp_path / "davis"), "--db", db)
    assert code == 0, err
    return db


def release(tmp_path, *rows, name="r.csv"):
    return write_release_lines(tmp_path / name, [f"{video};{obj};{text};{EMPTY}" for video, obj, text in rows])


def keys(db):
    return {i.key: i.text for i in list_instances(open_store(db))}


def test_edit_distance_within_a_limit():
    assert edit_distance("a swan swimming", "a swan swiming", 2) == 1
    assert edit_distance("car parked", "bar parkd", 2) == 2
    assert edit_distance("car parked", "bar park", 2) is None
    assert edit_distance("", "ab", 2) == 2 and edit_distance("abc", "abc", 0) == 0


def test_near_texts_match_their_stored_re_with_a_warning(db, tmp_path, capsys):
    before = keys(db)
    file = release(
        tmp_path,
        ("blackswan", 1, "A black feathered swan"),  # case: annot1
        ("blackswan", 1, "a swan swiming"),  # one letter dropped: annot1_full_video
        ("blackswan", 1, "swan near the cafe"),  # é -> e: annot2
        ("classic-car", 1, "a red classic car"),  # identical: no warning
        ("classic-car", 1, "car parkd"),  # annot1_full_video
        ("classic-car", 1, "a car seen from very far away"),  # a new RE
    )
    code, out, err = run(capsys, "import", "release", file, "--dataset", "davis", "--db", db)
    assert code == 0, err
    assert "instances: 1 added, 0 updated, 5 unchanged" in out
    assert "warning: 4 rows matched a stored RE whose text differs" in err
    assert f"{file}, line 3: 'a swan swiming' taken as davis/blackswan/1/annot1_full_video 'a swan swimming'" in err
    assert "line 5" not in err  # the identical text
    assert set(keys(db)) - set(before) == {"davis/classic-car/1/release5"}


def test_a_stored_re_matched_by_one_row_is_not_taken_by_a_near_one(db, tmp_path, capsys):
    file = release(tmp_path, ("blackswan", 1, "a swan swimmin"), ("blackswan", 1, "a swan swimming"))
    code, out, err = run(capsys, "import", "release", file, "--dataset", "davis", "--db", db)
    assert code == 0, err
    assert "instances: 1 added, 0 updated, 1 unchanged" in out and "warning" not in err
    assert keys(db)["davis/blackswan/1/release0"] == "a swan swimmin"


def test_three_edits_make_a_new_re(db, tmp_path, capsys):
    file = release(tmp_path, ("blackswan", 1, "a swan swimmingly!"))
    code, out, err = run(capsys, "import", "release", file, "--dataset", "davis", "--db", db)
    assert code == 0 and "instances: 1 added" in out and "warning" not in err


def test_unmatched_rows_exit_2_in_at_most_10_lines_and_import_nothing(db, tmp_path, capsys):
    before = keys(db)
    rows = [("blackswan", 1, "a black feathered swan"), ("blackswan", 1, "brand new")]
    rows += [(f"no-such-video-{k}", 1, f"thing {k}") for k in range(8)]
    file = release(tmp_path, *rows)
    code, out, err = run(capsys, "import", "release", file, "--dataset", "davis", "--db", db)
    assert code == 2 and out == ""
    lines = err.rstrip("\n").split("\n")
    assert len(lines) <= 10, err
    assert lines[0] == (
        f"refcat import release: error: 8 of 10 rows of {file} cannot be matched: their objects are not in the "
        "store; nothing imported"
    )
    assert "1 rows matched a stored RE, 1 would be new REs of stored objects, 8 unmatched" in lines[1]
    assert f"{file}, line 4: object 1 of video 'no-such-video-0' is not in the store" in err
    assert "... 3 more: --report-output FILE writes the full list" in err
    assert "--skip-unmatched" in lines[-1]
    assert keys(db) == before


def test_the_report_lists_every_unmatched_row_and_near_match(db, tmp_path, capsys):
    rows = [("blackswan", 1, "a black feathered swann")] + [(f"gone-{k}", 2, "x") for k in range(7)]
    file, report = release(tmp_path, *rows), tmp_path / "out" / "report.csv"
    code, _, err = run(capsys, "import", "release", file, "--dataset", "davis", "--db", db, "--report-output", report)
    assert code == 2 and f"... 2 more: the full list is in {report}" in err
    table = pd.read_csv(report, keep_default_na=False)
    assert table["status"].tolist() == ["unmatched"] * 7 + ["near"]
    assert table["line"].tolist() == [3, 4, 5, 6, 7, 8, 9, 2]
    near = table.iloc[-1]
    assert (near["stored_key"], near["stored_text"], near["ref_exp"]) == (
        "davis/blackswan/1/annot1",
        "a black feathered swan",
        "a black feathered swann",
    )


def test_skip_unmatched_imports_the_rest(db, tmp_path, capsys):
    file = release(tmp_path, ("blackswan", 1, "brand new"), ("gone", 1, "x"))
    code, out, _ = run(capsys, "import", "release", file, "--dataset", "davis", "--db", db, "--skip-unmatched")
    assert code == 0 and "instances: 1 added" in out and "1 rows skipped" in out
    assert f"{file}, line 3: object 1 of video 'gone' is not in the store" in out


def test_the_file_must_be_of_the_dataset_named(db, tmp_path, capsys):
    file = release(tmp_path, ("blackswan", 1, "a black feathered swan"), ("motorbike", 1, "a motorbike"))
    code, _, err = run(capsys, "import", "release", file, "--dataset", "a2d", "--db", db)
    assert code == 2 and err.count("\n") == 1
    assert f"{file}: the file's videos are in the store as davis videos, none as a2d (expected --dataset davis" in err


def test_rows_sharing_a_text_claim_the_stored_res_of_that_text_one_each(tmp_path):
    """DAVIS: an annotator's first-frame and full-video REs of one object may be the same words; two
    released rows with those words go to the two stored REs, a third reuses the first (by key)."""
    store = open_store(tmp_path / "s.db")
    upsert_records(
        store,
        [Video("davis", "v", "val", 3, 8, 6)],
        [ObjectRef("davis", "v", 1)],
        [Instance("davis", "v", 1, "annot1", "the dog"), Instance("davis", "v", 1, "annot1_full_video", "The dog ")],
    )
    rows = pd.DataFrame({"video_id": ["v", "v", "v"], "instance_id": [1, 1, 1], "ref_exp": ["the dog"] * 3})
    match = release_instances(store, "davis", rows)
    assert [i.source for i in match.instances] == ["annot1", "annot1_full_video", "annot1"]
    assert match.skipped == []
