"""Subcommands: `refcat categorize` (rules or a learned model) and `refcat categorize-train`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from refcat.categorize.rules import DEFAULT_READER, READERS
from refcat.cli.common import OUTPUT_FILE, ListOption

if TYPE_CHECKING:
    from refcat.categorize.learned import Embed
    from refcat.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "categorize",
        help="predict the seven RE categories (and redundant/minimal) with evidence",
        description="Categorize REs with the rule-based categorizer, or a learned model with --model. "
        "Writes the released label format plus an `evidence` column (JSON).",
    )
    p.add_argument(
        "--input", type=Path, required=True, help="a released *_RE_categorization.csv, or any CSV with a ref_exp column"
    )
    p.add_argument("--output", type=OUTPUT_FILE, required=True, help="output CSV (released format + evidence)")
    p.add_argument(
        "--eval",
        action="store_true",
        help="compare with the category labels in the input: precision, recall, F1, Cohen's kappa",
    )
    p.add_argument(
        "--model", type=Path, default=None, help="a learned model from `refcat categorize-train` (default: the rules)"
    )
    p.add_argument(
        "--reader",
        choices=READERS,
        default=None,
        help="the rules' reading: words (hand-written shallow parser) or parse (with spaCy's dependency parse); "
        f"default: {DEFAULT_READER}, or with --model the model's own reader (another one is an error)",
    )
    p.add_argument(
        "--review-threshold",
        type=_probability,
        default=None,
        metavar="T",
        help="add a needs_review column listing the categories whose confidence is below T (0-1)",
    )
    p.set_defaults(func=cmd_categorize)

    p = sub.add_parser(
        "categorize-train",
        help="train the learned categorizer on consensus labels",
        description="Train one logistic regression per category over text features and the rule outputs; "
        "per category, keep the rules unless the model beats them in cross-validation (grouped by video).",
    )
    p.add_argument(
        "--input",
        action=ListOption,
        required=True,
        help="labels: released *_RE_categorization.csv files, or CSVs with ref_exp and category columns",
    )
    p.add_argument("--output", type=OUTPUT_FILE, required=True, help="where to save the model (joblib)")
    p.add_argument(
        "--features",
        choices=("tfidf", "minilm"),
        default="tfidf",
        help="text features: TF-IDF word n-grams or MiniLM sentence embeddings",
    )
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds for the choice of each category")
    p.add_argument(
        "--margin",
        type=float,
        default=0.02,
        help="use the model for a category only if it beats the rules by more than this in CV F1 and kappa",
    )
    p.add_argument("--reader", choices=READERS, default=DEFAULT_READER, help="the rules' reading the model uses")
    p.set_defaults(func=cmd_categorize_train)


def _probability(value: str) -> float:
    """A --review-threshold value: a number in [0, 1]."""
    try:
        p = float(value)
    except ValueError:
        p = float("nan")
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number between 0 and 1")
    return p


def _embed(features: str) -> Embed | None:
    """MiniLM sentence embeddings for minilm models (torch is imported only then)."""
    if features != "minilm":
        return None
    from refcat.refvos_model.sentence_embeddings import encode

    return encode


def cmd_categorize(args: argparse.Namespace) -> int:
    from refcat.analysis.categorizer_scores import category_scores
    from refcat.categorize.table import (
        REVIEW_COLUMN,
        categorize_table,
        read_expressions,
        write_categorized,
    )
    from refcat.taxonomy import RELEASE_CATEGORY_ORDER

    labels = read_expressions(args.input)
    model = None
    if args.model is not None:
        from refcat.categorize.learned import LearnedCategorizer

        model = LearnedCategorizer.load(args.model)
        model.embed = _embed(model.features)
    table = categorize_table(labels, model, args.reader, args.review_threshold)
    write_categorized(table, args.output)
    reader = model.reader if model is not None else args.reader or DEFAULT_READER
    print(f"categorized {len(table)} REs ({reader} reader) -> {args.output}")
    if args.review_threshold is not None:
        flagged = table[REVIEW_COLUMN].str.len() > 0
        decisions = int(table[REVIEW_COLUMN][flagged].str.count(",").sum() + flagged.sum())
        print(
            f"{decisions} decisions in {int(flagged.sum())} of {len(table)} REs need review "
            f"(confidence < {args.review_threshold:g}; column {REVIEW_COLUMN})"
        )
    if args.eval:
        scores = category_scores(labels, table, RELEASE_CATEGORY_ORDER)
        if (scores["n"] == 0).all():
            print("no category labels in the input to evaluate against")
            return 1
        print(scores.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0


def cmd_categorize_train(args: argparse.Namespace) -> int:
    import pandas as pd

    from refcat.categorize.learned import LearnedCategorizer
    from refcat.categorize.table import read_expressions
    from refcat.taxonomy import RELEASE_CATEGORY_ORDER

    labels = pd.concat([read_expressions(path) for path in args.input], ignore_index=True)
    embed = _embed(args.features)
    model = LearnedCategorizer(args.features, embed=embed, folds=args.folds, margin=args.margin, reader=args.reader)
    model.fit(labels)
    model.save(args.output)
    labelled = int(labels[list(RELEASE_CATEGORY_ORDER)].notna().any(axis=1).sum())
    print(
        f"trained on {labelled} of {len(labels)} REs (those with category labels; "
        f"{args.features}, {args.reader} reader) -> {args.output}"
    )
    print(model.choice_table().to_string(float_format=lambda v: f"{v:.3f}"))
    return 0
