"""Where an annotator is in a queue, kept in the URL and the store rather than in page state.

The URL carries `campaign` (a campaign name) and `instance` (an instance key). Without an
`instance`, the page starts at the stored resume position (the first incomplete item), so
closing the tab and logging in again resumes at the same place. A requested campaign or
instance that is not the annotator's is refused with a message, and the page falls back to
their own resume position; nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from refcat.annotate.campaigns import Campaign
from refcat.annotate.state import QueueItem
from refcat.annotate.ui.shortcuts import NEXT, PREVIOUS, UNDO

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


def choose_campaign(campaigns: Sequence[Campaign], requested: str | None) -> tuple[Campaign, str | None]:
    """The requested campaign if it is one of `campaigns` (the annotator's), else the first, with a refusal."""
    by_name = {c.name: c for c in campaigns}
    if requested is None or requested in by_name:
        return by_name.get(requested, campaigns[0]), None
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


def go_to(key: str) -> None:
    st.query_params[INSTANCE_PARAM] = key


def nav_bar(items: Sequence[QueueItem], index: int, on_undo=None, key_prefix: str = "nav") -> None:
    """Previous / Next (Left / Right arrows) and, when given, Undo (U)."""
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
        if on_undo is not None:
            st.button("Undo last answer", key=f"{key_prefix}:undo", shortcut=UNDO, on_click=on_undo)


def progress_bar(items: Sequence[QueueItem], index: int, what: str = "instances") -> None:
    done = sum(item.complete for item in items)
    st.progress(done / len(items), text=f"{done} of {len(items)} {what} complete · showing {index + 1} of {len(items)}")
