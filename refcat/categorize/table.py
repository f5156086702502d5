"""Categorize a table of REs: read the input, predict, write the released format plus evidence.

Input: a released label file (FORMATS.md; read with refcat.datasets.release.read_release, which
also reads this module's own output with its `evidence` column) or any CSV (comma or semicolon
separated) with a `ref_exp` column, optionally with video_id, instance_id, ref_exp_difficulty,
ref_exp_information and category columns.

Output: the released format (semicolon-separated, CRLF, the released header) with the
predicted 0/1 category columns, `ref_exp_information` predicted ("Not Applicable" where the
input's difficulty says the RE is not a valid RE, as in the release), and one more column,
`evidence`: a JSON object mapping each positive category to the phrases that decided it
(empty for a learned model's positives that the rules did not find). With a learned model, a
`source` column after it: a JSON object mapping each of the seven categories to the source of its
label, "learned" or "rules" (refcat.categorize.learned: the model falls back to the rules per
category). With a review threshold, a `needs_review` column last names (comma-separated, taxonomy
order) the categories whose confidence is below the threshold: the rules' calibrated confidence
(refcat.categorize.confidence), or with a model the confidence of the source used.
Rows keep their input `video_id`, `instance_id` and `ref_exp_difficulty`; a generic CSV
without them gets an empty video id, the 0-based row number and "Non-trivial".
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from refcat.categorize.rules import DEFAULT_READER, categorize_all, information_label
from refcat.datasets.release import HEADER, read_release
from refcat.errors import FormatError, MissingDataError, UsageError
from refcat.taxonomy import (
    CATEGORY_NAMES,
    RELEASE_CATEGORY_ORDER,
    RELEASE_DIFFICULTY,
    release_information,
)

EVIDENCE_COLUMN = "evidence"
SOURCE_COLUMN = "source"
REVIEW_COLUMN = "needs_review"


def read_expressions(path: str | Path) -> pd.DataFrame:
    """A released label file, or any CSV with a `ref_exp` column, as a released-format table."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError("input file not found", path=path, expected="a CSV file with a ref_exp column")
    raw = path.read_bytes()
    first_line = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip()
    if tuple(first_line.split(";")[: len(HEADER)]) == HEADER:  # released format, perhaps with extra columns
        return read_release(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    df = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    if "ref_exp" not in df.columns:
        raise FormatError(
            f"header {first_line!r} has no ref_exp column",
            path=path,
            line=1,
            expected="a ref_exp column (or the released header)",
        )
    out = pd.DataFrame(
        {
            "video_id": df["video_id"] if "video_id" in df.columns else "",
            "instance_id": pd.to_numeric(df["instance_id"], errors="coerce")
            if "instance_id" in df.columns
            else pd.Series(range(len(df))),
            "ref_exp": df["ref_exp"],
            "ref_exp_difficulty": df.get("ref_exp_difficulty", pd.Series(["Non-trivial"] * len(df))),
            "ref_exp_information": df.get("ref_exp_information", pd.Series(["Not Applicable"] * len(df))),
        }
    )
    if out["instance_id"].isna().any():
        line = int(out.index[out["instance_id"].isna()][0]) + 2
        raise FormatError("instance_id is not an integer", path=path, line=line, expected="an integer")
    out["instance_id"] = out["instance_id"].astype("int64")
    for cat in RELEASE_CATEGORY_ORDER:
        if cat not in df.columns:
            out[cat] = pd.Series([pd.NA] * len(df), dtype="Int8")
            continue
        cells = df[cat].str.strip()
        bad = ~cells.isin(["", "0", "1", "0.0", "1.0"])
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise FormatError(
                f"{cat} value {df[cat].iloc[row]!r}", path=path, line=row + 2, expected="0, 1, 0.0, 1.0 or empty"
            )
        out[cat] = pd.to_numeric(cells.replace("", None)).astype("Int8")
    return out


def categorize_table(
    labels: pd.DataFrame, model=None, reader: str | None = None, review_threshold: float | None = None
) -> pd.DataFrame:
    """Released-format table with predicted categories, information and an `evidence` column.

    `model`: an optional refcat.categorize.learned.LearnedCategorizer; without one, the rules. The rules
    run once a row, read by the model's own `reader`: their labels are the model's features (and its
    fallback, `model.decide`), their words the evidence; a `source` column says per category which was used.
    The information label uses the row's difficulty when it is trivial (see `information_label`).
    `reader`: the rules' reader (refcat.categorize.rules.READERS); None: the model's, or DEFAULT_READER
    without a model; a reader other than the model's is a UsageError. `review_threshold`: when given, a
    `needs_review` column lists (comma-separated) the categories whose confidence is below it.
    """
    if model is not None and reader is not None and reader != model.reader:
        raise UsageError(
            f"the model was trained on the {model.reader!r} reader's labels, not {reader!r}",
            expected=f"--reader {model.reader} or no --reader with this model",
        )
    reader = model.reader if model is not None else reader or DEFAULT_READER
    texts = labels["ref_exp"].astype(str).tolist()
    results = categorize_all(texts, reader)
    if model is not None:
        decided = model.decide(texts, rule_results=results)
        predicted_all = decided.labels.astype(bool)
        confidence = decided.confidence
    else:
        predicted_all = pd.DataFrame([r.labels for r in results], columns=list(CATEGORY_NAMES))
        confidence = pd.DataFrame([r.confidence for r in results], columns=list(CATEGORY_NAMES), dtype=float)
    out = labels[list(HEADER[:5])].copy().reset_index(drop=True)
    infos, evidence = [], []
    for n, res in enumerate(results):
        predicted = {c: bool(predicted_all.at[n, c]) for c in RELEASE_CATEGORY_ORDER}
        difficulty, correctness = RELEASE_DIFFICULTY.get(str(out.at[n, "ref_exp_difficulty"]), (None, "valid"))
        information = information_label(predicted, difficulty == "trivial") if correctness == "valid" else None
        infos.append(release_information(information))
        evidence.append(
            json.dumps({c: res.evidence[c] for c in RELEASE_CATEGORY_ORDER if predicted[c]}, ensure_ascii=False)
        )
        for c in RELEASE_CATEGORY_ORDER:
            out.loc[n, c] = int(predicted[c])
    out["ref_exp_information"] = infos
    out = out.astype(dict.fromkeys(RELEASE_CATEGORY_ORDER, "Int8"))
    out[EVIDENCE_COLUMN] = evidence
    if model is not None:
        out[SOURCE_COLUMN] = [json.dumps(dict(row)) for _, row in decided.source[list(CATEGORY_NAMES)].iterrows()]
    if review_threshold is not None:
        low = confidence < review_threshold
        out[REVIEW_COLUMN] = [",".join(c for c in CATEGORY_NAMES if row[c]) for _, row in low.iterrows()]
    return out


def write_categorized(table: pd.DataFrame, path: str | Path) -> None:
    """Write `categorize_table`'s output: released format (';', CRLF, 1/0 cells) plus `evidence` (and
    `source`, `needs_review` when the table has them)."""
    extra = [c for c in (SOURCE_COLUMN, REVIEW_COLUMN) if c in table.columns]
    columns = list(HEADER) + [EVIDENCE_COLUMN] + extra
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(columns)
        for row in table[columns].itertuples(index=False, name=None):
            writer.writerow(["" if pd.isna(v) else v for v in row])
