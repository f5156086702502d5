"""The lead's workflow in a real Chromium: deep links to /admin and /annotate open those pages after
the login (no "Page not found"), the blind round is closed through its confirmation (which states
the incomplete work) and reopened, and no request leaves 127.0.0.1 (every other host is refused
and recorded). Screenshots go to the test's folder (`screens/`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from helpers.demo import build_demo

from refcat.annotate.campaigns import get_campaign, round_history
from refcat.store.database import open_store

WAIT_MS = 60_000  # the shared test machine can be slow to draw the first page
LOCAL = {"127.0.0.1"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]


def _local_only(context, outside: list[str]) -> None:
    """Let requests to 127.0.0.1 through; refuse and record every other one."""

    def route(r) -> None:
        url = r.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).hostname in LOCAL:
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    context.on("websocket", lambda ws: None if urlparse(ws.url).hostname in LOCAL else outside.append(ws.url))


def _log_in_here(page, name: str) -> None:
    """Fill the login form of the page shown (whatever its path) and send it."""
    page.get_by_label("User name").wait_for(timeout=WAIT_MS)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(name)
    page.get_by_role("button", name="Log in").click()


def _shot(page, folder: Path, name: str) -> None:
    page.wait_for_timeout(800)  # let the last run paint
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_deep_links_round_confirmation_and_reopen_offline(tmp_path):
    from playwright.sync_api import sync_playwright

    url, data = build_demo(tmp_path)
    screens = tmp_path / "screens"
    screens.mkdir()
    outside: list[str] = []
    with serve_app(tmp_path, url, data) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            admin_context = browser.new_context(viewport={"width": 1400, "height": 1000})
            _local_only(admin_context, outside)
            admin = admin_context.new_page()
            admin.goto(base + "/admin")  # a fresh load with a path, before login
            _log_in_here(admin, "admin")
            admin.get_by_role("heading", name="Admin").wait_for(timeout=WAIT_MS)
            assert urlparse(admin.url).path == "/admin"
            assert admin.get_by_text("Page not found").count() == 0

            admin.get_by_role("tab", name="Progress and rounds").click()
            admin.get_by_text("queue items are incomplete").first.wait_for(timeout=WAIT_MS)
            close = admin.get_by_role("button", name="Close round of demo")
            assert close.is_disabled()  # the confirmation comes first
            admin.get_by_text("I want to close the blind round").click()
            admin.get_by_text("although").first.wait_for(timeout=WAIT_MS)
            _shot(admin, screens, "01_close_confirmation")
            close.click()
            admin.get_by_text("demo · revision").wait_for(state="attached", timeout=WAIT_MS)
            admin.get_by_role("tab", name="Progress and rounds").click()  # the rerun may show the first tab again
            admin.get_by_role("button", name="Reopen the blind round").click()
            admin.get_by_text("demo · blind round open").wait_for(state="attached", timeout=WAIT_MS)
            admin.get_by_role("tab", name="Progress and rounds").click()
            admin.get_by_text("Round changes (3)").click()
            admin.get_by_text("demo · blind round open").wait_for(timeout=WAIT_MS)
            assert not admin.get_by_role("checkbox", name="I want to close the blind round").is_checked()
            _shot(admin, screens, "02_reopened")

            annotator_context = browser.new_context(viewport={"width": 1400, "height": 1000})
            _local_only(annotator_context, outside)
            ann = annotator_context.new_page()
            ann.goto(base + "/annotate")
            _log_in_here(ann, "ann1")
            ann.get_by_text("Correctness").first.wait_for(timeout=WAIT_MS)
            assert urlparse(ann.url).path == "/annotate"
            assert ann.get_by_text("Page not found").count() == 0
            _shot(ann, screens, "03_annotate_deep_link")
        finally:
            browser.close()
    store = open_store(url, create=False)
    try:
        assert get_campaign(store, "demo").status == "label"
        assert [(e.action, e.round, e.by) for e in round_history(store, "demo")][-2:] == [
            ("close", 1, "admin"),
            ("reopen", 1, "admin"),
        ]
    finally:
        store.dispose()
    assert outside == []
