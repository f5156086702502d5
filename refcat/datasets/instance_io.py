"""Export and import of Instance records as CSV, JSONL or Parquet (chosen by the file's suffix).

Every format holds the columns key, dataset, video_id, object_id, source, text. The key is
`instance_key(dataset, video_id, object_id, source)` (records.py); on import it is checked
against the other fields, so a file edited by hand cannot silently re-key an instance.
Text is stored exactly (commas, quotes, line breaks, unicode), so export, import, export
gives the same file. CSV is UTF-8 (a BOM is accepted on import) with minimal quoting.
On import, dataset, video_id and source may not hold '/' (the key's separator), and bad bytes,
unreadable CSV rows (refcat.datasets.files) and bad cells raise FormatError naming the line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from refcat.datasets.files import csv_rows, read_text, require_file
from refcat.datasets.records import Instance, instance_key
from refcat.errors import FormatError, UsageError

COLUMNS = ("key", "dataset", "video_id", "object_id", "source", "text")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}


def _format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise UsageError(f"cannot tell the format of {path}", expected=" or ".join(FORMATS)) from None


def _row(instance: Instance) -> dict[str, str | int]:
    for name in ("dataset", "video_id", "source"):
        if "/" in getattr(instance, name):
            raise UsageError(
                f"instance {name} {getattr(instance, name)!r} contains '/'", expected="key fields without '/'"
            )
    return {
        "key": instance.key,
        "dataset": instance.dataset,
        "video_id": instance.video_id,
        "object_id": int(instance.object_id),
        "source": instance.source,
        "text": instance.text,
    }


def write_instances(instances: Iterable[Instance], path: str | Path) -> int:
    """Write instances to `path` (.csv, .jsonl or .parquet); returns how many were written."""
    path = Path(path)
    kind = _format(path)
    rows = [_row(i) for i in instances]
    if kind == "csv":
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    elif kind == "jsonl":
        with path.open("w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, pa.int64() if c == "object_id" else pa.string()) for c in COLUMNS])
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return len(rows)


def _instance(row: Mapping[str, object], path: Path, line: int | None, where: str = "") -> Instance:
    """Check one imported row (`line` for text formats, `where` such as "row 3" for Parquet)."""

    def bad(message: str, expected: str) -> FormatError:
        return FormatError(f"{where}{message}", path=path, line=line, expected=expected)

    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise bad(f"missing {', '.join(missing)}", ", ".join(COLUMNS))
    fields: dict[str, str] = {}
    for name in ("key", "dataset", "video_id", "source", "text"):
        value = row[name]
        if not isinstance(value, str):
            raise bad(f"{name} is {value!r}", f"{name} as text")
        if name in ("dataset", "video_id", "source") and ("/" in value or not value):
            raise bad(f"{name} {value!r}", f"a non-empty {name} without '/'")
        fields[name] = value
    object_id = row["object_id"]
    if isinstance(object_id, str) and object_id.strip().lstrip("-").isdecimal():
        object_id = int(object_id)
    if not isinstance(object_id, int) or isinstance(object_id, bool):
        raise bad(f"object_id is {row['object_id']!r}", "an integer object id")
    instance = Instance(fields["dataset"], fields["video_id"], object_id, fields["source"], fields["text"])
    if instance.key != fields["key"]:
        raise bad(
            f"key {fields['key']!r} does not match its fields",
            instance_key(instance.dataset, instance.video_id, object_id, instance.source),
        )
    return instance


def read_instances(path: str | Path) -> list[Instance]:
    """Read instances written by `write_instances` (or by hand in the same columns)."""
    path = Path(path)
    kind = _format(path)
    expected = f"a {kind} file of instances"
    if kind == "csv":
        rows = csv_rows(path, read_text(path, "utf-8-sig", expected, what="instance file"), expected)
        header = next(rows, (1, []))[1]
        if any(c not in header for c in COLUMNS):
            raise FormatError(f"header {','.join(header)!r}", path=path, line=1, expected=",".join(COLUMNS))
        result = []
        for line_no, cells in rows:
            if not cells:
                continue
            if len(cells) != len(header):
                raise FormatError("wrong number of cells", path=path, line=line_no, expected=f"{len(header)} cells")
            result.append(_instance(dict(zip(header, cells)), path, line_no))
        return result
    if kind == "jsonl":
        result = []
        text = read_text(path, "utf-8", expected, what="instance file")
        for line_no, line in enumerate(text.split("\n"), start=1):  # not splitlines: a text may hold U+2028
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(
                    f"invalid JSON ({exc.msg})", path=path, line=line_no, expected="one JSON object a line"
                ) from exc
            if not isinstance(row, dict):
                raise FormatError("not a JSON object", path=path, line=line_no, expected="one JSON object a line")
            result.append(_instance(row, path, line_no))
        return result
    require_file(path, expected, what="instance file")
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise FormatError(f"cannot read Parquet ({exc})", path=path, expected="a Parquet file of instances") from exc
    return [_instance(row, path, None, f"row {n}: ") for n, row in enumerate(rows)]
