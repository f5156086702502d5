"""A2Dre+ files: comma header with semicolon rows, commas in queries, paired with/without files."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers.dataset_files import A2DRE_PLUS_PAIRS, write_a2dre_plus_files

from refcat.datasets.a2dre_plus import (
    a2dre_plus_instances,
    file_name,
    read_a2dre_plus,
    row_location,
    write_a2dre_plus,
)
from refcat.errors import FormatError, MissingDataError, UsageError


def test_file_names():
    assert file_name("location", "without") == "A2D_no_spatial_new_format_all_non_trivial.txt"
    assert file_name("static", "with") == "A2D_verb_static_new_format_all_non_trivial.txt"
    assert file_name("appearance", "without", "davis") == "DAVIS17_no_appearance_new_format_all_non_trivial.txt"
    assert file_name("motion", "with", "demo") == "DEMO_verb_motion_new_format_all_non_trivial.txt"


def test_files_of_another_dataset_are_named_after_it_and_read_back(tmp_path):
    df = read_a2dre_plus(write_a2dre_plus_files(tmp_path / "plus"))
    written = write_a2dre_plus(df, tmp_path / "davis", "davis")
    assert sorted(p.name for p in written) == sorted(
        f"DAVIS17_{'' if p == 'with' else 'no_'}{n}_new_format_all_non_trivial.txt"
        for n in ("appearance", "spatial", "verb_motion", "verb_static")
        for p in ("with", "without")
    )
    again = read_a2dre_plus(tmp_path / "davis")  # the folder's prefix is found
    pd.testing.assert_frame_equal(again, df)
    assert row_location(again, "location", "without", 0) == (
        tmp_path / "davis" / "DAVIS17_no_spatial_new_format_all_non_trivial.txt",
        2,
    )
    # two datasets' files in one folder: which to read is not guessed
    write_a2dre_plus(df, tmp_path / "davis", "demo")
    with pytest.raises(FormatError, match="several datasets"):
        read_a2dre_plus(tmp_path / "davis")


def test_read(tmp_path):
    df = read_a2dre_plus(write_a2dre_plus_files(tmp_path / "plus"))
    assert list(df.columns) == ["category", "polarity", "video_id", "instance_id", "query", "row"]
    assert len(df) == 12
    app = df[(df.category == "appearance") & (df.polarity == "with")]
    assert app["row"].tolist() == [0, 1, 2]
    assert app["video_id"].tolist() == ["XQ2WJo8sLEw", "-abc_DEF12", "-abc_DEF12"]
    assert app["instance_id"].tolist() == [2, 0, 0]
    assert app["query"].tolist()[1] == "a blue, red and white car is jumping on the air"  # comma kept
    assert app["query"].tolist()[2] == " the  car ; on the road "  # split on the first two ';' only, kept raw
    assert set(df.category) == {"appearance", "location", "motion", "static"}  # spatial is location
    loc = df[df.category == "location"].set_index("polarity")["query"].to_dict()
    assert loc == {"with": "dog on the left", "without": "dog"}


def test_write_back_byte_for_byte_and_read_again(tmp_path):
    source = write_a2dre_plus_files(tmp_path / "plus")
    df = read_a2dre_plus(source)
    written = write_a2dre_plus(df, tmp_path / "out")
    assert len(written) == 8
    for path in written:
        assert path.read_bytes() == (source / path.name).read_bytes()  # comma header, ';' rows, LF
    pd.testing.assert_frame_equal(read_a2dre_plus(tmp_path / "out"), df)


def test_mismatched_pair_names_both_files_and_line(tmp_path):
    pairs = dict(
        A2DRE_PLUS_PAIRS,
        appearance=(A2DRE_PLUS_PAIRS["appearance"][0], ["XQ2WJo8sLEw;2;x", "-abc_DEF12;1;y", "-abc_DEF12;0;z"]),
    )
    with pytest.raises(FormatError) as err:
        read_a2dre_plus(write_a2dre_plus_files(tmp_path / "plus", pairs))
    text = str(err.value)
    assert "A2D_appearance_new_format_all_non_trivial.txt line 3 is -abc_DEF12;0" in text
    assert "A2D_no_appearance_new_format_all_non_trivial.txt line 3 is -abc_DEF12;1" in text
    pairs = dict(A2DRE_PLUS_PAIRS, spatial=(["v1;1;dog on the left", "v1;2;cat"], ["v1;1;dog"]))
    with pytest.raises(FormatError, match=r"A2D_no_spatial_new_format_all_non_trivial\.txt ends after 1 rows"):
        read_a2dre_plus(write_a2dre_plus_files(tmp_path / "plus2", pairs))


def test_write_refuses_mismatched_pairs(tmp_path):
    df = read_a2dre_plus(write_a2dre_plus_files(tmp_path / "plus"))
    df.loc[(df.category == "motion") & (df.polarity == "without"), "instance_id"] = 5
    with pytest.raises(UsageError, match="verb_motion"):
        write_a2dre_plus(df, tmp_path / "out")


def test_missing_partner_and_bad_rows(tmp_path):
    folder = write_a2dre_plus_files(tmp_path / "plus")
    (folder / "A2D_no_verb_static_new_format_all_non_trivial.txt").unlink()
    with pytest.raises(MissingDataError, match=r"A2D_no_verb_static.*partner"):
        read_a2dre_plus(folder)
    with pytest.raises(MissingDataError, match="no A2Dre\\+ files"):
        read_a2dre_plus(tmp_path)
    folder = write_a2dre_plus_files(tmp_path / "plus2", {"spatial": (["v1,1,dog on the left"], ["v1;1;dog"])})
    with pytest.raises(
        FormatError, match=r"A2D_spatial_new_format_all_non_trivial\.txt, line 2.*video_id;instance_id;query"
    ):
        read_a2dre_plus(folder)
    (folder / "A2D_spatial_new_format_all_non_trivial.txt").write_text("video_id;instance_id;query\nv1;1;x\n")
    with pytest.raises(FormatError, match=r"line 1.*expected video_id,instance_id,query"):
        read_a2dre_plus(folder)


def test_instances(tmp_path):
    df = read_a2dre_plus(write_a2dre_plus_files(tmp_path / "plus"))
    instances = [i for i in a2dre_plus_instances(df) if i.source.split(":")[1:3] == ["appearance", "with"]]
    assert [(i.key, i.text) for i in instances] == [
        ("a2d/XQ2WJo8sLEw/2/a2dre+:appearance:with", "the person in gray is walking"),
        ("a2d/-abc_DEF12/0/a2dre+:appearance:with", "a blue, red and white car is jumping on the air"),
        ("a2d/-abc_DEF12/0/a2dre+:appearance:with:1", "the car ; on the road"),  # repeated key, normalised
    ]
    assert len({i.key for i in a2dre_plus_instances(df)}) == 12
