"""Subcommands for data: demo-data, demo-store, import, export, info."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from refcat.cli.annotate import _admin, add_export_labels
from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, FormerPositional, ListOption, db_parent, progress_bar
from refcat.datasets.readers import DATASETS
from refcat.errors import MissingDataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from refcat.cli.common import Subparsers
    from refcat.datasets.records import DatasetReader
    from refcat.store.database import Store
    from refcat.store.importing import ReleaseMatch

log = logging.getLogger(__name__)
INSTANCE_SUFFIXES = (".csv", ".jsonl", ".parquet")


def register(sub: Subparsers) -> None:
    db = db_parent()
    p = sub.add_parser("demo-data", help="write the synthetic demo dataset (DAVIS-2017 format)")
    p.add_argument("--out-dir", type=OUTPUT_DIR, metavar="DIR", help="folder to write the dataset in (required)")
    p.add_argument("out", action=FormerPositional, renamed_to="--out-dir", type=OUTPUT_DIR)
    p.add_argument(
        "--diagnostic",
        choices=["motion"],
        help="write a diagnostic set instead of the demo: pairs of objects of one class told apart only by motion, "
        "with colour and position controls (docs/diagnostic.md)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--videos",
        type=int,
        help="number of videos (default: 12; past 12 the scene templates come round again; "
        "with --diagnostic 72, a third of them val)",
    )
    p.add_argument(
        "--val-round",
        type=int,
        default=None,
        metavar="K",
        help="make the K-th round of templates the val split and all other videos train "
        "(default: each template's own split)",
    )
    p.add_argument("--min-frames", type=int, help="fewest frames a video (default: 30; with --diagnostic 16)")
    p.add_argument("--max-frames", type=int, help="most frames a video (default: 50; with --diagnostic 24)")
    p.add_argument("--width", type=int, help="frame width (default: 854; with --diagnostic 320)")
    p.add_argument("--height", type=int, help="frame height (default: 480; with --diagnostic 180)")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser(
        "demo-store", parents=[db], help="import the demo dataset into a store with demo accounts and a campaign"
    )
    p.add_argument("--data", type=Path, required=True, help="demo dataset folder (from `refcat demo-data`)")
    p.set_defaults(func=cmd_demo_store)

    p = sub.add_parser("import", help="import a dataset, released labels or instances into the store")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for name, text, splits in (
        ("davis", "DAVIS-2017 with Khoreva REs", "train or val"),
        ("a2d", "A2D with A2D Sentences", "train or test"),
        ("demo", "the demo dataset", "train or val"),
        (
            "ref-youtube-vos",
            "Ref-YouTube-VOS (meta_expressions/, <split>/meta.json, <split>/Annotations/)",
            "train or valid",
        ),
        ("mevis", "MeViS (<split>/meta_expressions.json and mask_dict.json)", "train, valid_u or valid"),
    ):
        k = kinds.add_parser(name, parents=[db], help=text)
        k.add_argument("--root", type=Path, required=True, help="dataset root folder")
        k.add_argument("--split", default=None, help=f"only this split, {splits} (default: all)")
        if name == "davis":
            k.add_argument(
                "--annotations",
                default="Annotations",
                choices=["Annotations", "Annotations_unsupervised"],
                help="mask folder",
            )
            k.add_argument(
                "--expressions",
                type=Path,
                default=None,
                metavar="DIR",
                help="folder of the Davis17_annot*.txt files (default: davis_text_annotations/ inside the root, "
                "else beside it)",
            )
        k.set_defaults(func=cmd_import_davis if name == "davis" else cmd_import_dataset, dataset=name)
    k = kinds.add_parser(
        "release", parents=[db], help="the paper's *_RE_categorization.csv (REs matched to stored instances)"
    )
    k.add_argument("file", type=Path, help="released label file")
    k.add_argument("--dataset", required=True, choices=DATASETS, help="dataset its rows belong to")
    k.add_argument(
        "--report-output",
        type=OUTPUT_FILE,
        default=None,
        metavar="FILE",
        help="write every unmatched row and every near match to FILE (CSV)",
    )
    k.add_argument(
        "--skip-unmatched",
        action="store_true",
        help="import the rows whose objects are stored and list the others, instead of importing nothing",
    )
    k.add_argument(
        "--as-campaign",
        default=None,
        metavar="NAME",
        help="also import the file's labels as the finished campaign NAME, answered by the account `release` "
        "(a label source, not a person), to compare with a team's labels (`refcat export final-labels`)",
    )
    k.add_argument("--by", default=None, help="admin account creating that campaign (default: the only admin)")
    k.set_defaults(func=cmd_import_release)
    k = kinds.add_parser("a2dre-plus", parents=[db], help="the eight released A2Dre+ files, as variants to review")
    k.add_argument("folder", type=Path, help="folder with A2D_*_new_format_all_non_trivial.txt")
    k.add_argument(
        "--dataset",
        default="a2d",
        choices=["a2d", "davis", "demo"],
        help="dataset the files' videos belong to",
    )
    k.set_defaults(func=cmd_import_a2dre_plus)
    k = kinds.add_parser("instances", parents=[db], help="instances exported by `refcat export instances`")
    k.add_argument("file", type=Path, help=f"instance file ({', '.join(INSTANCE_SUFFIXES)})")
    k.set_defaults(func=cmd_import_instances)

    p = sub.add_parser("export", help="export instances or label answers from the store")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    k = kinds.add_parser("instances", parents=[db], help="instances as CSV, JSONL or Parquet (by the file's suffix)")
    k.add_argument("--output", type=OUTPUT_FILE, required=True, help="output file (.csv, .jsonl or .parquet)")
    k.add_argument("--dataset", default=None, help="only this dataset")
    k.add_argument("--split", default=None, help="only this split")
    k.set_defaults(func=cmd_export_instances)
    add_export_labels(kinds)
    k = kinds.add_parser(
        "final-labels",
        parents=[db],
        help="final labels of campaigns side by side, as a long label table for `refcat agreement --input`",
    )
    k.add_argument(
        "--campaign",
        action=ListOption,
        default=[],
        required=True,
        metavar="NAME",
        help="two campaigns or more, each one annotator of the table (named after the campaign)",
    )
    k.add_argument("--output", type=OUTPUT_FILE, required=True, help="CSV: item,annotator,field,label")
    k.set_defaults(func=cmd_export_final_labels)

    p = sub.add_parser("info", parents=[db], help="counts of videos, objects and instances by dataset and split")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)


def cmd_demo_data(args: argparse.Namespace) -> int:
    from refcat.demo.diagnostic import write_diagnostic_dataset
    from refcat.demo.generator import write_demo_dataset

    if args.out_dir is None:
        raise UsageError("the output folder is missing", expected="--out-dir DIR")
    given = {"n_videos": args.videos, "min_frames": args.min_frames, "max_frames": args.max_frames}
    given |= {"width": args.width, "height": args.height}
    sizes = {name: value for name, value in given.items() if value is not None}  # the others: the writer's defaults
    if args.diagnostic is None:
        out = write_demo_dataset(args.out_dir, seed=args.seed, val_round=args.val_round, **sizes)
        print(f"demo dataset written to {out}")
        return 0
    if args.val_round is not None:
        raise UsageError("--val-round is for the demo's scene templates", expected="no --val-round with --diagnostic")
    out = write_diagnostic_dataset(args.out_dir, args.diagnostic, seed=args.seed, **sizes)
    print(f"{args.diagnostic} diagnostic dataset written to {out}")
    return 0


def cmd_demo_store(args: argparse.Namespace) -> int:
    from refcat.annotate.demo_project import build_demo_store

    with progress_bar("demo") as progress:
        _, counts, project = build_demo_store(args.db, args.data, progress)
    print(counts.summary())
    print(
        f"campaign {project['campaign']!r} over {project['instances']} instances"
        + (f"; created {', '.join(project['created'])}" if project["created"] else "")
    )
    print(
        "demo accounts (demo passwords only): "
        + ", ".join(f"{name}/{password}" for name, password in project["users"].items())
    )
    return 0


def _import_reader(args: argparse.Namespace, reader: DatasetReader) -> None:
    """Import `reader` into the store of `--db` with a progress bar, and print the counts."""
    from refcat.store.database import open_store
    from refcat.store.importing import import_reader

    with progress_bar(args.dataset) as progress:
        counts = import_reader(open_store(args.db), reader, progress)
    print(counts.summary())


def cmd_import_dataset(args: argparse.Namespace) -> int:
    from refcat.datasets.readers import open_reader

    _import_reader(args, open_reader(args.dataset, args.root, split=args.split))
    return 0


def cmd_import_davis(args: argparse.Namespace) -> int:
    """DAVIS: as the other datasets, after checking the RE files give at least one RE (exit 2 otherwise)."""
    from refcat.datasets.davis import DavisReader

    reader = DavisReader(args.root, split=args.split, annotations=args.annotations, expressions=args.expressions)
    found = sum(1 for _ in reader.instances())
    if not found:
        raise MissingDataError(
            "no referring expressions found" + (f" for the {args.split} split" if args.split else ""),
            path=reader.expressions_dir,
            expected="Davis17_annot*.txt files in davis_text_annotations/ inside or beside --root, "
            "or in the folder --expressions names",
        )
    _import_reader(args, reader)
    print(f"{found} REs found in {reader.expressions_dir}")
    return 0


SHOWN_ROWS = 5  # rows listed on the terminal; --report-output has them all


def _write_release_report(path: Path, file: Path, match: ReleaseMatch) -> None:
    """CSV, one row per unmatched row or near match: line, status, the row's ids and text, the stored RE."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "line", "status", "why", "stored_key", "stored_text", "ref_exp"])
        for line, why in match.skipped:
            writer.writerow([file, line, "unmatched", why, "", "", ""])
        for line, text, instance in match.near:
            writer.writerow([file, line, "near", "differs from the stored RE", instance.key, instance.text, text])


def _print_rows(rows: list[str], report: str, out: TextIO) -> None:
    """The first SHOWN_ROWS of `rows`, indented, then how many more there are and where (`report`)."""
    for row in rows[:SHOWN_ROWS]:
        print(f"  {row}", file=out)
    if len(rows) > SHOWN_ROWS:
        print(f"  ... {len(rows) - SHOWN_ROWS} more: {report}", file=out)


def cmd_import_release(args: argparse.Namespace) -> int:
    from refcat.datasets.release import read_release
    from refcat.store.database import open_store
    from refcat.store.importing import release_dataset_elsewhere, release_instances
    from refcat.store.instances import upsert_records

    store = open_store(args.db)
    release = read_release(args.file)
    elsewhere = release_dataset_elsewhere(store, args.dataset, release)
    if elsewhere is not None:
        raise UsageError(
            f"the file's videos are in the store as {elsewhere} videos, none as {args.dataset}",
            path=args.file,
            expected=f"--dataset {elsewhere}, or a label file of {args.dataset}",
        )
    match = release_instances(store, args.dataset, release)
    if args.report_output is not None:
        _write_release_report(args.report_output, args.file, match)
    report = (
        f"the full list is in {args.report_output}"
        if args.report_output is not None
        else "--report-output FILE writes the full list"
    )
    unmatched = [f"{args.file}, line {line}: {why}" for line, why in match.skipped]
    if match.near:
        print(
            f"refcat import release: warning: {len(match.near)} rows matched a stored RE whose text differs "
            "(case, spacing or up to 2 characters):",
            file=sys.stderr,
        )
        _print_rows(
            [
                f"{args.file}, line {line}: {text!r} taken as {instance.key} {instance.text!r}"
                for line, text, instance in match.near
            ],
            report,
            sys.stderr,
        )
    if match.skipped and not args.skip_unmatched:
        stored = sum(1 for i in match.instances if not i.source.startswith("release"))
        print(
            f"refcat import release: error: {len(match.skipped)} of {len(release)} rows of {args.file} cannot be "
            "matched: their objects are not in the store; nothing imported",
            file=sys.stderr,
        )
        print(
            f"  {stored} rows matched a stored RE, {len(match.instances) - stored} would be new REs of stored "
            f"objects, {len(match.skipped)} unmatched:",
            file=sys.stderr,
        )
        _print_rows(unmatched, report, sys.stderr)
        print(
            f"  import their videos first (`refcat import {args.dataset}` without --split), "
            "or pass --skip-unmatched to import the other rows",
            file=sys.stderr,
        )
        return 2
    admin = None if args.as_campaign is None else _release_campaign_admin(store, args.as_campaign, args.by)
    print(upsert_records(store, [], [], match.instances).summary())
    if match.skipped:
        print(f"{len(match.skipped)} rows skipped (their objects are not in the store):")
        _print_rows(unmatched, report, sys.stdout)
    if admin is not None:
        _import_release_campaign(store, args.as_campaign, admin, release, match)
    return 0


def _release_campaign_admin(store: Store, name: str, by: str | None) -> str:
    """The admin who creates the release campaign `name`, checked before anything is written."""
    from refcat.annotate.accounts import get_user
    from refcat.annotate.campaigns import list_campaigns

    if any(c.name == name for c in list_campaigns(store)):
        raise UsageError(f"campaign {name!r} already exists", expected="--as-campaign with a new name")
    admin = _admin(store, by)
    if not get_user(store, admin).is_admin:
        raise UsageError(f"{admin} is not an admin", expected="--by an admin account")
    return admin


def _import_release_campaign(store: Store, name: str, admin: str, release: pd.DataFrame, match: ReleaseMatch) -> None:
    """The finished campaign of the matched rows' labels (refcat.annotate.release_campaign)."""
    from refcat.annotate.release_campaign import RELEASE_ACCOUNT, import_release_campaign, release_answers

    skipped_lines = {line for line, _ in match.skipped}
    answers = [a for n, a in enumerate(release_answers(release)) if n + 2 not in skipped_lines]  # line = row + 2
    result = import_release_campaign(store, name, [i.key for i in match.instances], answers, admin)
    print(
        f"campaign {name!r} (finished): {result.campaign.n_instances} instances answered by {RELEASE_ACCOUNT!r}, "
        f"{result.answers} answers; {result.unlabelled} questions the file leaves unlabelled"
        + (f"; {result.replaced} rows relabel an earlier row's RE (the later row stands)" if result.replaced else "")
    )


def cmd_import_a2dre_plus(args: argparse.Namespace) -> int:
    from refcat.annotate.variants import import_a2dre_plus
    from refcat.store.database import open_store

    n = import_a2dre_plus(open_store(args.db), args.folder, args.dataset)
    print(f"{n} A2Dre+ variants imported from {args.folder} (review them on the app's A2Dre+ page)")
    return 0


def _check_instance_suffix(path: Path) -> None:
    if path.suffix.lower() not in INSTANCE_SUFFIXES:
        raise UsageError(f"cannot tell the format of {path}", expected=" or ".join(INSTANCE_SUFFIXES))


def cmd_import_instances(args: argparse.Namespace) -> int:
    from refcat.datasets.instance_io import read_instances
    from refcat.store.database import open_store
    from refcat.store.instances import upsert_records

    _check_instance_suffix(args.file)
    counts = upsert_records(open_store(args.db), [], [], read_instances(args.file))
    print(counts.summary())
    return 0


def cmd_export_instances(args: argparse.Namespace) -> int:
    from refcat.datasets.instance_io import write_instances
    from refcat.store.database import open_store
    from refcat.store.instances import list_instances

    _check_instance_suffix(args.output)
    instances = list_instances(open_store(args.db, create=False), dataset=args.dataset, split=args.split)
    write_instances(instances, args.output)
    print(f"{len(instances)} instances written to {args.output}")
    return 0


def cmd_export_final_labels(args: argparse.Namespace) -> int:
    from refcat.annotate.release_campaign import compared_labels
    from refcat.store.database import open_store

    table = compared_labels(open_store(args.db, create=False), args.campaign)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output, index=False)
    counts = table.groupby("annotator", sort=False)["item"].nunique()
    print(
        f"{len(table)} labels written to {args.output}: "
        + ", ".join(f"{name} {n} items" for name, n in counts.items())
        + f"; {table['item'].nunique()} items in all"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from refcat.store.database import open_store
    from refcat.store.instances import dataset_counts

    rows = dataset_counts(open_store(args.db, create=False))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("the store holds no videos")
        return 0
    header = ("dataset", "split", "videos", "objects", "instances")
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in header]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(str(r[h]).ljust(w) for h, w in zip(header, widths)))
    return 0
