"""The motion diagnostic set (refcat.demo.diagnostic): how long it takes to write, against the demo, and how much
the positions in one frame tell the two objects of a motion video apart, against random labels.

1. Writing: `write_diagnostic_dataset` with its defaults and `write_demo_dataset` with its defaults, each timed
   in the same run; printed as seconds, megabytes, and seconds per written frame of each (the ratio).
2. Positions: for each motion contrast, `--plans` plans (no drawing). Each frame gives the x of the object with
   the contrast's first value (`marked_object`: the mover, the one going left, the faster one) and of the
   other one, shown in a random order. The best guess of which one is marked from the two x positions alone
   (the majority in each cell of a `--bins` x `--bins` grid, i.e. the Bayes rule of the binned positions,
   scored on the same frames) is right this often, over all frames and in frame 0 only. The same rule fitted
   to random labels gives the floor that binning alone reaches; a figure near the floor means the positions
   say nothing.

    python benchmarks/bench_diagnostic_data.py [--plans 20000] [--bins 16] [--no-write]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from refcat.demo.diagnostic import CONTRASTS, VideoSpec, marked_object, plan_video, write_diagnostic_dataset
from refcat.demo.generator import read_scene, write_demo_dataset


def _size(root: Path) -> tuple[float, int]:
    """(megabytes, frames) of a written demo folder."""
    megabytes = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6
    frames = sum(v["n_frames"] for v in read_scene(root)["videos"].values())
    return megabytes, frames


def time_writing() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, write in (("diagnostic", write_diagnostic_dataset), ("demo", write_demo_dataset)):
            began = time.perf_counter()
            write(Path(tmp) / name)
            seconds = time.perf_counter() - began
            megabytes, frames = _size(Path(tmp) / name)
            rows.append((name, seconds, megabytes, frames))
    print("writing, defaults      seconds      MB  frames  ms/frame")
    for name, seconds, megabytes, frames in rows:
        print(f"  {name:<18} {seconds:9.2f} {megabytes:7.1f} {frames:7d} {1000 * seconds / frames:9.2f}")
    (_, s1, _, f1), (_, s2, _, f2) = rows
    print(f"  diagnostic / demo time a frame: {(s1 / f1) / (s2 / f2):.2f}")


def binned_accuracy(first: np.ndarray, second: np.ndarray, marked_first: np.ndarray, bins: int, width: int) -> float:
    """Share of frames where the majority label of their (first x, second x) cell is their own label."""
    cells = np.minimum((first / width * bins).astype(int), bins - 1) * bins + np.minimum(
        (second / width * bins).astype(int), bins - 1
    )
    counts = np.zeros((bins * bins, 2))
    np.add.at(counts, (cells, marked_first.astype(int)), 1)
    return float(counts.max(axis=1).sum() / len(cells))


def position_cues(plans: int, bins: int, width: int = 320, height: int = 180) -> None:
    rng = np.random.default_rng(0)
    print(f"best guess from the two x positions ({plans} plans, {bins}x{bins} bins)")
    print("  contrast        all frames  frame 0   random labels: all frames  frame 0")
    for contrast in CONTRASTS["motion"]:
        spec = VideoSpec("motion", contrast, None)
        rows: list[tuple[float, float, bool, bool, bool]] = []  # first x, second x, first marked, frame 0, random
        for i in range(plans):
            plan = plan_video("x", "train", spec, rng, (0, 0, i), 16, 24, width, height)
            marked = marked_object(plan, contrast)
            first, second = plan.objects if rng.random() < 0.5 else plan.objects[::-1]
            coin = bool(rng.random() < 0.5)  # a random label, one a video like the true one
            rows += [
                (p[0], q[0], first is marked, f == 0, coin)
                for f, (p, q) in enumerate(zip(first.anchors, second.anchors))
            ]
        a, b, label, frame0, shuffled = (np.array(column) for column in zip(*rows))
        figures = [
            binned_accuracy(a[keep], b[keep], labels[keep], bins, width)
            for labels in (label, shuffled)
            for keep in (np.ones_like(frame0), frame0)
        ]
        print(f"  {contrast:<14} {figures[0]:10.3f} {figures[1]:8.3f} {figures[2]:26.3f} {figures[3]:8.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=20000, help="plans per motion contrast")
    ap.add_argument("--bins", type=int, default=16, help="bins of x per object")
    ap.add_argument("--no-write", action="store_true", help="skip timing the writers")
    args = ap.parse_args()
    if not args.no_write:
        time_writing()
    position_cues(args.plans, args.bins)


if __name__ == "__main__":
    main()
