"""Subcommand `refcat augment`: build A2Dre+ variants (Section 4.3), import released ones, export them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from refcat.cli.common import OUTPUT_DIR, db_parent

if TYPE_CHECKING:
    import pandas as pd

    from refcat.categorize.augment import LabelledRE
    from refcat.cli.common import Subparsers
    from refcat.datasets.records import DatasetReader, Instance
    from refcat.store.database import Store


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "augment",
        parents=[db_parent()],
        help="build A2Dre+ variants (each RE with and without each category), import or export them",
        description="For each non-trivial RE with consensus labels (a released label file with --input, or a "
        "store campaign's consensus with --campaign) and each of appearance, location, motion and "
        "static, write the RE with and without the category: the original on the side of its "
        "label, the other side a minimal edit, added phrases read from the video (--root). "
        "Writes the eight A2Dre+ files, a tidy long table and the rows left out and why "
        "to --out-dir, all named after --dataset, and prints a report whose counts add up to the input rows. "
        "--import DIR loads released A2Dre+ files into the store for review; --out-dir alone "
        "exports the store's variants (people's decisions included).",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--input",
        type=Path,
        help="a released *_RE_categorization.csv label file (or `refcat categorize` output); "
        "its rows are matched by video, object and text to the instances of --root, "
        "else of the --db store when it exists, for the instance keys of the tidy table "
        "(column matched; unmatched rows get a made-up key)",
    )
    source.add_argument("--campaign", help="use this store campaign's consensus labels (with --db)")
    p.add_argument(
        "--out-dir",
        type=OUTPUT_DIR,
        help="folder for the A2Dre+ files, <DATASET>_a2dre_plus_variants.csv and <DATASET>_a2dre_plus_left_out.csv",
    )
    p.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset folder, to read facts (position, motion, colour) from the videos; "
        "without it every added phrase is left to a person",
    )
    p.add_argument(
        "--dataset",
        choices=("a2d", "davis", "demo"),
        default="a2d",
        help="dataset of the REs and of --root",
    )
    p.add_argument(
        "--save",
        action="store_true",
        help="with --input: also save the variants in the store (--db) for review; the files then "
        "come from the store, with people's decisions (always so with --campaign)",
    )
    p.add_argument(
        "--import",
        dest="import_dir",
        type=Path,
        default=None,
        help="import the released A2Dre+ files of this folder into the store (--db) as variants",
    )
    p.add_argument(
        "--reviewed-only",
        action="store_true",
        help="write only variants a person accepted, edited, wrote or imported "
        "(default: also unflagged generated ones)",
    )
    p.set_defaults(func=cmd_augment)


def cmd_augment(args: argparse.Namespace) -> int:
    import pandas as pd

    from refcat.categorize import augment as aug
    from refcat.errors import UsageError

    building = args.input is not None or args.campaign is not None
    if not building and args.import_dir is None and args.out_dir is None:
        raise UsageError("nothing to do", expected="--input FILE or --campaign NAME, and/or --import DIR")
    if building and args.out_dir is None:
        raise UsageError("--out-dir is required to build variants", expected="--out-dir DIR")
    use_store = (
        args.save
        or args.campaign is not None
        or args.import_dir is not None
        or (not building and args.out_dir is not None)
    )
    store = None
    if use_store:
        from refcat.annotate import variants as store_variants
        from refcat.store.database import open_store

        store = open_store(args.db)
        if args.import_dir is not None:
            n = store_variants.import_a2dre_plus(store, args.import_dir, args.dataset)
            print(f"imported {n} A2Dre+ variants from {args.import_dir} into {store.url}")
    table, left_out = None, None
    if building:
        reader = None
        if args.root is not None:
            from refcat.datasets.readers import open_reader

            reader = open_reader(args.dataset, args.root)
        res, left_out = _labelled_res(args, store, reader)
        facts = aug.reader_facts(reader) if reader is not None else None
        variants = aug.build_variants(res, facts)
        if store is not None:
            counts = store_variants.save_generated(store, variants)
            print(f"store {store.url}: {counts.summary()}")
        else:
            table = aug.variant_table(variants)
        repeats = int((left_out["reason"] == aug.REPEATED).sum()) if left_out is not None else 0
        print(f"{len(res) - repeats} non-trivial REs -> {len(variants)} variants")
    if args.out_dir is None:
        return 0
    if store is not None:  # the files then come from the store, people's decisions included
        table = store_variants.variant_table(store)
    files, tidy = aug.write_outputs(table, args.out_dir, args.reviewed_only, args.dataset, left_out)
    print(f"wrote {len(files)} A2Dre+ files and {tidy}")
    if store is not None and left_out is not None:  # the store's table holds earlier runs' variants too
        print(
            f"{len(left_out)} rows left out: "
            + ", ".join(f"{k} {n}" for k, n in left_out["reason"].value_counts().items())
        )
    report = pd.Series(aug.report(table, left_out if store is None else None))
    print(report.to_string())
    return 0


def _labelled_res(
    args: argparse.Namespace, store: Store | None, reader: DatasetReader | None
) -> tuple[list[LabelledRE], pd.DataFrame | None]:
    """The REs to vary, and the rows (consensus items) left out and why. A release file's rows are
    matched to real instance keys: the instances of --root's dataset, else those of the store when
    it is in use (--save) or already exists (--db)."""
    from refcat.categorize import augment as aug
    from refcat.store.instances import list_instances

    if args.input is not None:
        from refcat.datasets.release import read_release
        from refcat.store.presence import store_may_exist

        instances: list[Instance] = []
        source = "nothing to match against"
        if reader is not None:
            instances, source = list(reader.instances()), "--root"
        elif store is not None or store_may_exist(args.db):
            from refcat.errors import StoreError
            from refcat.store.database import open_store

            try:
                instances = list_instances(store or open_store(args.db, create=False), dataset=args.dataset)
                source = "the store"
            except StoreError as exc:
                source = f"the store could not be read: {exc}"
        release = read_release(args.input)
        res = aug.res_from_release(release, args.dataset, instances)
        unmatched = sum(aug.is_made_up(r.instance) for r in res)
        print(
            f"{len(res) - unmatched} of {len(res)} non-trivial REs matched to an instance ({source}); "
            f"{unmatched} with a made-up key (source re<k>)"
        )
        return res, aug.left_out_of_release(release, res, args.dataset)
    from refcat.annotate.labels import final_labels

    assert store is not None, "--campaign always opens the store"
    texts = {i.key: i.text for i in list_instances(store)}
    final = final_labels(store, args.campaign)
    res = aug.res_from_consensus(final, texts)
    return res, aug.left_out_of_consensus(final, texts, res)
