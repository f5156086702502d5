"""Breakdowns of a per-sample table by RE labels (Bellver et al., Section 5).

- `difficulty_table`: trivial vs non-trivial referents (the paper's main finding).
- `table5`: A2Dre+ (sources `a2dre+:{category}:{with|without}[:k]`): IoU with and without each of
  appearance, location, motion and static, paired by instance (video, object, k), with paired
  bootstrap CIs of each side and of the difference.
- `table6`: phrase levels (sources `phrase:{level}[:...]`, see `refcat.analysis.phrases`) for
  trivial / non-trivial / all referents.
- `category_table`: IoU of the expressions with vs without each category (for the plots).

Sources fall in three families (`source_family`): the dataset's own REs, the A2Dre+ variants and
the phrase-level variants; `source_group` names a source without the sub-source suffix that only
tells repetitions apart (the k of A2Dre+, the original source of a full phrase).

Every figure is computed from per-expression sums of the samples a convention keeps
(`metrics.sample_ious`): overall IoU = sum I / sum U, mean IoU = mean of the sample IoUs.
Confidence intervals are percentile bootstraps over expressions (or pairs, or referents)
resampled with replacement, all frames of a resampled unit kept together (Efron &
Tibshirani 1993, ch. 13; cluster resampling). A paired interval draws the same units for both
sides of a comparison in every resample.

Labels join the table per referent (video_id, object_id): difficulty is a property of the
referent (the only object of its class, or not). Categories are per expression: they join by
(video_id, object_id, text) when expression texts are given; an expression without a text
takes the labels of its referent only when the referent has a single labelled RE.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from refcat.analysis.metrics import overall_iou, sample_ious
from refcat.datasets.records import text_key
from refcat.errors import UsageError
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES, CATEGORY_NAMES, DIFFICULTY

log = logging.getLogger(__name__)

PHRASE_PREFIX = "phrase:"
A2DRE_PLUS_PREFIX = "a2dre+:"
GROUPS = ("trivial", "non-trivial", "all")
# `source_family` values: the dataset's own REs, then the derived expressions.
FAMILIES = ("dataset", "a2dre+", "phrase")


def source_family(source: str) -> str:
    """ "a2dre+" for A2Dre+ sources, "phrase" for phrase-level variants, "dataset" for a dataset's own REs."""
    if source.startswith(A2DRE_PLUS_PREFIX):
        return "a2dre+"
    if source.startswith(PHRASE_PREFIX):
        return "phrase"
    return "dataset"


def is_variant(source: str) -> bool:
    """True for the derived expressions (A2Dre+ and phrase-level variants), False for a dataset's own."""
    return source_family(source) != "dataset"


def source_group(source: str) -> str:
    """The source without what only tells repetitions apart: `a2dre+:{category}:{polarity}` for
    `a2dre+:{category}:{polarity}[:k]`, `phrase:{level}` for `phrase:{level}[:...]`; a dataset's
    own source unchanged."""
    family = source_family(source)
    if family == "a2dre+":
        parsed = parse_a2dre_plus_source(source)
        assert parsed is not None  # the family says it is an A2Dre+ source
        return f"{A2DRE_PLUS_PREFIX}{parsed[0]}:{parsed[1]}"
    if family == "phrase":
        return f"{PHRASE_PREFIX}{phrase_level(source)}"
    return source


def _originals(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["source"].map(is_variant)]


def expression_scores(table: pd.DataFrame, convention: str = "mttr") -> pd.DataFrame:
    """Per instance_key: video_id, object_id, source, samples kept, iou_sum, I and U summed over them."""
    iou = sample_ious(table["I"].to_numpy(), table["U"].to_numpy(), table["gt_present"].to_numpy(), convention)
    keep = ~np.isnan(iou)
    kept = table.loc[keep, ["instance_key", "video_id", "object_id", "source", "I", "U"]].assign(
        iou_sum=iou[keep], samples=1
    )
    scores = kept.groupby(["instance_key", "video_id", "object_id", "source"], sort=True, as_index=False).agg(
        samples=("samples", "sum"), iou_sum=("iou_sum", "sum"), I=("I", "sum"), U=("U", "sum")
    )
    return scores


class Interval(NamedTuple):
    """An estimate and the bounds of its percentile bootstrap interval (NaN where undefined)."""

    estimate: float
    low: float
    high: float


UNDEFINED = Interval(math.nan, math.nan, math.nan)
_Side = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _ratios(weights: npt.NDArray[np.float64], sides: Sequence[_Side]) -> npt.NDArray[np.float64]:
    """(resamples, sides): sum(w * num) / sum(w * den) of each side under each row of weights; NaN where
    the weighted denominator is 0."""
    columns = []
    for num, den in sides:
        total = weights @ den
        with np.errstate(invalid="ignore", divide="ignore"):
            columns.append(np.where(total > 0, (weights @ num) / np.where(total > 0, total, 1), np.nan))
    return np.stack(columns, axis=-1)


def _interval(estimate: float, draws: npt.NDArray[np.float64], confidence: float) -> Interval:
    """The percentile interval of the draws that are defined (not NaN)."""
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return Interval(estimate, math.nan, math.nan)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return Interval(estimate, float(low), float(high))


def _bootstrap(
    sides: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]], n_boot: int, seed: int, chunk: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The ratio of each side over all units (sides,) and over `n_boot` resamples of the units
    (n_boot, sides), every resample drawing the same units for all sides. Resamples are drawn
    `chunk` at a time (multinomial counts of each unit)."""
    arrays = [(np.asarray(num, np.float64), np.asarray(den, np.float64)) for num, den in sides]
    n = len(arrays[0][0])
    estimates = _ratios(np.ones((1, n)), arrays)[0]
    rng = np.random.default_rng(seed)
    chunks = [np.zeros((0, len(arrays)))]
    for start in range(0, max(n_boot, 0), chunk):
        size = min(chunk, n_boot - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)
        chunks.append(_ratios(weights, arrays))
    return estimates, np.concatenate(chunks)


class PairedIntervals(NamedTuple):
    """`paired_ratio_intervals` result: each side, and plus - minus, from the same resamples."""

    plus: Interval
    minus: Interval
    difference: Interval


def paired_ratio_intervals(
    plus: tuple[npt.ArrayLike, npt.ArrayLike],
    minus: tuple[npt.ArrayLike, npt.ArrayLike],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    chunk: int = 250,
) -> PairedIntervals:
    """sum(num) / sum(den) of each side (`plus`, `minus`: (num, den) over the same units, unit i
    of one paired with unit i of the other) and their difference plus - minus, each with a
    percentile bootstrap interval. Every resample draws the same units for both sides (a paired
    bootstrap), so the three intervals come from one set of resamples. Resamples where a side's
    denominator is 0 are left out of that side (and of the difference); everything is NaN when
    there are no units, and the bounds are NaN when `n_boot` <= 0."""
    if len(np.asarray(plus[0])) == 0:
        return PairedIntervals(UNDEFINED, UNDEFINED, UNDEFINED)
    estimates, draws = _bootstrap([plus, minus], n_boot, seed, chunk)
    return PairedIntervals(
        _interval(float(estimates[0]), draws[:, 0], confidence),
        _interval(float(estimates[1]), draws[:, 1], confidence),
        _interval(float(estimates[0] - estimates[1]), draws[:, 0] - draws[:, 1], confidence),
    )


def ratio_ci(
    num: npt.ArrayLike,
    den: npt.ArrayLike,
    *,
    minus: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    chunk: int = 250,
) -> Interval:
    """sum(num) / sum(den) over units, with a percentile bootstrap CI (units resampled with replacement).

    With `minus=(num2, den2)`, paired on the same units, the statistic is the difference of the
    two ratios and each resample draws the same units for both (`paired_ratio_intervals`).
    Resamples whose denominator is 0 are left out; NaN when there are no units.
    """
    if minus is not None:
        return paired_ratio_intervals(
            (num, den), minus, n_boot=n_boot, seed=seed, confidence=confidence, chunk=chunk
        ).difference
    if len(np.asarray(num)) == 0:
        return UNDEFINED
    estimates, draws = _bootstrap([(num, den)], n_boot, seed, chunk)
    return _interval(float(estimates[0]), draws[:, 0], confidence)


def _figures(scores: pd.DataFrame, convention: str) -> dict[str, float]:
    samples = int(scores["samples"].sum())
    return {
        "samples": samples,
        "overall_iou": overall_iou(float(scores["I"].sum()), float(scores["U"].sum()), convention)
        if samples
        else math.nan,
        "mean_iou": float(scores["iou_sum"].sum() / samples) if samples else math.nan,
    }


# ----- labels per referent and per expression


def referent_difficulty(labels: pd.DataFrame) -> pd.DataFrame:
    """(video_id, object_id) -> difficulty, from the valid REs of a label table (`stats.label_table`).

    A referent whose valid REs disagree takes the majority; a tie is left out (logged).
    """
    valid = labels[(labels["correctness"] == "valid") & labels["difficulty"].isin(DIFFICULTY)]
    rows = []
    for (video_id, object_id), group in valid.groupby(["video_id", "object_id"], sort=True):
        counts = group["difficulty"].value_counts()
        if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
            log.warning("referent %s/%s: as many trivial as non-trivial REs, left out", video_id, object_id)
            continue
        rows.append((video_id, int(object_id), counts.index[0]))
    return pd.DataFrame(rows, columns=["video_id", "object_id", "difficulty"])


def expression_labels(expressions: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Labels of each expression: instance_key, correctness, difficulty and the seven categories.

    `expressions` has instance_key, video_id, object_id and (optionally) text. An expression
    with a text takes the label row of its referent with the same text (case and spacing
    ignored), or none; one without a text (column absent or empty) takes its referent's label
    only when the referent has exactly one label row.
    """
    labels = labels.assign(_text=labels["text"].astype(str).map(text_key))
    fields = ["correctness", "difficulty", *CATEGORY_NAMES]
    by_text = labels.drop_duplicates(["video_id", "object_id", "_text"]).set_index(["video_id", "object_id", "_text"])
    counts = labels.groupby(["video_id", "object_id"]).size()
    single = labels.set_index(["video_id", "object_id"]).loc[counts[counts == 1].index]
    rows, unmatched = [], 0
    for e in expressions.itertuples(index=False):
        text = text_key(str(getattr(e, "text", "")))
        if text and (e.video_id, int(e.object_id), text) in by_text.index:
            row = by_text.loc[(e.video_id, int(e.object_id), text), fields]
        elif not text and (e.video_id, int(e.object_id)) in single.index:
            row = single.loc[(e.video_id, int(e.object_id)), fields]
        else:
            unmatched += 1
            continue
        rows.append({"instance_key": e.instance_key, **row.to_dict()})
    if unmatched:
        log.warning("%d of %d expressions have no label row", unmatched, len(expressions))
    out = pd.DataFrame(rows, columns=["instance_key", *fields])
    for name in CATEGORY_NAMES:
        out[name] = out[name].astype("boolean")
    return out


# ----- the tables


def difficulty_table(
    table: pd.DataFrame,
    labels: pd.DataFrame,
    convention: str = "mttr",
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Trivial / non-trivial / all referents: referents, samples, overall and mean IoU, and the mean
    over referents of each referent's mean IoU with its bootstrap CI (referents resampled).
    Only the dataset's own expressions count (`is_variant` rows are left out)."""
    scores = expression_scores(_originals(table), convention)
    per_referent = scores.groupby(["video_id", "object_id"], as_index=False)[["samples", "iou_sum", "I", "U"]].sum()
    per_referent = per_referent[per_referent["samples"] > 0].merge(
        referent_difficulty(labels), on=["video_id", "object_id"], how="inner"
    )
    rows = []
    for group in GROUPS:
        part = per_referent if group == "all" else per_referent[per_referent["difficulty"] == group]
        ref_mean = part["iou_sum"] / part["samples"]
        mean, low, high = ratio_ci(ref_mean, np.ones(len(part)), n_boot=n_boot, seed=seed, confidence=confidence)
        rows.append(
            {
                "group": group,
                "referents": len(part),
                **_figures(part, convention),
                "referent_mean_iou": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(rows).set_index("group")


def parse_a2dre_plus_source(source: str) -> tuple[str, str, int] | None:
    """`a2dre+:{category}:{polarity}[:k]` -> (category, polarity, k); None for other sources."""
    if not source.startswith(A2DRE_PLUS_PREFIX):
        return None
    parts = source[len(A2DRE_PLUS_PREFIX) :].split(":")
    if len(parts) not in (2, 3) or parts[1] not in ("with", "without") or (len(parts) == 3 and not parts[2].isdigit()):
        raise UsageError(f"malformed A2Dre+ source {source!r}", expected="a2dre+:CATEGORY:with|without[:k]")
    return parts[0], parts[1], int(parts[2]) if len(parts) == 3 else 0


POLARITIES = ("with", "without")


def table5(
    table: pd.DataFrame, convention: str = "mttr", *, n_boot: int = 2000, seed: int = 0, confidence: float = 0.95
) -> pd.DataFrame:
    """Table 5: per A2Dre+ category (rows, `A2DRE_PLUS_CATEGORIES` order), over the pairs
    (video, object, k) with samples on both sides: `pairs`; per side `samples_{side}`,
    `{measure}_{side}` and its interval `{measure}_{side}_ci_low` / `_ci_high`; the difference
    `{measure}_diff` (with - without) and its interval `{measure}_ci_low` / `_ci_high`; measures
    overall_iou and mean_iou. The intervals are paired bootstraps over the pairs: every resample
    draws the same pairs for both sides (`paired_ratio_intervals`)."""
    scores = expression_scores(table, convention)
    parsed = scores["source"].map(parse_a2dre_plus_source)
    scores = scores[parsed.notna()].copy()
    if scores.empty:
        raise UsageError("the per-sample table holds no A2Dre+ rows", expected="sources a2dre+:CATEGORY:with|without")
    scores[["category", "polarity", "k"]] = pd.DataFrame(parsed[parsed.notna()].tolist(), index=scores.index)
    rows = []
    for category in A2DRE_PLUS_CATEGORIES:
        part = scores[scores["category"] == category]
        key = ["video_id", "object_id", "k"]
        pairs = part[part["polarity"] == "with"].merge(
            part[part["polarity"] == "without"], on=key, suffixes=("_with", "_without")
        )
        pairs = pairs[(pairs["samples_with"] > 0) & (pairs["samples_without"] > 0)]
        row: dict[str, str | float] = {"category": category, "pairs": len(pairs)}
        for side in POLARITIES:
            side_scores = pairs[[f"samples_{side}", f"iou_sum_{side}", f"I_{side}", f"U_{side}"]]
            side_scores.columns = ["samples", "iou_sum", "I", "U"]
            figures = _figures(side_scores, convention)
            row[f"samples_{side}"] = figures["samples"]
            row[f"overall_iou_{side}"], row[f"mean_iou_{side}"] = figures["overall_iou"], figures["mean_iou"]
        for name, num, den in (("overall_iou", "I", "U"), ("mean_iou", "iou_sum", "samples")):
            paired = paired_ratio_intervals(
                (pairs[f"{num}_with"], pairs[f"{den}_with"]),
                (pairs[f"{num}_without"], pairs[f"{den}_without"]),
                n_boot=n_boot,
                seed=seed,
                confidence=confidence,
            )
            for side, interval in zip(POLARITIES, (paired.plus, paired.minus)):
                row.update({f"{name}_{side}_ci_low": interval.low, f"{name}_{side}_ci_high": interval.high})
            diff = paired.difference
            row.update({f"{name}_diff": diff.estimate, f"{name}_ci_low": diff.low, f"{name}_ci_high": diff.high})
        rows.append(row)
    return pd.DataFrame(rows).set_index("category")


def phrase_level(source: str) -> str | None:
    """`phrase:{level}[:...]` -> level; None for other sources."""
    if not source.startswith(PHRASE_PREFIX):
        return None
    return source[len(PHRASE_PREFIX) :].split(":")[0]


def table6(table: pd.DataFrame, labels: pd.DataFrame, convention: str = "mttr") -> pd.DataFrame:
    """Table 6: overall and mean IoU per phrase level (rows) for trivial / non-trivial / all referents.

    Columns `{group}_overall_iou`, `{group}_mean_iou`, `{group}_samples` and `{group}_referents`
    (referents with samples at that level). Referents without a difficulty label are left out
    of every group.
    """
    from refcat.analysis.phrases import LEVELS

    scores = expression_scores(table, convention)
    scores["level"] = scores["source"].map(phrase_level)
    scores = scores[scores["level"].notna()].merge(referent_difficulty(labels), on=["video_id", "object_id"])
    if scores.empty:
        raise UsageError("no labelled phrase-level rows in the per-sample table", expected="sources phrase:LEVEL")
    rows = []
    for level in [lv for lv in LEVELS if lv in set(scores["level"])]:
        row: dict[str, str | float] = {"level": level}
        for group in GROUPS:
            part = scores[scores["level"] == level]
            part = part if group == "all" else part[part["difficulty"] == group]
            figures = _figures(part, convention)
            row.update({f"{group}_{k}": figures[k] for k in ("overall_iou", "mean_iou", "samples")})
            kept = part[part["samples"] > 0]
            row[f"{group}_referents"] = len(kept[["video_id", "object_id"]].drop_duplicates())
        rows.append(row)
    return pd.DataFrame(rows).set_index("level")


def category_table(
    table: pd.DataFrame,
    labels_by_expression: pd.DataFrame,
    convention: str = "mttr",
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per category and presence (yes / no): valid labelled expressions, samples, overall IoU and
    mean IoU with a bootstrap CI (expressions resampled). Only the dataset's own expressions count."""
    scores = expression_scores(_originals(table), convention).merge(labels_by_expression, on="instance_key")
    scores = scores[scores["correctness"] == "valid"]
    rows = []
    for name in CATEGORY_NAMES:
        for present in (True, False):
            part = scores[scores[name].fillna(not present) == present]
            _, low, high = ratio_ci(part["iou_sum"], part["samples"], n_boot=n_boot, seed=seed, confidence=confidence)
            rows.append(
                {
                    "category": name,
                    "present": "yes" if present else "no",
                    "expressions": len(part),
                    **_figures(part, convention),
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows).set_index(["category", "present"])
