"""The adjudication page: after the blind round, the admin sees where annotators disagree,
with the majority-vote consensus (2 of 3), and sets a final label with a reason."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.labels import adjudicate, disagreements, final_labels
from refcat.annotate.ui import widgets
from refcat.store.database import Store
from refcat.taxonomy import FIELD_VALUES


def votes_text(votes: dict[str, str]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in sorted(votes.items()))


def disagreement_rows(table: pd.DataFrame, include_adjudicated: bool) -> pd.DataFrame:
    """Rows of `labels.disagreements` where the annotators gave different answers (questions
    left unanswered are not disagreements), without the adjudicated ones unless asked, with
    the answers as text."""
    rows = table[table["answers"].map(lambda votes: len(set(votes.values())) > 1)]
    if not include_adjudicated:
        rows = rows[rows["adjudication"].isna()]
    return rows.assign(answers=rows["answers"].map(votes_text)).reset_index(drop=True)


def render(db: Store, user: User) -> None:
    st.header("Adjudicate")
    if not widgets.require_admin(user):
        return
    widgets.show_flash()
    campaigns = [c for c in list_campaigns(db) if c.status != "label"]
    if not campaigns:
        st.info("Adjudication opens once a campaign's blind round is closed.")
        return
    names = [c.name for c in campaigns]
    name = st.selectbox("Campaign", names, key="adj_campaign")
    include = st.toggle("Show adjudicated questions too", value=False, key="adj_all")
    rows = disagreement_rows(disagreements(db, name), include)
    if rows.empty:
        st.success("No open disagreements in this campaign.")
    else:
        st.dataframe(rows[["item", "field", "answers", "majority", "adjudication"]], hide_index=True)
        choices = [f"{r.item} · {r.field}" for r in rows.itertuples()]
        picked = st.selectbox(
            "Question to decide", range(len(choices)), format_func=choices.__getitem__, key="adj_pick"
        )
        row = rows.iloc[picked]
        values = list(FIELD_VALUES[row["field"]])
        default = values.index(row["majority"]) if row["majority"] in values else 0
        st.radio("Final label", values, index=default, horizontal=True, key=f"adj_value:{picked}")
        st.text_input(
            "Reason", key=f"adj_reason:{picked}", placeholder="why this label (e.g. the RE also fits the other dog)"
        )

        def decide(item: str = row["item"], field: str = row["field"], picked: int = picked) -> None:
            value, reason = st.session_state[f"adj_value:{picked}"], st.session_state[f"adj_reason:{picked}"]
            widgets.attempt(
                lambda: adjudicate(db, user, name, item, field, value, reason), success=f"{item} · {field} = {value}"
            )

        st.button("Set final label", type="primary", key="adj_set", on_click=decide)
    with st.expander("Final labels (adjudication, automatic, or majority)"):
        final = final_labels(db, name)
        st.dataframe(final.assign(votes=final["votes"].map(votes_text)), hide_index=True)
