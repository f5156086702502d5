"""What reaches the browser, in a real Chromium (Playwright) over `streamlit run serve.py` (issue 13).

Markup stays text: an RE holding HTML tags, markdown images and links, a blank line and more
(tests/helpers/markup.py) is put into the demo store; its URLs point at a local HTTP server that
counts requests. The annotator opens it on the Annotate page (with the automatic suggestions),
on the Videos page (its picker open), and URLs whose query parameters hold the same text. No
request may reach the counting server, no link, image or formatting may carry the payload, and
the RE and the refused parameters must read literally.

No traceback: an answer pressed on a page left open while the admin closed the round shows the
refusal (it was a ZeroDivisionError), and a store that is not SQLite shows one line to anonymous
visitors. Screenshots go to the test's tmp folder.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from helpers.demo import build_demo
from helpers.markup import ANNOTATOR, CAMPAIGN, add_payload_instance, payload

from refcat.annotate.accounts import create_user
from refcat.annotate.campaigns import close_round
from refcat.annotate.labels import answers, queue
from refcat.store.database import open_store

WAIT_S = 20
WORD_JOINER = "\u2060"  # put by text.plain inside `http://`, `:name` and `a@b`; invisible
USER_NAME = "INJ-U**INJ-BOLD**_INJ-EM_![INJ-IMG](x)[INJ-LINK](x)"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]

# Elements that would carry the payload's markup, or point at one of its URLs (in every frame).
FOUND_MARKUP = """(host) => {
  const found = [];
  for (const el of document.querySelectorAll('[href], [src], [srcset], [poster], [action], [style*="url("]')) {
    const urls = ['href', 'src', 'srcset', 'poster', 'action', 'style'].map(a => el.getAttribute(a) || '').join(' ');
    if (urls.includes(host) || urls.includes('inj.invalid')) found.push(el.outerHTML.slice(0, 300));
  }
  const tags = 'a, img, strong, em, code, del, s, h1, h2, h3, h4, h5, h6, li, pre, blockquote, table, .katex';
  for (const el of document.querySelectorAll(tags)) {
    if ((el.textContent || '').includes('INJ') || (el.getAttribute('alt') || '').includes('INJ')) {
      found.push(el.outerHTML.slice(0, 300));
    }
  }
  return found;
}"""


class Counted(BaseHTTPRequestHandler):
    """Notes every request in its server's `requests` and answers 204."""

    def do_GET(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")
        self.send_response(204)
        self.end_headers()

    do_POST = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, *args) -> None:
        pass


class CountingServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Counted)
        self.requests: list[str] = []


@pytest.fixture
def counter():
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_until(page, check, what: str, wait_s: float = WAIT_S):
    """Poll `check` while letting Playwright process the page's events (a bare sleep would not)."""
    deadline = time.monotonic() + wait_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(150)


def idle(page) -> None:
    """Wait until the app's script has finished its run (the page shows the latest state)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=WAIT_S * 1000,
    )
    page.wait_for_timeout(300)  # let the last run paint


def log_in(page, base: str, name: str, password: str | None = None) -> None:
    """Log in through the form, as tests/test_e2e_browser.py does; the login cookie keeps it."""
    page.goto(base + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password or name)
    page.get_by_role("button", name="Log in").click()
    wait_until(page, lambda: any(c["name"] == "refcat_session" for c in page.context.cookies()), "the login cookie")
    idle(page)


def markup_in(page, host: str) -> list[str]:
    return [found for frame in page.frames for found in frame.evaluate(FOUND_MARKUP, host)]


def shown(page) -> str:
    return page.inner_text("body").replace(WORD_JOINER, "")


def test_markup_in_res_and_url_parameters_stays_text(tmp_path, counter, browser):
    host = f"127.0.0.1:{counter.server_address[1]}"
    text = payload(f"http://{host}")
    url, data = build_demo(tmp_path)
    store = open_store(url)
    key = add_payload_instance(store, text)
    dataset, video_id, *_ = key.split("/")

    with serve_app(tmp_path, url, data) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        log_in(page, base, ANNOTATOR)

        def check(name: str) -> None:
            idle(page)
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
            assert markup_in(page, host) == [], name

        # The RE, large, and the automatic suggestions of the pre-annotated campaign.
        page.goto(f"{base}/?campaign={CAMPAIGN}")
        page.locator(".refcat-re").wait_for()
        page.locator(".st-key-suggestions").wait_for()
        check("annotate")
        assert page.locator(".refcat-re").inner_text() == f"“{text}”"  # every character, the line breaks kept
        assert text.split("\n")[0] in page.locator(".st-key-suggestions").inner_text()
        assert f"{CAMPAIGN} · {key}" in shown(page)

        # The same text in the URL's parameters, echoed by the refusals.
        page.goto(f"{base}/?campaign={quote(text)}")
        page.get_by_text("you are not an annotator of campaign").wait_for()
        check("refused_campaign")
        assert repr(text) in shown(page)
        page.goto(f"{base}/?campaign={CAMPAIGN}&instance={quote(text)}")
        page.get_by_text("is not in your queue").wait_for()
        check("refused_instance")
        assert repr(text) in shown(page)

        # The Videos page: the RE in its picker (the list open) and shown large.
        page.goto(f"{base}/videos")
        pickers = page.locator('[data-testid="stSelectbox"]')
        pickers.first.wait_for()
        pickers.nth(0).click()
        page.get_by_role("option", name=f"{dataset}/{video_id}", exact=True).click()
        idle(page)
        pickers.nth(1).click()
        option = page.get_by_role("option").filter(has_text="INJ-HTML")
        option.wait_for()
        check("videos_picker_open")
        option.click()
        wait_until(page, lambda: page.locator(".refcat-re").inner_text() == f"“{text}”", "the RE on the Videos page")
        check("videos")

        # A user name with markup, in the navigation's section of the account (a store with an
        # account of its own refuses the demo accounts from now on).
        create_user(store, USER_NAME, "a long enough password")  # names hold no spaces, '/' or ','
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        log_in(page, base, USER_NAME, "a long enough password")
        page.get_by_text("You are not an annotator of any campaign yet").wait_for()
        check("user_name")
        assert f"{USER_NAME} (annotator)" in shown(page)

        page.wait_for_timeout(1000)  # time for any late image or prefetch
        assert counter.requests == []
    store.dispose()


def test_answering_across_a_round_close_shows_the_refusal_not_a_traceback(tmp_path, browser):
    url, data = build_demo(tmp_path)
    store = open_store(url)
    first = queue(store, ANNOTATOR, "demo")[0].instance_key
    with serve_app(tmp_path, url, data) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        log_in(page, base, ANNOTATOR)
        page.get_by_text("Correctness").first.wait_for()
        idle(page)
        close_round(store, "demo", "admin")  # the admin closes the round while the page is open
        page.locator("button", has_text="valid RE").first.click()
        page.get_by_text("Refused: round 1 of campaign 'demo' is closed").wait_for()
        idle(page)
        page.screenshot(path=str(tmp_path / "answer_after_close.png"), full_page=True)
        body = shown(page)
        assert "Traceback" not in body and "ZeroDivisionError" not in body and "error id" not in body
        assert answers(store, ANNOTATOR, "demo", first, round=1) == {}
    store.dispose()


def test_a_store_that_is_not_sqlite_shows_one_line_and_no_traceback(tmp_path, browser):
    garbage = tmp_path / "store.db"
    garbage.write_bytes(b"this is not a SQLite database\n" * 100)
    with serve_app(tmp_path, f"sqlite:///{garbage}", tmp_path) as base:
        page = browser.new_context().new_page()
        page.goto(base + "/")
        page.locator('[data-testid="stAlert"]').first.wait_for()
        idle(page)
        page.screenshot(path=str(tmp_path / "not_sqlite.png"), full_page=True)
        body = shown(page)
        assert "Traceback" not in body and ".py" not in body and 'File "' not in body, body
        assert page.locator('[data-testid="stAlert"]').count() == 1 and page.get_by_label("User name").count() == 0
