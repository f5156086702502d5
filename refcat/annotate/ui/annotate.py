"""The annotate page: one instance at a time from the annotator's queue in the blind round.

Shows the RE large, the clip with the referent's box, and the campaign's questions; each
answer is written the moment its button (or key) is pressed. Nobody's answers but the
annotator's own are read here, so labelling stays blind until the admin closes the round.
In campaigns with pre-annotation on, the automatic suggestions are shown under the clip
(suggestions.py); otherwise they are neither computed nor shown.
The next instance's view is prefetched in the background while this one is answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import Campaign
from refcat.annotate.labels import (
    Undone,
    answers,
    automatic_answers,
    instance_text,
    questions_for,
    queue,
)
from refcat.annotate.state import LABEL_ROUND
from refcat.annotate.ui import flags, navigation, session, widgets
from refcat.annotate.ui.shortcuts import CATEGORY_KEYS
from refcat.annotate.ui.text import plain
from refcat.store.database import Store

KEY_HELP = (
    "Keys: 1 trivial · 2 non-trivial · 3 valid · 4 no RE · 5 wrong object · 6 redundant · 7 minimal · "
    + " · ".join(f"{k} / Shift+{k} {widgets.FIELD_TITLES[f]} yes / no" for f, k in CATEGORY_KEYS.items())
    + " · ← / → previous / next · U undo"
)


@dataclass(frozen=True)
class AnnotateState:
    """Everything the annotate page shows of an instance besides the clip, read from the store in one
    place. The annotator's own answers are read by the answer panel itself (nobody else's are read:
    the round is blind)."""

    text: str
    fields: list[str]  # questions asked (automatic ones left out)
    automatic: dict[str, str]


def load_page(db: Store, place: navigation.Place) -> AnnotateState:
    """The page's store reads for the instance at `place`."""
    campaign, key = place.campaign.name, place.key
    return AnnotateState(instance_text(db, key), questions_for(db, campaign, key), automatic_answers(db, campaign, key))


def blind_round_closed(campaign: Campaign) -> str | None:
    """Why the page shows nothing of `campaign`: its blind round is closed (None while it is open)."""
    if campaign.status == "label":
        return None
    return (
        f"The blind round of campaign {campaign.name!r} is closed. Compare and revise your answers on the Revise page."
    )


def render(db: Store, user: User) -> None:
    st.header("Annotate")
    place = navigation.open_queue(
        db,
        user,
        page="annotate",
        round=LABEL_ROUND,
        no_campaign="You are not an annotator of any campaign yet. An admin adds you to one.",
        closed=blind_round_closed,
        empty=lambda campaign: st.info(plain(f"Your queue in campaign {campaign.name!r} is empty.")),
    )
    if place is None:
        return
    page = load_page(db, place)
    campaign, key = place.campaign, place.key
    done = st.container()  # shown or not, it takes one place: the answer panel's place stays the same
    if all(item.complete for item in place.items):
        done.success(
            "You have answered every instance of this campaign. You can still change answers until the round closes."
        )

    def undone(what: Undone) -> str:
        widgets.flash("info", f"Undid {what.field} = {what.value} on {what.instance_key}.")
        return what.instance_key  # shown next

    handlers = navigation.store_handlers(db, user, place, undone)
    navigation.nav_bar(place, handlers)
    with navigation.instance_columns(db, place, page.text):
        widgets.answer_panel(
            page.fields,
            lambda: answers(db, user, campaign.name, key),
            navigation.answer_click(place, handlers),
            status=lambda: navigation.progress_bar(queue(db, user, campaign.name), place.index),
            automatic=page.automatic,
            end=navigation.listener(place, handlers, page.fields),
            read_fields=lambda: questions_for(db, campaign.name, key, user),
        )
    st.caption(KEY_HELP)
    flags.flag_panel(db, user, campaign.name, key, LABEL_ROUND)
    if place.next_key is not None:
        session.views().prefetch(place.next_key)
