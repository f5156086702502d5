"""Statistics of labelled referring expressions (Bellver et al., Section 4, Figures 3 and 4).

Input: a label table in the released format (`refcat.datasets.release.read_release`, or
`refcat.analysis.consensus.release_frame` from the store's consensus), optionally with a
`dataset` column; `label_table` turns it into one row per RE with the taxonomy fields.
A dataset nobody has labelled (Ref-YouTube-VOS, MeViS, ...) gives its label table with
`class_label_table`: difficulty from the object classes (refcat.categorize.difficulty), every RE
taken as valid (the dataset's REs were written for their referent and nobody judged them, so
the no-RE and wrong-object shares are 0), no information or categories; `with_categorizer`
adds the automatic categorizer's categories and information (what `refcat categorize` writes).

Denominators (each output says how many REs it counts):
- Figure 3, `difficulty_proportions`: all REs of a dataset; each is trivial, non-trivial,
  "no RE" (fits another object too) or wrong object (does not match the referent). A valid RE
  without a difficulty (classes that decide nothing: `class_label_table`'s unknown classes and
  unnamed referents) is `undecided`, a column present only when some RE is.
- Figure 4, `category_shares`: valid REs (trivial, non-trivial or undecided) with category labels;
  a category's share is over the REs where that category is labelled; undecided REs count in the
  "all" rows only. The release leaves
  the categories of some REs empty: those are counted in `unlabelled`, not in the shares.
- `redundancy`: valid REs whose information is labelled (redundant or minimal).
- `cooccurrence`: valid REs with all seven categories labelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from refcat.datasets.records import Instance, ObjectRef
from refcat.errors import UsageError
from refcat.taxonomy import (
    CATEGORY_NAMES,
    CORRECTNESS,
    RELEASE_CATEGORY_ORDER,
    RELEASE_INFORMATION,
    release_difficulty,
)

if TYPE_CHECKING:
    from refcat.categorize.learned import LearnedCategorizer

KINDS = ("trivial", "non-trivial", "no-re", "wrong-object")
UNDECIDED = "undecided"
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


def class_label_table(
    dataset: str, instances: Iterable[Instance], objects: Mapping[str, Sequence[ObjectRef]]
) -> pd.DataFrame:
    """`LABEL_COLUMNS` of REs nobody labelled, named `dataset`, plus `difficulty_reason`: difficulty
    decided from the classes of `objects` (video id -> all its objects, the referents among them) by
    refcat.categorize.difficulty (None where they decide nothing, and the reason), correctness
    "valid", information and categories missing (see the module doc)."""
    from refcat.categorize.difficulty import decide_difficulty

    rows = []
    for instance in instances:
        video_objects = objects.get(instance.video_id, ())
        referent = next((o for o in video_objects if o.object_id == instance.object_id), None)
        if referent is None:
            raise UsageError(
                f"instance {instance.key} names object {instance.object_id}, not an object of its video",
                expected="the objects of every video the instances name",
            )
        decision = decide_difficulty(referent, video_objects)
        rows.append(
            {
                "dataset": dataset,
                "video_id": instance.video_id,
                "object_id": instance.object_id,
                "text": instance.text,
                "difficulty": decision.difficulty,
                "correctness": "valid",
                "information": None,
                **dict.fromkeys(CATEGORY_NAMES, pd.NA),
                "difficulty_reason": decision.reason,
            }
        )
    table = pd.DataFrame(rows, columns=[*LABEL_COLUMNS, "difficulty_reason"])
    return table.astype(
        {**dict.fromkeys(("difficulty", "information"), object), **dict.fromkeys(CATEGORY_NAMES, "boolean")}
    )


def with_categorizer(labels: pd.DataFrame, model: LearnedCategorizer | None = None) -> pd.DataFrame:
    """`labels` (valid REs, e.g. `class_label_table`'s) with the categories and information of the
    automatic categorizer (refcat.categorize.table.categorize_table: the rules, or `model`), as
    `refcat categorize` predicts them; an RE's difficulty, where known, informs its information."""
    from refcat.categorize.table import categorize_table

    release = pd.DataFrame(
        {
            "video_id": labels["video_id"],
            "instance_id": labels["object_id"],
            "ref_exp": labels["text"],
            "ref_exp_difficulty": [
                release_difficulty(d, "valid", automatic=True) if isinstance(d, str) else UNDECIDED
                for d in labels["difficulty"]
            ],
            "ref_exp_information": "Not Applicable",
        }
    ).reset_index(drop=True)
    predicted = categorize_table(release, model)
    out = labels.reset_index(drop=True).copy()
    out["information"] = predicted["ref_exp_information"].map(RELEASE_INFORMATION).astype(object)
    for name in CATEGORY_NAMES:
        out[name] = predicted[name].astype("boolean")
    return out


def _kind(labels: pd.DataFrame) -> pd.Series:
    valid = labels["correctness"] == "valid"
    return (
        labels["difficulty"].where(valid, labels["correctness"]).where(~valid | labels["difficulty"].notna(), UNDECIDED)
    )


def _valid(labels: pd.DataFrame) -> pd.DataFrame:
    return labels[labels["correctness"] == "valid"]


def difficulty_proportions(labels: pd.DataFrame) -> pd.DataFrame:
    """Figure 3: per dataset, the share of all its REs in each of `KINDS` (and `UNDECIDED` when some
    RE is), and `n` (all REs)."""
    unknown = set(labels["correctness"].dropna()) - set(CORRECTNESS)
    if unknown:
        raise UsageError(f"unknown correctness labels {sorted(unknown)}", expected=", ".join(CORRECTNESS))
    kinds = _kind(labels)
    columns = [*KINDS, UNDECIDED] if (kinds == UNDECIDED).any() else list(KINDS)
    counts = pd.crosstab(labels["dataset"], kinds).reindex(columns=columns, fill_value=0)
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
