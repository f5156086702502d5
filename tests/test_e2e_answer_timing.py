"""Quick key presses in a real Chromium: every answer is filed on the instance that was shown
when its key was pressed, or refused; answers are filed in press order; Undo takes back the
last one.

Each trial loads the Annotate page (a new tab session) and presses a burst of keys: scheduled in
the page 0, 2, 5 or 10 ms apart (each press its own browser task, so the page draws and talks to
the server in between), and pressed by Playwright's keyboard (real key events, as fast as the
driver goes). A listener the test puts on the page records, for every key as it is pressed, the
instance named in the page's caption (what the annotator sees). Once the app has handled the
burst, the events it wrote are read from the store and checked against those records. Presses
made while the page still showed the instance it was leaving carry that instance and are
refused (the page had moved on); which ones depends on timing, so the test checks the rule, and
that the answers pressed on the page as loaded are all filed. TRIALS trials per timing; the
summaries (filed and refused presses, measured gaps) are printed (pytest -s). The annotator's
auto-advance is off here (the bursts check where presses land while the page moves only by Next);
with it on, test_e2e_auto_advance.py.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app
from helpers.demo import build_demo
from helpers.queue_page import PRESS_IN_PAGE, log_in, open_at, settled
from sqlalchemy import select

from refcat.annotate.labels import queue, record_answer
from refcat.annotate.settings import set_auto_advance
from refcat.annotate.ui.shortcuts import ANSWER_KEYS, button_class
from refcat.store.database import open_store
from refcat.store.schema import InstanceRow, LabelEventRow

WAIT_S = 20
# (gap between presses in ms, pressed by Playwright's keyboard): scheduled in the page at exact gaps, and the
# real key events of the driver as fast as it goes. At 300 ms the page has often drawn the next instance
# before the answers after Next are pressed: those are filed there.
TIMINGS = [(0, False), (2, False), (5, False), (10, False), (300, False), (0, True)]
TIMING_IDS = ["0ms", "2ms", "5ms", "10ms", "300ms", "keyboard"]
TRIALS = 5
# Across Next: two answers on each of three instances, then two on the fourth and Undo. Each answer key
# is used once, so a stored answer names the press it came from.
ACROSS = ["3", "a", "ArrowRight", "4", "Shift+L", "ArrowRight", "6", "m", "ArrowRight", "Shift+O", "s", "u"]
# On one instance: quick answers, then Undo.
IN_PLACE = ["5", "t", "Shift+N", "7", "u"]
# Playwright's key name -> (field, value) ("a" is the key A; "Shift+L" is Shift with L).
ANSWER_OF = {key.lower() if len(key) == 1 else key: fv for fv, key in ANSWER_KEYS.items()}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]

# Put on every page of the context before the app's scripts: records what the caption shows at each key
# press and click (the desk's caption, or Streamlit's where frames are inline; and whether the app's key
# listener was mounted then).
RECORD_PRESSES = """
window.__pressed = [];
const record = (e) => {
  if (e.type === "keydown" && ["Shift", "Control", "Alt", "Meta"].includes(e.key)) return;
  const caption = [...document.querySelectorAll('.refcat-desk-caption, [data-testid="stCaptionContainer"]')]
    .map((c) => c.innerText).find((t) => t.startsWith("demo · "));
  window.__pressed.push({ shown: caption ? caption.slice("demo · ".length).trim() : null, t: performance.now(),
                          mounted: !!globalThis.__refcatPresses?.live });
};
window.addEventListener("keydown", record, true);
window.addEventListener("click", record, true);
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timing")
    url, data = build_demo(folder, n_videos=3, frames=4)
    store = open_store(url)
    set_auto_advance(store, "ann1", False)
    with serve_app(folder, url, data) as base:
        yield base, store
    store.dispose()


@pytest.fixture(scope="module")
def browser(app):
    from playwright.sync_api import sync_playwright

    base, _ = app
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(RECORD_PRESSES)
        page = context.new_page()
        log_in(page, base, "ann1")
        yield page
        chromium.close()


def wait_until(page, check, what: str):
    deadline = time.monotonic() + WAIT_S
    while not (value := check()):
        if time.monotonic() > deadline:
            state = page.evaluate(
                "() => { const s = globalThis.__refcatPresses; return s && JSON.stringify({pending: s.pending,"
                " seq: s.seq, sent: s.sent, live: s.live && s.live.data.instance, parked: !!s.parked}); }"
            )
            raise AssertionError(f"timed out waiting for {what}; key listener: {state}")
        page.wait_for_timeout(50)
    return value


def idle(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=WAIT_S * 1000,
    )


def last_event_id(store) -> int:
    with store.session() as session:
        return session.scalar(select(LabelEventRow.id).order_by(LabelEventRow.id.desc()).limit(1)) or 0


def events_after(store, event_id: int) -> list[dict]:
    columns = (LabelEventRow.id, LabelEventRow.kind, InstanceRow.key, LabelEventRow.field, LabelEventRow.value)
    columns += (LabelEventRow.retracts, LabelEventRow.client, LabelEventRow.client_seq)
    with store.session() as session:
        rows = session.execute(
            select(*columns)
            .join(InstanceRow, LabelEventRow.instance_pk == InstanceRow.id)
            .where(LabelEventRow.id > event_id)
            .order_by(LabelEventRow.id)
        )
        names = ("id", "kind", "instance", "field", "value", "retracts", "client", "client_seq")
        return [dict(zip(names, row, strict=True)) for row in rows]


def burst(page, keys: list[str], gap_ms: int, driver: bool = False) -> list[dict]:
    """Press `keys` `gap_ms` apart; returns what the page showed at each press. With `driver`, Playwright's
    keyboard presses them (real key events, as fast as the driver goes: a few ms or more apart)."""
    page.evaluate("() => { window.__pressed = []; }")
    if driver:
        for key in keys:
            page.keyboard.press(key)
    else:
        page.evaluate(PRESS_IN_PAGE, [keys, gap_ms])
    wait_until(page, lambda: settled(page), "the burst to be handled")
    pressed = page.evaluate("() => window.__pressed")
    assert len(pressed) == len(keys), pressed
    return [{**record, "key": key} for record, key in zip(pressed, keys, strict=True)]


def check_burst(store, pressed: list[dict], before: int) -> dict:
    """Check the events written after event `before` against the presses; returns a summary."""
    events = events_after(store, before)
    answers = [e for e in events if e["kind"] == "answer"]
    undos = [e for e in events if e["kind"] == "undo"]
    by_answer = {ANSWER_OF[p["key"]]: (i, p) for i, p in enumerate(pressed) if p["key"] in ANSWER_OF}
    filed = []
    for event in answers:
        index, press = by_answer[(event["field"], event["value"])]  # an answer nobody pressed fails here
        assert event["instance"] == press["shown"], (event, press)  # on the instance shown at the press
        assert event["client"] and event["client_seq"] is not None
        filed.append(index)
    assert filed == sorted(filed), "answers stored out of press order"
    pressed_events = answers + undos  # other kinds (e.g. a "view" of an instance) carry no press number
    seqs = [e["client_seq"] for e in sorted(pressed_events, key=lambda e: e["id"])]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len({e["client"] for e in pressed_events}) <= 1
    # Undo (the burst's last key) took back the last answer filed before it.
    assert pressed[-1]["key"] == "u" and len(undos) == 1 and answers, events
    assert undos[0]["retracts"] == answers[-1]["id"]
    gaps = [round(b["t"] - a["t"], 1) for a, b in itertools.pairwise(pressed)]
    unmounted = [i for i, p in enumerate(pressed) if not p["mounted"]]
    refused = [i for i, _ in by_answer.values() if i not in filed]
    return {"filed": filed, "refused": refused, "unmounted": unmounted, "gaps_ms": gaps}


@pytest.mark.parametrize(("gap_ms", "driver"), TIMINGS, ids=TIMING_IDS)
def test_quick_presses_across_next_land_where_they_were_pressed(app, browser, gap_ms, driver):
    base, store = app
    keys = [item.instance_key for item in queue(store, "ann1", "demo")]
    for trial in range(TRIALS):
        start = keys[(4 * trial + 8 * TIMINGS.index((gap_ms, driver))) % (len(keys) - 4)]
        open_at(browser, base, start)
        before = last_event_id(store)
        pressed = burst(browser, ACROSS, gap_ms, driver)
        summary = check_burst(store, pressed, before)
        # The first two answers are pressed on the page as loaded: both are filed.
        assert pressed[0]["shown"] == start and summary["filed"][:2] == [0, 1], summary
        # Once the page has settled, the same tab's next answer is filed where it now is.
        follow = burst(browser, ["Shift+T"], 0)[0]
        event = events_after(store, before)[-1]
        assert (event["kind"], event["instance"], event["field"], event["value"]) == (
            "answer",
            follow["shown"],
            "obj-static",
            "no",
        )
        assert event["client_seq"] == len(ACROSS) + 1
        print(f"across Next, {TIMING_IDS[TIMINGS.index((gap_ms, driver))]}, trial {trial + 1}: {summary}")


@pytest.mark.parametrize(("gap_ms", "driver"), TIMINGS, ids=TIMING_IDS)
def test_undo_after_quick_presses_takes_back_the_last_one(app, browser, gap_ms, driver):
    base, store = app
    keys = [item.instance_key for item in queue(store, "ann1", "demo")]
    for trial in range(TRIALS):
        start = keys[-1 - trial - TRIALS * TIMINGS.index((gap_ms, driver))]
        open_at(browser, base, start)
        before = last_event_id(store)
        pressed = burst(browser, IN_PLACE, gap_ms, driver)
        summary = check_burst(store, pressed, before)
        assert summary["filed"] == [0, 1, 2, 3], summary  # the page never moved: every answer is filed
        undone = events_after(store, before)[-1]
        assert (undone["kind"], undone["field"], undone["value"]) == ("undo", "information", "minimal")
        print(f"in place, {TIMING_IDS[TIMINGS.index((gap_ms, driver))]}, trial {trial + 1}: {summary}")


# The buttons clicked, by the keys that make the same press (so check_burst reads them alike).
BUTTONS = {
    "3": "answer:correctness:valid",
    "4": "answer:correctness:no-re",
    "a": "answer:appearance:yes",
    "Shift+L": "answer:location:no",
    "ArrowRight": "nav:next",
    "u": "nav:undo",
}


def click_burst(page, keys: list[str], gap_ms: int) -> list[dict]:
    """Click, with the mouse, the buttons that make the presses of `keys`, about `gap_ms` apart (at the
    places the buttons had before the first click: after Next, the next instance's buttons are there)."""
    boxes = {}
    for key in dict.fromkeys(keys):
        box = page.locator(f".{button_class(BUTTONS[key])} button").bounding_box()
        boxes[key] = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate("() => { window.__pressed = []; }")
    for index, key in enumerate(keys):
        if index and gap_ms:
            time.sleep(gap_ms / 1000)
        page.mouse.click(*boxes[key])
    wait_until(page, lambda: settled(page), "the clicks to be handled")
    pressed = page.evaluate("() => window.__pressed")
    assert len(pressed) == len(keys), pressed
    return [{**record, "key": key} for record, key in zip(pressed, keys, strict=True)]


@pytest.mark.parametrize("gap_ms", [0, 10])
def test_quick_clicks_go_in_order_with_the_keys(app, browser, gap_ms):
    """Clicks on the answer buttons, Next and Undo are presses like the keys: numbered, on the instance shown."""
    base, store = app
    keys = [item.instance_key for item in queue(store, "ann1", "demo")]
    for trial in range(TRIALS):
        # The buttons are found before the first click: the categories must be asked on the instance
        # shown, so an earlier burst's "no RE" there (which skips them) is answered over first.
        record_answer(store, "ann1", "demo", keys[10 + trial], "correctness", "valid")
        open_at(browser, base, keys[10 + trial])
        before = last_event_id(store)
        pressed = click_burst(browser, ["3", "a", "ArrowRight", "4", "Shift+L", "u"], gap_ms)
        summary = check_burst(store, pressed, before)
        assert summary["filed"][:2] == [0, 1], summary
        print(f"clicks across Next, {gap_ms} ms, trial {trial + 1}: {summary}")
