"""A plain reference of the DAVIS-2017 J and F definitions (davis2017-evaluation, metrics.py),
written out directly: full-frame boundary maps, a disk dilation of the whole frame.
The tests check refcat.analysis.metrics against it; benchmarks/bench_metrics.py times both.
"""

import math

import numpy as np
from scipy import ndimage


def plain_seg2bmap(seg):
    seg = seg.astype(bool)
    right, down, diag = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    right[:, :-1] = seg[:, 1:]
    down[:-1, :] = seg[1:, :]
    diag[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ right) | (seg ^ down) | (seg ^ diag)
    b[-1, :] = seg[-1, :] ^ right[-1, :]
    b[:, -1] = seg[:, -1] ^ down[:, -1]
    b[-1, -1] = False
    return b


def plain_disk(radius):
    offsets = np.arange(-radius, radius + 1)
    x, y = np.meshgrid(offsets, offsets)
    return x**2 + y**2 <= radius**2


def plain_j(pred, gt, void=None):
    keep = np.ones(gt.shape, bool) if void is None else ~void.astype(bool)
    inter = np.sum(pred.astype(bool) & gt.astype(bool) & keep)
    union = np.sum((pred.astype(bool) | gt.astype(bool)) & keep)
    return 1.0 if union == 0 else inter / union


def plain_f(pred, gt, void=None, bound_th=0.008):
    keep = np.ones(gt.shape, bool) if void is None else ~void.astype(bool)
    radius = bound_th if bound_th >= 1 else math.ceil(bound_th * np.linalg.norm(gt.shape))
    fg, gb = plain_seg2bmap(pred.astype(bool) & keep), plain_seg2bmap(gt.astype(bool) & keep)
    fg_dil = ndimage.binary_dilation(fg, plain_disk(radius))
    gt_dil = ndimage.binary_dilation(gb, plain_disk(radius))
    n_fg, n_gt = fg.sum(), gb.sum()
    if n_fg == 0 and n_gt > 0:
        p, r = 1, 0
    elif n_fg > 0 and n_gt == 0:
        p, r = 0, 1
    elif n_fg == 0 and n_gt == 0:
        p, r = 1, 1
    else:
        p, r = np.sum(fg & gt_dil) / n_fg, np.sum(gb & fg_dil) / n_gt
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)
