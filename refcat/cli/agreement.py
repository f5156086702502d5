"""`refcat agreement` and `refcat consensus`: label tables from a CSV file or the store."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, Renamed, db_parent
from refcat.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from refcat.cli.common import Subparsers


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        metavar="FILE.csv",
        help="label table with columns item,annotator,field,label (and optionally text); "
        "an empty label is a missing answer; yes/no fields also take 1/0, 1.0/0.0 and "
        "true/false (any case), read as yes/no; other labels of taxonomy fields must be "
        "taxonomy values",
    )
    parser.add_argument("--campaign", help="read the labels of this campaign from the store (instead of --input)")
    parser.add_argument(
        "--round", type=int, help="round number of the campaign (with --campaign; default: its current round)"
    )


def register(subparsers: Subparsers) -> None:
    db = db_parent()
    p = subparsers.add_parser(
        "agreement",
        parents=[db],
        help="inter-annotator agreement per label field",
        description="Fleiss', Davies & Fleiss' and pairwise Cohen's kappas and Krippendorff's "
        "alpha per field, with standard errors and confidence intervals.",
    )
    _add_input_options(p)
    p.add_argument(
        "--out-dir",
        type=OUTPUT_DIR,
        metavar="DIR",
        help="write agreement.csv, agreement.md and agreement_pairwise.csv here",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per field instead of the table")
    p.add_argument(
        "--n-boot",
        type=int,
        default=1000,
        help="bootstrap resamples of items for the intervals; 0 for analytic (Wald) intervals only",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level of the intervals")
    p.set_defaults(func=cmd_agreement)

    c = subparsers.add_parser(
        "consensus",
        parents=[db],
        help="consensus labels: keep a label given by at least K annotators",
        description="Per item and field, keep the most voted label when it has at least K votes; "
        "ties and items with too few answers get a status, not a label.",
    )
    _add_input_options(c)
    c.add_argument("--min-votes", type=int, default=2, metavar="K", help="votes needed to keep a label")
    c.add_argument(
        "--output",
        required=True,
        type=OUTPUT_FILE,
        metavar="OUT.csv",
        help="long CSV: item,field,label,votes,n_answers,status",
    )
    c.add_argument(
        "--release-output",
        action=Renamed,
        renamed_from="--release",
        type=OUTPUT_FILE,
        metavar="OUT_release.csv",
        help="also write the paper's released label format (RE fields only; items must be instance keys)",
    )
    c.set_defaults(func=cmd_consensus)


def load_label_table(args: argparse.Namespace) -> pd.DataFrame:
    """The long label table (item, annotator, field, label[, text]) from `--input` or the store."""
    if args.input and args.campaign:
        raise UsageError("give either --input or --campaign, not both")
    if args.input:
        from refcat.analysis.agreement_layouts import read_label_csv

        return read_label_csv(args.input)
    if not args.campaign:
        raise UsageError("give --input FILE.csv, or --campaign NAME (and --round N) to read the store")
    from refcat.annotate.labels import label_table
    from refcat.store.database import open_store

    return label_table(open_store(args.db), args.campaign, args.round)


def cmd_agreement(args: argparse.Namespace) -> int:
    from refcat.analysis.agreement_report import (
        agreement_by_field,
        report_json,
        report_markdown,
        write_report,
    )

    table = load_label_table(args)
    source = args.input or f"campaign {args.campaign}"
    results = agreement_by_field(table, n_boot=args.n_boot, seed=args.seed, confidence=args.confidence, source=source)
    if args.json:
        for obj in report_json(results):
            print(json.dumps(obj))
    else:
        print(report_markdown(results, args.confidence))
    if args.out_dir:
        for path in write_report(results, args.out_dir, args.confidence):
            print(f"wrote {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_consensus(args: argparse.Namespace) -> int:
    from refcat.analysis.consensus import consensus, release_frame
    from refcat.annotate.label_sources import item_texts
    from refcat.datasets.release import write_release

    table = load_label_table(args)
    source = args.input or f"campaign {args.campaign}"
    result = consensus(table, args.min_votes, source=source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output, index=False)
    counts = result["status"].value_counts()
    print(f"wrote {args.output}: {len(result)} item-field rows, " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    if args.release_output:
        release, skipped = release_frame(result, item_texts(table))
        write_release(release, args.release_output)
        print(f"wrote {args.release_output}: {len(release)} instances; {len(skipped)} skipped for lack of consensus")
        for item, reason in skipped.itertuples(index=False):
            print(f"  skipped {item}: {reason}")
    return 0
