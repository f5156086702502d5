"""Inter-annotator agreement for nominal labels, with standard errors and confidence intervals.

Input layouts and converters are in `agreement_layouts` (long table, subject x rater,
subject x category counts). Conventions shared by every statistic here:

- Missing answers are never a category. Statistics use the *pairable* items, those with
  at least two answers; items with one answer carry no agreement information and are
  counted apart (`n_single`).
- Every statistic is a smooth function of item means of per-item features, which gives
  the standard error by the delta method (linearisation): with the per-item influence
  values IF_i = grad f(mean) . (x_i - mean), SE = sqrt(sum_i IF_i^2) / N. For Cohen's
  kappa this is the large-sample variance of Fleiss, Cohen & Everitt (1969); for the
  multi-rater coefficients it is the linearisation Gwet (2008, "Variance estimation of
  nominal-scale inter-rater reliability with random selection of raters") uses. The
  gradient is taken by complex-step differentiation, exact to rounding for these
  rational functions.
- The bootstrap resamples items (with replacement, N out of N) from a seeded generator.
  A resample is a vector of item weights, so each replicate is a weighted mean of the
  features: no Python loop over items. `n_boot = 0` gives analytic (Wald) intervals only.
- Degenerate data never raise and never yield a bare NaN: an undefined value is NaN with
  `Estimate.reason` saying why. The documented cases:
  * fewer than two annotators, or no item with two answers: every statistic undefined;
  * one category used throughout: chance agreement is 1, kappa/alpha are 0/0, undefined
    (the raters agree perfectly, but the data cannot tell agreement from chance);
  * perfect agreement with two or more categories used: value 1, SE 0;
  * one pairable item: the value is defined, the SE and CI are not.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from refcat.analysis.agreement_layouts import (
    Codes,
    RaterTable,
    counts_to_rater,
    long_to_rater,
    rater_to_counts,
)
from refcat.errors import UsageError

log = logging.getLogger(__name__)

BOOT_CELLS = 2_000_000  # bootstrap weights held at once: replicates per chunk x items

Floats = npt.NDArray[np.float64]
# What a statistic's f is evaluated on and returns: real item means, or complex ones for the
# complex-step gradient (`_influence`).
Means = npt.NDArray[np.inexact]
_Number = TypeVar("_Number", np.intp, np.float64)
_Inexact = TypeVar("_Inexact", bound=np.inexact)


@dataclass(frozen=True)
class Estimate:
    """A statistic with its delta-method SE and a CI (bootstrap percentile or Wald).

    `reason` is set whenever value, se or the CI is NaN, and says why.
    """

    value: float
    se: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_method: str = "wald"
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
    davies_fleiss: Estimate
    krippendorff: Estimate
    mean_cohen: Estimate
    pairwise_cohen: pd.DataFrame  # rater_a, rater_b, n_items, kappa, se, ci_low, ci_high, reason
    n_items: int  # pairable items (two or more answers)
    n_single: int  # items with exactly one answer, left out
    n_annotators: int  # annotators with at least one answer
    gwet_ac1: Estimate
    brennan_prediger: Estimate
    percent_agreement: Estimate
    krippendorff_ordinal: Estimate | None  # None for a nominal-only field
    warnings: tuple[str, ...] = ()  # "interval unreliable: ..." and the like
    positives: dict[str, int] = field(default_factory=dict)  # annotator -> answers equal to `positive`
    positive: str | None = None


# --- the estimation engine -------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """A statistic f(means of per-item features); f maps (B, d) means to (B,) values."""

    name: str
    features: Floats  # (N, d), one row per pairable item
    f: Callable[[Means], Means]
    undefined_reason: str  # why the value is NaN when f's denominator vanishes


@dataclass(frozen=True)
class _MeanOf:
    """The mean of other statistics (mean Cohen's kappa over annotator pairs): its influence
    values and bootstrap replicates are the means of its parts', so no features are copied."""

    name: str
    parts: tuple[str, ...]
    undefined_reason: str


def _influence(spec: _Spec, mean: Floats) -> Floats:
    """Per-item influence values IF_i = grad f(mean) . (x_i - mean), the gradient by complex
    step (Squire & Trapp 1998), exact to rounding for rational f."""
    h = 1e-30
    probes = mean[None, :].astype(complex) + 1j * h * np.eye(mean.size)
    grad = np.imag(spec.f(probes)) / h
    values: Floats = np.einsum("ij,j->i", spec.features, grad) - mean @ grad
    return values


def _mean_of(parts: Sequence[npt.NDArray[_Inexact]]) -> npt.NDArray[_Inexact]:
    """The element-wise mean of equal-shape arrays."""
    mean: npt.NDArray[_Inexact] = np.mean(np.stack(parts), axis=0)
    return mean


def _bootstrap_weights(n_items: int, n_boot: int, seed: int) -> Iterator[Floats]:
    """Yields (b, N) float arrays of resampling counts, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, BOOT_CELLS // max(n_items, 1))
    done = 0
    while done < n_boot:
        b = min(per_chunk, n_boot - done)
        draws = rng.integers(0, n_items, size=(b, n_items)) + (np.arange(b) * n_items)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n_items).reshape(b, n_items).astype(float)
        done += b


def _estimate(
    specs: Sequence[_Spec], n_boot: int, seed: int, confidence: float, means: Sequence[_MeanOf] = ()
) -> dict[str, Estimate]:
    """Value, delta SE and CI of each spec and each mean of specs; every bootstrap replicate
    uses the same item weights for all of them. SE = sqrt(sum_i IF_i^2) / N."""
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be between 0 and 1, got {confidence}")
    if n_boot < 0:
        raise UsageError(f"the number of bootstrap resamples must be >= 0, got {n_boot}")
    values: dict[str, float] = {}
    influence: dict[str, Floats] = {}
    reasons: dict[str, str] = {}
    n_items = len(specs[0].features) if specs else 0
    for spec in specs:
        mean = _column_means(spec.features)
        with np.errstate(divide="ignore", invalid="ignore"):
            values[spec.name] = float(spec.f(mean[None, :])[0])
        if not math.isfinite(values[spec.name]):
            reasons[spec.name] = spec.undefined_reason
        elif n_items >= 2:
            influence[spec.name] = _influence(spec, mean)
    for m in means:
        if any(p in reasons for p in m.parts) or not m.parts:
            reasons[m.name] = m.undefined_reason
            continue
        values[m.name] = float(np.mean([values[p] for p in m.parts]))
        if n_items >= 2:
            influence[m.name] = _mean_of([influence[p] for p in m.parts])

    replicates: dict[str, Means] = {}
    if n_boot and n_items >= 2:
        live = [s for s in specs if s.name in influence]
        chunks: dict[str, list[Means]] = {s.name: [] for s in live}
        for weights in _bootstrap_weights(n_items, n_boot, seed):
            for spec in live:
                with np.errstate(divide="ignore", invalid="ignore"):
                    chunks[spec.name].append(spec.f(weights @ spec.features / n_items))
        replicates = {name: np.concatenate(c) for name, c in chunks.items()}
        for m in means:
            if m.name in influence:
                replicates[m.name] = _mean_of([replicates[p] for p in m.parts])

    z = norm.ppf(0.5 + confidence / 2)
    tail = (1 - confidence) / 2
    why = {s.name: s.undefined_reason for s in specs} | {m.name: m.undefined_reason for m in means}
    out: dict[str, Estimate] = {}
    for name in why:
        if name in reasons:
            out[name] = undefined(reasons[name])
            continue
        value = values[name]
        if name not in influence:
            out[name] = Estimate(value, reason="one pairable item: no standard error or interval")
            continue
        se = float(np.sqrt(np.einsum("i,i->", influence[name], influence[name])) / n_items)
        wald = Estimate(value, se, float(value - z * se), float(min(value + z * se, 1.0)), "wald")
        if name not in replicates:
            out[name] = wald
            continue
        finite = replicates[name][np.isfinite(replicates[name])]
        if len(finite) < 0.9 * n_boot:
            out[name] = Estimate(
                wald.value,
                se,
                wald.ci_low,
                wald.ci_high,
                "wald",
                f"{n_boot - len(finite)} of {n_boot} bootstrap resamples undefined ({why[name]}): Wald interval kept",
            )
            continue
        low, high = np.quantile(finite, [tail, 1 - tail])
        out[name] = Estimate(value, se, float(low), float(high), "bootstrap-percentile")
    return out


# --- features of each statistic ---------------------------------------------------------
# Reductions over the item axis use einsum: on narrow (N, k) arrays it is several times
# faster than ndarray.sum/mean, and it keeps vector products off a threaded BLAS.


def _row_sums(x: npt.NDArray[_Number]) -> npt.NDArray[_Number]:
    sums: npt.NDArray[_Number] = np.einsum("ij->i", x)
    return sums


def _column_means(x: Floats) -> Floats:
    means: Floats = np.einsum("ij->j", x) / len(x)
    return means


def _pair_agreement(counts: npt.NDArray[_Number], n_i: npt.NDArray[_Number]) -> Floats:
    """P_i = sum_j n_ij (n_ij - 1) / (n_i (n_i - 1)) as an (N, 1) column."""
    agreement: Floats = np.einsum("ij,ij->i", counts, counts - 1)[:, None] / (n_i * (n_i - 1))
    return agreement


def _pairable(codes: Codes, n_categories: int) -> tuple[Codes, Codes, int]:
    """(codes, counts) restricted to items with >= 2 answers, and the number of one-answer items."""
    counts = rater_to_counts(codes, n_categories)
    answers = _row_sums(counts)
    keep = answers >= 2
    return codes[keep], counts[keep], int((answers == 1).sum())


def _kappa(p_o: Means, p_e: Means) -> Means:
    kappa: Means = (p_o - p_e) / (1 - p_e)
    return kappa


def _fleiss_spec(name: str, counts: Codes, reason: str = "only one category used: chance agreement is 1") -> _Spec:
    """Fleiss (1971): P_i = sum_j n_ij (n_ij - 1) / (n_i (n_i - 1)), P_o = mean P_i,
    p_j = sum_i n_ij / sum_i n_i, P_e = sum_j p_j^2, kappa = (P_o - P_e) / (1 - P_e).
    With n_i = m for all items this is Fleiss' formula; with unequal n_i, the mean of the
    per-item agreements and the pooled proportions (the usual generalisation)."""
    n_i = _row_sums(counts).astype(float)[:, None]
    p_i = _pair_agreement(counts, n_i)
    k = counts.shape[1]

    def f(m: Means) -> Means:
        p = m[:, 1 : k + 1] / m[:, k + 1 : k + 2]
        return _kappa(m[:, 0], (p * p).sum(axis=1))

    return _Spec(name, np.hstack([p_i, counts, n_i]), f, reason)


def _category_specs(counts: Codes, categories: Sequence[str]) -> list[_Spec]:
    """Per-category kappa (Fleiss 1971): Fleiss' kappa of category j against all others,
    kappa_j = 1 - sum_i n_ij (m - n_ij) / (N m (m - 1) p_j q_j) when n_i = m.
    With two categories both equal the overall kappa, so no spec is built (see field_agreement)."""
    if len(categories) == 2:
        return []
    n_i = _row_sums(counts)[:, None]
    return [
        _fleiss_spec(
            f"category:{name}",
            np.hstack([counts[:, j : j + 1], n_i - counts[:, j : j + 1]]),
            f"category {name!r} is given by no answer or by every answer",
        )
        for j, name in enumerate(categories)
    ]


def _fleiss_null(counts: Codes) -> tuple[float, Floats]:
    """SE of Fleiss' kappa and of each category kappa under no agreement, Fleiss, Nee &
    Landis (1979):
        SE_0(kappa)   = sqrt(2 / (N m (m-1))) sqrt((sum p_j q_j)^2 - sum p_j q_j (q_j - p_j)) / sum p_j q_j
        SE_0(kappa_j) = sqrt(2 / (N m (m-1))).
    With unequal n_i, 1 / (N m (m-1)) is replaced by mean_i(1 / (n_i (n_i-1))) / N, equal to
    it when every item has m answers."""
    n_i = _row_sums(counts).astype(float)
    scale = np.mean(1.0 / (n_i * (n_i - 1))) / len(counts)
    p = counts.sum(axis=0) / n_i.sum()
    pq = p * (1 - p)
    s = pq.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        se = float(np.sqrt(2 * scale) * np.sqrt(s * s - (pq * (1 - 2 * p)).sum()) / s)
    return se, np.full(len(p), np.sqrt(2 * scale))


def _davies_fleiss_spec(codes: Codes, n_categories: int) -> _Spec:
    """Davies & Fleiss (1982) kappa, equal to Conger's (1980) kappa when every rater labels
    every item: P_o as Fleiss', P_e = mean over ordered rater pairs a != b of
    sum_j p_aj p_bj, with p_aj rater a's proportion of category j:
        P_e = sum_j [(sum_a p_aj)^2 - sum_a p_aj^2] / (m (m-1)).
    With missing answers, p_aj is over the items rater a answered (among pairable items)."""
    n_items, m = codes.shape
    k = n_categories
    given = codes >= 0
    features = np.zeros((n_items, 1 + m * k + m))  # P_i, one-hot answers (rater-major), answered
    onehot = features[:, 1 : 1 + m * k].reshape(n_items, m, k)  # a view
    rows, cols = np.nonzero(given)
    onehot[rows, cols, codes[rows, cols]] = 1.0
    features[:, 1 + m * k :] = given
    counts: Floats = np.einsum("iak->ik", onehot)
    features[:, :1] = _pair_agreement(counts, _row_sums(counts)[:, None])

    def f(mm: Means) -> Means:
        p = mm[:, 1 : 1 + m * k].reshape(-1, m, k) / mm[:, 1 + m * k :][:, :, None]
        total = p.sum(axis=1)
        p_e = ((total * total).sum(axis=1) - (p * p).sum(axis=(1, 2))) / (m * (m - 1))
        return _kappa(mm[:, 0], p_e)

    return _Spec("davies_fleiss_kappa", features, f, "only one category used: chance agreement is 1")


def _krippendorff_spec(counts: Codes) -> _Spec:
    """Krippendorff's alpha, nominal (Krippendorff 2011, "Computing Krippendorff's
    alpha-reliability"): over pairable units u with m_u values, the coincidences give
        D = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1),   n = sum_u m_u,   n_c = sum_u n_uc,
        alpha = 1 - (n - 1) D / (n^2 - sum_c n_c^2).
    Written in item means (N fixed): alpha = 1 - (N mean(m) - 1) mean(D_u) / (N (mean(m)^2 - sum_c mean(n_c)^2))."""
    n_u = _row_sums(counts).astype(float)[:, None]
    d_u = (n_u[:, 0] ** 2 - np.einsum("ij,ij->i", counts, counts))[:, None] / (n_u - 1)
    n_items = len(counts)
    k = counts.shape[1]

    def f(m: Means) -> Means:
        nbar = m[:, 1]
        c = m[:, 2 : 2 + k]
        alpha: Means = 1 - (n_items * nbar - 1) * m[:, 0] / (n_items * (nbar * nbar - (c * c).sum(axis=1)))
        return alpha

    return _Spec(
        "krippendorff_alpha", np.hstack([d_u, n_u, counts]), f, "only one category used: expected disagreement is 0"
    )


def _chance_spec(name: str, counts: Codes, chance: str) -> _Spec:
    """Percent agreement (chance "zero"), Brennan & Prediger (chance "uniform": 1/q) or Gwet's
    AC1 (chance "ac1": sum_k pi_k (1 - pi_k) / (q - 1)), pi_k the pooled proportions."""
    n_i = _row_sums(counts).astype(float)[:, None]
    p_i = _pair_agreement(counts, n_i)
    k = counts.shape[1]

    def f(m: Means) -> Means:
        if chance == "zero":
            return m[:, 0]
        if chance == "uniform":
            return _kappa(m[:, 0], np.full(len(m), 1 / k))
        p = m[:, 1 : k + 1] / m[:, k + 1 : k + 2]
        return _kappa(m[:, 0], (p * (1 - p)).sum(axis=1) / (k - 1))

    return _Spec(name, np.hstack([p_i, counts, n_i]), f, "one category in the scale")


def _cohen_spec(name: str, a: Codes, b: Codes, k: int) -> _Spec:
    """Cohen (1960): over the items both raters answered, p_o the proportion of equal
    labels, p_e = sum_j p_aj p_bj, kappa = (p_o - p_e) / (1 - p_e)."""
    both = (a >= 0) & (b >= 0)
    rows = np.flatnonzero(both)
    features = np.zeros((len(a), 2 + 2 * k))  # both answered, agree, a's one-hot, b's one-hot
    features[:, 0] = both
    features[:, 1] = both & (a == b)
    features[rows, 2 + a[rows]] = 1.0
    features[rows, 2 + k + b[rows]] = 1.0

    def f(m: Means) -> Means:
        p_o = m[:, 1] / m[:, 0]
        pa = m[:, 2 : 2 + k] / m[:, :1]
        pb = m[:, 2 + k : 2 + 2 * k] / m[:, :1]
        return _kappa(p_o, (pa * pb).sum(axis=1))

    return _Spec(name, features, f, "the two annotators used one and the same category throughout")


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
    """`cohen_kappa` with its SE (Fleiss, Cohen & Everitt 1969, by the delta method) and CI."""
    if len(a) != len(b):
        raise UsageError(f"cohen_kappa needs equal-length sequences, got {len(a)} and {len(b)}")
    n = len(a)
    long = pd.DataFrame(
        {"item": np.tile(np.arange(n), 2), "annotator": np.repeat([0, 1], n), "label": list(a) + list(b)}
    )
    table = long_to_rater(long, source="cohen_kappa input")
    if table.codes.shape[1] < 2 or not ((table.codes >= 0).all(axis=1)).any():
        return undefined("no position labelled in both sequences")
    both = (table.codes >= 0).all(axis=1)
    codes = table.codes[both]
    spec = _cohen_spec("cohen_kappa", codes[:, 0], codes[:, 1], table.n_categories)
    return _estimate([spec], n_boot, seed, confidence)["cohen_kappa"]


@dataclass(frozen=True)
class _Prepared:
    codes: Codes  # pairable items x annotators with at least one answer among them
    counts: Codes
    raters: pd.Index
    categories: tuple[str, ...]
    n_single: int
    reason: str | None  # why nothing is defined, or None


def _prepare(table: RaterTable) -> _Prepared:
    codes, counts, n_single = _pairable(table.codes, table.n_categories)
    active = (codes >= 0).any(axis=0)  # an item with two answers has two annotators
    codes = codes[:, active]
    reason = None
    if (table.codes >= 0).any(axis=0).sum() < 2:
        reason = "fewer than two annotators"
    elif len(codes) == 0:
        reason = "no item has two or more answers"
    elif (counts.sum(axis=0) > 0).sum() < 2:
        reason = "only one category used: chance agreement is 1"
    return _Prepared(codes, counts, table.raters[active], table.categories, n_single, reason)


def _cohen_pairs(prep: _Prepared) -> tuple[list[tuple[str, str, int]], list[_Spec | str]]:
    """Each annotator pair with its number of common items, and its spec or why it has none."""
    rows: list[tuple[str, str, int]] = []
    specs: list[_Spec | str] = []
    codes, k = prep.codes, len(prep.categories)
    for i in range(codes.shape[1]):
        for j in range(i + 1, codes.shape[1]):
            both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
            rows.append((str(prep.raters[i]), str(prep.raters[j]), int(both.sum())))
            if not both.any():
                specs.append("no item answered by both annotators")
                continue
            spec = _cohen_spec(f"cohen:{i}:{j}", codes[:, i], codes[:, j], k)
            labels = np.concatenate([codes[both, i], codes[both, j]])
            specs.append(spec if (labels != labels[0]).any() else spec.undefined_reason)  # else p_e = 1
    return rows, specs


def field_agreement(
    table: RaterTable,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    positive: str | None = None,
) -> FieldAgreement:
    """Every statistic for one question: Fleiss' kappa (overall and per category, with the
    FNL null test), Davies & Fleiss' kappa, Krippendorff's alpha, pairwise Cohen's kappas
    and their mean. Bootstrap replicates (`n_boot`, 0 for analytic intervals only) resample
    the pairable items, the same resamples for every statistic. `positive` names the
    category counted per annotator in `FieldAgreement.positives`."""
    positives: dict[str, int] = {}
    if positive is not None:
        if positive not in table.categories:
            raise UsageError(f"positive label {positive!r} is not a category", expected=", ".join(table.categories))
        j = table.categories.index(positive)
        positives = {str(r): int(n) for r, n in zip(table.raters, (table.codes == j).sum(axis=0))}
    prep = _prepare(table)
    result = functools.partial(
        FieldAgreement,
        n_items=len(prep.codes),
        n_single=prep.n_single,
        n_annotators=int((table.codes >= 0).any(axis=0).sum()),
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
            krippendorff_ordinal=None,
        )

    pair_rows, pair_specs = _cohen_pairs(prep)
    cohen = [s for s in pair_specs if isinstance(s, _Spec)]
    specs = [
        _fleiss_spec("fleiss_kappa", prep.counts),
        *_category_specs(prep.counts, prep.categories),
        _davies_fleiss_spec(prep.codes, len(prep.categories)),
        _krippendorff_spec(prep.counts),
        _chance_spec("gwet_ac1", prep.counts, "ac1"),
        _chance_spec("brennan_prediger", prep.counts, "uniform"),
        _chance_spec("percent_agreement", prep.counts, "zero"),
        *cohen,
    ]
    mean = _MeanOf("mean_cohen_kappa", tuple(s.name for s in cohen), "no annotator pair has a defined Cohen's kappa")
    est = _estimate(specs, n_boot, seed, confidence, means=[mean])
    mean_cohen = est["mean_cohen_kappa"]
    pair_estimates = [est[s.name] if isinstance(s, _Spec) else undefined(s) for s in pair_specs]

    se0, se0_cat = _fleiss_null(prep.counts)
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
        mean_cohen,
        _pairwise_frame(pair_rows, pair_estimates),
        gwet_ac1=est["gwet_ac1"],
        brennan_prediger=est["brennan_prediger"],
        percent_agreement=est["percent_agreement"],
        krippendorff_ordinal=None,
    )


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


def _single(
    table: RaterTable, build: Callable[[_Prepared], _Spec], n_boot: int, seed: int, confidence: float
) -> Estimate:
    prep = _prepare(table)
    if prep.reason is not None:
        return undefined(prep.reason)
    spec = build(prep)
    return _estimate([spec], n_boot, seed, confidence)[spec.name]


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
    table: RaterTable | npt.ArrayLike, n_boot: int = 0, seed: int = 0, confidence: float = 0.95
) -> Estimate:
    """Krippendorff's nominal alpha from a `RaterTable` or a subject x category count table."""
    if not isinstance(table, RaterTable):
        table = _anonymous(table, None)
    return _single(table, lambda p: _krippendorff_spec(p.counts), n_boot, seed, confidence)


def davies_fleiss_kappa(table: RaterTable, n_boot: int = 0, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Davies & Fleiss' (1982) kappa, i.e. Conger's (1980) kappa, from a `RaterTable`."""
    return _single(table, lambda p: _davies_fleiss_spec(p.codes, len(p.categories)), n_boot, seed, confidence)
