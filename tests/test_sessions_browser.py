"""Sessions in a real Chromium: the login lives in an HttpOnly cookie, never in a URL.

An annotator logs in; the page's URL, opened in a fresh browser context (another browser),
shows the login form; the annotator's own browser stays logged in over a reload. No URL the
browsers asked for or navigated to (pages, requests, the WebSocket) carries the token, and the
page's scripts cannot read it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from helpers.demo import build_demo

WAIT_MS = 60_000  # the shared test machine can be slow to draw the first page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]


def _watch(context, urls: list[str]) -> None:
    """Collect every URL a context's pages ask for or navigate to."""
    context.on("request", lambda request: urls.append(request.url))
    context.on(
        "page",
        lambda page: (
            page.on("websocket", lambda ws: urls.append(ws.url)),
            page.on("framenavigated", lambda frame: urls.append(frame.url)),
        ),
    )


def test_a_copied_url_asks_a_fresh_browser_to_log_in(tmp_path):
    from playwright.sync_api import sync_playwright

    url, data = build_demo(tmp_path)
    urls: list[str] = []
    with serve_app(tmp_path, url, data) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            mine = browser.new_context()
            _watch(mine, urls)
            page = mine.new_page()
            page.goto(base + "/")
            page.get_by_label("User name").fill("ann1")
            page.get_by_label("Password", exact=True).fill("ann1")
            page.get_by_role("button", name="Log in").click()
            page.get_by_text("Correctness").first.wait_for(timeout=WAIT_MS)
            page.wait_for_function(  # the cookie route answered
                "() => performance.getEntriesByType('resource').some(e => e.name.endsWith('/refcat-auth/session'))",
                timeout=WAIT_MS,
            )
            (cookie,) = [c for c in mine.cookies() if c["name"] == "refcat_session"]
            assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/")
            token = cookie["value"]
            assert token not in page.evaluate("document.cookie")
            copied = page.url
            assert "instance=" in copied  # where the annotator is travels in the URL; who they are does not

            fresh = browser.new_context()
            _watch(fresh, urls)
            other = fresh.new_page()
            other.goto(copied)
            other.get_by_role("button", name="Log in").wait_for(timeout=WAIT_MS)
            assert other.get_by_text("Correctness").count() == 0

            page.reload()
            page.get_by_text("Correctness").first.wait_for(timeout=WAIT_MS)  # the annotator's browser: still in
        finally:
            browser.close()
    assert any("/_stcore/stream" in u for u in urls)  # the WebSocket was watched too
    assert [u for u in urls if token in u] == []
