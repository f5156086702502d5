"""Agreement report over a long label table (item, annotator, field, label): one block per field.

Shaped like the RefVOS paper's report (Section 4: "kappa between .83 and .97, except
obj-static, kappa = .35, which has only 5 positively labelled instances"): for each field
the statistics with their CIs, the number of items, and the positives per annotator.
Taxonomy fields (refcat.taxonomy.FIELD_VALUES) use their fixed category list,
so a category nobody chose still counts; other fields use the labels seen.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from refcat.analysis.agreement import Estimate, FieldAgreement, field_agreement
from refcat.analysis.agreement_layouts import split_fields
from refcat.taxonomy import CATEGORY_NAMES, FIELD_VALUES, YES

# The label counted as "positive" per annotator: presence for a category; for the other
# taxonomy fields the label the paper's report counts (non-trivial, valid, redundant).
POSITIVE_LABELS: dict[str, str] = {
    "difficulty": "non-trivial",
    "correctness": "valid",
    "information": "redundant",
    **dict.fromkeys(CATEGORY_NAMES, YES),
}


def agreement_by_field(
    long: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95, source: str = "label table"
) -> dict[str, FieldAgreement]:
    """`field_agreement` for each field of a long table with columns item, annotator, field, label.

    Fields not in the taxonomy count as positive their least frequent label (ties: the
    first in sorted order)."""
    out = {}
    for field, table in split_fields(long, categories=dict(FIELD_VALUES), source=source):
        positive = POSITIVE_LABELS.get(field)
        if positive is None and table.n_categories:
            used = pd.Series(table.codes[table.codes >= 0]).value_counts()
            rarest = sorted((n, table.categories[c]) for c, n in used.items())
            positive = rarest[0][1]
        out[field] = field_agreement(table, n_boot=n_boot, seed=seed, confidence=confidence, positive=positive)
    return out


def _statistics(result: FieldAgreement) -> dict[str, Estimate]:
    return {
        "fleiss_kappa": result.fleiss.kappa,
        "davies_fleiss_kappa": result.davies_fleiss,
        "krippendorff_alpha": result.krippendorff,
        "mean_cohen_kappa": result.mean_cohen,
    }


def _positives_text(result: FieldAgreement) -> str:
    return "; ".join(f"{a}: {n}" for a, n in result.positives.items())


def report_frame(results: dict[str, FieldAgreement]) -> pd.DataFrame:
    """One row per field and statistic. Fields with more than two categories also get a
    row per category kappa (`fleiss_kappa[<category>]`); Fleiss rows carry the null test
    (se_null, z, p_value), which other rows leave empty."""
    rows = []
    for field, r in results.items():
        common = dict(
            field=field,
            n_items=r.n_items,
            n_single=r.n_single,
            n_annotators=r.n_annotators,
            positive=r.positive,
            positives=_positives_text(r),
        )
        null = dict(se_null=r.fleiss.se_null, z=r.fleiss.z, p_value=r.fleiss.p_value)
        for name, e in _statistics(r).items():
            rows.append(
                {**common, "statistic": name, **_estimate_columns(e), **(null if name == "fleiss_kappa" else {})}
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
        "n_items",
        "n_single",
        "n_annotators",
        "positive",
        "positives",
        "reason",
    ]
    return pd.DataFrame(rows, columns=columns)


def _estimate_columns(e: Estimate) -> dict[str, float | str | None]:
    return dict(value=e.value, se=e.se, ci_low=e.ci_low, ci_high=e.ci_high, ci_method=e.ci_method, reason=e.reason)


def report_json(results: dict[str, FieldAgreement]) -> list[dict[str, object]]:
    """One object per field: field, the four statistics as {value, se, ci_low, ci_high, reason}
    (NaN as null, with the reason), n_items, n_single, n_annotators, positive, positives."""
    return [
        {
            "field": field,
            **{name: e.as_dict() for name, e in _statistics(r).items()},
            "n_items": r.n_items,
            "n_single": r.n_single,
            "n_annotators": r.n_annotators,
            "positive": r.positive,
            "positives": r.positives,
        }
        for field, r in results.items()
    ]


def _number(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.3f}"


def summary_line(results: dict[str, FieldAgreement]) -> str:
    """The paper-style sentence: range of the headline kappa, and the fields outside it."""
    values = {f: r.davies_fleiss.value for f, r in results.items() if math.isfinite(r.davies_fleiss.value)}
    if not values:
        return "Davies & Fleiss' kappa is undefined for every field."
    ordered = sorted(values, key=values.__getitem__)
    text = (
        f"Davies & Fleiss' kappa between {values[ordered[0]]:.2f} ({ordered[0]}) and "
        f"{values[ordered[-1]]:.2f} ({ordered[-1]}) over {len(values)} fields"
    )
    undefined = [f for f in results if f not in values]
    if undefined:
        text += f"; undefined for {', '.join(undefined)}"
    return text + "."


def report_markdown(results: dict[str, FieldAgreement], confidence: float = 0.95) -> str:
    """A summary line, then a table per field: statistic, value, CI, SE, note."""
    level = f"{round(confidence * 100):d}%"
    lines = ["# Inter-annotator agreement", "", summary_line(results), ""]
    for field, r in results.items():
        positives = _positives_text(r) or "n/a"
        lines += [
            f"## {field}",
            "",
            f"{r.n_items} items with two or more answers ({r.n_single} with one answer left out), "
            f"{r.n_annotators} annotators; answers `{r.positive}` per annotator: {positives}.",
            "",
            f"| statistic | value | {level} CI | SE | note |",
            "|---|---|---|---|---|",
        ]
        stats = list(_statistics(r).items())
        if len(r.fleiss.per_category) > 2:
            stats += [(f"fleiss_kappa[{c}]", k.estimate) for c, k in r.fleiss.per_category.items()]
        for name, e in stats:
            ci = "—" if not math.isfinite(e.ci_low) else f"[{e.ci_low:.3f}, {e.ci_high:.3f}] ({e.ci_method})"
            note = e.reason or ""
            if name == "fleiss_kappa" and math.isfinite(r.fleiss.z):
                note = (note + " " if note else "") + f"null test: z = {r.fleiss.z:.2f}, p = {r.fleiss.p_value:.2g}"
            lines.append(f"| {name} | {_number(e.value)} | {ci} | {_number(e.se)} | {note} |")
        lines.append("")
    return "\n".join(lines)


def write_report(results: dict[str, FieldAgreement], out_dir: str | Path, confidence: float = 0.95) -> list[Path]:
    """Writes agreement.csv (`report_frame`), agreement.md (`report_markdown`) and
    agreement_pairwise.csv (Cohen's kappa per annotator pair) into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "agreement.csv", out / "agreement.md", out / "agreement_pairwise.csv"]
    report_frame(results).to_csv(paths[0], index=False)
    paths[1].write_text(report_markdown(results, confidence) + "\n", encoding="utf-8")
    pairwise = pd.concat(
        [r.pairwise_cohen.assign(field=f) for f, r in results.items()] or [_empty_pairwise()], ignore_index=True
    )
    pairwise[["field", *pairwise.columns.drop("field")]].to_csv(paths[2], index=False)
    return paths


def _empty_pairwise() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["field", "rater_a", "rater_b", "n_items", "kappa", "se", "ci_low", "ci_high", "reason"]
    )
