"""Instance export/import: CSV, JSONL and Parquet round trips lose nothing; keys are checked."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from refcat.datasets.instance_io import read_instances, write_instances
from refcat.datasets.records import Instance
from refcat.errors import FormatError, MissingDataError, UsageError

INSTANCES = [
    Instance("davis", "blackswan", 1, "annot1", "a black feathered swan"),
    Instance("davis", "blackswan", 1, "annot2", "swan near the caf\u00e9, \"quoted\" and 'single'"),
    Instance("a2d", "--h5fAKYurM", 0, "sentence1", "pigeon walking,\nthen stopping"),
    Instance("a2d", "-0cOo0cRVZU", 12, "a2dre+:appearance:with", "  stray  spaces  "),
    Instance("demo", "video_03", 2, "annot1_full_video", "\u00f1and\u00fa \u2014 \U0001f600; semi;colon"),
    Instance("demo", "video_04", 3, "annot2", ""),
    Instance("demo", "video_05", 1, "annot2", "NaN"),
    Instance("demo", "video_06", 1, "annot2", "null"),
    Instance("demo", "video_07", 1, "annot2", "12"),
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_round_trip_loses_nothing(tmp_path, suffix):
    path = tmp_path / f"instances{suffix}"
    assert write_instances(INSTANCES, path) == len(INSTANCES)
    back = read_instances(path)
    assert back == INSTANCES
    assert [i.key for i in back] == [i.key for i in INSTANCES]
    again = tmp_path / f"again{suffix}"
    write_instances(back, again)
    if suffix != ".parquet":
        assert again.read_bytes() == path.read_bytes()
    else:
        assert pq.read_table(again).equals(pq.read_table(path))


def test_file_layouts(tmp_path):
    write_instances(INSTANCES[:2], tmp_path / "i.csv")
    lines = (tmp_path / "i.csv").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "key,dataset,video_id,object_id,source,text"
    assert lines[1] == "davis/blackswan/1/annot1,davis,blackswan,1,annot1,a black feathered swan"
    assert (
        lines[2]
        == 'davis/blackswan/1/annot2,davis,blackswan,1,annot2,"swan near the caf\u00e9, ""quoted"" and \'single\'"'
    )
    write_instances(INSTANCES[4:5], tmp_path / "i.jsonl")
    row = json.loads((tmp_path / "i.jsonl").read_text(encoding="utf-8"))
    assert row == {
        "key": "demo/video_03/2/annot1_full_video",
        "dataset": "demo",
        "video_id": "video_03",
        "object_id": 2,
        "source": "annot1_full_video",
        "text": INSTANCES[4].text,
    }
    assert "\u2014" in (tmp_path / "i.jsonl").read_text(encoding="utf-8")  # not \u-escaped
    write_instances(INSTANCES, tmp_path / "i.parquet")
    schema = pq.read_schema(tmp_path / "i.parquet")
    assert str(schema.field("object_id").type) == "int64" and str(schema.field("text").type) == "string"


def test_bom_csv_is_read(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbfkey,dataset,video_id,object_id,source,text\r\ndavis/bmx/2/annot1,davis,bmx,2,annot1,a man\r\n"
    )
    assert read_instances(path) == [Instance("davis", "bmx", 2, "annot1", "a man")]


def test_malformed_files_name_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "key,dataset,video_id,object_id,source,text\n"
        "davis/bmx/2/annot1,davis,bmx,2,annot1,ok\n"
        "davis/bmx/2/annot1,davis,bmx,3,annot1,re-keyed by hand\n"
    )
    with pytest.raises(
        FormatError, match=r"bad\.csv, line 3: key 'davis/bmx/2/annot1' does not match.*davis/bmx/3/annot1"
    ):
        read_instances(path)
    path.write_text("key,dataset,video_id,object_id,source,text\ndavis/bmx/x/annot1,davis,bmx,x,annot1,t\n")
    with pytest.raises(FormatError, match=r"line 2: object_id is 'x'"):
        read_instances(path)
    path.write_text("key,dataset,video_id,object_id,source,text\ndavis/bmx/2/annot1,davis,bmx,2\n")
    with pytest.raises(FormatError, match=r"line 2: wrong number of cells"):
        read_instances(path)
    path.write_text("key,dataset,video,object_id,source,text\n")
    with pytest.raises(FormatError, match=r"line 1: header"):
        read_instances(path)
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text(
        '{"key": "davis/bmx/2/annot1", "dataset": "davis", "video_id": "bmx", "object_id": 2, '
        '"source": "annot1", "text": "ok"}\n{"key": oops}\n'
    )
    with pytest.raises(FormatError, match=r"bad\.jsonl, line 2: invalid JSON"):
        read_instances(jsonl)
    jsonl.write_text(
        '{"key": "davis/bmx/2/annot1", "dataset": "davis", "video_id": "bmx", "object_id": 2.5, '
        '"source": "annot1", "text": "ok"}\n'
    )
    with pytest.raises(FormatError, match=r"line 1: object_id is 2\.5"):
        read_instances(jsonl)
    parquet = tmp_path / "bad.parquet"
    parquet.write_bytes(b"PAR1 not really")
    with pytest.raises(FormatError, match=r"bad\.parquet: cannot read Parquet"):
        read_instances(parquet)
    with pytest.raises(UsageError, match="format"):
        write_instances(INSTANCES, tmp_path / "i.xlsx")
    with pytest.raises(MissingDataError):
        read_instances(tmp_path / "absent.jsonl")
    with pytest.raises(UsageError, match="contains '/'"):
        write_instances([Instance("davis", "a/b", 1, "annot1", "x")], tmp_path / "i.csv")
