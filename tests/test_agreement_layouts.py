"""Converters between the long, subject x rater and subject x category-count layouts."""

import numpy as np
import pandas as pd
import pytest

from refcat.analysis.agreement_layouts import (
    counts_to_rater,
    factorize_labels,
    long_to_rater,
    rater_to_counts,
    rater_to_long,
    split_fields,
)
from refcat.errors import FormatError


def long_table():
    return pd.DataFrame(
        [
            ("x", "ann", "yes"),
            ("x", "bob", " no"),
            ("y", "ann", "no"),
            ("y", "bob", ""),
            ("z", "bob", "yes"),
            ("z", "cid", None),
            ("y", "cid", "yes "),
        ],
        columns=["item", "annotator", "label"],
    )


def test_long_to_rater_codes_missing_and_stripped_labels():
    table = long_to_rater(long_table(), categories=("yes", "no"))
    assert list(table.items) == ["x", "y", "z"]
    assert list(table.raters) == ["ann", "bob", "cid"]
    assert table.codes.tolist() == [[0, 1, -1], [1, -1, 0], [-1, 0, -1]]
    assert table.counts().tolist() == [[1, 1], [1, 1], [1, 0]]


def test_round_trip_long_rater_long():
    table = long_to_rater(long_table())
    assert table.categories == ("no", "yes")
    back = rater_to_long(table)
    again = long_to_rater(back)
    assert np.array_equal(again.codes, table.codes)
    assert len(back) == 5  # blank and None answers are not answers


def test_counts_round_trip_through_anonymous_raters():
    counts = np.array([[2, 0, 1], [0, 0, 0], [1, 1, 1], [0, 4, 0]])
    codes = counts_to_rater(counts)
    assert codes.shape == (4, 4)
    assert codes[0].tolist() == [0, 0, 2, -1]
    assert codes[1].tolist() == [-1, -1, -1, -1]
    assert np.array_equal(rater_to_counts(codes, 3), counts)


def test_duplicate_answer_and_unknown_label_are_format_errors():
    dup = pd.concat([long_table(), pd.DataFrame([("x", "ann", "no")], columns=["item", "annotator", "label"])])
    with pytest.raises(FormatError, match="'ann' answered item 'x' 2 times"):
        long_to_rater(dup)
    with pytest.raises(FormatError, match="unknown label 'no'"):
        long_to_rater(long_table(), categories=("yes", "maybe"))
    with pytest.raises(FormatError, match="missing column 'label'"):
        long_to_rater(long_table().drop(columns="label"))


def test_split_fields_uses_fixed_categories_per_field():
    long = pd.DataFrame(
        [
            ("i1", "a", "motion", "yes"),
            ("i1", "b", "motion", "yes"),
            ("i2", "a", "correctness", "no-re"),
            ("i1", "a", "correctness", "valid"),
            ("i3", "c", "motion", "no"),
        ],
        columns=["item", "annotator", "field", "label"],
    )
    tables = dict(split_fields(long, categories={"correctness": ("valid", "no-re", "wrong-object")}))
    assert list(tables) == ["motion", "correctness"]
    assert tables["correctness"].categories == ("valid", "no-re", "wrong-object")
    assert list(tables["correctness"].items) == ["i1", "i2"]
    assert tables["correctness"].codes.tolist() == [[0], [1]]
    assert tables["motion"].categories == ("no", "yes")
    assert list(tables["motion"].raters) == ["a", "b", "c"]
    assert tables["motion"].codes.tolist() == [[1, 1, -1], [-1, -1, 0]]


def test_factorize_labels_merges_spaced_variants_and_marks_missing():
    codes, names = factorize_labels(pd.Series(["a", " a", None, "", "b", float("nan")]))
    assert codes.tolist() == [0, 0, -1, -1, 1, -1]
    assert list(names) == ["a", "b"]
