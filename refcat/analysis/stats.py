"""Statistics of labelled referring expressions (Bellver et al., Section 4, Figures 3 and 4).

Input: a label table in the released format (`refcat.datasets.release.read_release`, or
`refcat.analysis.consensus.release_frame` from the store's consensus), optionally with a
`dataset` column; `label_table` turns it into one row per RE with the taxonomy fields.

Denominators (each output says how many REs it counts):
- Figure 3, `difficulty_proportions`: all REs of a dataset; each is trivial, non-trivial,
  "no RE" (fits another object too) or wrong object (does not match the referent).
- Figure 4, `category_shares`: valid REs (trivial or non-trivial) with category labels;
  a category's share is over the REs where that category is labelled. The release leaves
  the categories of some REs empty: those are counted in `unlabelled`, not in the shares.
- `redundancy`: valid REs whose information is labelled (redundant or minimal).
- `cooccurrence`: valid REs with all seven categories labelled.
"""

from __future__ import annotations

import pandas as pd

from refcat.errors import UsageError
from refcat.taxonomy import (
    CATEGORY_NAMES,
    CORRECTNESS,
    DIFFICULTY,
    RELEASE_CATEGORY_ORDER,
)

KINDS = ("trivial", "non-trivial", "no-re", "wrong-object")
LABEL_COLUMNS = (
    "dataset",
    "video_id",
    "object_id",
    "text",
    "difficulty",
    "correctness",
    "information",
    *CATEGORY_NAMES,
)


def label_table(release: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """Released-format rows -> one row per RE: `LABEL_COLUMNS`, categories as nullable booleans.

    `dataset` names the rows when the frame has no `dataset` column ("all" when neither).
    """
    from refcat.datasets.release import labels_from_release

    missing = [
        c
        for c in (
            "video_id",
            "instance_id",
            "ref_exp",
            "ref_exp_difficulty",
            "ref_exp_information",
            *RELEASE_CATEGORY_ORDER,
        )
        if c not in release.columns
    ]
    if missing:
        raise UsageError(f"label table lacks columns {', '.join(missing)}", expected="the released label format")
    labels = labels_from_release(release)
    out = pd.DataFrame(
        {
            "dataset": labels["dataset"].astype(str) if "dataset" in labels else (dataset or "all"),
            "video_id": labels["video_id"].astype(str),
            "object_id": labels["instance_id"].astype("int64"),
            "text": labels["ref_exp"].astype(str),
            "difficulty": labels["difficulty"],
            "correctness": labels["correctness"],
            "information": labels["information"],
        },
        index=labels.index,
    )
    for name in CATEGORY_NAMES:
        out[name] = labels[name].astype("Int8").astype("boolean")
    return out.reset_index(drop=True)


def _kind(labels: pd.DataFrame) -> pd.Series:
    return labels["difficulty"].where(labels["correctness"] == "valid", labels["correctness"])


def _valid(labels: pd.DataFrame) -> pd.DataFrame:
    return labels[(labels["correctness"] == "valid") & labels["difficulty"].isin(DIFFICULTY)]


def difficulty_proportions(labels: pd.DataFrame) -> pd.DataFrame:
    """Figure 3: per dataset, the share of all its REs in each of `KINDS`, and `n` (all REs)."""
    unknown = set(labels["correctness"].dropna()) - set(CORRECTNESS)
    if unknown:
        raise UsageError(f"unknown correctness labels {sorted(unknown)}", expected=", ".join(CORRECTNESS))
    counts = pd.crosstab(labels["dataset"], _kind(labels)).reindex(columns=list(KINDS), fill_value=0)
    counts.columns.name = None
    n = counts.sum(axis=1)
    shares = counts.div(n, axis=0)
    shares["n"] = n
    return shares


def category_shares(labels: pd.DataFrame, by_difficulty: bool = True) -> pd.DataFrame:
    """Figure 4: per dataset (and difficulty: all / trivial / non-trivial), the share of valid,
    category-labelled REs expressing each category; `n` such REs and `unlabelled` valid REs
    without any category label."""
    valid = _valid(labels)
    groups = [(ds, "all", g) for ds, g in valid.groupby("dataset", sort=True)]
    if by_difficulty:
        groups += [(ds, diff, g) for (ds, diff), g in valid.groupby(["dataset", "difficulty"], sort=True)]
    rows = []
    for dataset, difficulty, group in groups:
        cats = group[list(CATEGORY_NAMES)]
        labelled = cats.notna().any(axis=1)
        row = {
            "dataset": dataset,
            "difficulty": difficulty,
            "n": int(labelled.sum()),
            "unlabelled": int((~labelled).sum()),
        }
        for name in CATEGORY_NAMES:
            known = cats[name].dropna()
            row[name] = float(known.astype(bool).mean()) if len(known) else float("nan")
        rows.append(row)
    order = {"all": 0, "trivial": 1, "non-trivial": 2}
    table = pd.DataFrame(rows, columns=["dataset", "difficulty", *CATEGORY_NAMES, "n", "unlabelled"])
    table = table.sort_values(["dataset", "difficulty"], key=lambda s: s.map(order) if s.name == "difficulty" else s)
    return table.set_index(["dataset", "difficulty"])


def redundancy(labels: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: valid REs labelled redundant / minimal, and the redundancy ratio redundant / (both)."""
    valid = _valid(labels)
    counts = pd.crosstab(valid["dataset"], valid["information"]).reindex(columns=["redundant", "minimal"], fill_value=0)
    counts = counts.reindex(sorted(set(labels["dataset"])), fill_value=0)
    counts.columns.name = None
    total = counts.sum(axis=1)
    counts["ratio"] = counts["redundant"] / total.where(total > 0)
    return counts


def cooccurrence(labels: pd.DataFrame, dataset: str | None = None, conditional: bool = False) -> pd.DataFrame:
    """Category x category counts of valid REs with all seven categories labelled (the diagonal:
    REs with that category). `conditional` gives P(column | row) = count / diagonal of the row."""
    valid = _valid(labels)
    if dataset is not None:
        valid = valid[valid["dataset"] == dataset]
    cats = valid[list(CATEGORY_NAMES)]
    yes = cats[cats.notna().all(axis=1)].astype(bool).astype(int)
    matrix = yes.T @ yes
    if conditional:
        diagonal = pd.Series(matrix.to_numpy().diagonal(), index=matrix.index)
        matrix = matrix.div(diagonal.where(diagonal > 0), axis=0)
    matrix.index.name = matrix.columns.name = None
    return matrix


def dataset_statistics(labels: pd.DataFrame) -> dict[str, object]:
    """All of the above as plain Python values (for JSON)."""

    def records(frame: pd.DataFrame) -> dict[str, object]:
        frame = frame.astype(object).where(frame.notna(), None)
        return {
            (" / ".join(k) if isinstance(k, tuple) else str(k)): v for k, v in frame.to_dict(orient="index").items()
        }

    return {
        "figure3_difficulty": records(difficulty_proportions(labels)),
        "figure4_categories": records(category_shares(labels)),
        "redundancy": records(redundancy(labels)),
        "cooccurrence": {ds: records(cooccurrence(labels, ds)) for ds in sorted(set(labels["dataset"]))},
    }
