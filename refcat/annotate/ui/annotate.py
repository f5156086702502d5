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
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.labels import (
    answers,
    automatic_answers,
    instance_text,
    questions_for,
    queue,
    record_answer,
    resume_position,
    undo_last,
)
from refcat.annotate.state import LABEL_ROUND, QueueItem
from refcat.annotate.ui import navigation, session, suggestions, widgets
from refcat.annotate.ui.shortcuts import CATEGORY_KEYS
from refcat.errors import RefcatError
from refcat.store.database import Store

KEY_HELP = (
    "Keys: 1 trivial · 2 non-trivial · 3 valid · 4 no RE · 5 wrong object · 6 redundant · 7 minimal · "
    + " · ".join(f"{k} / Shift+{k} {f} yes / no" for f, k in CATEGORY_KEYS.items())
    + " · ← / → previous / next · U undo"
)


@dataclass(frozen=True)
class AnnotateState:
    """Everything the annotate page shows besides the clip, read from the store in one place."""

    items: list[QueueItem]
    index: int
    refusal: str | None  # why a requested instance was not shown
    text: str
    fields: list[str]  # questions asked (automatic ones left out)
    automatic: dict[str, str]

    @property
    def key(self) -> str:
        return self.items[self.index].instance_key

    @property
    def next_key(self) -> str | None:
        return self.items[self.index + 1].instance_key if self.index + 1 < len(self.items) else None


def load_page(db: Store, user: User, campaign: str, requested: str | None) -> AnnotateState | None:
    """The page's data for `requested` (an instance key from the URL, or None to resume);
    None when the user's queue is empty. The annotator's own answers are read by the answer
    panel itself (nobody else's are read: the round is blind)."""
    items = queue(db, user, campaign)
    if not items:
        return None
    shown = requested in {item.instance_key for item in items}
    index, refusal = navigation.locate(items, requested, 0 if shown else resume_position(db, user, campaign))
    key = items[index].instance_key
    return AnnotateState(
        items,
        index,
        refusal,
        instance_text(db, key),
        questions_for(db, campaign, key),
        automatic_answers(db, campaign, key),
    )


def render(db: Store, user: User) -> None:
    st.header("Annotate")
    widgets.show_flash()
    mine = [c for c in list_campaigns(db) if user.name in c.annotators]
    if not mine:
        st.info("You are not an annotator of any campaign yet. An admin adds you to one.")
        return
    campaign = navigation.campaign_selector(mine)
    if campaign.status != "label":
        st.info(
            f"The blind round of campaign {campaign.name!r} is closed. "
            "Compare and revise your answers on the Revise page."
        )
        return
    page = load_page(db, user, campaign.name, st.query_params.get(navigation.INSTANCE_PARAM))
    if page is None:
        st.info(f"Your queue in campaign {campaign.name!r} is empty.")
        return
    if page.refusal:
        st.error(page.refusal)
    key = page.key
    navigation.go_to(key)
    if all(item.complete for item in page.items):
        st.success(
            "You have answered every instance of this campaign. You can still change answers until the round closes."
        )

    def answer(field: str, value: str) -> None:
        widgets.attempt(lambda: record_answer(db, user, campaign.name, key, field, value, round=LABEL_ROUND))

    def undo() -> None:
        try:
            undone = undo_last(db, user, campaign.name)
        except RefcatError as exc:
            widgets.flash("error", f"Refused: {exc}")
            return
        widgets.flash("info", f"Undid {undone.field} = {undone.value} on {undone.instance_key}.")
        navigation.go_to(undone.instance_key)

    navigation.nav_bar(page.items, page.index, on_undo=undo)
    st.caption(f"{campaign.name} · {key}")
    widgets.expression(page.text)
    views = session.views()
    left, right = st.columns([1, 1], gap="medium")
    with left:
        widgets.instance_player(views, key)
        if campaign.pre_annotate:
            suggestions.panel(db, key, page.text)
    with right:
        widgets.answer_panel(
            page.fields,
            lambda: answers(db, user, campaign.name, key),
            answer,
            status=lambda: navigation.progress_bar(queue(db, user, campaign.name), page.index),
            automatic=page.automatic,
        )
    st.caption(KEY_HELP)
    if page.next_key is not None:
        views.prefetch(page.next_key)
