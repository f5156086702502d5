"""Summaries of a per-sample table (`per_sample.COLUMNS`): DAVIS-2017 J/F statistics per expression,
per object and overall, A2D IoU figures under a named convention (`metrics.CONVENTIONS`), both by
expression source, and the JSON summary document `refcat evaluate` writes beside the table.

NaN marks a figure with nothing to average over; the JSON document writes it as null.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from refcat.analysis.metrics import CONVENTIONS, davis_statistics, iou_summary
from refcat.analysis.per_sample import check_layout, write_atomically

DAVIS_STATS = ("J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay")
# What the J/F columns average over: the headline ones follow the prediction layout's unit.
DAVIS_AVERAGE_NOTES = {
    "expression": "J/F mean, recall and decay of each expression over its frames, then the mean over expressions",
    "object": "DAVIS-2017: J/F mean, recall and decay of each object over its frames (one sequence per object; "
    "an object with several expressions counts the mean of its expressions' figures), then the mean "
    "over objects",
}


class DavisSummary(NamedTuple):
    """`davis_summary` result: a row per expression, a row per object, and the overall figures."""

    per_expression: pd.DataFrame
    per_object: pd.DataFrame
    overall: dict[str, float | str]


def _statistics_row(group: pd.DataFrame) -> dict[str, float]:
    j, f = davis_statistics(group["J"].to_numpy()), davis_statistics(group["F"].to_numpy())
    return {
        "J_mean": j.mean,
        "J_recall": j.recall,
        "J_decay": j.decay,
        "F_mean": f.mean,
        "F_recall": f.recall,
        "F_decay": f.decay,
    }


def _means(rows: pd.DataFrame, prefix: str) -> dict[str, float]:
    """The mean of each statistic over `rows` (NaNs left out), and J&F mean = (J mean + F mean) / 2."""
    out: dict[str, float] = {}
    for col in DAVIS_STATS:
        values = rows[col].dropna()
        out[prefix + col] = float(values.mean()) if len(values) else math.nan
    out[prefix + "JF_mean"] = (out[prefix + "J_mean"] + out[prefix + "F_mean"]) / 2
    return out


def davis_summary(table: pd.DataFrame, *, drop_ends: bool = False, layout: str = "expression") -> DavisSummary:
    """DAVIS-2017 statistics (davis2017-evaluation `evaluation.py`, `utils.db_statistics`).

    - per expression: J/F mean, recall and decay over the expression's frames in order;
    - per object (dataset, video, object): the mean of its expressions' figures. With the
      object layout every expression of an object shares the object's mask, so this is
      exactly DAVIS's one J/F sequence per object;
    - overall: `expression_*` columns average over expressions, `object_*` over objects
      (DAVIS's J-Mean, J-Recall, ...); J&F mean = (J mean + F mean) / 2 in each. The
      headline `J_mean`... `JF_mean` are the `object_*` figures for the object layout (as
      DAVIS reports) and the `expression_*` ones for the expression layout; `davis_average`
      says which (`DAVIS_AVERAGE_NOTES`).

    Every annotated frame counts, the referent present or not, as in the DAVIS benchmark.
    `drop_ends` leaves out each expression's first and last frame, as the semi-supervised
    DAVIS evaluation does (the first mask is given there).
    """
    check_layout(layout)
    rows = []
    for key, group in table.sort_values("frame").groupby("instance_key", sort=True):
        first = group.iloc[0]
        if drop_ends:
            group = group.iloc[1:-1]
        rows.append(
            {
                "instance_key": key,
                "dataset": first["dataset"],
                "video_id": first["video_id"],
                "object_id": int(first["object_id"]),
                "source": first["source"],
                "frames": len(group),
                **_statistics_row(group),
            }
        )
    referent = ["dataset", "video_id", "object_id"]
    per_expression = pd.DataFrame(rows, columns=["instance_key", *referent, "source", "frames", *DAVIS_STATS])
    per_object = (
        per_expression.groupby(referent, sort=True)
        .agg(
            expressions=("instance_key", "size"),
            frames=("frames", "max"),
            **{col: (col, "mean") for col in DAVIS_STATS},
        )
        .reset_index()
    )
    overall: dict[str, float | str] = {
        "expressions": len(per_expression),
        "objects": len(per_object),
        "davis_average": layout,
    }
    by_unit = {"expression": _means(per_expression, "expression_"), "object": _means(per_object, "object_")}
    overall.update({col: by_unit[layout][f"{layout}_{col}"] for col in (*DAVIS_STATS, "JF_mean")})
    overall.update(by_unit["expression"])
    overall.update(by_unit["object"])
    return DavisSummary(per_expression, per_object, overall)


def a2d_summary(table: pd.DataFrame, convention: str = "mttr") -> dict[str, float]:
    """Overall IoU, mean IoU and precision@0.5..0.9 of the table's samples under `convention`."""
    return iou_summary(table["I"].to_numpy(), table["U"].to_numpy(), table["gt_present"].to_numpy(), convention)


def summary_by_source(
    table: pd.DataFrame,
    convention: str = "mttr",
    *,
    drop_ends: bool = False,
    layout: str = "expression",
    by_source: bool = True,
) -> pd.DataFrame:
    """One row for all and one per expression source (unless not `by_source`): the per-sample rows
    (`rows`), `davis_summary(...).overall` and the A2D IoU figures (`samples`: the rows they score)."""
    groups = [("all", table)]
    if by_source:
        groups += [(source, group) for source, group in table.groupby("source", sort=True)]
    rows = []
    for name, group in groups:
        davis = davis_summary(group, drop_ends=drop_ends, layout=layout).overall
        rows.append({"source": name, "rows": len(group), **davis, **a2d_summary(group, convention)})
    return pd.DataFrame(rows).set_index("source")


def counts(table: pd.DataFrame, convention: str = "mttr", *, drop_ends: bool = False) -> dict[str, int]:
    """What a summary's figures count: `rows` written (expression x annotated frame), the `jf_rows` J
    and F average over (all, or without each expression's first and last frame), the `iou_samples`
    the IoU figures score under `convention` (mttr skips the frames where the referent is absent),
    the frames where it is absent, and the expressions and objects."""
    sizes = table.groupby("instance_key").size()
    return {
        "rows": len(table),
        "expressions": len(sizes),
        "objects": len(table.groupby(["dataset", "video_id", "object_id"])),
        "referent_absent": int((~table["gt_present"].astype(bool)).sum()),
        "jf_rows": int(np.maximum(sizes.to_numpy() - 2, 0).sum()) if drop_ends else len(table),
        "iou_samples": int(a2d_summary(table, convention)["samples"]),
    }


def counts_note(numbers: Mapping[str, int], convention: str) -> str:
    """`counts` in a sentence that says why the numbers differ."""
    text = (
        f"{numbers['rows']} rows written, one per expression x scored frame ({numbers['expressions']} "
        f"expressions, {numbers['objects']} objects); J and F average over {numbers['jf_rows']} of them"
    )
    if numbers["jf_rows"] != numbers["rows"]:
        text += " (each expression's first and last frame left out)"
    text += f"; the IoU figures ({convention}) score {numbers['iou_samples']}"
    skipped, absent = numbers["rows"] - numbers["iou_samples"], numbers["referent_absent"]
    if skipped:
        text += f": {_rows(skipped)} where the referent is absent skipped by that convention"
    elif absent:
        text += f", {_rows(absent)} where the referent is absent among them, scored against an empty mask"
    return text + "."


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def summary_path(output: str | Path) -> Path:
    """Where `refcat evaluate` writes the summary of the table at `output`: `<stem>_summary.json` beside it."""
    output = Path(output)
    return output.with_name(f"{output.stem}_summary.json")


def _json_value(value: object) -> object:
    """NaN -> None, numpy scalars -> Python numbers, for `json.dumps`."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def summary_document(
    table: pd.DataFrame,
    convention: str = "mttr",
    *,
    layout: str = "expression",
    drop_ends: bool = False,
    by_source: bool = True,
) -> dict[str, object]:
    """The summary of a per-sample table as one JSON-ready object (NaN as null):
    `by_source` (`summary_by_source`, keyed by source, "all" first), `per_object` and
    `per_expression` (`davis_summary` rows), the settings, `counts` (`counts`), and `notes`
    saying what the headline and prefixed J/F columns average over and why the counts differ."""
    numbers = counts(table, convention, drop_ends=drop_ends)
    by_source_rows = summary_by_source(table, convention, drop_ends=drop_ends, layout=layout, by_source=by_source)
    davis = davis_summary(table, drop_ends=drop_ends, layout=layout)
    return {
        "layout": layout,
        "convention": convention,
        "drop_ends": drop_ends,
        "davis_average": layout,
        "counts": numbers,
        "notes": {
            "J_mean..JF_mean": DAVIS_AVERAGE_NOTES[layout],
            **{f"{unit}_J_mean..{unit}_JF_mean": note for unit, note in DAVIS_AVERAGE_NOTES.items()},
            "iou": CONVENTIONS[convention],
            "counts": counts_note(numbers, convention),
        },
        "by_source": {
            name: {k: _json_value(v) for k, v in row.items()}
            for name, row in by_source_rows.to_dict(orient="index").items()
        },
        "per_object": _records(davis.per_object),
        "per_expression": _records(davis.per_expression),
    }


def write_summary(document: Mapping[str, object], path: str | Path) -> None:
    """Write `summary_document` output as indented JSON, atomically (temporary file, then rename)."""
    text = json.dumps(document, indent=2) + "\n"
    write_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
