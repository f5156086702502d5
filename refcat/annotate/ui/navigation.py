"""Where an annotator is in a queue, kept in the URL and the store rather than in page state,
and the frame that the two queue pages (annotate, revise) share.

The URL carries `campaign` (a campaign name) and `instance` (an instance key). Without an
`instance`, the page starts at the stored resume position (the first incomplete item), so
closing the tab and logging in again resumes at the same place. A requested campaign or
instance that is not the annotator's is refused with a message, and the page falls back to
their own resume position; nothing is written.

A queue page starts with `open_queue` (messages of the last run, the choice of campaign, the
page's own refusal of the campaign's state, the queue and the instance shown), then shows
`nav_bar` and `instance_columns`; `progress_bar` heads its answer panel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import Campaign, list_campaigns
from refcat.annotate.labels import queue, resume_position
from refcat.annotate.state import QueueItem
from refcat.annotate.ui import session, suggestions, widgets
from refcat.annotate.ui.shortcuts import NEXT, PREVIOUS, UNDO
from refcat.store.database import Store

CAMPAIGN_PARAM, INSTANCE_PARAM = "campaign", "instance"


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
class Place:
    """The instance shown from an annotator's queue in the open round of `campaign`: `items[index]`;
    `refusal` says why a requested instance was not shown (None when none was refused)."""

    campaign: Campaign
    items: list[QueueItem]
    index: int
    refusal: str | None

    @property
    def key(self) -> str:
        return self.items[self.index].instance_key

    @property
    def next_key(self) -> str | None:
        return self.items[self.index + 1].instance_key if self.index + 1 < len(self.items) else None


def find_place(db: Store, user: User, campaign: Campaign, requested: str | None) -> Place | None:
    """The user's place in their queue for `requested` (an instance key, or None to resume); None
    when the queue is empty. The resume position is read only when it is needed."""
    items = queue(db, user, campaign.name)
    if not items:
        return None
    shown = requested in {item.instance_key for item in items}
    index, refusal = locate(items, requested, 0 if shown else resume_position(db, user, campaign.name))
    return Place(campaign, items, index, refusal)


def choose_campaign(campaigns: Sequence[Campaign], requested: str | None) -> tuple[Campaign, str | None]:
    """The requested campaign if it is one of `campaigns` (the annotator's), else the first, with a refusal."""
    if requested is None:
        return campaigns[0], None
    for campaign in campaigns:
        if campaign.name == requested:
            return campaign, None
    return campaigns[0], f"Refused: you are not an annotator of campaign {requested!r}."


def campaign_selector(campaigns: Sequence[Campaign]) -> Campaign:
    """The campaign named in the URL (or chosen in the sidebar), refusing one that is not the user's."""
    chosen, refusal = choose_campaign(campaigns, st.query_params.get(CAMPAIGN_PARAM))
    if refusal:
        st.error(refusal)
    names = [c.name for c in campaigns]
    if len(names) > 1:
        picked = st.selectbox("Campaign", names, index=names.index(chosen.name), key="campaign_pick")
        if picked != chosen.name:
            st.query_params.pop(INSTANCE_PARAM, None)
            chosen = campaigns[names.index(picked)]
    st.query_params[CAMPAIGN_PARAM] = chosen.name
    return chosen


def open_queue(
    db: Store,
    user: User,
    *,
    no_campaign: str,
    closed: Callable[[Campaign], str | None],
    empty: Callable[[Campaign], object],
) -> Place | None:
    """The start of a queue page, after its header: the messages of the last run, the choice among
    the user's campaigns, and the place of the instance to show, which the URL then names.

    None when there is nothing to show, after saying why: `no_campaign` when the user annotates no
    campaign, `closed(campaign)` (None while the page's round is open) or, when the queue is
    empty, whatever `empty(campaign)` shows.
    """
    widgets.show_flash()
    mine = [c for c in list_campaigns(db) if user.name in c.annotators]
    if not mine:
        st.info(no_campaign)
        return None
    campaign = campaign_selector(mine)
    refusal = closed(campaign)
    if refusal:
        st.info(refusal)
        return None
    place = find_place(db, user, campaign, st.query_params.get(INSTANCE_PARAM))
    if place is None:
        empty(campaign)
        return None
    if place.refusal:
        st.error(place.refusal)
    go_to(place.key)
    return place


def go_to(key: str) -> None:
    st.query_params[INSTANCE_PARAM] = key


def nav_bar(items: Sequence[QueueItem], index: int, on_undo: Callable[[], None], key_prefix: str = "nav") -> None:
    """Previous / Next (Left / Right arrows) and Undo (U)."""
    with st.container(horizontal=True):
        st.button(
            "Previous",
            key=f"{key_prefix}:prev",
            shortcut=PREVIOUS,
            disabled=index == 0,
            on_click=go_to,
            args=(items[neighbour(len(items), index, -1)].instance_key,),
        )
        st.button(
            "Next",
            key=f"{key_prefix}:next",
            shortcut=NEXT,
            disabled=index == len(items) - 1,
            on_click=go_to,
            args=(items[neighbour(len(items), index, 1)].instance_key,),
        )
        st.button("Undo last answer", key=f"{key_prefix}:undo", shortcut=UNDO, on_click=on_undo)


def instance_columns(db: Store, place: Place, text: str) -> DeltaGenerator:
    """The instance shown: campaign and key, the RE `text` large, and in the left column its clip,
    with the automatic suggestions in a pre-annotated campaign; returns the right column, for the
    questions."""
    st.caption(f"{place.campaign.name} · {place.key}")
    widgets.expression(text)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        widgets.instance_player(session.views(), place.key)
        if place.campaign.pre_annotate:
            suggestions.panel(db, place.key, text)
    return right


def progress_bar(items: Sequence[QueueItem], index: int, what: str = "instances") -> None:
    done = sum(item.complete for item in items)
    st.progress(done / len(items), text=f"{done} of {len(items)} {what} complete · showing {index + 1} of {len(items)}")
