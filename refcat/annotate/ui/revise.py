"""The revise page: after the blind round, each annotator sees the instances where they
disagreed with the others, with the others' first answers, and may revise.

Only the questions in disagreement are asked. Pressing an answer records it in the revision
round (pressing one's first answer again confirms it); first answers are kept, so agreement
can be reported before and after revision. Until a question is answered in the revision round,
its first answer is marked as such (badge and icon), not highlighted as a choice. The automatic
suggestions are shown only in campaigns with pre-annotation on, as in the blind round.
"""

from __future__ import annotations

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import Campaign
from refcat.annotate.labels import (
    Undone,
    answers,
    instance_text,
    others_answers,
    queue,
    revised_answers,
    revision_questions,
)
from refcat.annotate.settings import auto_advance
from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND
from refcat.annotate.ui import flags, navigation, widgets
from refcat.store.database import Store


def revision_closed(campaign: Campaign) -> str | None:
    """Why the page shows nothing of `campaign`: its revision round is not open (None while it is)."""
    if campaign.status == "label":
        return f"Campaign {campaign.name!r} is still in its blind round: revision opens when the admin closes it."
    if campaign.finished:
        return f"Campaign {campaign.name!r} is finished: the revision round is closed."
    return None


def render(db: Store, user: User) -> None:
    st.header("Revise")
    place = navigation.open_queue(
        db,
        user,
        page="revise",
        round=REVISION_ROUND,
        no_campaign="You are not an annotator of any campaign yet.",
        closed=revision_closed,
        empty=lambda _: st.success("You agreed with the others everywhere: nothing to revise."),
    )
    if place is None:
        return
    campaign, key = place.campaign, place.key

    def undone(what: Undone) -> None:
        field, value = widgets.FIELD_TITLES[what.field], widgets.VALUE_LABELS[what.value]
        widgets.flash("success", f"Undid your revision {field}: {value}.")

    handlers = navigation.store_handlers(db, user, place, undone, advance=auto_advance(db, user))
    fields = revision_questions(db, user, campaign.name, key)
    navigation.nav_bar(place, handlers, key_prefix="revnav")
    first = answers(db, user, campaign.name, key, round=LABEL_ROUND)
    others = others_answers(db, user, campaign.name, key)
    with navigation.instance_columns(db, place, instance_text(db, key)):
        st.markdown(
            "Your first answers differ from another annotator's on these questions. "
            "Press an answer to revise, or your first answer again to keep it."
        )
        widgets.answer_panel(
            fields,
            lambda: revised_answers(db, user, campaign.name, key),
            navigation.answer_click(place, handlers),
            status=lambda: navigation.progress_bar(queue(db, user, campaign.name), place.index, what="disagreements"),
            others={"you (first)": first, **others},
            first=first,
            key_prefix="revise",
            end=navigation.listener(place, handlers, fields, answer_prefix="revise", nav_prefix="revnav"),
        )
    flags.flag_panel(db, user, campaign.name, key, REVISION_ROUND, place.shown_at)
    navigation.prefetch_ahead(place)
