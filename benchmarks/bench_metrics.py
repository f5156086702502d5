"""J&F per (object, frame) at 854x480: refcat.analysis.metrics against a plain implementation of the
DAVIS-2017 definition (full-frame seg2bmap, scipy disk dilation), measured in the same run; then a whole
synthetic DAVIS-format dataset through `per_sample_table` with 1 and N processes.

    python benchmarks/bench_metrics.py [--pairs 40] [--videos 8] [--frames 12] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from refcat.analysis.metrics import boundary_f_measure, region_similarity
from refcat.analysis.per_sample import per_sample_table
from refcat.datasets.readers import open_reader

# the tests' plain reference, imported as the tests import it (tests/helpers is the `helpers` package)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers.davis_reference import plain_f, plain_j, plain_seg2bmap

H, W = 480, 854


def plain_jf(pred, gt, void, bound_th=0.008):
    return plain_j(pred, gt, void), plain_f(pred, gt, void, bound_th)


def object_mask(rng) -> np.ndarray:
    """A smooth object of 2-30% of the frame: a few overlapping ellipses, blurred and thresholded."""
    yy, xx = np.mgrid[:H, :W]
    mask = np.zeros((H, W), bool)
    cy, cx = rng.uniform(100, H - 100), rng.uniform(150, W - 150)
    for _ in range(rng.integers(2, 5)):
        ey, ex = cy + rng.normal(0, 40), cx + rng.normal(0, 60)
        ay, ax = rng.uniform(20, 120), rng.uniform(20, 160)
        mask |= ((yy - ey) / ay) ** 2 + ((xx - ex) / ax) ** 2 <= 1
    return ndimage.gaussian_filter(mask.astype(float), 3) > 0.5


def prediction_of(rng, gt) -> np.ndarray:
    """A plausible prediction: shifted, eroded or dilated, with a little noise on the border."""
    pred = np.roll(gt, (int(rng.integers(-6, 7)), int(rng.integers(-6, 7))), axis=(0, 1))
    pred = (
        ndimage.binary_dilation(pred, iterations=2)
        if rng.random() < 0.5
        else ndimage.binary_erosion(pred, iterations=2)
    )
    field = ndimage.gaussian_filter(rng.random((H, W)), 4)
    return pred ^ (ndimage.binary_dilation(plain_seg2bmap(pred), iterations=3) & (field > 0.52))


def bench_pairs(n_pairs: int) -> None:
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(n_pairs):
        gt = object_mask(rng)
        void = ndimage.binary_dilation(plain_seg2bmap(gt), iterations=1) & (rng.random((H, W)) < 0.3)
        pairs.append((prediction_of(rng, gt), gt, void))
    t_ref, t_fast, worst = [], [], 0.0
    for p, g, v in pairs:  # interleaved, so that load from other processes hits both alike
        t0 = time.perf_counter()
        reference = plain_jf(p, g, v)
        t1 = time.perf_counter()
        fast = (region_similarity(p, g, v), boundary_f_measure(p, g, v))
        t2 = time.perf_counter()
        t_ref.append(t1 - t0)
        t_fast.append(t2 - t1)
        worst = max(worst, abs(reference[0] - fast[0]), abs(reference[1] - fast[1]))
    t_ref, t_fast = np.array(t_ref), np.array(t_fast)
    print(f"J&F per (object, frame) at {W}x{H}, {n_pairs} pairs, one process")
    print(f"  plain definition : {t_ref.mean() * 1e3:8.2f} ms mean, {np.median(t_ref) * 1e3:8.2f} ms median")
    print(f"  refcat.metrics   : {t_fast.mean() * 1e3:8.2f} ms mean, {np.median(t_fast) * 1e3:8.2f} ms median")
    print(
        f"  speed ratio      : {t_ref.sum() / t_fast.sum():8.1f}x total, {np.median(t_ref / t_fast):6.1f}x median "
        f"per pair   (largest |difference| {worst:.1e})"
    )


def write_dataset(root: Path, pred: Path, n_videos: int, n_frames: int) -> None:
    """A DAVIS-2017-format dataset (two objects a video) and expression-layout predictions for one source."""
    rng = np.random.default_rng(1)
    palette = [0, 0, 0, 255, 0, 0, 0, 255, 0] + [255] * (256 * 3 - 9)
    (root / "ImageSets" / "2017").mkdir(parents=True)
    names = [f"seq{v:02d}" for v in range(n_videos)]
    (root / "ImageSets" / "2017" / "val.txt").write_text("\n".join(names) + "\n")
    lines = []
    for name in names:
        (root / "JPEGImages" / "480p" / name).mkdir(parents=True)
        (root / "Annotations" / "480p" / name).mkdir(parents=True)
        Image.new("RGB", (W, H)).save(root / "JPEGImages" / "480p" / name / "00000.jpg")
        for f in range(1, n_frames):
            os.link(
                root / "JPEGImages" / "480p" / name / "00000.jpg", root / "JPEGImages" / "480p" / name / f"{f:05d}.jpg"
            )
        for f in range(n_frames):
            labels = np.zeros((H, W), np.uint8)
            for obj in (1, 2):
                gt = object_mask(rng)
                labels[gt] = obj
                out = pred / name / str(obj) / "annot1"
                out.mkdir(parents=True, exist_ok=True)
                Image.fromarray(prediction_of(rng, gt).astype(np.uint8) * 255, mode="L").save(out / f"{f:05d}.png")
            png = Image.fromarray(labels, mode="P")
            png.putpalette(palette)
            png.save(root / "Annotations" / "480p" / name / f"{f:05d}.png")
        lines += [f'{name} 1 "the first thing"', f'{name} 2 "the second thing"']
    (root / "davis_text_annotations").mkdir()
    (root / "davis_text_annotations" / "Davis17_annot1.txt").write_text("\n".join(lines) + "\n")


def bench_dataset(n_videos: int, n_frames: int, jobs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, pred = Path(tmp) / "davis", Path(tmp) / "pred"
        write_dataset(root, pred, n_videos, n_frames)
        reader = open_reader("davis", root, split="val")
        instances = list(reader.instances())
        timings = {}
        tables = {}
        for processes in sorted({1, jobs}):
            t0 = time.perf_counter()
            tables[processes] = per_sample_table(pred, reader, instances, processes=processes)
            timings[processes] = time.perf_counter() - t0
        n = len(tables[1])
        assert all(t.equals(tables[1]) for t in tables.values())
        print(
            f"per_sample_table on {n_videos} videos x {n_frames} frames x 2 objects = {n} (object, frame) rows "
            f"(PNG decoding included), {os.cpu_count()} cores seen"
        )
        for processes, seconds in timings.items():
            print(
                f"  processes={processes:<3d}: {seconds:7.2f} s  {seconds / n * 1e3:6.2f} ms/row  "
                f"speed-up {timings[1] / seconds:4.1f}x"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=40, help="mask pairs for the per-pair comparison")
    parser.add_argument("--videos", type=int, default=8, help="videos in the synthetic dataset")
    parser.add_argument("--frames", type=int, default=12, help="frames a video")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the dataset run")
    args = parser.parse_args(argv)
    bench_pairs(args.pairs)
    bench_dataset(args.videos, args.frames, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
