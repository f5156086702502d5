"""The three layouts of nominal label data, and converters between them.

- long table: one row per answer, columns item, annotator, label (and field when a table
  holds several questions). Missing answers are absent rows or a label that is NaN/None/"".
- subject x rater (`RaterTable`): integer codes (n_items, n_raters), -1 where a rater did
  not answer; code c means `categories[c]`.
- subject x category counts: integer (n_items, n_categories), row i column j the number
  of answers putting item i in category j (Fleiss 1971's layout). Rater identities are
  lost in this layout, so `counts_to_rater` fills anonymous raters in category order.

`read_label_csv` reads a long table from CSV and checks the labels of taxonomy fields
(refcat.taxonomy.FIELD_VALUES); yes/no fields also take 1/0, 1.0/0.0,
true/false and yes/no in any case, normalised to "yes"/"no".
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from refcat.errors import FormatError, MissingDataError
from refcat.taxonomy import FIELD_VALUES, NO, YES

MISSING = -1
# Integer codes: category codes (MISSING for no answer), item or rater codes, and counts.
Codes = npt.NDArray[np.intp]
LABEL_COLUMNS = ("item", "annotator", "field", "label")
# Spellings accepted for the answers of yes/no fields (compared stripped and lower-cased).
YES_NO_SPELLINGS = {**dict.fromkeys(("yes", "true", "1", "1.0"), YES), **dict.fromkeys(("no", "false", "0", "0.0"), NO)}


@dataclass(frozen=True)
class RaterTable:
    """Subject x rater layout: `codes[i, a]` is rater a's category code for item i, -1 if none."""

    codes: Codes
    items: pd.Index
    raters: pd.Index
    categories: tuple[str, ...]

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def counts(self) -> Codes:
        """Subject x category counts."""
        return rater_to_counts(self.codes, self.n_categories)


def factorize_labels(labels: pd.Series) -> tuple[Codes, npt.NDArray[np.object_]]:
    """Labels -> (codes, names): codes index `names` (labels stripped of surrounding spaces),
    -1 for a missing answer (NaN, None or blank). Hashes each distinct label once."""
    raw_codes, uniques = pd.factorize(labels)
    stripped = pd.Index(uniques).astype(str).str.strip()
    merged, names = pd.factorize(np.where(stripped == "", None, stripped))  # blank -> -1
    merged = np.append(merged, MISSING)
    codes: Codes = merged[raw_codes]  # raw code -1 (NaN) picks the appended MISSING
    return codes, np.asarray(names, dtype=object)


def rater_to_counts(codes: npt.ArrayLike, n_categories: int) -> Codes:
    """Subject x rater codes (-1 missing) -> subject x category counts (int64)."""
    code_array = np.asarray(codes)
    n_items = code_array.shape[0]
    rows = np.broadcast_to(np.arange(n_items)[:, None], code_array.shape)
    given = code_array >= 0
    flat = rows[given] * n_categories + code_array[given]
    return np.bincount(flat, minlength=n_items * n_categories).reshape(n_items, n_categories)


def counts_to_rater(counts: npt.ArrayLike) -> Codes:
    """Subject x category counts -> subject x rater codes with anonymous raters.

    Row i gets its answers in category order in the first `counts[i].sum()` columns and -1
    after them; the number of columns is the largest row total. Rater-specific statistics
    (Conger / Davies & Fleiss, Cohen) are meaningless on such a table: only use it where raters
    are exchangeable (Fleiss, Gwet's AC1, Brennan-Prediger, percent agreement, Krippendorff).
    """
    count_array = np.asarray(counts, dtype=np.int64)
    n_items, k = count_array.shape
    totals = count_array.sum(axis=1)
    width = int(totals.max()) if n_items else 0
    codes = np.full((n_items, width), MISSING, dtype=np.int64)
    item_of = np.repeat(np.arange(n_items), totals)
    label_of = np.repeat(np.tile(np.arange(k), n_items), count_array.ravel())
    starts = np.cumsum(totals) - totals
    column = np.arange(len(item_of)) - np.repeat(starts, totals)
    codes[item_of, column] = label_of
    return codes


def long_to_rater(
    long: pd.DataFrame,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
    categories: Sequence[str] | None = None,
    source: str = "long table",
) -> RaterTable:
    """Long table -> `RaterTable`. Rows with a missing label are dropped.

    `categories` fixes the category order (e.g. taxonomy.FIELD_VALUES[field]); a label
    outside it raises FormatError. Without it, categories are the sorted labels seen.
    Two answers by one annotator for one item raise FormatError.
    """
    for column in (item, annotator, label):
        if column not in long.columns:
            raise FormatError(
                f"missing column {column!r}", path=source, expected=f"columns {item}, {annotator}, {label}"
            )
    label_codes, names = factorize_labels(long[label])
    given = label_codes >= 0
    item_codes, items = _subset_codes(long[item], given)
    rater_codes, raters = _subset_codes(long[annotator], given)
    return _rater_table(item_codes, items, rater_codes, raters, label_codes[given], names, categories, source)


def _subset_codes(values: pd.Series, keep: npt.NDArray[np.bool_], sort: bool = True) -> tuple[Codes, pd.Index]:
    """Codes and names of `values[keep]`, hashing the whole column once (fast on Arrow strings);
    names sorted when `sort`, else in order of first appearance in the column."""
    codes, uniques = pd.factorize(values, sort=sort)
    used_codes, used = _compact(codes[keep], len(uniques))
    return used_codes, pd.Index(uniques[used])


def _compact(codes: Codes, n: int) -> tuple[Codes, Codes]:
    """Renumbers codes in 0..n-1 to 0..u-1 keeping their order; returns (new codes, old code of each new)."""
    present = np.bincount(codes, minlength=n) > 0
    return (np.cumsum(present) - 1)[codes], np.flatnonzero(present)


def _rater_table(
    item_codes: Codes,
    items: pd.Index,
    rater_codes: Codes,
    raters: pd.Index,
    label_codes: Codes,
    names: npt.NDArray[np.object_],
    categories: Sequence[str] | None,
    source: str,
) -> RaterTable:
    """The `RaterTable` of answers given as codes into `items`, `raters` and `names`; `categories`
    fixes the category order (default: the sorted names used). Raises FormatError for a label
    outside `categories` or two answers by one rater for one item, naming `source`."""
    used = np.bincount(label_codes, minlength=len(names)) > 0
    seen = names[used]
    label_codes = (np.cumsum(used) - 1)[label_codes]
    order = tuple(sorted(seen)) if categories is None else tuple(categories)
    position = {c: i for i, c in enumerate(order)}
    unknown = [c for c in seen if c not in position]
    if unknown:
        raise FormatError(f"unknown label {unknown[0]!r}", path=source, expected=f"one of {', '.join(order)}")
    remap = np.array([position[c] for c in seen], dtype=np.int64)
    n_items, n_raters = len(items), len(raters)
    cell = item_codes.astype(np.int64) * n_raters + rater_codes
    repeats = np.bincount(cell, minlength=n_items * n_raters)
    if n_items and repeats.max() > 1:
        first = int(np.argmax(repeats))
        raise FormatError(
            f"annotator {raters[first % n_raters]!r} answered item {items[first // n_raters]!r} {repeats[first]} times",
            path=source,
            expected="at most one answer per item and annotator",
        )
    codes = np.full(n_items * n_raters, MISSING, dtype=np.int64)
    codes[cell] = remap[label_codes]
    return RaterTable(codes.reshape(n_items, n_raters), pd.Index(items), pd.Index(raters), order)


def rater_to_long(
    table: RaterTable, item: str = "item", annotator: str = "annotator", label: str = "label"
) -> pd.DataFrame:
    """`RaterTable` -> long table, one row per given answer, in item then rater order."""
    rows, cols = np.nonzero(table.codes >= 0)
    names = np.asarray(table.categories, dtype=object)
    return pd.DataFrame({item: table.items[rows], annotator: table.raters[cols], label: names[table.codes[rows, cols]]})


def split_fields(
    long: pd.DataFrame,
    categories: dict[str, Sequence[str]] | None = None,
    source: str = "long table",
) -> Iterator[tuple[str, RaterTable]]:
    """Long table with columns item, annotator, field, label -> (field, RaterTable) per field.

    Fields come in order of first appearance. Items and annotators of a field are those with
    at least one answer in that field. `categories` maps a field to its category order.
    """
    for column in ("item", "annotator", "field", "label"):
        if column not in long.columns:
            raise FormatError(
                f"missing column {column!r}", path=source, expected="columns item, annotator, field, label"
            )
    label_all, names = factorize_labels(long["label"])
    given = label_all >= 0
    label_all = label_all[given]
    field_codes, fields = _subset_codes(long["field"], given, sort=False)
    item_all, item_names = _subset_codes(long["item"], given)
    rater_all, rater_names = _subset_codes(long["annotator"], given)
    order = np.argsort(field_codes, kind="stable")
    bounds = np.searchsorted(field_codes[order], np.arange(len(fields) + 1))
    for f, field in enumerate(fields):
        field = str(field)
        rows = order[bounds[f] : bounds[f + 1]]
        item_codes, item_index = _compact(item_all[rows], len(item_names))
        rater_codes, rater_index = _compact(rater_all[rows], len(rater_names))
        table = _rater_table(
            item_codes,
            item_names[item_index],
            rater_codes,
            rater_names[rater_index],
            label_all[rows],
            names,
            None if categories is None else categories.get(field),
            f"{source}, field {field!r}",
        )
        yield field, table


def read_label_csv(path: str | Path) -> pd.DataFrame:
    """A long label table from CSV: columns item, annotator, field, label (others kept, e.g. text),
    all as strings; an empty label is a missing answer. Labels of taxonomy fields go through
    `normalise_labels`."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError("no such file", path=path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read the CSV ({exc})", path=path, expected="UTF-8 CSV with a header") from exc
    missing = [c for c in LABEL_COLUMNS if c not in table.columns]
    if missing:
        raise FormatError(
            f"missing column(s) {', '.join(missing)}",
            path=path,
            line=1,
            expected="a header with item,annotator,field,label",
        )
    return normalise_labels(table, path)


def normalise_labels(table: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Labels stripped; for yes/no taxonomy fields, `YES_NO_SPELLINGS` (any case) become "yes"/"no".

    A non-empty label of a taxonomy field outside its values raises FormatError naming `path`
    and the line of the first such row (the row of `read_label_csv`'s file: header = line 1).
    Fields outside the taxonomy keep their labels as given (stripped).
    """
    fields = table["field"].astype(str)
    labels = table["label"].astype(str).str.strip()
    yes_no = fields.isin([f for f, values in FIELD_VALUES.items() if set(values) == {YES, NO}])
    spelled = labels.str.lower().map(YES_NO_SPELLINGS)
    labels = labels.mask(yes_no & spelled.notna(), spelled)
    bad = np.zeros(len(table), dtype=bool)
    for field, values in FIELD_VALUES.items():
        bad |= ((fields == field) & (labels != "") & ~labels.isin(values)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        field, label = fields.iat[row], table["label"].iat[row]
        spellings = " (or 1/0, 1.0/0.0, true/false, any case)" if yes_no.iat[row] else ""
        raise FormatError(
            f"unknown label {label!r} for field {field!r}",
            path=path,
            line=_csv_line(path, row),
            expected=f"one of {', '.join(FIELD_VALUES[field])}{spellings}, or empty for no answer",
        )
    return table.assign(label=labels)


def _csv_line(path: str | Path, row: int) -> int:
    """The 1-based line where data row `row` (0-based, as pandas numbers it: the header and
    blank lines not counted) starts in the CSV file; quoted line breaks are followed."""
    with Path(path).open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        end = 0  # the last line read so far
        seen = -1  # -1: the header is still to come
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record:
                continue
            if seen == row:
                return start
            seen += 1
    raise ValueError(f"{path} has no data row {row}")
