"""Predicted categories against reference labels: precision, recall, F1 and Cohen's kappa.

For each category, rows where the reference is missing (pd.NA: not labelled) are left out.
precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn);
each is NaN when its denominator is 0. Cohen's kappa comes from
refcat.analysis.agreement.cohen_kappa (NaN when undefined, e.g. one label throughout).
"""

from __future__ import annotations

from collections.abc import Iterable

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
