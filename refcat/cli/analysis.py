"""`refcat evaluate`, `refcat stats`, `refcat phrases`, `refcat ablation` and `refcat report`."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, ListOption, Renamed, db_parent, progress_bar
from refcat.datasets.readers import DATASETS
from refcat.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from refcat.cli.common import Subparsers
    from refcat.datasets.records import Instance, ObjectRef

log = logging.getLogger(__name__)


def register(subparsers: Subparsers) -> None:
    db = db_parent()
    p = subparsers.add_parser(
        "evaluate",
        help="score predictions (DAVIS PNG layout) and write the per-sample table",
        description="Score predicted masks against a dataset's masks: one row per expression x annotated frame "
        "with I, U, J (DAVIS region similarity) and F (DAVIS boundary measure). Resumes from an "
        "existing output: videos already complete there are not evaluated again. Also writes the "
        "summary to <TABLE stem>_summary.json beside the table: figures by source, DAVIS statistics "
        "per object and per expression. J/F columns prefixed object_ average over objects "
        "(DAVIS-2017: each object's mean, recall and decay, then the mean over objects), those "
        "prefixed expression_ over expressions; the unprefixed ones follow --layout. --protocol NAME "
        "scores as an official evaluation does instead (see docs/evaluation.md): davis17-semi and davis17-unsup "
        "(davis2017-evaluation, also writing its global_results-<split>.csv and per-sequence_results-<split>.csv "
        "beside the table), a2d-mttr and a2d-refvos (the two A2D IoU conventions), refytvos and mevis "
        "(J&F per expression over every annotated frame).",
    )
    p.add_argument("--pred", required=True, type=Path, metavar="DIR", help="folder of predicted PNG masks")
    p.add_argument("--dataset", required=True, choices=DATASETS, help="dataset the predictions are for")
    p.add_argument("--root", required=True, type=Path, metavar="ROOT", help="dataset root folder")
    p.add_argument("--split", help="dataset split (DAVIS: train/val, A2D: train/test); default: all")
    p.add_argument(
        "--protocol",
        metavar="NAME",
        help="score as this official evaluation does (names above) (its layout, frames, void handling and figures); "
        "davis17-semi and davis17-unsup need --split and read combined label maps (--layout object)",
    )
    p.add_argument(
        "--layout",
        choices=("expression", "object"),
        help="expression (the default): PRED/<video>/<object>/<source>/<frame>.png (nonzero = referent); "
        "object: PRED/<video>/<frame>.png with object ids as pixel values (the official DAVIS results layout); "
        "the summary's J/F/J&F then average over objects, as DAVIS-2017 does, else over expressions. "
        "A protocol sets its own",
    )
    p.add_argument(
        "--instances",
        type=Path,
        metavar="FILE",
        help="evaluate the expressions of this instance file (e.g. from `refcat phrases`) instead of the dataset's own",
    )
    p.add_argument(
        "--a2dre-plus",
        type=Path,
        metavar="DIR",
        help="evaluate the A2Dre+ expressions of the eight files in DIR (sources a2dre+:CATEGORY:with|without)",
    )
    p.add_argument(
        "--output",
        required=True,
        type=OUTPUT_FILE,
        metavar="TABLE",
        help="per-sample table, .parquet or .csv; the summary goes to <TABLE stem>_summary.json beside it",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="worker processes, one video at a time each; 0 (the default) = all cores",
    )
    p.add_argument(
        "--missing-as-empty",
        action="store_true",
        help="score a missing prediction file as an empty mask instead of stopping",
    )
    p.add_argument("--restart", action="store_true", help="ignore an existing output instead of resuming from it")
    p.add_argument(
        "--convention",
        choices=("mttr", "refvos"),
        help="IoU convention of the printed A2D figures (default mttr; a protocol sets its own)",
    )
    p.add_argument(
        "--drop-ends",
        action="store_true",
        help="leave out each expression's first and last frame from J and F (void pixels stay excluded). "
        "Deprecated for DAVIS: the official semi-supervised evaluation also keeps void pixels; "
        "use --protocol davis17-semi",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the summary by source as JSON (the same object as by_source in the summary file; "
        'with --protocol, {"protocol": ..., "by_source": ...})',
    )
    p.set_defaults(func=cmd_evaluate)

    s = subparsers.add_parser(
        "stats",
        parents=[db],
        help="statistics of labelled REs (the paper's Figures 3 and 4)",
        description="Per dataset: shares of trivial / non-trivial / no-RE / wrong-object REs (over all REs), "
        "the share of valid category-labelled REs expressing each category (all, trivial, "
        "non-trivial), the redundancy ratio and the category co-occurrence matrix.",
    )
    s.add_argument(
        "--release",
        default=[],
        action=ListOption,
        metavar="[NAME=]FILE",
        help="released label files (*_RE_categorization.csv), one a dataset. "
        "NAME defaults to a2d / davis from the file name, else the file name",
    )
    s.add_argument(
        "--campaign",
        default=[],
        action=ListOption,
        metavar="NAME",
        help="campaigns of the store (--db) whose final labels to use",
    )
    s.add_argument(
        "--dataset",
        default=None,
        choices=DATASETS,
        help="also a dataset's own REs, unlabelled: difficulty from its object classes, every RE taken as valid; "
        "read with --root, else from the store (--db)",
    )
    s.add_argument("--root", type=Path, default=None, help="the --dataset's root folder (default: read the store)")
    s.add_argument("--split", default=None, help="only this split of the --dataset (default: all)")
    s.add_argument(
        "--categorize",
        action="store_true",
        help="categories and information of the --dataset's REs from the automatic categorizer (as `refcat "
        "categorize` predicts them), for Figure 4 (default: none, so Figure 4 counts them unlabelled)",
    )
    s.add_argument(
        "--model", type=Path, default=None, help="with --categorize, a learned model from `refcat categorize-train`"
    )
    s.add_argument("--json", action="store_true", help="print all statistics as one JSON object")
    s.set_defaults(func=cmd_stats)

    ph = subparsers.add_parser(
        "phrases",
        help="write phrase-level variants of A2D expressions (the paper's Table 6)",
        description="For every A2D referent with an expression: 'thing', the actor noun, 'thing' + action, "
        "actor + action, and the full expressions, from the actor-action codes. Writes an instance "
        "file (sources phrase:LEVEL, phrase:full:SOURCE) to evaluate with `refcat evaluate --instances`. "
        "Referents with sentences but no mask (so no actor-action code) are skipped and counted.",
    )
    ph.add_argument("--root", required=True, type=Path, metavar="ROOT", help="A2D root folder")
    ph.add_argument("--split", help="A2D split (train/test); default: all")
    ph.add_argument(
        "--output",
        required=True,
        type=OUTPUT_FILE,
        metavar="FILE",
        help="instance file to write (.csv, .jsonl or .parquet)",
    )
    ph.add_argument(
        "--out-dir",
        action=Renamed,
        renamed_from="--a2d-dir",
        type=OUTPUT_DIR,
        metavar="DIR",
        help="also write one A2D-Sentences-style a2d_annotation_LEVEL.txt a level here",
    )
    ph.set_defaults(func=cmd_phrases)

    ab = subparsers.add_parser(
        "ablation",
        parents=[db],
        help="break a per-sample table down by RE labels (trivial / non-trivial, Tables 5 and 6)",
        description="Trivial vs non-trivial referents and per-category IoU (with --release), Table 5 from "
        "A2Dre+ rows (sources a2dre+:CATEGORY:with|without) and Table 6 from phrase rows "
        "(sources phrase:LEVEL, with --release), whichever the table holds.",
    )
    _add_table_options(ab)
    ab.add_argument("--json", action="store_true", help="print the tables as JSON")
    ab.set_defaults(func=cmd_ablation)

    rp = subparsers.add_parser(
        "report",
        parents=[db],
        help="write the analysis in the paper's layout: HTML (figures embedded), Markdown, LaTeX",
        description="The analysis of a per-sample table in the paper's layout (percentages with one decimal): "
        "a provenance block, summaries of the dataset's REs and of each family of variants apart, "
        "precision@K, Table 5 (A2Dre+, paired bootstrap intervals), Table 6 (phrase levels) and the "
        "label breakdowns the inputs allow. HTML is one self-contained page with the figures as "
        "embedded PNG; Markdown and LaTeX hold the tables. The provenance comes from the options "
        "below and from the summary refcat evaluate wrote beside the table (<TABLE stem>_summary.json).",
    )
    _add_table_options(rp)
    rp.add_argument(
        "--out-dir",
        required=True,
        type=OUTPUT_DIR,
        metavar="DIR",
        help="writes report.html, report.md and report.tex (as --format asks) here",
    )
    rp.add_argument(
        "--format",
        action=ListOption,
        choices=("html", "md", "latex"),
        default=["html", "md"],
        help="the files to write: html (report.html), md (report.md), latex (report.tex)",
    )
    rp.add_argument("--title", default="refcat report", help="page title")
    rp.add_argument("--model", metavar="TEXT", help="the model the predictions come from, for the provenance block")
    rp.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="the checkpoint the predictions come from: the provenance block gives its path and SHA-256",
    )
    rp.add_argument(
        "--config",
        metavar="FILE|TEXT",
        help="the model's configuration: a file (recorded with its SHA-256) or a text such as a preset's name",
    )
    rp.add_argument("--split", help="the dataset split the table covers, for the provenance block")
    rp.add_argument(
        "--protocol", metavar="TEXT", help="the evaluation protocol the table follows, for the provenance block"
    )
    rp.set_defaults(func=cmd_report)


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--table",
        required=True,
        type=Path,
        metavar="TABLE",
        help="per-sample table from `refcat evaluate` (.parquet or .csv)",
    )
    parser.add_argument(
        "--release",
        action=ListOption,
        default=[],
        metavar="[NAME=]FILE",
        help="released label files with the REs' difficulty and categories",
    )
    parser.add_argument(
        "--campaign",
        action=ListOption,
        default=[],
        metavar="NAME",
        help="store campaigns (--db) whose final labels to use",
    )
    parser.add_argument(
        "--instances",
        type=Path,
        metavar="FILE",
        help="instance file with the expressions' texts, to match labels per expression "
        "(else only referents with one labelled RE get category labels)",
    )
    parser.add_argument("--convention", choices=("mttr", "refvos"), default="mttr", help="IoU convention")
    parser.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--confidence", type=float, default=0.95, help="CI level")


def _instances(args: argparse.Namespace) -> list[Instance] | None:
    if args.instances and args.a2dre_plus:
        raise UsageError("give --instances or --a2dre-plus, not both")
    if args.instances:
        from refcat.datasets.instance_io import read_instances

        return [i for i in read_instances(args.instances) if i.dataset == args.dataset]
    if args.a2dre_plus:
        from refcat.datasets.a2dre_plus import a2dre_plus_instances, read_a2dre_plus

        return list(a2dre_plus_instances(read_a2dre_plus(args.a2dre_plus), dataset=args.dataset))
    return None


def _print_summary(document: dict[str, Any], as_json: bool) -> None:
    """The summary: as JSON (`document["by_source"]`, with a protocol `{"protocol": ..., "by_source": ...}`),
    or the protocol's figures and a table by source under a line saying what J/F/J&F average over, and
    a line saying what the counts count."""
    protocol = document.get("protocol")
    if as_json:
        shown = (
            document["by_source"] if protocol is None else {"protocol": protocol, "by_source": document["by_source"]}
        )
        print(json.dumps(shown, indent=2))
        return
    import pandas as pd

    from refcat.analysis.summaries import DAVIS_AVERAGE_NOTES

    if protocol is not None:
        print(f"{protocol['name']}: {protocol['mirrors']}")
        results = protocol["results"]
        figures = results.get("global", results)
        print(pd.DataFrame([figures]).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print()
    summary = pd.DataFrame.from_dict(document["by_source"], orient="index")
    columns = [
        "expressions",
        "objects",
        "rows",
        "samples",
        "J_mean",
        "F_mean",
        "JF_mean",
        "expression_JF_mean",
        "object_JF_mean",
        "overall_iou",
        "mean_iou",
        "precision@0.5",
        "precision@0.7",
        "precision@0.9",
    ]
    print(
        f"J_mean, F_mean, JF_mean: {DAVIS_AVERAGE_NOTES[document['davis_average']]} "
        f"(expression_JF_mean: over expressions; object_JF_mean: over objects, as DAVIS-2017)"
    )
    print(summary[columns].apply(pd.to_numeric).to_string(float_format=lambda v: f"{v:.4f}"))
    print(document["notes"]["counts"])


def cmd_evaluate(args: argparse.Namespace) -> int:
    from refcat.analysis.per_sample import Scoring, evaluate_to_file
    from refcat.analysis.protocols import get_protocol, protocol_instances, summarize
    from refcat.analysis.summaries import summary_document, summary_path, write_summary
    from refcat.datasets.readers import open_reader

    protocol = get_protocol(args.protocol) if args.protocol else None
    if protocol is not None:
        protocol.check(args.dataset, args.layout)
        if args.drop_ends or (args.convention and args.convention != protocol.convention):
            raise UsageError(f"protocol {protocol.name} sets the frames and the IoU convention itself")
    layout = protocol.layout if protocol else args.layout or "expression"
    convention = protocol.convention if protocol else args.convention or "mttr"
    davis = protocol is not None and protocol.kind == "davis"
    if davis and not args.split:
        raise UsageError(f"protocol {args.protocol} evaluates one split", expected="--split train or --split val")
    if args.drop_ends:
        log.warning(
            "--drop-ends is deprecated: it keeps void pixels excluded; --protocol davis17-semi is the "
            "official semi-supervised DAVIS evaluation"
        )
    reader = open_reader(args.dataset, args.root, split=args.split, **(protocol.reader_options if protocol else {}))
    instances = _instances(args)
    if davis and instances is not None:
        raise UsageError(f"protocol {args.protocol} scores every object of the split, not given expressions")
    if instances is None:
        instances = protocol_instances(protocol, reader) if davis and protocol else list(reader.instances())
    if not instances:
        raise UsageError(f"no expressions to evaluate for {args.dataset}")
    scoring = protocol.scoring if protocol else Scoring()
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    with progress_bar("evaluate") as progress:
        table = evaluate_to_file(
            args.pred,
            reader,
            instances,
            args.output,
            layout,
            processes=jobs,
            missing_as_empty=args.missing_as_empty,
            scoring=scoring,
            # matched proposals are named in the rows, so a video's rows are never those asked for: no resume
            restart=args.restart or scoring.max_proposals is not None,
            progress=progress,
        )
    document = summary_document(table, convention, layout=layout, drop_ends=args.drop_ends, by_source=not davis)
    written = []
    if protocol is not None:
        summary = summarize(protocol, table, [v.video_id for v in reader.videos()])
        document["protocol"] = summary.section
        if summary.davis is not None:
            written = summary.davis.write(Path(args.output).parent, args.split)
    write_summary(document, summary_path(args.output))
    _print_summary(document, args.json)
    if not args.json:
        print(f"{len(table)} rows written to {args.output}, summary to {summary_path(args.output)}")
        for path in written:
            print(f"official results: {path}")
    return 0


def _percent_table(
    frame: pd.DataFrame, count_columns: tuple[str, ...] = ("n", "unlabelled", "redundant", "minimal")
) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if column not in count_columns:
            shown[column] = (shown[column].astype(float) * 100).map(lambda v: "" if math.isnan(v) else f"{v:.1f}%")
    text: str = shown.to_string()
    return text


def cmd_stats(args: argparse.Namespace) -> int:
    import pandas as pd

    from refcat.analysis.stats import (
        category_shares,
        cooccurrence,
        dataset_statistics,
        difficulty_proportions,
        redundancy,
    )
    from refcat.annotate.label_sources import read_labels

    tables = [read_labels(args.release, args.db, args.campaign)] if args.release or args.campaign else []
    if args.dataset is not None:
        tables.append(_dataset_labels(args))
    elif args.root is not None or args.split is not None or args.categorize:
        raise UsageError("--root, --split and --categorize describe a --dataset", expected="--dataset NAME")
    if not tables:
        raise UsageError("no labels given", expected="--release FILE, --campaign NAME or --dataset NAME")
    labels = pd.concat(tables, ignore_index=True)
    if args.json:
        print(json.dumps(dataset_statistics(labels), indent=2))
        return 0
    print("Difficulty (Figure 3), share of all REs:")
    print(_percent_table(difficulty_proportions(labels)))
    if "difficulty_reason" in labels:
        _print_undecided(labels)
    print("\nCategories (Figure 4), share of valid REs with category labels:")
    print(_percent_table(category_shares(labels)))
    print("\nRedundancy, valid REs with an information label:")
    print(_percent_table(redundancy(labels)))
    for dataset in sorted(set(labels["dataset"])):
        print(f"\nCo-occurrence in {dataset} (REs with both categories; diagonal: REs with the category):")
        print(cooccurrence(labels, dataset).to_string())
    return 0


def _dataset_labels(args: argparse.Namespace) -> pd.DataFrame:
    """`--dataset`'s REs as a label table (refcat.analysis.stats.class_label_table), from `--root` or the store."""
    from refcat.analysis.stats import class_label_table, with_categorizer

    objects: dict[str, list[ObjectRef]] = {}
    if args.root is not None:
        from refcat.datasets.readers import open_reader

        reader = open_reader(args.dataset, args.root, split=args.split)
        instances = list(reader.instances())
        for video_id in dict.fromkeys(i.video_id for i in instances):
            objects[video_id] = reader.objects(video_id)
    else:
        from refcat.store.database import open_store
        from refcat.store.instances import list_instances, list_objects

        store = open_store(args.db, create=False)
        instances = list_instances(store, dataset=args.dataset, split=args.split)
        for video_id in dict.fromkeys(i.video_id for i in instances):
            objects[video_id] = list_objects(store, args.dataset, video_id)
    if not instances:
        raise UsageError(
            f"no REs of {args.dataset}" + (f" in the {args.split} split" if args.split else ""),
            expected="--root with the dataset, or a store it was imported into",
        )
    labels = class_label_table(args.dataset, instances, objects)
    if not args.categorize:
        return labels
    model = None
    if args.model is not None:
        from refcat.categorize.learned import LearnedCategorizer
        from refcat.cli.categorize import _embed

        model = LearnedCategorizer.load(args.model)
        model.embed = _embed(model.features)
    return with_categorizer(labels, model)


def _print_undecided(labels: pd.DataFrame) -> None:
    """How many REs the classes leave undecided, per dataset, with the first few reasons."""
    undecided = labels[labels["difficulty_reason"].notna() & labels["difficulty"].isna()]
    for dataset, group in undecided.groupby("dataset", sort=True):
        examples = "; ".join(group["difficulty_reason"].drop_duplicates().head(3))
        print(f"{dataset}: {len(group)} of {int((labels['dataset'] == dataset).sum())} REs undecided, e.g. {examples}")


def cmd_phrases(args: argparse.Namespace) -> int:
    from refcat.analysis.phrases import reader_phrase_instances, write_a2d_annotations
    from refcat.datasets.a2d import A2DReader
    from refcat.datasets.instance_io import write_instances

    instances, skipped = reader_phrase_instances(A2DReader(args.root, split=args.split))
    n = write_instances(instances, args.output)
    print(
        f"{n} phrase variants of {len({(i.video_id, i.object_id) for i in instances})} referents "
        f"written to {args.output}"
    )
    if skipped:
        print(
            f"{len(skipped)} referents skipped: sentences but no mask, so no actor-action code "
            f"({', '.join(f'{v} object {o}' for v, o in skipped[:5])}{', ...' if len(skipped) > 5 else ''})"
        )
    if args.out_dir:
        for path in write_a2d_annotations(instances, args.out_dir):
            print(f"  {path}")
    return 0


def analysis_inputs(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """(per-sample table, label table or None, labels per expression or None) from the common options."""
    from refcat.analysis.ablation import expression_labels
    from refcat.analysis.per_sample import read_table
    from refcat.annotate.label_sources import read_labels, table_expressions

    table = read_table(args.table)
    if not args.release and not args.campaign:
        return table, None, None
    labels = read_labels(args.release, args.db, args.campaign)
    return table, labels, expression_labels(table_expressions(table, args.instances), labels)


def cmd_ablation(args: argparse.Namespace) -> int:
    from refcat.analysis.report import analysis_tables, build_report

    table, labels, by_expression = analysis_inputs(args)
    settings = {"n_boot": args.n_boot, "seed": args.seed, "confidence": args.confidence}
    if args.json:
        tables = analysis_tables(table, labels, by_expression, args.convention, **settings)
        print(json.dumps({name: json.loads(frame.to_json(orient="index")) for name, frame in tables.items()}, indent=2))
        return 0
    for section in build_report(table, labels, by_expression, args.convention, **settings).sections:
        print(f"{section.title}:")
        print(section.table.to_string())
        for note in section.notes:
            print(note)
        print()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from refcat.analysis.report import build_report, gather_provenance, write_report

    table, labels, by_expression = analysis_inputs(args)
    origin = gather_provenance(
        args.table,
        model=args.model,
        checkpoint=args.checkpoint,
        config=args.config,
        split=args.split,
        protocol=args.protocol,
    )
    report = build_report(
        table,
        labels,
        by_expression,
        args.convention,
        title=args.title,
        n_boot=args.n_boot,
        seed=args.seed,
        confidence=args.confidence,
        provenance=origin,
    )
    for path in write_report(args.out_dir, report, args.format):
        print(path)
    return 0
