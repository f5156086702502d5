"""Gwet's (2014) definitions with missing answers, AC1, Brennan-Prediger, percent agreement, ordinal alpha and
the t / bootstrap intervals: worked examples, hand-computed cases, degenerate data, and cross-checks against
irrCAC 0.4.4 and krippendorff 0.9.0 (test-only dependencies) on random data with missing answers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from refcat.analysis.agreement import (
    _ac1_spec,
    _bootstrap_weights,
    _brennan_prediger_spec,
    _davies_fleiss_spec,
    _fleiss_spec,
    _krippendorff_spec,
    _percent_agreement_spec,
    _units,
    field_agreement,
    krippendorff_alpha,
)
from refcat.analysis.agreement_layouts import RaterTable, long_to_rater

# Gwet (2014), 4 raters x 12 subjects with missing ratings (irrCAC.datasets.raw_4raters, categories 1-5 as
# 0-4, -1 missing). Published: AC1 = 0.77544 (SE 0.14295, 95% CI 0.46081 to 1), Fleiss' kappa = 0.76117
# (SE 0.15302, 95% CI 0.42438 to 1), p_a = 0.81818, p_e(AC1) = 0.19032.
GWET_4RATERS = (
    np.array(
        [
            [1, 1, 0, 1],
            [2, 2, 3, 2],
            [3, 3, 3, 3],
            [3, 3, 3, 3],
            [2, 2, 2, 2],
            [1, 2, 3, 4],
            [4, 4, 4, 4],
            [1, 1, 2, 1],
            [2, 2, 2, 2],
            [0, 5, 5, 5],
            [0, 0, 1, 1],
            [0, 0, 3, 0],
        ]
    )
    - 1
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers x 12 units, "." missing;
# nominal alpha 0.743, ordinal alpha 0.815.
KRIPPENDORFF_2011 = """\
1 2 3 3 2 1 4 1 2 . . .
1 2 3 3 2 2 4 1 2 5 . 3
. 3 3 3 2 3 4 2 2 5 1 .
1 2 3 3 2 4 4 1 2 5 1 ."""

pytestmark = pytest.mark.filterwarnings("ignore::Warning:irrCAC.raw")  # its pandas deprecations, 0/0

STATISTICS = {  # FieldAgreement attribute -> irrCAC method
    "fleiss": "fleiss",
    "davies_fleiss": "conger",
    "gwet_ac1": "gwet",
    "brennan_prediger": "bp",
    "krippendorff": "krippendorff",
}


def table_of(codes, k):
    codes = np.asarray(codes)
    return RaterTable(
        codes,
        pd.RangeIndex(len(codes)),
        pd.Index([f"r{j}" for j in range(codes.shape[1])]),
        tuple(str(c) for c in range(k)),
    )


def estimate(result, name):
    return result.fleiss.kappa if name == "fleiss" else getattr(result, name)


def random_data_set(seed):
    """2-5 raters, 2-5 categories, 5-80 items, agreement 0.2-0.95, up to half the answers missing; every
    rater answers something and at least two items have two answers."""
    rng = np.random.default_rng(seed)
    while True:
        k, m, n = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(5, 81))
        truth = rng.integers(0, k, n)
        codes = np.where(rng.random((n, m)) < rng.uniform(0.2, 0.95), truth[:, None], rng.integers(0, k, (n, m)))
        codes = np.where(rng.random((n, m)) < rng.uniform(0, 0.5), -1, codes)
        if (codes >= 0).any(axis=0).all() and ((codes >= 0).sum(axis=1) >= 2).sum() >= 2:
            return codes, k


def irrcac(codes, k, weights="identity"):
    """irrCAC's CAC on a subject x rater table (NaN missing), every category of the scale given."""
    raw = pytest.importorskip("irrCAC.raw")
    ratings = pd.DataFrame(np.where(codes >= 0, codes, np.nan).astype(float))
    return raw.CAC(ratings, weights=weights, categories=[float(c) for c in range(k)], digits=15)


def assert_matches_irrcac(codes, k, tol=1e-9):
    """Every statistic's value, SE and 95% interval equal to irrCAC's; percent agreement equal to its p_a."""
    result = field_agreement(table_of(codes, k))
    cac = irrcac(codes, k)
    for name, method in STATISTICS.items():
        ours = estimate(result, name)
        if math.isnan(ours.value):  # irrCAC divides by zero (NaN, or ZeroDivisionError)
            assert ours.reason, name
            continue
        ref = getattr(cac, method)()["est"]
        assert ours.value == pytest.approx(float(ref["coefficient_value"]), abs=tol), name
        if float(ref["se"]) > 1e-12:  # irrCAC writes a zero SE as 1e-15
            assert ours.se == pytest.approx(float(ref["se"]), abs=tol), name
            low, high = (float(x) for x in ref["confidence_interval"])
            assert (ours.ci_low, ours.ci_high) == pytest.approx((low, high), abs=tol), name
        assert ours.ci_method == "t"
    assert result.percent_agreement.value == pytest.approx(float(cac.fleiss()["est"]["pa"]), abs=tol)
    return result


# --- cross-checks on random data ----------------------------------------------------------------


@pytest.mark.parametrize("block", range(3))
def test_every_statistic_equals_irrcac_on_random_data_with_missing_answers(block):
    for seed in range(40 * block, 40 * (block + 1)):
        assert_matches_irrcac(*random_data_set(seed))


@pytest.mark.slow
def test_every_statistic_equals_irrcac_on_three_hundred_more_data_sets():
    for seed in range(1000, 1300):
        assert_matches_irrcac(*random_data_set(seed))


def test_alpha_nominal_and_ordinal_equal_the_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    for seed in range(200):
        codes, k = random_data_set(seed)
        reliability = np.where(codes >= 0, codes, np.nan).T.astype(float)
        result = field_agreement(table_of(codes, k), ordinal=True)
        for level, ours in (("nominal", result.krippendorff), ("ordinal", result.krippendorff_ordinal)):
            expected = krippendorff.alpha(reliability, level_of_measurement=level, value_domain=list(range(k)))
            if math.isnan(expected):
                assert math.isnan(ours.value) and ours.reason
            else:
                assert ours.value == pytest.approx(expected, abs=1e-9), (seed, level)


def ordinal_weights(codes, k):
    """1 - delta^2 / max delta^2 for Krippendorff's ordinal metric, from the pairable values."""
    pairable = codes[(codes >= 0).sum(axis=1) >= 2]
    n_c = np.array([(pairable == c).sum() for c in range(k)], dtype=float)
    mid = np.cumsum(n_c) - n_c / 2
    delta = (mid[None, :] - mid[:, None]) ** 2
    return 1 - delta / delta.max()


def test_ordinal_alpha_se_equals_irrcac_with_krippendorff_ordinal_weights():
    for seed in range(60):
        codes, k = random_data_set(seed)
        ours = field_agreement(table_of(codes, k), ordinal=True).krippendorff_ordinal
        if math.isnan(ours.value):
            continue
        ref = irrcac(codes, k, weights=ordinal_weights(codes, k)).krippendorff()["est"]
        assert ours.value == pytest.approx(float(ref["coefficient_value"]), abs=1e-9)
        assert ours.se == pytest.approx(float(ref["se"]), abs=1e-9)


def test_nominal_only_fields_have_no_ordinal_alpha():
    codes, k = random_data_set(0)
    assert field_agreement(table_of(codes, k)).krippendorff_ordinal is None


# --- published and hand-computed examples ------------------------------------------------------------------


def test_gwet_2014_four_raters_with_missing_ratings():
    result = field_agreement(table_of(GWET_4RATERS, 5))
    ac1, kappa = result.gwet_ac1, result.fleiss.kappa
    assert (round(ac1.value, 5), round(ac1.se, 5)) == (0.77544, 0.14295)
    assert (round(ac1.ci_low, 5), ac1.ci_high) == (0.46081, 1.0)
    assert (round(kappa.value, 5), round(kappa.se, 5)) == (0.76117, 0.15302)
    assert (round(kappa.ci_low, 5), kappa.ci_high) == (0.42438, 1.0)
    assert round(result.percent_agreement.value, 5) == 0.81818
    # p_e(AC1) = 0.19032: AC1 = (p_a - p_e) / (1 - p_e).
    p_e = (result.percent_agreement.value - ac1.value) / (1 - ac1.value)
    assert round(p_e, 5) == 0.19032
    assert result.n_items == 11 and result.n_single == 1
    assert_matches_irrcac(GWET_4RATERS, 5)


def test_krippendorff_2011_ordinal_alpha():
    rows = [line.split() for line in KRIPPENDORFF_2011.splitlines()]
    long = pd.DataFrame(
        [(u, f"obs{o}", v) for o, r in enumerate(rows) for u, v in enumerate(r) if v != "."],
        columns=["item", "annotator", "label"],
    )
    table = long_to_rater(long)
    assert round(krippendorff_alpha(table, ordinal=True).value, 3) == 0.815
    assert round(krippendorff_alpha(table).value, 3) == 0.743


def test_single_answer_items_count_for_chance_agreement_by_hand():
    # r0..r2; item 3 has one answer. Pair agreements 1, 1, -, 1/3: p_a = 7/9.
    # Per-item shares of category 0: 1, 0, 1, 1/3 -> pi = (7/12, 5/12).
    # Fleiss: p_e = 74/144 -> kappa = 19/35. AC1: p_e = 2 pi_0 pi_1 = 70/144 -> 21/37. BP: p_e = 1/2 -> 5/9.
    # Conger: rater shares of 0 are 3/4, 1/3, 0 over the items each answered -> p_e = 4/9 -> 3/5.
    codes = np.array([[0, 0, -1], [1, 1, 1], [0, -1, -1], [0, 1, 1]])
    result = field_agreement(table_of(codes, 2))
    assert result.percent_agreement.value == pytest.approx(7 / 9)
    assert result.fleiss.kappa.value == pytest.approx(19 / 35)
    assert result.gwet_ac1.value == pytest.approx(21 / 37)
    assert result.brennan_prediger.value == pytest.approx(5 / 9)
    assert result.davies_fleiss.value == pytest.approx(3 / 5)
    assert result.n_items == 3 and result.n_single == 1
    assert_matches_irrcac(codes, 2)


def test_ac1_and_brennan_prediger_count_every_category_of_the_scale():
    # The same answers on a 3-category scale (category 2 unused): BP p_e = 1/3, AC1 p_e = sum pi (1 - pi) / 2.
    codes = np.array([[0, 0, -1], [1, 1, 1], [0, -1, -1], [0, 1, 1]])
    result = field_agreement(table_of(codes, 3))
    assert result.brennan_prediger.value == pytest.approx((7 / 9 - 1 / 3) / (2 / 3))
    assert result.gwet_ac1.value == pytest.approx((7 / 9 - 35 / 144) / (1 - 35 / 144))
    assert result.fleiss.kappa.value == pytest.approx(19 / 35)  # unused categories leave kappa alone
    assert_matches_irrcac(codes, 3)


def test_analytic_interval_is_t_with_n_minus_one_degrees_of_freedom():
    codes, k = random_data_set(3)
    result = field_agreement(table_of(codes, k), confidence=0.9)
    n = int(((codes >= 0).any(axis=1)).sum())  # items with an answer: Fleiss' kappa rests on all of them
    e = result.fleiss.kappa
    half = student_t.ppf(0.95, n - 1) * e.se
    assert (e.ci_low, e.ci_high) == pytest.approx((e.value - half, min(e.value + half, 1.0)))


# --- degenerate data -------------------------------------------------------------------------------------


def test_one_category_throughout_is_perfect_percent_agreement_and_undefined_kappa():
    result = field_agreement(table_of(np.zeros((40, 3), dtype=int), 2))
    for e in (result.percent_agreement, result.brennan_prediger, result.gwet_ac1):
        assert (e.value, e.se, e.ci_low, e.ci_high) == pytest.approx((1.0, 0.0, 1.0, 1.0))
        assert e.reason is None
    for e in (result.fleiss.kappa, result.davies_fleiss, result.krippendorff, result.mean_cohen):
        assert math.isnan(e.value) and e.reason == "only one category used: chance agreement is 1"
    assert any(w.startswith("interval unreliable: standard error 0 for") for w in result.warnings)
    assert "gwet_ac1" in result.warnings[-1] and "fleiss_kappa" not in result.warnings[-1]
    assert_matches_irrcac(np.zeros((40, 3), dtype=int), 2)


def test_one_category_on_pairable_items_and_another_on_a_single_answer():
    # irrCAC (Gwet 2014) counts the single "1" in the chance proportions: p_e < 1 and kappa = 1.
    codes = np.vstack([np.zeros((10, 2), dtype=int), [[1, -1]]])
    result = field_agreement(table_of(codes, 2))
    assert result.fleiss.kappa.value == pytest.approx(1.0)
    assert result.davies_fleiss.value == pytest.approx(1.0)
    assert math.isnan(result.krippendorff.value)  # alpha uses pairable values only
    assert_matches_irrcac(codes, 2)


def test_perfect_agreement_is_one_with_zero_se_and_a_warning():
    codes = np.tile([[0, 0, 0], [1, 1, 1], [2, 2, 2]], (12, 1))
    result = field_agreement(table_of(codes, 3))
    for name in (*STATISTICS, "percent_agreement", "mean_cohen"):
        e = estimate(result, name)
        assert (e.value, e.se, e.ci_low, e.ci_high) == pytest.approx((1.0, 0.0, 1.0, 1.0), abs=1e-12), name
    assert result.warnings == (
        "interval unreliable: standard error 0 for fleiss_kappa, fleiss_kappa[0], fleiss_kappa[1], "
        "fleiss_kappa[2], davies_fleiss_kappa, krippendorff_alpha, gwet_ac1, brennan_prediger, "
        "percent_agreement, mean_cohen_kappa",
    )
    assert_matches_irrcac(codes, 3)


def test_single_yes_in_thirty_items():
    codes = np.zeros((30, 3), dtype=int)
    codes[7, 1] = 1
    result = field_agreement(table_of(codes, 2))
    # Fleiss: p_a = 88/90, pi_yes = 1/90, p_e = 7922/8100: kappa = -1/89.
    assert result.fleiss.kappa.value == pytest.approx(-1 / 89)
    for name in ("fleiss", "krippendorff", "gwet_ac1", "brennan_prediger", "percent_agreement"):
        e = estimate(result, name)
        assert e.se > 0.005 and e.ci_low < e.value <= e.ci_high <= 1, name
    # Conger: p_a = p_e = 88/90, kappa 0, and the linearised SE vanishes (as irrCAC's): flagged.
    assert result.davies_fleiss.value == pytest.approx(0, abs=1e-12) and result.davies_fleiss.se < 1e-12
    assert result.warnings == ("interval unreliable: standard error 0 for davies_fleiss_kappa, mean_cohen_kappa",)
    assert_matches_irrcac(codes, 2)


def test_fewer_than_thirty_items_warn():
    codes, k = random_data_set(5)
    result = field_agreement(table_of(codes[:12], k))
    assert result.warnings[0] == f"interval unreliable: {result.n_items} items with two or more answers (fewer than 30)"


# --- the bootstrap -----------------------------------------------------------------------------------------


def test_bootstrap_replicate_equals_every_statistic_of_the_resampled_items():
    codes, k = random_data_set(11)
    units = _units(codes, k)
    specs = {
        "fleiss": _fleiss_spec("fleiss_kappa", units, units.counts),
        "davies_fleiss": _davies_fleiss_spec(units),
        "gwet_ac1": _ac1_spec(units),
        "brennan_prediger": _brennan_prediger_spec(units),
        "percent_agreement": _percent_agreement_spec(units),
        "krippendorff": _krippendorff_spec(units),
        "krippendorff_ordinal": _krippendorff_spec(units, ordinal=True),
    }
    for w in next(_bootstrap_weights(units.weight, 4, seed=2)):
        direct = field_agreement(table_of(np.repeat(units.codes, w.astype(int), axis=0), k), ordinal=True)
        for name, spec in specs.items():
            on_rows = w[spec.rows][None, :]
            n = on_rows.sum(axis=1)
            replicate = spec.f(on_rows @ spec.features / n[:, None], n)[0]
            assert replicate == pytest.approx(estimate(direct, name).value, abs=1e-12), name


@pytest.mark.parametrize("n_items", [60, 2000])  # one bootstrap per pattern (few items), multinomial (many)
def test_bootstrap_intervals_agree_with_the_analytic_se(n_items):
    rng = np.random.default_rng(n_items)
    truth = rng.integers(0, 3, n_items)
    codes = np.where(rng.random((n_items, 3)) < 0.7, truth[:, None], rng.integers(0, 3, (n_items, 3)))
    codes = np.where(rng.random((n_items, 3)) < 0.1, -1, codes)
    analytic = field_agreement(table_of(codes, 3))
    boot = field_agreement(table_of(codes, 3), n_boot=2000, seed=4)
    for name in (*STATISTICS, "percent_agreement", "mean_cohen"):
        a, b = estimate(analytic, name), estimate(boot, name)
        assert b.ci_method == "bootstrap" and a.ci_method == "t"
        assert (b.value, b.se) == (a.value, a.se)  # the SE stays the analytic one
        assert (b.ci_high - b.ci_low) / (2 * 1.96) == pytest.approx(a.se, rel=0.15), name


def test_bootstrap_weights_resample_n_items_and_are_seeded():
    weight = np.array([3.0, 1.0, 500.0, 2.0])  # few units, many items: multinomial counts
    first = np.vstack(list(_bootstrap_weights(weight, 50, seed=1)))
    again = np.vstack(list(_bootstrap_weights(weight, 50, seed=1)))
    assert first.shape == (50, 4) and (first.sum(axis=1) == 506).all()
    assert np.array_equal(first, again)
    assert not np.array_equal(first, np.vstack(list(_bootstrap_weights(weight, 50, seed=2))))
    assert first.mean(axis=0) == pytest.approx(weight, rel=0.2)
