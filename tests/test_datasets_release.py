"""The released label files (*_RE_categorization.csv): every quirk, and read, write, read."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers.release import CATEGORY_COLUMNS, RELEASE_HEADER, write_release_lines

from refcat.datasets.release import labels_from_release, read_release, write_release
from refcat.errors import FormatError, MissingDataError, UsageError

ROWS = [
    "blackswan;1;a black feathered swan;Trivial (Single Object Category);Redundant Information;"
    "1.0;0.0;1.0;0.0;0.0;0.0;0.0",
    "-7EE9T3Z0qk;0;the child is crawling up onto the sofa;Non-trivial;Redundant Information;"
    "0.0;0.0;1.0;1.0;1.0;0.0;0.0",
    "2G9DODKHHIM;0;seagull standing in the back;Not a Referring Expression;Not Applicable;;;;;;;",
    'abc;2;"man in red, ""tall""; waving";Non-trivial;Minimum Information;1;0;1;0;0;0;1',
    "xyz;3;empty non trivial;Non-trivial;Redundant Information;;;;;;;",
    "mixed;1;caf\u00e9 sign;Incorrect Referring Expression;Not Applicable;1;0.0;;1.0;0;;",
    "dup;1;same;Trivial;Minimum Information;1;1;1;1;1;1;1",
    "dup;1;same;Trivial;Minimum Information;1.0;1.0;1.0;1.0;1.0;1.0;1.0",
]


@pytest.fixture
def release(tmp_path):
    path = tmp_path / "DAVIS17_RE_categorization.csv"
    return write_release_lines(path, ROWS)


def test_read_values_and_types(release):
    df = read_release(release)
    assert list(df.columns) == [
        "video_id",
        "instance_id",
        "ref_exp",
        "ref_exp_difficulty",
        "ref_exp_information",
        *CATEGORY_COLUMNS,
    ]
    assert len(df) == 8
    assert all(str(df[c].dtype) == "Int8" for c in CATEGORY_COLUMNS)
    assert df["instance_id"].tolist() == [1, 0, 0, 2, 3, 1, 1, 1]
    assert df.loc[0, CATEGORY_COLUMNS].tolist() == [1, 0, 1, 0, 0, 0, 0]
    assert df.loc[3, CATEGORY_COLUMNS].tolist() == [1, 0, 1, 0, 0, 0, 1]  # 1/0 cells read as 1.0/0.0 ones
    assert df.loc[2, CATEGORY_COLUMNS].isna().all() and df.loc[4, CATEGORY_COLUMNS].isna().all()  # empty -> NA
    assert df.loc[5, CATEGORY_COLUMNS].tolist() == [1, 0, pd.NA, 1, 0, pd.NA, pd.NA]
    assert df.loc[3, "ref_exp"] == 'man in red, "tall"; waving'  # a quoted cell with ; and "
    assert df.loc[1, "video_id"] == "-7EE9T3Z0qk"
    assert df.loc[5, "ref_exp"] == "caf\u00e9 sign"


def test_unedited_file_is_written_back_byte_for_byte(release, tmp_path):
    out = tmp_path / "out.csv"
    write_release(read_release(release), out)
    assert out.read_bytes() == release.read_bytes()  # header, ';', CRLF, 1.0 vs 1 cells, empty cells


def test_read_write_read_loses_nothing_after_edits(release, tmp_path):
    df = read_release(release)
    df.loc[0, "location"] = 1  # a 1.0/0.0 row
    df.loc[3, "motion"] = 1  # a 1/0 row
    df.loc[4, "appearance"] = 0  # a row with no cells: the file's majority style (1.0)
    df.loc[1, "static"] = pd.NA
    out = tmp_path / "out.csv"
    write_release(df, out)
    lines = out.read_bytes().decode("utf-8").split("\r\n")
    assert lines[1].endswith(";1.0;0.0;1.0;1.0;0.0;0.0;0.0")
    assert lines[2].endswith(";0.0;0.0;1.0;1.0;1.0;0.0;")
    assert lines[4].endswith(";1;0;1;0;1;0;1")
    assert lines[5].endswith(";0.0;;;;;;")
    assert lines[-1] == ""
    pd.testing.assert_frame_equal(read_release(out), df)


def test_new_table_is_written_in_the_released_format(tmp_path):
    df = pd.DataFrame(
        {
            "video_id": ["v"],
            "instance_id": [0],
            "ref_exp": ["a dog"],
            "ref_exp_difficulty": ["Non-trivial"],
            "ref_exp_information": ["Minimum Information"],
            **{c: pd.array([1 if c == "category" else pd.NA], dtype="Int8") for c in CATEGORY_COLUMNS},
        }
    )
    out = tmp_path / "new.csv"
    write_release(df, out)
    assert out.read_bytes() == (RELEASE_HEADER + "\r\nv;0;a dog;Non-trivial;Minimum Information;;;1.0;;;;\r\n").encode()
    with pytest.raises(UsageError, match="motion is 2"):
        write_release(df.assign(motion=pd.array([2], dtype="Int8")), out)


def test_labels_from_release(release):
    labels = labels_from_release(read_release(release))
    assert labels["difficulty"].tolist() == [
        "trivial",
        "non-trivial",
        None,
        "non-trivial",
        "non-trivial",
        None,
        "trivial",
        "trivial",
    ]
    assert labels["correctness"].tolist() == [
        "valid",
        "valid",
        "no-re",
        "valid",
        "valid",
        "wrong-object",
        "valid",
        "valid",
    ]
    assert labels["information"].tolist() == [
        "redundant",
        "redundant",
        None,
        "minimal",
        "redundant",
        None,
        "minimal",
        "minimal",
    ]
    assert labels["appearance"].tolist()[:2] == [1, 0]


@pytest.mark.parametrize(
    "row, message",
    [
        ("v;0;x;Non-trivial;Redundant Information;yes;0;1;0;0;0;0", "category cell 'yes'"),
        ("v;0;x;Non-trivial;Redundant Information;1;0;1;0;0;0", "11 cells"),
        ("v;zero;x;Non-trivial;Redundant Information;1;0;1;0;0;0;0", "instance_id 'zero'"),
        ("v;0;x;Hard;Redundant Information;1;0;1;0;0;0;0", "ref_exp_difficulty 'Hard'"),
        ("v;0;x;Trivial;Some Information;1;0;1;0;0;0;0", "ref_exp_information 'Some Information'"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, row, message):
    path = tmp_path / "A2D_RE_categorization.csv"
    path.write_bytes(f"{RELEASE_HEADER}\r\n{ROWS[0]}\r\n{row}\r\n".encode())
    with pytest.raises(FormatError, match=rf"A2D_RE_categorization\.csv, line 3: {message}"):
        read_release(path)


def test_bad_header_and_missing_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(RELEASE_HEADER.replace(";", ",") + "\n")
    with pytest.raises(FormatError, match=r"x\.csv, line 1.*expected video_id;instance_id"):
        read_release(path)
    with pytest.raises(MissingDataError):
        read_release(tmp_path / "absent.csv")


def test_extra_trailing_columns_are_kept_and_written_back_in_place(tmp_path):
    # as `refcat categorize` writes it: the released header plus an evidence column (JSON, quoted by csv)
    header = RELEASE_HEADER + ";evidence;note"
    rows = [ROWS[0] + ';"{""appearance"": [""black"", ""feathered""]}";checked', ROWS[2] + ";;", ROWS[3] + ";{};x"]
    path = tmp_path / "categorized.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    df = read_release(path)
    assert list(df.columns)[12:] == ["evidence", "note"]
    assert list(df.columns)[:12] == RELEASE_HEADER.split(";")
    assert df["evidence"].tolist() == ['{"appearance": ["black", "feathered"]}', "", "{}"]
    assert df["note"].tolist() == ["checked", "", "x"]
    assert df.loc[2, "ref_exp"] == 'man in red, "tall"; waving' and df.loc[2, "static"] == 1
    out = tmp_path / "out.csv"
    write_release(df, out)
    assert out.read_bytes() == path.read_bytes()
    df.loc[1, "motion"] = 0
    write_release(df, out)
    assert out.read_bytes().decode().split("\r\n")[2] == (
        "2G9DODKHHIM;0;seagull standing in the back;Not a Referring Expression;Not Applicable;;;;;0.0;;;;"
    )
    # a row must have as many cells as the header, extra columns included
    path.write_bytes((header + "\r\n" + ROWS[0] + ";only one\r\n").encode())
    with pytest.raises(FormatError, match=r"line 2: 13 cells.*expected 14 cells"):
        read_release(path)


@pytest.mark.parametrize(
    "header",
    [
        RELEASE_HEADER.replace("motion;obj-motion", "obj-motion;motion"),  # misordered
        RELEASE_HEADER.replace(";static", ""),  # a standard column missing
        RELEASE_HEADER.replace(";static", "") + ";evidence",  # ... even with an extra one in its place
        "evidence;" + RELEASE_HEADER,  # extra columns only after the twelve
        RELEASE_HEADER + ";motion",  # an extra column may not repeat a standard name
    ],
)
def test_missing_or_misordered_standard_columns_are_refused(tmp_path, header):
    path = tmp_path / "labels.csv"
    path.write_bytes((header + "\r\n").encode())
    with pytest.raises(
        FormatError,
        match=r"labels\.csv, line 1: header .*expected video_id;instance_id;ref_exp;"
        r"ref_exp_difficulty;ref_exp_information;appearance;obj-static;category;"
        r"location;motion;obj-motion;static",
    ):
        read_release(path)
