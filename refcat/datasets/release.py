"""The paper's released RE categorization labels: `A2D_RE_categorization.csv`, `DAVIS17_RE_categorization.csv`.

Format (FORMATS.md): semicolon-separated, CRLF line endings, one header line
  video_id;instance_id;ref_exp;ref_exp_difficulty;ref_exp_information;appearance;obj-static;category;
  location;motion;obj-motion;static
Category cells are `1.0`/`0.0` in some rows, `1`/`0` in others, and empty where not labelled.
A file may carry more columns after the twelve (as `refcat categorize` writes an `evidence`
column): they are read as text columns after the standard ones and written back in place.

`read_release` gives the category columns as pandas nullable Int8 (pd.NA where empty) and keeps
how the file was written in `df.attrs["release_format"]` (encoding, BOM, line ending, final
newline, and each row's raw category cells keyed by (video_id, instance_id, ref_exp, occurrence)).
`write_release` writes each category cell as the source wrote it when the value is unchanged,
otherwise in its row's style, or the file's majority style when the row has none (`1.0`/`0.0`
when unknown), so that read, write, read loses nothing and an unedited file is written back
byte for byte.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pandas as pd

from refcat.datasets.files import csv_rows, require_file
from refcat.errors import FormatError, UsageError
from refcat.taxonomy import (
    RELEASE_CATEGORY_ORDER,
    RELEASE_DIFFICULTY,
    RELEASE_INFORMATION,
)

TEXT_COLUMNS = ("video_id", "instance_id", "ref_exp", "ref_exp_difficulty", "ref_exp_information")
HEADER = TEXT_COLUMNS + RELEASE_CATEGORY_ORDER
CELL_VALUES = {"": None, "0": 0, "1": 1, "0.0": 0, "1.0": 1}
STYLES = {"float": ("0.0", "1.0"), "int": ("0", "1")}
FORMAT_KEY = "release_format"
RELEASE_EXPECTED = "a *_RE_categorization.csv file"
RowKey = tuple[str, int, str]  # (video_id, instance_id, ref_exp): with its occurrence count, a row's identity


def _decode(path: Path, data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, had BOM): UTF-8 (with or without BOM), else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8", True
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", False


def read_release(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    require_file(path, RELEASE_EXPECTED, what="label file")
    text, encoding, bom = _decode(path, path.read_bytes())
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = csv_rows(path, text, RELEASE_EXPECTED, delimiter=";")
    header = next(rows, (1, []))[1]
    extra = header[len(HEADER) :]
    bad_extra = any(c in HEADER or not c for c in extra) or len(set(extra)) < len(extra)
    if tuple(header[: len(HEADER)]) != HEADER or bad_extra:
        raise FormatError(
            f"header {';'.join(header)!r}",
            path=path,
            line=1,
            expected=";".join(HEADER) + ", then optional extra columns with other, distinct names",
        )
    records: list[list[object]] = []
    raw_cells: dict[tuple[str, int, str, int], tuple[str, ...]] = {}  # RowKey + occurrence -> category cells
    seen: dict[RowKey, int] = {}
    for line, cells in rows:
        if not cells:
            continue
        if len(cells) != len(header):
            raise FormatError(
                f"{len(cells)} cells", path=path, line=line, expected=f"{len(header)} cells separated by ';'"
            )
        video_id, instance_cell, ref_exp, difficulty, information = cells[:5]
        if not instance_cell.strip().isdecimal():
            raise FormatError(f"instance_id {instance_cell!r}", path=path, line=line, expected="an integer instance id")
        if difficulty not in RELEASE_DIFFICULTY:
            raise FormatError(
                f"ref_exp_difficulty {difficulty!r}", path=path, line=line, expected=" | ".join(RELEASE_DIFFICULTY)
            )
        if information not in RELEASE_INFORMATION:
            raise FormatError(
                f"ref_exp_information {information!r}", path=path, line=line, expected=" | ".join(RELEASE_INFORMATION)
            )
        categories = cells[5 : len(HEADER)]
        bad = [c for c in categories if c not in CELL_VALUES]
        if bad:
            raise FormatError(f"category cell {bad[0]!r}", path=path, line=line, expected="1.0, 0.0, 1, 0 or empty")
        instance_id = int(instance_cell)
        records.append(
            [
                video_id,
                instance_id,
                ref_exp,
                difficulty,
                information,
                *(CELL_VALUES[c] for c in categories),
                *cells[len(HEADER) :],
            ]
        )
        key = (video_id, instance_id, ref_exp)
        seen[key] = seen.get(key, -1) + 1
        raw_cells[key + (seen[key],)] = tuple(categories)
    df = pd.DataFrame(records, columns=list(HEADER) + extra)
    df = df.astype(
        {
            "video_id": str,
            "instance_id": "int64",
            "ref_exp": str,
            "ref_exp_difficulty": str,
            "ref_exp_information": str,
            **dict.fromkeys(RELEASE_CATEGORY_ORDER, "Int8"),
            **dict.fromkeys(extra, str),
        }
    )
    styles = Counter(_cell_style(c) for cells in raw_cells.values() for c in cells if c)
    df.attrs[FORMAT_KEY] = {
        "encoding": encoding,
        "bom": bom,
        "newline": newline,
        "final_newline": text.endswith("\n"),
        "style": styles.most_common(1)[0][0] if styles else "float",
        "cells": raw_cells,
        "extra_columns": extra,
    }
    return df


def _cell_style(cell: str) -> str:
    return "float" if "." in cell else "int"


def _row_style(raw_cells: tuple[str, ...], file_style: str) -> str:
    """The style of a row's non-empty source cells when they agree, else the file's."""
    styles = {_cell_style(c) for c in raw_cells if c}
    return styles.pop() if len(styles) == 1 else file_style


def write_release(df: pd.DataFrame, path: str | Path) -> None:
    """Write a label table in the released format (see the module docstring for cell styles), with the
    extra columns the file was read with (`attrs["release_format"]["extra_columns"]`) after the twelve."""
    missing = [c for c in HEADER if c not in df.columns]
    if missing:
        raise UsageError(f"label table lacks columns {missing}", expected=", ".join(HEADER))
    fmt = df.attrs.get(FORMAT_KEY, {})
    raw_cells = fmt.get("cells", {})
    file_style = fmt.get("style", "float")
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator=fmt.get("newline", "\r\n"))
    extra = [c for c in fmt.get("extra_columns", []) if c in df.columns]
    writer.writerow(HEADER + tuple(extra))
    seen: dict[RowKey, int] = {}
    for n, row in enumerate(df[list(HEADER) + extra].itertuples(index=False, name=None)):
        video_id, instance_id, ref_exp, difficulty, information = row[:5]
        key = (str(video_id), int(instance_id), str(ref_exp))
        seen[key] = seen.get(key, -1) + 1
        raw = raw_cells.get(key + (seen[key],), ("",) * len(RELEASE_CATEGORY_ORDER))
        cells = []
        for name, value, source in zip(RELEASE_CATEGORY_ORDER, row[5 : len(HEADER)], raw):
            if pd.isna(value):
                cells.append("")
            elif value not in (0, 1):
                raise UsageError(f"row {n}: {name} is {value}", expected="0, 1 or missing")
            elif CELL_VALUES.get(source) == value:
                cells.append(source)
            else:
                zero, one = STYLES[_row_style(raw, file_style)]
                cells.append(one if value == 1 else zero)
        writer.writerow(
            [
                video_id,
                int(instance_id),
                ref_exp,
                difficulty,
                information,
                *cells,
                *("" if pd.isna(v) else v for v in row[len(HEADER) :]),
            ]
        )
    text = out.getvalue()
    if not fmt.get("final_newline", True):
        text = text[: -len(fmt.get("newline", "\r\n"))]
    data = text.encode(fmt.get("encoding", "utf-8"))
    Path(path).write_bytes((b"\xef\xbb\xbf" if fmt.get("bom") else b"") + data)


def labels_from_release(df: pd.DataFrame) -> pd.DataFrame:
    """The same rows with the taxonomy fields difficulty, correctness, information added.

    "Trivial (Single Object Category)" and "Trivial" both give difficulty "trivial"; the two
    incorrect kinds give difficulty None; "Not Applicable" information gives None.
    """
    labels = df.copy()
    pairs = [RELEASE_DIFFICULTY[v] for v in df["ref_exp_difficulty"]]
    labels["difficulty"] = pd.Series([p[0] for p in pairs], index=df.index, dtype=object)
    labels["correctness"] = pd.Series([p[1] for p in pairs], index=df.index, dtype=object)
    labels["information"] = pd.Series(
        [RELEASE_INFORMATION[v] for v in df["ref_exp_information"]], index=df.index, dtype=object
    )
    return labels
