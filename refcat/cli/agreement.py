"""`refcat agreement` and `refcat consensus`: label tables from a CSV file or the store."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, ListOption, Renamed, db_parent
from refcat.errors import FormatError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from refcat.annotate.state import Campaign
    from refcat.cli.common import Subparsers
    from refcat.store.database import Store


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        metavar="FILE.csv",
        help="label table with columns item,annotator,field,label (and optionally text, and round: 1 for "
        "the first answers, 2 for the answers after revision); an empty label is a missing answer; "
        "yes/no fields also take 1/0, 1.0/0.0 and true/false (any case), read as yes/no; other labels "
        "of taxonomy fields must be taxonomy values",
    )
    parser.add_argument("--campaign", help="read the labels of this campaign from the store (instead of --input)")
    parser.add_argument(
        "--round",
        type=int,
        help="round to read: 1 first answers, 2 after revision (default: the campaign's current round, "
        "or the last round of the --input table)",
    )


def register(subparsers: Subparsers) -> None:
    db = db_parent()
    p = subparsers.add_parser(
        "agreement",
        parents=[db],
        help="inter-annotator agreement per label field",
        description="Fleiss', Conger's (Davies & Fleiss') and pairwise Cohen's kappas, Krippendorff's alpha, "
        "Gwet's AC1, Brennan-Prediger and percent agreement per field, with standard errors and confidence "
        "intervals; with both rounds, the change from the first answers to the revised ones.",
    )
    _add_input_options(p)
    p.add_argument(
        "--out-dir",
        type=OUTPUT_DIR,
        metavar="DIR",
        help="write agreement.md, agreement.json, agreement.csv, agreement_pairwise.csv and the forest plot "
        "agreement_forest.png here",
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON object per field (everything the table shows) instead"
    )
    p.add_argument(
        "--bootstrap",
        dest="n_boot",
        metavar="B",
        type=int,
        default=0,
        action=Renamed,
        renamed_from="--n-boot",
        help="percentile-bootstrap intervals from B resamples of items; 0 for the analytic intervals "
        "(irrCAC's variance with a t quantile)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    p.add_argument(
        "--ordinal",
        action=ListOption,
        default=[],
        metavar="FIELD",
        help="fields whose labels are ordered (taxonomy order, or numbers in numeric order): they also get "
        "Krippendorff's ordinal alpha",
    )
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level of the intervals")
    p.set_defaults(func=cmd_agreement)

    c = subparsers.add_parser(
        "consensus",
        parents=[db],
        help="consensus labels: keep a label given by a majority of the annotators",
        description="Per item and field, keep the most voted label when it has enough votes (by default a "
        "strict majority of the panel); ties and items with too few answers get a status, not a label.",
    )
    _add_input_options(c)
    c.add_argument(
        "--min-votes",
        type=int,
        metavar="K",
        help="votes needed to keep a label (default: a strict majority of the panel: of the campaign's "
        "annotators per instance, or of each item's annotators in an --input table)",
    )
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
    c.add_argument(
        "--report-output",
        type=OUTPUT_FILE,
        metavar="OUT.json",
        help="also write the counts per status and the list of ties, other undecided rows and items left out "
        "of the release",
    )
    c.set_defaults(func=cmd_consensus)


@dataclass(frozen=True)
class Labels:
    """The answers a command reads, and where they come from."""

    table: pd.DataFrame  # item, annotator, field, label[, text] of the round read
    source: str  # the CSV path or "campaign NAME"
    round: int | None  # the round of `table`; None for a table without rounds
    rounds: dict[int, pd.DataFrame]  # every round there is, `table` among them (empty without rounds)
    store: Store | None = None
    campaign: Campaign | None = None


def load_labels(args: argparse.Namespace) -> Labels:
    """The label table (item, annotator, field, label[, text]) from `--input` or the store."""
    if args.input and args.campaign:
        raise UsageError("give either --input or --campaign, not both")
    if args.input:
        from refcat.analysis.agreement_layouts import read_label_csv

        return _csv_rounds(read_label_csv(args.input), args.input, args.round)
    if not args.campaign:
        raise UsageError("give --input FILE.csv, or --campaign NAME (and --round N) to read the store")
    from refcat.annotate.campaigns import current_round, get_campaign
    from refcat.annotate.labels import label_table
    from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND
    from refcat.store.database import open_store

    store = open_store(args.db, create=False)
    campaign = get_campaign(store, args.campaign)
    last = current_round(store, campaign).number
    number = last if args.round is None else args.round
    if number not in (LABEL_ROUND, REVISION_ROUND) or number > last:
        raise UsageError(f"campaign {campaign.name!r} has no round {number}", expected=f"a round from 1 to {last}")
    rounds = {n: label_table(store, campaign, n) for n in range(LABEL_ROUND, last + 1)}
    return Labels(rounds[number], f"campaign {campaign.name}", number, rounds, store, campaign)


def _csv_rounds(table: pd.DataFrame, path: str, wanted: int | None) -> Labels:
    """A CSV table split by its optional `round` column (positive integers)."""
    if "round" not in table.columns:
        if wanted is not None:
            raise UsageError(f"--round {wanted} needs a campaign, or a round column in {path}")
        return Labels(table, path, None, {})
    numbers = table["round"].str.strip()
    if not numbers.str.fullmatch(r"[1-9][0-9]*").all():
        bad = numbers[~numbers.str.fullmatch(r"[1-9][0-9]*")].iloc[0]
        raise FormatError(f"round {bad!r} is not a round number", path=path, expected="1, 2, ...")
    rounds = {int(n): part.drop(columns="round") for n, part in table.groupby(numbers.astype(int), sort=True)}
    number = max(rounds) if wanted is None else wanted
    if number not in rounds:
        raise UsageError(f"{path} has no round {number}", expected=", ".join(map(str, rounds)))
    return Labels(rounds[number], path, number, rounds)


def cmd_agreement(args: argparse.Namespace) -> int:
    from refcat.analysis.agreement_report import (
        ReportSettings,
        build_report,
        full_markdown,
        report_lines,
        write_report,
    )

    labels = load_labels(args)
    settings = ReportSettings(
        source=labels.source,
        campaign=labels.campaign.name if labels.campaign else None,
        round=labels.round,
        n_boot=args.n_boot,
        seed=args.seed,
        confidence=args.confidence,
        ordinal=tuple(args.ordinal),
    )
    report = build_report(labels.table, settings, labels.rounds)
    if args.json:
        for obj in report_lines(report):
            print(json.dumps(obj))
    else:
        print(full_markdown(report))
    if args.out_dir:
        for path in write_report(report, args.out_dir):
            print(f"wrote {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def with_unanswered(result: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Consensus rows plus, for a campaign, one "too few answers" correctness row per instance nobody has
    answered (in no row of the answers), so that the release leaves it out by name."""
    if labels.store is None or labels.campaign is None:
        return result
    import pandas as pd

    from refcat.analysis.consensus import TOO_FEW
    from refcat.annotate.campaigns import campaign_instances

    answered = set(result["item"])
    missing = [key for key in campaign_instances(labels.store, labels.campaign) if key not in answered]
    rows = pd.DataFrame({"item": missing, "field": "correctness", "label": "", "status": TOO_FEW})
    return pd.concat([result, rows], ignore_index=True) if missing else result


def cmd_consensus(args: argparse.Namespace) -> int:
    from refcat.analysis.consensus import consensus, consensus_summary, release_frame, votes_rule
    from refcat.annotate.export import (
        answers_to_come,
        instance_texts,
        kept_items,
        left_out_counts,
        left_out_frame,
        left_out_path,
        with_sources,
        write_release_files,
    )
    from refcat.annotate.label_sources import item_texts

    labels = load_labels(args)
    panel = labels.campaign.per_instance if labels.campaign else None
    result = consensus(labels.table, args.min_votes, source=labels.source, panel=panel)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.output, index=False)
    counts = result["status"].value_counts()
    print(f"wrote {args.output}: {len(result)} item-field rows, " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    rule = votes_rule(args.min_votes, panel)
    print(f"votes needed: {rule}")
    skipped = None
    if args.release_output:
        texts = instance_texts(labels.store, result["item"]) if labels.store else item_texts(labels.table)
        release, skipped = release_frame(with_unanswered(result, labels), texts)
        coming = (
            answers_to_come(labels.store, labels.campaign, labels.round) if labels.store and labels.campaign else set()
        )
        left_out = left_out_frame(skipped, texts, {}, coming)
        write_release_files(with_sources(release, kept_items(result["item"], skipped)), left_out, args.release_output)
        print(f"wrote {args.release_output}: {len(release)} instances; {len(skipped)} left out for lack of consensus")
        for reason, count in left_out_counts(left_out).items():
            print(f"  {reason}: {count}")
        print(f"wrote {left_out_path(args.release_output)}: the instances left out and why")
    if args.report_output:
        summary: dict[str, object] = {"source": labels.source, "round": labels.round, "votes_needed": rule}
        summary |= consensus_summary(result, skipped)
        args.report_output.parent.mkdir(parents=True, exist_ok=True)
        args.report_output.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.report_output}: the ties, undecided rows and items left out")
    return 0
