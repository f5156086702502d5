"""Agreement statistics: published worked examples, hand-computed cases, independent cross-checks."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa
from statsmodels.stats.inter_rater import to_table

from refcat.analysis.agreement import (
    _bootstrap_weights,
    _fleiss_spec,
    _units,
    cohen_kappa,
    cohen_kappa_estimate,
    davies_fleiss_kappa,
    field_agreement,
    fleiss_kappa,
    krippendorff_alpha,
)
from refcat.analysis.agreement_layouts import RaterTable, long_to_rater, rater_to_counts

# Fleiss (1971), Table 1: 30 patients, 6 psychiatric diagnoses each (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other), in the subject x rater
# layout of R's irr::diagnoses.
FLEISS_1971 = (
    np.array(
        [
            [4, 4, 4, 4, 4, 4],
            [2, 2, 2, 5, 5, 5],
            [2, 3, 3, 3, 3, 5],
            [5, 5, 5, 5, 5, 5],
            [2, 2, 2, 4, 4, 4],
            [1, 1, 3, 3, 3, 3],
            [3, 3, 3, 3, 5, 5],
            [1, 1, 3, 3, 3, 4],
            [1, 1, 4, 4, 4, 4],
            [5, 5, 5, 5, 5, 5],
            [1, 4, 4, 4, 4, 4],
            [1, 2, 4, 4, 4, 4],
            [2, 2, 2, 3, 3, 3],
            [1, 4, 4, 4, 4, 4],
            [2, 2, 4, 4, 4, 5],
            [3, 3, 3, 3, 3, 5],
            [1, 1, 1, 4, 5, 5],
            [1, 1, 1, 1, 1, 2],
            [2, 2, 4, 4, 4, 4],
            [1, 3, 3, 5, 5, 5],
            [5, 5, 5, 5, 5, 5],
            [2, 4, 4, 4, 4, 4],
            [2, 2, 4, 5, 5, 5],
            [1, 1, 4, 4, 4, 4],
            [1, 4, 4, 4, 4, 5],
            [2, 2, 2, 2, 2, 4],
            [1, 1, 1, 1, 5, 5],
            [2, 2, 4, 4, 4, 4],
            [1, 3, 3, 3, 3, 3],
            [5, 5, 5, 5, 5, 5],
        ]
    )
    - 1
)

# Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, 5 categories, kappa = 0.210.
WIKIPEDIA = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers x 12
# units, "." missing; nominal alpha = 0.743. Unit 12 has one value only.
KRIPPENDORFF_2011 = """\
1 2 3 3 2 1 4 1 2 . . .
1 2 3 3 2 2 4 1 2 5 . 3
. 3 3 3 2 3 4 2 2 5 1 .
1 2 3 3 2 4 4 1 2 5 1 ."""


def table_of(codes, k=None):
    codes = np.asarray(codes)
    k = k or int(codes.max()) + 1
    return RaterTable(
        codes,
        pd.RangeIndex(len(codes)),
        pd.Index([f"r{j}" for j in range(codes.shape[1])]),
        tuple(str(c) for c in range(k)),
    )


def krippendorff_table():
    rows = [line.split() for line in KRIPPENDORFF_2011.splitlines()]
    long = pd.DataFrame(
        [(u, f"obs{o}", v) for o, r in enumerate(rows) for u, v in enumerate(r) if v != "."],
        columns=["item", "annotator", "label"],
    )
    return long_to_rater(long)


def random_codes(rng, n_items, n_raters, k, p_agree=0.6, p_missing=0.0):
    truth = rng.integers(0, k, n_items)
    codes = np.where(rng.random((n_items, n_raters)) < p_agree, truth[:, None], rng.integers(0, k, (n_items, n_raters)))
    return np.where(rng.random((n_items, n_raters)) < p_missing, -1, codes)


# --- published examples -------------------------------------------------------------------


def test_fleiss_1971_kappa_null_test_and_category_kappas():
    result = fleiss_kappa(rater_to_counts(FLEISS_1971, 5))
    # R irr::kappam.fleiss(diagnoses): Kappa = 0.4302445, z = 17.65183; detail per category.
    assert result.kappa.value == pytest.approx(0.4302445, abs=1e-7)
    assert result.z == pytest.approx(17.65183, abs=1e-5)
    assert result.p_value < 1e-60
    per_category = [round(c.estimate.value, 3) for c in result.per_category.values()]
    assert per_category == [0.245, 0.245, 0.520, 0.471, 0.566]
    # Fleiss, Nee & Landis (1979): SE_0 of a category kappa is sqrt(2 / (N m (m-1))).
    se0 = math.sqrt(2 / (30 * 6 * 5))
    assert all(c.se_null == pytest.approx(se0) for c in result.per_category.values())
    assert result.per_category["2"].z == pytest.approx(result.per_category["2"].estimate.value / se0)


def test_fleiss_1971_davies_fleiss_equals_irr_exact_kappa():
    # R irr::kappam.fleiss(diagnoses, exact = TRUE), Conger's exact kappa: 0.442.
    assert round(davies_fleiss_kappa(table_of(FLEISS_1971)).value, 3) == 0.442


def test_wikipedia_worked_example():
    result = fleiss_kappa(WIKIPEDIA)
    assert round(result.kappa.value, 3) == 0.210
    assert result.kappa.value == pytest.approx(sm_fleiss_kappa(WIKIPEDIA), abs=1e-12)


def test_krippendorff_2011_example_with_missing_values():
    table = krippendorff_table()
    assert table.codes.shape == (12, 4)
    alpha = krippendorff_alpha(table)
    assert round(alpha.value, 3) == 0.743
    result = field_agreement(table, n_boot=0)
    assert result.n_single == 1 and result.n_items == 11
    assert result.krippendorff.value == alpha.value


# --- small cases by hand ----------------------------------------------------------------------


def test_two_raters_by_hand():
    # a = y y n n, b = y n n n. Cohen: p_o = 3/4, p_e = 1/2, kappa = 1/2.
    # Fleiss: P_o = 3/4, p_y = 3/8, P_e = 34/64, kappa = 7/15.
    # Krippendorff: n = 8, D = 2, alpha = 1 - 7 * 2 / (64 - 9 - 25) = 8/15.
    codes = np.array([[0, 0], [0, 1], [1, 1], [1, 1]])
    result = field_agreement(table_of(codes), n_boot=0)
    assert result.mean_cohen.value == pytest.approx(0.5)
    assert result.davies_fleiss.value == pytest.approx(0.5)
    assert result.fleiss.kappa.value == pytest.approx(7 / 15)
    assert result.krippendorff.value == pytest.approx(8 / 15)
    assert cohen_kappa("yynn", "ynnn") == pytest.approx(0.5)


def test_cohen_kappa_drops_missing_positions_and_rejects_unequal_lengths():
    # Kept: (y, y), (y, n), (n, n): p_o = 2/3, p_e = 2/9 + 2/9, kappa = (2/9) / (5/9) = 0.4.
    assert cohen_kappa(["y", None, "y", "n", "n"], ["y", "n", "n", "n", ""]) == pytest.approx(0.4)
    from refcat.errors import UsageError

    with pytest.raises(UsageError):
        cohen_kappa([1, 2], [1])


# --- independent cross-checks ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fleiss_matches_statsmodels_on_random_complete_data(seed):
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, 80, 4, 3 + seed)
    counts = rater_to_counts(codes, 3 + seed)
    assert fleiss_kappa(counts).kappa.value == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_pairwise_cohen_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, 120, 4, 3, p_missing=0.15)
    result = field_agreement(table_of(codes), n_boot=0)
    expected = []
    for i, j in itertools.combinations(range(4), 2):
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        expected.append(cohen_kappa_score(codes[both, i], codes[both, j]))
        pairs = result.pairwise_cohen
        row = pairs[(pairs["rater_a"] == f"r{i}") & (pairs["rater_b"] == f"r{j}")].iloc[0]
        assert row["kappa"] == pytest.approx(expected[-1], abs=1e-12)
        assert row["n_items"] == both.sum()
    assert result.mean_cohen.value == pytest.approx(np.mean(expected), abs=1e-12)
    a = np.where(codes[:, 0] >= 0, codes[:, 0].astype(str), "")
    b = np.where(codes[:, 1] >= 0, codes[:, 1].astype(str), "")
    assert cohen_kappa(a, b) == pytest.approx(expected[0], abs=1e-12)


def test_cohen_se_equals_fleiss_cohen_everitt_variance_of_statsmodels():
    rng = np.random.default_rng(3)
    codes = random_codes(rng, 150, 2, 3, p_agree=0.5)
    est = cohen_kappa_estimate(codes[:, 0], codes[:, 1])
    reference = sm_cohens_kappa(to_table(codes, bins=np.arange(4) - 0.5)[0])
    assert est.value == pytest.approx(reference.kappa, abs=1e-12)
    # statsmodels divides the variance by N, refcat (as irrCAC, Gwet 2014) by N - 1
    n = len(codes)
    assert est.se == pytest.approx(reference.std_kappa * math.sqrt(n / (n - 1)), rel=1e-9)


def conger_by_definition(codes):
    """Conger (1980) / Davies & Fleiss (1982), straight from the definition: over items with
    two or more answers, P_o the mean proportion of agreeing rater pairs per item; P_e the
    mean over rater pairs of sum_j p_aj p_bj, p_aj rater a's proportion of category j among
    the items it answered, items with a single answer included (as Gwet 2014 and irrCAC)."""
    answered_items = [row for row in codes.tolist() if sum(c >= 0 for c in row) >= 1]
    items = [row for row in answered_items if sum(c >= 0 for c in row) >= 2]
    agreements = []
    for row in items:
        given = [c for c in row if c >= 0]
        pairs = [(x, y) for i, x in enumerate(given) for j, y in enumerate(given) if i != j]
        agreements.append(sum(x == y for x, y in pairs) / len(pairs))
    p_o = sum(agreements) / len(agreements)
    raters = range(len(items[0]))
    categories = sorted({c for row in answered_items for c in row if c >= 0})
    share = {}
    for a in raters:
        answered = [row[a] for row in answered_items if row[a] >= 0]
        share[a] = {j: answered.count(j) / len(answered) for j in categories}
    pairs = [(a, b) for a in raters for b in raters if a != b]
    p_e = sum(sum(share[a][j] * share[b][j] for j in categories) for a, b in pairs) / len(pairs)
    return (p_o - p_e) / (1 - p_e)


@pytest.mark.parametrize("p_missing", [0.0, 0.2])
def test_davies_fleiss_matches_a_direct_implementation_of_its_definition(p_missing):
    rng = np.random.default_rng(4)
    codes = random_codes(rng, 60, 4, 3, p_agree=0.5, p_missing=p_missing)
    # Raters with different habits, so that Conger's P_e differs from Fleiss'.
    codes[:, 3] = np.where(codes[:, 3] >= 0, np.minimum(codes[:, 3] + 1, 2), -1)
    value = davies_fleiss_kappa(table_of(codes)).value
    assert value == pytest.approx(conger_by_definition(codes), abs=1e-12)
    if p_missing == 0:
        assert value != pytest.approx(fleiss_kappa(rater_to_counts(codes, 3)).kappa.value, abs=1e-4)


def krippendorff_by_coincidences(codes):
    """Nominal alpha from the coincidence matrix, Krippendorff (2011) step by step."""
    k = int(codes.max()) + 1
    o = np.zeros((k, k))
    for row in codes:
        values = [c for c in row if c >= 0]
        m = len(values)
        if m < 2:
            continue
        for i, c in enumerate(values):
            for j, d in enumerate(values):
                if i != j:
                    o[c, d] += 1 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    d_o = (o.sum() - np.trace(o)) / n
    d_e = (n * n - (n_c * n_c).sum()) / (n * (n - 1))
    return 1 - d_o / d_e


def test_krippendorff_matches_coincidence_matrix_on_random_data_with_missing_values():
    rng = np.random.default_rng(5)
    codes = random_codes(rng, 90, 5, 4, p_agree=0.55, p_missing=0.35)
    assert krippendorff_alpha(table_of(codes)).value == pytest.approx(krippendorff_by_coincidences(codes), abs=1e-12)


# --- standard errors and bootstrap -------------------------------------------------------------


def test_delta_se_agrees_with_bootstrap_se():
    rng = np.random.default_rng(6)
    codes = random_codes(rng, 400, 3, 3, p_agree=0.6, p_missing=0.1)
    spec_result = field_agreement(table_of(codes), n_boot=0)
    boot = field_agreement(table_of(codes), n_boot=1500, seed=1)
    for name in ("fleiss", "davies_fleiss", "krippendorff", "mean_cohen"):
        analytic = getattr(spec_result, name) if name != "fleiss" else spec_result.fleiss.kappa
        est = getattr(boot, name) if name != "fleiss" else boot.fleiss.kappa
        assert est.ci_method == "bootstrap"
        # A 95% percentile interval spans about 2 x 1.96 bootstrap SEs.
        assert (est.ci_high - est.ci_low) / (2 * 1.96) == pytest.approx(analytic.se, rel=0.15)
        assert est.ci_low < est.value < est.ci_high


def test_bootstrap_is_seeded_and_shares_resamples():
    rng = np.random.default_rng(7)
    table = table_of(random_codes(rng, 50, 3, 2))
    a = field_agreement(table, n_boot=200, seed=11)
    b = field_agreement(table, n_boot=200, seed=11)
    c = field_agreement(table, n_boot=200, seed=12)
    assert (a.krippendorff.ci_low, a.krippendorff.ci_high) == (b.krippendorff.ci_low, b.krippendorff.ci_high)
    assert (a.krippendorff.ci_low, a.krippendorff.ci_high) != (c.krippendorff.ci_low, c.krippendorff.ci_high)


def test_weighted_replicate_equals_statistic_of_the_resampled_items():
    rng = np.random.default_rng(8)
    units = _units(random_codes(rng, 40, 5, 3), 3)
    spec = _fleiss_spec("fleiss_kappa", units, units.counts)
    weights = next(_bootstrap_weights(units.weight, 3, seed=9))
    replicate = spec.f(weights @ spec.features / weights.sum(axis=1)[:, None], weights.sum(axis=1))
    for w, value in zip(weights, replicate):
        resampled = np.repeat(units.counts, w.astype(int), axis=0)
        assert value == pytest.approx(sm_fleiss_kappa(resampled), abs=1e-12)
