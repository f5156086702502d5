"""Predicted categories against reference labels: precision, recall, F1 and Cohen's kappa.

For each category, rows where the reference is missing (pd.NA: not labelled) are left out.
precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn);
each is NaN when its denominator is 0. Cohen's kappa comes from
refcat.analysis.agreement.cohen_kappa (NaN when undefined, e.g. one label throughout).
`compare_sources` puts several categorizers' scores on the same reference side by side, with the
worst drop of one against a baseline (how the learned categorizer with fallback is checked against
the rules, refcat.categorize.learned).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from refcat.analysis.agreement import cohen_kappa


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def category_scores(reference: pd.DataFrame, predicted: pd.DataFrame, categories: Iterable[str]) -> pd.DataFrame:
    """One row per category: n, tp, fp, fn, precision, recall, f1, kappa (row-aligned inputs)."""
    rows = []
    for cat in categories:
        ref = pd.to_numeric(reference[cat], errors="coerce").to_numpy(dtype=float)
        pred = pd.to_numeric(predicted[cat], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(ref) & ~np.isnan(pred)
        r, p = ref[keep].astype(int), pred[keep].astype(int)
        tp, fp, fn = (
            int(((r == 1) & (p == 1)).sum()),
            int(((r == 0) & (p == 1)).sum()),
            int(((r == 1) & (p == 0)).sum()),
        )
        rows.append(
            {
                "category": cat,
                "n": int(keep.sum()),
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "precision": _ratio(tp, tp + fp),
                "recall": _ratio(tp, tp + fn),
                "f1": _ratio(2 * tp, 2 * tp + fp + fn),
                "kappa": cohen_kappa(r.tolist(), p.tolist()) if keep.any() else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("category")


def compare_sources(
    reference: pd.DataFrame,
    predicted: Mapping[str, pd.DataFrame],
    categories: Iterable[str],
    metrics: Iterable[str] = ("f1", "kappa"),
) -> pd.DataFrame:
    """`category_scores` of each named prediction (row-aligned with `reference`), side by side: one row per
    category, columns (metric, name) in the order given, plus `n` (the rows scored, from the first prediction;
    predictions without missing cells all score the reference's labelled rows)."""
    cats, metrics = list(categories), list(metrics)
    scores = {name: category_scores(reference, pred, cats) for name, pred in predicted.items()}
    table = pd.concat({m: pd.DataFrame({name: s[m] for name, s in scores.items()}) for m in metrics}, axis=1)
    table.insert(0, ("n", ""), next(iter(scores.values()))["n"])
    return table


def losses(table: pd.DataFrame, name: str, baseline: str, tolerance: float = 0.0) -> pd.DataFrame:
    """Rows of `compare_sources`'s table where `name` scores below `baseline` by more than `tolerance` on any
    metric, with the differences (name - baseline) per metric; NaN scores are not compared."""
    metrics = [m for m in table.columns.get_level_values(0).unique() if m != "n"]
    diff = pd.DataFrame({m: table[(m, name)] - table[(m, baseline)] for m in metrics})
    return diff[(diff < -tolerance).any(axis=1)]
