"""`refcat import|export|info|demo-*` end to end on real-format fixtures, through `refcat.cli.main`."""

import json

import pandas as pd
import pytest
from helpers.dataset_files import build_a2d, build_davis, write_a2dre_plus_files
from helpers.release import write_release_lines

from refcat.cli import main
from refcat.datasets.records import ObjectRef, Video
from refcat.demo.generator import write_demo_dataset
from refcat.store.database import open_store
from refcat.store.instances import upsert_records


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_davis_twice_and_info(tmp_path, capsys):
    root = build_davis(tmp_path / "davis")
    db = tmp_path / "s.db"
    code, out, _ = run(capsys, "import", "davis", "--root", root, "--db", db)
    assert code == 0 and "instances: 9 added" in out
    code, out, _ = run(capsys, "import", "davis", "--root", root, "--db", db)
    assert code == 0 and "instances: 0 added, 0 updated, 9 unchanged" in out
    code, out, _ = run(capsys, "info", "--json", "--db", db)
    rows = {(r["dataset"], r["split"]): r for r in json.loads(out)}
    assert sum(r["instances"] for r in rows.values()) == 9
    assert all(r["dataset"] == "davis" for r in rows.values())


def test_import_a2d_counts(tmp_path, capsys):
    root = build_a2d(tmp_path / "a2d")
    db = tmp_path / "s.db"
    code, out, err = run(capsys, "import", "a2d", "--root", root, "--db", db)
    assert code == 0, err
    code, out, _ = run(capsys, "info", "--json", "--db", db)
    counts = json.loads(out)
    assert {r["dataset"] for r in counts} == {"a2d"}
    assert sum(r["instances"] for r in counts) > 0


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_export_import_instances_round_trip(tmp_path, capsys, suffix):
    root = build_davis(tmp_path / "davis")
    db, copy = tmp_path / "s.db", tmp_path / "copy.db"
    run(capsys, "import", "davis", "--root", root, "--db", db)
    out_file = tmp_path / f"instances{suffix}"
    code, out, _ = run(capsys, "export", "instances", "--output", out_file, "--db", db)
    assert code == 0 and out.startswith("9 instances")
    # The copy knows the videos and objects, and takes the instances from the file.
    run(capsys, "import", "davis", "--root", root, "--db", copy)
    code, out, _ = run(capsys, "import", "instances", out_file, "--db", copy)
    assert code == 0 and "instances: 0 added, 0 updated, 9 unchanged" in out


def test_release_rows_match_stored_instances(tmp_path, capsys):
    root = build_davis(tmp_path / "davis")
    db = tmp_path / "s.db"
    run(capsys, "import", "davis", "--root", root, "--db", db)
    release = tmp_path / "DAVIS17_RE_categorization.csv"
    rows = [
        "blackswan;1;A black  feathered swan;Trivial (Single Object Category);Redundant Information;"
        "1.0;0.0;1.0;0.0;0.0;0.0;0.0",
        "blackswan;1;a swan seen from far;Trivial;Minimum Information;0;0;1;0;0;0;0",
    ]
    write_release_lines(release, rows)
    code, out, err = run(capsys, "import", "release", release, "--dataset", "davis", "--db", db)
    assert code == 0, err
    # The first row is annot1's RE (same text up to case and spaces); the second is new.
    assert "instances: 1 added, 0 updated, 1 unchanged" in out
    export = tmp_path / "i.csv"
    run(capsys, "export", "instances", "--output", export, "--db", db)
    table = pd.read_csv(export)
    assert "davis/blackswan/1/release1" in set(table["key"])


def test_release_rows_of_videos_not_imported_are_skipped_and_listed(tmp_path, capsys):
    db = tmp_path / "s.db"
    run(capsys, "import", "davis", "--root", build_davis(tmp_path / "davis"), "--db", db)
    release = tmp_path / "r.csv"
    rows = [
        "no-such-video;1;x;Trivial;Not Applicable;;;;;;;",
        "blackswan;1;a black feathered swan;Trivial;Not Applicable;;;;;;;",
        "blackswan;7;no such object;Trivial;Not Applicable;;;;;;;",
    ]
    write_release_lines(release, rows)
    code, out, err = run(capsys, "import", "release", release, "--dataset", "davis", "--db", db, "--skip-unmatched")
    assert code == 0, err
    assert "instances: 0 added, 0 updated, 1 unchanged" in out
    assert "2 rows skipped" in out
    assert f"{release}, line 2: object 1 of video 'no-such-video'" in out
    assert f"{release}, line 4: object 7 of video 'blackswan'" in out


def test_user_errors_exit_2_with_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "info", "--db", tmp_path / "absent.db")
    assert code == 2 and err.count("\n") == 1 and "no refcat store" in err
    code, _, err = run(capsys, "export", "instances", "--output", tmp_path / "x.txt", "--db", tmp_path / "a.db")
    assert code == 2 and "cannot tell the format" in err


def test_demo_store_is_idempotent(tmp_path, capsys):
    data = write_demo_dataset(tmp_path / "demo", n_videos=2, min_frames=4, max_frames=5, width=214, height=120)
    db = tmp_path / "demo.db"
    code, out, err = run(capsys, "demo-store", "--data", data, "--db", db)
    assert code == 0, err
    assert "created user admin" in out and "admin/admin" in out
    code, out, _ = run(capsys, "demo-store", "--data", data, "--db", db)
    assert code == 0 and "created" not in out.split("\n")[1]
    assert "instances: 0 added" in out


def test_error_during_import_is_a_line_of_its_own(tmp_path, capsys):
    root = build_davis(tmp_path / "davis")
    first_mask = sorted((root / "Annotations/480p").glob("*/00000.png"))[0]
    first_mask.write_bytes(first_mask.read_bytes()[:40])  # truncated PNG
    code, _, err = run(capsys, "import", "davis", "--root", root, "--db", tmp_path / "s.db")
    assert code == 2
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("refcat import: error: ") and str(first_mask) in last


def test_import_a2dre_plus_files(tmp_path, capsys):
    folder = write_a2dre_plus_files(tmp_path / "plus")
    db = tmp_path / "s.db"
    objects = [("XQ2WJo8sLEw", 2), ("-abc_DEF12", 0), ("v1", 1), ("v2", 0), ("v3", 3)]  # imported first
    upsert_records(
        open_store(db),
        [Video("a2d", video_id, "test", 8, 64, 48) for video_id, _ in objects],
        [ObjectRef("a2d", video_id, object_id) for video_id, object_id in objects],
    )
    code, out, err = run(capsys, "import", "a2dre-plus", folder, "--db", db)
    assert code == 0, err
    # 3 appearance pairs (two share a key: a second RE of that object) + 1 pair in each other category.
    assert out.startswith("6 A2Dre+ variants imported")
    code, out, _ = run(capsys, "import", "a2dre-plus", folder, "--db", db)
    assert out.startswith("0 A2Dre+ variants imported")
