"""`refcat evaluate`, `refcat stats`, `refcat phrases`, `refcat ablation` and `refcat report`."""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from refcat.errors import UsageError

DATASETS = ("davis", "a2d", "demo")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="score predictions (DAVIS PNG layout) and write the per-sample table",
        description="Score predicted masks against a dataset's masks: one row per expression x annotated frame "
                    "with I, U, J (DAVIS region similarity) and F (DAVIS boundary measure). Resumes from an "
                    "existing output: videos already complete there are not evaluated again.")
    p.add_argument("--pred", required=True, type=Path, metavar="DIR", help="folder of predicted PNG masks")
    p.add_argument("--dataset", required=True, choices=DATASETS, help="dataset the predictions are for")
    p.add_argument("--root", required=True, type=Path, metavar="ROOT", help="dataset root folder")
    p.add_argument("--split", help="dataset split (DAVIS: train/val, A2D: train/test); default: all")
    p.add_argument("--layout", choices=("expression", "object"), default="expression",
                   help="expression: PRED/<video>/<object>/<source>/<frame>.png (nonzero = referent); "
                        "object: PRED/<video>/<frame>.png with object ids as pixel values (default %(default)s)")
    p.add_argument("--instances", type=Path, metavar="FILE",
                   help="evaluate the expressions of this instance file (e.g. from `refcat phrases`) "
                        "instead of the dataset's own")
    p.add_argument("--a2dre-plus", type=Path, metavar="DIR",
                   help="evaluate the A2Dre+ expressions of the eight files in DIR (sources a2dre+:CATEGORY:with|without)")
    p.add_argument("--output", required=True, type=Path, metavar="TABLE", help="per-sample table, .parquet or .csv")
    p.add_argument("--jobs", type=int, default=1, help="worker processes, one video at a time each; 0 = all cores "
                                                       "(default %(default)s)")
    p.add_argument("--missing-as-empty", action="store_true",
                   help="score a missing prediction file as an empty mask instead of stopping")
    p.add_argument("--restart", action="store_true", help="ignore an existing output instead of resuming from it")
    p.add_argument("--convention", choices=("mttr", "refvos"), default="mttr",
                   help="IoU convention of the printed A2D figures (default %(default)s)")
    p.add_argument("--drop-ends", action="store_true",
                   help="leave out each expression's first and last frame from J and F, as the semi-supervised "
                        "DAVIS evaluation does")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=evaluate_handler)


def _instances(args):
    if args.instances and args.a2dre_plus:
        raise UsageError("give --instances or --a2dre-plus, not both")
    if args.instances:
        from refcat.datasets.instance_io import read_instances

        return [i for i in read_instances(args.instances) if i.dataset == args.dataset]
    if args.a2dre_plus:
        from refcat.analysis.ablation import a2dre_plus_instances
        from refcat.datasets.a2dre_plus import read_a2dre_plus

        return a2dre_plus_instances(read_a2dre_plus(args.a2dre_plus))
    return None


def _progress(iterable, total):
    from tqdm import tqdm

    return tqdm(iterable, total=total, unit="video", desc="evaluate")


def _print_summary(summary, as_json: bool) -> None:
    if as_json:
        records = {name: {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                   for name, row in summary.to_dict(orient="index").items()}
        print(json.dumps(records, indent=2))
        return
    columns = ["expressions", "samples", "J_mean", "F_mean", "JF_mean", "overall_iou", "mean_iou",
               "precision@0.5", "precision@0.7", "precision@0.9"]
    print(summary[columns].to_string(float_format=lambda v: f"{v:.4f}"))


def evaluate_handler(args) -> int:
    from refcat.analysis.evaluate import evaluate_to_file, summary_by_source
    from refcat.datasets.readers import open_reader

    reader = open_reader(args.dataset, args.root, split=args.split)
    instances = _instances(args)
    if instances is None:
        instances = list(reader.instances())
    if not instances:
        raise UsageError(f"no expressions to evaluate for {args.dataset}")
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    table = evaluate_to_file(args.pred, reader, instances, args.output, args.layout, processes=jobs,
                             missing_as_empty=args.missing_as_empty, restart=args.restart, progress=_progress)
    _print_summary(summary_by_source(table, args.convention, drop_ends=args.drop_ends), args.json)
    if not args.json:
        print(f"{len(table)} rows written to {args.output}")
    return 0
