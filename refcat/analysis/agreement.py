"""Inter-annotator agreement for nominal labels.

Conventions:
- Labels are nominal. Missing answers are None, NaN or "" and are never a category.
- Undefined statistics (chance agreement equal to 1, fewer than two annotators, no
  items rated twice) are NaN together with a reason, never a silent NaN.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd

from refcat.errors import UsageError

log = logging.getLogger(__name__)


def _is_missing(values: pd.Series) -> np.ndarray:
    return (values.isna() | (values.astype(str) == "")).to_numpy()


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's (1960) kappa between two equal-length label sequences.

    kappa = (p_o - p_e) / (1 - p_e), p_o the proportion of positions with equal labels,
    p_e = sum_j p_aj p_bj from each sequence's own label proportions.
    Positions where either label is missing are left out. Returns NaN, with a logged
    reason, when kappa is undefined: no position labelled by both, or p_e = 1 (both
    sequences use one and the same label throughout). Unequal lengths raise UsageError.
    """
    if len(a) != len(b):
        raise UsageError(f"cohen_kappa needs equal-length sequences, got {len(a)} and {len(b)}")
    sa, sb = pd.Series(list(a), dtype=object), pd.Series(list(b), dtype=object)
    keep = ~(_is_missing(sa) | _is_missing(sb))
    if not keep.any():
        log.warning("cohen_kappa undefined: no position labelled in both sequences")
        return float("nan")
    codes, _ = pd.factorize(pd.concat([sa[keep], sb[keep]], ignore_index=True).astype(str))
    n = int(keep.sum())
    ca, cb = codes[:n], codes[n:]
    k = int(codes.max()) + 1
    p_o = float(np.mean(ca == cb))
    p_e = float(np.bincount(ca, minlength=k) @ np.bincount(cb, minlength=k)) / n**2
    if p_e >= 1.0:
        log.warning("cohen_kappa undefined: both sequences use a single, identical label")
        return float("nan")
    return (p_o - p_e) / (1.0 - p_e)
