"""Inter-annotator agreement for nominal (and ordinal) labels, with standard errors and intervals.

Input layouts and converters are in `agreement_layouts` (long table, subject x rater,
subject x category counts). Notation: n items with at least one answer, r_i answers to item
i, r_ik of them in category k, q categories in the field's scale (every category of the
field, used or not), n' items with r_i >= 2 ("pairable").

Conventions shared by every statistic here:

- Missing answers are never a category. Observed agreement uses the pairable items; items
  with a single answer carry no agreement information but, as in Gwet (2014), still count
  for the chance-agreement proportions of Fleiss' kappa, Conger's kappa and AC1 (they are
  counted apart as `n_single`). Krippendorff's alpha and Cohen's kappa use the items their
  definitions use (pairable items; items both raters answered).
- The chance-corrected coefficients have the form kappa = (p_a - p_e) / (1 - p_e) with
  Gwet's (2014) percent agreement
      p_a = (1/n') sum_{i: r_i >= 2} sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)),
  and differ in the chance agreement p_e (see each `_..._spec`).
- Standard errors: the linearisation variance of Gwet (2008, "Computing inter-rater
  reliability and its variance in the presence of high agreement", Br. J. Math. Stat.
  Psychol. 61, 29-48) and Gwet (2014, Handbook of Inter-Rater Reliability, 4th ed., the
  chapter on statistical inference), as irrCAC computes it: with per-item values kappa*_i
  whose mean is kappa,
      var = (1 - f) / (n (n - 1)) sum_i (kappa*_i - kappa)^2,   f = 0 (infinite population),
  and the interval kappa -/+ t_{n-1} SE, its upper end capped at 1. Here kappa*_i - kappa
  is kept as `_Spec.deviations`; n is the number of items the statistic rests on.
- The bootstrap (`n_boot` = B > 0, on request) resamples items with replacement, N out of
  N, from a seeded generator, and gives percentile intervals (`ci_method` "bootstrap");
  the SE stays the analytic one. Items are grouped into their distinct answer patterns
  (`_Units`), so a resample is a vector of pattern counts and every replicate of every
  statistic is a function of weighted feature means: one pass, no loop over items.
- Degenerate data never raise and never yield a bare NaN: an undefined value is NaN with
  `Estimate.reason` saying why. The documented cases:
  * fewer than two annotators, or no item with two answers: every statistic undefined;
  * one category used throughout: chance agreement is 1, so Fleiss', Conger's and
    Cohen's kappa and Krippendorff's alpha are 0/0, undefined; percent agreement,
    Brennan-Prediger and AC1 are 1 (the raters agree perfectly);
  * perfect agreement with two or more categories used: value 1, SE 0;
  * a statistic resting on one item: the value is defined, the SE and interval are not.
  `FieldAgreement.warnings` says "interval unreliable: ..." when fewer than 30 items are
  pairable or a standard error is 0.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from refcat.analysis.agreement_layouts import (
    Codes,
    RaterTable,
    counts_to_rater,
    long_to_rater,
    rater_to_counts,
)
from refcat.errors import UsageError

log = logging.getLogger(__name__)

BOOT_CELLS = 2_000_000  # bootstrap weights held at once: replicates per chunk x resampled units
MIN_ITEMS = 30  # fewer pairable items than this: intervals are flagged unreliable
ONE_CATEGORY = "only one category used: chance agreement is 1"

Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
# What a statistic's f is evaluated on and returns: real feature means, or complex ones for
# the complex-step gradient of a chance agreement (`_gradient`).
Means = npt.NDArray[np.inexact]


@dataclass(frozen=True)
class Estimate:
    """A statistic with its SE and interval: `ci_method` "t" (analytic, t with n - 1 degrees
    of freedom) or "bootstrap" (percentile). `reason` is set whenever value, se or the
    interval is NaN, and says why."""

    value: float
    se: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_method: str = "t"
    reason: str | None = None

    def as_dict(self) -> dict[str, float | str | None]:
        """{"value", "se", "ci_low", "ci_high", "reason"} with NaN written as None (JSON null)."""
        out: dict[str, float | str | None] = {
            k: _finite_or_none(getattr(self, k)) for k in ("value", "se", "ci_low", "ci_high")
        }
        out["reason"] = self.reason
        return out


def _finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def undefined(reason: str) -> Estimate:
    return Estimate(math.nan, reason=reason)


@dataclass(frozen=True)
class CategoryKappa:
    """Fleiss' kappa for one category against all others, with the null test of FNL (1979)."""

    estimate: Estimate
    se_null: float
    z: float
    p_value: float


@dataclass(frozen=True)
class FleissResult:
    """Fleiss' kappa, its null SE, z and two-sided p, and the per-category kappas."""

    kappa: Estimate
    se_null: float
    z: float
    p_value: float
    per_category: dict[str, CategoryKappa]


@dataclass(frozen=True)
class FieldAgreement:
    """Every statistic for one question (field) of a label table."""

    fleiss: FleissResult
    davies_fleiss: Estimate  # Conger's kappa
    krippendorff: Estimate  # nominal alpha
    mean_cohen: Estimate  # mean over the annotator pairs whose Cohen's kappa is defined
    pairwise_cohen: pd.DataFrame  # rater_a, rater_b, n_items, kappa, se, ci_low, ci_high, reason
    n_items: int  # pairable items (two or more answers)
    n_single: int  # items with exactly one answer
    n_annotators: int  # annotators with at least one answer
    gwet_ac1: Estimate
    brennan_prediger: Estimate
    percent_agreement: Estimate
    krippendorff_ordinal: Estimate | None  # None for a nominal-only field
    warnings: tuple[str, ...] = ()  # "interval unreliable: ..."
    positives: dict[str, int] = field(default_factory=dict)  # annotator -> answers equal to `positive`
    positive: str | None = None


# --- items grouped by answer pattern ------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """The distinct answer rows of a subject x rater table (items with at least one answer)
    and how many items have each: every statistic is a weighted mean over these units."""

    codes: Codes  # (P, m), -1 missing
    weight: Floats  # (P,) items per unit
    n_categories: int

    @functools.cached_property
    def counts(self) -> Codes:
        return rater_to_counts(self.codes, self.n_categories)

    @functools.cached_property
    def answers(self) -> Codes:
        """r_i, the number of answers of each unit."""
        answers: Codes = np.einsum("ij->i", self.counts)
        return answers


def _units(codes: Codes, n_categories: int) -> _Units:
    """Groups the items with at least one answer by their answer row. Rows are told apart by a
    mixed-radix integer key (digit c + 1 per rater), renumbered densely whenever the next
    digit would overflow int64."""
    answered = codes[(codes >= 0).any(axis=1)]
    radix = n_categories + 1
    key = np.zeros(len(answered), dtype=np.int64)
    for column in answered.T:
        if key.size and key.max() > np.iinfo(np.int64).max // radix - radix:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
        key = key * radix + column + 1
    _, first, weight = np.unique(key, return_index=True, return_counts=True)
    return _Units(answered[first], weight.astype(float), n_categories)


# --- the estimation engine -------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """A statistic on the units `rows`: f maps (B, d) weighted feature means and the (B,)
    total weights to (B,) values; `deviations` are kappa*_i - kappa per row (None when the
    value is undefined); `floor` is the lowest value the statistic can take."""

    name: str
    rows: Index
    features: Floats  # (len(rows), d)
    f: Callable[[Means, Floats], Means]
    deviations: Floats | None
    undefined_reason: str
    floor: float = -math.inf


@dataclass(frozen=True)
class _MeanOf:
    """The mean of other statistics (mean Cohen's kappa over annotator pairs) on the units
    `rows`: its per-item values and bootstrap replicates are the means of its parts'."""

    name: str
    parts: tuple[str, ...]
    rows: Index
    undefined_reason: str


def _weighted_mean(features: Floats, weight: Floats) -> Floats:
    mean: Floats = weight @ features / weight.sum()
    return mean


def _bootstrap_weights(multiplicity: Floats, n_boot: int, seed: int) -> Iterator[Floats]:
    """Yields (b, P) float arrays: for each replicate, how many of the N = sum(multiplicity)
    items drawn with replacement fall in each unit; b replicates at a time, n_boot in all,
    reproducible from `seed`. Few units: multinomial counts; else items drawn one by one."""
    rng = np.random.default_rng(seed)
    n_items, n_units = int(multiplicity.sum()), len(multiplicity)
    compressed = 4 * n_units < n_items
    per_chunk = max(1, BOOT_CELLS // max(n_units if compressed else n_items, 1))
    unit_of = np.repeat(np.arange(n_units), multiplicity.astype(np.intp))
    done = 0
    while done < n_boot:
        b = min(per_chunk, n_boot - done)
        if compressed:
            yield rng.multinomial(n_items, multiplicity / n_items, size=b).astype(float)
        else:
            draws = unit_of[rng.integers(0, n_items, size=(b, n_items))] + (np.arange(b) * n_units)[:, None]
            yield np.bincount(draws.ravel(), minlength=b * n_units).reshape(b, n_units).astype(float)
        done += b


def _estimate(
    units: _Units,
    specs: Sequence[_Spec],
    n_boot: int,
    seed: int,
    confidence: float,
    means: Sequence[_MeanOf] = (),
) -> dict[str, Estimate]:
    """Value, SE and interval of each spec and each mean of specs (see the module docstring);
    every bootstrap replicate uses the same resampled items for all of them."""
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1, got {confidence}")
    if n_boot < 0:
        raise UsageError(f"the number of bootstrap resamples must be >= 0, got {n_boot}")
    values: dict[str, float] = {}
    reasons: dict[str, str] = {}
    support: dict[str, Floats] = {}  # the weights of the items a statistic rests on
    per_item: dict[str, Floats] = {}  # kappa*_i - kappa over those items
    floors: dict[str, float] = {}
    for spec in specs:
        w = units.weight[spec.rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(spec.f(_weighted_mean(spec.features, w)[None, :], w.sum(keepdims=True))[0])
        floors[spec.name] = spec.floor
        if not math.isfinite(value) or spec.deviations is None:
            reasons[spec.name] = spec.undefined_reason
            continue
        values[spec.name], support[spec.name], per_item[spec.name] = value, w, spec.deviations
    by_name = {s.name: s for s in specs}
    for m in means:
        if not m.parts or any(p in reasons for p in m.parts):
            reasons[m.name] = m.undefined_reason
            continue
        values[m.name] = float(np.mean([values[p] for p in m.parts]))
        support[m.name] = units.weight[m.rows]
        per_item[m.name] = np.mean([_rescaled(units, by_name[p], per_item[p], m.rows) for p in m.parts], axis=0)
        floors[m.name] = -math.inf

    replicates = _replicates(units, [s for s in specs if s.name in values], n_boot, seed)
    for m in means:
        if m.name in values and replicates:
            replicates[m.name] = np.mean([replicates[p] for p in m.parts], axis=0)

    why = {s.name: s.undefined_reason for s in specs} | {m.name: m.undefined_reason for m in means}
    out: dict[str, Estimate] = {}
    for name in why:
        if name in reasons:
            out[name] = undefined(reasons[name])
            continue
        n = float(support[name].sum())
        if n < 2:
            out[name] = Estimate(values[name], reason="one pairable item: no standard error or interval")
            continue
        se = float(np.sqrt(support[name] @ (per_item[name] ** 2) / (n * (n - 1))))
        half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * se
        value, floor = values[name], floors[name]
        analytic = Estimate(value, se, max(value - half, floor), min(value + half, 1.0), "t")
        if name not in replicates:
            out[name] = analytic
            continue
        finite = replicates[name][np.isfinite(replicates[name])]
        if len(finite) < 0.9 * n_boot:
            reason = f"{n_boot - len(finite)} of {n_boot} bootstrap resamples undefined ({why[name]}): t interval kept"
            out[name] = Estimate(value, se, analytic.ci_low, analytic.ci_high, "t", reason)
            continue
        tail = (1 - confidence) / 2
        low, high = np.quantile(finite, [tail, 1 - tail])
        out[name] = Estimate(value, se, float(low), float(high), "bootstrap")
    return out


def _rescaled(units: _Units, spec: _Spec, deviations: Floats, rows: Index) -> Floats:
    """A statistic's per-item deviations on its own items, as deviations on the units `rows`
    (a superset): linearising over more items scales them by n(rows) / n(own) and puts 0
    on the items it does not use."""
    full = np.zeros(len(units.weight))
    full[spec.rows] = deviations * (units.weight[rows].sum() / units.weight[spec.rows].sum())
    rescaled: Floats = full[rows]
    return rescaled


def _replicates(units: _Units, specs: Sequence[_Spec], n_boot: int, seed: int) -> dict[str, Means]:
    """The bootstrap replicates of each spec, (n_boot,) each, from one stream of resamples."""
    if not n_boot or not specs or units.weight.sum() < 2:
        return {}
    chunks: dict[str, list[Means]] = {s.name: [] for s in specs}
    for weights in _bootstrap_weights(units.weight, n_boot, seed):
        for spec in specs:
            w = weights[:, spec.rows]
            n = w.sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                chunks[spec.name].append(spec.f(w @ spec.features / n[:, None], n))
    return {name: np.concatenate(c) for name, c in chunks.items()}


# --- the chance-corrected coefficients (Gwet 2014's general form) ----------------------------


def _kappa(p_a: Means, p_e: Means) -> Means:
    kappa: Means = (p_a - p_e) / (1 - p_e)
    return kappa


def _gradient(chance: Callable[[Means], Means], at: Floats) -> Floats:
    """The gradient of a chance agreement p_e(x) at x by complex step (Squire & Trapp 1998),
    exact to rounding for these rational functions."""
    h = 1e-30
    probes = at[None, :].astype(complex) + 1j * h * np.eye(at.size)
    grad: Floats = np.imag(chance(probes)) / h
    return grad


def _pair_agreement(counts: Codes) -> Floats:
    """Per unit sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)); 0 for a unit with one answer."""
    r = np.einsum("ij->i", counts).astype(float)
    pairs = r * (r - 1)
    agreement: Floats = np.einsum("ij,ij->i", counts, counts - 1) / np.where(pairs > 0, pairs, 1)
    return agreement


def _chance_corrected(
    name: str,
    units: _Units,
    rows: Index,
    counts: Codes,
    x: Floats,
    chance: Callable[[Means], Means],
    reason: str,
    floor: float = -math.inf,
) -> _Spec:
    """kappa = (p_a - p_e) / (1 - p_e) on the units `rows`, whose category counts are `counts`:
    p_a Gwet's percent agreement over the rows with two or more answers, p_e = chance(mean x)
    with x per-row features (a ratio of means where chance divides them).

    Per-item values (Gwet 2008, eqs. for the generalised pi and AC1; Gwet 2014):
        kappa*_i - kappa = (n / n') (p_a|i - p_e 1[r_i >= 2]) / (1 - p_e) - kappa
                           - (1 - kappa) / (1 - p_e) * grad p_e . (x_i - mean x),
    p_a|i the item's pair agreement; the last term is Gwet's -2 (1 - kappa) (p_e|i - p_e) / (1 - p_e)
    (the linearisation of p_e, taken here by complex step)."""
    pairable = (np.einsum("ij->i", counts) >= 2).astype(float)
    p_i = _pair_agreement(counts)
    features = np.column_stack([p_i * pairable, pairable, x])

    def f(m: Means, n: Floats) -> Means:
        return _kappa(m[:, 0] / m[:, 1], chance(m[:, 2:]))

    w = units.weight[rows]
    mean = _weighted_mean(features, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_e = float(chance(mean[None, 2:])[0])
        kappa = float(_kappa(mean[:1] / mean[1:2], np.array([p_e]))[0])
    deviations = None
    if math.isfinite(kappa):
        lin = (x - mean[2:]) @ _gradient(chance, mean[2:]) if x.shape[1] else np.zeros(len(rows))
        deviations = (p_i - p_e) * pairable / (mean[1] * (1 - p_e)) - kappa - (1 - kappa) / (1 - p_e) * lin
    return _Spec(name, rows, features, f, deviations, reason, floor)


def _shares(counts: Codes) -> Floats:
    """r_ik / r_i per unit: the per-item category proportions of Gwet (2014)."""
    shares: Floats = counts / np.einsum("ij->i", counts)[:, None]
    return shares


def _sum_of_squares(pi: Means) -> Means:
    chance: Means = (pi * pi).sum(axis=1)
    return chance


def _percent_agreement_spec(units: _Units) -> _Spec:
    """Percent agreement p_a (Gwet 2014, the multiple-rater p_a with missing ratings): the mean
    over pairable items of the share of agreeing answer pairs; p_e = 0 in the general form."""
    rows = np.arange(len(units.weight))
    return _chance_corrected(
        "percent_agreement",
        units,
        rows,
        units.counts,
        np.zeros((len(rows), 0)),
        lambda x: np.zeros(len(x)),
        "no item has two or more answers",
        floor=0.0,
    )


def _brennan_prediger_spec(units: _Units) -> _Spec:
    """Brennan & Prediger (1981, Educ. Psychol. Meas. 41, 687-699): p_e = 1/q, q the number of
    categories of the scale; p_a as Gwet (2014) with missing answers."""
    q = units.n_categories
    rows = np.arange(len(units.weight))
    return _chance_corrected(
        "brennan_prediger",
        units,
        rows,
        units.counts,
        np.zeros((len(rows), 0)),
        lambda x: np.full(len(x), 1 / q if q > 1 else math.nan),
        "one category in the scale: chance agreement is 1",
    )


def _ac1_spec(units: _Units) -> _Spec:
    """Gwet's AC1 (Gwet 2008, eq. 14 for two raters and its multiple-rater form; Gwet 2014):
    p_e = sum_k pi_k (1 - pi_k) / (q - 1), pi_k = (1/n) sum_i r_ik / r_i over the n items
    with at least one answer, q the number of categories of the scale."""
    q = units.n_categories
    rows = np.arange(len(units.weight))

    def chance(pi: Means) -> Means:
        p_e: Means = (pi * (1 - pi)).sum(axis=1) / (q - 1) if q > 1 else np.full(len(pi), math.nan)
        return p_e

    return _chance_corrected(
        "gwet_ac1", units, rows, units.counts, _shares(units.counts), chance, "one category in the scale"
    )


def _fleiss_spec(name: str, units: _Units, counts: Codes, reason: str = ONE_CATEGORY) -> _Spec:
    """Fleiss' (1971, Psychol. Bull. 76, 378-382) kappa with missing answers as Gwet (2014)
    defines it (irrCAC's `fleiss`): p_a as above, p_e = sum_k pi_k^2 with
    pi_k = (1/n) sum_i r_ik / r_i over the n items with at least one answer. With r_i = m for
    every item this is Fleiss' formula. `counts` are the units' category counts (a collapsed
    table for the per-category kappas)."""
    rows = np.arange(len(units.weight))
    return _chance_corrected(name, units, rows, counts, _shares(counts), _sum_of_squares, reason)


def _category_specs(units: _Units, categories: Sequence[str]) -> list[_Spec]:
    """Per-category kappa (Fleiss 1971): Fleiss' kappa of category j against all others, here
    `_fleiss_spec` on the table collapsed to (r_ij, r_i - r_ij). With two categories both
    equal the overall kappa, so no spec is built (see field_agreement)."""
    if len(categories) == 2:
        return []
    counts = units.counts
    n_i = np.einsum("ij->i", counts)[:, None]
    return [
        _fleiss_spec(
            f"category:{name}",
            units,
            np.hstack([counts[:, j : j + 1], n_i - counts[:, j : j + 1]]),
            f"category {name!r} is given by no answer or by every answer",
        )
        for j, name in enumerate(categories)
    ]


def _fleiss_null(units: _Units) -> tuple[float, Floats]:
    """SE of Fleiss' kappa and of each category kappa under no agreement, Fleiss, Nee &
    Landis (1979, Psychol. Bull. 86, 974-977):
        SE_0(kappa)   = sqrt(2 / (N m (m-1))) sqrt((sum p_j q_j)^2 - sum p_j q_j (q_j - p_j)) / sum p_j q_j
        SE_0(kappa_j) = sqrt(2 / (N m (m-1))),
    p_j the proportions of Fleiss' kappa (pi_k above). With unequal r_i, 1 / (N m (m-1)) is
    mean_i(1 / (r_i (r_i-1))) / N over the N pairable items, equal to it when every item has m
    answers."""
    r = units.answers.astype(float)
    pairable = r >= 2
    w = units.weight[pairable]
    scale = (w @ (1 / (r[pairable] * (r[pairable] - 1)))) / w.sum() ** 2
    p = _weighted_mean(_shares(units.counts), units.weight)
    pq = p * (1 - p)
    s = pq.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        se = float(np.sqrt(2 * scale) * np.sqrt(s * s - (pq * (1 - 2 * p)).sum()) / s)
    return se, np.full(len(p), np.sqrt(2 * scale))


def _rater_features(codes: Codes, n_categories: int) -> Floats:
    """Per unit: one-hot answers, rater-major (m * q columns), then answered-or-not (m)."""
    n_units, m = codes.shape
    features = np.zeros((n_units, m * n_categories + m))
    onehot = features[:, : m * n_categories].reshape(n_units, m, n_categories)  # a view
    rows, cols = np.nonzero(codes >= 0)
    onehot[rows, cols, codes[rows, cols]] = 1.0
    features[:, m * n_categories :] = codes >= 0
    return features


def _conger_chance(m: int, k: int) -> Callable[[Means], Means]:
    """Conger's (1980) chance agreement from (B, m*k + m) means of `_rater_features`:
    p_gk = share of rater g's answers in category k, and
        p_e = sum_k [(sum_g p_gk)^2 - sum_g p_gk^2] / (m (m-1)),
    the mean over ordered rater pairs g != h of sum_k p_gk p_hk."""

    def chance(x: Means) -> Means:
        p = x[:, : m * k].reshape(-1, m, k) / x[:, m * k :][:, :, None]
        total = p.sum(axis=1)
        p_e: Means = ((total * total).sum(axis=1) - (p * p).sum(axis=(1, 2))) / (m * (m - 1))
        return p_e

    return chance


def _davies_fleiss_spec(units: _Units) -> _Spec:
    """Conger's (1980, Psychol. Bull. 88, 322-328) kappa, equal to Davies & Fleiss' (1982,
    Biometrics 38, 1047-1051) when every rater labels every item, with missing answers as
    Gwet (2014) defines it (irrCAC's `conger`): p_a as above, p_e as `_conger_chance` with
    p_gk over all the items rater g answered (single-answer items included)."""
    m, k = units.codes.shape[1], units.n_categories
    rows = np.arange(len(units.weight))
    x = _rater_features(units.codes, k)
    return _chance_corrected("davies_fleiss_kappa", units, rows, units.counts, x, _conger_chance(m, k), ONE_CATEGORY)


def _cohen_spec(name: str, units: _Units, a: int, b: int) -> _Spec:
    """Cohen's (1960, Educ. Psychol. Meas. 20, 37-46) kappa of raters a and b over the items
    both answered: p_o the share of equal labels, p_e = sum_k p_ak p_bk; it is Conger's kappa
    of the two, so its per-item values are Gwet's for Conger. Its variance is Fleiss, Cohen &
    Everitt's (1969) large-sample one times n / (n - 1)."""
    codes = units.codes[:, [a, b]]
    rows = np.flatnonzero((codes >= 0).all(axis=1))
    k = units.n_categories
    both = codes[rows]
    return _chance_corrected(
        name,
        units,
        rows,
        rater_to_counts(both, k),
        _rater_features(both, k),
        _conger_chance(2, k),
        "the two annotators used one and the same category throughout",
    )


# --- Krippendorff's alpha ---------------------------------------------------------------------


def _ordinal_distance(n_c: Means) -> Means:
    """Krippendorff's (2011) ordinal metric from (B, k) category frequencies, categories in scale
    order: delta^2_ck = (sum_{g=c}^{k} n_g - (n_c + n_k) / 2)^2 = (mid_k - mid_c)^2 with
    mid_c = sum_{g<=c} n_g - n_c / 2. Returns (B, k, k)."""
    mid = np.cumsum(n_c, axis=1) - n_c / 2
    gap = mid[:, None, :] - mid[:, :, None]
    distance: Means = gap * gap
    return distance


def _krippendorff_spec(units: _Units, ordinal: bool = False) -> _Spec:
    """Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability";
    Hayes & Krippendorff 2007), nominal or ordinal (categories in scale order), over the
    pairable items u with m_u values:
        o_ck = sum_u n_uc n_uk / (m_u - 1)  (coincidences),  n = sum_u m_u,  n_c = sum_u n_uc,
        alpha = 1 - (n - 1) sum_ck o_ck delta^2_ck / sum_ck n_c n_k delta^2_ck,
    delta^2 = 1 - [c = k] (nominal) or `_ordinal_distance` (ordinal).

    Per-item values: Gwet's (2014) form of alpha as a weighted agreement coefficient, with
    weights w_ck = 1 - delta^2_ck / max delta^2 (held fixed), as irrCAC's `krippendorff`:
    with rbar the mean m_u, p_a' = mean_u sum_k n_uk (n*_uk - 1) / (rbar (m_u - 1)), n*_uk =
    sum_l w_kl n_ul, p_a = (1 - 1/n) p_a' + 1/n, pi_k = mean_u n_uk / rbar, p_e = pi' w pi,
    alpha' = (p_a' - p_e) / (1 - p_e),
        p_a|u = sum_k n_uk (n*_uk - 1) / (rbar (m_u - 1)) - p_a (m_u - rbar) / rbar,
        p_e|u = sum_k n_uk pibar_k / rbar - p_e (m_u - rbar) / rbar,  pibar = (w + w') pi / 2,
        alpha*_u = (p_a|u - p_e) / (1 - p_e) - 2 (1 - alpha') (p_e|u - p_e) / (1 - p_e),
    and the variance is over sum_u (alpha*_u - alpha')^2, as the module docstring says."""
    rows = np.flatnonzero(units.answers >= 2)
    counts = units.counts[rows].astype(float)
    k = units.n_categories
    m_u = counts.sum(axis=1)
    coincidences = (counts[:, :, None] * counts[:, None, :]).reshape(len(rows), k * k) / (m_u - 1)[:, None]
    features = np.column_stack([coincidences, counts, m_u])

    def distance(n_c: Means) -> Means:
        if ordinal:
            return _ordinal_distance(n_c)
        nominal: Means = np.broadcast_to(1 - np.eye(k), (len(n_c), k, k))
        return nominal

    def f(mm: Means, n: Floats) -> Means:
        delta = distance(mm[:, k * k : k * k + k])
        observed = (mm[:, : k * k].reshape(-1, k, k) * delta).sum(axis=(1, 2))
        n_c = mm[:, k * k : k * k + k]
        expected = np.einsum("bc,bck,bk->b", n_c, delta, n_c)
        values = n * mm[:, -1]
        alpha: Means = 1 - (values - 1) * observed / (n * expected)
        return alpha

    name = "krippendorff_alpha_ordinal" if ordinal else "krippendorff_alpha"
    reason = ONE_CATEGORY  # expected disagreement 0
    w = units.weight[rows]
    mean = _weighted_mean(features, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = float(f(mean[None, :], w.sum(keepdims=True))[0])
    if not math.isfinite(alpha):
        return _Spec(name, rows, features, f, None, reason)
    delta = distance(mean[None, k * k : k * k + k])[0]
    weights = 1 - delta / delta.max()
    r_bar = mean[-1]
    starred = counts @ weights.T
    agree_u = (counts * (starred - 1)).sum(axis=1) / (r_bar * (m_u - 1))
    p_a_prime = float(w @ agree_u / w.sum())
    p_a = p_a_prime + (1 - p_a_prime) / (w.sum() * r_bar)
    pi = mean[k * k : k * k + k] / r_bar
    p_e = float(pi @ weights @ pi)
    alpha_prime = (p_a_prime - p_e) / (1 - p_e)
    p_a_u = agree_u - p_a * (m_u - r_bar) / r_bar
    p_e_u = counts @ ((weights + weights.T) @ pi / 2) / r_bar - p_e * (m_u - r_bar) / r_bar
    starred_alpha = (p_a_u - p_e) / (1 - p_e) - 2 * (1 - alpha_prime) * (p_e_u - p_e) / (1 - p_e)
    return _Spec(name, rows, features, f, starred_alpha - alpha_prime, reason)


# --- public statistics ------------------------------------------------------------------


def cohen_kappa(a: Sequence[object], b: Sequence[object]) -> float:
    """Cohen's (1960) kappa between two equal-length label sequences.

    kappa = (p_o - p_e) / (1 - p_e), p_o the proportion of positions with equal labels,
    p_e = sum_j p_aj p_bj from each sequence's own label proportions.
    Positions where either label is missing (None, NaN, "") are left out. Returns NaN, with
    a logged reason, when kappa is undefined: no position labelled by both, or p_e = 1
    (both sequences use one and the same label throughout). Unequal lengths raise UsageError.
    """
    est = cohen_kappa_estimate(a, b)
    if est.reason and math.isnan(est.value):
        log.warning("cohen_kappa undefined: %s", est.reason)
    return est.value


def cohen_kappa_estimate(
    a: Sequence[object], b: Sequence[object], n_boot: int = 0, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """`cohen_kappa` with its SE (`_cohen_spec`) and interval."""
    if len(a) != len(b):
        raise UsageError(f"cohen_kappa needs equal-length sequences, got {len(a)} and {len(b)}")
    n = len(a)
    long = pd.DataFrame(
        {"item": np.tile(np.arange(n), 2), "annotator": np.repeat([0, 1], n), "label": list(a) + list(b)}
    )
    table = long_to_rater(long, source="cohen_kappa input")
    if table.codes.shape[1] < 2 or not ((table.codes >= 0).all(axis=1)).any():
        return undefined("no position labelled in both sequences")
    units = _units(table.codes, table.n_categories)
    return _estimate(units, [_cohen_spec("cohen_kappa", units, 0, 1)], n_boot, seed, confidence)["cohen_kappa"]


@dataclass(frozen=True)
class _Prepared:
    units: _Units  # items with at least one answer x annotators with at least one answer
    categories: tuple[str, ...]
    n_items: int  # pairable items
    n_single: int
    reason: str | None  # why nothing is defined, or None


def _prepare(table: RaterTable) -> _Prepared:
    codes = table.codes[:, (table.codes >= 0).any(axis=0)]
    units = _units(codes, table.n_categories)
    pairable = units.answers >= 2
    n_items = int(units.weight[pairable].sum())
    reason = None
    if codes.shape[1] < 2:
        reason = "fewer than two annotators"
    elif n_items == 0:
        reason = "no item has two or more answers"
    return _Prepared(units, table.categories, n_items, int(units.weight[units.answers == 1].sum()), reason)


def _cohen_pairs(prep: _Prepared, raters: pd.Index) -> tuple[list[tuple[str, str, int]], list[_Spec | str]]:
    """Each pair of annotators who answered a pairable item, with their number of common
    items, and its spec or why it has none."""
    rows: list[tuple[str, str, int]] = []
    specs: list[_Spec | str] = []
    units = prep.units
    codes = units.codes
    active = np.flatnonzero((codes[units.answers >= 2] >= 0).any(axis=0))
    for i, a in enumerate(active):
        for b in active[i + 1 :]:
            both = (codes[:, a] >= 0) & (codes[:, b] >= 0)
            rows.append((str(raters[a]), str(raters[b]), int(units.weight[both].sum())))
            if not both.any():
                specs.append("no item answered by both annotators")
                continue
            specs.append(_cohen_spec(f"cohen:{a}:{b}", units, int(a), int(b)))
    return rows, specs


def field_agreement(
    table: RaterTable,
    n_boot: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
    positive: str | None = None,
    ordinal: bool = False,
) -> FieldAgreement:
    """Every statistic for one question: Fleiss' kappa (overall and per category, with the
    FNL null test), Conger's (Davies & Fleiss') kappa, Gwet's AC1, Brennan-Prediger, percent
    agreement, Krippendorff's nominal alpha (and ordinal alpha when `ordinal`: the table's
    category order is the scale's), pairwise Cohen's kappas and their mean.

    Intervals are analytic (t) unless `n_boot` > 0 asks for bootstrap percentile intervals
    (the same resamples for every statistic). `positive` names the category counted per
    annotator in `FieldAgreement.positives`."""
    positives: dict[str, int] = {}
    if positive is not None:
        if positive not in table.categories:
            raise UsageError(f"positive label {positive!r} is not a category", expected=", ".join(table.categories))
        j = table.categories.index(positive)
        positives = {str(r): int(n) for r, n in zip(table.raters, (table.codes == j).sum(axis=0))}
    prep = _prepare(table)
    result = functools.partial(
        FieldAgreement,
        n_items=prep.n_items,
        n_single=prep.n_single,
        n_annotators=prep.units.codes.shape[1],
        positives=positives,
        positive=positive,
    )
    if prep.reason is not None:
        null = undefined(prep.reason)
        per_category = {c: CategoryKappa(null, math.nan, math.nan, math.nan) for c in table.categories}
        return result(
            FleissResult(null, math.nan, math.nan, math.nan, per_category),
            null,
            null,
            null,
            _pairwise_frame([], []),
            gwet_ac1=null,
            brennan_prediger=null,
            percent_agreement=null,
            krippendorff_ordinal=null if ordinal else None,
        )

    units = prep.units
    pair_rows, pair_specs = _cohen_pairs(prep, table.raters[(table.codes >= 0).any(axis=0)])
    cohen = [s for s in pair_specs if isinstance(s, _Spec)]
    specs = [
        _fleiss_spec("fleiss_kappa", units, units.counts),
        *_category_specs(units, prep.categories),
        _davies_fleiss_spec(units),
        _krippendorff_spec(units),
        *([_krippendorff_spec(units, ordinal=True)] if ordinal else []),
        _ac1_spec(units),
        _brennan_prediger_spec(units),
        _percent_agreement_spec(units),
        *cohen,
    ]
    mean = _MeanOf(
        "mean_cohen_kappa",
        tuple(s.name for s in cohen if s.deviations is not None),
        np.flatnonzero(units.answers >= 2),
        ONE_CATEGORY if (units.counts.sum(axis=0) > 0).sum() < 2 else "no annotator pair has a defined Cohen's kappa",
    )
    est = _estimate(units, specs, n_boot, seed, confidence, means=[mean])
    pair_estimates = [est[s.name] if isinstance(s, _Spec) else undefined(s) for s in pair_specs]

    se0, se0_cat = _fleiss_null(units)
    per_category = {}
    for j, c in enumerate(prep.categories):
        e = est[f"category:{c}" if len(prep.categories) > 2 else "fleiss_kappa"]
        z = e.value / se0_cat[j]
        per_category[c] = CategoryKappa(e, float(se0_cat[j]), z, _two_sided(z))
    kappa = est["fleiss_kappa"]
    z = kappa.value / se0
    fleiss = FleissResult(kappa, se0, z, _two_sided(z), per_category)
    return result(
        fleiss,
        est["davies_fleiss_kappa"],
        est["krippendorff_alpha"],
        est["mean_cohen_kappa"],
        _pairwise_frame(pair_rows, pair_estimates),
        gwet_ac1=est["gwet_ac1"],
        brennan_prediger=est["brennan_prediger"],
        percent_agreement=est["percent_agreement"],
        krippendorff_ordinal=est["krippendorff_alpha_ordinal"] if ordinal else None,
        warnings=_warnings(prep.n_items, est),
    )


def _warnings(n_items: int, estimates: dict[str, Estimate]) -> tuple[str, ...]:
    """ "interval unreliable: ..." when fewer than MIN_ITEMS items are pairable or a defined SE is 0
    (pairwise Cohen's kappas, each on its own items, are not looked at)."""
    out = []
    if n_items < MIN_ITEMS:
        out.append(f"interval unreliable: {n_items} items with two or more answers (fewer than {MIN_ITEMS})")
    zero = [_report_name(name) for name, e in estimates.items() if not name.startswith("cohen:") and e.se < 1e-12]
    if zero:
        out.append(f"interval unreliable: standard error 0 for {', '.join(zero)}")
    return tuple(out)


def _report_name(name: str) -> str:
    """A statistic's name as the reports spell it: category:x -> fleiss_kappa[x]."""
    return f"fleiss_kappa[{name.removeprefix('category:')}]" if name.startswith("category:") else name


def _two_sided(z: float) -> float:
    return float(2 * norm.sf(abs(z))) if math.isfinite(z) else math.nan


def _pairwise_frame(rows: list[tuple[str, str, int]], estimates: list[Estimate]) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, b, n, e.value, e.se, e.ci_low, e.ci_high, e.reason) for (a, b, n), e in zip(rows, estimates)],
        columns=["rater_a", "rater_b", "n_items", "kappa", "se", "ci_low", "ci_high", "reason"],
    )


def _anonymous(counts: npt.ArrayLike, categories: Sequence[str] | None) -> RaterTable:
    count_array = np.asarray(counts, dtype=np.int64)
    codes = counts_to_rater(count_array)
    names = tuple(categories) if categories is not None else tuple(str(j) for j in range(count_array.shape[1]))
    return RaterTable(codes, pd.RangeIndex(len(count_array)), pd.RangeIndex(codes.shape[1]), names)


def _single(table: RaterTable, build: Callable[[_Units], _Spec], n_boot: int, seed: int, confidence: float) -> Estimate:
    prep = _prepare(table)
    if prep.reason is not None:
        return undefined(prep.reason)
    spec = build(prep.units)
    return _estimate(prep.units, [spec], n_boot, seed, confidence)[spec.name]


def fleiss_kappa(
    counts: npt.ArrayLike,
    categories: Sequence[str] | None = None,
    n_boot: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
) -> FleissResult:
    """Fleiss' kappa, null test and per-category kappas from a subject x category count table."""
    return field_agreement(_anonymous(counts, categories), n_boot, seed, confidence).fleiss


def krippendorff_alpha(
    table: RaterTable | npt.ArrayLike, n_boot: int = 0, seed: int = 0, confidence: float = 0.95, ordinal: bool = False
) -> Estimate:
    """Krippendorff's alpha (nominal, or ordinal in the category order) from a `RaterTable` or
    a subject x category count table."""
    if not isinstance(table, RaterTable):
        table = _anonymous(table, None)
    return _single(table, lambda u: _krippendorff_spec(u, ordinal), n_boot, seed, confidence)


def davies_fleiss_kappa(table: RaterTable, n_boot: int = 0, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Conger's (1980) kappa, i.e. Davies & Fleiss' (1982), from a `RaterTable`."""
    return _single(table, _davies_fleiss_spec, n_boot, seed, confidence)
