"""`refcat import davis` finds davis_text_annotations/ inside the root, beside it, or where --expressions says."""

from __future__ import annotations

import shutil

import pytest
from helpers.dataset_files import build_davis

from refcat.cli import main
from refcat.datasets.readers import open_reader
from refcat.store.database import open_store
from refcat.store.instances import list_videos

N_RES = 9  # the REs of build_davis's files, over both splits


@pytest.fixture
def davis(tmp_path):
    return build_davis(tmp_path / "data" / "DAVIS")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 2, out + err
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("refcat import: error: ") and err.count("error") == 1, err
    return last


def test_inside_the_root(davis, tmp_path, capsys):
    code, out, err = run(capsys, "import", "davis", "--root", davis, "--db", tmp_path / "s.db")
    assert code == 0, err
    assert f"instances: {N_RES} added" in out
    assert f"{N_RES} REs found in {davis / 'davis_text_annotations'}" in out


def test_beside_the_root_as_the_refvos_authors_and_referformer_keep_it(davis, tmp_path, capsys):
    beside = davis.parent / "davis_text_annotations"
    shutil.move(davis / "davis_text_annotations", beside)
    code, out, err = run(capsys, "import", "davis", "--root", davis, "--db", tmp_path / "s.db")
    assert code == 0, err
    assert f"instances: {N_RES} added" in out and f"{N_RES} REs found in {beside}" in out
    assert len(list(open_reader("davis", davis).instances())) == N_RES  # the app and evaluate read it too


def test_inside_wins_over_beside(davis, tmp_path, capsys):
    beside = davis.parent / "davis_text_annotations"
    beside.mkdir()
    (beside / "Davis17_annot1.txt").write_text('blackswan 1 "a decoy"\n')
    code, out, _ = run(capsys, "import", "davis", "--root", davis, "--split", "val", "--db", tmp_path / "s.db")
    assert code == 0 and f"REs found in {davis / 'davis_text_annotations'}" in out


def test_expressions_names_the_folder(davis, tmp_path, capsys):
    elsewhere = tmp_path / "texts" / "refs"
    shutil.move(davis / "davis_text_annotations", elsewhere)
    db = tmp_path / "s.db"
    line = refused(capsys, "import", "davis", "--root", davis, "--db", db)
    assert f"{davis / 'davis_text_annotations'}: no referring expressions found" in line
    assert "--expressions" in line
    assert list_videos(open_store(db)) == []  # refused before anything was imported
    code, out, err = run(capsys, "import", "davis", "--root", davis, "--expressions", elsewhere, "--db", db)
    assert code == 0, err
    assert f"instances: {N_RES} added" in out and f"{N_RES} REs found in {elsewhere}" in out


def test_a_named_folder_that_is_not_there(davis, tmp_path, capsys):
    line = refused(
        capsys, "import", "davis", "--root", davis, "--expressions", tmp_path / "nope", "--db", tmp_path / "s.db"
    )
    assert f"{tmp_path / 'nope'}: referring expressions folder not found" in line


def test_files_without_an_re_of_the_split(davis, tmp_path, capsys):
    folder = davis / "davis_text_annotations"
    for path in folder.iterdir():
        path.write_text('blackswan 1 "a black swan"\n')  # val only
    line = refused(capsys, "import", "davis", "--root", davis, "--split", "train", "--db", tmp_path / "s.db")
    assert f"{folder}: no referring expressions found for the train split" in line
    code, out, _ = run(capsys, "import", "davis", "--root", davis, "--split", "val", "--db", tmp_path / "s.db")
    assert code == 0 and f"3 REs found in {folder}" in out
