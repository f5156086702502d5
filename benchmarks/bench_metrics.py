"""J and F per (object, frame) on real-shaped DAVIS masks: refcat.analysis.metrics against the operations of the
official davis2017-evaluation code, measured in the same process and run.

The baseline is the official code's own operations, restated here (`official_j`, `official_f`): J as
`db_eval_iou` computes it, F as `f_measure` does, full-frame seg2bmap, then OpenCV's `cv2.dilate` with
scikit-image's `disk` (opencv-python-headless and scikit-image: the `bench` extra, benchmark-only). Both are
timed on the same pairs, interleaved, on one thread each (OpenCV's own threads off), and must agree
exactly. bench_evaluate.py times whole evaluations.

    python benchmarks/bench_metrics.py [--pairs 60] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np
from scipy import ndimage
from skimage.morphology import disk

from refcat.analysis.metrics import region_and_boundary

SIZES = ((480, 854), (480, 910), (480, 1152))  # DAVIS 480p: most sequences, bike-packing, shooting
cv2.setNumThreads(1)  # one core for both: refcat's numpy code runs on one thread


# ----- the official davis2017-evaluation operations (davis2017/metrics.py), restated


def official_seg2bmap(seg: np.ndarray) -> np.ndarray:
    """`_seg2bmap` of a mask the size of its image, as the official code computes it."""
    seg = seg.astype(bool)
    right, below, diagonal = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    right[:, :-1] = seg[:, 1:]
    below[:-1, :] = seg[1:, :]
    diagonal[:-1, :-1] = seg[1:, 1:]
    edges = seg ^ right | seg ^ below | seg ^ diagonal
    edges[-1, :] = seg[-1, :] ^ right[-1, :]
    edges[:, -1] = seg[:, -1] ^ below[:, -1]
    edges[-1, -1] = 0
    return edges


def official_j(annotation: np.ndarray, segmentation: np.ndarray, void: np.ndarray | None = None) -> np.ndarray:
    """`db_eval_iou`: J of one frame (2-D) or of every frame (3-D), void pixels left out, empty union = 1."""
    annotation, segmentation = annotation.astype(bool), segmentation.astype(bool)
    void = np.zeros_like(segmentation) if void is None else void.astype(bool)
    inter = np.sum((segmentation & annotation) & np.logical_not(void), axis=(-2, -1))
    union = np.sum((segmentation | annotation) & np.logical_not(void), axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        j = inter / union
    if j.ndim == 0:
        return np.asarray(1.0 if np.isclose(union, 0) else j)
    j[np.isclose(union, 0)] = 1
    return j


def official_f(foreground: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None, bound_th=0.008) -> float:
    """`f_measure`: boundary F of one frame, OpenCV dilation by scikit-image's disk."""
    void = np.zeros_like(foreground).astype(bool) if void is None else void.astype(bool)
    bound_pix = bound_th if bound_th >= 1 else np.ceil(bound_th * np.linalg.norm(foreground.shape))
    fg_boundary = official_seg2bmap(foreground * np.logical_not(void))
    gt_boundary = official_seg2bmap(gt * np.logical_not(void))
    fg_dil = cv2.dilate(fg_boundary.astype(np.uint8), disk(bound_pix).astype(np.uint8))
    gt_dil = cv2.dilate(gt_boundary.astype(np.uint8), disk(bound_pix).astype(np.uint8))
    gt_match, fg_match = gt_boundary * fg_dil, fg_boundary * gt_dil
    n_fg, n_gt = np.sum(fg_boundary), np.sum(gt_boundary)
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision, recall = np.sum(fg_match) / float(n_fg), np.sum(gt_match) / float(n_gt)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


# ----- real-shaped masks


def object_mask(rng, shape) -> np.ndarray:
    """A smooth object of 2-30% of the frame: a few overlapping ellipses, blurred and thresholded."""
    height, width = shape
    yy, xx = np.mgrid[:height, :width]
    mask = np.zeros(shape, bool)
    cy, cx = rng.uniform(100, height - 100), rng.uniform(150, width - 150)
    for _ in range(rng.integers(2, 5)):
        ey, ex = cy + rng.normal(0, 40), cx + rng.normal(0, 60)
        ay, ax = rng.uniform(20, 120), rng.uniform(20, 160)
        mask |= ((yy - ey) / ay) ** 2 + ((xx - ex) / ax) ** 2 <= 1
    return ndimage.gaussian_filter(mask.astype(float), 3) > 0.5


def prediction_of(rng, gt) -> np.ndarray:
    """A plausible prediction: shifted, eroded or dilated, with a ragged border."""
    pred = np.roll(gt, (int(rng.integers(-6, 7)), int(rng.integers(-6, 7))), axis=(0, 1))
    grow = ndimage.binary_dilation if rng.random() < 0.5 else ndimage.binary_erosion
    pred = grow(pred, iterations=2)
    field = ndimage.gaussian_filter(rng.random(gt.shape), 4)
    return pred ^ (ndimage.binary_dilation(official_seg2bmap(pred), iterations=3) & (field > 0.52))


def void_band(rng, gt) -> np.ndarray:
    """DAVIS-like void: a band along parts of the object's border."""
    band = ndimage.binary_dilation(official_seg2bmap(gt), iterations=2)
    return band & (ndimage.gaussian_filter(rng.random(gt.shape), 8) > 0.5)


def bench_pairs(n_pairs: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    pairs = []
    for k in range(n_pairs):
        shape = SIZES[k % len(SIZES)] if k % 10 == 9 else SIZES[0]
        gt = object_mask(rng, shape)
        void = void_band(rng, gt) if k % 2 else None
        pairs.append((prediction_of(rng, gt), gt, void))
    official, ours, worst = np.zeros(n_pairs), np.zeros(n_pairs), 0.0
    for k, (pred, gt, void) in enumerate(pairs):  # interleaved, best of `repeats`: load from others hits both alike
        t_official = t_ours = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            expected = (float(official_j(gt, pred, void)), official_f(pred, gt, void))
            t1 = time.perf_counter()
            got = region_and_boundary(pred, gt, void)
            t2 = time.perf_counter()
            t_official, t_ours = min(t_official, t1 - t0), min(t_ours, t2 - t1)
        official[k], ours[k] = t_official, t_ours
        worst = max(worst, abs(expected[0] - got.j), abs(expected[1] - got.f))
    ratio = official.sum() / ours.sum()
    print(f"J and F per (object, frame), {n_pairs} real-shaped pairs (854x480, a tenth 910x480 or 1152x480, half")
    print(f"with void bands), one process, best of {repeats} each, {os.cpu_count()} cores seen")
    print(f"  official operations (cv2.dilate + skimage disk) : {official.mean() * 1e3:7.3f} ms a pair")
    print(f"  refcat.analysis.metrics.region_and_boundary     : {ours.mean() * 1e3:7.3f} ms a pair")
    median = np.median(official / ours)
    print(f"  speed ratio {ratio:.1f}x (median per pair {median:.1f}x); largest |difference| {worst}")
    with_void = np.array([void is not None for _, _, void in pairs])
    for name, part in (("without void", ~with_void), ("with void", with_void)):
        print(f"    {name:<12s}: {official[part].sum() / ours[part].sum():5.1f}x ({part.sum()} pairs)")
    if worst != 0:
        raise SystemExit("refcat's J or F differ from the official operations")
    return ratio


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=60, help="mask pairs")
    parser.add_argument("--repeats", type=int, default=5, help="timings of each pair (the best counts)")
    args = parser.parse_args(argv)
    bench_pairs(args.pairs, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
