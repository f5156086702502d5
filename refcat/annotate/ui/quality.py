"""The quality view (admins only): per annotator, answers given, median time on item, agreement with
the majority of the others per question (Cohen's kappa) and flags; per question, the disagreements,
each with a link to its adjudication. The figures and their conventions are refcat.annotate.quality's;
answers are shown by their display names (refcat.annotate.ui.display).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from refcat.analysis.consensus import TIE
from refcat.annotate.accounts import User
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.labels import disagreements
from refcat.annotate.quality import annotator_summary, case_link, disagreement_rows, kappa_vs_others
from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND
from refcat.annotate.ui import widgets
from refcat.annotate.ui.display import answers_named, value_name
from refcat.annotate.ui.text import plain
from refcat.store.database import Store

TIME_NOTE = (
    "Time on item: from an annotator's first view of an instance (their first answer where no view was "
    "recorded) to their last answer on it in the blind round, with idle gaps and time on other instances "
    "left out."
)


def render(db: Store, user: User) -> None:
    st.header("Quality")
    if not widgets.require_admin(user):
        return
    campaigns = list_campaigns(db)
    if not campaigns:
        st.info("No campaign yet.")
        return
    names = [c.name for c in campaigns]
    name = st.selectbox("Campaign", names, key="q_campaign")
    campaign = campaigns[names.index(name)]

    st.subheader("Annotators")
    summary = annotator_summary(db, name)
    st.dataframe(
        summary,
        hide_index=True,
        column_config={
            "assigned": "instances assigned",
            "instances": "instances answered",
            "answers": "answers given",
            "revisions": "revisions given",
            "median_seconds": st.column_config.NumberColumn("median time on item (s)", format="%.1f"),
            "flags": "flags and comments",
        },
    )
    st.caption(TIME_NOTE)

    st.subheader("Agreement with the majority of the others")
    revised = campaign.status != "label" and st.toggle("After revision", value=False, key="q_revised")
    long = kappa_vs_others(db, name, round=REVISION_ROUND if revised else LABEL_ROUND)
    kappa = long.pivot(index="annotator", columns="field", values="kappa")
    compared = long.pivot(index="annotator", columns="field", values="n")
    order = list(campaign.fields)
    st.dataframe(shown_kappa(kappa[order]), column_config=_field_titles(order))
    st.caption(
        "Cohen's kappa of each annotator's answers against the label more than half of the instance's other "
        "annotators gave (instances where they reach none are left out; None: undefined, e.g. nothing to "
        "compare or one label throughout). Instances compared:"
    )
    st.dataframe(compared[order], column_config=_field_titles(order))

    st.subheader("Disagreements per question")
    cases = disagreement_rows(answers_named(disagreements(db, name)), include_adjudicated=True)
    if cases.empty:
        st.success("The annotators agree on every question answered.")
        return
    for field in order:
        rows = cases[cases["field"] == field]
        if rows.empty:
            continue
        with st.expander(plain(disagreements_title(field, len(rows))), expanded=True):
            st.dataframe(_case_table(name, rows), hide_index=True, column_config=_CASE_COLUMNS)


def disagreements_title(field: str, n: int) -> str:
    """A question's title and its count of disagreements: "Location: 1 disagreement", "Motion: 2 disagreements"."""
    return f"{widgets.FIELD_TITLES[field]}: {n} disagreement{'' if n == 1 else 's'}"


def shown_kappa(kappa: pd.DataFrame) -> pd.DataFrame:
    """Kappas rounded to 3 decimals as the page shows them (and its CSV download writes them): a kappa
    that rounds to zero from below (e.g. -1e-15, float error of a kappa of 0) is 0, never "-0"."""
    return kappa.round(3) + 0.0  # IEEE 754: -0.0 + 0.0 is +0.0; NaN stays NaN


_CASE_COLUMNS = {"link": st.column_config.LinkColumn("case", display_text="adjudicate")}


def _field_titles(fields: list[str]) -> dict[str, str]:
    return {f: widgets.FIELD_TITLES[f] for f in fields}


def _case_table(campaign: str, rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "link": [case_link(campaign, item, field) for item, field in zip(rows["item"], rows["field"], strict=True)],
            "item": rows["item"],
            "answers": rows["answers"],
            "majority": rows["majority"].map(value_name),
            "tie": rows["status"] == TIE,
            "final label": rows["adjudication"].map(value_name),
        }
    )
