"""Subcommands: `refcat categorize` (rules or a learned model) and `refcat categorize-train`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from refcat.cli.common import OUTPUT_FILE

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
    p.set_defaults(func=cmd_categorize)

    p = sub.add_parser(
        "categorize-train",
        help="train the learned categorizer on consensus labels",
        description="Train one logistic regression per category over text features and the rule outputs.",
    )
    p.add_argument(
        "--input",
        type=Path,
        required=True,
        help="labels: a released *_RE_categorization.csv, or a CSV with ref_exp and category columns",
    )
    p.add_argument("--output", type=OUTPUT_FILE, required=True, help="where to save the model (joblib)")
    p.add_argument(
        "--features",
        choices=("tfidf", "minilm"),
        default="tfidf",
        help="text features: TF-IDF word n-grams or MiniLM sentence embeddings",
    )
    p.set_defaults(func=cmd_categorize_train)


def _embed(features: str) -> Embed | None:
    """MiniLM sentence embeddings for minilm models (torch is imported only then)."""
    if features != "minilm":
        return None
    from refcat.refvos_model.sentence_embeddings import encode

    return encode


def cmd_categorize(args: argparse.Namespace) -> int:
    from refcat.analysis.categorizer_scores import category_scores
    from refcat.categorize.table import (
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
    table = categorize_table(labels, model)
    write_categorized(table, args.output)
    print(f"categorized {len(table)} REs -> {args.output}")
    if args.eval:
        scores = category_scores(labels, table, RELEASE_CATEGORY_ORDER)
        if (scores["n"] == 0).all():
            print("no category labels in the input to evaluate against")
            return 1
        print(scores.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0


def cmd_categorize_train(args: argparse.Namespace) -> int:
    from refcat.categorize.learned import LearnedCategorizer
    from refcat.categorize.table import read_expressions

    labels = read_expressions(args.input)
    model = LearnedCategorizer(args.features, embed=_embed(args.features)).fit(labels)
    model.save(args.output)
    print(f"trained on {len(labels)} REs ({args.features}) -> {args.output}")
    return 0
