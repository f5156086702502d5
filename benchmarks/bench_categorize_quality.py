"""Quality of the rule-based categorizer's two readers, in sample: F1 and Cohen's kappa per category, and the
reliability of its confidence.

Reference labels: the paper's released labels (Bellver et al., dataset/A2D_RE_categorization.csv and
DAVIS17_RE_categorization.csv, the rows with category labels; where the rules were tuned) in
RELEASE_DIR; the released A2Dre+ REs there (A2D_<category>_... and A2D_no_<category>_..., each
labelled on its one category: `a2dre_plus`); and the hand-labelled sets of tests/data named in
HAND_SETS (also used in tuning).

    python benchmarks/bench_categorize_quality.py [--release-dir DIR] [--labels CSV ...]
        prints, for each reader ("words", "parse") and each source, per category: n, F1, kappa, recall;
        `--labels` adds labelled CSVs (a ref_exp column and the seven 0/1 category columns, as the hand sets;
        named "file:<stem>"), e.g. the dev half of a held-out set, not used for calibration.
    python benchmarks/bench_categorize_quality.py --calibrate
        also prints the reliability of the confidence on the released labels, per reading kind
        (refcat.categorize.confidence.KINDS) and per confidence bin: rows, mean confidence, share of
        labels right; and the CONFIDENCE table that these counts give, to paste into
        refcat/categorize/confidence.py: per (category, kind), (right + 2 p) / (rows + 2), where p is the
        add-one share right of that kind over all categories (a Beta prior of weight 2, so that a cell
        with few rows leans to its kind's pooled share).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import pandas as pd

from refcat.analysis.categorizer_scores import category_scores
from refcat.categorize.confidence import KINDS, reading_kind
from refcat.categorize.rules import READERS, Categorization, categorize_all
from refcat.datasets.release import read_release
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES, CATEGORY_NAMES, RELEASE_CATEGORY_ORDER

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RELEASE_DIR = Path("/tmp/released/dataset")
RELEASE_FILES = ("A2D_RE_categorization.csv", "DAVIS17_RE_categorization.csv")
RELEASED_SOURCES = ("A2D", "DAVIS17")  # their names in the tables; the confidence is calibrated on these
HAND_SETS = ("eval", "heldout", "blind", "blind2", "blind3", "blind4", "blind5", "blind6")
BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)
PRIOR_WEIGHT = 2  # pseudo-rows of the pooled share added to each (category, kind) cell


def sources(release_dir: Path, labels: tuple[Path, ...] = ()) -> dict[str, pd.DataFrame]:
    """Name -> a table with ref_exp and the seven category columns (0/1), labelled rows only; `labels`: more
    labelled CSVs, named file:<stem>."""
    out = {}
    for name in RELEASE_FILES:
        path = release_dir / name
        if path.is_file():
            df = read_release(path)
            df = df[df[list(RELEASE_CATEGORY_ORDER)].notna().all(axis=1)].reset_index(drop=True)
            out[RELEASED_SOURCES[RELEASE_FILES.index(name)]] = df
    plus = a2dre_plus(release_dir)
    if len(plus):
        out["A2Dre+"] = plus
    for name in HAND_SETS:
        out[f"hand:{name}"] = pd.read_csv(DATA / f"categorize_{name}_hand_labelled.csv")
    for path in labels:
        out[f"file:{path.stem}"] = pd.read_csv(path)
    return out


def a2dre_plus(release_dir: Path) -> pd.DataFrame:
    """The released A2Dre+ REs (A2D_<name>_... with the category, A2D_no_<name>_... without it, in the
    release folder or its New_REs folder), each labelled on its one category (1 or 0), the others not
    labelled. Lines: video_id;instance_id;RE."""
    rows = []
    for category, name in A2DRE_PLUS_CATEGORIES.items():
        for prefix, value in (("", 1), ("no_", 0)):
            file_name = f"A2D_{prefix}{name}_new_format_all_non_trivial.txt"
            path = next(
                (d / file_name for d in (release_dir, release_dir / "New_REs") if (d / file_name).is_file()), None
            )
            if path is None:
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
                parts = line.split(";", 2)
                if len(parts) == 3 and parts[2].strip():
                    rows.append({"ref_exp": parts[2].strip(), category: value})
    df = pd.DataFrame(rows, columns=["ref_exp", *CATEGORY_NAMES])
    return df.astype(dict.fromkeys(CATEGORY_NAMES, "Int8"))


def predictions(results: list[Categorization]) -> pd.DataFrame:
    return pd.DataFrame([{c: int(r.labels[c]) for c in CATEGORY_NAMES} for r in results])


def scores_table(frames: dict[str, pd.DataFrame], results: dict[tuple[str, str], list[Categorization]]) -> None:
    for reader in READERS:
        print(f"\n== reader: {reader} ==")
        rows = []
        for name, df in frames.items():
            s = category_scores(df, predictions(results[reader, name]), CATEGORY_NAMES)
            for cat in CATEGORY_NAMES:
                rows.append((name, cat, s.at[cat, "n"], s.at[cat, "f1"], s.at[cat, "kappa"], s.at[cat, "recall"]))
        table = pd.DataFrame(rows, columns=["source", "category", "n", "f1", "kappa", "recall"])
        for metric in ("f1", "kappa"):
            print(f"-- {metric} --")
            print(
                table.pivot(index="source", columns="category", values=metric)[list(CATEGORY_NAMES)].to_string(
                    float_format=lambda v: f"{v:.3f}"
                )
            )
        cat_recall = table[table.category == "category"].set_index("source")["recall"]
        print("-- category recall --")
        print(cat_recall.to_string(float_format=lambda v: f"{v:.3f}"))


def tallies(
    frames: dict[str, pd.DataFrame], results: dict[tuple[str, str], list[Categorization]], reader: str, names: list[str]
) -> tuple[dict[tuple[str, str], list[int]], dict[int, list[float]]]:
    """(category, kind) -> [labels right, rows], and confidence bin -> [rows, sum of confidence, right]."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_bin: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for name in names:
        for r, (_, row) in zip(results[reader, name], frames[name].iterrows()):
            for cat in CATEGORY_NAMES:
                if pd.isna(row[cat]):
                    continue
                right = int(r.labels[cat] == bool(row[cat]))
                tally = counts[cat, reading_kind(r.labels[cat], r.doubts[cat])]
                tally[0] += right
                tally[1] += 1
                p = r.confidence[cat]
                b = next(k for k in range(len(BINS) - 1) if BINS[k] <= p < BINS[k + 1])
                by_bin[b][0] += 1
                by_bin[b][1] += p
                by_bin[b][2] += right
    return counts, by_bin


def print_reliability(title: str, by_bin: dict[int, list[float]]) -> None:
    print(f"-- reliability per confidence bin, {title} --")
    for b in sorted(by_bin):
        rows, conf, hits = by_bin[b]
        span = f"[{BINS[b]:.2f}, {min(BINS[b + 1], 1):.2f})"
        print(f"{span}: rows {int(rows):5d}  mean conf {conf / rows:.3f}  right {hits / rows:.3f}")


def calibrate(frames: dict[str, pd.DataFrame], results: dict[tuple[str, str], list[Categorization]]) -> None:
    released = [n for n in frames if n in RELEASED_SOURCES]
    if not released:
        print("no released labels: nothing to calibrate on")
        return
    for reader in READERS:
        counts, by_bin = tallies(frames, results, reader, released)
        print(f"\n== calibration, reader {reader}: right / rows per category and reading kind ==")
        for cat in CATEGORY_NAMES:
            print(f"{cat:11s} " + "  ".join(f"{k:4s} {counts[cat, k][0]:4d}/{counts[cat, k][1]:<4d}" for k in KINDS))
        print_reliability("released labels (current table)", by_bin)
        if "A2Dre+" in frames:
            print_reliability(
                "released A2Dre+ REs (not calibrated on)", tallies(frames, results, reader, ["A2Dre+"])[1]
            )
        hand = [n for n in frames if n.startswith("hand:")]
        print_reliability("hand-labelled sets (not calibrated on)", tallies(frames, results, reader, hand)[1])
        pooled = {}  # kind -> the share right over all categories: the prior of each cell
        for k in KINDS:
            right, n = (sum(counts[c, k][i] for c in CATEGORY_NAMES) for i in (0, 1))
            pooled[k] = (right + 1) / (n + 2)
        print(f"-- CONFIDENCE table from these counts (shrunk to the kind's pooled share, weight {PRIOR_WEIGHT}) --")
        print(f'    "{reader}": {{')
        for cat in CATEGORY_NAMES:
            cells = ", ".join(
                f'"{k}": {(counts[cat, k][0] + PRIOR_WEIGHT * pooled[k]) / (counts[cat, k][1] + PRIOR_WEIGHT):.3f}'
                for k in KINDS
            )
            print(f'        "{cat}": {{{cells}}},')
        print("    },")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release-dir", type=Path, default=RELEASE_DIR)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--labels", type=Path, nargs="*", default=[], help="more labelled CSVs to score")
    args = parser.parse_args()
    frames = sources(args.release_dir, tuple(args.labels))
    results = {
        (reader, name): categorize_all(df["ref_exp"].astype(str).tolist(), reader)
        for reader in READERS
        for name, df in frames.items()
    }
    print("rows: " + ", ".join(f"{n} {len(df)}" for n, df in frames.items()))
    scores_table(frames, results)
    if args.calibrate:
        calibrate(frames, results)


if __name__ == "__main__":
    main()
