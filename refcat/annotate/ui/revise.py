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
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.labels import (
    answers,
    instance_text,
    others_answers,
    queue,
    record_answer,
    resume_position,
    revised_answers,
    revision_questions,
    undo_last,
)
from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND
from refcat.annotate.ui import navigation, session, suggestions, widgets
from refcat.store.database import Store


def render(db: Store, user: User) -> None:
    st.header("Revise")
    widgets.show_flash()
    mine = [c for c in list_campaigns(db) if user.name in c.annotators]
    if not mine:
        st.info("You are not an annotator of any campaign yet.")
        return
    campaign = navigation.campaign_selector(mine)
    if campaign.status == "label":
        st.info(f"Campaign {campaign.name!r} is still in its blind round: revision opens when the admin closes it.")
        return
    if campaign.finished:
        st.info(f"Campaign {campaign.name!r} is finished: the revision round is closed.")
        return
    items = queue(db, user, campaign.name)
    if not items:
        st.success("You agreed with the others everywhere: nothing to revise.")
        return
    index, refusal = navigation.locate(
        items, st.query_params.get(navigation.INSTANCE_PARAM), resume_position(db, user, campaign.name)
    )
    if refusal:
        st.error(refusal)
    key = items[index].instance_key
    navigation.go_to(key)

    def answer(field: str, value: str) -> None:
        widgets.attempt(lambda: record_answer(db, user, campaign.name, key, field, value, round=REVISION_ROUND))

    def undo() -> None:
        widgets.attempt(lambda: undo_last(db, user, campaign.name), success="Undid your last revision.")

    navigation.nav_bar(items, index, on_undo=undo, key_prefix="revnav")
    st.caption(f"{campaign.name} · {key}")
    text = instance_text(db, key)
    widgets.expression(text)
    first = answers(db, user, campaign.name, key, round=LABEL_ROUND)
    others = others_answers(db, user, campaign.name, key)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        widgets.instance_player(session.views(), key)
        if campaign.pre_annotate:
            suggestions.panel(db, key, text)
    with right:
        st.markdown(
            "Your first answers differ from another annotator's on these questions. "
            "Press an answer to revise, or your first answer again to keep it."
        )
        widgets.answer_panel(
            revision_questions(db, user, campaign.name, key),
            lambda: revised_answers(db, user, campaign.name, key),
            answer,
            status=lambda: navigation.progress_bar(queue(db, user, campaign.name), index, what="disagreements"),
            others={"you (first)": first, **others},
            first=first,
            key_prefix="revise",
        )
    if index + 1 < len(items):
        session.views().prefetch(items[index + 1].instance_key)
