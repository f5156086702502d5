"""Degenerate label data: documented values with reasons, never a crash or a bare NaN."""

import math

import numpy as np
import pandas as pd
import pytest

from refcat.analysis.agreement import (
    cohen_kappa,
    cohen_kappa_estimate,
    field_agreement,
    fleiss_kappa,
)
from refcat.analysis.agreement_layouts import RaterTable
from refcat.analysis.agreement_report import (
    agreement_by_field,
    report_frame,
    report_json,
)


def table_of(codes, k=2):
    codes = np.asarray(codes)
    return RaterTable(
        codes,
        pd.RangeIndex(len(codes)),
        pd.Index([f"r{j}" for j in range(codes.shape[1])]),
        tuple(str(c) for c in range(k)),
    )


def estimates(result):
    return {
        "fleiss": result.fleiss.kappa,
        "davies_fleiss": result.davies_fleiss,
        "krippendorff": result.krippendorff,
        "mean_cohen": result.mean_cohen,
    }


def test_single_category_used_is_undefined_with_reason():
    result = field_agreement(table_of(np.zeros((5, 3), dtype=int)), n_boot=50)
    for est in estimates(result).values():
        assert math.isnan(est.value)
        assert est.reason == "only one category used: chance agreement is 1"
    assert result.n_items == 5 and result.n_annotators == 3


def test_perfect_agreement_is_one_with_zero_se():
    codes = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1]])
    result = field_agreement(table_of(codes), n_boot=0)
    for name, est in estimates(result).items():
        assert est.value == pytest.approx(1.0), name
        assert est.se == pytest.approx(0.0, abs=1e-12), name
        assert est.reason is None
        assert (est.ci_low, est.ci_high) == pytest.approx((1.0, 1.0))
    # With 4 items, about 1 resample in 8 holds one category only: the t interval is kept, with the reason.
    boot = field_agreement(table_of(codes), n_boot=100, seed=0).krippendorff
    assert boot.ci_method == "t" and "bootstrap resamples undefined" in boot.reason


def test_one_annotator_is_undefined_with_reason():
    result = field_agreement(table_of(np.array([[0], [1], [1]])), n_boot=10)
    for est in estimates(result).values():
        assert math.isnan(est.value) and est.reason == "fewer than two annotators"
    assert result.pairwise_cohen.empty


def test_items_with_one_answer_count_for_chance_agreement_only():
    """Gwet (2014): p_a over the items with two or more answers, the category shares over every
    answered item. Here p_a = (1 + 1 + 1/3) / 3 = 7/9 either way; the shares are (7/15, 8/15) with the
    two single answers and (4/9, 5/9) without, so kappa is 62/112 and 22/40. Krippendorff's alpha
    pools pairable values only, so single answers change nothing there."""
    codes = np.array([[0, 0, -1], [1, 1, 1], [0, -1, -1], [-1, -1, 1], [1, 0, 1]])
    with_singles = field_agreement(table_of(codes), n_boot=0)
    without = field_agreement(table_of(codes[[0, 1, 4]]), n_boot=0)
    assert with_singles.n_single == 2 and with_singles.n_items == 3
    assert with_singles.krippendorff.value == pytest.approx(without.krippendorff.value)
    assert with_singles.percent_agreement.value == pytest.approx(7 / 9)
    assert with_singles.fleiss.kappa.value == pytest.approx(62 / 112)
    assert without.fleiss.kappa.value == pytest.approx(22 / 40)


def test_only_single_answers_is_undefined_with_reason():
    result = field_agreement(table_of(np.array([[0, -1], [-1, 1]])), n_boot=0)
    assert result.n_items == 0 and result.n_single == 2
    for est in estimates(result).values():
        assert math.isnan(est.value)
        assert est.reason == "no item has two or more answers"


def test_one_pairable_item_has_a_value_but_no_se():
    result = field_agreement(table_of(np.array([[0, 1, 1]])), n_boot=0)
    assert result.fleiss.kappa.value == pytest.approx(-0.5)  # P_o = 1/3, p = (1/3, 2/3), P_e = 5/9
    assert math.isnan(result.fleiss.kappa.se)
    assert result.fleiss.kappa.reason == "one pairable item: no standard error or interval"


def test_pair_without_common_items_and_pair_with_constant_labels():
    codes = np.array([[0, 0, -1], [0, 0, -1], [-1, 1, 1], [-1, 0, 1], [-1, 1, 1]])
    result = field_agreement(table_of(codes), n_boot=0)
    pairs = result.pairwise_cohen.set_index(["rater_a", "rater_b"])
    assert pairs.loc[("r0", "r2"), "reason"] == "no item answered by both annotators"
    assert pairs.loc[("r0", "r2"), "n_items"] == 0
    # r0 and r1 both say 0 on their two common items: p_e = 1.
    assert pairs.loc[("r0", "r1"), "reason"] == "the two annotators used one and the same category throughout"
    # The mean is over the defined pair only: r1 vs r2 on items 3-5 (1,1), (0,1), (1,1).
    assert result.mean_cohen.value == pytest.approx(pairs.loc[("r1", "r2"), "kappa"])
    assert pairs.loc[("r1", "r2"), "kappa"] == pytest.approx(0.0)


def test_binary_category_kappas_equal_the_overall_kappa():
    rng = np.random.default_rng(0)
    codes = np.where(rng.random((50, 3)) < 0.7, rng.integers(0, 2, 50)[:, None], rng.integers(0, 2, (50, 3)))
    result = field_agreement(table_of(codes), n_boot=0).fleiss
    three = np.hstack(
        [
            np.bincount(np.repeat(np.arange(50), 3), weights=(codes == j).ravel(), minlength=50)[:, None]
            for j in range(2)
        ]
        + [np.zeros((50, 1))]
    ).astype(int)
    # Category kappa j is Fleiss' kappa of j against the rest (Fleiss 1971): computed here with a
    # third, unused category, which takes the general path.
    general = fleiss_kappa(three, categories=["0", "1", "2"])
    for c in ("0", "1"):
        assert result.per_category[c].estimate.value == pytest.approx(result.kappa.value)
        assert general.per_category[c].estimate.value == pytest.approx(result.kappa.value)
        assert general.per_category[c].estimate.se == pytest.approx(result.kappa.se)


def test_category_never_used_has_undefined_category_kappa():
    codes = np.array([[0, 0], [1, 0], [1, 1]])
    result = fleiss_kappa(np.array([[2, 0, 0], [1, 1, 0], [0, 2, 0]]), categories=["a", "b", "c"])
    assert math.isnan(result.per_category["c"].estimate.value)
    assert "'c'" in result.per_category["c"].estimate.reason
    assert math.isfinite(result.kappa.value)
    assert field_agreement(table_of(codes), n_boot=0).fleiss.kappa.value == pytest.approx(result.kappa.value)


def test_cohen_kappa_constant_sequences_return_documented_nan(caplog):
    assert math.isnan(cohen_kappa("aaa", "aaa"))
    assert "single" in caplog.text or "same category" in caplog.text
    assert cohen_kappa_estimate([None, "a"], ["b", None]).reason == "no position labelled in both sequences"


def test_report_never_has_a_nan_without_reason():
    rows = [
        ("i1", "a", "motion", "no"),
        ("i1", "b", "motion", "no"),
        ("i2", "a", "motion", "no"),
        ("i2", "b", "motion", "no"),
        ("i1", "a", "static", "yes"),
        ("i2", "a", "static", "no"),
        ("i1", "a", "difficulty", "trivial"),
        ("i1", "b", "difficulty", "trivial"),
        ("i2", "a", "difficulty", "non-trivial"),
        ("i2", "b", "difficulty", "non-trivial"),
        ("i3", "a", "difficulty", "trivial"),
    ]
    long = pd.DataFrame(rows, columns=["item", "annotator", "field", "label"])
    results = agreement_by_field(long, n_boot=20)
    frame = report_frame(results)
    value_columns = ["value", "se", "ci_low", "ci_high"]
    nan_rows = frame[value_columns].isna().any(axis=1)
    assert nan_rows.any()
    assert frame.loc[nan_rows, "reason"].notna().all()
    for obj in report_json(results):
        for name in ("fleiss_kappa", "davies_fleiss_kappa", "krippendorff_alpha", "mean_cohen_kappa"):
            if any(obj[name][k] is None for k in ("value", "se", "ci_low", "ci_high")):
                assert obj[name]["reason"]
    assert results["difficulty"].n_single == 1
    assert results["difficulty"].fleiss.kappa.value == pytest.approx(1.0)
    assert results["static"].krippendorff.reason == "fewer than two annotators"
    assert results["static"].n_annotators == 1 and results["static"].n_single == 2
