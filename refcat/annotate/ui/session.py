"""Who is logged in, and the app's shared resources (store, frame cache).

Login state lives in the store (accounts.py): the page keeps only the session token, in
`st.session_state` and mirrored in the URL query parameter `s`, so that reloading the page
keeps the annotator logged in. Closing the tab and logging in again gives a new token; the
annotate page then resumes at the stored position (`labels.resume_position`). A token is
worth nothing after logout or once the session has been idle past its timeout, and the store
keeps only its digest. Anyone who is given the URL with `s` is logged in as its owner until
then, so the URL is not to be shared.

Configuration comes from the environment: $REFCAT_DB (store URL or SQLite path) and
$REFCAT_DATA (dataset folders, see `video_view.data_roots`).
"""

from __future__ import annotations

import os

import streamlit as st

from refcat.annotate.accounts import User, authenticate, logout, user_for_token
from refcat.annotate.ui.video_view import ViewCache, data_roots
from refcat.errors import PermissionDenied
from refcat.store.database import DEFAULT_DB, Store, open_store

TOKEN_PARAM = "s"


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url)


@st.cache_resource(show_spinner=False)
def _views(url: str, data: str) -> ViewCache:
    return ViewCache(_store(url), data_roots(data))


def store() -> Store:
    return _store(os.environ.get("REFCAT_DB", DEFAULT_DB))


def views() -> ViewCache:
    return _views(os.environ.get("REFCAT_DB", DEFAULT_DB), os.environ.get("REFCAT_DATA", ""))


def token() -> str | None:
    value = st.session_state.get("token") or st.query_params.get(TOKEN_PARAM)
    return value or None


def current_user(db: Store) -> User | None:
    """The logged-in user, or None (an expired or revoked token is dropped with a notice)."""
    value = token()
    if value is None:
        return None
    try:
        user = user_for_token(db, value)
    except PermissionDenied as exc:
        forget_token()
        st.session_state["login_notice"] = f"{exc.message}: please log in again."
        return None
    st.session_state["token"] = value
    if st.query_params.get(TOKEN_PARAM) != value:
        st.query_params[TOKEN_PARAM] = value
    return user


def log_in(db: Store, name: str, password: str) -> None:
    """Open a session; raises PermissionDenied on a wrong name or password."""
    value = authenticate(db, name.strip(), password)
    st.session_state["token"] = value
    st.query_params[TOKEN_PARAM] = value


def log_out(db: Store) -> None:
    value = token()
    if value is not None:
        logout(db, value)
    forget_token()


def forget_token() -> None:
    st.session_state.pop("token", None)
    if TOKEN_PARAM in st.query_params:
        del st.query_params[TOKEN_PARAM]
