"""The login page: user name and password; nothing else is reachable before it."""

from __future__ import annotations

import streamlit as st

from refcat.annotate.ui import session
from refcat.errors import PermissionDenied
from refcat.store.database import Store


def render(db: Store) -> None:
    st.title("refcat: referring expression annotation")
    notice = st.session_state.pop("login_notice", None)
    if notice:
        st.warning(notice)
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            session.log_in(db, name, password)
        except PermissionDenied as exc:
            st.error(str(exc))
            return
        st.rerun()
