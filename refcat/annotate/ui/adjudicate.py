"""The adjudication page: after the blind round, the admin goes through the cases (a question on an
instance where annotators disagree) and sets a final label with a reason.

For the case shown: the RE and where it comes from (its source), the clip with the referent's box,
each annotator's first and revised answers, their flags and comments on the instance, the
majority (2 of 3, refcat.analysis.consensus) and what the vote came to (VOTE_WORDS: a tie, too few
answers...). Filters: ties only, flagged instances only, one question. Questions, answers and rounds
are shown by their display names (refcat.annotate.ui.display), never by their codes; flags and comments
as text, each comment whole.

Widget keys name the case (`adj_value:<instance>:<field>`, `adj_reason:<instance>:<field>`), never
a row's position, so nothing typed for one case shows on another; a recorded reason is cleared and
the next case is shown. What "Set final label" came to (the label set, or why it was refused) is shown
next to the button, where the admin is, not at the top of the page (at the top only when no case is left
to show). The page opens the case a link names (refcat.annotate.quality.case_link:
`?campaign=C&instance=K&field=F`), once per link.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from refcat.analysis.consensus import NO_MAJORITY, OK, TIE, TOO_FEW
from refcat.annotate.accounts import User
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.guidelines import instance_source_label
from refcat.annotate.labels import adjudicate, disagreements, final_labels, instance_text
from refcat.annotate.quality import CASE_PARAMS, disagreement_rows, filter_cases, flags_table, votes_text
from refcat.annotate.state import ROUND_NAMES
from refcat.annotate.ui import session, widgets
from refcat.annotate.ui.display import answers_named, field_name, value_name, values_named, votes_named
from refcat.annotate.ui.text import plain
from refcat.store.database import Store
from refcat.taxonomy import FIELD_VALUES

Case = tuple[str, str]  # (instance key, field)
# The widgets' keys (the case picker holds the case shown) and the last link opened.
CAMPAIGN, CASE, FIELD = "adj_campaign", "adj_case", "adj_field"
TIES, FLAGGED, ALL, _LINK_SEEN = "adj_ties", "adj_flagged", "adj_all", "adj_link_seen"
DECIDED = "adj_decided"  # what the last "Set final label" came to: (kind, text), shown once by the button
# What a consensus status (refcat.analysis.consensus) says of the vote.
VOTE_WORDS = {
    OK: "a majority agrees",
    TIE: "a tie",
    NO_MAJORITY: "no answer has a majority",
    TOO_FEW: "too few answers",
}


def value_key(case: Case) -> str:
    return f"adj_value:{case[0]}:{case[1]}"


def reason_key(case: Case) -> str:
    return f"adj_reason:{case[0]}:{case[1]}"


def case_label(case: Case) -> str:
    return f"{case[0]} · {field_name(case[1])}"


def _linked_case(campaigns: list[str]) -> tuple[str, Case] | None:
    """The case a link names, the first time this page sees that link (None otherwise)."""
    values = tuple(st.query_params.get(name) for name in CASE_PARAMS)
    if any(v is None for v in values) or values == st.session_state.get(_LINK_SEEN):
        return None
    st.session_state[_LINK_SEEN] = values
    campaign, instance, field = (str(v) for v in values)
    if campaign not in campaigns:
        widgets.flash("error", f"Refused: no campaign {campaign!r} in adjudication.")
        return None
    return campaign, (instance, field)


def _open_link(db: Store, campaign: str, case: Case) -> None:
    """Show the linked case: its campaign and question, the filters that would hide it off; or say
    that it is not a case (no disagreement there, or no such instance or question)."""
    st.session_state[CAMPAIGN] = campaign
    st.session_state[TIES] = st.session_state[FLAGGED] = False
    cases = disagreement_rows(disagreements(db, campaign), include_adjudicated=True)
    row = cases[(cases["item"] == case[0]) & (cases["field"] == case[1])]
    if row.empty:
        widgets.flash("warning", f"{case_label(case)} is not a disagreement in campaign {campaign!r}.")
        return
    st.session_state[FIELD] = case[1]
    st.session_state[ALL] = row.iloc[0]["adjudication"] is not None or st.session_state.get(ALL, False)
    st.session_state[CASE] = case


def _filters(fields: tuple[str, ...]) -> tuple[bool, bool, str | None, bool]:
    """The filter widgets: (ties only, flagged only, question or None, adjudicated shown too)."""
    if st.session_state.get(FIELD) not in (None, *fields):
        st.session_state[FIELD] = None
    ties, flagged, done = st.columns(3)
    ties_only = ties.toggle("Ties only", key=TIES)
    flagged_only = flagged.toggle("Flagged instances only", key=FLAGGED, help="instances with a flag or a comment")
    include = done.toggle("Show adjudicated questions too", value=False, key=ALL)
    field = st.pills("Question", list(fields), key=FIELD, format_func=widgets.FIELD_TITLES.__getitem__)
    return ties_only, flagged_only, field, include


def _answers_table(row: pd.Series) -> pd.DataFrame:
    """Each assigned annotator's first, revised and current answer to the case's question, by display
    name (display.NONE: none)."""
    first, revised = row["first"], row["revised"]
    current = {**first, **revised}
    names = row["annotators"]
    return pd.DataFrame(
        {
            "annotator": names,
            "first answer": [value_name(first.get(n)) for n in names],
            "revised answer": [value_name(revised.get(n)) for n in names],
            "current": [value_name(current.get(n)) for n in names],
        }
    )


def _case_details(row: pd.Series, flags: pd.DataFrame) -> None:
    key = row["item"]
    majority = value_name(row["majority"]) if row["majority"] is not None else "none"
    vote = VOTE_WORDS[row["status"]]
    st.markdown(f"**Majority**: {plain(f'{majority} ({vote})')}")
    st.dataframe(_answers_table(row), hide_index=True)
    mine = flags[flags["item"] == key]
    if mine.empty:
        st.caption("No flags or comments on this instance.")
    else:
        st.markdown("**Flags and comments**")
        for flag in mine.itertuples():
            st.markdown(flag_text(flag.annotator, flag.kind, flag.text, flag.round, flag.time))


def flag_text(annotator: str, kind: str, text: str, round_number: int, time: datetime) -> str:
    """A flag or comment (a row of quality.flags_table) as markdown that shows it as text: its annotator,
    kind, round and time (UTC) in bold, then the comment whole on the lines after."""
    said = f"{annotator} · {kind} · {ROUND_NAMES[round_number]} · {time:%Y-%m-%d %H:%M} UTC"
    return f"**{plain(said)}**" + (f"  \n{plain(text)}" if text else "")


def _decision(
    db: Store, user: User, campaign: str, row: pd.Series, cases: list[Case], message: tuple[str, str] | None
) -> None:
    """The final label's radio, the reason, the button, and under it `message` (what the last press came to)."""
    case: Case = (row["item"], row["field"])
    values = list(FIELD_VALUES[case[1]])
    default = values.index(row["majority"]) if row["majority"] in values else None  # a tie suggests nothing
    st.radio(
        "Final label",
        values,
        index=default,
        horizontal=True,
        key=value_key(case),
        format_func=widgets.VALUE_LABELS.__getitem__,
    )
    st.text_input("Reason", key=reason_key(case), placeholder="why this label (e.g. the RE also fits the other dog)")
    later = cases[cases.index(case) + 1 :]

    def decide() -> None:  # an empty reason is refused by `adjudicate`
        value, reason = st.session_state[value_key(case)], st.session_state.get(reason_key(case), "")

        def say(kind: str, text: str) -> None:  # shown next to the button (`decided`), where the lead is
            st.session_state[DECIDED] = (kind, text)

        if value is None:
            say("error", "Refused: choose a final label first.")
            done = False
        else:
            done = widgets.attempt(
                lambda: adjudicate(db, user, campaign, case[0], case[1], value, reason),
                success=f"{case_label(case)} = {widgets.VALUE_LABELS[value]}",
                say=say,
            )
        if done:
            st.session_state.pop(reason_key(case), None)  # never offered again, here or elsewhere
            if later:
                st.session_state[CASE] = later[0]

    st.button("Set final label", type="primary", key="adj_set", on_click=decide)
    decided(message)


def decided(message: tuple[str, str] | None) -> None:
    """The message of the last "Set final label", if any (shown once)."""
    if message is not None:
        kind, text = message
        getattr(st, kind)(plain(text))


def render(db: Store, user: User) -> None:
    st.header("Adjudicate")
    if not widgets.require_admin(user):
        return
    campaigns = [c for c in list_campaigns(db) if c.status != "label"]
    if not campaigns:
        widgets.show_flash()
        st.info("Adjudication opens once a campaign's blind round is closed.")
        return
    names = [c.name for c in campaigns]
    linked = _linked_case(names)
    if linked is not None:
        _open_link(db, *linked)
    widgets.show_flash()
    message = st.session_state.pop(DECIDED, None)
    name = st.selectbox("Campaign", names, key=CAMPAIGN)
    campaign = campaigns[names.index(name)]
    ties_only, flagged_only, field, include = _filters(campaign.fields)
    flags = flags_table(db, name)
    rows = filter_cases(
        disagreement_rows(answers_named(disagreements(db, name)), include),
        ties_only=ties_only,
        flagged=set(flags["item"]) if flagged_only else None,
        field=field,
    )
    if rows.empty:
        decided(message)
        st.success("No open disagreements here." if not (ties_only or flagged_only or field) else "No case matches.")
    else:
        _cases(db, user, name, rows, flags, message)
    with st.expander("Final labels (adjudication, automatic, or majority)"):
        final = final_labels(db, name)
        named = final.assign(votes=final["votes"].map(lambda votes: votes_text(votes_named(votes))))
        st.dataframe(values_named(named, ("label",)), hide_index=True)


def _cases(
    db: Store, user: User, campaign: str, rows: pd.DataFrame, flags: pd.DataFrame, message: tuple[str, str] | None
) -> None:
    flagged = set(flags["item"])
    shown = values_named(rows, ("majority", "adjudication")).assign(
        tie=rows["status"] == TIE, flagged=rows["item"].isin(flagged)
    )
    st.dataframe(shown[["item", "field", "answers", "majority", "tie", "flagged", "adjudication"]], hide_index=True)
    cases: list[Case] = list(zip(rows["item"], rows["field"], strict=True))
    if st.session_state.get(CASE) not in cases:
        st.session_state[CASE] = cases[0]
    case = st.selectbox(f"Case ({len(cases)})", cases, format_func=case_label, key=CASE)
    row = rows.iloc[cases.index(case)]
    key = row["item"]
    st.subheader(widgets.FIELD_TITLES[row["field"]])
    st.caption(f"{plain(campaign)} · {plain(key)}")
    widgets.expression(instance_text(db, key))
    st.markdown(f"**Source**: {plain(instance_source_label(key))}")
    clip, facts = st.columns([1, 1], gap="medium")
    with clip:
        widgets.instance_player(session.views(), key)
    with facts:
        _case_details(row, flags)
        _decision(db, user, campaign, row, cases, message)
