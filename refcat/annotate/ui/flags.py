"""The flags of an instance on the annotate and revise pages: "Unsure" and comments.

`flag_panel` shows, under the answers, a toggle "Unsure" and the annotator's own comments on the
instance with a box to add one. Each change is written at once (refcat.annotate.labels `flag`,
`unflag`) as a label event, never an answer: the admin sees them on the adjudication and quality
pages, and `refcat export labels` exports them (kind, and the text in `reason`).

Keys (refcat.annotate.ui.shortcuts `BROWSER_KEYS`, routed by the page's key listener and listed
by the `?` overlay): F turns "Unsure" on or off; W puts the cursor in the comment box, a form that
Ctrl+Enter (Streamlit's own key there) submits. The listener finds the widgets by the classes of
their keys (`widget_keys`).

Showing the panel also records the annotator's first view of the instance in the round
(refcat.annotate.labels `record_view`, the start of its time on item), once per browser session, at the
time the browser showed it: the desk (refcat.annotate.ui.desk) shows the next instance before the server
draws this panel for it.

Widget keys name the campaign and the instance, so nothing typed for one instance is carried to
another. Refused changes (a closed round, a comment too long) are shown, not raised.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.labels import MAX_COMMENT, flag, instance_flags, record_view, unflag
from refcat.annotate.state import COMMENT, UNSURE
from refcat.annotate.ui.shortcuts import COMMENT_KEY, UNSURE_KEY
from refcat.annotate.ui.text import error_message, plain
from refcat.annotate.ui.widgets import flash
from refcat.errors import RefcatError
from refcat.store.database import Store

_VIEWED = "flags_viewed"  # session state: the (campaign, instance, round) whose first view is recorded
FLAGS_KEY = "refcat-flags"  # the flag panel's container (the desk dims it while it shows another instance)


def widget_keys(campaign: str, instance: str) -> tuple[str, str, str]:
    """The keys of the panel's unsure toggle, comment box and comment form for one instance."""
    where = f"{campaign}:{instance}"
    return f"flag-unsure:{where}", f"flag-text:{where}", f"flag-form:{where}"


def _report(exc: RefcatError) -> None:
    flash("error", error_message(exc))


def _toggle_unsure(db: Store, user: User, campaign: str, instance: str, round: int) -> None:
    on = bool(st.session_state[widget_keys(campaign, instance)[0]])
    try:
        if on:
            flag(db, user, campaign, instance, UNSURE, round=round)
        else:
            unflag(db, user, campaign, instance, round=round)
    except RefcatError as exc:
        _report(exc)


def _add_comment(db: Store, user: User, campaign: str, instance: str, round: int) -> None:
    text_key = widget_keys(campaign, instance)[1]
    try:
        flag(db, user, campaign, instance, COMMENT, str(st.session_state.get(text_key, "")), round=round)
    except RefcatError as exc:
        _report(exc)  # the text stays in the box
    else:
        st.session_state[text_key] = ""


def flag_panel(
    db: Store, user: User, campaign: str, instance: str, round: int, shown_at: datetime | None = None
) -> None:
    """The unsure toggle and the comments of `user` on `instance` in round `round` of `campaign`, in the
    container `FLAGS_KEY` (dimmed while the desk of refcat.annotate.ui.desk shows another instance);
    `shown_at`: when the browser showed the instance, if before this run (the view's time, `record_view`)."""
    with st.container(key=FLAGS_KEY):
        _flag_widgets(db, user, campaign, instance, round, shown_at)


def _flag_widgets(db: Store, user: User, campaign: str, instance: str, round: int, shown_at: datetime | None) -> None:
    unsure_key, text_key, form_key = widget_keys(campaign, instance)
    viewed = st.session_state.setdefault(_VIEWED, set())
    if (campaign, instance, round) not in viewed:
        record_view(db, user, campaign, instance, round=round, at=shown_at)
        viewed.add((campaign, instance, round))
    mine = instance_flags(db, user, campaign, instance)
    st.session_state[unsure_key] = mine.unsure  # the store decides, also after a refused change
    args = (db, user, campaign, instance, round)
    st.toggle(
        f"Unsure `{UNSURE_KEY}`",
        key=unsure_key,
        on_change=_toggle_unsure,
        args=args,
        help="Mark this instance for the admin: a wrong box, a broken clip, a case the guidelines do not settle",
    )
    for text in mine.comments:
        st.caption(plain(f"Your comment: {text}"))
    with st.form(form_key, border=False):
        st.text_area(
            f"Comment `{COMMENT_KEY}`",
            key=text_key,
            max_chars=MAX_COMMENT,
            height=68,
            placeholder="What the admin should know about this instance",
        )
        st.form_submit_button("Add comment", on_click=_add_comment, args=args)
