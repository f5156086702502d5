"""Who is logged in, and the app's shared resources (store, frame cache).

Login state lives in the store (accounts.py). The browser holds the session token only in a
cookie (`COOKIE`: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS), never in a URL:
- the login form (login.py) calls `log_in`, which checks the password (throttled per name and
  per client address, `client_address`) and keeps the token for this tab in `st.session_state`;
- the next run (`current_user` -> `sync_cookie`) emits a small script that POSTs the token to the
  route `<base>/refcat-auth/session` of this server (`auth_routes`, served by serve.py through
  `st.App`). The route checks that the request comes from the app's own page and that the
  token is live, and answers with the Set-Cookie header, so no script can read the cookie;
- each run, `current_user` takes the tab's token, or else the cookie of the page's request
  (`st.context.cookies`), and asks the store whether its session is alive; a refused cookie
  is not tried again by the same tab;
- `log_out` ends the session in the store and the login page's next run POSTs to
  `<base>/refcat-auth/logout`, which ends the cookie's session too and clears the cookie.
Served without the routes (`streamlit run app.py`, AppTest), a login lasts for its tab only.

The client address (for the login throttle) is `st.context.ip_address` (None for a browser on
the same machine), or, behind a reverse proxy, the last entry of the request header named by
$REFCAT_CLIENT_ADDRESS_HEADER (e.g. X-Forwarded-For; set it only when every request comes
through a proxy that writes that header, since clients can write it too).

Configuration comes from the environment: $REFCAT_DB (store URL or SQLite path),
$REFCAT_DATA (dataset folders, see `video_view.data_roots`) and the session and throttle
variables of `accounts.AuthPolicy`.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from refcat.annotate.accounts import AuthPolicy, User, authenticate, logout, user_for_token
from refcat.annotate.ui.video_view import ViewCache, data_roots
from refcat.errors import PermissionDenied
from refcat.store.database import DEFAULT_DB, Store, open_store

COOKIE = "refcat_session"
ROUTE = "refcat-auth"
_TOKEN, _REFUSED_COOKIE, _COOKIE_ACTION, LOGIN_NOTICE = "token", "refused_cookie", "cookie_action", "login_notice"
_MAX_TOKEN_LENGTH = 128


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url)


# the URL path of the clip routes when serve.py mounts them (`serve_clips_at`); None: clips go inline
_clip_route: str | None = None


def serve_clips_at(path: str) -> None:
    """Tell the players that the clip routes are mounted at `path` (serve.py, at start-up: before the
    first page run, and without opening the store, so a bad store is reported on the page)."""
    global _clip_route
    _clip_route = path


@st.cache_resource(show_spinner=False)
def _views(url: str, data: str) -> ViewCache:
    views = ViewCache(_store(url), data_roots(data))
    views.frame_route = _clip_route
    return views


def store() -> Store:
    return _store(os.environ.get("REFCAT_DB", DEFAULT_DB))


def views() -> ViewCache:
    return _views(os.environ.get("REFCAT_DB", DEFAULT_DB), os.environ.get("REFCAT_DATA", ""))


def client_address() -> str | None:
    """The client's address as this server sees it (see the module's docstring), or None."""
    header = os.environ.get("REFCAT_CLIENT_ADDRESS_HEADER", "").strip()
    if header:
        forwarded = (st.context.headers.get(header) or "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    address = st.context.ip_address
    return address if isinstance(address, str) else None  # not a string under AppTest, which has no client


def token() -> str | None:
    """This tab's token, or else the cookie's unless this tab saw it refused."""
    value = st.session_state.get(_TOKEN)
    if value:
        return str(value)
    cookie = st.context.cookies.get(COOKIE)  # not a string under AppTest, which has no client
    if isinstance(cookie, str) and cookie and cookie != st.session_state.get(_REFUSED_COOKIE):
        return cookie
    return None


def current_user(db: Store) -> User | None:
    """The logged-in user, or None (an expired or revoked session is dropped with a notice).
    Called once at the top of every run, it first emits the pending cookie request (`sync_cookie`)."""
    sync_cookie()
    value = token()
    if value is None:
        return None
    try:
        user = user_for_token(db, value)
    except PermissionDenied as exc:
        st.session_state.pop(_TOKEN, None)
        st.session_state[_REFUSED_COOKIE] = value
        st.session_state[LOGIN_NOTICE] = f"{exc.message}: please log in again."
        return None
    st.session_state[_TOKEN] = value
    return user


def log_in(db: Store, name: str, password: str) -> None:
    """Open a session for this tab and have the next run hand it to the cookie route.
    Raises PermissionDenied on a wrong name or password, a throttled attempt or a refused account."""
    value = authenticate(db, name, password, address=client_address())
    st.session_state[_TOKEN] = value
    st.session_state[_COOKIE_ACTION] = ("session", value)


def log_out(db: Store) -> None:
    value = token()
    if value is not None:
        logout(db, value)
        st.session_state[_REFUSED_COOKIE] = value
    st.session_state.pop(_TOKEN, None)
    st.session_state[_COOKIE_ACTION] = ("logout", "")


def _route_path(action: str) -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, ROUTE, action) if part)


def sync_cookie() -> None:
    """After a login or a logout, once: the script that asks the cookie route to set or clear the cookie."""
    pending = st.session_state.pop(_COOKIE_ACTION, None)
    if pending is None:
        return
    action, body = pending
    request = json.dumps({"method": "POST", "credentials": "same-origin", "body": body})
    st.html(
        f"<script>fetch({json.dumps(_route_path(action))}, {request}).then(r => {{ if (!r.ok) "
        f"console.warn('refcat: the login cookie is not kept (serve the app with streamlit run serve.py)') }})"
        "</script>",
        unsafe_allow_javascript=True,
    )


# ------------------------------------------------------------------ the cookie routes (served by serve.py)


def _same_origin(request: Request) -> bool:
    """Whether a request comes from a page of this app (not from another site's page)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def _cookie_path() -> str:
    return _route_path("").removesuffix(f"/{ROUTE}") or "/"


def _secure(request: Request) -> bool:
    """Whether the page came over HTTPS (directly or through a TLS proxy): the cookie is then Secure."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def _set_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response("refused: not a request of this app's page", status_code=403)
    value = (await request.body()).decode(errors="replace")[:_MAX_TOKEN_LENGTH]
    try:
        await run_in_threadpool(user_for_token, store(), value)
    except PermissionDenied:
        return Response("refused: not a live session", status_code=403)
    response = Response(status_code=204)
    max_age = int(AuthPolicy.from_env().max_age.total_seconds())
    response.set_cookie(
        COOKIE, value, max_age=max_age, path=_cookie_path(), secure=_secure(request), httponly=True, samesite="strict"
    )
    return response


async def _clear_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response("refused: not a request of this app's page", status_code=403)
    value = request.cookies.get(COOKIE)
    if value:
        await run_in_threadpool(logout, store(), value[:_MAX_TOKEN_LENGTH])
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path=_cookie_path(), secure=_secure(request), httponly=True, samesite="strict")
    return response


def auth_routes() -> list[Route]:
    """The two POST routes that set and clear the HttpOnly session cookie, for `st.App(routes=...)`."""
    return [
        Route(_route_path("session"), _set_cookie, methods=["POST"]),
        Route(_route_path("logout"), _clear_cookie, methods=["POST"]),
    ]
