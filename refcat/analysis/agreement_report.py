"""Agreement report over a long label table (item, annotator, field, label): one block per field.

Shaped like the RefVOS paper's report (Section 4: "kappa between .83 and .97, except
obj-static, kappa = .35, which has only 5 positively labelled instances"). Conventions:

- Taxonomy fields (refcat.taxonomy.FIELD_VALUES) use their fixed category list, so a
  category nobody chose still counts; other fields use the labels seen.
- The headline kappa (summary line, overview, revision table, forest plot) is Conger's
  kappa, Davies & Fleiss' generalisation of Cohen's kappa to several annotators
  (`HEADLINE`); every table shows percent agreement beside its kappas.
- Percent agreement of an annotator pair is the share of their common items with equal
  answers; an annotator's agreement with the others pools their pairs (common items
  weighted equally) and averages the pairs' Cohen's kappas where they are defined.
- A field has "very few positives" when no annotator gave its positive label
  (`POSITIVE_LABELS`) `FEW_POSITIVES` times or more: its kappa rests on a handful of
  answers and is left out of the summary range, as the paper leaves out obj-static.
- A field where one answer dominates, with a chance agreement of its kappa of `SKEWED_CHANCE`
  or more, is noted too (low kappa despite high percent agreement, where Gwet's AC1 stays
  high) and is also left out of the summary range.
- A field whose answers all agree has "perfect agreement" (percent agreement 100%), even
  where its kappa is undefined because a single category was used.
- The revision table compares round 1 (first, blind answers) with round 2 (answers after
  revision); change = round 2 - round 1.
- JSON and Markdown hold the same figures: `report_json` (per field) and `report_lines` (per
  field, with the header and the revision row) for JSON; `report_markdown` (fields only) and
  `full_markdown` (with header, revision and annotators) for Markdown. NaN is JSON null,
  with the reason beside it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from refcat.analysis.agreement import Estimate, FieldAgreement, field_agreement
from refcat.analysis.agreement_layouts import RaterTable, split_fields
from refcat.analysis.plots import forest_plot, png_bytes
from refcat.errors import UsageError
from refcat.taxonomy import CATEGORY_NAMES, FIELD_VALUES, YES

# The label counted as "positive" per annotator: presence for a category; for the other
# taxonomy fields the label the paper's report counts (non-trivial, valid, redundant).
POSITIVE_LABELS: dict[str, str] = {
    "difficulty": "non-trivial",
    "correctness": "valid",
    "information": "redundant",
    **dict.fromkeys(CATEGORY_NAMES, YES),
}
FEW_POSITIVES = 10  # a field is noted when no annotator gave its positive label this often
SKEWED_CHANCE = 0.9  # a field is noted when its kappa's chance agreement is this high or higher
HEADLINE = "davies_fleiss_kappa"
HEADLINE_NAME = "Davies & Fleiss' kappa"
ROUND_NAMES = {1: "round 1 (first answers)", 2: "round 2 (after revision)"}
PAIRWISE_COLUMNS = [
    "rater_a",
    "rater_b",
    "n_items",
    "kappa",
    "se",
    "ci_low",
    "ci_high",
    "reason",
    "percent_agreement",
]


def agreement_by_field(
    long: pd.DataFrame,
    n_boot: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
    source: str = "label table",
    ordinal: Collection[str] = (),
) -> dict[str, FieldAgreement]:
    """`field_agreement` for each field of a long table with columns item, annotator, field, label.

    Fields not in the taxonomy count as positive their least frequent label (ties: the
    first in sorted order). The pairwise Cohen frame gets a `percent_agreement` column.
    The fields named in `ordinal` also get Krippendorff's ordinal alpha, on the scale of
    `ordinal_scale`."""
    categories: dict[str, Sequence[str]] = dict(FIELD_VALUES)
    categories |= {f: ordinal_scale(long, f, source) for f in ordinal}
    out = {}
    for name, table in split_fields(long, categories=categories, source=source):
        positive = POSITIVE_LABELS.get(name)
        if positive is None and table.n_categories:
            used = pd.Series(table.codes[table.codes >= 0]).value_counts()
            rarest = sorted((n, table.categories[c]) for c, n in used.items())
            positive = rarest[0][1]
        result = field_agreement(
            table, n_boot=n_boot, seed=seed, confidence=confidence, positive=positive, ordinal=name in ordinal
        )
        out[name] = replace(result, pairwise_cohen=_with_pair_agreement(result.pairwise_cohen, table))
    return out


def ordinal_scale(long: pd.DataFrame, field: str, source: str = "label table") -> tuple[str, ...]:
    """The scale of an ordinal field, low to high: a taxonomy field's values in taxonomy order,
    or the labels of another field, which must all be numbers, in numeric order."""
    if field in FIELD_VALUES:
        return FIELD_VALUES[field]
    labels = long.loc[long["field"].astype(str) == field, "label"].dropna().astype(str).str.strip()
    labels = labels[labels != ""].unique()
    if not len(labels):
        raise UsageError(f"no answers to the ordinal field {field!r}", path=source)
    values = pd.to_numeric(pd.Series(labels), errors="coerce")
    if values.isna().any():
        bad = labels[int(np.flatnonzero(values.isna().to_numpy())[0])]
        raise UsageError(
            f"the ordinal field {field!r} has the label {bad!r}", path=source, expected="numbers, to order them"
        )
    return tuple(str(label) for _, label in sorted(zip(values, labels)))


def _with_pair_agreement(pairs: pd.DataFrame, table: RaterTable) -> pd.DataFrame:
    """`pairs` (rater_a, rater_b, ...) with percent_agreement: equal answers / common items."""
    column = {str(r): j for j, r in enumerate(table.raters)}
    shares = []
    for a, b in zip(pairs["rater_a"], pairs["rater_b"]):
        x, y = table.codes[:, column[a]], table.codes[:, column[b]]
        both = (x >= 0) & (y >= 0)
        shares.append(float((x[both] == y[both]).mean()) if both.any() else math.nan)
    return pairs.assign(percent_agreement=np.array(shares, dtype=float))[PAIRWISE_COLUMNS]


# --- the report and its header ------------------------------------------------------------


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True)
class ReportSettings:
    """Where the labels come from and how the intervals are computed (the report's header)."""

    source: str  # the CSV file, or "campaign NAME"
    campaign: str | None = None
    round: int | None = None  # the round reported; None for a table without rounds
    n_boot: int = 0  # bootstrap resamples B; 0 for analytic intervals
    seed: int = 0
    confidence: float = 0.95
    ordinal: tuple[str, ...] = ()  # fields that also get Krippendorff's ordinal alpha
    date: str = field(default_factory=_today)  # ISO date (UTC) the report was made


@dataclass(frozen=True)
class AgreementReport:
    """The statistics of the round reported and, where there are several, of every round."""

    settings: ReportSettings
    results: dict[str, FieldAgreement]
    rounds: dict[int, dict[str, FieldAgreement]]  # round -> results; empty for a table without rounds
    annotators: tuple[str, ...]  # annotators with an answer in the round reported, sorted
    n_items: int  # items with an answer in the round reported

    @property
    def revision(self) -> tuple[dict[str, FieldAgreement], dict[str, FieldAgreement]] | None:
        """(round 1, round 2) results when the report has both, else None."""
        if 1 in self.rounds and 2 in self.rounds:
            return self.rounds[1], self.rounds[2]
        return None

    def series(self) -> dict[str, dict[str, FieldAgreement]]:
        """What the forest plot shows: both rounds when there is a revision, else the round reported."""
        if self.revision is not None:
            return {ROUND_NAMES[n]: self.rounds[n] for n in (1, 2)}
        name = ROUND_NAMES.get(self.settings.round or 0, "answers")
        return {name: self.results}


def build_report(
    long: pd.DataFrame, settings: ReportSettings, rounds: Mapping[int, pd.DataFrame] | None = None
) -> AgreementReport:
    """The report on `long` (the round `settings.round`); `rounds` maps round numbers to their
    long tables when there are several (`long` is then `rounds[settings.round]`)."""

    def compute(table: pd.DataFrame) -> dict[str, FieldAgreement]:
        return agreement_by_field(
            table, settings.n_boot, settings.seed, settings.confidence, settings.source, settings.ordinal
        )

    results = compute(long)
    by_round = {n: results if n == settings.round else compute(t) for n, t in (rounds or {}).items()}
    answered = long[long["label"].notna() & (long["label"].astype(str).str.strip() != "")]
    annotators = tuple(sorted(map(str, answered["annotator"].unique())))
    return AgreementReport(settings, results, by_round, annotators, int(answered["item"].nunique()))


def _interval_text(settings: ReportSettings, results: Mapping[str, FieldAgreement]) -> str:
    level = f"{settings.confidence:.0%}"
    if settings.n_boot:
        methods = {e.ci_method for r in results.values() for e in _statistics(r).values() if math.isfinite(e.ci_low)}
        text = (
            f"{level} bootstrap percentile intervals, B = {settings.n_boot} resamples of items, seed "
            f"{settings.seed}; standard errors analytic"
        )
        if methods - {"bootstrap"}:
            text += "; t intervals kept where too many resamples were undefined (see the notes)"
        return text
    return (
        f"{level} t(n-1) intervals on the linearisation standard error (Gwet 2008, 2014, as irrCAC computes "
        "it), upper end capped at 1; no bootstrap"
    )


METHODS = (
    "Fleiss' kappa and Conger's kappa (Davies & Fleiss) as Gwet (2014) defines them with missing answers, "
    "Krippendorff's alpha (nominal, and ordinal for the ordinal fields), Gwet's AC1, Brennan-Prediger and "
    "percent agreement; Cohen's kappa per annotator pair over the items both answered, and its mean over the "
    "pairs where it is defined"
)


def header_dict(report: AgreementReport) -> dict[str, object]:
    """The header: campaign, round, source, annotators, items, date, methods, ordinal fields,
    intervals, confidence, B, seed."""
    s = report.settings
    return {
        "campaign": s.campaign,
        "round": s.round,
        "source": s.source,
        "annotators": list(report.annotators),
        "n_annotators": len(report.annotators),
        "n_items": report.n_items,
        "date": s.date,
        "methods": METHODS,
        "ordinal_fields": list(s.ordinal),
        "intervals": _interval_text(s, report.results),
        "confidence": s.confidence,
        "n_boot": s.n_boot,
        "seed": s.seed,
    }


# --- per field ------------------------------------------------------------------------------


def _statistics(result: FieldAgreement) -> dict[str, Estimate]:
    """The field-level statistics, in report order (ordinal alpha only for ordered fields)."""
    stats = {
        "fleiss_kappa": result.fleiss.kappa,
        "davies_fleiss_kappa": result.davies_fleiss,
        "krippendorff_alpha": result.krippendorff,
    }
    if result.krippendorff_ordinal is not None:
        stats["krippendorff_alpha_ordinal"] = result.krippendorff_ordinal
    return stats | {
        "gwet_ac1": result.gwet_ac1,
        "brennan_prediger": result.brennan_prediger,
        "percent_agreement": result.percent_agreement,
        "mean_cohen_kappa": result.mean_cohen,
    }


def defined_pairs(result: FieldAgreement) -> tuple[int, int]:
    """(annotator pairs with a defined Cohen's kappa, all pairs with a common item)."""
    pairs = result.pairwise_cohen
    common = pairs[pairs["n_items"] > 0]
    return int(np.isfinite(common["kappa"].to_numpy(dtype=float)).sum()), len(common)


def is_perfect(result: FieldAgreement) -> bool:
    """Every pair of answers agrees (percent agreement 100%)."""
    return math.isclose(result.percent_agreement.value, 1.0)


def has_few_positives(result: FieldAgreement) -> bool:
    """No annotator gave the positive label `FEW_POSITIVES` times, nor for half of the items
    (see the module doc)."""
    if not result.positives:
        return False
    most = max(result.positives.values())
    return most < FEW_POSITIVES and most < (result.n_items + result.n_single) / 2


def chance_agreement(result: FieldAgreement) -> float:
    """The chance agreement p_e of the headline kappa, from kappa = (p_a - p_e) / (1 - p_e) with
    p_a the percent agreement; NaN where kappa is undefined or 1."""
    p_a, kappa = result.percent_agreement.value, _headline(result).value
    return (p_a - kappa) / (1 - kappa) if math.isfinite(kappa) and kappa < 1 else math.nan


def is_skewed(result: FieldAgreement) -> bool:
    """One answer dominates: the headline kappa's chance agreement is `SKEWED_CHANCE` or more."""
    return chance_agreement(result) >= SKEWED_CHANCE


def field_notes(result: FieldAgreement) -> list[str]:
    """The field's notes, one sentence each: perfect agreement, very few positives, one answer
    dominating (low kappa despite high agreement)."""
    notes = []
    if is_perfect(result):
        kappa = result.davies_fleiss
        why = f" (kappa undefined: {kappa.reason})" if not math.isfinite(kappa.value) else ""
        notes.append(f"Perfect agreement: every pair of answers agrees{why}.")
    if has_few_positives(result):
        most = max(result.positives.values())
        notes.append(
            f"Very few positives: no `{result.positive}` answer from any annotator."
            if most == 0
            else f"Very few positives: at most {most} `{result.positive}` answers per annotator "
            f"({_positives_text(result)}), so the kappas rest on a handful of answers."
        )
    if is_skewed(result):
        notes.append(
            f"One answer dominates: chance agreement {chance_agreement(result):.2f} against "
            f"{_percent(result.percent_agreement.value)} observed, so kappa is low although the answers "
            f"mostly agree (Gwet's AC1 {_number(result.gwet_ac1.value)})."
        )
    return notes


def _positives_text(result: FieldAgreement) -> str:
    return ", ".join(f"{a}: {n}" for a, n in result.positives.items())


def _sentences(parts: Sequence[str | None]) -> str:
    """Each non-empty part as a sentence: a capital first letter and a final period."""
    out = []
    for part in parts:
        text = (part or "").strip().rstrip(".")
        if text:
            out.append(text[0].upper() + text[1:] + ".")
    return " ".join(out)


def _estimate_json(e: Estimate) -> dict[str, object]:
    return {**e.as_dict(), "ci_method": e.ci_method if math.isfinite(e.ci_low) else None}


def _null_test(se_null: float, z: float, p_value: float) -> dict[str, float | None]:
    return {k: (float(v) if math.isfinite(v) else None) for k, v in (("se_null", se_null), ("z", z), ("p", p_value))}


def annotator_frame(results: Mapping[str, FieldAgreement]) -> pd.DataFrame:
    """Each annotator's agreement with the others, per field: field, annotator, n_pairs (pairs
    with a common item), n_defined (of them, with a defined kappa), mean_cohen_kappa (over the
    defined pairs), percent_agreement (their pairs' common items pooled), n_items (common items,
    summed over the pairs)."""
    rows = []
    for name, r in results.items():
        pairs = r.pairwise_cohen[r.pairwise_cohen["n_items"] > 0]
        for annotator in sorted(set(pairs["rater_a"]) | set(pairs["rater_b"])):
            mine = pairs[(pairs["rater_a"] == annotator) | (pairs["rater_b"] == annotator)]
            kappas = mine["kappa"].to_numpy(dtype=float)
            kappas = kappas[np.isfinite(kappas)]
            n = mine["n_items"].to_numpy(dtype=float)
            rows.append(
                {
                    "field": name,
                    "annotator": annotator,
                    "n_pairs": len(mine),
                    "n_defined": len(kappas),
                    "mean_cohen_kappa": float(kappas.mean()) if len(kappas) else math.nan,
                    "percent_agreement": float((mine["percent_agreement"] * n).sum() / n.sum()),
                    "n_items": int(n.sum()),
                }
            )
    columns = ["field", "annotator", "n_pairs", "n_defined", "mean_cohen_kappa", "percent_agreement", "n_items"]
    return pd.DataFrame(rows, columns=columns)


def report_json(results: Mapping[str, FieldAgreement]) -> list[dict[str, object]]:
    """One object per field: field; each statistic of `_statistics` as {value, se, ci_low,
    ci_high, reason, ci_method} (NaN as null, with the reason; krippendorff_alpha_ordinal null
    for a nominal field); null_test (Fleiss' kappa's se_null, z, p); per_category (each
    category's kappa with its null test); pairwise_cohen (per pair: rater_a, rater_b, n_items,
    kappa, percent_agreement); mean_cohen_pairs {defined, total}; annotators (`annotator_frame`
    rows); warnings; notes (`field_notes`); n_items, n_single, n_annotators, positive, positives."""
    annotators = annotator_frame(results)
    out: list[dict[str, object]] = []
    for name, r in results.items():
        stats: dict[str, object] = {k: _estimate_json(e) for k, e in _statistics(r).items()}
        stats.setdefault("krippendorff_alpha_ordinal", None)
        defined, total = defined_pairs(r)
        out.append(
            {
                "field": name,
                **stats,
                "null_test": _null_test(r.fleiss.se_null, r.fleiss.z, r.fleiss.p_value),
                "per_category": {
                    c: {**_estimate_json(k.estimate), "null_test": _null_test(k.se_null, k.z, k.p_value)}
                    for c, k in r.fleiss.per_category.items()
                },
                "pairwise_cohen": [pair.as_json() for pair in _pairs(r)],
                "mean_cohen_pairs": {"defined": defined, "total": total},
                "annotators": _records(annotators[annotators["field"] == name].drop(columns="field")),
                "warnings": list(r.warnings),
                "notes": field_notes(r),
                "n_items": r.n_items,
                "n_single": r.n_single,
                "n_annotators": r.n_annotators,
                "positive": r.positive,
                "positives": r.positives,
            }
        )
    return out


def _json_value(x: object) -> object:
    """A plain JSON value: NumPy scalars as Python ones, NaN as None."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): _json_value(v) for k, v in row.items()} for row in frame.to_dict("records")]


@dataclass(frozen=True)
class _Pair:
    """A row of a pairwise Cohen frame, its kappa as an Estimate."""

    rater_a: str
    rater_b: str
    n_items: int
    kappa: Estimate
    percent_agreement: float

    def as_json(self) -> dict[str, object]:
        return {
            "rater_a": self.rater_a,
            "rater_b": self.rater_b,
            "n_items": self.n_items,
            "kappa": _estimate_json(self.kappa),
            "percent_agreement": _json_value(self.percent_agreement),
        }


def _pairs(result: FieldAgreement) -> list[_Pair]:
    """The field's annotator pairs; their intervals are of the method of the pairs' mean."""
    method = result.mean_cohen.ci_method
    return [
        _Pair(
            str(a),
            str(b),
            int(n),
            Estimate(float(k), float(se), float(low), float(high), method, why if isinstance(why, str) else None),
            float(share),
        )
        for a, b, n, k, se, low, high, why, share in result.pairwise_cohen[PAIRWISE_COLUMNS].itertuples(index=False)
    ]


def revision_frame(before: Mapping[str, FieldAgreement], after: Mapping[str, FieldAgreement]) -> pd.DataFrame:
    """Per field (those of either round, round 2's order first): the headline kappa and percent
    agreement in round 1 and round 2, and their change (round 2 - round 1; NaN where either is
    undefined). Columns: field, kappa_round1, kappa_round2, kappa_change, percent_round1,
    percent_round2, percent_change."""
    rows = []
    for name in dict.fromkeys([*after, *before]):
        k1, k2 = (_headline(r[name]).value if name in r else math.nan for r in (before, after))
        p1, p2 = (r[name].percent_agreement.value if name in r else math.nan for r in (before, after))
        rows.append(
            {
                "field": name,
                "kappa_round1": k1,
                "kappa_round2": k2,
                "kappa_change": k2 - k1,
                "percent_round1": p1,
                "percent_round2": p2,
                "percent_change": p2 - p1,
            }
        )
    columns = [
        "field",
        "kappa_round1",
        "kappa_round2",
        "kappa_change",
        "percent_round1",
        "percent_round2",
        "percent_change",
    ]
    return pd.DataFrame(rows, columns=columns)


def _headline(result: FieldAgreement) -> Estimate:
    return _statistics(result)[HEADLINE]


def report_lines(report: AgreementReport) -> list[dict[str, object]]:
    """`report_json` of the round reported, each object with the header under "report" and its
    row of the revision table under "revision" (null without both rounds)."""
    header = header_dict(report)
    revision: dict[str, dict[str, object]] = {}
    if report.revision is not None:
        frame = revision_frame(*report.revision)
        revision = {str(row["field"]): row for row in _records(frame)}
    return [
        {**obj, "report": header, "revision": revision.get(str(obj["field"]))} for obj in report_json(report.results)
    ]


def report_frame(results: Mapping[str, FieldAgreement]) -> pd.DataFrame:
    """One row per field and statistic (`_statistics`). Fields with more than two categories
    also get a row per category kappa (`fleiss_kappa[<category>]`); Fleiss rows carry the null
    test (se_null, z, p_value), which other rows leave empty. percent_agreement, notes
    (`field_notes`) and warnings (joined with "; ") are the field's, on every row of the field."""
    rows = []
    for name, r in results.items():
        common = dict(
            field=name,
            n_items=r.n_items,
            n_single=r.n_single,
            n_annotators=r.n_annotators,
            positive=r.positive,
            positives="; ".join(f"{a}: {n}" for a, n in r.positives.items()),
            percent_agreement=r.percent_agreement.value,
            notes=" ".join(field_notes(r)),
            warnings="; ".join(r.warnings),
        )
        null = dict(se_null=r.fleiss.se_null, z=r.fleiss.z, p_value=r.fleiss.p_value)
        for statistic, e in _statistics(r).items():
            rows.append(
                {
                    **common,
                    "statistic": statistic,
                    **_estimate_columns(e),
                    **(null if statistic == "fleiss_kappa" else {}),
                }
            )
        if len(r.fleiss.per_category) > 2:
            for category, c in r.fleiss.per_category.items():
                rows.append(
                    {
                        **common,
                        "statistic": f"fleiss_kappa[{category}]",
                        **_estimate_columns(c.estimate),
                        "se_null": c.se_null,
                        "z": c.z,
                        "p_value": c.p_value,
                    }
                )
    columns = [
        "field",
        "statistic",
        "value",
        "se",
        "ci_low",
        "ci_high",
        "ci_method",
        "se_null",
        "z",
        "p_value",
        "percent_agreement",
        "n_items",
        "n_single",
        "n_annotators",
        "positive",
        "positives",
        "reason",
        "notes",
        "warnings",
    ]
    return pd.DataFrame(rows, columns=columns)


def _estimate_columns(e: Estimate) -> dict[str, float | str | None]:
    return dict(value=e.value, se=e.se, ci_low=e.ci_low, ci_high=e.ci_high, ci_method=e.ci_method, reason=e.reason)


# --- Markdown -------------------------------------------------------------------------------


def _number(x: float, digits: int = 3) -> str:
    """x to `digits` decimals ("—" for NaN), never "-0.000"."""
    return "—" if not math.isfinite(x) else f"{round(x, digits) + 0.0:.{digits}f}"


def _signed(x: float, percent: bool = False) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x * 100:+.1f} pp" if percent else f"{x:+.3f}"


def _percent(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.1%}"


def _ci(e: Estimate) -> str:
    return "—" if not math.isfinite(e.ci_low) else f"[{e.ci_low:.3f}, {e.ci_high:.3f}] ({e.ci_method})"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; a | inside a cell is escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(head), "|" + "---|" * len(head), *map(line, rows)]


def summary_line(results: Mapping[str, FieldAgreement]) -> str:
    """The paper-style sentence: the range of the headline kappa over the fields, then the
    exceptions, with their kappa: fields with very few positives, fields where one answer
    dominates; then fields with perfect agreement and fields where kappa is undefined (with the
    reason)."""
    values = {f: _headline(r).value for f, r in results.items() if math.isfinite(_headline(r).value)}
    few = [f for f in values if has_few_positives(results[f])]
    skewed = [f for f in values if f not in few and is_skewed(results[f])]
    in_range = {f: v for f, v in values.items() if f not in few and f not in skewed} or values
    clauses = []
    if in_range:
        ordered = sorted(in_range, key=in_range.__getitem__)
        low, high = ordered[0], ordered[-1]
        clauses.append(
            f"{HEADLINE_NAME} {in_range[low]:.2f} ({low}), the only field with a defined kappa"
            if len(ordered) == 1
            else f"{HEADLINE_NAME} between {in_range[low]:.2f} ({low}) and {in_range[high]:.2f} ({high}) "
            f"over {len(in_range)} fields"
        )
    else:
        clauses.append(f"{HEADLINE_NAME} is undefined for every field")
    groups = []
    if few and values.keys() - in_range.keys():
        most = ", ".join(str(max(results[f].positives.values())) for f in few)
        groups.append(f"{_kappas(values, few)} with very few positives (at most {most} positive answers per annotator)")
    if skewed and values.keys() - in_range.keys():
        chance = ", ".join(f"{chance_agreement(results[f]):.2f}" for f in skewed)
        groups.append(f"{_kappas(values, skewed)} where one answer dominates (chance agreement {chance})")
    if groups:
        clauses.append("except " + " and ".join(groups))
    perfect = [f for f, r in results.items() if f not in values and is_perfect(r)]
    if perfect:
        clauses.append(f"perfect agreement (100%, kappa undefined) on {', '.join(perfect)}")
    undefined = [f for f in results if f not in values and f not in perfect]
    if undefined and in_range:
        clauses.append("undefined for " + ", ".join(f"{f} ({_headline(results[f]).reason})" for f in undefined))
    return "; ".join(clauses) + "."


def _kappas(values: Mapping[str, float], fields: Sequence[str]) -> str:
    return ", ".join(f"{values[f]:.2f} ({f})" for f in fields)


def _overview(results: Mapping[str, FieldAgreement]) -> list[str]:
    rows = []
    for name, r in results.items():
        kappa = _headline(r)
        note = _sentences(
            [*(n.split(":")[0] for n in field_notes(r)), *(["interval unreliable"] if r.warnings else [])]
        )
        rows.append(
            [
                name,
                str(r.n_items),
                _number(kappa.value),
                _ci(kappa),
                _percent(r.percent_agreement.value),
                _number(r.gwet_ac1.value),
                _number(r.krippendorff.value),
                note,
            ]
        )
    head = ["field", "items", HEADLINE_NAME, "CI", "% agreement", "Gwet's AC1", "Krippendorff's alpha", "note"]
    return ["## Overview", "", *_table(head, rows), ""]


def _field_section(name: str, r: FieldAgreement, level: str) -> list[str]:
    positives = _positives_text(r) or "n/a"
    lines = [
        f"## {name}",
        "",
        f"{r.n_items} items with two or more answers ({r.n_single} with one answer left out), "
        f"{r.n_annotators} annotators; answers `{r.positive}` per annotator: {positives}. "
        f"Percent agreement: {_percent(r.percent_agreement.value)}.",
        "",
    ]
    notes = field_notes(r)
    if notes or r.warnings:
        lines += [*(f"- {n}" for n in notes), *(f"- {_sentences([f'warning: {w}'])}" for w in r.warnings), ""]
    stats = list(_statistics(r).items())
    if len(r.fleiss.per_category) > 2:
        stats += [(f"fleiss_kappa[{c}]", k.estimate) for c, k in r.fleiss.per_category.items()]
    defined, total = defined_pairs(r)
    rows = []
    for statistic, e in stats:
        parts: list[str | None] = [e.reason]
        if statistic == "fleiss_kappa" and math.isfinite(r.fleiss.z):
            parts.append(f"null test: z = {_number(r.fleiss.z, 2)}, p = {r.fleiss.p_value:.2g}")
        if statistic.startswith("fleiss_kappa["):
            category = r.fleiss.per_category[statistic[len("fleiss_kappa[") : -1]]
            if math.isfinite(category.z):
                parts.append(f"null test: z = {_number(category.z, 2)}, p = {category.p_value:.2g}")
        if statistic == "mean_cohen_kappa":
            parts.append(f"mean over the {defined} of {total} annotator pairs whose kappa is defined")
        rows.append([statistic, _number(e.value), _ci(e), _number(e.se), _sentences(parts)])
    lines += [*_table(["statistic", "value", f"{level} CI", "SE", "note"], rows), ""]
    pairs = [
        [
            f"{p.rater_a} – {p.rater_b}",
            str(p.n_items),
            _number(p.kappa.value),
            _ci(p.kappa),
            _percent(p.percent_agreement),
            _sentences([p.kappa.reason]),
        ]
        for p in _pairs(r)
    ]
    if pairs:
        lines += ["Cohen's kappa per annotator pair:", ""]
        lines += [*_table(["annotators", "items", "kappa", f"{level} CI", "% agreement", "note"], pairs), ""]
    return lines


def report_markdown(results: Mapping[str, FieldAgreement], confidence: float = 0.95) -> str:
    """A summary line, the overview table (headline kappa, percent agreement, AC1, alpha per
    field), then a section per field: statistics with CI, SE and notes, pairwise kappas."""
    return "\n".join(_markdown(results, confidence, []))


def _markdown(results: Mapping[str, FieldAgreement], confidence: float, middle: list[str]) -> list[str]:
    level = f"{round(confidence * 100):d}%"
    lines = ["# Inter-annotator agreement", "", summary_line(results), "", *_overview(results), *middle]
    for name, r in results.items():
        lines += _field_section(name, r, level)
    return lines


def _header_lines(report: AgreementReport) -> list[str]:
    h = header_dict(report)
    s = report.settings
    rows = [
        ["campaign", s.campaign or "—"],
        ["round", ROUND_NAMES.get(s.round, str(s.round)) if s.round is not None else "—"],
        ["source", s.source],
        ["annotators", f"{', '.join(report.annotators)} ({len(report.annotators)})"],
        ["items", str(report.n_items)],
        ["date", s.date],
        ["methods", str(h["methods"])],
        ["ordinal fields", ", ".join(s.ordinal) or "none"],
        ["intervals", str(h["intervals"])],
        ["bootstrap B", str(s.n_boot)],
        ["seed", str(s.seed)],
    ]
    return [*_table(["", ""], rows), ""]


def _revision_lines(report: AgreementReport) -> list[str]:
    if report.revision is None:
        return []
    frame = revision_frame(*report.revision)
    rows = [
        [
            row.field,
            _number(row.kappa_round1),
            _number(row.kappa_round2),
            _signed(row.kappa_change),
            _percent(row.percent_round1),
            _percent(row.percent_round2),
            _signed(row.percent_change, percent=True),
        ]
        for row in frame.itertuples()
    ]
    head = ["field", "kappa round 1", "kappa round 2", "change", "% agreement round 1", "% agreement round 2", "change"]
    return [
        "## Revision",
        "",
        f"{HEADLINE_NAME} and percent agreement of the first answers (round 1) and after revision (round 2).",
        "",
        *_table(head, rows),
        "",
    ]


def _annotator_lines(results: Mapping[str, FieldAgreement]) -> list[str]:
    frame = annotator_frame(results)
    if frame.empty:
        return []
    annotators = sorted(frame["annotator"].unique())
    cells = {
        (r.field, r.annotator): f"{_number(r.mean_cohen_kappa)} ({_percent(r.percent_agreement)})"
        for r in frame.itertuples()
    }
    rows = [[name, *(cells.get((name, a), "—") for a in annotators)] for name in results]
    return [
        "## Annotators",
        "",
        "Each annotator's agreement with the others: the mean of their pairs' Cohen's kappas (over the "
        "pairs whose kappa is defined) and, in brackets, percent agreement over their common items.",
        "",
        *_table(["field", *annotators], rows),
        "",
    ]


def full_markdown(report: AgreementReport, plot: str | None = None) -> str:
    """`report_markdown` with the header, the revision table, each annotator's agreement with
    the others and, when `plot` names the forest plot's file, the plot."""
    middle = _revision_lines(report) + _annotator_lines(report.results)
    if plot is not None:
        middle += ["## Forest plot", "", f"![{HEADLINE_NAME} per field with its intervals]({plot})", ""]
    lines = _markdown(report.results, report.settings.confidence, middle)
    return "\n".join(lines[:2] + _header_lines(report) + lines[2:])


def pairwise_frame(results: Mapping[str, FieldAgreement]) -> pd.DataFrame:
    """Cohen's kappa and percent agreement per field and annotator pair: field, then `PAIRWISE_COLUMNS`."""
    frames = [r.pairwise_cohen.assign(field=f) for f, r in results.items()]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["field", *PAIRWISE_COLUMNS])
    return frame[["field", *PAIRWISE_COLUMNS]]


def write_report(report: AgreementReport, out_dir: str | Path) -> list[Path]:
    """Writes into `out_dir`: agreement.md (`full_markdown`), agreement.json (`report_lines`,
    one array), agreement.csv (`report_frame`), agreement_pairwise.csv (Cohen's kappa and
    percent agreement per annotator pair and field) and agreement_forest.png (`forest_frame`
    drawn by plots.forest_plot)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = ["agreement.md", "agreement.json", "agreement.csv", "agreement_pairwise.csv", "agreement_forest.png"]
    paths = [out / n for n in names]
    paths[0].write_text(full_markdown(report, plot=names[4]) + "\n", encoding="utf-8")
    paths[1].write_text(json.dumps(report_lines(report), indent=1) + "\n", encoding="utf-8")
    report_frame(report.results).to_csv(paths[2], index=False)
    pairwise_frame(report.results).to_csv(paths[3], index=False)
    paths[4].write_bytes(png_bytes(forest_plot(forest_frame(report), HEADLINE_NAME)))
    return paths


def forest_frame(report: AgreementReport) -> pd.DataFrame:
    """The forest plot's points: the headline kappa per field and series (`AgreementReport.series`).
    Columns: field, series, value, ci_low, ci_high, ci_method, percent_agreement, reason."""
    rows = [
        {
            "field": name,
            "series": series,
            **_estimate_columns(_headline(r)),
            "percent_agreement": r.percent_agreement.value,
        }
        for series, results in report.series().items()
        for name, r in results.items()
    ]
    columns = ["field", "series", "value", "ci_low", "ci_high", "ci_method", "percent_agreement", "reason"]
    return pd.DataFrame(rows, columns=columns)


def header_frame(report: AgreementReport) -> pd.DataFrame:
    """The header as a two-column table (item, value), for pages."""
    return pd.DataFrame(
        [(k, ", ".join(v) if isinstance(v, list) else str(v)) for k, v in header_dict(report).items()],
        columns=["item", "value"],
    )
