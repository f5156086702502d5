"""Adjudication in a real Chromium (Playwright), over `streamlit run serve.py` and a small demo store.

Two ties on motion (first and second instance: ann1 and ann2 disagree, ann3 is silent); the blind
round is closed. The admin opens the quality view, clicks the first tie's link there (it opens the
case in a new tab), sees the RE and the clip, records a final label with a reason, and sees the next
tie with an empty reason box. Screenshots go to the test's tmp folder (`screens/`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from helpers.demo import build_demo

from refcat.annotate.campaigns import close_round
from refcat.annotate.labels import final_labels, instance_text, queue, record_answer
from refcat.annotate.quality import case_link
from refcat.store.database import open_store

WAIT_MS = 60_000  # the shared test machine can be slow to draw the first page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]


def idle(page) -> None:
    """Wait until the app's script has finished its run."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=WAIT_MS,
    )


def shot(page, folder: Path, name: str) -> None:
    idle(page)
    page.wait_for_timeout(500)  # let the last run paint
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_adjudicating_a_tie_shows_the_case_and_never_carries_the_reason_over(tmp_path):
    from playwright.sync_api import sync_playwright

    url, data = build_demo(tmp_path, n_videos=2, frames=6)
    store = open_store(url)
    first, second = [item.instance_key for item in queue(store, "ann1", "demo")][:2]
    for key, (one, two) in ((first, ("yes", "no")), (second, ("no", "yes"))):
        record_answer(store, "ann1", "demo", key, "motion", one)
        record_answer(store, "ann2", "demo", key, "motion", two)
    close_round(store, "demo", "admin")
    screens = tmp_path / "screens"
    screens.mkdir()
    try:
        with serve_app(tmp_path, url, data) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 1700}).new_page()
                page.goto(base + "/")
                page.get_by_label("User name").fill("admin")
                page.get_by_label("Password", exact=True).fill("admin")
                page.get_by_role("button", name="Log in").click()
                page.get_by_text("Admin").first.wait_for(timeout=WAIT_MS)
                idle(page)

                page.goto(f"{base}/quality")
                page.get_by_text("Disagreements per question").wait_for(timeout=WAIT_MS)
                shot(page, screens, "01_quality")

                # The first row's link (the table's first column) opens the case in a new tab.
                grid = page.locator('[data-testid="stDataFrame"]').last
                box = grid.bounding_box()
                link_cell = (box["x"] + 40, box["y"] + 35 + 17)  # under the header row
                page.mouse.move(*link_cell)  # the grid draws the link, and takes its click, under the pointer
                page.wait_for_timeout(500)
                with page.context.expect_page() as opened:
                    page.mouse.click(*link_cell)
                page = opened.value
                assert page.url == f"{base}/{case_link('demo', first, 'motion')}"
                page.get_by_role("button", name="Set final label").wait_for(timeout=WAIT_MS)
                idle(page)
                assert page.locator(".refcat-re").first.inner_text().strip("“”") == instance_text(store, first)
                assert page.get_by_text(f"demo · {first}").count() == 1
                majority = page.locator('[data-testid="stMarkdownContainer"]', has_text="Majority:")
                assert " ".join(majority.inner_text().split()) == "Majority: none (a tie)"
                frame = page.frame_locator("iframe").locator("img#frame")
                frame.wait_for(timeout=WAIT_MS)
                assert frame.get_attribute("src").startswith(("/refcat-clip/demo/", "blob:"))  # serve.py's clip route
                assert frame.bounding_box()["height"] > 50
                shot(page, screens, "02_tie")

                page.locator('[data-testid="stRadio"] label', has_text="yes").click()
                page.get_by_label("Reason").fill("the person walks across the room")
                page.get_by_role("button", name="Set final label").click()
                page.get_by_text(f"demo · {second}").wait_for(timeout=WAIT_MS)
                idle(page)
                final = final_labels(store, "demo").set_index(["item", "field"])
                assert tuple(final.loc[(first, "motion"), ["label", "source", "reason"]]) == (
                    "yes",
                    "adjudication",
                    "the person walks across the room",
                )
                assert page.get_by_label("Reason").input_value() == ""
                shot(page, screens, "03_next_case")
            finally:
                browser.close()
    finally:
        store.dispose()
