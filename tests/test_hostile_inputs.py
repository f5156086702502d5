"""Hostile and broken dataset files through `refcat import`: each is refused with exit 2 and one line
naming the file (and line or frame) and what was expected, and the store is left exactly as it was.

Every case starts from a store that already holds the DAVIS fixture, so that a half-done import
would show as changed rows. Fixtures are the real formats (helpers/dataset_files.py), spoilt in one place.
"""

import os
import pickle
import shutil
import sqlite3

import h5py
import numpy as np
import pytest
from helpers.dataset_files import (
    A2D_H,
    A2D_W,
    DAVIS_H,
    DAVIS_W,
    a2d_mask,
    build_a2d,
    build_davis,
    write_a2d_h5,
    write_a2dre_plus_files,
    write_palette_png,
)
from helpers.release import write_release_lines
from PIL import Image

from refcat.cli import main
from refcat.errors import FormatError

HUGE_FIELD = "x" * 50_000_000  # a 50 MB CSV field, far over csv.field_size_limit()


def snapshot(db):
    """Every row of every table of a SQLite store, sorted: equal snapshots mean an unchanged store."""
    with sqlite3.connect(db) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in sorted(tables)}


def refused(capsys, *argv):
    """Run the command; it must exit 2 with one error line and no traceback. Returns that line."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    marker = f"refcat {argv[0]}: error: "
    assert err.count(marker) == 1, err
    line = err[err.index(marker) :]
    assert line.count("\n") == 1 and line.endswith("\n"), line  # the message is one line, and the last
    return line


@pytest.fixture
def store(tmp_path, capsys):
    """A SQLite store holding the DAVIS fixture (so that any partial import would change it)."""
    db = tmp_path / "store.db"
    assert main(["import", "davis", "--root", str(build_davis(tmp_path / "davis")), "--db", str(db)]) == 0
    capsys.readouterr()
    return db


@pytest.fixture
def demo(tmp_path):
    """A second copy of the DAVIS fixture, imported as the "demo" dataset: all its rows would be new."""
    return build_davis(tmp_path / "demo")


@pytest.fixture(scope="module")
def bomb_png(tmp_path_factory):
    """A real 14000 x 14000 palette PNG (196 million pixels, past PIL's decompression-bomb limits); 190 kB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    image = Image.new("P", (14000, 14000))
    image.putpalette([0, 0, 0] * 256)
    image.save(path)
    return path.read_bytes()


def import_demo(capsys, demo, store, *options):
    before = snapshot(store)
    line = refused(capsys, "import", "demo", "--root", demo, "--db", store, *options)
    assert snapshot(store) == before
    return line


# ----- DAVIS layout: ImageSets, davis_semantics.json, RE files, masks and frames


def test_imagesets_with_bytes_that_are_not_utf8(capsys, demo, store):
    (demo / "ImageSets/2017/val.txt").write_bytes(b"blackswan\nclassic-car\nmotor\xffbike\n")
    line = import_demo(capsys, demo, store)
    assert f"{demo / 'ImageSets/2017/val.txt'}, line 3: " in line and "utf-8" in line


@pytest.mark.parametrize(
    "entry",
    ["../../x/JPEGImages/480p/motorbike", "motorbike/../../../etc", "..", ".hidden", "a\\b", "bl ack"],
)
def test_imagesets_entries_are_plain_names(capsys, demo, store, entry):
    (demo / "ImageSets/2017/val.txt").write_text(f"blackswan\n{entry}\n")
    line = import_demo(capsys, demo, store)
    assert f"{demo / 'ImageSets/2017/val.txt'}, line 2: " in line and "plain name" in line


def test_empty_imagesets_say_so(capsys, demo, store):
    for split in ("train", "val"):
        (demo / f"ImageSets/2017/{split}.txt").write_text("\n")
    line = import_demo(capsys, demo, store)
    assert f"{demo / 'ImageSets/2017'}: the split files list no sequences" in line
    line = import_demo(capsys, demo, store, "--split", "val")
    assert f"{demo / 'ImageSets/2017/val.txt'}: the split file lists no sequences" in line


@pytest.mark.parametrize(
    "name", ["ImageSets/2017/val.txt", "davis_semantics.json", "davis_text_annotations/Davis17_annot2.txt"]
)
def test_an_index_file_that_is_a_folder_says_so(capsys, demo, store, name):
    (demo / name).unlink()
    (demo / name).mkdir()
    line = import_demo(capsys, demo, store)
    assert f"{demo / name}: " in line and "is a folder" in line and "not found" not in line


def test_a_class_that_is_not_a_string(capsys, demo, store):
    (demo / "davis_semantics.json").write_text('{"blackswan": {"1": "bird"}, "classic-car": {"1": 5}}')
    line = import_demo(capsys, demo, store)
    assert f"{demo / 'davis_semantics.json'}: the class of object '1' of 'classic-car' is 5" in line


def test_a_mask_larger_than_its_frames(capsys, demo, store):
    mask = demo / "Annotations/480p/motorbike/00001.png"
    write_palette_png(mask, np.zeros((2 * DAVIS_H, 2 * DAVIS_W), np.uint8))
    line = import_demo(capsys, demo, store)
    assert f"{mask}, frame 1: mask of 64x48 pixels on frames of 32x24" in line


def test_a_decompression_bomb_mask(capsys, demo, store, bomb_png):
    mask = demo / "Annotations/480p/motorbike/00001.png"
    mask.write_bytes(bomb_png)
    line = import_demo(capsys, demo, store)
    assert f"{mask}, frame 1: refused as a possible decompression bomb (Image size (196000000 pixels)" in line
    assert "MAX_IMAGE_PIXELS" in line


def test_a_decompression_bomb_frame(capsys, demo, store, bomb_png):
    frame = demo / "JPEGImages/480p/blackswan/00000.jpg"
    frame.write_bytes(bomb_png)  # PIL reads by content, not by suffix
    line = import_demo(capsys, demo, store)
    assert f"{frame}: refused as a possible decompression bomb" in line


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_over_the_limit_that_pil_only_warns_about(capsys, demo, store, monkeypatch):
    # 32 x 24 = 768 pixels: over a limit of 500, under twice it, where PIL warns but opens the file
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    line = import_demo(capsys, demo, store)
    assert "image of 32x24 pixels, refused as a possible decompression bomb (expected at most 500 pixels" in line


# ----- A2D layout: videoset.csv, a2d_annotation.txt, the .h5 masks


@pytest.fixture
def a2d(tmp_path):
    return build_a2d(tmp_path / "a2d")


def import_a2d(capsys, a2d, store):
    before = snapshot(store)
    line = refused(capsys, "import", "a2d", "--root", a2d, "--db", store)
    assert snapshot(store) == before
    return line


def test_videoset_with_bytes_that_are_not_utf8(capsys, a2d, store):
    videoset = a2d / "Release/videoset.csv"
    videoset.write_bytes(videoset.read_bytes() + b"caf\xe9,11,0,3.2,360,640,8,1,1\n")
    line = import_a2d(capsys, a2d, store)
    assert f"{videoset}, line 7: " in line and "utf-8" in line


def test_videoset_with_a_huge_field(capsys, a2d, store):
    videoset = a2d / "Release/videoset.csv"
    videoset.write_text(videoset.read_text() + f"{HUGE_FIELD},11,0,3.2,360,640,8,1,1\n")
    line = import_a2d(capsys, a2d, store)
    assert f"{videoset}, line 7: cannot read the row (field larger than field limit" in line


def test_sentences_with_a_huge_field(capsys, a2d, store):
    sentences = a2d / "a2d_annotation.txt"
    sentences.write_text(sentences.read_text() + f'--h5fAKYurM,1,"{HUGE_FIELD}"\n')
    line = import_a2d(capsys, a2d, store)
    assert f"{sentences}, line 10: cannot read the row" in line


def test_empty_videoset_says_so(capsys, a2d, store):
    (a2d / "Release/videoset.csv").write_text("")
    line = import_a2d(capsys, a2d, store)
    assert f"{a2d / 'Release/videoset.csv'}: the videoset file lists no videos" in line


@pytest.mark.parametrize("video_id", ["../../../tmp/x", ".hidden", "a/b"])
def test_videoset_ids_are_plain_names(capsys, a2d, store, video_id):
    videoset = a2d / "Release/videoset.csv"
    videoset.write_text(videoset.read_text() + f"{video_id},11,0,3.2,360,640,8,1,1\n")
    line = import_a2d(capsys, a2d, store)
    assert f"{videoset}, line 7: video id: " in line and "plain name" in line


def test_sentences_file_that_is_a_folder(capsys, a2d, store):
    (a2d / "a2d_annotation.txt").unlink()
    (a2d / "a2d_annotation.txt").mkdir()
    line = import_a2d(capsys, a2d, store)
    assert f"{a2d / 'a2d_annotation.txt'}: the sentences file is a folder" in line


def test_an_h5_key_that_is_a_group(capsys, a2d, store):
    path = a2d / "a2d_annotation_with_instances/EadxBPmQvtg/00025.h5"
    with h5py.File(path, "a") as f:
        del f["reMask"]
        f.create_group("reMask")
    line = import_a2d(capsys, a2d, store)
    assert f"{path}, frame 24: key 'reMask' is a group, not a dataset" in line


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0, 0.5])
def test_an_h5_instance_id_that_is_not_a_whole_number(capsys, a2d, store, bad):
    path = a2d / "a2d_annotation_with_instances/EadxBPmQvtg/00025.h5"
    write_a2d_h5(path, [0, bad], [a2d_mask(0, 0, 1, 1), a2d_mask(5, 5, 6, 6)], [11, 75])
    line = import_a2d(capsys, a2d, store)
    assert f"{path}, frame 24: instance holds {bad}, not a whole number >= 0" in line


def test_an_h5_mask_smaller_than_the_frames(capsys, a2d, store):
    path = a2d / "a2d_annotation_with_instances/EadxBPmQvtg/00025.h5"
    small = np.zeros((A2D_H // 2, A2D_W // 2), bool)
    small[1:3, 1:3] = True
    write_a2d_h5(path, [0], [small], [11])
    line = import_a2d(capsys, a2d, store)
    assert f"{path}, frame 24: mask of instance 0 is 32x24 pixels, the frames 64x48" in line


# ----- released label files, instance files, A2Dre+ files


def test_release_file_with_a_huge_field(capsys, tmp_path, store):
    release = write_release_lines(
        tmp_path / "DAVIS17_RE_categorization.csv",
        ["blackswan;1;a swan;Trivial;Not Applicable;;;;;;;", f"blackswan;1;{HUGE_FIELD};Trivial;Not Applicable;;;;;;;"],
    )
    before = snapshot(store)
    line = refused(capsys, "import", "release", release, "--dataset", "davis", "--db", store)
    assert f"{release}, line 3: cannot read the row" in line and snapshot(store) == before


def test_release_file_that_is_a_folder(capsys, tmp_path, store):
    (tmp_path / "labels.csv").mkdir()
    line = refused(capsys, "import", "release", tmp_path / "labels.csv", "--dataset", "davis", "--db", store)
    assert f"{tmp_path / 'labels.csv'}: the label file is a folder" in line


INSTANCE_HEADER = "key,dataset,video_id,object_id,source,text\n"
GOOD_ROW = "davis/blackswan/1/mine,davis,blackswan,1,mine,a new swan\n"


def import_instances(capsys, path, store):
    before = snapshot(store)
    line = refused(capsys, "import", "instances", path, "--db", store)
    assert snapshot(store) == before
    return line


def test_instance_csv_with_bytes_that_are_not_utf8(capsys, tmp_path, store):
    path = tmp_path / "i.csv"
    path.write_bytes((INSTANCE_HEADER + GOOD_ROW).encode() + b"davis/blackswan/1/x,davis,blackswan,1,x,caf\xe9\n")
    line = import_instances(capsys, path, store)
    assert f"{path}, line 3: " in line and "utf-8" in line


def test_instance_csv_with_a_huge_field(capsys, tmp_path, store):
    path = tmp_path / "i.csv"
    path.write_text(INSTANCE_HEADER + GOOD_ROW + f"davis/blackswan/1/x,davis,blackswan,1,x,{HUGE_FIELD}\n")
    line = import_instances(capsys, path, store)
    assert f"{path}, line 3: cannot read the row" in line


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_instance_fields_with_a_slash(capsys, tmp_path, store, suffix):
    path = tmp_path / f"i{suffix}"
    if suffix == ".csv":
        path.write_text(INSTANCE_HEADER + GOOD_ROW + "davis/black/swan/1/x,davis,black/swan,1,x,t\n")
    else:
        path.write_text(
            '{"key": "davis/blackswan/1/mine", "dataset": "davis", "video_id": "blackswan", "object_id": 1, '
            '"source": "mine", "text": "t"}\n'
            '{"key": "davis/blackswan/1/a/b", "dataset": "davis", "video_id": "blackswan", "object_id": 1, '
            '"source": "a/b", "text": "t"}\n'
        )
    line = import_instances(capsys, path, store)
    assert f"{path}, line {3 if suffix == '.csv' else 2}: " in line and "without '/'" in line


def test_instance_jsonl_with_bytes_that_are_not_utf8(capsys, tmp_path, store):
    path = tmp_path / "i.jsonl"
    path.write_bytes(b'{"key": "x"}\n{"key": "caf\xe9"}\n')
    line = import_instances(capsys, path, store)
    assert f"{path}, line 2: " in line and "utf-8" in line


def test_a2dre_plus_rows_of_videos_not_in_the_store(capsys, tmp_path, store):
    folder = write_a2dre_plus_files(tmp_path / "plus")
    before = snapshot(store)
    line = refused(capsys, "import", "a2dre-plus", folder, "--db", store)
    appearance = folder / "A2D_appearance_new_format_all_non_trivial.txt"
    assert f"{appearance}, line 2: object 2 of a2d video 'XQ2WJo8sLEw' is not in the store" in line
    assert snapshot(store) == before


def test_a2dre_plus_file_with_bytes_that_are_not_utf8(capsys, tmp_path, store):
    folder = write_a2dre_plus_files(tmp_path / "plus")
    path = folder / "A2D_spatial_new_format_all_non_trivial.txt"
    path.write_bytes(b"video_id,instance_id,query\nv1;1;dog on the l\xe9ft\n")
    line = refused(capsys, "import", "a2dre-plus", folder, "--db", store)
    assert f"{path}, line 2: " in line and "utf-8" in line


class _Planted:
    """Unpickling this calls os.mkdir(path): what a hostile refs file could do with any function."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_a_refcoco_refs_pickle_that_would_run_code(tmp_path):
    from refcat.datasets.refer import RefCocoReader

    root = tmp_path / "refcoco"
    root.mkdir()
    (root / "instances.json").write_text('{"images": [], "annotations": [], "categories": []}')
    marker = tmp_path / "ran"
    refs = [{"ref_id": 0, "ann_id": 1, "image_id": 2, "split": "train", "sentences": [], "x": _Planted(marker)}]
    (root / "refs(unc).p").write_bytes(pickle.dumps(refs))
    with pytest.raises(FormatError, match=r"refs\(unc\)\.p: cannot unpickle: the file names \w+\.mkdir"):
        RefCocoReader(root)
    assert not marker.exists()


# ----- the store file itself


def test_a_store_file_that_is_not_sqlite(capsys, tmp_path, demo):
    db = tmp_path / "notes.db"
    db.write_bytes(b"these are my notes, not a database\n" * 200)
    for argv in (("info",), ("import", "demo", "--root", demo)):
        line = refused(capsys, *argv, "--db", db)
        assert f"sqlite:///{db}: cannot open store: file is not a database" in line
    assert db.read_bytes() == b"these are my notes, not a database\n" * 200


def test_a_store_that_is_a_folder(capsys, tmp_path):
    (tmp_path / "store.db").mkdir()
    line = refused(capsys, "info", "--db", tmp_path / "store.db")
    assert f"sqlite:///{tmp_path / 'store.db'}: cannot open store" in line


def test_the_fixture_imports_cleanly(capsys, tmp_path, demo, store):
    """The unspoilt copies import: the refusals above are the spoilt part's, not the fixture's."""
    assert main(["import", "demo", "--root", str(demo), "--db", str(store)]) == 0
    shutil.rmtree(demo / "davis_text_annotations")
    assert main(["import", "a2d", "--root", str(build_a2d(tmp_path / "a2d")), "--db", str(store)]) == 0
