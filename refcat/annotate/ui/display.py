"""Questions and answers in the admin pages' tables by their display names (refcat.annotate.ui.widgets'
FIELD_TITLES and VALUE_LABELS, the names the annotators see), never the stored codes ("no-re",
"wrong-object", "obj-motion", ...). A missing value (None or NaN) is shown as NONE.
"""

from __future__ import annotations

import pandas as pd

from refcat.annotate.ui.widgets import FIELD_TITLES, VALUE_LABELS

NONE = "—"


def value_name(value: str | None) -> str:
    """An answer's display name; NONE for no answer."""
    return NONE if value is None or pd.isna(value) else VALUE_LABELS[value]


def field_name(field: str) -> str:
    """A question's title; a name that is no question (e.g. from a link) as it is."""
    return FIELD_TITLES.get(field, field)


def votes_named(votes: dict[str, str]) -> dict[str, str]:
    """{annotator: code} as {annotator: display name}."""
    return {name: value_name(value) for name, value in votes.items()}


def answers_named(table: pd.DataFrame) -> pd.DataFrame:
    """refcat.annotate.labels.disagreements' table with its `answers` dicts by display name, for
    refcat.annotate.quality.disagreement_rows to write as text (the names are one per code, so the
    rows it keeps are the same)."""
    return table.assign(answers=table["answers"].map(votes_named))


def fields_named(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with its `field` column, if it has one, by question title."""
    return table.assign(field=table["field"].map(field_name)) if "field" in table.columns else table


def values_named(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """`table` with the answer codes in `columns` by display name and `field` by its title."""
    return fields_named(table.assign(**{c: table[c].map(value_name) for c in columns}))


def pairs_named(text: str) -> str:
    """refcat.annotate.export's answers text ("ann1=valid; ann2=no-re": name=code joined by "; ") by
    display name: "ann1: valid RE; ann2: no RE" (an empty text stays empty)."""
    pairs = (pair.rpartition("=") for pair in text.split("; ") if pair)
    return "; ".join(f"{name}: {value_name(value)}" for name, _, value in pairs)
