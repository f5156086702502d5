"""J, F and the A2D conventions against a plain reference of the DAVIS-2017 definitions and hand-computed cases."""

import math

import numpy as np
import pytest
from helpers.davis_reference import plain_f, plain_j, plain_seg2bmap
from scipy import ndimage

from refcat.analysis.metrics import (
    boundary_f_measure,
    boundary_map,
    boundary_points,
    boundary_precision_recall,
    boundary_tolerance,
    davis_statistics,
    intersection_union,
    iou_summary,
    region_similarity,
    sample_ious,
)
from refcat.errors import UsageError


def random_blob(rng, shape):
    """Thresholded smoothed noise: from speckle to a few large blobs (coarse noise, upsampled)."""
    step = int(rng.integers(1, max(2, min(shape) // 8)))
    coarse = rng.random((-(-shape[0] // step), -(-shape[1] // step)))
    field = np.kron(ndimage.gaussian_filter(coarse, rng.uniform(0.3, 2)), np.ones((step, step)))[: shape[0], : shape[1]]
    return field > np.quantile(field, rng.uniform(0.2, 0.98))


SHAPES = [
    pytest.param((480, 854), 3, marks=pytest.mark.slow),
    ((120, 200), 8),
    ((37, 23), 8),
    ((9, 7), 8),
    ((1, 12), 8),
    ((12, 1), 8),
    ((2, 2), 8),
]


@pytest.mark.parametrize("shape,trials", SHAPES)
def test_j_and_f_equal_the_plain_definition_on_random_masks(shape, trials):
    rng = np.random.default_rng(sum(shape))
    for trial in range(trials):
        gt = random_blob(rng, shape)
        pred = (
            np.roll(gt, int(rng.integers(-3, 4)), axis=int(rng.integers(0, 2)))
            if trial % 2
            else random_blob(rng, shape)
        )
        pred = pred ^ (rng.random(shape) > 0.998)
        void = rng.random(shape) > 0.95 if trial % 3 else None
        bound_th = [0.008, 0.05, 3, 0.0][trial % 4]
        assert region_similarity(pred, gt, void) == pytest.approx(plain_j(pred, gt, void), abs=1e-6)
        assert boundary_f_measure(pred, gt, void, bound_th) == pytest.approx(
            plain_f(pred, gt, void, bound_th), abs=1e-6
        )
        assert np.array_equal(boundary_map(pred), plain_seg2bmap(pred))


def test_boundary_points_match_the_full_map_at_the_image_edges():
    rng = np.random.default_rng(3)
    for _ in range(20):
        mask = random_blob(rng, (30, 40))
        mask[rng.integers(0, 30), :] = True  # touch the left and right edges
        mask[:, rng.integers(0, 40)] = True  # and the top and bottom
        assert np.array_equal(boundary_points(mask), np.argwhere(plain_seg2bmap(mask)))


def test_seg2bmap_single_pixel_and_edges_by_hand():
    mask = np.zeros((10, 10), bool)
    mask[2, 2] = True
    # the pixel and its upper, left and upper-left neighbours: boundaries lean towards the origin
    assert boundary_points(mask).tolist() == [[1, 1], [1, 2], [2, 1], [2, 2]]
    full = np.ones((5, 6), bool)
    assert boundary_points(full).size == 0  # nothing differs, and the image edge is no boundary
    last_col = np.zeros((5, 6), bool)
    last_col[:, -1] = True
    assert boundary_points(last_col).tolist() == [[y, 4] for y in range(5)]
    last_row = np.zeros((5, 6), bool)
    last_row[-1, :] = True
    assert boundary_points(last_row).tolist() == [[3, x] for x in range(6)]


def test_tolerance_is_ceil_of_fraction_of_diagonal():
    assert boundary_tolerance((480, 854)) == 8  # ceil(0.008 * 979.6)
    assert boundary_tolerance((10, 10)) == 1
    assert boundary_tolerance((480, 854), 3) == 3
    with pytest.raises(UsageError):
        boundary_tolerance((10, 10), 1.5)


def test_f_by_hand_two_pixels_apart():
    gt = np.zeros((10, 10), bool)
    pred = np.zeros((10, 10), bool)
    gt[2, 2] = True
    pred[2, 4] = True
    # boundaries {(1,1),(1,2),(2,1),(2,2)} and {(1,3),(1,4),(2,3),(2,4)}; radius 1 matches half of each
    assert boundary_precision_recall(pred, gt) == (0.5, 0.5)
    assert boundary_f_measure(pred, gt) == 0.5
    assert boundary_f_measure(pred, gt, bound_th=2) == 1.0
    assert boundary_f_measure(pred, gt, bound_th=0.0) == 0.0
    assert region_similarity(pred, gt) == 0.0


def test_empty_mask_conventions():
    empty = np.zeros((8, 8), bool)
    obj = np.zeros((8, 8), bool)
    obj[2:5, 2:5] = True
    assert region_similarity(empty, empty) == 1.0
    assert boundary_f_measure(empty, empty) == 1.0
    assert region_similarity(empty, obj) == 0.0
    assert boundary_precision_recall(empty, obj) == (1.0, 0.0)
    assert boundary_f_measure(empty, obj) == 0.0
    assert boundary_precision_recall(obj, empty) == (0.0, 1.0)
    assert boundary_f_measure(obj, empty) == 0.0


def test_void_pixels_are_excluded():
    gt = np.zeros((6, 6), bool)
    pred = np.zeros((6, 6), bool)
    gt[1, 1:5] = True  # 4 pixels
    pred[1, 3:6] = True  # 3 pixels, 2 shared
    void = np.zeros((6, 6), bool)
    void[1, 5] = True
    assert intersection_union(pred, gt) == (2, 5)
    assert intersection_union(pred, gt, void) == (2, 4)
    assert region_similarity(pred, gt, void) == 0.5
    # a referent entirely under void counts as empty: empty vs empty gives 1 for both measures
    only_void = np.zeros((6, 6), bool)
    only_void[3, 3] = True
    assert region_similarity(only_void, only_void, only_void) == 1.0
    assert boundary_f_measure(only_void, np.zeros((6, 6)), only_void) == 1.0


def test_masks_of_any_dtype_and_shape_checks():
    gt = np.zeros((5, 5), np.uint8)
    gt[1:3, 1:3] = 7
    assert region_similarity(gt.astype(float), gt) == 1.0
    with pytest.raises(UsageError):
        region_similarity(np.zeros((5, 4)), gt)


def test_davis_statistics_by_hand():
    stats = davis_statistics([1, 1, 1, 1, 0, 0, 0, 0])
    # bin edges round(linspace(1, 8, 5)) - 1 = 0, 2, 4, 5, 7: first bin frames 0-2, last bin 5-7
    assert stats == (0.5, 0.5, 1.0)
    stats = davis_statistics([0.2, 0.4, 0.6, 0.8, 1.0])
    assert stats.mean == pytest.approx(0.6)
    assert stats.recall == pytest.approx(0.6)
    assert stats.decay == pytest.approx(0.3 - 0.9)
    long = np.r_[np.ones(150), np.zeros(150)]  # past 255 frames the original uint8 bins would wrap
    assert davis_statistics(long).decay == 1.0


SAMPLES = dict(  # (I, U, referent present)
    inter=[5, 0, 0, 0, 9, 7],
    union=[10, 0, 4, 0, 10, 10],
    gt_present=[True, True, False, False, True, True],
)


def test_mttr_convention_by_hand():
    ious = sample_ious(SAMPLES["inter"], SAMPLES["union"], SAMPLES["gt_present"], "mttr")
    assert np.allclose(ious, [0.5, 1.0, np.nan, np.nan, 0.9, 0.7], equal_nan=True)
    s = iou_summary(SAMPLES["inter"], SAMPLES["union"], SAMPLES["gt_present"], "mttr")
    assert s["samples"] == 4
    assert s["overall_iou"] == pytest.approx(21 / 30)
    assert s["mean_iou"] == pytest.approx(3.1 / 4)
    assert s["precision@0.5"] == 0.75  # strictly greater: the 0.5 sample does not count
    assert s["precision@0.7"] == 0.5
    assert s["precision@0.9"] == 0.25


def test_refvos_convention_by_hand():
    ious = sample_ious(SAMPLES["inter"], SAMPLES["union"], SAMPLES["gt_present"], "refvos")
    assert np.allclose(ious, [0.5, 0.0, 0.0, 0.0, 0.9, 0.7])
    s = iou_summary(SAMPLES["inter"], SAMPLES["union"], SAMPLES["gt_present"], "refvos")
    assert s["samples"] == 6
    assert s["overall_iou"] == pytest.approx(21 / 34)  # the absent frame's false positives count
    assert s["mean_iou"] == pytest.approx(2.1 / 6)
    assert s["precision@0.5"] == 0.5  # greater or equal
    assert s["precision@0.7"] == pytest.approx(1 / 3)
    assert s["precision@0.9"] == pytest.approx(1 / 6)


def test_unknown_convention_and_empty_input():
    with pytest.raises(UsageError):
        sample_ious([1], [1], [True], "coco")
    s = iou_summary([], [], [], "mttr")
    assert s["samples"] == 0 and math.isnan(s["mean_iou"])
