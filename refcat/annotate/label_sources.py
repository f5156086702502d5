"""Where RE labels come from, for the statistics and the breakdowns of a per-sample table.

- `read_labels` gives the label table of refcat.analysis.stats (one row per RE) from released
  label files (`*_RE_categorization.csv`, named `[NAME=]FILE`) and from store campaigns'
  final labels (refcat.annotate.export.consensus_release), concatenated.
- `table_expressions` lists a per-sample table's own expressions (variants carry no labels of
  their own), to match labels to with refcat.analysis.ablation.expression_labels.
- `item_texts` reads the RE text of each item of a long label table (item, annotator, field,
  label[, text]), for refcat.analysis.consensus.release_frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from refcat.analysis.ablation import is_variant
from refcat.analysis.stats import label_table
from refcat.annotate.export import consensus_release
from refcat.datasets.instance_io import read_instances
from refcat.datasets.release import read_release
from refcat.errors import UsageError
from refcat.store.database import open_store


def release_name(spec: str) -> tuple[str, Path]:
    """`NAME=FILE` or `FILE` -> (dataset name, path); files named A2D* and DAVIS* (any case) are
    a2d and davis, any other file its stem."""
    name, sep, path = spec.partition("=")
    if sep:
        return name, Path(path)
    file = Path(spec)
    stem = file.name.lower()
    return ("a2d" if stem.startswith("a2d") else "davis" if stem.startswith("davis") else file.stem), file


def read_labels(specs: Sequence[str], db: str | Path | None = None, campaigns: Sequence[str] = ()) -> pd.DataFrame:
    """The label table of the released label files `specs` (`[NAME=]FILE`, see `release_name`) and
    of the final labels of `campaigns` in the store `db` (which must exist), in that order."""
    if not specs and not campaigns:
        raise UsageError("no labels given", expected="--release FILE or --campaign NAME")
    tables = []
    for spec in specs:
        name, path = release_name(spec)
        tables.append(label_table(read_release(path), dataset=name))
    if campaigns:
        if db is None:
            raise UsageError("campaign labels need a store", expected="--db URL")
        store = open_store(db, create=False)
        tables += [label_table(consensus_release(store, campaign).release) for campaign in campaigns]
    return pd.concat(tables, ignore_index=True)


def table_expressions(table: pd.DataFrame, instances_path: str | Path | None = None) -> pd.DataFrame:
    """instance_key, video_id, object_id of a per-sample table's own expressions, one row each; with
    an instance file, also their text (empty for an expression the file lacks)."""
    expressions = table[["instance_key", "video_id", "object_id", "source"]].drop_duplicates("instance_key")
    expressions = expressions[~expressions["source"].map(is_variant)].drop(columns="source")
    if instances_path is None:
        return expressions
    texts = {i.key: i.text for i in read_instances(instances_path)}
    return expressions.assign(text=expressions["instance_key"].map(texts).fillna(""))


def item_texts(table: pd.DataFrame) -> dict[str, str]:
    """item -> RE text of a long label table: the first non-empty text given for each item; empty
    when the table has no text column."""
    if "text" not in table.columns:
        return {}
    given = table.loc[table["text"] != "", ["item", "text"]].drop_duplicates("item")
    return dict(zip(given["item"], given["text"]))
