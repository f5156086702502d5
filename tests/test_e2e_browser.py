"""End to end in a real Chromium (Playwright): `streamlit run serve.py` over a small demo store.

Two annotators label in two browser contexts with the keyboard, a reload keeps their answers,
the admin closes the blind round, an annotator revises, the admin adjudicates and exports.
Answers are checked in the store (the page's effect) and on the page (what the user sees).
Screenshots of every page are written to the test's tmp folder (`screens/`).
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, WAIT_S, serve_app, wait_until
from helpers.browser import shots_on_failure
from helpers.demo import build_demo

from refcat.annotate.labels import answers, final_labels, questions_for, queue
from refcat.annotate.state import instance_row
from refcat.store.database import open_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]


@pytest.fixture
def server(tmp_path):
    url, data = build_demo(tmp_path, n_videos=2, frames=6)
    with serve_app(tmp_path, url, data) as base:
        store = open_store(url)
        yield base, store, tmp_path
        store.dispose()


def session_cookie(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "refcat_session"), None)


def log_in(page, base: str, name: str) -> str:
    """Log in and return the session token, from the browser's login cookie (never in the URL)."""
    page.goto(base + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(name)
    page.get_by_role("button", name="Log in").click()
    token = wait_until(page, lambda: session_cookie(page), f"{name}'s login cookie")
    assert token not in page.url
    return token


def shown_instance(page) -> str | None:
    return parse_qs(urlparse(page.url).query).get("instance", [None])[0]


def idle(page) -> None:
    """Wait until the app's script has finished its run (the page shows the latest state)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=WAIT_S * 1000,
    )


def press(page, key: str, check, what: str, tries: int = 3) -> None:
    """Press a key in a page's window, as its user would, and wait for its effect `check`.

    Like a user, press again when nothing happened: a key pressed while the browser is still
    wiring the page's shortcuts (right after a rerun) can go unheard. Only for idempotent keys
    (answers); undo and moving on are pressed once (tries=1).
    """
    for attempt in range(1, tries + 1):
        idle(page)
        page.bring_to_front()
        page.keyboard.press(key)
        try:
            wait_until(page, check, what, WAIT_S / tries)
            break
        except AssertionError:
            if attempt == tries:
                raise
    idle(page)


def chosen(page, label: str) -> bool:
    """Whether the answer button with this label is the highlighted (primary) one."""
    return page.locator('[data-testid="stBaseButton-primary"]', has_text=label).count() > 0


def shot(page, folder: Path, name: str) -> None:
    idle(page)
    page.wait_for_timeout(400)  # let the last run paint
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_label_revise_adjudicate_export_in_chromium(server):
    from playwright.sync_api import sync_playwright

    base, store, tmp = server
    screens = tmp / "screens"
    screens.mkdir()
    first = queue(store, "ann1", "demo")[0].instance_key
    second = queue(store, "ann1", "demo")[1].instance_key

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = {
            name: browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            for name in ("ann1", "ann2", "admin")
        }
        pages = {name: ctx.new_page() for name, ctx in contexts.items()}
        p1, p2, pa = pages["ann1"], pages["ann2"], pages["admin"]
        try:
            with shots_on_failure(pages, screens):
                _scenario(base, store, screens, p1, p2, pa, first, second)
        finally:
            browser.close()


def _scenario(base, store, screens, p1, p2, pa, first, second):
    """The steps of the test, on the pages of ann1 (p1), ann2 (p2) and the admin (pa)."""

    def mine(user, key=first):
        return answers(store, user, "demo", key)

    p1.goto(base + "/")
    p1.get_by_label("User name").wait_for()
    shot(p1, screens, "01_login")
    tokens = {name: log_in(page, base, name) for name, page in (("ann1", p1), ("ann2", p2))}
    p1.get_by_text("Correctness").first.wait_for()
    assert shown_instance(p1) == first

    # Blind round, keyboard only: ann1 and ann2 disagree on appearance and location.
    asked_difficulty = "difficulty" in questions_for(store, "demo", first)
    for page, user in ((p1, "ann1"), (p2, "ann2")):
        if asked_difficulty:  # not asked where the referent is its video's only object (automatic)
            page.get_by_text("Correctness").first.wait_for()
            press(page, "2", lambda u=user: mine(u).get("difficulty") == "non-trivial", f"{user} non-trivial")
    press(p1, "3", lambda: mine("ann1").get("correctness") == "valid", "ann1 valid")
    press(p1, "a", lambda: mine("ann1").get("appearance") == "yes", "ann1 appearance yes")
    press(p1, "Shift+L", lambda: mine("ann1").get("location") == "no", "ann1 location no")
    press(p1, "7", lambda: mine("ann1").get("information") == "minimal", "ann1 minimal")
    p2.get_by_text("Correctness").first.wait_for()
    press(p2, "3", lambda: mine("ann2").get("correctness") == "valid", "ann2 valid")
    press(p2, "Shift+A", lambda: mine("ann2").get("appearance") == "no", "ann2 appearance no")
    press(p2, "l", lambda: mine("ann2").get("location") == "yes", "ann2 location yes")
    press(p2, "7", lambda: mine("ann2").get("information") == "minimal", "ann2 minimal")
    wait_until(p2, lambda: chosen(p2, "yes") and chosen(p2, "valid RE"), "ann2's page to show its answers")
    assert "ann1" not in p2.inner_text("body")  # blind: nobody else's answers or name
    shot(p1, screens, "02_annotate_ann1")
    shot(p2, screens, "03_annotate_ann2")

    # The clip fills its column (frames scaled up from 320 x 180 by CSS, aspect kept), controls below it.
    player = p1.locator("#player").bounding_box()  # the desk's player, in the page (refcat.annotate.ui.desk)
    clip = p1.locator("#frame").bounding_box()
    assert player["width"] > 500 and abs(clip["width"] - player["width"]) <= 2
    assert abs(clip["height"] - clip["width"] * 180 / 320) <= 2
    assert player["height"] >= clip["height"] + 20

    # A key pressed while the player has the focus still answers.
    p1.locator("#play").click()
    press(p1, "m", lambda: mine("ann1").get("motion") == "yes", "motion via the player's focus")
    press(p1, "u", lambda: "motion" not in mine("ann1"), "undo of motion", tries=1)  # a second U would undo more
    press(p1, "ArrowRight", lambda: shown_instance(p1) == second, "next instance", tries=1)
    p1.get_by_text("Correctness").first.wait_for()
    press(p1, "ArrowLeft", lambda: shown_instance(p1) == first, "previous instance", tries=1)

    # Reload: still logged in, same instance, answers shown.
    p1.reload()
    wait_until(p1, lambda: chosen(p1, "valid RE") and chosen(p1, "minimal"), "answers after reload")
    assert shown_instance(p1) == first
    assert mine("ann1") == {
        "correctness": "valid",
        "appearance": "yes",
        "location": "no",
        "information": "minimal",
        **({"difficulty": "non-trivial"} if asked_difficulty else {}),
    }
    shot(p1, screens, "04_after_reload")

    # A bad request: an instance that is not in the queue is refused with a message.
    p2.goto(f"{base}/?instance=demo/nope/1/annot1")  # Annotate is the main page
    p2.get_by_text("is not in your queue").wait_for()
    assert p2.get_by_text("Page not found").count() == 0
    wait_until(p2, lambda: shown_instance(p2) == first, "the fallback to ann2's own place")
    shot(p2, screens, "05_refused_instance")

    # The admin closes the blind round.
    log_in(pa, base, "admin")
    pa.goto(f"{base}/")  # the admin's main page is Admin
    pa.get_by_role("tab", name="Progress and rounds").click()
    pa.get_by_text("I want to close the blind round").click()
    pa.get_by_role("button", name="Close round of demo").click()
    pa.get_by_text("demo · revision").wait_for(state="attached")
    pa.get_by_role("tab", name="Progress and rounds").click()  # the rerun may have shown the first tab again
    pa.get_by_text("demo · revision").wait_for()
    assert not pa.get_by_role("checkbox", name="I want to close the revision round (finishes)").is_checked()
    shot(pa, screens, "06_admin_progress")
    pa.get_by_role("tab", name="Agreement").click()
    pa.get_by_text("First answers").wait_for()
    shot(pa, screens, "07_admin_agreement")

    p2.goto(f"{base}/")
    p2.get_by_text("The blind round of campaign 'demo' is closed").wait_for()

    # Revision: ann1 sees the others' answers and revises appearance with the keyboard.
    p1.goto(f"{base}/revise")
    p1.get_by_text("Answers: ann2: no").first.wait_for()
    shot(p1, screens, "08_revise")
    # First answers are marked as such until confirmed or changed, not shown as chosen.
    assert p1.get_by_text("first answer: yes").count() == 1 and p1.get_by_text("first answer: no").count() == 1
    assert p1.locator('[data-testid="stBaseButton-primary"]').count() == 0
    press(p1, "Shift+A", lambda: mine("ann1").get("appearance") == "no", "ann1 revises appearance")
    wait_until(
        p1,
        lambda: chosen(p1, "no") and p1.get_by_text("first answer: yes").count() == 0,
        "the revision shown as chosen",
    )
    assert answers(store, "ann1", "demo", first, round=1)["appearance"] == "yes"  # first answer kept

    # Adjudication: location stays in dispute (ann1 no, ann2 yes); the admin decides.
    pa.goto(f"{base}/adjudicate")
    pa.get_by_role("button", name="Set final label").wait_for()
    idle(pa)
    picker = pa.locator('[data-testid="stSelectbox"]').nth(1)
    shown = picker.inner_text() + " ".join(picker.locator("input").evaluate_all("els => els.map(e => e.value)"))
    assert f"{first} · Location" in shown
    pa.locator('[data-testid="stRadio"] label', has_text="yes").click()
    pa.get_by_label("Reason").fill("the RE says where the person stands")
    pa.get_by_role("button", name="Set final label").click()
    wait_until(
        pa,
        lambda: (
            final_labels(store, "demo").set_index(["item", "field"]).loc[(first, "location"), "source"]
            == "adjudication"
        ),
        "the adjudication",
    )
    shot(pa, screens, "09_adjudicate")
    final = final_labels(store, "demo").set_index(["item", "field"]).loc[(first, "location")]
    assert (final["label"], final["reason"]) == ("yes", "the RE says where the person stands")

    # Export: the long table and the consensus release file.
    pa.goto(f"{base}/export")
    pa.get_by_text("Answers: the long table").wait_for()
    pa.locator('[data-testid="stSelectbox"]').first.click()
    pa.get_by_role("option", name="demo", exact=True).click()
    pa.get_by_role("button", name="Download demo_RE_categorization.csv").wait_for()
    shot(pa, screens, "10_export")
    with pa.expect_download() as download:
        pa.get_by_role("button", name="Download CSV").click()
    table = pd.read_csv(download.value.path())
    mine_rows = table[(table["annotator"] == "ann1") & (table["kind"] == "answer")]
    assert set(mine_rows["question"]) == {
        "correctness",
        "appearance",
        "location",
        "information",
        "motion",
        *(["difficulty"] if asked_difficulty else []),
    }
    with pa.expect_download() as download:
        pa.get_by_role("button", name="Download demo_RE_categorization.csv").click()
    release = Path(download.value.path()).read_bytes()
    assert release.startswith(b"video_id;instance_id;ref_exp;ref_exp_difficulty;ref_exp_information;")
    assert b"\r\n" in release
    released = pd.read_csv(io.BytesIO(release), sep=";", keep_default_na=False)
    with store.session() as session:
        text = instance_row(session, first).text
    row = released[released["ref_exp"] == text].iloc[0]
    assert (row["video_id"], row["instance_id"]) == (first.split("/")[1], int(first.split("/")[2]))
    expected = "Non-trivial" if asked_difficulty else "Trivial (Single Object Category)"
    assert (row["ref_exp_difficulty"], row["ref_exp_information"]) == (expected, "Minimum Information")
    assert (row["location"], row["appearance"]) == (1, 0)  # adjudicated yes; majority no after revision

    # Logging out revokes the session and clears the cookie: the old token, put back, is refused.
    p1.goto(f"{base}/logout")
    p1.get_by_role("button", name="Log in").wait_for()
    wait_until(p1, lambda: session_cookie(p1) is None, "the cookie cleared")
    p1.context.add_cookies([{"name": "refcat_session", "value": tokens["ann1"], "url": base}])
    p1.goto(f"{base}/")
    p1.get_by_text("not logged in (unknown session)").wait_for()
    shot(p1, screens, "11_after_logout")
