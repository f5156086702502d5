"""The annotator's loop in a real Chromium, keyboard only, with auto-advance on (the default):
a valid instance takes 10 keys and a "no RE" 2, and the key that completes an instance opens the
next one; keys pressed before the page showed it do not land there; every key the `?` overlay
lists is routed by the page's key listener: the flag keys (F, W) and the player keys (Space,
`,`, `.`, `<`, `>`) each act once; the desk shows the next instance at once and files what is pressed
there on it. Screenshots go to the test's tmp folder (`screens/`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app, wait_until
from helpers.browser import VALID, VALID_KEYS, press_each
from helpers.demo import build_demo
from helpers.queue_page import CAMPAIGN, PRESS_IN_PAGE, caption, log_in, open_at, settled

from refcat.annotate.campaigns import close_round, reopen_round
from refcat.annotate.export import time_on_item_table
from refcat.annotate.labels import answers, events_table, instance_flags, instance_text, questions_for, queue
from refcat.annotate.settings import auto_advance
from refcat.annotate.ui.shortcuts import button_class
from refcat.store.database import open_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("advance")
    url, data = build_demo(folder, n_videos=3, frames=6)
    store = open_store(url)
    with serve_app(folder, url, data) as base:
        yield base, store, folder
    store.dispose()


@pytest.fixture(scope="module")
def page(app):
    from playwright.sync_api import sync_playwright

    base, _, _ = app
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        log_in(page, base, "ann1")
        yield page
        chromium.close()


@pytest.fixture(scope="module")
def screens(app):
    folder = app[2] / "screens"
    folder.mkdir(exist_ok=True)
    return folder


def asked_everything(store) -> list[str]:
    """ann1's instances where all 10 questions are asked (difficulty too), in queue order."""
    keys = [item.instance_key for item in queue(store, "ann1", CAMPAIGN)]
    return [key for key in keys if len(questions_for(store, CAMPAIGN, key)) == 10]


def run_of_three(store) -> list[str]:
    """Three consecutive instances of ann1's queue that ask every question, none answered yet."""
    keys = [item.instance_key for item in queue(store, "ann1", CAMPAIGN)]
    fresh = {key for key in asked_everything(store) if not answers(store, "ann1", CAMPAIGN, key)}
    start = next(i for i in range(len(keys) - 2) if set(keys[i : i + 3]) <= fresh)
    return keys[start : start + 3]


def test_a_valid_instance_takes_10_keys_a_no_re_2_and_the_next_opens_by_itself(app, page, screens):
    base, store, _ = app
    assert auto_advance(store, "ann1")
    first, second, third = run_of_three(store)
    open_at(page, base, first)
    press_each(page, VALID_KEYS[:9])
    assert caption(page) == first  # one question left
    press_each(page, VALID_KEYS[9:])
    wait_until(page, lambda: caption(page) == second, "the next instance after the 10th key")
    assert answers(store, "ann1", CAMPAIGN, first) == VALID
    page.get_by_text("Correctness").first.wait_for()
    page.screenshot(path=str(screens / "01_advanced_after_10_keys.png"), full_page=True)

    press_each(page, ["2", "4"])  # non-trivial, no RE
    wait_until(page, lambda: caption(page) == third, "the next instance after a no RE")
    assert answers(store, "ann1", CAMPAIGN, second) == {"difficulty": "non-trivial", "correctness": "no-re"}


def test_keys_pressed_before_the_next_instance_showed_do_not_land_on_it(app, page, screens):
    """The 10th answer, Next and an answer in one go (before the page is drawn again): the page shows
    the next instance (Next did not skip it), and the answer is refused there."""
    base, store, _ = app
    first, second, _ = run_of_three(store)
    open_at(page, base, first)
    press_each(page, VALID_KEYS[:9])
    page.evaluate(PRESS_IN_PAGE, [["7", "ArrowRight", "Shift+A"], 0])
    wait_until(page, lambda: settled(page) and caption(page) == second, "the page on the next instance")
    assert answers(store, "ann1", CAMPAIGN, first) == VALID  # appearance still yes
    assert answers(store, "ann1", CAMPAIGN, second) == {}
    page.get_by_text("the page had moved on by itself").wait_for()
    page.get_by_text("an answer pressed before the page showed").wait_for()
    page.screenshot(path=str(screens / "02_late_presses_refused.png"), full_page=True)


def player_state(page) -> tuple[str, int, str]:
    """(play button's text, frame shown (0-based), speed) of the page's player."""
    return (  # the desk's player, in the page (refcat.annotate.ui.desk)
        page.locator("#play").inner_text(),
        int(page.locator("#scrub").input_value()),
        page.locator("#speed").input_value(),
    )


def test_the_flag_and_player_keys_act_once_through_the_listener(app, page, screens):
    base, store, _ = app
    key = asked_everything(store)[-1]
    open_at(page, base, key)
    page.locator("#play").wait_for()

    # An answer clicked with the mouse: its button keeps the focus, and Space must not press it again.
    page.locator(f".{button_class('answer:correctness:valid')} button").click()
    wait_until(page, lambda: answers(store, "ann1", CAMPAIGN, key) == {"correctness": "valid"}, "the click's answer")
    wait_until(page, lambda: settled(page), "the page drawn again")

    # Player: it plays on load; Space pauses (twice would leave it playing).
    assert player_state(page)[0] == "Pause"
    page.keyboard.press("Space")
    wait_until(page, lambda: player_state(page)[0] == "Play", "the player paused")
    for _ in range(6):
        page.keyboard.press(",")
    wait_until(page, lambda: player_state(page)[1] == 0, "the first frame")
    page.keyboard.press(".")
    wait_until(page, lambda: player_state(page)[1] == 1, "one frame forward")
    page.keyboard.press(".")
    page.keyboard.press(",")
    page.wait_for_timeout(200)
    assert player_state(page) == ("Play", 1, "1")  # one step each, paused
    page.keyboard.press(">")
    wait_until(page, lambda: player_state(page)[2] == "2", "faster")
    page.keyboard.press("<")
    page.wait_for_timeout(200)
    assert player_state(page)[2] == "1"  # one step (twice would be 0.5)
    page.keyboard.press("<")
    wait_until(page, lambda: player_state(page)[2] == "0.5", "slower")
    wait_until(page, lambda: settled(page), "the page drawn again")
    answered = events_table(store, CAMPAIGN).query("annotator == 'ann1' and instance == @key")
    assert answered["kind"].tolist() == ["answer"]  # the click's: no player key answered or pressed a button

    # Flags: F turns "Unsure" on, and off again; each press is one change.
    page.keyboard.press("f")
    wait_until(page, lambda: instance_flags(store, "ann1", CAMPAIGN, key).unsure, "unsure on")
    wait_until(page, lambda: settled(page), "the page drawn again")
    page.keyboard.press("f")
    wait_until(page, lambda: not instance_flags(store, "ann1", CAMPAIGN, key).unsure, "unsure off")
    mine = events_table(store, CAMPAIGN).query("annotator == 'ann1' and instance == @key")
    assert mine["kind"].tolist() == ["answer", "unsure", "undo"]

    # W puts the cursor in the comment box (the W itself is not typed); Ctrl+Enter adds the comment.
    wait_until(page, lambda: settled(page), "the page drawn again")
    page.keyboard.press("w")
    assert page.evaluate("() => document.activeElement?.tagName") == "TEXTAREA"
    page.keyboard.type("box is late")
    page.keyboard.press("Control+Enter")
    wait_until(
        page,
        lambda: instance_flags(store, "ann1", CAMPAIGN, key).comments == ("box is late",),
        "the comment stored",
    )
    assert answers(store, "ann1", CAMPAIGN, key) == {"correctness": "valid"}  # typing answered nothing

    # Esc leaves the comment box, so that the next key is the page's again; the comment not added holds the
    # first press (moving on would drop it), and says so.
    wait_until(page, lambda: settled(page), "the page drawn again")
    page.keyboard.press("w")
    page.keyboard.type("draft")
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement?.tagName") != "TEXTAREA"
    page.keyboard.press("ArrowLeft")
    page.locator(".refcat-unsent").wait_for()
    page.wait_for_timeout(300)
    assert caption(page) == key and "not added yet" in page.locator(".refcat-unsent").inner_text()
    page.keyboard.press("ArrowLeft")  # again: on without it
    wait_until(page, lambda: settled(page) and caption(page) != key, "the instance before")
    page.keyboard.press("ArrowRight")
    wait_until(page, lambda: settled(page) and caption(page) == key, "back")
    assert instance_flags(store, "ann1", CAMPAIGN, key).comments == ("box is late",)

    # The ? overlay lists these keys.
    wait_until(page, lambda: settled(page), "the page drawn again")
    page.keyboard.press("?")
    overlay = page.locator(".refcat-help")
    overlay.wait_for()
    text = overlay.inner_text()
    for listed in ("Space", "F", "W", "<", ">", 'Turn "Unsure" on or off', "Play or pause the clip"):
        assert listed in text
    page.screenshot(path=str(screens / "03_overlay.png"))
    page.keyboard.press("Escape")
    overlay.wait_for(state="hidden")

    # The speed chosen (0.5x) stays for the next clip, also in a desk drawn anew (as Streamlit does when it
    # mounts the page's elements again, e.g. at the first Next after logging in): its player is new markup.
    wait_until(page, lambda: settled(page), "the page drawn again")
    page.evaluate("() => document.querySelector('.refcat-desk').remove()")
    page.keyboard.press("ArrowLeft")
    wait_until(page, lambda: settled(page) and caption(page) != key, "the instance before")
    assert player_state(page)[2] == "0.5"


# True once the desk has the next instance (its clip built) in its window.
NEXT_READY = "() => { const w = globalThis.__refcatDesk?.window; return !!w && !!w.next && w.next.ready !== false; }"
# Presses `keys` in one go and reads, before the browser can hear from the server, what the desk shows.
PRESS_AND_READ = """(keys) => {
  const fire = (key) => {
    const code = /^[0-9]$/.test(key) ? "Digit" + key : /^[a-z]$/i.test(key) ? "Key" + key.toUpperCase() : key;
    for (const type of ["keydown", "keyup"]) {
      document.body.dispatchEvent(new KeyboardEvent(type, { key, code, bubbles: true, cancelable: true }));
    }
  };
  keys.forEach(fire);
  return [document.querySelector(".refcat-re").textContent, document.body.classList.contains("refcat-moving")];
}"""


def test_the_desk_shows_the_next_re_at_once_and_files_what_is_pressed_there(app, page, screens):
    """Next shows the next instance's RE in the same task as the key press (the desk's window,
    refcat.annotate.ui.desk), with the answer panel dimmed until the server has drawn it; an answer
    pressed then is filed on the instance shown, and the flag key, whose panel is still the instance's
    before, waits for the server to draw the flag panel of the instance shown and flags that one. The
    instance's time on item starts when the desk showed it (the press), before that answer, which the
    server filed before it drew the page and the flag panel recorded the view."""
    base, store, _ = app
    first, second, third = run_of_three(store)
    open_at(page, base, first)
    wait_until(page, lambda: page.evaluate(NEXT_READY), "the next instance in the desk's window")
    text, dimmed = page.evaluate(PRESS_AND_READ, ["ArrowRight", "f", "3"])
    assert text == f"\u201c{instance_text(store, second)}\u201d" and dimmed
    wait_until(page, lambda: settled(page) and caption(page) == second, "the server's page on the next instance")
    assert answers(store, "ann1", CAMPAIGN, second) == {"correctness": "valid"}
    assert answers(store, "ann1", CAMPAIGN, first) == {}
    wait_until(page, lambda: instance_flags(store, "ann1", CAMPAIGN, second).unsure, "the flag on the instance shown")
    assert not instance_flags(store, "ann1", CAMPAIGN, first).unsure
    times = time_on_item_table(store, CAMPAIGN).query("instance == @second and annotator == 'ann1'")
    events = events_table(store, CAMPAIGN).query("instance == @second and annotator == 'ann1' and kind == 'answer'")
    assert times["start"].item() < pd.to_datetime(events["time"], utc=True).min()
    page.screenshot(path=str(screens / "04_desk_after_next.png"), full_page=True)

    # The answer that completes the instance opens the next one at once too (the desk's rule is the server's);
    # F right after it (within the grace) was meant for the instance before: its flag is taken off again.
    press_each(page, [k for k in VALID_KEYS[:9] if k != "3"])
    wait_until(page, lambda: page.evaluate(NEXT_READY), "the next instance in the desk's window")
    text, dimmed = page.evaluate(PRESS_AND_READ, [VALID_KEYS[9], "f"])
    assert text == f"\u201c{instance_text(store, third)}\u201d" and dimmed
    wait_until(page, lambda: settled(page) and caption(page) == third, "the server's page on the instance after")
    assert answers(store, "ann1", CAMPAIGN, second) == VALID
    wait_until(page, lambda: not instance_flags(store, "ann1", CAMPAIGN, second).unsure, "the flag taken off")
    assert not instance_flags(store, "ann1", CAMPAIGN, third).unsure


DESK_TOP = "() => document.querySelector('.refcat-desk').getBoundingClientRect().top"


def test_moving_brings_the_re_back_into_view_from_the_comment_box(app, page, screens):
    """On a short screen W scrolls the page down to the comment box, away from the RE; Next shows the next
    RE in view again."""
    base, store, _ = app
    first, second, _ = run_of_three(store)
    page.set_viewport_size({"width": 1400, "height": 450})
    try:
        open_at(page, base, first)
        wait_until(page, lambda: page.evaluate(NEXT_READY), "the next instance in the desk's window")
        page.keyboard.press("w")
        page.keyboard.press("Escape")
        wait_until(page, lambda: page.evaluate(DESK_TOP) < 0, "the page scrolled to the comment box")
        page.keyboard.press("ArrowRight")
        wait_until(page, lambda: caption(page) == second, "the next instance")
        assert 0 <= page.evaluate(DESK_TOP) < 450
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_an_answer_the_server_refuses_brings_the_desk_back(app, page, screens):
    """The desk foresees the advance of a completing answer; the server refuses it (the round closed
    meanwhile), and once it has handled the press the desk shows the instance the server shows again."""
    base, store, _ = app
    first, second, _ = run_of_three(store)
    open_at(page, base, first)
    press_each(page, VALID_KEYS[:9])
    wait_until(page, lambda: page.evaluate(NEXT_READY), "the next instance in the desk's window")
    close_round(store, CAMPAIGN, "admin")
    try:
        text, dimmed = page.evaluate(PRESS_AND_READ, [VALID_KEYS[9]])
        assert text == f"\u201c{instance_text(store, second)}\u201d" and dimmed  # foreseen
        wait_until(page, lambda: settled(page) and caption(page) == first, "the desk back on the server's instance")
        assert "information" not in answers(store, "ann1", CAMPAIGN, first)
        page.get_by_text("Refused").first.wait_for()
        page.screenshot(path=str(screens / "05_refused_answer_desk_back.png"), full_page=True)
    finally:
        reopen_round(store, CAMPAIGN, "admin")
