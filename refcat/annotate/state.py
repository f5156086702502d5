"""A campaign's state read from the store in one go, and the answers derived from its events.

Conventions:
- Round 1 is the blind labelling round, round 2 the revision round. A campaign's status is
  "label" while round 1 is open, "revision" while round 2 is open, "finished" after.
- The current answer of an annotator to a question in a round is their latest "answer"
  event there that no "undo" event retracts. Round 2 answers are revisions: where an
  annotator did not revise, their round 1 answer carries over.
- Automatic answers (author "auto", e.g. trivial for the only object of a video) are kept
  apart from annotators' answers: they are not asked, and they take no part in agreement.
- Skipping after an invalid RE (the campaign's `skip_after_invalid`, on by default): once an
  annotator's current correctness answer on an instance is "no-re" or "wrong-object", the
  category questions and information (the "semantics" set) are not asked of them there, and
  answers they gave to those before are not counted (not in their answers, queue, agreement or
  consensus). Changing correctness back to "valid" asks them again and counts those answers
  again. The questions of an annotator on an instance are therefore `CampaignState.questions`
  with their answers; without answers (an instance not yet seen) every question is asked.
- An annotator's revision queue is the instances where, for at least one question, their
  round 1 answer differs from another annotator's round 1 answer; an instance there is
  complete once they have answered (revised or confirmed) each of those questions in round 2.
- Flags: an annotator marks an instance "unsure" (an event of kind UNSURE, taken back by an
  "undo" event that retracts it) or comments on it (kind COMMENT, the text in `reason`); both
  carry the open round's number and an empty field, and neither is an answer.
- Views: the first time an annotator opens one of their instances in a round, a view is
  recorded (refcat.store.schema.InstanceViewRow, one per annotator, instance and round; kept apart
  from the label events, so it is in no answer table), with the time the browser showed it
  (refcat.annotate.ui.flags: the queue pages' desk shows an instance before the server draws it).
  `CampaignState.views` holds them as Events of kind VIEW.
- Time on item (`time_on_item`), per annotator, instance and round: from the first view (or,
  without one, the first answer) to the last answer, the sum of the gaps between consecutive
  events of that annotator in that round (views, answers, undos, flags; by time) that are both
  on the instance, leaving out each gap over IDLE_SECONDS (120 s: idle, not working) and the
  time spent on other instances in between. Undone answers count as presses.
- Queue positions are 0-based, in campaign order (instances sorted by key, so a video's
  instances come together).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from refcat.errors import StoreError
from refcat.store.schema import (
    AssignmentRow,
    CampaignMemberRow,
    CampaignRow,
    InstanceRow,
    InstanceViewRow,
    LabelEventRow,
    RoundRow,
    UserRow,
)
from refcat.taxonomy import CATEGORY_NAMES, CORRECTNESS

AUTO = "auto"
UNSURE, COMMENT = "unsure", "comment"  # the kinds of an annotator's flags (module doc)
VIEW = "view"  # the kind of the Events made of views (module doc)
IDLE_SECONDS = 120.0  # a longer gap between two events of an annotator is idle time (module doc)
LABEL_ROUND, REVISION_ROUND = 1, 2
ROUND_NAMES = {LABEL_ROUND: "blind round", REVISION_ROUND: "revision round"}  # as the pages name them
ROUND_STATUS = {LABEL_ROUND: "label", REVISION_ROUND: "revision"}  # a campaign's status while that round is open
QUESTION_SETS: dict[str, tuple[str, ...]] = {
    "difficulty": ("difficulty", "correctness"),
    "semantics": (*CATEGORY_NAMES, "information"),
}


SKIP_FIELD = "correctness"  # the question whose answer can skip others
INVALID = tuple(v for v in CORRECTNESS if v != "valid")  # correctness answers after which questions are skipped
SKIPPED_AFTER_INVALID = QUESTION_SETS["semantics"]


def fields_of(question_sets: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(f for s in question_sets for f in QUESTION_SETS[s])


def skipped(skip_after_invalid: bool, given: dict[str, str]) -> tuple[str, ...]:
    """The questions not asked of an annotator whose answers on an instance are `given` (see the
    module's conventions): the semantics set after an invalid correctness answer, else none."""
    if skip_after_invalid and given.get(SKIP_FIELD) in INVALID:
        return SKIPPED_AFTER_INVALID
    return ()


def counted(skip_after_invalid: bool, given: dict[str, str]) -> dict[str, str]:
    """`given` less the answers to questions that are skipped after it (`skipped`)."""
    left_out = skipped(skip_after_invalid, given)
    return {f: v for f, v in given.items() if f not in left_out}


@dataclass(frozen=True)
class Round:
    number: int
    kind: str  # "label" | "revision"
    open: bool
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    question_sets: tuple[str, ...]
    per_instance: int
    auto_trivial: bool
    pre_annotate: bool  # the pages show the automatic suggestions (refcat.annotate.ui.suggestions)
    skip_after_invalid: bool  # "no RE" / "wrong object" skips the semantics questions (module doc)
    annotators: tuple[str, ...]
    n_instances: int
    created_by: str | None
    created_at: datetime
    status: str  # "label" | "revision" | "finished"

    @property
    def fields(self) -> tuple[str, ...]:
        """The questions the campaign asks, in the order the page shows them."""
        return fields_of(self.question_sets)

    @property
    def finished(self) -> bool:
        return self.status == "finished"


@dataclass(frozen=True)
class QueueItem:
    instance_key: str
    position: int
    complete: bool


@dataclass(frozen=True)
class Event:
    id: int
    instance: str
    annotator: str  # user name, or "auto"
    round: int
    kind: str  # "answer" | "undo" | "auto" | "adjudication" | UNSURE | COMMENT; VIEW in CampaignState.views
    field: str
    value: str
    reason: str | None
    retracts: int | None
    time: datetime


def campaign_name(campaign: Campaign | str) -> str:
    return campaign.name if isinstance(campaign, Campaign) else campaign


def campaign_row(session: Session, campaign: Campaign | str) -> CampaignRow:
    name = campaign_name(campaign)
    row = session.scalar(select(CampaignRow).where(CampaignRow.name == name))
    if row is None:
        raise StoreError(f"unknown campaign {name!r}", expected="a campaign created with `refcat campaign create`")
    return row


def campaign_pk(session: Session, campaign: Campaign | str) -> int:
    """The campaign's id: a `Campaign`'s own, or read for a name."""
    return campaign.id if isinstance(campaign, Campaign) else campaign_row(session, campaign).id


def instance_row(session: Session, key: str) -> InstanceRow:
    row = session.scalar(select(InstanceRow).where(InstanceRow.key == key))
    if row is None:
        raise StoreError(f"unknown instance {key!r}", expected="dataset/video_id/object_id/source of a stored instance")
    return row


def round_rows(session: Session, campaign_pk: int, lock: bool = False) -> list[RoundRow]:
    """The campaign's rounds in order; `lock` takes a shared row lock (PostgreSQL) so a
    concurrent close waits for this transaction."""
    query = select(RoundRow).where(RoundRow.campaign_pk == campaign_pk).order_by(RoundRow.number)
    if lock:
        query = query.with_for_update(read=True)
    return list(session.scalars(query))


def last_round(session: Session, campaign_pk: int, lock: bool = False) -> Round:
    """The campaign's latest round, read afresh (not from the session's identity map); `lock` as in
    `round_rows`."""
    query = (
        select(RoundRow.number, RoundRow.kind, RoundRow.opened_at, RoundRow.closed_at)
        .where(RoundRow.campaign_pk == campaign_pk)
        .order_by(RoundRow.number.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update(read=True)
    number, kind, opened_at, closed_at = session.execute(query).one()
    return Round(number, kind, closed_at is None, opened_at, closed_at)


def to_round(row: RoundRow) -> Round:
    return Round(row.number, row.kind, row.closed_at is None, row.opened_at, row.closed_at)


def status(rounds: list[RoundRow]) -> str:
    last = rounds[-1]
    return ROUND_STATUS[last.number] if last.closed_at is None else "finished"


def to_campaign(session: Session, row: CampaignRow, rounds: list[RoundRow] | None = None) -> Campaign:
    """The campaign of `row`; `rounds`, when the caller has read them (`round_rows`), are not read again."""
    rounds = round_rows(session, row.id) if rounds is None else rounds
    members = session.scalars(
        select(UserRow.name)
        .join(CampaignMemberRow, CampaignMemberRow.user_pk == UserRow.id)
        .where(CampaignMemberRow.campaign_pk == row.id)
        .order_by(UserRow.name)
    )
    positions = session.scalars(select(AssignmentRow.position).where(AssignmentRow.campaign_pk == row.id).distinct())
    creator = None if row.created_by is None else session.get_one(UserRow, row.created_by).name
    return Campaign(
        id=row.id,
        name=row.name,
        question_sets=tuple(row.question_sets.split(",")),
        per_instance=row.per_instance,
        auto_trivial=row.auto_trivial,
        pre_annotate=bool(row.pre_annotate),
        skip_after_invalid=row.skip_after_invalid,
        annotators=tuple(members),
        n_instances=len(list(positions)),
        created_by=creator,
        created_at=row.created_at,
        status=status(rounds),
    )


def auto_answers(events: list[Event]) -> dict[str, dict[str, str]]:
    """instance -> {field: value} of the automatic answers."""
    out: dict[str, dict[str, str]] = {}
    for e in events:
        if e.kind == "auto":
            out.setdefault(e.instance, {})[e.field] = e.value
    return out


def asked(fields: tuple[str, ...], automatic: dict[str, str]) -> list[str]:
    """The campaign's questions less those answered automatically for the instance."""
    return [f for f in fields if f not in automatic]


def retracted(events: list[Event]) -> set[int]:
    """The ids of the events that an undo event takes back."""
    return {e.retracts for e in events if e.kind == "undo" and e.retracts is not None}


def round_answers(events: list[Event], number: int) -> dict[tuple[str, str], dict[str, str]]:
    """(annotator, instance) -> {field: value}: the latest unretracted answer of round `number`."""
    taken_back = retracted(events)
    out: dict[tuple[str, str], dict[str, str]] = {}
    for e in sorted(events, key=lambda e: e.id):
        if e.kind == "answer" and e.round == number and e.id not in taken_back:
            out.setdefault((e.annotator, e.instance), {})[e.field] = e.value
    return out


def revision_fields(
    fields: tuple[str, ...], first: dict[tuple[str, str], dict[str, str]], raters: Sequence[str], user: str, key: str
) -> list[str]:
    """Questions where `user`'s round 1 answer on `key` differs from another rater's."""
    mine = first.get((user, key), {})
    others = [first.get((o, key), {}) for o in raters if o != user]
    return [f for f in fields if f in mine and any(f in o and o[f] != mine[f] for o in others)]


@dataclass(frozen=True)
class ItemTime:
    """An annotator's time on one instance in one round (module doc): `start` is the first view (or
    the first answer), `end` the last answer, `seconds` the time worked between, idle gaps left out."""

    annotator: str
    instance: str
    round: int
    start: datetime
    end: datetime
    seconds: float


def time_on_item(events: list[Event]) -> list[ItemTime]:
    """The time on item of every (annotator, instance, round) with an answer (undone or not) in
    `events` (label events and views), by annotator, round and start (module doc)."""
    by_user: dict[tuple[str, int], list[Event]] = {}
    for e in events:
        if e.annotator != AUTO and e.kind != "adjudication":
            by_user.setdefault((e.annotator, e.round), []).append(e)
    out = []
    for (name, number), mine in sorted(by_user.items()):
        mine.sort(key=lambda e: (e.time, e.kind != VIEW, e.id))  # a view first at equal times
        start: dict[str, datetime] = {}
        end: dict[str, datetime] = {}
        for e in mine:
            if e.kind in (VIEW, "answer"):
                start.setdefault(e.instance, e.time)
            if e.kind == "answer":
                end[e.instance] = e.time
        worked = dict.fromkeys(end, 0.0)
        for a, b in pairwise(mine):
            gap = (b.time - a.time).total_seconds()
            key = a.instance
            if b.instance == key and key in end and start[key] <= a.time and b.time <= end[key] and gap <= IDLE_SECONDS:
                worked[key] += gap
        out += [ItemTime(name, key, number, start[key], end[key], worked[key]) for key in end]
    return sorted(out, key=lambda t: (t.annotator, t.round, t.start))


@dataclass
class CampaignState:
    """Everything needed to derive answers, queues and agreement, for a whole campaign or a
    subset of it (one instance, one annotator): derivations only see what was loaded."""

    campaign: Campaign
    rounds: list[Round]
    assigned: dict[str, list[str]]  # annotator -> instance keys in queue order
    events: list[Event]
    positions: dict[str, int] = field(default_factory=dict)  # instance key -> campaign position
    views: list[Event] = field(default_factory=list)  # first views, as Events of kind VIEW (module doc)
    raters: dict[str, list[str]] = field(init=False)  # instance key -> its annotators, sorted

    def __post_init__(self) -> None:
        self.raters = {}
        for user in sorted(self.assigned):
            for key in self.assigned[user]:
                self.raters.setdefault(key, []).append(user)

    @property
    def round(self) -> Round:
        return self.rounds[-1]

    def annotators_of(self, key: str) -> list[str]:
        return self.raters.get(key, [])

    def keys_in_order(self) -> list[str]:
        """The loaded instances' keys in campaign order."""
        return sorted(self.positions, key=self.positions.__getitem__)

    def auto_answers(self) -> dict[str, dict[str, str]]:
        return auto_answers(self.events)

    def time_on_item(self) -> list[ItemTime]:
        return time_on_item([*self.events, *self.views])

    def questions(
        self, key: str, auto: dict[str, dict[str, str]] | None = None, given: dict[str, str] | None = None
    ) -> list[str]:
        """The questions asked on instance `key`, in page order: the campaign's less the automatic
        ones, and less those skipped after an annotator's answers `given` there (module doc)."""
        auto = self.auto_answers() if auto is None else auto
        left_out = skipped(self.campaign.skip_after_invalid, given or {})
        return [f for f in asked(self.campaign.fields, auto.get(key, {})) if f not in left_out]

    def round_answers(self, number: int) -> dict[tuple[str, str], dict[str, str]]:
        """(annotator, instance) -> {field: value} given in round `number` itself (no carry-over),
        as they were pressed (skipped questions included: `answers` leaves those out)."""
        return round_answers(self.events, number)

    def answers(self, number: int) -> dict[tuple[str, str], dict[str, str]]:
        """Current answers as of round `number`: round 2 revisions over round 1 answers, less the
        answers to questions skipped after them (module doc)."""
        out = {k: dict(v) for k, v in self.round_answers(LABEL_ROUND).items()}
        for later in range(LABEL_ROUND + 1, number + 1):
            for k, v in self.round_answers(later).items():
                out.setdefault(k, {}).update(v)
        return {k: counted(self.campaign.skip_after_invalid, v) for k, v in out.items()}

    def revision_fields(self, first: dict[tuple[str, str], dict[str, str]], user: str, key: str) -> list[str]:
        """Questions where `user`'s round 1 answer on `key` differs from another annotator's."""
        return revision_fields(self.campaign.fields, first, self.annotators_of(key), user, key)

    def revision_questions(
        self,
        first: dict[tuple[str, str], dict[str, str]],
        current: dict[tuple[str, str], dict[str, str]],
        user: str,
        key: str,
    ) -> list[str]:
        """`user`'s questions on `key` in the revision round, in page order: empty when their round 1
        answers (`first`: `answers(1)`) agree with every other annotator's; else those where they
        differ, and those skipped after their round 1 answers that their current answers (`current`:
        `answers(2)`) ask (the categories, once correctness is revised to "valid")."""
        disputed = self.revision_fields(first, user, key)
        if not disputed:
            return []
        before = skipped(self.campaign.skip_after_invalid, first.get((user, key), {}))
        return [f for f in self.questions(key, given=current.get((user, key))) if f in disputed or f in before]

    def queue(self, user: str) -> list[QueueItem]:
        """`user`'s queue in the current round (the last round once the campaign is finished); an
        item is complete once each of its questions (`questions` with the user's answers; in the
        revision round `revision_questions`) is answered in that round."""
        keys = self.assigned.get(user, [])
        first = self.answers(LABEL_ROUND)
        if self.round.number == LABEL_ROUND:
            auto = self.auto_answers()
            todo = {k: self.questions(k, auto, first.get((user, k))) for k in keys}
            given = first
        else:
            current = self.answers(self.round.number)
            todo = {k: self.revision_questions(first, current, user, k) for k in keys}
            todo = {k: fields for k, fields in todo.items() if fields}
            given = self.round_answers(self.round.number)
        return [
            QueueItem(k, i, all(f in given.get((user, k), {}) for f in fields))
            for i, (k, fields) in enumerate(todo.items())
        ]


# The columns of an Event, in order (the author is the user's name, None for automatic events).
EVENT_COLUMNS = (
    LabelEventRow.id,
    InstanceRow.key,
    UserRow.name,
    LabelEventRow.round,
    LabelEventRow.kind,
    LabelEventRow.field,
    LabelEventRow.value,
    LabelEventRow.reason,
    LabelEventRow.retracts,
    LabelEventRow.created_at,
)


def to_events(rows: Iterable[Sequence[Any]]) -> list[Event]:
    """Events from rows of EVENT_COLUMNS."""
    return [Event(i, key, name or AUTO, *rest) for i, key, name, *rest in rows]


def instance_events(session: Session, campaign_pk: int, instance_pk: int, *, first_round: bool) -> list[Event]:
    """One instance's automatic events, and with `first_round` also its round 1 answers and undos."""
    kinds = ("auto", "answer", "undo") if first_round else ("auto",)
    query = _one_instance_events(campaign_pk, instance_pk, kinds).where(
        or_(LabelEventRow.kind == "auto", LabelEventRow.round == LABEL_ROUND)
    )
    return to_events(session.execute(query))


def _one_instance_events(campaign_pk: int, instance_pk: int, kinds: tuple[str, ...]):
    """The query of one instance's events of `kinds` in a campaign, as EVENT_COLUMNS, in order."""
    return (
        select(*EVENT_COLUMNS)
        .join(InstanceRow, LabelEventRow.instance_pk == InstanceRow.id)
        .outerjoin(UserRow, LabelEventRow.user_pk == UserRow.id)
        .where(
            LabelEventRow.campaign_pk == campaign_pk,
            LabelEventRow.instance_pk == instance_pk,
            LabelEventRow.kind.in_(kinds),
        )
        .order_by(LabelEventRow.id)
    )


def user_instance_events(
    session: Session, campaign_pk: int, instance_pk: int, user_pk: int, kinds: tuple[str, ...]
) -> list[Event]:
    """One user's events of `kinds` on one instance, every round, in order."""
    query = _one_instance_events(campaign_pk, instance_pk, kinds).where(LabelEventRow.user_pk == user_pk)
    return to_events(session.execute(query))


def instance_raters(session: Session, campaign_pk: int, instance_pk: int) -> list[str]:
    return list(
        session.scalars(
            select(UserRow.name)
            .join(AssignmentRow, AssignmentRow.user_pk == UserRow.id)
            .where(AssignmentRow.campaign_pk == campaign_pk, AssignmentRow.instance_pk == instance_pk)
            .order_by(UserRow.name)
        )
    )


def load_state(
    session: Session,
    campaign: Campaign | str,
    *,
    instance_pk: int | None = None,
    user_pk: int | None = None,
    with_others: bool = True,
) -> CampaignState:
    """Read a campaign's rounds, assignments and events. `instance_pk` restricts to one
    instance; `user_pk` with `with_others=False` loads only that user's and automatic events.
    A `Campaign` given for `campaign` (as read from this store) is taken for what is fixed when a
    campaign is created (its id, questions, settings, annotators and instances); only its rounds,
    and so its status, are read again."""
    if isinstance(campaign, Campaign):
        round_list = round_rows(session, campaign.id)
        info = dataclasses.replace(campaign, status=status(round_list))
    else:
        row = campaign_row(session, campaign)
        round_list = round_rows(session, row.id)
        info = to_campaign(session, row, round_list)
    assign_q = (
        select(UserRow.name, InstanceRow.key, AssignmentRow.position)
        .join(UserRow, AssignmentRow.user_pk == UserRow.id)
        .join(InstanceRow, AssignmentRow.instance_pk == InstanceRow.id)
        .where(AssignmentRow.campaign_pk == info.id)
        .order_by(AssignmentRow.position)
    )
    event_q = (
        select(*EVENT_COLUMNS)
        .join(InstanceRow, LabelEventRow.instance_pk == InstanceRow.id)
        .outerjoin(UserRow, LabelEventRow.user_pk == UserRow.id)
        .where(LabelEventRow.campaign_pk == info.id)
    )
    if instance_pk is not None:
        assign_q = assign_q.where(AssignmentRow.instance_pk == instance_pk)
        event_q = event_q.where(LabelEventRow.instance_pk == instance_pk)
    if user_pk is not None and not with_others:
        event_q = event_q.where(or_(LabelEventRow.user_pk == user_pk, LabelEventRow.user_pk.is_(None)))
    assigned: dict[str, list[str]] = {}
    positions: dict[str, int] = {}
    for name, key, position in session.execute(assign_q):
        assigned.setdefault(name, []).append(key)
        positions[key] = position
    events = to_events(session.execute(event_q.order_by(LabelEventRow.id)))
    view_q = (
        select(InstanceViewRow.id, InstanceRow.key, UserRow.name, InstanceViewRow.round, InstanceViewRow.created_at)
        .join(InstanceRow, InstanceViewRow.instance_pk == InstanceRow.id)
        .join(UserRow, InstanceViewRow.user_pk == UserRow.id)
        .where(InstanceViewRow.campaign_pk == info.id)
        .order_by(InstanceViewRow.id)
    )
    if instance_pk is not None:
        view_q = view_q.where(InstanceViewRow.instance_pk == instance_pk)
    if user_pk is not None and not with_others:
        view_q = view_q.where(InstanceViewRow.user_pk == user_pk)
    views = [
        Event(i, key, name, number, VIEW, "", "", None, None, at)
        for i, key, name, number, at in session.execute(view_q)
    ]
    return CampaignState(info, [to_round(r) for r in round_list], assigned, events, positions, views)
