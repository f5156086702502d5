"""Where an annotator is in a queue, what their presses do there, and the frame that the two
queue pages (annotate, revise) share.

The URL carries `campaign` (a campaign name) and `instance` (an instance key). A page that is
loaded shows the URL's `instance`, or without one the stored resume position (the first
incomplete item), so closing the tab and logging in again resumes at the same place. A requested
campaign or instance that is not the annotator's is refused with a message, and the page falls
back to their own resume position; nothing is written. From then on the instance shown is kept
in the page's session (per queue page and campaign) and copied to the URL: a request whose URL
was sent before the page's last move reached the browser does not move the page back.

What a page shows is a `View`: the instance and a number counting the page's moves. Presses
(refcat.annotate.ui.shortcuts: keys and clicks on the page's buttons, through the page's key
listener, in the order they were made) are applied by `apply_presses`, one after the other:
Previous and Next move from the instance shown; an answer is filed only when it was pressed on
the view shown, and refused otherwise (it was pressed before the page showed what a press
before it moved to); an answer or undo carries the page's round, so a page left open across a
round close writes nothing (refcat.annotate.labels).

Auto-advance (the annotator's setting, refcat.annotate.settings; `Handlers.complete` given): an
answer that is filed and completes its instance (incomplete before it, complete after it) moves
the page to the next instance of the queue, as Next would, after the answer is stored; on the
last instance the page stays. The view so opened is marked `advanced`: the answers pressed before
the page showed it are refused as above, and so are Previous and Next pressed before then (the
page already moved: a habitual Next after the last answer does not skip an instance); Undo is
taken, and shows the instance of the answer it took back.

A queue page starts with `open_queue` (messages of the last run, the choice of campaign, the
page's own refusal of the campaign's state, the queue and the instance shown), then shows
`nav_bar` and `instance_columns`; `progress_bar` heads its answer panel and `listener` ends it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import Campaign, list_campaigns
from refcat.annotate.guidelines import instance_source_label
from refcat.annotate.labels import (
    Undone,
    answers,
    questions_for,
    queue,
    record_answer,
    resume_position,
    revised_answers,
    revision_questions,
    undo_last,
)
from refcat.annotate.state import LABEL_ROUND, QueueItem
from refcat.annotate.ui import desk, picker, session, suggestions, widgets
from refcat.annotate.ui.flags import widget_keys
from refcat.annotate.ui.help_overlay import help_overlay
from refcat.annotate.ui.shortcuts import (
    ANSWER,
    MOVE_BACK,
    MOVE_ON,
    NEXT,
    PREVIOUS,
    TAKE_BACK,
    UNDO,
    Press,
    button_actions,
    button_class,
    key_actions,
    key_listener,
    nav_button_key,
    parse_presses,
    presses,
    with_key,
)
from refcat.annotate.ui.text import error_message, plain
from refcat.errors import RefcatError
from refcat.store.database import Store

CAMPAIGN_PARAM, INSTANCE_PARAM = "campaign", "instance"
_VIEW, _ACKED = "view", "keys_acked"  # session keys: what a queue page shows; the last key press handled


def locate(items: Sequence[QueueItem], requested: str | None, resume: int) -> tuple[int, str | None]:
    """(index into `items`, refusal message or None) for a requested instance key.

    No request: the resume position, or the last item once every item is complete.
    A key outside the queue is refused and the resume position used instead.
    """
    fallback = min(resume, len(items) - 1)
    if requested is None:
        return fallback, None
    for index, item in enumerate(items):
        if item.instance_key == requested:
            return index, None
    return fallback, f"Refused: instance {requested!r} is not in your queue; showing where you left off."


def neighbour(n_items: int, index: int, step: int) -> int:
    """The index `step` away, kept inside the queue."""
    return max(0, min(n_items - 1, index + step))


@dataclass(frozen=True)
class View:
    """What a queue page shows: the instance `key`, and `number`, which counts the page's moves (one
    more each time it shows another instance), so that a press made on an earlier view is told
    apart even when the page has come back to the same instance since; `advanced`: the page
    moved here by itself (auto-advance, module doc); `shown_at`: when the browser showed it, where
    that was before the server drew it (the press that moved here was shown at once, `Press.shown_at`).
    Views are equal when key and number are."""

    key: str
    number: int
    advanced: bool = dataclasses.field(default=False, compare=False)
    shown_at: datetime | None = dataclasses.field(default=None, compare=False)

    def moved(self, key: str, shown_at: datetime | None = None) -> View:
        return self if key == self.key else View(key, self.number + 1, shown_at=shown_at)


@dataclass(frozen=True)
class Place:
    """The instance shown from an annotator's queue in the open round of `campaign`: `items[index]`,
    on the queue page `page` ("annotate" or "revise"), whose answers belong to round `round`, in
    the page's view number `view`, shown by the browser since `shown_at` (`View.shown_at`; None: since
    this page run); `refusal` says why a requested instance was not shown (None when none was refused)."""

    campaign: Campaign
    items: list[QueueItem]
    index: int
    refusal: str | None
    page: str
    round: int
    view: int = 0
    shown_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.items[self.index].instance_key

    @property
    def keys(self) -> list[str]:
        return [item.instance_key for item in self.items]

    @property
    def scope(self) -> str:
        """The queue page and campaign, as presses name where they were made (e.g. "annotate:demo")."""
        return f"{self.page}:{self.campaign.name}"


def find_place(db: Store, user: User, campaign: Campaign, requested: str | None, page: str, round: int) -> Place | None:
    """The user's place on queue page `page` (answering in round `round`) for `requested` (an
    instance key, or None to resume); None when the queue is empty. The resume position is read
    only when it is needed."""
    items = queue(db, user, campaign)
    if not items:
        return None
    shown = requested in {item.instance_key for item in items}
    index, refusal = locate(items, requested, 0 if shown else resume_position(db, user, campaign.name))
    return Place(campaign, items, index, refusal, page, round)


def choose_campaign(
    campaigns: Sequence[Campaign], requested: str | None, default: Callable[[], Campaign]
) -> tuple[Campaign, str | None]:
    """The requested campaign if it is one of `campaigns` (the annotator's), else `default()`
    (called only then), with a refusal when one was requested."""
    for campaign in campaigns:
        if campaign.name == requested:
            return campaign, None
    refusal = None if requested is None else f"Refused: you are not an annotator of campaign {requested!r}."
    return default(), refusal


def campaign_selector(
    campaigns: Sequence[Campaign], round: int, queue_of: Callable[[Campaign], Sequence[QueueItem]]
) -> Campaign:
    """The campaign named in the URL (or chosen in the sidebar), refusing one that is not the user's,
    for a queue page answering in `round`. The picker lists the campaigns in that round first; when
    the URL names none, the page opens one where it has work for the user (refcat.annotate.ui.picker;
    `queue_of(campaign)`: the user's queue there, read only for that choice)."""
    campaigns = picker.listed(campaigns, round)
    chosen, refusal = choose_campaign(
        campaigns, st.query_params.get(CAMPAIGN_PARAM), lambda: picker.with_work(campaigns, round, queue_of)
    )
    if refusal:
        st.error(plain(refusal))
    by_name = {c.name: c for c in campaigns}
    if len(by_name) > 1:
        picked = st.selectbox(
            "Campaign",
            list(by_name),
            index=campaigns.index(chosen),
            key="campaign_pick",
            format_func=lambda name: picker.label(by_name[name], round),
        )
        if picked != chosen.name:
            st.query_params.pop(INSTANCE_PARAM, None)
            chosen = by_name[picked]
    st.query_params[CAMPAIGN_PARAM] = chosen.name
    return chosen


def open_queue(
    db: Store,
    user: User,
    *,
    page: str,
    round: int,
    no_campaign: str,
    closed: Callable[[Campaign], str | None],
    empty: Callable[[Campaign], object],
) -> Place | None:
    """The start of queue page `page` (answering in round `round`), after its header: the messages
    of the last run, the choice among the user's campaigns, and the place of the instance to show
    (the one the session keeps, else the URL's), which the session and the URL then name.

    None when there is nothing to show, after saying why: `no_campaign` when the user annotates no
    campaign, `closed(campaign)` (None while the page's round is open) or, when the queue is
    empty, whatever `empty(campaign)` shows.
    """
    widgets.show_flash()
    mine = [c for c in list_campaigns(db) if user.name in c.annotators]
    if not mine:
        st.info(plain(no_campaign))
        return None
    campaign = campaign_selector(mine, round, lambda campaign: queue(db, user, campaign))
    refusal = closed(campaign)
    if refusal:
        st.info(plain(refusal))
        return None
    kept = _kept(page, campaign.name)
    place = find_place(db, user, campaign, kept.key if kept else st.query_params.get(INSTANCE_PARAM), page, round)
    if place is None:
        empty(campaign)
        return None
    if place.refusal:
        st.error(plain(place.refusal))
    view = (kept or View(place.key, 0)).moved(place.key)
    keep(place, view)
    return replace(place, view=view.number, shown_at=view.shown_at)


def _kept(page: str, campaign: str) -> View | None:
    kept = st.session_state.get(f"{_VIEW}:{page}:{campaign}")
    return kept if isinstance(kept, View) else None


def shown(place: Place) -> View:
    """What the page shows now: `place`'s view, unless a press since the page was drawn moved it."""
    kept = _kept(place.page, place.campaign.name)
    return kept if kept is not None and kept.key in place.keys else View(place.key, place.view)


def keep(place: Place, view: View) -> None:
    """Make `view` what the page of `place` shows, in the session and (its instance) in the URL."""
    st.session_state[f"{_VIEW}:{place.page}:{place.campaign.name}"] = view
    st.query_params[INSTANCE_PARAM] = view.key


@dataclass(frozen=True)
class Handlers:
    """What a queue page does with a press: `answer(press)` files `press.field` = `press.value` on
    `press.instance` (checked to be the instance shown); `undo(press)` takes back the annotator's
    last answer and returns the instance to show then (None: stay). Both raise RefcatError to
    refuse, and say what they did with `widgets.flash`. `complete(key)`, given when the page
    advances by itself (module doc), says whether the annotator's instance `key` is complete."""

    answer: Callable[[Press], object]
    undo: Callable[[Press], str | None]
    complete: Callable[[str], bool] | None = None


def store_handlers(
    db: Store, user: User, place: Place, undone: Callable[[Undone], str | None], *, advance: bool = False
) -> Handlers:
    """Handlers that file a press's answer or undo in the store, in the page's round and with the
    press's number (refcat.annotate.labels refuses it when the round closed since or the press
    arrives out of order); `undone(what)` says what an undo took back and returns the instance to
    show then (None: stay). With `advance`, the page advances by itself (module doc): an instance
    is complete once every question the page asks the annotator there is answered in its round
    (round 1: `questions_for` the annotator, answered as of round 1; the revision round:
    `revision_questions`, answered in that round), as the queue's items count it
    (refcat.annotate.state `CampaignState.queue`), read for the one instance."""

    def answer(press: Press) -> None:
        record_answer(
            db, user, place.campaign.name, press.instance, press.field, press.value, round=place.round, sent=press.sent
        )

    def undo(press: Press) -> str | None:
        return undone(undo_last(db, user, place.campaign.name, round=place.round, sent=press.sent))

    def complete(key: str) -> bool:
        name = place.campaign.name
        if place.round == LABEL_ROUND:
            return set(questions_for(db, name, key, user)) <= set(answers(db, user, name, key, round=LABEL_ROUND))
        return set(revision_questions(db, user, name, key)) <= set(revised_answers(db, user, name, key))

    return Handlers(answer, undo, complete if advance else None)


def advanced(keys: Sequence[str], view: View, shown_at: datetime | None = None) -> View:
    """Where auto-advance goes from `view` in the queue `keys`: the next instance (shown by the browser
    since `shown_at`, as `View`), or `view` on the last."""
    index = keys.index(view.key)
    return view if index + 1 == len(keys) else View(keys[index + 1], view.number + 1, True, shown_at)


def apply_presses(
    keys: Sequence[str],
    view: View,
    pressed: Sequence[Press],
    handlers: Handlers,
    say: Callable[[str, str], None],
) -> View:
    """Apply `pressed`, in their order, to a page of the queue `keys` that shows `view` (its
    instance one of `keys`); returns what it shows after them. A refusal is said (`say("error",
    text)`) and the next press goes on. Moving is from the instance shown, whatever the press's
    `instance`, unless the page moved there by itself after the press (dropped, and said as
    "info"); an answer is filed only when pressed on the view shown (its instance and number), and
    with `handlers.complete` one that completes its instance advances the page (module doc)."""
    for press in pressed:
        try:
            if press.action in (MOVE_BACK, MOVE_ON) and view.advanced and press.view < view.number:
                name = "Next" if press.action == MOVE_ON else "Previous"
                say("info", f"Stayed on {view.key}: the page had moved on by itself when {name} was pressed.")
            elif press.action in (MOVE_BACK, MOVE_ON):
                step = -1 if press.action == MOVE_BACK else 1
                view = view.moved(keys[neighbour(len(keys), keys.index(view.key), step)], press.shown_at)
            elif press.action == TAKE_BACK:
                target = handlers.undo(press)
                view = view if target is None else view.moved(target)
            elif (press.instance, press.view) != (view.key, view.number):
                say(
                    "error",
                    f"Refused: an answer pressed before the page showed {view.key} (it had moved on); "
                    "nothing was written. Press it again to answer here.",
                )
            elif handlers.complete is None:
                handlers.answer(press)
            else:
                was_complete = handlers.complete(press.instance)
                handlers.answer(press)
                if not was_complete and handlers.complete(press.instance):
                    view = advanced(keys, view, press.shown_at)
        except RefcatError as exc:
            say("error", f"Refused: {exc}")
        except Exception as exc:  # said with an error id, the traceback goes to the log (ui.text)
            say("error", error_message(exc))
    return view


def receive(place: Place, handlers: Handlers, pressed: Sequence[Press]) -> None:
    """Apply presses made on the page of `place` (those made on another queue page, or on this
    page for another campaign, are refused) to what it shows now; what it shows after them is kept
    for the next run."""
    mine = [p for p in pressed if p.page == place.scope]
    if len(mine) < len(pressed):
        widgets.flash("error", "Refused: a key pressed on another page than this one; nothing was written.")
    keep(place, apply_presses(place.keys, shown(place), mine, handlers, widgets.flash))


def click(place: Place, handlers: Handlers, action: str, field: str = "", value: str = "") -> None:
    """A button's click: a press, without a number, on the view the button was drawn for."""
    receive(place, handlers, [Press(action, place.scope, place.key, place.view, field, value)])


def nav_bar(
    place: Place, handlers: Handlers, key_prefix: str = "nav", extra: Callable[[], object] | None = None
) -> None:
    """Previous / Next and Undo, their keys in their labels (the key listener handles the keys),
    `extra()` (e.g. a setting) and the `?` overlay's button at the end of the row."""
    last = len(place.items) - 1
    with st.container(horizontal=True, vertical_alignment="center"):
        for label, key, action, name, disabled in (
            ("Previous", PREVIOUS, MOVE_BACK, "prev", place.index == 0),
            ("Next", NEXT, MOVE_ON, "next", place.index == last),
            ("Undo last answer", UNDO, TAKE_BACK, "undo", False),
        ):
            st.button(
                with_key(label, key),
                key=nav_button_key(key_prefix, name),
                disabled=disabled,
                on_click=click,
                args=(place, handlers, action),
            )
        if extra is not None:
            extra()
        help_overlay()


def answer_click(place: Place, handlers: Handlers) -> Callable[[str, str], None]:
    """The `on_answer(field, value)` of the page's answer buttons."""
    return lambda field, value: click(place, handlers, ANSWER, field, value)


def listener(
    place: Place, handlers: Handlers, fields: Sequence[str], *, answer_prefix: str = "answer", nav_prefix: str = "nav"
) -> Callable[[], None]:
    """What ends the page's answer panel (a fragment): the page's key listener for the view shown,
    which also takes the clicks on the answer buttons of `fields` and the navigation bar (their
    key prefixes `answer_prefix`, `nav_prefix`) and the flag keys of the page's flag panel
    (refcat.annotate.ui.flags). Presses that move the page to another instance
    rerun the whole page; others rerun the panel only (Streamlit finds the panel, and keeps the
    listener mounted, by their places on the page: those must not depend on how many messages are
    shown above them)."""
    key = f"keys:{place.page}"
    buttons = button_actions(fields, answer_prefix, nav_prefix)

    def received() -> None:
        parsed = parse_presses(presses(key))
        if parsed is None:
            widgets.flash("error", "Refused: key presses that this app's page does not send; nothing was written.")
            return
        client, pressed = parsed
        acked_client, acked = st.session_state.get(_ACKED, ("", 0))
        new = [p for p in pressed if p.sent is not None and (client != acked_client or p.sent.seq > acked)]
        if new and new[-1].sent is not None:
            st.session_state[_ACKED] = (client, new[-1].sent.seq)
            receive(place, handlers, new)
        if shown(place) != View(place.key, place.view):
            st.rerun()  # from a callback: the whole page runs next

    unsure, text, _ = widget_keys(place.campaign.name, place.key)
    flags = {"unsure": button_class(unsure), "text": button_class(text)}

    def mount() -> None:
        acked = st.session_state.get(_ACKED)
        key_listener(key, place.scope, place.key, place.view, key_actions(fields), buttons, flags, acked, received)

    return mount


def instance_columns(
    db: Store, place: Place, text: str, *, rule: dict[str, object] | None = None, advance: bool = False
) -> DeltaGenerator:
    """The instance shown (its RE `text`), and returns the place for the questions, beside it.

    Served with the clip route, the desk (refcat.annotate.ui.desk) draws campaign and key, the RE
    large, its source and the clip, and moves to the neighbours by itself (with `advance`, also
    when an answer completes the instance by `rule`); the questions' place is dimmed while it shows
    an instance the server has not drawn yet. Otherwise (frames inline: AppTest, `streamlit run
    app.py`) Streamlit elements draw the same, the RE across the page and the clip in the left
    column. In a pre-annotated campaign, the automatic suggestions go with them."""
    views = session.views()
    if views.frame_route is None:
        st.caption(f"{plain(place.campaign.name)} · {plain(place.key)}")
        widgets.expression(text)
        st.caption(plain(f"Source: {instance_source_label(place.key)}"))
    left, right = st.columns([1, 1], gap="medium")
    with left:
        if views.frame_route is None:
            widgets.instance_player(views, place.key)
        else:
            desk.desk(
                db,
                views,
                text,
                scope=place.scope,
                campaign=place.campaign.name,
                keys=place.keys,
                index=place.index,
                view=place.view,
                acked=st.session_state.get(_ACKED),
                rule=rule,
                advance=advance,
            )
        if place.campaign.pre_annotate:
            suggestions.panel(db, place.key, text)
    return right.container(key=desk.ANSWERS_KEY)


def prefetch_ahead(place: Place, n: int = 2) -> None:
    """Build the clips of the next `n` instances of the queue in the background, so that the desk has
    the next one in its window when the page moves there."""
    for item in place.items[place.index + 1 : place.index + 1 + n]:
        session.views().prefetch(item.instance_key)


def progress_bar(items: Sequence[QueueItem], index: int, what: str = "instances") -> None:
    if not items:  # the round closed while the page was open (the answer was refused): nothing to count
        return
    done = sum(item.complete for item in items)
    st.progress(done / len(items), text=f"{done} of {len(items)} {what} complete · showing {index + 1} of {len(items)}")
