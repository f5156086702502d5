"""The clip route in a real Chromium: an object's clip crosses the wire once.

ann1 opens the first instance of the demo queue: its player asks the clip route for the first
frame, then for all frames in one request, and plays. Next (ArrowRight) shows the next RE of the
same object: its player asks for the same addresses, and the browser answers them from its
cache, so no byte of a frame comes over the network again (counted from Chromium's network
events, as benchmarks/bench_next_instance_browser.py does). No clip address carries the
session token, and another browser, not logged in, is refused the frames (401).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app, wait_until
from helpers.demo import build_demo

from refcat.annotate.labels import queue
from refcat.store.database import open_store

WAIT_MS = 60_000  # the shared test machine can be slow to draw the first page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]

# The state of the player of instance `key`: null until its first frame is shown.
PLAYER = """(key) => {
  const docs = [document];  // the desk's player is in the page; an inline frame's, in its document
  for (const f of document.querySelectorAll('iframe')) {
    try { docs.push(f.contentDocument); } catch (e) { continue; }
  }
  for (const d of docs) {
    const p = d && d.getElementById('player');
    if (p && p.dataset.key === key) {
      const img = d.getElementById('frame');
      if (!img.complete || img.naturalWidth === 0) return null;
      return {label: d.getElementById('label').textContent, src: img.getAttribute('src')};
    }
  }
  return null;
}"""


class ClipRequests:
    """The clip route's requests of one page, from CDP network events: url -> bytes over the wire, cached."""

    def __init__(self, cdp) -> None:
        self.urls: dict[str, str] = {}  # request id -> url
        self.done: list[tuple[str, int, bool]] = []  # (url, encoded bytes, served from the cache)
        self.cached: set[str] = set()
        cdp.on("Network.requestWillBeSent", self.sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", self.response)
        cdp.on("Network.loadingFinished", self.finished)

    def sent(self, event: dict) -> None:
        if "/refcat-clip/" in event["request"]["url"]:
            self.urls[event["requestId"]] = event["request"]["url"]

    def response(self, event: dict) -> None:
        if event["requestId"] in self.urls and event["response"].get("fromDiskCache"):
            self.cached.add(event["requestId"])

    def finished(self, event: dict) -> None:
        rid = event["requestId"]
        if rid in self.urls:
            self.done.append((self.urls[rid], int(event.get("encodedDataLength") or 0), rid in self.cached))

    def names(self, since: int = 0) -> list[str]:
        return sorted(url.rsplit("/", 1)[1] for url, _, _ in self.done[since:])


def test_the_next_re_of_an_object_takes_its_clip_from_the_browser_cache(tmp_path):
    from playwright.sync_api import sync_playwright

    url, data = build_demo(tmp_path)
    store = open_store(url)
    first, second = [item.instance_key for item in queue(store, "ann1", "demo")][:2]
    store.dispose()
    assert first.rsplit("/", 1)[0] == second.rsplit("/", 1)[0]  # two REs of one object

    with serve_app(tmp_path, url, data) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            clips = ClipRequests(cdp)
            cdp.send("Network.enable")
            page.goto(base + "/")
            page.get_by_label("User name").fill("ann1")
            page.get_by_label("Password", exact=True).fill("ann1")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_function(PLAYER, arg=first, timeout=WAIT_MS)
            wait_until(page, lambda: clips.names() == ["0.jpg", "frames"], "the first frame, then all frames")
            # it plays: frames past the first are shown (from the bundle's blob URLs)
            page.wait_for_function(
                f"(key) => {{ const s = ({PLAYER})(key); return !!s && !s.label.startsWith('frame 1/'); }}",
                arg=first,
                timeout=WAIT_MS,
            )
            assert all(size > 6 * 1000 and not cached for _, size, cached in clips.done)  # 6 frames, 320x180
            (token,) = [c["value"] for c in context.cookies() if c["name"] == "refcat_session"]
            fetched = [u for u, _, _ in clips.done]

            before = len(clips.done)
            page.wait_for_timeout(500)  # the page's key listener is wired
            page.keyboard.press("ArrowRight")
            page.wait_for_function(PLAYER, arg=second, timeout=WAIT_MS)
            wait_until(page, lambda: len(clips.done) > before, "the second player's requests")
            page.wait_for_timeout(500)
            again = clips.done[before:]  # its first frame may come from the page's memory, never on the wire
            assert {u for u, _, _ in again} <= set(fetched)  # the same addresses
            assert [(size, cached) for _, size, cached in again] == [(0, True)] * len(again)

            assert not [u for u in fetched if token in u]
            fresh = browser.new_context()
            refused = fresh.request.get(fetched[0])
            assert refused.status == 401 and refused.text() == "refused: not logged in"
            assert "no-store" in refused.headers["cache-control"]
        finally:
            browser.close()
