"""The two cookie routes of serve.py (refcat.annotate.ui.session.auth_routes), called directly:
the cookie's attributes, and what they refuse."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from refcat.annotate.accounts import authenticate, create_user, user_for_token
from refcat.annotate.ui.session import COOKIE, auth_routes
from refcat.errors import PermissionDenied
from refcat.store.database import open_store

PW = "correct horse battery"
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "host": "annotate.example.org"}


@pytest.fixture
def db(tmp_path, monkeypatch):
    store = open_store(tmp_path / "store.db")
    monkeypatch.setenv("REFCAT_DB", store.url)
    create_user(store, "ann1", PW)
    yield store
    store.dispose()


def call(path: str, *, body: str = "", headers: dict[str, str] | None = None, cookie: str | None = None):
    """POST to one of the routes, as the app's page would; returns the response."""
    endpoints = {route.path: route.endpoint for route in auth_routes()}
    sent = dict(headers or {})
    if cookie is not None:
        sent["cookie"] = f"{COOKIE}={cookie}"
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8501),
        "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
    }

    async def receive():
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    return asyncio.run(endpoints[path](Request(scope, receive)))


def set_cookie_header(response) -> str:
    return response.headers["set-cookie"].lower()


def test_the_routes_are_posts_under_refcat_auth():
    assert [(r.path, sorted(r.methods)) for r in auth_routes()] == [
        ("/refcat-auth/session", ["POST"]),
        ("/refcat-auth/logout", ["POST"]),
    ]


def test_a_live_token_becomes_an_httponly_strict_cookie(db):
    token = authenticate(db, "ann1", PW)
    response = call("/refcat-auth/session", body=token, headers=SAME_ORIGIN)
    assert response.status_code == 204
    header = set_cookie_header(response)
    assert header.startswith(f"{COOKIE}={token.lower()};")
    assert {"httponly", "samesite=strict", "path=/", "max-age=43200"} <= {p.strip() for p in header.split(";")}
    assert "secure" not in header  # plain HTTP: a Secure cookie would never come back
    behind_tls = call("/refcat-auth/session", body=token, headers={**SAME_ORIGIN, "x-forwarded-proto": "https"})
    assert "secure" in {p.strip() for p in set_cookie_header(behind_tls).split(";")}


def test_other_sites_and_dead_tokens_are_refused(db):
    token = authenticate(db, "ann1", PW)
    for headers in (
        {"sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example", "host": "annotate.example.org"},
        {"host": "annotate.example.org"},  # neither header: not a page's fetch
    ):
        response = call("/refcat-auth/session", body=token, headers=headers)
        assert response.status_code == 403 and "set-cookie" not in response.headers
    same_host = {"origin": "https://annotate.example.org", "host": "annotate.example.org"}  # an older browser
    assert call("/refcat-auth/session", body=token, headers=same_host).status_code == 204
    response = call("/refcat-auth/session", body="made-up-token", headers=SAME_ORIGIN)
    assert response.status_code == 403 and "set-cookie" not in response.headers


def test_logout_ends_the_cookies_session_and_clears_it(db):
    token = authenticate(db, "ann1", PW)
    assert call("/refcat-auth/logout", headers={"sec-fetch-site": "cross-site"}, cookie=token).status_code == 403
    assert user_for_token(db, token).name == "ann1"  # another site cannot log the annotator out
    response = call("/refcat-auth/logout", headers=SAME_ORIGIN, cookie=token)
    assert response.status_code == 204
    header = set_cookie_header(response)
    assert header.startswith(f'{COOKIE}="";') and "max-age=0" in header and "httponly" in header
    with pytest.raises(PermissionDenied):
        user_for_token(db, token)
