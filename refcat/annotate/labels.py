"""Annotators' answers: queues, append-only answer and undo events, revision, adjudication,
and the tables derived from the events (see refcat.annotate.state for the conventions).

Every request is checked before anything is written and refused with an exception:
PermissionDenied (not yours, not allowed yet), StoreError (unknown instance or campaign,
closed round, finished campaign), UsageError (question or value outside the campaign's
questions or the taxonomy). A refused request writes nothing. Writes run as one transaction
each, retried whole on a transient conflict (refcat.store.retry); an answer re-reads its
round inside its own transaction, so one racing a round close is refused, not misfiled.

Answers and undos sent by a page carry where they come from (`Sent`: the page's id and the
press's number there). A page's presses are filed in press order, each at most once: one whose
number is not above the page's last filed press in the campaign is refused (StoreError). The
round the page shows is passed as `round`, so a page left open across a round close can neither
answer in the next round nor undo an answer given there.

Automatic answers (author "auto") are excluded from `label_table` and `disagreements`,
so agreement is measured on annotators' answers only; `final_labels` uses them. Answers
to questions skipped after an annotator's "no RE" or "wrong object" are left out of every
table (refcat.annotate.state, skip_after_invalid).

Flags and views (`flag`, `unflag`, `record_view`) are taken from an instance's own annotators
while a round is open, as answers are; neither is an answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from refcat.analysis.consensus import OK, TOO_FEW, consensus
from refcat.annotate.accounts import User, stored_user
from refcat.annotate.state import (
    COMMENT,
    LABEL_ROUND,
    REVISION_ROUND,
    UNSURE,
    Campaign,
    CampaignState,
    Event,
    QueueItem,
    Round,
    asked,
    auto_answers,
    campaign_name,
    campaign_pk,
    campaign_row,
    fields_of,
    instance_events,
    instance_raters,
    instance_row,
    last_round,
    load_state,
    retracted,
    revision_fields,
    round_answers,
    round_rows,
    user_instance_events,
)
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.store.database import Store
from refcat.store.retry import retry_transient
from refcat.store.schema import CampaignRow, InstanceRow, InstanceViewRow, LabelEventRow, RoundRow, utcnow
from refcat.taxonomy import FIELD_VALUES

__all__ = [
    "InstanceFlags",
    "InstancePage",
    "QueueItem",
    "Sent",
    "Undone",
    "adjudicate",
    "answers",
    "disagreements",
    "events_table",
    "final_labels",
    "flag",
    "instance_flags",
    "instance_page",
    "label_table",
    "others_answers",
    "questions_for",
    "queue",
    "record_answer",
    "record_view",
    "resume_position",
    "revision_questions",
    "undo_last",
    "unflag",
]


@dataclass(frozen=True)
class Sent:
    """Where an answer or undo comes from: the page that sent it (`client`: an id the page drew
    when it was loaded, 1 to 32 letters, digits, `-` or `_`) and the number of the press there
    (`seq`: 1 and up, increasing with each press on that page)."""

    client: str
    seq: int


_CLIENT = re.compile(r"[A-Za-z0-9_-]{1,32}")
_MAX_SEQ = 2**31 - 1  # client_seq is a 32-bit integer column on PostgreSQL


@dataclass(frozen=True)
class Undone:
    """What `undo_last` took back: the undo event, the answer it retracts, and where it was."""

    undo_event_id: int
    retracted_event_id: int
    instance_key: str
    field: str
    value: str


def queue(store: Store, user: User | str, campaign: Campaign | str) -> list[QueueItem]:
    """The user's queue in the current round: all their instances in round 1; in round 2 only
    those where they disagreed with another annotator. Empty for users outside the campaign."""
    with store.session() as session:
        reader = stored_user(session, user)
        blind = last_round(session, campaign_pk(session, campaign)).number == LABEL_ROUND
        # In the blind round a queue depends only on the user's own and automatic answers.
        state = load_state(session, campaign, user_pk=reader.id, with_others=not blind)
    return state.queue(reader.name)


def resume_position(store: Store, user: User | str, campaign: Campaign | str) -> int:
    """Position of the first incomplete item of the queue; len(queue) when all are complete."""
    items = queue(store, user, campaign)
    return next((item.position for item in items if not item.complete), len(items))


def questions_for(
    store: Store, campaign: Campaign | str, instance_key: str, user: User | str | None = None
) -> list[str]:
    """The fields asked for this instance, in page order; automatic ones are left out, and with
    `user` those skipped after the user's current answers (a "no RE" skips the categories when
    the campaign's skip_after_invalid is on; refcat.annotate.state)."""
    if user is not None:
        return instance_page(store, user, campaign, instance_key).asked
    with store.session() as session:
        _, state = _instance_state(session, campaign, instance_key, None)
    return state.questions(instance_key)


def _instance_state(
    session: Session, campaign: Campaign | str, instance_key: str, reader: User | None
) -> tuple[InstanceRow, CampaignState]:
    """The instance's row and its campaign state (with `reader`, only their own and automatic events);
    refused (StoreError) when the instance is not in the campaign."""
    inst = instance_row(session, instance_key)
    user_pk = None if reader is None else reader.id
    state = load_state(session, campaign, instance_pk=inst.id, user_pk=user_pk, with_others=reader is None)
    if not state.annotators_of(instance_key):
        raise StoreError(f"instance {instance_key!r} is not in campaign {state.campaign.name!r}")
    return inst, state


@dataclass(frozen=True)
class InstancePage:
    """What a queue page shows of an instance for one annotator, read in one go (`instance_page`):
    the RE, the questions asked before any answer (automatic ones left out; `questions_for` without
    a user), the automatic answers (`automatic_answers`), the questions asked of the annotator after
    their current answers (`questions_for` the user) and those answers (`answers`)."""

    text: str
    fields: list[str]
    automatic: dict[str, str]
    asked: list[str]
    given: dict[str, str]


def instance_page(store: Store, user: User | str, campaign: Campaign | str, instance_key: str) -> InstancePage:
    """The `InstancePage` of `instance_key` for `user` (their own and the automatic events only: blind)."""
    with store.session() as session:
        reader = stored_user(session, user)
        inst, state = _instance_state(session, campaign, instance_key, reader)
    given = state.answers(state.round.number).get((reader.name, instance_key), {})
    return InstancePage(
        inst.text,
        state.questions(instance_key),
        state.auto_answers().get(instance_key, {}),
        state.questions(instance_key, given=given),
        given,
    )


def revision_questions(store: Store, user: User | str, campaign: Campaign | str, instance_key: str) -> list[str]:
    """The fields where the user's round 1 answer differs from another annotator's, and those their
    revised correctness asks anew (CampaignState.revision_questions); empty while round 1 is open,
    since nobody may compare answers yet."""
    with store.session() as session:
        name = stored_user(session, user).name
        inst = instance_row(session, instance_key)
        state = load_state(session, campaign, instance_pk=inst.id)
    if state.round.number == LABEL_ROUND:
        return []
    return state.revision_questions(state.answers(LABEL_ROUND), state.answers(state.round.number), name, instance_key)


@dataclass(frozen=True)
class _InstanceFacts:
    """What cannot change once a campaign exists: its ids, questions, the instance's raters
    and automatic answers (written only when the campaign is created)."""

    campaign: str
    campaign_pk: int
    instance_pk: int
    fields: tuple[str, ...]
    raters: tuple[str, ...]
    asked: tuple[str, ...]


# Per store: (campaign name, instance key) -> _InstanceFacts, so that answering reads only
# what can change (the user, the round). Weak keys: the cache goes with its Store object.
_FACTS: WeakKeyDictionary[Store, dict[tuple[str, str], _InstanceFacts]] = WeakKeyDictionary()


def _facts(store: Store, session: Session, campaign: Campaign | str, instance_key: str) -> _InstanceFacts:
    name = campaign_name(campaign)
    cache = _FACTS.setdefault(store, {})
    facts = cache.get((name, instance_key))
    if facts is None:
        crow = campaign_row(session, name)
        inst = instance_row(session, instance_key)
        fields = fields_of(crow.question_sets.split(","))
        auto = auto_answers(instance_events(session, crow.id, inst.id, first_round=False)).get(instance_key, {})
        facts = _InstanceFacts(
            crow.name,
            crow.id,
            inst.id,
            fields,
            tuple(instance_raters(session, crow.id, inst.id)),
            tuple(asked(fields, auto)),
        )
        cache[(name, instance_key)] = facts
    return facts


@retry_transient
def record_answer(
    store: Store,
    user: User | str,
    campaign: Campaign | str,
    instance_key: str,
    field: str,
    value: str,
    round: int | None = None,
    sent: Sent | None = None,
) -> int:
    """Append the user's answer to a question in the open round; returns the event id.

    `round`, when given, is the round the page was showing: an answer meant for a round that
    has been closed since is refused rather than filed in the next one. `sent`, when given, is
    the page and press it comes from (see the module's docstring for the order rule).
    """
    if sent is not None:
        _check_sent(sent)
    with store.session() as session:
        account = stored_user(session, user)
        facts = _facts(store, session, campaign, instance_key)
        number = _check_open(facts.campaign, last_round(session, facts.campaign_pk), round)
        if account.name not in facts.raters:
            raise PermissionDenied(
                f"instance {instance_key!r} is not assigned to {account.name} in campaign {facts.campaign!r}"
            )
        if number != LABEL_ROUND:
            first = round_answers(
                instance_events(session, facts.campaign_pk, facts.instance_pk, first_round=True), LABEL_ROUND
            )
            if not revision_fields(facts.fields, first, facts.raters, account.name, instance_key):
                raise PermissionDenied(
                    f"instance {instance_key!r} is not in {account.name}'s revision queue (no disagreement there)"
                )
        _check_value(field, value, list(facts.asked), instance_key)
        _check_order(session, facts.campaign_pk, account.id, sent)
        event_id = _append_event(
            session,
            campaign_pk=facts.campaign_pk,
            instance_pk=facts.instance_pk,
            user_pk=account.id,
            round=number,
            kind="answer",
            field=field,
            value=value,
            **_sent_columns(sent),
        )
        # Re-read the round inside the writing transaction: a close that won the race wins.
        _check_open(facts.campaign, last_round(session, facts.campaign_pk, lock=True), number)
        return event_id


def _append_event(session: Session, **values: object) -> int:
    """Append one label event (the columns of LabelEventRow but its id and time); returns its id."""
    return session.execute(
        insert(LabelEventRow).returning(LabelEventRow.id), {**values, "created_at": utcnow()}
    ).scalar_one()


def _check_sent(sent: Sent) -> None:
    if not _CLIENT.fullmatch(sent.client):
        raise UsageError("a page id is 1 to 32 letters, digits, '-' or '_'")
    if not 1 <= sent.seq <= _MAX_SEQ:
        raise UsageError(f"a press number is 1 to {_MAX_SEQ}", expected="a number from the page's press counter")


def _check_order(session: Session, campaign_pk: int, user_pk: int, sent: Sent | None) -> None:
    """Refuse a press that is not later than the last press of the same page filed in the campaign."""
    if sent is None:
        return
    last = session.scalar(
        select(func.max(LabelEventRow.client_seq)).where(
            LabelEventRow.campaign_pk == campaign_pk,
            LabelEventRow.user_pk == user_pk,
            LabelEventRow.client == sent.client,
        )
    )
    if last is not None and sent.seq <= last:
        raise StoreError(
            f"press {sent.seq} of this page arrived after its press {last}: "
            "a page's answers are filed in the order they were pressed, each once"
        )


def _sent_columns(sent: Sent | None) -> dict[str, object]:
    return {} if sent is None else {"client": sent.client, "client_seq": sent.seq}


def _check_open(name: str, last: Round, expected: int | None) -> int:
    """The number of campaign `name`'s latest round `last`; refuses a finished campaign or, when
    `expected` is given, a round other than the open one."""
    if last.closed_at is not None:
        raise StoreError(f"campaign {name!r} is finished: no answers are taken")
    if expected is not None and expected != last.number:
        raise StoreError(f"round {expected} of campaign {name!r} is closed (round {last.number} is open)")
    return last.number


def _check_value(field: str, value: str, asked: list[str], instance_key: str) -> None:
    if field not in FIELD_VALUES:
        raise UsageError(f"unknown question {field!r}", expected=f"one of {sorted(FIELD_VALUES)}")
    if field not in asked:
        raise UsageError(f"question {field!r} is not asked for {instance_key!r}", expected=f"one of {asked}")
    if value not in FIELD_VALUES[field]:
        raise UsageError(f"{value!r} is not an answer to {field!r}", expected=" or ".join(FIELD_VALUES[field]))


@retry_transient
def undo_last(
    store: Store, user: User | str, campaign: Campaign | str, round: int | None = None, sent: Sent | None = None
) -> Undone:
    """Retract the user's latest standing answer in the open round by appending an undo event.

    `round` and `sent` as in `record_answer`: an undo from a page showing a round that has been
    closed since is refused, so it never takes back an answer of the next round.
    """
    if sent is not None:
        _check_sent(sent)
    with store.session() as session:
        account = stored_user(session, user)
        crow = campaign_row(session, campaign)
        number = _check_open(crow.name, last_round(session, crow.id), round)
        _check_order(session, crow.id, account.id, sent)
        state = load_state(session, crow.name, user_pk=account.id, with_others=False)
        taken_back = retracted(state.events)
        mine = [
            e
            for e in state.events
            if e.kind == "answer" and e.annotator == account.name and e.round == number and e.id not in taken_back
        ]
        if not mine:
            raise UsageError(f"nothing to undo for {account.name} in round {number} of {crow.name!r}")
        last = max(mine, key=lambda e: e.id)
        event_id = _append_event(
            session,
            campaign_pk=crow.id,
            instance_pk=instance_row(session, last.instance).id,
            user_pk=account.id,
            round=number,
            kind="undo",
            field=last.field,
            value=last.value,
            retracts=last.id,
            **_sent_columns(sent),
        )
        _check_open(crow.name, last_round(session, crow.id, lock=True), number)
        return Undone(event_id, last.id, last.instance, last.field, last.value)


def _may_read_others(
    reader: User, crow: CampaignRow, rounds: list[RoundRow], state: CampaignState, instance_key: str
) -> None:
    if rounds[0].closed_at is None:
        raise PermissionDenied(f"round 1 of {crow.name!r} is blind: answers of others are hidden until it is closed")
    if reader.role != "admin" and reader.name not in state.annotators_of(instance_key):
        raise PermissionDenied(f"{reader.name} does not annotate {instance_key!r} in {crow.name!r}")


def answers(
    store: Store,
    user: User | str,
    campaign: Campaign | str,
    instance_key: str,
    round: int | None = None,
    annotator: str | None = None,
) -> dict[str, str]:
    """Current answers {field: value} of `annotator` (default: the user) on one instance.

    round None: as of the current round; 1: first answers; 2: revised answers with round 1
    carrying over. Reading another annotator's answers is refused while round 1 is open.
    """
    with store.session() as session:
        reader = stored_user(session, user)
        crow = campaign_row(session, campaign)
        inst = instance_row(session, instance_key)
        target = reader if annotator in (None, reader.name) else stored_user(session, annotator)
        state = load_state(session, crow.name, instance_pk=inst.id, user_pk=target.id, with_others=False)
        if target.id != reader.id:
            _may_read_others(reader, crow, round_rows(session, crow.id), state, instance_key)
    number = state.round.number if round is None else round
    return state.answers(number).get((target.name, instance_key), {})


def others_answers(
    store: Store, user: User | str, campaign: Campaign | str, instance_key: str, round: int = LABEL_ROUND
) -> dict[str, dict[str, str]]:
    """The other annotators' answers on an instance ({name: {field: value}}), for revision:
    refused while the blind round is open. Round 1 answers by default."""
    with store.session() as session:
        reader = stored_user(session, user)
        crow = campaign_row(session, campaign)
        inst = instance_row(session, instance_key)
        state = load_state(session, crow.name, instance_pk=inst.id)
        _may_read_others(reader, crow, round_rows(session, crow.id), state, instance_key)
    given = state.answers(round)
    return {
        name: given.get((name, instance_key), {}) for name in state.annotators_of(instance_key) if name != reader.name
    }


def _frame(rows: Sequence[Mapping[str, object]], columns: list[str], nullable: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table whose `nullable` columns keep None (object dtype) rather than becoming NaN."""
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object if c in nullable else None) for c in columns})


def _state(store: Store, campaign: Campaign | str) -> CampaignState:
    with store.session() as session:
        return load_state(session, campaign)


def _label_rows(state: CampaignState, number: int) -> list[dict[str, str]]:
    return [
        {"item": key, "annotator": name, "field": f, "label": v}
        for (name, key), given in state.answers(number).items()
        for f, v in given.items()
    ]


def _majorities(state: CampaignState, number: int) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(item, field) -> (label or None, status) by refcat.analysis.consensus, with a label kept
    when more than half of the campaign's annotators per instance gave it (2 of 3)."""
    rows = _label_rows(state, number)
    if not rows:
        return {}
    votes = consensus(pd.DataFrame(rows), min_votes=state.campaign.per_instance // 2 + 1, source="label events")
    return {(r.item, r.field): (r.label if r.status == OK else None, r.status) for r in votes.itertuples()}


def label_table(store: Store, campaign: Campaign | str, round: int | None = None) -> pd.DataFrame:
    """Long table of annotators' current answers: columns item, annotator, field, label.

    round 1: first answers; round 2: revised, with round 1 carrying over where not revised;
    None: the current round. Automatic answers are left out (they are not judgements).
    """
    state = _state(store, campaign)
    number = state.round.number if round is None else round
    rows = sorted(_label_rows(state, number), key=lambda r: (state.positions[r["item"]], r["annotator"], r["field"]))
    return pd.DataFrame(rows, columns=["item", "annotator", "field", "label"])


EVENT_COLUMNS = [
    "event_id",
    "campaign",
    "instance",
    "annotator",
    "round",
    "question",
    "answer",
    "time",
    "kind",
    "reason",
    "retracts",
    "retracted",
]


def events_table(store: Store, campaign: Campaign | str | None = None) -> pd.DataFrame:
    """Every event, in order: columns event_id, campaign, instance, annotator ("auto" for
    automatic answers), round, question, answer, time (UTC), kind ("answer", "undo", "auto",
    "adjudication", and the annotators' "unsure" and "comment": refcat.annotate.state), reason
    (an adjudication's reason, a flag's text), retracts (the event an undo takes back), retracted (bool).
    All campaigns when `campaign` is None."""
    from refcat.annotate.campaigns import list_campaigns

    names = [c.name for c in list_campaigns(store)] if campaign is None else [campaign]
    rows = []
    for name in names:
        state = _state(store, name)
        taken_back = retracted(state.events)
        rows += [
            {
                "event_id": e.id,
                "campaign": state.campaign.name,
                "instance": e.instance,
                "annotator": e.annotator,
                "round": e.round,
                "question": e.field,
                "answer": e.value,
                "time": e.time,
                "kind": e.kind,
                "reason": e.reason,
                "retracts": e.retracts,
                "retracted": e.id in taken_back,
            }
            for e in state.events
        ]
    table = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    table["retracts"] = table["retracts"].astype("Int64")
    table["retracted"] = table["retracted"].astype(bool)
    table["time"] = pd.to_datetime(table["time"], utc=True)
    return table.sort_values("event_id", ignore_index=True)


def _votes(given: dict[tuple[str, str], dict[str, str]], raters: list[str], key: str, field: str) -> dict[str, str]:
    """{annotator: value} of the `raters` who answered `field` on instance `key` in `given`."""
    return {name: given[(name, key)][field] for name in raters if field in given.get((name, key), {})}


def _adjudications(state: CampaignState) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(e.instance, e.field): (e.value, e.reason) for e in state.events if e.kind == "adjudication"}


def disagreements(store: Store, campaign: Campaign | str, round: int | None = None) -> pd.DataFrame:
    """Per item x question (automatic ones left out): answers {annotator: value} as of the round,
    n_answers, majority (the consensus label, 2 of 3; None without one), unanimous (every assigned
    annotator gave the same answer), adjudication (the admin's final value, or None), status (the
    vote's consensus status: ok, tie, no-majority, too-few-answers), first ({annotator: value} of
    round 1), revised ({annotator: value} given in round 2 itself, revisions and confirmations;
    empty as of round 1), annotators (the instance's assigned annotators, sorted). Rows in campaign order."""
    state = _state(store, campaign)
    number = state.round.number if round is None else round
    given = state.answers(number)
    first = state.answers(LABEL_ROUND)
    revised = state.round_answers(REVISION_ROUND) if number >= REVISION_ROUND else {}
    auto = state.auto_answers()
    adjudicated = _adjudications(state)
    majorities = _majorities(state, number)
    rows = []
    for key in state.keys_in_order():
        raters = state.annotators_of(key)
        for f in state.questions(key, auto):
            votes = _votes(given, raters, key, f)
            majority, status = majorities.get((key, f), (None, TOO_FEW))
            rows.append(
                {
                    "item": key,
                    "field": f,
                    "answers": votes,
                    "n_answers": len(votes),
                    "majority": majority,
                    "unanimous": len(votes) == len(raters) and len(set(votes.values())) == 1,
                    "adjudication": adjudicated.get((key, f), (None, None))[0],
                    "status": status,
                    "first": _votes(first, raters, key, f),
                    "revised": _votes(revised, raters, key, f),
                    "annotators": list(raters),
                }
            )
    columns = ["item", "field", "answers", "n_answers", "majority", "unanimous", "adjudication", "status"]
    answered = ("answers", "first", "revised", "annotators")
    return _frame(rows, [*columns, *answered], nullable=("majority", "adjudication", *answered))


@retry_transient
def adjudicate(
    store: Store,
    admin_user: User | str,
    campaign: Campaign | str,
    instance_key: str,
    field: str,
    value: str,
    reason: str,
) -> int:
    """Set the final label of one question on one instance, with a reason (admins only, once
    the blind round is closed); the latest adjudication wins. Returns the event id."""
    if not reason or not reason.strip():
        raise UsageError("an adjudication needs a reason")
    with store.session() as session:
        admin = stored_user(session, admin_user)
        if admin.role != "admin":
            raise PermissionDenied(f"{admin.name} is not an admin; only admins adjudicate")
        crow = campaign_row(session, campaign)
        inst = instance_row(session, instance_key)
        rounds = round_rows(session, crow.id)
        if rounds[0].closed_at is None:
            raise StoreError(f"round 1 of {crow.name!r} is still open: adjudicate after closing it")
        state = load_state(session, crow.name, instance_pk=inst.id)
        if not state.annotators_of(instance_key):
            raise StoreError(f"instance {instance_key!r} is not in campaign {crow.name!r}")
        _check_value(field, value, list(state.campaign.fields), instance_key)
        return _append_event(
            session,
            campaign_pk=crow.id,
            instance_pk=inst.id,
            user_pk=admin.id,
            round=rounds[-1].number,
            kind="adjudication",
            field=field,
            value=value,
            reason=reason.strip(),
        )


def final_labels(store: Store, campaign: Campaign | str) -> pd.DataFrame:
    """One row per item x question: label and where it comes from (source): "adjudication"
    (with its reason), "auto" (automatic answer), "majority" (consensus of the revised
    answers, 2 of 3, by refcat.analysis.consensus), or "none" (label None). Columns: item,
    field, label, source, votes ({annotator: value}), status (the vote's consensus status:
    ok, tie, no-majority, too-few-answers), reason."""
    state = _state(store, campaign)
    given = state.answers(state.round.number)
    auto = state.auto_answers()
    adjudicated = _adjudications(state)
    majorities = _majorities(state, state.round.number)
    rows = []
    for key in state.keys_in_order():
        raters = state.annotators_of(key)
        for f in state.campaign.fields:
            votes = _votes(given, raters, key, f)
            majority, status = majorities.get((key, f), (None, TOO_FEW))
            label: str | None
            if (key, f) in adjudicated:
                label, reason = adjudicated[(key, f)]
                source = "adjudication"
            elif f in auto.get(key, {}):
                label, source, reason = auto[key][f], "auto", None
            else:
                label, reason = majority, None
                source = "none" if label is None else "majority"
            rows.append(
                {
                    "item": key,
                    "field": f,
                    "label": label,
                    "source": source,
                    "votes": votes,
                    "status": status,
                    "reason": reason,
                }
            )
    return _frame(
        rows, ["item", "field", "label", "source", "votes", "status", "reason"], nullable=("label", "votes", "reason")
    )


def instance_text(store: Store, instance_key: str) -> str:
    """The RE of an instance."""
    with store.session() as session:
        return instance_row(session, instance_key).text


def instance_texts(store: Store, instance_keys: Sequence[str]) -> dict[str, str]:
    """{instance key: its RE} of the stored instances among `instance_keys`, in one read."""
    if not instance_keys:
        return {}
    with store.session() as session:
        rows = session.execute(select(InstanceRow.key, InstanceRow.text).where(InstanceRow.key.in_(instance_keys)))
        return {row.key: row.text for row in rows}


def automatic_answers(store: Store, campaign: Campaign | str, instance_key: str) -> dict[str, str]:
    """{field: value} of the automatic answers on an instance (e.g. trivial for a single object)."""
    with store.session() as session:
        state = load_state(session, campaign, instance_pk=instance_row(session, instance_key).id)
    return state.auto_answers().get(instance_key, {})


def revised_answers(store: Store, user: User, campaign: Campaign | str, instance_key: str) -> dict[str, str]:
    """{field: value} the user gave in the revision round itself (revisions and confirmations),
    without the first answers that carry over where they have not answered yet."""
    with store.session() as session:
        state = load_state(
            session,
            campaign,
            instance_pk=instance_row(session, instance_key).id,
            user_pk=stored_user(session, user).id,
            with_others=False,
        )
    return state.round_answers(REVISION_ROUND).get((user.name, instance_key), {})


MAX_COMMENT = 2000  # characters of one comment


@dataclass(frozen=True)
class InstanceFlags:
    """An annotator's own flags on one instance (refcat.annotate.state, Flags): whether it stands
    marked unsure, and their comments in the order written."""

    unsure: bool
    comments: tuple[str, ...]


def _standing_flags(session: Session, facts: _InstanceFacts, user_pk: int) -> list[Event]:
    """The user's flags on the instance of `facts` that no undo of theirs takes back, in order (every round)."""
    events = user_instance_events(session, facts.campaign_pk, facts.instance_pk, user_pk, (UNSURE, COMMENT, "undo"))
    taken_back = retracted(events)
    return [e for e in events if e.kind in (UNSURE, COMMENT) and e.id not in taken_back]


def _own_instance(
    store: Store, session: Session, user: User | str, campaign: Campaign | str, instance_key: str, round: int | None
) -> tuple[User, _InstanceFacts, int]:
    """The account, instance facts and open round for a flag or view by `user` on `instance_key`: refused
    unless the instance is theirs and the round they see (`round`, when given) is open."""
    account = stored_user(session, user)
    facts = _facts(store, session, campaign, instance_key)
    number = _check_open(facts.campaign, last_round(session, facts.campaign_pk), round)
    if account.name not in facts.raters:
        raise PermissionDenied(
            f"instance {instance_key!r} is not assigned to {account.name} in campaign {facts.campaign!r}"
        )
    return account, facts, number


@retry_transient
def flag(
    store: Store,
    user: User | str,
    campaign: Campaign | str,
    instance_key: str,
    kind: str,
    text: str = "",
    round: int | None = None,
) -> int:
    """Append the user's flag on one of their instances in the open round; returns the event id.

    kind UNSURE marks the instance unsure (`text` optional; a second mark while one stands is
    refused), COMMENT adds a comment (`text` required, at most MAX_COMMENT characters). `round`
    as in `record_answer`."""
    if kind not in (UNSURE, COMMENT):
        raise UsageError(f"unknown flag {kind!r}", expected=f"{UNSURE!r} or {COMMENT!r}")
    text = text.strip()
    if kind == COMMENT and not text:
        raise UsageError("an empty comment", expected="some text")
    if len(text) > MAX_COMMENT:
        raise UsageError(f"a comment of {len(text)} characters", expected=f"at most {MAX_COMMENT}")
    with store.session() as session:
        account, facts, number = _own_instance(store, session, user, campaign, instance_key, round)
        if kind == UNSURE:
            if any(e.kind == UNSURE for e in _standing_flags(session, facts, account.id)):
                raise UsageError(f"{instance_key!r} is already marked unsure by {account.name}")
        event_id = _append_event(
            session,
            campaign_pk=facts.campaign_pk,
            instance_pk=facts.instance_pk,
            user_pk=account.id,
            round=number,
            kind=kind,
            field="",
            value="",
            reason=text or None,
        )
        _check_open(facts.campaign, last_round(session, facts.campaign_pk, lock=True), number)
        return event_id


@retry_transient
def unflag(
    store: Store, user: User | str, campaign: Campaign | str, instance_key: str, round: int | None = None
) -> int:
    """Take back the user's standing "unsure" mark on an instance (an undo event that retracts it);
    returns the undo's event id. Refused (UsageError) when none stands."""
    with store.session() as session:
        account, facts, number = _own_instance(store, session, user, campaign, instance_key, round)
        marks = [e for e in _standing_flags(session, facts, account.id) if e.kind == UNSURE]
        if not marks:
            raise UsageError(f"{instance_key!r} is not marked unsure by {account.name}")
        event_id = _append_event(
            session,
            campaign_pk=facts.campaign_pk,
            instance_pk=facts.instance_pk,
            user_pk=account.id,
            round=number,
            kind="undo",
            field="",
            value="",
            retracts=marks[-1].id,
        )
        _check_open(facts.campaign, last_round(session, facts.campaign_pk, lock=True), number)
        return event_id


def instance_flags(store: Store, user: User | str, campaign: Campaign | str, instance_key: str) -> InstanceFlags:
    """The user's own standing flags on one instance (every round)."""
    with store.session() as session:
        account = stored_user(session, user)
        mine = _standing_flags(session, _facts(store, session, campaign, instance_key), account.id)
    return InstanceFlags(any(e.kind == UNSURE for e in mine), tuple(e.reason or "" for e in mine if e.kind == COMMENT))


def store_time_ago(ms: int) -> datetime:
    """The store's time (`utcnow`) `ms` milliseconds ago: when the browser did what it reports that long after."""
    return utcnow() - timedelta(milliseconds=ms)


@retry_transient
def record_view(
    store: Store,
    user: User | str,
    campaign: Campaign | str,
    instance_key: str,
    round: int | None = None,
    at: datetime | None = None,
) -> int | None:
    """Record the user's first view of one of their instances in the open round (the start of its
    time on item, refcat.annotate.state); returns the view's id, or None when they have opened it
    in this round before. `round` as in `record_answer`; `at`: when the browser showed it, when that
    was before now (the queue pages' desk shows the next instance before the server draws it), else now."""
    with store.session() as session:
        account, facts, number = _own_instance(store, session, user, campaign, instance_key, round)
        where = {"campaign_pk": facts.campaign_pk, "instance_pk": facts.instance_pk, "user_pk": account.id}
        try:
            with session.begin_nested():  # a view recorded at the same time by another page wins
                return session.execute(
                    insert(InstanceViewRow).returning(InstanceViewRow.id),
                    {**where, "round": number, "created_at": min(at, utcnow()) if at else utcnow()},
                ).scalar_one()
        except IntegrityError:
            return None
