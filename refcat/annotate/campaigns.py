"""Campaigns: which instances are labelled, by whom, with which questions, and their rounds.

Conventions:
- Question sets (refcat.annotate.state.QUESTION_SETS): "difficulty" asks difficulty and
  correctness; "semantics" asks the seven categories of Table 1 and information. Field
  names and values are those of refcat.taxonomy.FIELD_VALUES.
- Assignment is round-robin over the annotators in the order given: the i-th instance goes
  to annotators i*k, i*k+1, ... i*k+k-1 (mod n) for k = per_instance, so every annotator
  gets within one instance of the same load and the same inputs give the same queues.
- With `auto_trivial`, an instance whose video has a single annotated object is labelled
  difficulty="trivial" by an automatic event (author "auto"), as in the paper (Section 4),
  and that question is not asked for it.
- With `pre_annotate` (off by default), the annotate and revise pages show the automatic
  categorizer's and difficulty rule's suggestions beside the questions; they bias blind
  answers, so they are never shown unless asked for, and never recorded as answers.
- With `skip_after_invalid` (on by default), an annotator whose correctness answer is "no RE"
  or "wrong object" is not asked the categories and information there (refcat.annotate.state).
- Round 1 (blind labelling) is open from creation; closing it opens round 2 (revision);
  closing round 2 finishes the campaign. Only admins close rounds. Closing a round whose queue
  items are not all complete is refused (IncompleteRound, naming the incomplete items per
  annotator) when the caller asks for a complete round, as the CLI (without --force) and the
  admin page (before its confirmation) do. `reopen_round` takes back the last close: a finished
  campaign's revision round opens again; in revision, the blind round opens again and the
  revision round is withdrawn. No answer is ever deleted: revisions already given count again
  once the blind round is closed anew.
- Every change of the rounds is a round event (open, close, reopen: round, admin, time; a close
  also keeps how many queue items were incomplete), `round_history` lists them.
- A campaign name becomes part of export file names, so it is a plain name
  (refcat.datasets.files: ASCII letters, digits, '-', '_', '.', no leading dot) of at most
  128 characters (the store's column), refused with UsageError otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refcat.annotate.accounts import User, stored_user
from refcat.annotate.state import (
    LABEL_ROUND,
    QUESTION_SETS,
    REVISION_ROUND,
    Campaign,
    Round,
    campaign_name,
    campaign_row,
    load_state,
    round_rows,
    to_campaign,
    to_round,
)
from refcat.datasets.files import PLAIN_NAME_EXPECTED, name_problem
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.store.database import Store, text_limit
from refcat.store.retry import retry_transient
from refcat.store.schema import (
    AssignmentRow,
    CampaignMemberRow,
    CampaignRow,
    InstanceRow,
    LabelEventRow,
    ObjectRow,
    RoundEventRow,
    RoundRow,
    UserRow,
    VideoRow,
    utcnow,
)

__all__ = [
    "Campaign",
    "IncompleteRound",
    "Round",
    "RoundEvent",
    "close_round",
    "create_campaign",
    "current_round",
    "get_campaign",
    "incomplete_items",
    "list_campaigns",
    "progress",
    "reopen_round",
    "round_history",
    "select_instances",
]


class IncompleteRound(UsageError):
    """A round close refused because queue items are incomplete; `incomplete` is annotator -> count."""

    def __init__(self, campaign: str, number: int, incomplete: dict[str, int]) -> None:
        self.incomplete = incomplete
        each = ", ".join(f"{name} {n}" for name, n in incomplete.items())
        super().__init__(
            f"round {number} of campaign {campaign!r} has {sum(incomplete.values())} incomplete queue items ({each})",
            expected="the annotators to finish, or an explicit confirmation to close it anyway",
        )


@dataclass(frozen=True)
class RoundEvent:
    action: str  # "open" | "close" | "reopen"
    round: int
    by: str | None  # the admin's name; None for a campaign created without one
    time: datetime
    incomplete: int | None  # a close's incomplete queue items


def select_instances(
    store: Store,
    dataset: str | None = None,
    split: str | None = None,
    min_objects: int = 1,
    video_ids: list[str] | None = None,
) -> list[str]:
    """Keys of stored instances, sorted, whose video has at least `min_objects` annotated objects
    ("videos with two or more objects" is `min_objects=2`)."""
    n_objects = select(ObjectRow.video_pk, func.count(ObjectRow.id).label("n")).group_by(ObjectRow.video_pk).subquery()
    query = (
        select(InstanceRow.key)
        .join(ObjectRow, InstanceRow.object_pk == ObjectRow.id)
        .join(VideoRow, ObjectRow.video_pk == VideoRow.id)
        .join(n_objects, n_objects.c.video_pk == VideoRow.id)
        .where(n_objects.c.n >= min_objects)
        .order_by(InstanceRow.key)
    )
    if dataset is not None:
        query = query.where(VideoRow.dataset == dataset)
    if split is not None:
        query = query.where(VideoRow.split == split)
    if video_ids is not None:
        query = query.where(VideoRow.video_id.in_(list(video_ids)))
    with store.session() as session:
        return list(session.scalars(query))


def _stored_admin(session: Session, user: User | str, action: str) -> User:
    admin = stored_user(session, user)
    if not admin.is_admin:
        raise PermissionDenied(f"{admin.name} is not an admin; only admins may {action}")
    return admin


def create_campaign(
    store: Store,
    name: str,
    instance_keys: list[str],
    annotators: list[str],
    per_instance: int = 3,
    question_sets: tuple[str, ...] = ("difficulty", "semantics"),
    auto_trivial: bool = True,
    pre_annotate: bool = False,
    skip_after_invalid: bool = True,
    created_by: User | str | None = None,
) -> Campaign:
    """Create a campaign, assign its instances and open its blind round (see module doc)."""
    keys = list(dict.fromkeys(instance_keys))
    names = list(dict.fromkeys(annotators))
    sets = tuple(dict.fromkeys(question_sets))
    if not name.strip():
        raise UsageError("empty campaign name")
    limit = text_limit(CampaignRow.name)
    problem = name_problem(name, limit)
    if problem is not None:
        raise UsageError(f"campaign name: {problem}", expected=f"{PLAIN_NAME_EXPECTED}, at most {limit} characters")
    if not keys:
        raise UsageError(f"campaign {name!r} has no instances", expected="at least one instance key")
    unknown_sets = [s for s in sets if s not in QUESTION_SETS]
    if unknown_sets or not sets:
        raise UsageError(f"unknown question sets {unknown_sets or sets}", expected=f"some of {sorted(QUESTION_SETS)}")
    if not 1 <= per_instance <= len(names):
        raise UsageError(
            f"{per_instance} annotators per instance with {len(names)} annotators",
            expected=f"1 to {len(names)} per instance",
        )
    with store.session() as session:
        if session.scalar(select(CampaignRow.id).where(CampaignRow.name == name)) is not None:
            raise UsageError(f"campaign {name!r} already exists")
        creator = None if created_by is None else _stored_admin(session, created_by, "create campaigns")
        users = []
        for n in names:
            row = session.scalar(select(UserRow).where(UserRow.name == n))
            if row is None:
                raise UsageError(f"unknown annotator {n!r}", expected="an account made with `refcat annotators add`")
            users.append(row)
        rows = {r.key: r for r in session.scalars(select(InstanceRow).where(InstanceRow.key.in_(keys)))}
        missing = [k for k in keys if k not in rows]
        if missing:
            raise StoreError(f"{len(missing)} unknown instances, e.g. {missing[0]!r}", expected="stored instance keys")
        campaign = CampaignRow(
            name=name,
            question_sets=",".join(sets),
            per_instance=per_instance,
            auto_trivial=auto_trivial,
            pre_annotate=pre_annotate,
            skip_after_invalid=skip_after_invalid,
            created_by=None if creator is None else creator.id,
        )
        session.add(campaign)
        session.flush()
        session.add_all(CampaignMemberRow(campaign_pk=campaign.id, user_pk=u.id) for u in users)
        session.add_all(
            AssignmentRow(
                campaign_pk=campaign.id,
                instance_pk=rows[key].id,
                user_pk=users[(i * per_instance + j) % len(users)].id,
                position=i,
            )
            for i, key in enumerate(keys)
            for j in range(per_instance)
        )
        session.add(RoundRow(campaign_pk=campaign.id, number=LABEL_ROUND, kind="label"))
        session.add(
            RoundEventRow(
                campaign_pk=campaign.id,
                number=LABEL_ROUND,
                action="open",
                user_pk=None if creator is None else creator.id,
            )
        )
        if auto_trivial and "difficulty" in sets:
            objects_per_video = dict(
                session.execute(select(ObjectRow.video_pk, func.count(ObjectRow.id)).group_by(ObjectRow.video_pk)).all()
            )
            video_of = dict(
                session.execute(
                    select(InstanceRow.id, ObjectRow.video_pk)
                    .join(ObjectRow, InstanceRow.object_pk == ObjectRow.id)
                    .where(InstanceRow.key.in_(keys))
                ).all()
            )
            session.add_all(
                LabelEventRow(
                    campaign_pk=campaign.id,
                    instance_pk=rows[key].id,
                    user_pk=None,
                    round=LABEL_ROUND,
                    kind="auto",
                    field="difficulty",
                    value="trivial",
                    reason="the only annotated object in its video",
                )
                for key in keys
                if objects_per_video[video_of[rows[key].id]] == 1
            )
        session.flush()
        return to_campaign(session, campaign)


def get_campaign(store: Store, name: str) -> Campaign:
    with store.session() as session:
        return to_campaign(session, campaign_row(session, name))


def list_campaigns(store: Store) -> list[Campaign]:
    with store.session() as session:
        return [to_campaign(session, r) for r in session.scalars(select(CampaignRow).order_by(CampaignRow.name))]


def current_round(store: Store, campaign: Campaign | str) -> Round:
    """The latest round: open while labelling goes on, closed once the campaign is finished."""
    with store.session() as session:
        return to_round(round_rows(session, campaign_row(session, campaign).id)[-1])


def campaign_instances(store: Store, campaign: Campaign | str) -> list[str]:
    """The keys of the campaign's instances, in campaign order."""
    with store.session() as session:
        return load_state(session, campaign).keys_in_order()


def incomplete_items(store: Store, campaign: Campaign | str) -> dict[str, int]:
    """annotator -> queue items not complete in the current round, for those with any (empty once finished)."""
    if get_campaign(store, campaign_name(campaign)).finished:
        return {}
    table = progress(store, campaign)
    per_user = table[(table["annotator"] != "total") & (table["remaining"] > 0)]
    return {str(name): int(n) for name, n in zip(per_user["annotator"], per_user["remaining"])}


@retry_transient
def close_round(
    store: Store, campaign: Campaign | str, admin_user: User | str, require_complete: bool = False
) -> Round:
    """Close the open round. Closing round 1 opens and returns round 2 (revision); closing
    round 2 finishes the campaign and returns the closed round. With `require_complete` (what
    the CLI and the admin page ask first) a round with incomplete queue items is refused
    (IncompleteRound); the close's round event keeps how many there were either way."""
    incomplete = incomplete_items(store, campaign)
    with store.session() as session:
        admin = _stored_admin(session, admin_user, "close rounds")
        row = campaign_row(session, campaign)
        last = round_rows(session, row.id, lock=True)[-1]
        if last.closed_at is not None:
            raise StoreError(f"campaign {row.name!r} is finished: every round is closed")
        if incomplete and require_complete:
            raise IncompleteRound(row.name, last.number, incomplete)
        last.closed_at = utcnow()
        last.closed_by = admin.id
        session.add(
            RoundEventRow(
                campaign_pk=row.id,
                number=last.number,
                action="close",
                user_pk=admin.id,
                created_at=last.closed_at,
                incomplete=sum(incomplete.values()),
            )
        )
        if last.number == REVISION_ROUND:
            session.flush()
            return to_round(last)
        revision = RoundRow(campaign_pk=row.id, number=REVISION_ROUND, kind="revision", opened_at=last.closed_at)
        session.add(revision)
        session.flush()
        return to_round(revision)


@retry_transient
def reopen_round(store: Store, campaign: Campaign | str, admin_user: User | str) -> Round:
    """Open the last closed round again and return it (see the module doc); answers are kept."""
    with store.session() as session:
        admin = _stored_admin(session, admin_user, "reopen rounds")
        row = campaign_row(session, campaign)
        rounds = round_rows(session, row.id, lock=True)
        closed = [r for r in rounds if r.closed_at is not None]
        if not closed:
            raise UsageError(f"campaign {row.name!r} has no closed round to reopen", expected="a closed round")
        last_closed = closed[-1]
        for later in rounds[rounds.index(last_closed) + 1 :]:
            session.delete(later)  # the revision round, withdrawn; its answers stay in the events
        last_closed.closed_at = None
        last_closed.closed_by = None
        session.add(RoundEventRow(campaign_pk=row.id, number=last_closed.number, action="reopen", user_pk=admin.id))
        session.flush()
        return to_round(last_closed)


def round_history(store: Store, campaign: Campaign | str) -> list[RoundEvent]:
    """The campaign's round events, oldest first."""
    with store.session() as session:
        query = (
            select(
                RoundEventRow.action,
                RoundEventRow.number,
                UserRow.name,
                RoundEventRow.created_at,
                RoundEventRow.incomplete,
            )
            .outerjoin(UserRow, RoundEventRow.user_pk == UserRow.id)
            .where(RoundEventRow.campaign_pk == campaign_row(session, campaign).id)
            .order_by(RoundEventRow.id)
        )
        return [RoundEvent(*r) for r in session.execute(query)]


def progress(store: Store, campaign: Campaign | str) -> pd.DataFrame:
    """Per annotator, in the current round: assigned (queue length), complete, remaining;
    the last row (annotator "total") sums them. Columns: annotator, round, assigned, complete, remaining."""
    with store.session() as session:
        state = load_state(session, campaign)
    rows = []
    for name in state.campaign.annotators:
        items = state.queue(name)
        done = sum(item.complete for item in items)
        rows.append(
            {
                "annotator": name,
                "round": state.round.number,
                "assigned": len(items),
                "complete": done,
                "remaining": len(items) - done,
            }
        )
    table = pd.DataFrame(rows, columns=["annotator", "round", "assigned", "complete", "remaining"])
    total = {
        "annotator": "total",
        "round": state.round.number,
        **{c: int(table[c].sum()) for c in ("assigned", "complete", "remaining")},
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)
