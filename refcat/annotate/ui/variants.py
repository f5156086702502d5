"""The A2Dre+ review page (admins): each variant's original RE and the edited or generated phrase on
the other side of its category, with flags and the clip (from $REFCAT_DATA, the referent boxed) to
check the phrase against; accept, edit, reject, or write the phrase; the history.

Decisions go to the store as append-only events (refcat.annotate.variants), so a re-run of the
builder never overwrites them. `refcat augment --save` or `--campaign` fills the page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.ui import session, widgets
from refcat.annotate.ui.text import plain
from refcat.annotate.variants import (
    ACCEPT,
    EDIT,
    REJECT,
    WRITE,
    history,
    review,
    variant_table,
)
from refcat.categorize.augment import ACCEPTED, EDITED, IMPORTED, PENDING, REJECTED, WRITTEN, other_side
from refcat.store.database import Store
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES

ALL = "(all)"
STATUSES = (PENDING, ACCEPTED, EDITED, WRITTEN, REJECTED, IMPORTED)


def side_label(category: str, side: str) -> str:
    return f"{'with' if side == 'with' else 'without'} {category}"


def filtered(table: pd.DataFrame, category: str, status: str, flagged_only: bool) -> pd.DataFrame:
    rows = table
    if category != ALL:
        rows = rows[rows["category"] == category]
    if status != ALL:
        rows = rows[rows["status"] == status]
    if flagged_only:
        rows = rows[rows["flags"].fillna("") != ""]
    return rows.reset_index(drop=True)


def render(db: Store, user: User) -> None:
    st.header("A2Dre+ review")
    if not widgets.require_admin(user):
        return
    widgets.show_flash()
    table = variant_table(db)
    if table.empty:
        st.info("No variants yet: run `refcat augment --save` (or `--campaign`) to build them.")
        return
    with st.container(horizontal=True):
        category = st.selectbox("Category", [ALL, *A2DRE_PLUS_CATEGORIES], key="var_category")
        status = st.selectbox("Status", [ALL, *STATUSES], index=1 + STATUSES.index(PENDING), key="var_status")
        flagged_only = st.toggle("Flagged only", value=False, key="var_flagged")
    rows = filtered(table, category, status, flagged_only)
    st.caption(f"{len(rows)} of {len(table)} variants")
    if rows.empty:
        st.success("Nothing left to review with these filters.")
        return
    st.dataframe(rows[["instance", "category", "original", "text", "status", "flags"]], hide_index=True)
    labels = [f"{r.instance} · {r.category}" for r in rows.itertuples()]
    picked = st.selectbox("Variant", range(len(rows)), format_func=labels.__getitem__, key="var_pick")
    row = rows.iloc[picked]
    key, cat = row["key"], row["category"]
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Original** ({plain(side_label(cat, row['original_side']))})")
        widgets.expression(row["original"])
    with right:
        st.markdown(
            f"**Variant** ({plain(side_label(cat, other_side(row['original_side'])))}) · {plain(row['status'])}"
        )
        if row["text"] is None or pd.isna(row["text"]):
            st.warning("No phrase yet: write one.")
        else:
            widgets.expression(row["text"])
    with st.expander("The clip (referent boxed)", expanded=True):
        widgets.instance_player(session.views(), row["instance"])
    if row["flags"]:
        st.warning(plain(f"Flags: {row['flags']}"))
    if row["note"]:
        st.caption(plain(row["note"]))
    has_text = isinstance(row["text"], str)
    with st.container(horizontal=True):
        if st.button("Accept", type="primary", disabled=not has_text, key="var_accept"):
            if widgets.attempt(lambda: review(db, user, key, ACCEPT), success=f"accepted {key}"):
                st.rerun()
        if st.button("Reject", key="var_reject"):
            if widgets.attempt(lambda: review(db, user, key, REJECT), success=f"rejected {key}"):
                st.rerun()
    decision = EDIT if has_text else WRITE
    text = st.text_input(
        "Edit the phrase" if has_text else "Write the phrase",
        value=row["text"] if has_text else "",
        key=f"var_text:{key}",
    )
    if st.button("Save edit" if has_text else "Save phrase", key="var_save"):
        if widgets.attempt(lambda: review(db, user, key, decision, text), success=f"{decision} {key}"):
            st.rerun()
    widgets.show_flash()
    st.subheader("History")
    st.dataframe(history(db, key), hide_index=True)
