"""Segmentation metrics: DAVIS region similarity J and boundary F, and the A2D IoU conventions.

Masks are 2-D arrays; any nonzero value is foreground. `void` marks pixels excluded
from evaluation (DAVIS label 255). Every function states its convention; the sources are
- DAVIS-2017 benchmark, davis2017-evaluation `davis2017/metrics.py` and `utils.py`
  (Perazzi et al. 2016; Pont-Tuset et al. 2017): J, F, seg2bmap, mean/recall/decay;
- A2D Sentences (Gavrilyuk et al. 2018): overall IoU, mean IoU, precision@K, in the
  two forms found in public code, selectable by name (see `CONVENTIONS`).

Boundary F is computed from boundary pixel coordinates only (boundaries found inside the
mask's bounding box, the disk match counted with row prefix sums), which gives exactly
the dilation-based definition at a fraction of its cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from refcat.errors import UsageError

DAVIS_BOUND_TH = 0.008
PRECISION_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
CONVENTIONS = {
    "mttr": "IoU > t; empty prediction vs empty ground truth scores 1; frames where the referent "
    "is absent are skipped (MTTR / ReferFormer A2D evaluation)",
    "refvos": "IoU >= t; a union of 0 scores 0; frames where the referent is absent are scored "
    "against an empty mask (RefVOS / RefCOCO-style evaluation)",
}
BoolMask = npt.NDArray[np.bool_]


def _as_mask(values: npt.ArrayLike) -> BoolMask:
    """`values` as a bool array, nonzero = True (no copy when it already is one)."""
    return np.asarray(values).astype(bool, copy=False)


def _non_void(pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None) -> tuple[BoolMask, BoolMask]:
    """The prediction and ground truth as bool masks of one 2-D shape, void pixels cleared in both."""
    pred_mask, gt_mask = _as_mask(pred), _as_mask(gt)
    if pred_mask.ndim != 2 or pred_mask.shape != gt_mask.shape:
        raise UsageError(
            f"prediction {pred_mask.shape} and ground truth {gt_mask.shape} differ",
            expected="two 2-D masks of one shape",
        )
    if void is None:
        return pred_mask, gt_mask
    void_mask = _as_mask(void)
    if void_mask.shape != gt_mask.shape:
        raise UsageError(f"void mask {void_mask.shape} differs from ground truth {gt_mask.shape}")
    if not void_mask.any():
        return pred_mask, gt_mask
    return pred_mask & ~void_mask, gt_mask & ~void_mask


def intersection_union(pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None) -> tuple[int, int]:
    """Pixel counts |pred & gt| and |pred | gt|, void pixels excluded from both."""
    pred_mask, gt_mask = _non_void(pred, gt, void)
    return int(np.count_nonzero(pred_mask & gt_mask)), int(np.count_nonzero(pred_mask | gt_mask))


def region_similarity(pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None) -> float:
    """DAVIS J: |pred & gt| / |pred | gt| over non-void pixels; empty vs empty (union 0) is 1.

    Source: davis2017-evaluation `db_eval_iou`.
    """
    return region_similarity_from_counts(*intersection_union(pred, gt, void))


def region_similarity_from_counts(inter: int, union: int) -> float:
    """DAVIS J from pixel counts: inter / union, and 1 when the union is empty."""
    return 1.0 if union == 0 else inter / union


def boundary_tolerance(shape: tuple[int, int], bound_th: float = DAVIS_BOUND_TH) -> int:
    """Matching radius in pixels: ceil(bound_th * image diagonal) when bound_th < 1, else bound_th itself.

    Source: davis2017-evaluation `f_measure` (`bound_pix`). A radius given in pixels must be whole,
    as the DAVIS disk structuring element is only defined for whole radii.
    """
    if bound_th < 0:
        raise UsageError(f"bound_th {bound_th} is negative", expected="a fraction of the diagonal or whole pixels")
    if bound_th >= 1:
        if bound_th != int(bound_th):
            raise UsageError(f"bound_th {bound_th} >= 1 is a radius in pixels and must be whole")
        return int(bound_th)
    return math.ceil(bound_th * math.hypot(shape[0], shape[1]))


def boundary_map(mask: npt.ArrayLike) -> BoolMask:
    """seg2bmap (D. Martin, 2003; davis2017-evaluation `_seg2bmap`), same size as the mask.

    A pixel is on the boundary when it differs from its right, lower or lower-right
    neighbour. On the last row only the right neighbour counts, on the last column only
    the lower one, and the bottom-right pixel is never a boundary: the same as comparing
    with the mask padded by repeating its last row and column.
    """
    seg = _as_mask(mask)
    padded = np.pad(seg, ((0, 1), (0, 1)), mode="edge")
    edges: BoolMask = (seg != padded[:-1, 1:]) | (seg != padded[1:, :-1]) | (seg != padded[1:, 1:])
    return edges


def boundary_points(mask: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """(N, 2) int array of the (row, col) pixels of `boundary_map(mask)`, row-major order.

    Works on the mask's bounding box grown by one pixel up and left (where boundary pixels
    can be) and one down and right (the neighbours they are compared with); beyond the
    image edge the mask repeats its last row/column, as in `boundary_map`.
    """
    seg = _as_mask(mask)
    rows = np.flatnonzero(seg.any(axis=1))
    if rows.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    cols = np.flatnonzero(seg[rows[0] : rows[-1] + 1].any(axis=0))
    r0, c0 = max(rows[0] - 1, 0), max(cols[0] - 1, 0)
    r1, c1 = min(rows[-1] + 2, seg.shape[0]), min(cols[-1] + 2, seg.shape[1])
    points = np.argwhere(boundary_map(seg[r0:r1, c0:c1]))
    points += (r0, c0)
    return points


def _matched(points: npt.NDArray[np.int64], targets: npt.NDArray[np.int64], radius: int) -> int:
    """How many `points` have a target point within the disk of `radius` around them.

    Equals the DAVIS count `sum(boundary * dilate(target_boundary, disk(radius)))`. The disk
    (skimage `disk`) holds the offsets with dy^2 + dx^2 <= radius^2, i.e. for each row offset
    dy the run |dx| <= isqrt(radius^2 - dy^2); targets in a run are counted with prefix sums
    along the rows of the targets' bounding box, so only boundary pixels are visited.
    """
    lo, hi = targets.min(axis=0), targets.max(axis=0)
    near = np.all((points >= lo - radius) & (points <= hi + radius), axis=1)
    if not near.any():
        return 0
    pts = points[near] - lo
    height, width = hi - lo + 1
    pad = 2 * radius  # rows above and below, so that every row a point can reach exists
    prefix = np.zeros((height + 2 * pad, width + 1), dtype=np.int32)
    prefix[targets[:, 0] - lo[0] + pad, targets[:, 1] - lo[1] + 1] = 1
    np.cumsum(prefix, axis=1, out=prefix)  # prefix[y, j] = targets in row y with column < j
    dy = np.arange(-radius, radius + 1)
    half = np.array([math.isqrt(radius * radius - int(d) * int(d)) for d in dy])
    rows = (pts[:, :1] + dy + pad) * (width + 1)
    left = np.clip(pts[:, 1:] - half, 0, width)
    right = np.clip(pts[:, 1:] + half + 1, 0, width)
    flat = prefix.ravel()
    return int(np.count_nonzero((flat[rows + right] > flat[rows + left]).any(axis=1)))


def boundary_precision_recall(
    pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None, bound_th: float = DAVIS_BOUND_TH
) -> tuple[float, float]:
    """Boundary precision and recall of DAVIS F (see `boundary_f_measure`)."""
    pred_mask, gt_mask = _non_void(pred, gt, void)
    height, width = pred_mask.shape
    radius = boundary_tolerance((height, width), bound_th)
    fg, gt_b = boundary_points(pred_mask), boundary_points(gt_mask)
    if len(fg) == 0 and len(gt_b) == 0:
        return 1.0, 1.0
    if len(fg) == 0:
        return 1.0, 0.0
    if len(gt_b) == 0:
        return 0.0, 1.0
    return _matched(fg, gt_b, radius) / len(fg), _matched(gt_b, fg, radius) / len(gt_b)


def boundary_f_measure(
    pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None, bound_th: float = DAVIS_BOUND_TH
) -> float:
    """DAVIS F: harmonic mean of boundary precision and recall, exactly as davis2017-evaluation `f_measure`.

    Void pixels are cleared from both masks first; boundaries come from seg2bmap
    (`boundary_map`); a boundary pixel matches when a boundary pixel of the other mask lies
    within the disk of radius `boundary_tolerance(shape, bound_th)` (8 px at 854x480).
    Empty boundaries: none in either -> P = R = 1; only the prediction empty -> P = 1, R = 0;
    only the ground truth empty -> P = 0, R = 1. F = 0 when P + R = 0.
    """
    precision, recall = boundary_precision_recall(pred, gt, void, bound_th)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


class DavisStatistics(NamedTuple):
    mean: float
    recall: float
    decay: float


def davis_statistics(per_frame: npt.ArrayLike) -> DavisStatistics:
    """Mean, recall (share of frames > 0.5) and decay of one object's per-frame J or F, in frame order.

    Source: davis2017-evaluation `utils.db_statistics`. Decay: the frames are cut into four
    bins at indices round(linspace(1, n, 5)) - 1, bin i spanning ids[i]..ids[i+1] inclusive
    (neighbouring bins share their edge frame); decay = mean(first bin) - mean(last bin).
    NaNs are ignored. (The original casts the bin indices to uint8, which wraps past 255
    frames; here they stay integers.)
    """
    values = np.asarray(per_frame, dtype=float)
    if values.size == 0:
        return DavisStatistics(math.nan, math.nan, math.nan)
    valid = ~np.isnan(values)
    mean = float(np.mean(values[valid])) if valid.any() else math.nan
    recall = float(np.mean(values[valid] > 0.5)) if valid.any() else math.nan
    ids = (np.round(np.linspace(1, len(values), 5) + 1e-10) - 1).astype(int)
    bins = [values[ids[i] : ids[i + 1] + 1] for i in range(4)]
    first, last = bins[0][~np.isnan(bins[0])], bins[3][~np.isnan(bins[3])]
    decay = float(first.mean() - last.mean()) if first.size and last.size else math.nan
    return DavisStatistics(mean, recall, decay)


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise UsageError(f"unknown IoU convention {convention!r}", expected=" or ".join(CONVENTIONS))


def sample_ious(
    inter: npt.ArrayLike, union: npt.ArrayLike, gt_present: npt.ArrayLike, convention: str
) -> npt.NDArray[np.float64]:
    """Per-sample IoU under a named convention; NaN marks a sample the convention skips.

    `mttr`: absent-referent samples are NaN (skipped); union 0 scores 1.
    `refvos`: every sample counts (an absent referent has an empty ground truth, so its
    I = 0 and U = |prediction|); union 0 scores 0.
    """
    _check_convention(convention)
    i = np.asarray(inter, dtype=np.float64)
    u = np.asarray(union, dtype=np.float64)
    empty_score = 1.0 if convention == "mttr" else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        iou: npt.NDArray[np.float64] = np.where(u > 0, i / np.where(u > 0, u, 1), empty_score)
    if convention == "mttr":
        iou = np.where(np.asarray(gt_present, dtype=bool), iou, np.nan)
    return iou


def overall_iou(sum_inter: float, sum_union: float, convention: str) -> float:
    """Overall IoU = sum of intersections / sum of unions over the kept samples; an empty total
    union gives the convention's empty score (1 for `mttr`, 0 for `refvos`)."""
    _check_convention(convention)
    if sum_union > 0:
        return sum_inter / sum_union
    return 1.0 if convention == "mttr" else 0.0


def iou_summary(
    inter: npt.ArrayLike,
    union: npt.ArrayLike,
    gt_present: npt.ArrayLike,
    convention: str,
    thresholds: Iterable[float] = PRECISION_THRESHOLDS,
) -> dict[str, float]:
    """A2D-style summary: overall IoU (sum I / sum U), mean IoU, precision@t, and the sample count.

    Both sums and means run over the samples the convention keeps (`sample_ious`).
    `mttr` counts IoU > t, `refvos` counts IoU >= t. Overall IoU of a set whose unions
    are all 0 follows the convention's empty score.
    """
    iou = sample_ious(inter, union, gt_present, convention)
    keep = ~np.isnan(iou)
    n = int(keep.sum())
    result: dict[str, float] = {"samples": n}
    if n == 0:
        result.update({"overall_iou": math.nan, "mean_iou": math.nan})
        result.update({f"precision@{t:g}": math.nan for t in thresholds})
        return result
    sum_i = float(np.asarray(inter, dtype=float)[keep].sum())
    sum_u = float(np.asarray(union, dtype=float)[keep].sum())
    result["overall_iou"] = overall_iou(sum_i, sum_u, convention)
    result["mean_iou"] = float(iou[keep].mean())
    for t in thresholds:
        hits = iou[keep] > t if convention == "mttr" else iou[keep] >= t
        result[f"precision@{t:g}"] = float(hits.mean())
    return result
