"""The Admin page's tabs in a real Chromium: closing and reopening a round from the "Progress and
rounds" tab shows its message above the tabs, and the tab stays open through those reruns (the
open tab is the tabs widget's state, sent with every run). Screenshots go to the test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from helpers.demo import build_demo

WAIT_MS = 60_000  # the shared test machine can be slow to draw the first page
PROGRESS = "Progress and rounds"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]


def test_the_open_tab_survives_the_messages_of_close_and_reopen(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, data = build_demo(tmp_path)
    with serve_app(tmp_path, url, data) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(base + "/admin")
            page.get_by_label("User name").wait_for(timeout=WAIT_MS)
            page.get_by_label("User name").fill("admin")
            page.get_by_label("Password", exact=True).fill("admin")
            page.get_by_role("button", name="Log in").click()
            tab = page.get_by_role("tab", name=PROGRESS)
            tab.wait_for(timeout=WAIT_MS)
            tab.click()
            page.get_by_text("I want to close the blind round").click()
            page.get_by_role("button", name="Close round of demo").click()
            page.get_by_text("Closed the blind round of 'demo': the revision round is open.").wait_for(timeout=WAIT_MS)
            expect(tab).to_have_attribute("aria-selected", "true", timeout=WAIT_MS)
            page.get_by_role("button", name="Reopen the blind round").click()  # visible only in this tab
            page.get_by_text("Reopened the last closed round").wait_for(timeout=WAIT_MS)
            page.wait_for_timeout(800)  # let the last run paint
            expect(tab).to_have_attribute("aria-selected", "true")
            expect(page.get_by_role("tab", name="Annotators")).to_have_attribute("aria-selected", "false")
            page.screenshot(path=str(tmp_path / "admin_tab_after_reopen.png"), full_page=True)
        finally:
            browser.close()
