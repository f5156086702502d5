"""Exports of a store's labels: the long event table, and a campaign's final labels in the
paper's released format (`*_RE_categorization.csv`, FORMATS.md).

- `write_labels` writes every event (answers, undos, automatic answers, adjudications) as
  CSV or Parquet, chosen by the file suffix; times are UTC.
- `write_consensus_release` writes `final_labels` (adjudication, else automatic answer, else
  a strict majority of the campaign's per-instance panel, 2 of 3, among the revised answers)
  with refcat.analysis.consensus.release_frame, ref_exp from the stored instances' texts
  (`instance_texts`). An
  automatic trivial label is written "Trivial (Single Object Category)", as the release
  marks labels given because the referent is the only object of its video. Instances whose
  correctness (or, for a valid RE, difficulty or information) has no final label are left
  out and reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from refcat.analysis.consensus import OK, release_frame
from refcat.annotate.labels import events_table, final_labels
from refcat.annotate.state import Campaign, campaign_name
from refcat.datasets.files import PLAIN_NAME_EXPECTED, name_problem
from refcat.datasets.release import write_release
from refcat.errors import UsageError
from refcat.store.database import Store
from refcat.store.schema import InstanceRow
from refcat.taxonomy import release_difficulty

LABEL_SUFFIXES = (".csv", ".parquet")


def download_file_name(name: str) -> str:
    """`name` when it is a plain file name (refcat.datasets.files.name_problem), else UsageError.

    A download's file name is made from a campaign name; checking it keeps the file inside the
    folder it is written to, even for a campaign named before campaign names were checked.
    """
    problem = name_problem(name)
    if problem is not None:
        raise UsageError(f"export file name: {problem}", expected=PLAIN_NAME_EXPECTED)
    return name


@dataclass(frozen=True)
class ReleaseLabels:
    release: pd.DataFrame  # rows in the released format (refcat.datasets.release), one per instance kept
    skipped: pd.DataFrame  # columns item, reason: instances left out for want of a final label


def write_labels(store: Store, path: str | Path, campaign: Campaign | str | None = None) -> int:
    """Write the event table (one campaign, or all) to `path` (.csv or .parquet); returns its row count."""
    path = Path(path)
    if path.suffix.lower() not in LABEL_SUFFIXES:
        raise UsageError(f"cannot tell the format of {path.name}", path=path, expected="a .csv or .parquet file")
    table = events_table(store, campaign)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        out = table.copy()
        out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return len(table)


def instance_texts(store: Store, keys: Iterable[str]) -> dict[str, str]:
    """instance key -> its RE text, for the keys the store holds (others are left out)."""
    wanted = list(dict.fromkeys(keys))
    with store.session() as session:
        query = select(InstanceRow.key, InstanceRow.text).where(InstanceRow.key.in_(wanted))
        return dict(session.execute(query).all())


def consensus_release(store: Store, campaign: Campaign | str) -> ReleaseLabels:
    """The campaign's final labels as released-format rows (see module doc)."""
    final = final_labels(store, campaign)
    if final.empty:
        raise UsageError(f"campaign {campaign_name(campaign)!r} has no labels to release")
    table = final.assign(
        status=[OK if label is not None else status for label, status in zip(final["label"], final["status"])],
        label=final["label"].fillna(""),
    )
    release, skipped = release_frame(table[["item", "field", "label", "status"]], instance_texts(store, table["item"]))
    automatic = set(final.loc[(final["field"] == "difficulty") & (final["source"] == "auto"), "item"])
    kept = [item for item in sorted(table["item"].unique()) if item not in set(skipped["item"])]
    release["ref_exp_difficulty"] = [
        release_difficulty("trivial", "valid", automatic=True) if item in automatic and value == "Trivial" else value
        for item, value in zip(kept, release["ref_exp_difficulty"])
    ]
    return ReleaseLabels(release.assign(dataset=[item.split("/", 1)[0] for item in kept]), skipped)


def write_consensus_release(store: Store, campaign: Campaign | str, path: str | Path) -> ReleaseLabels:
    """Write the campaign's final labels in the released format (see module doc)."""
    labels = consensus_release(store, campaign)
    write_release(labels.release.drop(columns="dataset"), path)
    return labels
