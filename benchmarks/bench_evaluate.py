"""A whole DAVIS-val-sized semi-supervised evaluation end to end: `refcat evaluate --protocol davis17-semi`
against the official davis2017-evaluation pipeline, on the same synthetic dataset, in the same run.

The dataset has DAVIS 2017 val's shape: 30 sequences, 1,999 frames, 61 objects, 854x480 frames (one
sequence 910x480, one 1152x480), palette masks with void bands, and combined label maps as predictions.
The baseline restates the official pipeline's operations (`official_evaluation`): masks read with PIL
into float arrays and split per object as `DAVIS.get_all_masks` and `Results.read_masks` do, the first
and last frame dropped, J by `db_eval_iou` on each object's frames, F by `f_measure` frame by frame
(`bench_metrics.official_f`: OpenCV dilation with scikit-image's disk), `db_statistics`, the means over
objects. Both are timed on one core, refcat also with --jobs N (default: all cores); the global
results must agree. Imports are done before the timings, for both.

    python benchmarks/bench_evaluate.py [--videos 30] [--frames 1999] [--objects 61] [--jobs N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_metrics import object_mask, official_f, official_j, prediction_of, void_band
from PIL import Image
from scipy import ndimage

from refcat.analysis.protocols import GLOBAL_COLUMNS
from refcat.cli import build_parser
from refcat.cli import main as refcat

PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128] + [64, 64, 64] * 250 + [224, 224, 192]
WIDE = {0: 910, 1: 1152}  # sequence index -> width; the others are 854


def save_palette(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(labels, mode="P")
    image.putpalette(PALETTE)
    image.save(path)


def write_dataset(root: Path, pred: Path, n_videos: int, n_frames: int, n_objects: int) -> None:
    """Sequences of moving smooth objects (`bench_metrics.object_mask`) with void bands, and predictions."""
    rng = np.random.default_rng(1)
    names = [f"seq{v:02d}" for v in range(n_videos)]
    (root / "ImageSets" / "2017").mkdir(parents=True)
    (root / "ImageSets" / "2017" / "val.txt").write_text("".join(f"{n}\n" for n in names))
    frames = np.full(n_videos, n_frames // n_videos) + (np.arange(n_videos) < n_frames % n_videos)
    objects = np.full(n_videos, n_objects // n_videos) + (np.arange(n_videos) < n_objects % n_videos)
    for v, name in enumerate(names):
        shape = (480, WIDE.get(v, 854))
        bases = [object_mask(rng, shape) for _ in range(objects[v])]
        bands = [void_band(rng, b) for b in bases]
        preds = [prediction_of(rng, b) for b in bases]
        grown = [ndimage.binary_dilation(b, iterations=3) for b in bases]
        jpeg = root / "JPEGImages" / "480p" / name / "00000.jpg"
        jpeg.parent.mkdir(parents=True)
        Image.new("RGB", shape[::-1]).save(jpeg)
        for f in range(frames[v]):
            labels, predicted = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
            for k in range(objects[v]):
                move = (f // 2 * (1 if k % 2 else -1), f)
                labels[np.roll(bands[k], move, axis=(0, 1))] = 255
                labels[np.roll(bases[k], move, axis=(0, 1))] = k + 1
                guess = grown[k] if f % 7 == 3 else preds[k]  # now and then a coarser prediction
                predicted[np.roll(guess, (move[0] + int(rng.integers(-2, 3)), move[1]), axis=(0, 1))] = k + 1
            if f:
                os.link(jpeg, jpeg.with_name(f"{f:05d}.jpg"))
            save_palette(root / "Annotations" / "480p" / name / f"{f:05d}.png", labels)
            save_palette(pred / name / f"{f:05d}.png", predicted)


def db_statistics(values: np.ndarray) -> tuple[float, float, float]:
    """The official `utils.db_statistics`: mean, recall (> 0.5) and decay over four bins."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mean, recall = np.nanmean(values), np.nanmean(values > 0.5)
        ids = (np.round(np.linspace(1, len(values), 5) + 1e-10) - 1).astype(np.uint8)
        bins = [values[ids[i] : ids[i + 1] + 1] for i in range(4)]
        decay = np.nanmean(bins[0]) - np.nanmean(bins[3])
    return float(mean), float(recall), float(decay)


def split_objects(masks: np.ndarray, n: int) -> np.ndarray:
    """(frames, H, W) label values -> (n, frames, H, W) bool, object k + 1 in slice k, as the official code does."""
    ids = np.ones((n, *masks.shape)) * np.arange(1, n + 1)[:, None, None, None]
    return (ids == masks[None, ...]) > 0


def official_evaluation(root: Path, results: Path, split: str = "val") -> dict[str, float]:
    """The semi-supervised davis2017-evaluation pipeline's operations, sequence by sequence."""
    measures: dict[str, list[float]] = {key: [] for key in ("JM", "JR", "JD", "FM", "FR", "FD")}
    for seq in (root / "ImageSets" / "2017" / f"{split}.txt").read_text().split():
        paths = sorted((root / "Annotations" / "480p" / seq).glob("*.png"))
        first = np.array(Image.open(paths[0]))
        masks = np.zeros((len(paths), *first.shape))
        for i, path in enumerate(paths):
            masks[i] = np.array(Image.open(path))
            masks[i, masks[i] == 255] = 0
        gt = split_objects(masks, int(np.max(masks[0])))[:, 1:-1]
        ids = [p.stem for p in paths][1:-1]
        predicted = np.zeros((len(ids), *first.shape))
        for i, frame in enumerate(ids):
            predicted[i] = np.array(Image.open(results / seq / f"{frame}.png"))
        res = split_objects(predicted, int(np.max(predicted)))
        if res.shape[0] != gt.shape[0]:
            raise SystemExit(f"{seq}: an index higher than the number of objects")
        for k in range(gt.shape[0]):
            void = gt[k] == 255  # the official test on masks already made boolean: never true
            j = official_j(gt[k], res[k], void)
            f = np.array([official_f(res[k][t], gt[k][t], void[t]) for t in range(gt.shape[1])])
            for prefix, values in (("J", j), ("F", f)):
                for key, value in zip("MRD", db_statistics(values)):
                    measures[prefix + key].append(value)
    means = {key: float(np.mean(values)) for key, values in measures.items()}
    row = [(means["JM"] + means["FM"]) / 2, means["JM"], means["JR"], means["JD"], means["FM"], means["FR"]]
    return dict(zip(GLOBAL_COLUMNS, [*row, means["FD"]]))


def refcat_evaluation(root: Path, pred: Path, out: Path, jobs: int) -> dict[str, float]:
    args = ["evaluate", "--pred", str(pred), "--dataset", "davis", "--root", str(root), "--split", "val"]
    args += ["--output", str(out / "table.parquet"), "--protocol", "davis17-semi", "--jobs", str(jobs)]
    with contextlib.redirect_stdout(io.StringIO()):  # the summary it prints
        code = refcat(args)
    if code:
        raise SystemExit(f"refcat evaluate exited with {code}")
    line = (out / "global_results-val.csv").read_text().splitlines()
    return dict(zip(line[0].split(","), map(float, line[1].split(","))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=30, help="sequences (DAVIS 2017 val: 30)")
    parser.add_argument("--frames", type=int, default=1999, help="frames in all (val: 1,999)")
    parser.add_argument("--objects", type=int, default=61, help="objects in all (val: 61)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="refcat's processes in the second run")
    args = parser.parse_args(argv)
    build_parser()  # the command's own imports, once, outside the timings (as the baseline's are)
    with tempfile.TemporaryDirectory() as tmp:
        root, pred = Path(tmp) / "DAVIS", Path(tmp) / "results"
        t0 = time.perf_counter()
        write_dataset(root, pred, args.videos, args.frames, args.objects)
        print(
            f"dataset: {args.videos} sequences, {args.frames} frames, {args.objects} objects, written in "
            f"{time.perf_counter() - t0:.0f} s; {os.cpu_count()} cores seen, load average {os.getloadavg()[0]:.1f}"
        )
        timings, results = {}, {}
        for name, run in (
            ("official pipeline, 1 process", lambda: official_evaluation(root, pred)),
            ("refcat --jobs 1", lambda: refcat_evaluation(root, pred, Path(tmp) / "one", 1)),
            (f"refcat --jobs {args.jobs}", lambda: refcat_evaluation(root, pred, Path(tmp) / "all", args.jobs)),
        ):
            t0 = time.perf_counter()
            results[name] = run()
            timings[name] = time.perf_counter() - t0
        official = timings["official pipeline, 1 process"]
        for name, seconds in timings.items():
            print(f"  {name:<30s}: {seconds:7.1f} s  ({official / seconds:5.1f}x the official)")
        expected = results["official pipeline, 1 process"]
        print("  official J&F-Mean " + ", ".join(f"{k} {v:.3f}" for k, v in expected.items()))
        for name, got in results.items():
            if any(abs(got[k] - expected[k]) > 0.0005 for k in GLOBAL_COLUMNS):  # the files hold 3 decimals
                raise SystemExit(f"{name} disagrees with the official figures: {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
