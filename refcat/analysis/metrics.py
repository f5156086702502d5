"""Segmentation metrics: DAVIS region similarity J and boundary F, and the A2D IoU conventions.

Masks are 2-D arrays; any nonzero value is foreground. `void` marks pixels excluded
from evaluation (DAVIS label 255). Every function states its convention; the sources are
- DAVIS-2017 benchmark, davis2017-evaluation `davis2017/metrics.py` and `utils.py`
  (Perazzi et al. 2016; Pont-Tuset et al. 2017): J, F, seg2bmap, mean/recall/decay;
- A2D Sentences (Gavrilyuk et al. 2018): overall IoU, mean IoU, precision@K, in the
  two forms found in public code, selectable by name (see `CONVENTIONS`).

J and F are computed on packed bits inside the window that holds both masks (64 pixels of a
row to a machine word; see `_Packed`), which gives exactly the official full-frame,
dilation-based results at a fraction of their cost (benchmarks/bench_metrics.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
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


def _pair(
    pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None
) -> tuple[BoolMask, BoolMask, BoolMask | None]:
    """The prediction, the ground truth and the void pixels (or None) as bool masks of one 2-D shape."""
    pred_mask, gt_mask = _as_mask(pred), _as_mask(gt)
    if pred_mask.ndim != 2 or pred_mask.shape != gt_mask.shape:
        raise UsageError(
            f"prediction {pred_mask.shape} and ground truth {gt_mask.shape} differ",
            expected="two 2-D masks of one shape",
        )
    if void is None:
        return pred_mask, gt_mask, None
    void_mask = _as_mask(void)
    if void_mask.shape != gt_mask.shape:
        raise UsageError(f"void mask {void_mask.shape} differs from ground truth {gt_mask.shape}")
    return pred_mask, gt_mask, void_mask


def intersection_union(pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None) -> tuple[int, int]:
    """Pixel counts |pred & gt| and |pred | gt|, void pixels excluded from both."""
    packed = _packed_pair(*_pair(pred, gt, void), radius=0)
    return (0, 0) if packed is None else packed.region_counts()


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
    seg = _as_2d_mask(mask)
    edges: BoolMask = np.zeros(seg.shape, dtype=bool)
    points = boundary_points(seg)
    edges[points[:, 0], points[:, 1]] = True
    return edges


def boundary_points(mask: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """(N, 2) int array of the (row, col) pixels of `boundary_map(mask)`, row-major order."""
    seg = _as_2d_mask(mask)
    extent = _extent(seg)
    if extent is None:
        return np.zeros((0, 2), dtype=np.int64)
    packed = _Packed.of([seg], extent, radius=0)
    edges = packed.boundaries().one(0)  # (words, rows)
    rows = np.ascontiguousarray(edges.T, dtype=np.dtype("<u8")).view(np.uint8)
    unpacked = np.unpackbits(rows, axis=1, bitorder="little").astype(bool)
    points: npt.NDArray[np.int64] = np.argwhere(unpacked).astype(np.int64)
    points += (packed.y0, packed.x0)
    return points


# ----- boundary F on packed bits
#
# The boundaries of both masks are computed and matched inside one window of the image that holds
# every boundary pixel either mask can have, as bits: a 64-bit word holds 64 neighbouring pixels of
# a row (window column x in bit x % 64 of word x // 64). The words are laid out flat, word column by
# word column: [word 0 of mask 0, rows 0..n-1][word 0 of mask 1, rows 0..n-1][word 1 of mask 0]...,
# so that every operation runs over one contiguous array. Moving the image by dy rows is an offset of
# dy in that array (the window has `radius` empty rows above and below, so nothing that matters
# crosses into the neighbouring block), and moving it along its rows is a bit shift with a carry
# from the neighbouring word, one block away. The disk dilation of DAVIS is an OR of row-shifted
# horizontal dilations (one per half-width of the disk's rows), each grown from the last by
# spreading; a matched boundary pixel count is a popcount of an AND.

Extent = tuple[int, int, int, int]  # first row, last row, first column, last column (inclusive)
PackedBits = npt.NDArray[np.uint64]
_ONE, _63 = np.uint64(1), np.uint64(63)


def _as_2d_mask(values: npt.ArrayLike) -> BoolMask:
    mask = _as_mask(values)
    if mask.ndim != 2:
        raise UsageError(f"mask of shape {mask.shape}", expected="a 2-D mask")
    return mask


def _shape(mask: BoolMask) -> tuple[int, int]:
    height, width = mask.shape
    return int(height), int(width)


def _extent(mask: BoolMask) -> Extent | None:
    """The rows and columns that hold the mask's pixels, or None when it has none."""
    rows = _rows_with_pixels(mask)
    if rows is None:
        return None
    top, bottom = rows
    cols = np.flatnonzero(mask[top : bottom + 1].any(axis=0))
    return top, bottom, int(cols[0]), int(cols[-1])


def _rows_with_pixels(mask: BoolMask) -> tuple[int, int] | None:
    """The first and last row with a pixel, or None. Rows are tested eight at a time where the mask is
    C-ordered: eight rows are `width` whole 64-bit words, ORed together; then rows one by one in the first
    and last such group, and in the rows past the last group."""
    height, width = mask.shape
    grouped = 8 * (height // 8) if mask.flags.c_contiguous else 0
    words = mask[:grouped].reshape(-1).view(np.uint64).reshape(-1, width)
    groups = np.flatnonzero(np.bitwise_or.reduce(words, axis=1)) if grouped else np.zeros(0, dtype=np.intp)
    rest = np.flatnonzero(mask[grouped:].any(axis=1)) + grouped
    if groups.size == 0 and rest.size == 0:
        return None
    first = 8 * int(groups[0]) if groups.size else int(rest[0])
    last = int(rest[-1]) if rest.size else 8 * int(groups[-1]) + 7
    top = first + int(np.flatnonzero(mask[first : first + 8].any(axis=1))[0]) if groups.size else first
    bottom = last if rest.size else last - 7 + int(np.flatnonzero(mask[last - 7 : last + 1].any(axis=1))[-1])
    return top, bottom


class _Packed(NamedTuple):
    """Masks inside the window of image rows y0 <= y < y0 + rows and columns x0 <= x < x0 + 64 * words."""

    bits: PackedBits  # flat, (words, masks, rows) in C order
    y0: int
    x0: int
    words: int
    masks: int
    rows: int
    image: tuple[int, int]  # (height, width) of the image

    @classmethod
    def of(cls, masks: Sequence[BoolMask], extent: Extent, radius: int, void: BoolMask | None = None) -> _Packed:
        """The masks packed in the window around `extent` (that of all of them together): it holds every
        boundary pixel of the image (a boundary leans one pixel up and left of its mask), the row below
        and the column right of them that seg2bmap compares with, and `radius` empty rows above and below.
        Outside the image a mask is empty, except the row below and the column right of the image, which
        repeat its last row and column (seg2bmap's rule at the image edge). `void` pixels are cleared
        from every mask first."""
        height, width = _shape(masks[0])
        top, bottom, left, right = extent
        y0, y1, x0 = top - 1 - radius, bottom + 2 + radius, max(left - 1, 0)
        words = -(-(min(right + 2, width + 1) - x0) // 64)
        canvas = np.zeros((len(masks), y1 - y0, 8 * words), dtype=np.uint8)
        ya, yb, xb = max(y0, 0), min(y1, height), min(x0 + 64 * words, width)
        rows = slice(ya - y0, yb - y0)
        keep = None if void is None else ~void[ya:yb, x0:xb]
        for k, mask in enumerate(masks):
            inside = mask[ya:yb, x0:xb] if keep is None else mask[ya:yb, x0:xb] & keep
            row_bits = np.packbits(inside, axis=1, bitorder="little")
            canvas[k, rows, : row_bits.shape[1]] = row_bits
        if x0 + 64 * words > width:  # the column right of the image repeats its last column
            last, past = divmod(width - 1 - x0, 8), divmod(width - x0, 8)
            canvas[:, rows, past[0]] |= ((canvas[:, rows, last[0]] >> last[1]) & 1) << past[1]
        if y1 > height:
            canvas[:, height - y0] = canvas[:, height - 1 - y0]
        packed = canvas.view(np.dtype("<u8"))  # (masks, rows, words)
        bits: PackedBits = np.ascontiguousarray(packed.transpose(2, 0, 1)).reshape(-1)
        return cls(bits, y0, x0, words, len(masks), y1 - y0, (height, width))

    @property
    def block(self) -> int:
        """How far apart in `bits` two neighbouring words of one row are."""
        return self.masks * self.rows

    def like(self, bits: PackedBits) -> _Packed:
        return self._replace(bits=bits)

    def by_row(self) -> PackedBits:
        """`bits` as (words, masks, rows)."""
        by_row: PackedBits = self.bits.reshape(self.words, self.masks, self.rows)
        return by_row

    def one(self, k: int) -> PackedBits:
        """Mask k's words as (words, rows)."""
        one: PackedBits = self.bits.reshape(self.words, self.masks, self.rows)[:, k]
        return one

    def _clip_to_image(self, bits: PackedBits) -> PackedBits:
        """`bits` with every pixel outside the image cleared (in place), as (words, masks, rows)."""
        height, width = self.image
        by_row = bits.reshape(self.words, self.masks, self.rows)
        by_row[..., : max(0, -self.y0)] = 0
        by_row[..., max(0, height - self.y0) :] = 0
        if self.x0 + 64 * self.words > width:
            columns = np.zeros(64 * self.words, dtype=bool)
            columns[: width - self.x0] = True
            by_row &= np.packbits(columns, bitorder="little").view(np.dtype("<u8"))[:, None, None]
        return by_row

    def _inside(self) -> bool:
        """Whether the window lies inside the image (no row or column of it is outside)."""
        height, width = self.image
        return self.y0 >= 0 and self.y0 + self.rows <= height and self.x0 + 64 * self.words <= width

    def region_counts(self) -> tuple[int, int]:
        """|mask 0 & mask 1| and |mask 0 | mask 1| over the image (the window holds every pixel of both)."""
        by_row = self.by_row() if self._inside() else self._clip_to_image(self.bits.copy())
        inter = _popcount(by_row[:, 0] & by_row[:, 1])
        first, second = _counts(by_row)
        return inter, first + second - inter

    def boundaries(self) -> _Packed:
        """seg2bmap of each mask: a pixel differing from its right, lower or lower-right neighbour. Only
        pixels of the image can be boundaries (the window's last row is empty, so is its last element's)."""
        bits = self.bits
        right = bits >> _ONE
        right[: -self.block] |= bits[self.block :] << _63
        edges = bits ^ right
        edges[:-1] |= bits[:-1] ^ bits[1:]
        edges[:-1] |= bits[:-1] ^ right[1:]
        if not self._inside():
            self._clip_to_image(edges)
        return self.like(edges)

    def disk_dilation(self, radius: int) -> _Packed:
        """Dilation by the disk of `radius` (skimage `disk`: offsets with dy^2 + dx^2 <= radius^2), as
        davis2017-evaluation applies it with OpenCV: each row offset dy dilated by +-isqrt(radius^2 - dy^2)
        columns. A dilation by h columns grows to h + s by spreading it s columns (s <= 2h + 1 leaves no
        gap, `_spread`), so each half-width costs a step or a few. Needs `radius` empty rows above and below."""
        halves = [math.isqrt(radius * radius - dy * dy) for dy in range(radius + 1)]
        by_half: dict[int, PackedBits] = {}
        grown, reach = self.bits, 0
        for half in sorted(set(halves)):
            while reach < half:
                step = min(half - reach, 2 * reach + 1, 63)
                grown = _spread(grown, step, self.block)
                reach += step
            by_half[half] = grown
        out = by_half[halves[0]].copy()
        for dy in range(1, radius + 1):
            rows = by_half[halves[dy]]
            out[dy:] |= rows[:-dy]
            out[:-dy] |= rows[dy:]
        return self.like(out)


def _spread(bits: PackedBits, step: int, block: int) -> PackedBits:
    """Each pixel ORed with the pixels `step` columns either side (0 < step < 64): within a word a shift,
    across words a carry from the neighbouring word, `block` away; what leaves the window is lost."""
    shift, carry = np.uint64(step), np.uint64(64 - step)
    out = bits << shift
    out |= bits >> shift
    out |= bits
    out[block:] |= bits[:-block] >> carry
    out[:-block] |= bits[block:] << carry
    return out


def _popcount(bits: PackedBits) -> int:
    return int(np.bitwise_count(bits).sum())


def _counts(by_row: PackedBits) -> tuple[int, int]:
    """The pixels of each of two masks given as (words, masks, rows)."""
    first, second = np.bitwise_count(by_row).sum(axis=(0, 2))
    return int(first), int(second)


class _BoundaryCounts(NamedTuple):
    """Boundary pixels of the prediction and of the ground truth, and how many of each are matched."""

    pred: int
    gt: int
    pred_matched: int
    gt_matched: int

    def precision_recall(self) -> tuple[float, float]:
        """DAVIS `f_measure`'s precision and recall, its conventions for empty boundaries included."""
        if self.pred == 0 and self.gt == 0:
            return 1.0, 1.0
        if self.pred == 0:
            return 1.0, 0.0
        if self.gt == 0:
            return 0.0, 1.0
        return self.pred_matched / self.pred, self.gt_matched / self.gt


def _packed_pair(pred: BoolMask, gt: BoolMask, void: BoolMask | None, radius: int) -> _Packed | None:
    """Both masks, void pixels cleared, packed in the window around their pixels (None when both are
    empty; the window is found before void is cleared, as it only has to hold every pixel)."""
    extent = _extent(pred | gt)
    return None if extent is None else _Packed.of([pred, gt], extent, radius, void)


def _boundary_counts(packed: _Packed | None, radius: int) -> _BoundaryCounts:
    if packed is None:
        return _BoundaryCounts(0, 0, 0, 0)
    edges = packed.boundaries()
    n_pred, n_gt = _counts(edges.by_row())
    if n_pred == 0 or n_gt == 0:
        return _BoundaryCounts(n_pred, n_gt, 0, 0)
    near = edges.disk_dilation(radius).by_row()[:, ::-1]  # at mask k, what lies near the other's boundary
    pred_matched, gt_matched = _counts(edges.by_row() & near)
    return _BoundaryCounts(n_pred, n_gt, pred_matched, gt_matched)


def boundary_precision_recall(
    pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None, bound_th: float = DAVIS_BOUND_TH
) -> tuple[float, float]:
    """Boundary precision and recall of DAVIS F (see `boundary_f_measure`)."""
    pred_mask, gt_mask, void_mask = _pair(pred, gt, void)
    radius = boundary_tolerance(_shape(gt_mask), bound_th)
    return _boundary_counts(_packed_pair(pred_mask, gt_mask, void_mask, radius), radius).precision_recall()


def _f_from(precision: float, recall: float) -> float:
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


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
    return _f_from(*boundary_precision_recall(pred, gt, void, bound_th))


class RegionBoundary(NamedTuple):
    """`region_and_boundary`'s result: the pixel counts of J and the boundary measure F."""

    inter: int
    union: int
    f: float

    @property
    def j(self) -> float:
        return region_similarity_from_counts(self.inter, self.union)


def region_and_boundary(
    pred: npt.ArrayLike, gt: npt.ArrayLike, void: npt.ArrayLike | None = None, bound_th: float = DAVIS_BOUND_TH
) -> RegionBoundary:
    """`intersection_union` and `boundary_f_measure` of one pair at once (the masks are packed once)."""
    pred_mask, gt_mask, void_mask = _pair(pred, gt, void)
    radius = boundary_tolerance(_shape(gt_mask), bound_th)
    packed = _packed_pair(pred_mask, gt_mask, void_mask, radius)
    inter, union = (0, 0) if packed is None else packed.region_counts()
    return RegionBoundary(inter, union, _f_from(*_boundary_counts(packed, radius).precision_recall()))


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
