"""Subcommands for annotation: annotators, campaign, and `export labels` (hooked under `export`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from refcat.cli.common import OUTPUT_FILE, ListOption, Renamed, db_parent
from refcat.errors import UsageError

if TYPE_CHECKING:
    from refcat.cli.common import Subparsers
    from refcat.store.database import Store


def register(sub: Subparsers) -> None:
    db = db_parent()
    p = sub.add_parser("annotators", help="annotator and admin accounts: add, list, passwords, disable, sessions")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = acts.add_parser(
        "add", parents=[db], help="add an account (password of 12 or more characters, from a file or typed at a prompt)"
    )
    a.add_argument("name", help="user name (no spaces, '/' or ',')")
    a.add_argument(
        "--admin", action="store_true", help="an admin account (creates campaigns, closes rounds, adjudicates)"
    )
    a.add_argument(
        "--password-file",
        type=Path,
        default=None,
        help="read the password from the first line of this file (default: prompt)",
    )
    a.set_defaults(func=cmd_annotators_add)
    a = acts.add_parser("list", parents=[db], help="list accounts (name, role, then 'disabled' or 'demo' if so)")
    a.set_defaults(func=cmd_annotators_list)
    a = acts.add_parser(
        "passwd", parents=[db], help="set an account's password (a demo account becomes a real one); ends its sessions"
    )
    a.add_argument("name", help="user name")
    a.add_argument(
        "--password-file",
        type=Path,
        default=None,
        help="read the new password from the first line of this file (default: prompt)",
    )
    a.set_defaults(func=cmd_annotators_passwd)
    a = acts.add_parser("disable", parents=[db], help="disable an account: it cannot log in, its sessions end")
    a.add_argument("name", help="user name")
    a.set_defaults(func=cmd_annotators_disable)
    a = acts.add_parser("enable", parents=[db], help="let a disabled account log in again")
    a.add_argument("name", help="user name")
    a.set_defaults(func=cmd_annotators_enable)
    a = acts.add_parser("revoke-sessions", parents=[db], help="end every session of an account (it logs in again)")
    a.add_argument("name", help="user name")
    a.set_defaults(func=cmd_annotators_revoke_sessions)

    p = sub.add_parser("campaign", help="create annotation campaigns, close their rounds, follow their progress")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = acts.add_parser("create", parents=[db], help="create a campaign and open its blind labelling round")
    a.add_argument("name", help="campaign name")
    a.add_argument("--dataset", required=True, help="dataset of the instances (davis, a2d, demo)")
    a.add_argument("--split", default=None, help="only this split (default: all)")
    a.add_argument("--min-objects", type=int, default=1, help="only videos with at least this many annotated objects")
    a.add_argument("--videos", action=ListOption, metavar="ID", help="only these videos (default: all)")
    a.add_argument("--annotators", action=ListOption, required=True, metavar="NAME", help="annotator names")
    a.add_argument("--per-instance", type=int, default=3, help="annotators per instance")
    a.add_argument(
        "--questions",
        action=ListOption,
        default=["difficulty", "semantics"],
        metavar="SET",
        help="question sets: difficulty, semantics",
    )
    a.add_argument(
        "--no-auto-trivial", action="store_true", help="ask difficulty even for the only annotated object of a video"
    )
    a.add_argument(
        "--pre-annotate",
        action="store_true",
        help="show annotators the automatic suggestions (categorizer, difficulty rule) beside the "
        "questions; off by default, since they bias blind answers",
    )
    a.add_argument(
        "--no-skip-after-invalid",
        action="store_true",
        help="ask the category questions and information even after correctness 'no RE' or 'wrong object' "
        "(skipped by default)",
    )
    a.add_argument("--by", default=None, help="admin account creating it (default: the only admin)")
    a.set_defaults(func=cmd_campaign_create)
    a = acts.add_parser("list", parents=[db], help="list campaigns")
    a.set_defaults(func=cmd_campaign_list)
    a = acts.add_parser(
        "close-round",
        parents=[db],
        help="close the open round (blind -> revision -> finished); refused (exit 2, the incomplete items per "
        "annotator) while work is incomplete, unless --force",
    )
    a.add_argument("name", help="campaign name")
    a.add_argument("--by", default=None, help="admin account closing it (default: the only admin)")
    a.add_argument("--force", action="store_true", help="close it even though queue items are incomplete")
    a.set_defaults(func=cmd_campaign_close_round)
    a = acts.add_parser(
        "reopen",
        parents=[db],
        help="reopen the last closed round (finished -> revision, revision -> blind); keeps answers",
    )
    a.add_argument("name", help="campaign name")
    a.add_argument("--by", default=None, help="admin account reopening it (default: the only admin)")
    a.set_defaults(func=cmd_campaign_reopen)
    a = acts.add_parser("rounds", parents=[db], help="the campaign's round changes: action, round, admin, time")
    a.add_argument("name", help="campaign name")
    a.set_defaults(func=cmd_campaign_rounds)
    a = acts.add_parser("progress", parents=[db], help="items assigned, complete and remaining per annotator")
    a.add_argument("name", help="campaign name")
    a.set_defaults(func=cmd_campaign_progress)


def add_export_labels(kinds: Subparsers) -> None:
    """`refcat export labels`: registered by refcat.cli.data under its `export` command."""
    p = kinds.add_parser(
        "labels", parents=[db_parent()], help="label events as CSV or Parquet; consensus in the released format"
    )
    p.add_argument("--campaign", default=None, help="only this campaign (needed for --release-output)")
    p.add_argument("--output", type=OUTPUT_FILE, required=True, help="events file (.csv or .parquet)")
    p.add_argument(
        "--release-output",
        action=Renamed,
        renamed_from="--consensus-release",
        type=OUTPUT_FILE,
        default=None,
        help="also write the campaign's final labels in the paper's *_RE_categorization.csv format",
    )
    p.set_defaults(func=cmd_export_labels)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        try:
            lines: list[str] = args.password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read password file: {exc.strerror}", path=args.password_file) from exc
        if not lines or not lines[0]:
            raise UsageError("empty password file", path=args.password_file, expected="the password on the first line")
        return lines[0]
    from getpass import getpass

    password: str = getpass(f"password for {args.name}: ")
    if getpass("again: ") != password:
        raise UsageError("the two passwords differ")
    return password


def _admin(store: Store, name: str | None) -> str:
    from refcat.annotate.accounts import list_users

    if name is not None:
        return name
    admins = [u.name for u in list_users(store) if u.is_admin]
    if len(admins) != 1:
        raise UsageError(f"{len(admins)} admin accounts", expected="--by NAME to say which admin acts")
    return admins[0]


def cmd_annotators_add(args: argparse.Namespace) -> int:
    from refcat.annotate.accounts import create_user
    from refcat.store.database import open_store

    store = open_store(args.db)
    user = create_user(store, args.name, _read_password(args), role="admin" if args.admin else "annotator")
    print(f"added {user.role} {user.name}")
    return 0


def cmd_annotators_list(args: argparse.Namespace) -> int:
    from refcat.annotate.accounts import list_accounts
    from refcat.store.database import open_store

    for account in list_accounts(open_store(args.db, create=False)):
        flags = [flag for flag, on in (("disabled", account.disabled), ("demo", account.demo)) if on]
        print("\t".join([account.name, account.role, *flags]))
    return 0


def _sessions(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'}"


def cmd_annotators_passwd(args: argparse.Namespace) -> int:
    from refcat.annotate.accounts import check_password, get_user, set_password
    from refcat.store.database import open_store

    store = open_store(args.db, create=False)
    get_user(store, args.name)  # an unknown name is refused before the prompt
    password = _read_password(args)
    check_password(password)
    print(f"password of {args.name} set; {_sessions(set_password(store, args.name, password))} ended")
    return 0


def cmd_annotators_disable(args: argparse.Namespace) -> int:
    from refcat.annotate.accounts import disable_user
    from refcat.store.database import open_store

    print(f"{args.name} disabled; {_sessions(disable_user(open_store(args.db, create=False), args.name))} ended")
    return 0


def cmd_annotators_enable(args: argparse.Namespace) -> int:
    from refcat.annotate.accounts import enable_user
    from refcat.store.database import open_store

    enable_user(open_store(args.db, create=False), args.name)
    print(f"{args.name} enabled")
    return 0


def cmd_annotators_revoke_sessions(args: argparse.Namespace) -> int:
    from refcat.annotate.accounts import revoke_sessions
    from refcat.store.database import open_store

    print(f"{_sessions(revoke_sessions(open_store(args.db, create=False), args.name))} of {args.name} ended")
    return 0


def cmd_campaign_create(args: argparse.Namespace) -> int:
    from refcat.annotate.campaigns import create_campaign, select_instances
    from refcat.store.database import open_store

    store = open_store(args.db, create=False)
    keys = select_instances(
        store, dataset=args.dataset, split=args.split, min_objects=args.min_objects, video_ids=args.videos
    )
    if not keys:
        raise UsageError(
            f"no stored instances of {args.dataset} match", expected="an imported dataset and looser filters"
        )
    campaign = create_campaign(
        store,
        args.name,
        keys,
        args.annotators,
        per_instance=args.per_instance,
        question_sets=tuple(args.questions),
        auto_trivial=not args.no_auto_trivial,
        pre_annotate=args.pre_annotate,
        skip_after_invalid=not args.no_skip_after_invalid,
        created_by=_admin(store, args.by),
    )
    print(
        f"campaign {campaign.name}: {campaign.n_instances} instances, {campaign.per_instance} annotators each "
        f"({', '.join(campaign.annotators)}), questions: {', '.join(campaign.fields)}"
        + (", automatic suggestions shown" if campaign.pre_annotate else "")
        + ("" if campaign.skip_after_invalid else ", categories asked after an invalid RE")
    )
    return 0


def cmd_campaign_list(args: argparse.Namespace) -> int:
    from refcat.annotate.campaigns import list_campaigns
    from refcat.store.database import open_store

    for c in list_campaigns(open_store(args.db, create=False)):
        print(f"{c.name}\t{c.status}\t{c.n_instances} instances\t{','.join(c.annotators)}\t{','.join(c.question_sets)}")
    return 0


def cmd_campaign_close_round(args: argparse.Namespace) -> int:
    from refcat.annotate.campaigns import IncompleteRound, close_round, incomplete_items
    from refcat.annotate.state import ROUND_NAMES
    from refcat.store.database import open_store

    store = open_store(args.db, create=False)
    incomplete = incomplete_items(store, args.name)
    try:
        result = close_round(store, args.name, _admin(store, args.by), require_complete=not args.force)
    except IncompleteRound as exc:
        raise UsageError(exc.message, expected="the annotators to finish, or --force to close it anyway") from exc
    if incomplete:
        each = ", ".join(f"{name} {n}" for name, n in incomplete.items())
        print(f"closed with {sum(incomplete.values())} incomplete queue items ({each})")
    if result.open:
        closed, opened = ROUND_NAMES[result.number - 1], ROUND_NAMES[result.number]
        print(f"campaign {args.name}: the {closed} closed, the {opened} open")
    else:
        print(f"campaign {args.name}: the {ROUND_NAMES[result.number]} closed, annotation finished")
    return 0


def cmd_campaign_reopen(args: argparse.Namespace) -> int:
    from refcat.annotate.campaigns import reopen_round
    from refcat.annotate.state import ROUND_NAMES
    from refcat.store.database import open_store

    store = open_store(args.db, create=False)
    result = reopen_round(store, args.name, _admin(store, args.by))
    print(f"campaign {args.name}: the {ROUND_NAMES[result.number]} open again; every answer kept")
    return 0


def cmd_campaign_rounds(args: argparse.Namespace) -> int:
    from refcat.annotate.campaigns import round_history
    from refcat.store.database import open_store

    for e in round_history(open_store(args.db, create=False), args.name):
        extra = [] if e.incomplete is None else [f"{e.incomplete} incomplete"]
        print("\t".join([e.time.strftime("%Y-%m-%dT%H:%M:%SZ"), e.action, f"round {e.round}", e.by or "-", *extra]))
    return 0


def cmd_campaign_progress(args: argparse.Namespace) -> int:
    from refcat.annotate.campaigns import progress
    from refcat.store.database import open_store

    print(progress(open_store(args.db, create=False), args.name).to_string(index=False))
    return 0


def cmd_export_labels(args: argparse.Namespace) -> int:
    from refcat.annotate.export import (
        left_out_counts,
        left_out_path,
        time_on_item_path,
        write_consensus_release,
        write_labels,
    )
    from refcat.store.database import open_store

    if args.release_output is not None and args.campaign is None:
        raise UsageError("--release-output needs --campaign")
    store = open_store(args.db, create=False)
    n = write_labels(store, args.output, args.campaign)
    print(f"{n} label events written to {args.output}, time on item to {time_on_item_path(args.output)}")
    if args.release_output is not None:
        result = write_consensus_release(store, args.campaign, args.release_output)
        print(f"{_instances(len(result.release))} written to {args.release_output}")
        print(f"{_instances(len(result.left_out))} left out, listed in {left_out_path(args.release_output)}")
        for reason, count in left_out_counts(result.left_out).items():
            print(f"  {reason}: {count}")
    return 0


def _instances(n: int) -> str:
    return f"{n} instance" if n == 1 else f"{n} instances"
