"""The login page: user name and password; nothing else is reachable before it.

A refusal (wrong name or password, too many failed attempts, a disabled or demo account) is
shown as the library words it: never with what was typed. After a logout, this page's run
also asks the server to clear the login cookie (`session.sync_cookie`).
"""

from __future__ import annotations

import streamlit as st

from refcat.annotate.accounts import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH
from refcat.annotate.ui import session
from refcat.annotate.ui.text import plain
from refcat.errors import PermissionDenied
from refcat.store.database import Store


def render(db: Store) -> None:
    st.title("refcat: referring expression annotation")
    notice = st.session_state.pop(session.LOGIN_NOTICE, None)
    if notice:
        st.warning(plain(notice))
    with st.form("login"):
        name = st.text_input("User name", key="login_name", max_chars=MAX_NAME_LENGTH)
        password = st.text_input("Password", type="password", key="login_password", max_chars=MAX_PASSWORD_LENGTH)
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            session.log_in(db, name, password)
        except PermissionDenied as exc:
            st.error(plain(exc))
            return
        st.rerun()
