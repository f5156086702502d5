"""The admin page: annotators, campaigns, progress and rounds, agreement.

Every action goes through the workflow functions (accounts, campaigns), which check the
admin role again; a refused request shows its reason and writes nothing. A campaign's status and
its rounds are shown by the names the pages use (refcat.annotate.state.ROUND_NAMES: the blind round, the
revision round), never by their codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from refcat.annotate.accounts import ROLES, User, create_user, list_users
from refcat.annotate.campaigns import (
    Campaign,
    close_round,
    create_campaign,
    incomplete_items,
    list_campaigns,
    progress,
    reopen_round,
    round_history,
    select_instances,
)
from refcat.annotate.labels import label_table
from refcat.annotate.state import LABEL_ROUND, QUESTION_SETS, REVISION_ROUND, ROUND_NAMES, Round
from refcat.annotate.ui import widgets
from refcat.annotate.ui.display import fields_named
from refcat.annotate.ui.text import plain
from refcat.store.database import Store
from refcat.store.instances import dataset_counts

if TYPE_CHECKING:
    from refcat.analysis.agreement import FieldAgreement
    from refcat.analysis.agreement_report import AgreementReport

ANY = "(any)"
TAB = "admin_tab"
TABS = ("Annotators", "Campaigns", "Progress and rounds", "Agreement")
# A campaign's status (refcat.annotate.state.Campaign.status) as the page names it.
STATUS_NAMES = {
    "label": f"{ROUND_NAMES[LABEL_ROUND]} open",
    "revision": f"{ROUND_NAMES[REVISION_ROUND]} open",
    "finished": "finished",
}


def campaigns_frame(campaigns: list[Campaign]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "campaign": c.name,
                "status": STATUS_NAMES[c.status],
                "instances": c.n_instances,
                "annotators": ", ".join(c.annotators),
                "per instance": c.per_instance,
                "questions": ", ".join(c.question_sets),
                "auto trivial": c.auto_trivial,
                "suggestions": c.pre_annotate,
                "skips after no RE": c.skip_after_invalid,
                "created by": c.created_by,
                "created": c.created_at,
            }
            for c in campaigns
        ],
        columns=[
            "campaign",
            "status",
            "instances",
            "annotators",
            "per instance",
            "questions",
            "auto trivial",
            "suggestions",
            "skips after no RE",
            "created by",
            "created",
        ],
    )


def agreement_frame(results: Mapping[str, FieldAgreement]) -> pd.DataFrame:
    """Field x statistic (the field-level statistics of agreement_report), point values, with
    the number of pairable items."""
    from refcat.analysis.agreement_report import report_frame

    if not results:
        return pd.DataFrame()
    frame = report_frame(results)
    frame = frame[~frame["statistic"].str.contains(r"\[")]
    table = frame.pivot(index="field", columns="statistic", values="value").reindex(list(results))
    items = frame.drop_duplicates("field").set_index("field")["n_items"]
    return table[list(dict.fromkeys(frame["statistic"]))].assign(n_items=items).reset_index()


def campaign_report(db: Store, campaign: Campaign) -> AgreementReport:
    """The agreement report of a campaign past its blind round: round 2 (the answers after
    revision so far), with round 1 for the revision table; analytic intervals, no bootstrap."""
    from refcat.analysis.agreement_report import ReportSettings, build_report

    rounds = {n: label_table(db, campaign.name, n) for n in (LABEL_ROUND, REVISION_ROUND)}
    settings = ReportSettings(f"campaign {campaign.name}", campaign=campaign.name, round=REVISION_ROUND)
    return build_report(rounds[REVISION_ROUND], settings, rounds)


def render(db: Store, user: User) -> None:
    st.header("Admin")
    if not widgets.require_admin(user):
        return
    widgets.show_flash()  # results of the actions below, which run as callbacks before the page
    # Stateful tabs (on_change="rerun"): the server keeps the open tab in st.session_state[TAB] and sends
    # it with every run, so a rerun (a message above, a changed table) never falls back to the first tab.
    annotators_tab, campaigns_tab, progress_tab, agreement_tab = st.tabs(list(TABS), key=TAB, on_change="rerun")
    with annotators_tab:
        _annotators(db)
    with campaigns_tab:
        _campaigns(db, user)
    with progress_tab:
        _progress(db, user)
    with agreement_tab:
        _agreement(db)


def _annotators(db: Store) -> None:
    users = list_users(db)
    st.dataframe(
        pd.DataFrame([{"name": u.name, "role": u.role} for u in users], columns=["name", "role"]), hide_index=True
    )

    def add() -> None:
        name, role = st.session_state["new_user_name"].strip(), st.session_state["new_user_role"]
        widgets.attempt(
            lambda: create_user(db, name, st.session_state["new_user_password"], role),
            success=f"Added {role} {name!r}.",
        )

    with st.form("new_user", clear_on_submit=True):
        st.subheader("Add an account")
        st.text_input("Name", key="new_user_name")
        st.text_input("Password", type="password", key="new_user_password")
        st.selectbox("Role", ROLES, index=ROLES.index("annotator"), key="new_user_role")
        st.form_submit_button("Add account", on_click=add)


def _matching_instances(db: Store) -> list[str]:
    """The keys of the instances that the filters of the new-campaign form select."""
    split = st.session_state["camp_split"]
    return select_instances(
        db,
        dataset=st.session_state["camp_dataset"],
        split=None if split == ANY else split,
        min_objects=int(st.session_state["camp_min_objects"]),
    )


def _campaigns(db: Store, user: User) -> None:
    st.dataframe(campaigns_frame(list_campaigns(db)), hide_index=True)
    st.subheader("New campaign")
    counts = dataset_counts(db)
    datasets = sorted({row["dataset"] for row in counts})
    if not datasets:
        st.info("The store holds no instances yet: import a dataset first (`refcat import ...`).")
        return
    left, middle, right = st.columns(3)
    dataset = left.selectbox("Dataset", datasets, key="camp_dataset")
    middle.selectbox(
        "Split", [ANY] + sorted({row["split"] for row in counts if row["dataset"] == dataset}), key="camp_split"
    )
    right.number_input("Videos with at least this many objects", min_value=1, value=1, step=1, key="camp_min_objects")
    st.caption(f"{len(_matching_instances(db))} instances match.")
    annotator_names = [u.name for u in list_users(db) if u.role == "annotator"]
    st.text_input("Campaign name", key="camp_name")
    st.multiselect("Annotators", annotator_names, default=annotator_names, key="camp_annotators")
    st.number_input(
        "Annotators per instance",
        min_value=1,
        value=min(3, max(1, len(annotator_names))),
        step=1,
        key="camp_per_instance",
    )
    st.multiselect(
        "Question sets",
        list(QUESTION_SETS),
        default=list(QUESTION_SETS),
        key="camp_sets",
        help="difficulty: trivial / non-trivial and valid RE / no RE / wrong object; "
        "semantics: the seven Table 1 categories and redundant / minimal",
    )
    st.toggle("Label instances of single-object videos trivial automatically", value=True, key="camp_auto")
    st.checkbox(
        "Show automatic suggestions (pre-annotation)",
        value=False,
        key="camp_pre_annotate",
        help="Annotators see the rule-based categorizer's labels with their evidence words and the "
        "class-based difficulty beside the questions, in both rounds. Off by default: suggestions "
        "bias blind answers (annotators tend to agree with them), which inflates agreement.",
    )
    st.checkbox(
        "Skip the category questions after “no RE” or “wrong object”",
        value=True,
        key="camp_skip_after_invalid",
        help="An annotator who answers no RE or wrong object is not asked the seven categories and "
        "information there (they do not apply); answering valid RE again asks them.",
    )

    def create() -> None:
        state = st.session_state
        name = state["camp_name"].strip()
        keys = _matching_instances(db)
        widgets.attempt(
            lambda: create_campaign(
                db,
                name,
                keys,
                state["camp_annotators"],
                per_instance=int(state["camp_per_instance"]),
                question_sets=tuple(state["camp_sets"]),
                auto_trivial=state["camp_auto"],
                pre_annotate=state["camp_pre_annotate"],
                skip_after_invalid=state["camp_skip_after_invalid"],
                created_by=user,
            ),
            success=f"Created campaign {name!r} over {len(keys)} instances.",
        )

    st.button("Create campaign", type="primary", key="camp_create", on_click=create)


def rounds_frame(db: Store, campaign: str) -> pd.DataFrame:
    """The campaign's round changes, oldest first: time (UTC), action, round (by name), by, incomplete
    items (a close's; empty for an open or a reopen)."""
    return pd.DataFrame(
        [
            {
                "time (UTC)": e.time,
                "action": e.action,
                "round": ROUND_NAMES[e.round],
                "by": e.by or "",
                "incomplete": "" if e.incomplete is None else str(e.incomplete),
            }
            for e in round_history(db, campaign)
        ],
        columns=["time (UTC)", "action", "round", "by", "incomplete"],
    )


def closed_text(campaign: str, after: Round) -> str:
    """What closing a round of `campaign` did, from the round `close_round` returned (the revision round it
    opened, or the revision round it closed)."""
    if after.open:
        return f"Closed the {ROUND_NAMES[LABEL_ROUND]} of {campaign!r}: the {ROUND_NAMES[after.number]} is open."
    return f"Closed the {ROUND_NAMES[after.number]} of {campaign!r}: the campaign is finished, no round is open."


def _progress(db: Store, user: User) -> None:
    campaigns = list_campaigns(db)
    if not campaigns:
        st.info("No campaigns yet.")
        return

    def forget_confirmations(name: str) -> None:
        """Untick the campaign's close confirmations: a round reached again asks anew."""
        for status in ("label", "revision"):  # set, not deleted: the browser still sends a ticked box it hid
            st.session_state[f"close_ok:{name}:{status}"] = False

    def close(name: str) -> None:
        forget_confirmations(name)
        widgets.attempt(lambda: widgets.flash("success", closed_text(name, close_round(db, name, user))))

    def reopen(name: str) -> None:
        forget_confirmations(name)
        widgets.attempt(
            lambda: reopen_round(db, name, user), success=f"Reopened the last closed round of {name!r}; answers kept."
        )

    for campaign in campaigns:
        st.subheader(f"{plain(campaign.name)} · {STATUS_NAMES[campaign.status]}")
        table = progress(db, campaign.name)
        total = table[table["annotator"] == "total"].iloc[0]
        share = total["complete"] / total["assigned"] if total["assigned"] else 1.0
        st.progress(float(share), text=f"campaign: {total['complete']} of {total['assigned']} queue items complete")
        st.dataframe(table.assign(round=table["round"].map(ROUND_NAMES)), hide_index=True)
        if not campaign.finished:
            what = "the blind round (opens revision)" if campaign.status == "label" else "the revision round (finishes)"
            incomplete = incomplete_items(db, campaign.name)
            if incomplete:
                each = ", ".join(f"{name}: {n}" for name, n in incomplete.items())
                st.warning(
                    plain(
                        f"{sum(incomplete.values())} queue items are incomplete ({each}). Closing now ends this "
                        "round for them: their answers so far are kept, the rest stays unanswered unless the "
                        "round is reopened."
                    )
                )
                what += f", although {sum(incomplete.values())} queue items are incomplete"
            # The key names the round, so the confirmation does not carry over to the next round.
            sure = st.checkbox(f"I want to close {what}", key=f"close_ok:{campaign.name}:{campaign.status}")
            st.button(
                f"Close round of {plain(campaign.name)}",
                key=f"close:{campaign.name}",
                disabled=not sure,
                on_click=close,
                args=(campaign.name,),
            )
        history = rounds_frame(db, campaign.name)
        if campaign.status != "label":
            back = "the revision round" if campaign.finished else "the blind round (withdraws the revision round)"
            st.button(
                f"Reopen {back} of {plain(campaign.name)}",
                key=f"reopen:{campaign.name}:{campaign.status}",
                help="Every answer is kept; revisions already given count again once the blind round is closed anew.",
                on_click=reopen,
                args=(campaign.name,),
            )
        with st.expander(f"Round changes ({len(history)})"):
            st.dataframe(history, hide_index=True)


def _agreement(db: Store) -> None:
    from refcat.analysis.agreement_report import (
        HEADLINE_NAME,
        annotator_frame,
        forest_frame,
        header_frame,
        pairwise_frame,
        report_frame,
        revision_frame,
        summary_line,
    )
    from refcat.analysis.plots import forest_plot, png_bytes

    campaigns = [c for c in list_campaigns(db) if c.status != "label"]
    if not campaigns:
        st.info("Agreement is shown once a campaign's blind round is closed.")
        return
    for campaign in campaigns:
        st.subheader(plain(campaign.name))
        report = campaign_report(db, campaign)
        st.markdown(summary_line(report.results))
        st.dataframe(header_frame(report), hide_index=True)
        for number, title in ((LABEL_ROUND, "first answers"), (REVISION_ROUND, "after revision")):
            st.markdown(f"**{title.capitalize()}** (point values; percent agreement as a share)")
            st.dataframe(fields_named(agreement_frame(report.rounds[number])), hide_index=True)
        if report.revision is not None:
            st.markdown(f"**Revision**: {HEADLINE_NAME} and percent agreement, round 1 and round 2")
            st.dataframe(fields_named(revision_frame(*report.revision)), hide_index=True)
        st.markdown("**Each annotator's agreement with the others** (mean Cohen's kappa over the defined pairs)")
        st.dataframe(fields_named(annotator_frame(report.results)), hide_index=True)
        st.image(png_bytes(forest_plot(fields_named(forest_frame(report)), HEADLINE_NAME)), caption="Forest plot")
        with st.expander("Every statistic with its interval, notes and warnings; the annotator pairs"):
            st.dataframe(fields_named(report_frame(report.results)), hide_index=True)
            st.dataframe(fields_named(pairwise_frame(report.results)), hide_index=True)
