"""Consensus labels by vote: keep a label when at least k annotators gave it.

Input: a long table with columns item, annotator, field, label (one answer per item,
field and annotator; missing labels are NaN/None/""). The votes needed, k, are a strict
majority of the panel by default (`strict_majority`: panel // 2 + 1, 2 of 3, 3 of 4 or 5),
the panel being the annotators asked per item (a campaign's per-instance count) or, for a
plain table, the annotators with a row for that item (answered or not); a fixed k can be
given instead. Per item and field, with n answers and the most voted label having v votes,
the status is decided in this order:
- "too-few-answers": n < k, so no label can reach k votes;
- "tie": two or more labels share the most votes (no label is kept);
- "no-majority": the most voted label has fewer than k votes;
- "ok": the label with the most votes, v >= k, is kept.
A semantic category is a yes/no field, so "per category" is the same rule. Nothing is
guessed: only "ok" rows carry a label.

For the RE fields (refcat.taxonomy), `release_frame` turns the consensus
into the paper's released label format (`*_RE_categorization.csv`); `consensus_summary`
counts and lists what was not decided (ties, other statuses, items left out of the release).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from refcat.analysis.agreement_layouts import factorize_labels
from refcat.datasets.records import parse_instance_key
from refcat.errors import FormatError, UsageError
from refcat.taxonomy import (
    CATEGORY_NAMES,
    FIELD_VALUES,
    RELEASE_CATEGORY_ORDER,
    YES,
    release_difficulty,
    release_information,
)

OK, TIE, NO_MAJORITY, TOO_FEW = "ok", "tie", "no-majority", "too-few-answers"
CONSENSUS_COLUMNS = ["item", "field", "label", "votes", "n_answers", "status"]
RELEASE_COLUMNS = [
    "video_id",
    "instance_id",
    "ref_exp",
    "ref_exp_difficulty",
    "ref_exp_information",
    *RELEASE_CATEGORY_ORDER,
]


def strict_majority(panel: int) -> int:
    """The fewest votes that are more than half of `panel` annotators: panel // 2 + 1."""
    return panel // 2 + 1


def consensus(
    long: pd.DataFrame, min_votes: int | None = None, source: str = "label table", panel: int | None = None
) -> pd.DataFrame:
    """Long answers -> one row per (item, field): item, field, label ("" unless status is
    "ok"), votes (of the most voted label), n_answers, status. Rows are sorted by item, then
    field in order of first appearance.

    Votes needed: `min_votes` when given, else `strict_majority(panel)`, else the strict
    majority of each item's own annotators (see the module doc)."""
    if min_votes is not None and min_votes < 1:
        raise UsageError(f"--min-votes must be at least 1, got {min_votes}")
    if min_votes is None and panel is not None and panel < 1:
        raise UsageError(f"the panel must hold at least one annotator, got {panel}")
    for column in ("item", "annotator", "field", "label"):
        if column not in long.columns:
            raise FormatError(
                f"missing column {column!r}", path=source, expected="columns item, annotator, field, label"
            )
    codes, names = factorize_labels(long["label"])
    given = codes >= 0
    answers = pd.DataFrame(
        {
            "item": long["item"].to_numpy()[given],
            "annotator": long["annotator"].to_numpy()[given],
            "field": long["field"].astype(str).to_numpy()[given],
            "label": names[codes[given]] if len(names) else np.array([], dtype=object),
        }
    )
    repeated = answers.duplicated(["item", "field", "annotator"])
    if repeated.any():
        row = answers[repeated].iloc[0]
        raise FormatError(
            f"annotator {row['annotator']!r} answered field {row['field']!r} of item {row['item']!r} twice",
            path=source,
            expected="at most one answer per item, field and annotator",
        )
    field_order = {f: i for i, f in enumerate(pd.unique(answers["field"]))}
    votes = answers.groupby(["item", "field", "label"], sort=False).size().rename("votes").reset_index()
    votes = votes.sort_values(["item", "field", "votes", "label"], ascending=[True, True, False, True], kind="stable")
    groups = votes.groupby(["item", "field"], sort=False)["votes"]
    votes["is_top"] = votes["votes"] == groups.transform("max")
    votes["n_answers"] = groups.transform("sum")
    votes["n_top"] = votes.groupby(["item", "field"], sort=False)["is_top"].transform("sum")
    out = votes.drop_duplicates(["item", "field"]).reset_index(drop=True)
    needed = _votes_needed(long, out["item"], min_votes, panel)
    status = np.select(
        [out["n_answers"] < needed, out["n_top"] > 1, out["votes"] < needed],
        [TOO_FEW, TIE, NO_MAJORITY],
        OK,
    )
    out["status"] = status
    out.loc[out["status"] != OK, "label"] = ""
    out["_order"] = out["field"].map(field_order)
    out = out.sort_values(["item", "_order"], kind="stable").reset_index(drop=True)
    return out[CONSENSUS_COLUMNS].astype({"votes": int, "n_answers": int})


def votes_rule(min_votes: int | None = None, panel: int | None = None) -> str:
    """In words, the votes `consensus` needs with these arguments."""
    if min_votes is not None:
        return f"{min_votes} (given)"
    if panel is not None:
        return f"{strict_majority(panel)}, a strict majority of {panel} annotators per item"
    return "a strict majority of each item's annotators"


def _votes_needed(long: pd.DataFrame, items: pd.Series, min_votes: int | None, panel: int | None) -> pd.Series:
    """The votes each of `items` needs (see `consensus`)."""
    if min_votes is not None:
        return pd.Series(min_votes, index=items.index)
    if panel is not None:
        return pd.Series(strict_majority(panel), index=items.index)
    panels = long.drop_duplicates(["item", "annotator"]).groupby("item", sort=False).size()
    return items.map(panels).floordiv(2).add(1)


def consensus_summary(table: pd.DataFrame, skipped: pd.DataFrame | None = None) -> dict[str, object]:
    """What `consensus` decided, for a report: {"counts": {status: rows}, "ties": [{item,
    field, votes, n_answers}], "undecided": [the same for "no-majority" and "too-few-answers"
    rows], "left_out": [{item, reason}] (release_frame's skipped items; empty without them)}."""
    columns = ["item", "field", "votes", "n_answers"]
    counts = {status: int((table["status"] == status).sum()) for status in (OK, TIE, NO_MAJORITY, TOO_FEW)}
    undecided = table[table["status"].isin([NO_MAJORITY, TOO_FEW])]
    return {
        "counts": counts,
        "ties": _records(table.loc[table["status"] == TIE, columns]),
        "undecided": _records(undecided[[*columns, "status"]]),
        "left_out": [] if skipped is None else _records(skipped[["item", "reason"]]),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts of plain Python values (JSON-ready)."""
    return [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()} for row in frame.to_dict("records")
    ]


def is_re_fields(fields: Iterable[str]) -> bool:
    """True when the fields are taxonomy fields and include difficulty and correctness,
    which the released format needs for its ref_exp_difficulty column."""
    names = set(fields)
    return names <= set(FIELD_VALUES) and {"difficulty", "correctness"} <= names


def _decided(status: pd.Series, label: pd.Series, field: str) -> str | None:
    """The consensus label of `field` in one item's row of statuses and labels, None without one."""
    if field not in status.index or status[field] != OK:
        return None
    value: str = label[field]
    return value


def release_frame(table: pd.DataFrame, texts: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Consensus rows of RE fields -> (release rows, skipped items with the reason).

    Items are instance keys `dataset/video_id/object_id/source`; video_id and instance_id
    come from the key, ref_exp from `texts` (item -> text; "" when absent). An item is
    skipped, not guessed, when its correctness, or for a valid RE its difficulty or
    information, has no consensus. Categories without consensus are left empty (pd.NA),
    as the release leaves unlabelled cells; a no-RE or wrong-object item has empty
    categories and "Not Applicable" information, as in the release. Rows come in sorted
    item order.
    """
    if not is_re_fields(table["field"].unique()):
        raise UsageError(
            "the released format needs the RE fields: difficulty, correctness and taxonomy fields only",
            expected=", ".join(FIELD_VALUES),
        )
    texts = texts or {}
    wide = table.pivot(index="item", columns="field", values="status")
    labels = table.pivot(index="item", columns="field", values="label")
    rows, skipped = [], []
    for item in wide.index:
        status = wide.loc[item]
        decided = functools.partial(_decided, status, labels.loc[item])
        correctness = decided("correctness")
        problem = None
        if correctness is None:
            problem = "correctness"
        elif correctness == "valid" and decided("difficulty") is None:
            problem = "difficulty"
        elif correctness == "valid" and "information" in status.index and decided("information") is None:
            problem = "information"
        if problem is not None:
            why = status.get(problem)
            skipped.append((item, f"{problem}: {why if isinstance(why, str) else 'no answers'}"))
            continue
        try:
            _, video_id, object_id, _ = parse_instance_key(str(item))
        except ValueError as exc:
            raise FormatError(
                f"item {item!r} is not an instance key", expected="dataset/video_id/object_id/source"
            ) from exc
        valid = correctness == "valid"
        row = {
            "video_id": video_id,
            "instance_id": object_id,
            "ref_exp": texts.get(item, ""),
            "ref_exp_difficulty": release_difficulty(decided("difficulty"), correctness),
            "ref_exp_information": release_information(decided("information") if valid else None),
        }
        for name in CATEGORY_NAMES:
            value = decided(name) if valid else None
            row[name] = pd.NA if value is None else int(value == YES)
        rows.append(row)
    release = pd.DataFrame(rows, columns=RELEASE_COLUMNS)
    release = release.astype({"instance_id": "int64", **dict.fromkeys(RELEASE_CATEGORY_ORDER, "Int8")})
    return release, pd.DataFrame(skipped, columns=["item", "reason"])
