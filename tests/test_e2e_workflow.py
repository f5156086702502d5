"""One session of an annotation team in a real Chromium, on the demo store (24 instances, annotators
ann1, ann2, ann3, each labelling every instance): the annotator's loop and the lead's round control,
quality view, adjudication and consensus export, checked against figures worked out by hand below.

ann2 and ann3 labelled earlier (their answers, and ann1's on I5 and I6, are put in the store
before the app starts); ann1 works in the browser, keyboard only: reads the Guidelines, answers
I1 (valid, 10 keys: the next instance opens by itself), I2 and I3 ("no RE", 2 keys each: the
category questions are skipped), and on I4 marks "Unsure" and writes a comment, answering nothing.
Then the admin closes the blind round (the confirmation states the incomplete work), reopens it,
closes it again, reads the quality view, adjudicates and downloads the consensus.

Instances (queue order): I1..I4 are dog-walk/1/{annot1, annot1_full_video, annot2,
annot2_full_video}, I5 and I6 dog-walk/3/{annot2, annot2_full_video} (one text, two sources).
V: valid, with helpers.browser's VALID answers to every question; R: "no RE" (difficulty
non-trivial, nothing else).

    correctness   I1 I2 I3 I4 I5 I6
    ann1          V  R  R  -  V  V      (in the browser, but I5 and I6)
    ann2          V  R  V  V  V  V
    ann3          V  R  V  R  V  V

Round control: complete queue items are ann1's I1 I2 I3 I5 I6, the others' I1..I6: 19 + 18 + 18 = 55
of 72 are incomplete.

Quality (refcat.annotate.quality's conventions): answers given are ann1 3 x 10 + 2 x 2 = 34, ann2
5 x 10 + 2 = 52, ann3 4 x 10 + 2 x 2 = 44; instances answered 5, 6, 6; flags (unsure, comment): 2, 0, 0.
Cohen's kappa on correctness against the others' majority (the label both others gave), (p_o - p_e)
/ (1 - p_e):
- ann1: I1 (V,V) I2 (R,R) I3 (R,V) I5 (V,V) I6 (V,V), n 5; p_o 4/5, p_e 3/5 * 4/5 + 2/5 * 1/5 = 14/25,
  kappa (20 - 14) / (25 - 14) = 6/11 = 0.545.
- ann2: the others disagree on I3 and only ann3 answered I4: I1 I2 I5 I6 all agree, n 4, kappa 1.
- ann3: likewise (ann1 silent on I4), n 4, kappa 1.

Adjudication: the cases are I3 correctness (R V V, majority valid) and I4 correctness (V R, a tie).
The admin sets I3 to valid with a reason; I4 then shows, with an empty reason box, and stays a tie.

Consensus (revision round open): I1 I2 I3 I5 I6 in the file (5 rows; I1 and I2, I5 and I6 share
their text and are told apart by `source`); left out 19: I4 ("tie", ann2=valid; ann3=no-re) and the
18 instances nobody answered ("too few answers": in revision no answer can come for them).

Screenshots of each step go to the test's tmp folder (`screens/`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers.app_server import CHROMIUM, CHROMIUM_ARGS, serve_app, wait_until
from helpers.browser import (
    VALID,
    VALID_KEYS,
    allow_grid_downloads,
    grid_table,
    idle,
    log_in_form,
    press_each,
    shot,
    shots_on_failure,
)
from helpers.demo import build_demo
from helpers.queue_page import CAMPAIGN, caption, open_at

from refcat.annotate.campaigns import get_campaign, round_history
from refcat.annotate.labels import answers, final_labels, instance_flags, queue, record_answer
from refcat.annotate.settings import auto_advance
from refcat.annotate.ui.shortcuts import answer_button_key, button_class
from refcat.store.database import open_store
from refcat.taxonomy import FIELD_VALUES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make chromium)"),
]

I1, I2, I3, I4 = (
    f"demo/dog-walk/1/{source}" for source in ("annot1", "annot1_full_video", "annot2", "annot2_full_video")
)
I5, I6 = "demo/dog-walk/3/annot2", "demo/dog-walk/3/annot2_full_video"
NO_RE_KEYS = ["2", "4"]
NO_RE = {"difficulty": "non-trivial", "correctness": "no-re"}
EARLIER = {  # given before the session (module doc)
    "ann1": {I5: VALID, I6: VALID},
    "ann2": {I1: VALID, I2: NO_RE, I3: VALID, I4: VALID, I5: VALID, I6: VALID},
    "ann3": {I1: VALID, I2: NO_RE, I3: VALID, I4: NO_RE, I5: VALID, I6: VALID},
}
COMMENT = "the box starts on the dog, not the person"
REASON = "the white shirt and the left side single out the person"
WAIT_MS = 60_000  # the shared test machine can be slow to draw the first page


def asked_on_page(page) -> list[str]:
    """The questions the Annotate page shows buttons for, in VALID's order."""
    return [
        field
        for field in VALID
        if page.locator("." + button_class(answer_button_key("answer", field, FIELD_VALUES[field][0]))).count()
    ]


def progress_tab(page) -> None:
    """Show the Admin page's "Progress and rounds" tab once the app's run has finished (a run that
    puts a message above the tabs shows the first tab again)."""
    idle(page)
    page.get_by_role("tab", name="Progress and rounds").click()


def majority_line(page) -> str:
    """The adjudication page's line with the case's majority and the vote's status, spaces normalised."""
    line = page.locator('[data-testid="stMarkdownContainer"]', has_text="Majority:").last.inner_text()
    return " ".join(line.split())


def test_a_team_labels_closes_reviews_adjudicates_and_exports(tmp_path):
    from playwright.sync_api import sync_playwright

    url, data = build_demo(tmp_path, n_videos=2, frames=6)
    store = open_store(url)
    for name, given in EARLIER.items():
        for key, values in given.items():
            for field, value in values.items():
                record_answer(store, name, CAMPAIGN, key, field, value)
    everything = [item.instance_key for item in queue(store, "ann1", CAMPAIGN)]  # the blind round's queue
    assert len(everything) == 24 and everything[:4] == [I1, I2, I3, I4] and {I5, I6} <= set(everything)
    screens = tmp_path / "screens"
    screens.mkdir()
    try:
        with serve_app(tmp_path, url, data) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = {}
            try:
                for name in ("ann1", "admin"):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
                    allow_grid_downloads(context)
                    pages[name] = context.new_page()
                with shots_on_failure(pages, screens):
                    _annotator(base, store, screens, pages["ann1"])
                    _lead(base, store, screens, pages["admin"], everything)
            finally:
                browser.close()
    finally:
        store.dispose()


def _annotator(base: str, store, screens: Path, page) -> None:
    """ann1: the Guidelines, then I1..I4 with the keyboard (module doc)."""
    log_in_form(page, base, "ann1")
    page.get_by_text("Correctness").first.wait_for(timeout=WAIT_MS)

    page.goto(base + "/guidelines")
    page.get_by_role("heading", name="Guidelines").wait_for(timeout=WAIT_MS)
    for heading in ("The questions", "Semantic categories (Table 1)", "Decisions for ambiguous cases"):
        page.get_by_role("heading", name=heading).wait_for()
    page.get_by_text("Does the RE tell you how the referent looks?").wait_for()  # appearance, Table 1
    page.get_by_text("Static, obj-static or obj-motion", exact=True).wait_for()  # a decision's topic
    shot(page, screens, "01_guidelines")

    # Auto-advance is on by default: the 10th answer on I1 opens I2 without Next.
    assert auto_advance(store, "ann1")
    open_at(page, base, I1)
    assert page.get_by_role("switch", name="Next by itself").is_checked()
    assert asked_on_page(page) == list(VALID)
    press_each(page, VALID_KEYS[:9])
    assert caption(page) == I1  # one question left
    press_each(page, VALID_KEYS[9:])
    wait_until(page, lambda: caption(page) == I2, "I2 opened by itself after the 10th answer")
    assert answers(store, "ann1", CAMPAIGN, I1) == VALID
    shot(page, screens, "02_auto_advanced_to_I2")

    # "No RE" skips the category questions: 2 keys complete I2 and open I3.
    press_each(page, NO_RE_KEYS)
    wait_until(page, lambda: caption(page) == I3, "I3 opened by itself after a no RE")
    assert answers(store, "ann1", CAMPAIGN, I2) == NO_RE
    # Complete now: I1, I2 and the earlier I5, I6.
    page.get_by_text("4 of 24 instances complete · showing 3 of 24").wait_for()
    press_each(page, ["ArrowLeft"])
    wait_until(page, lambda: caption(page) == I2, "back on I2")
    assert asked_on_page(page) == ["difficulty", "correctness"]
    shot(page, screens, "03_no_re_skips_the_categories")
    press_each(page, ["ArrowRight"])
    wait_until(page, lambda: caption(page) == I3, "on I3 again")
    press_each(page, NO_RE_KEYS)
    wait_until(page, lambda: caption(page) == I4, "I4 opened by itself")
    assert answers(store, "ann1", CAMPAIGN, I3) == NO_RE

    # I4: "Unsure" (F) and a comment (W, typed, Ctrl+Enter), no answer.
    press_each(page, ["f"])
    wait_until(page, lambda: instance_flags(store, "ann1", CAMPAIGN, I4).unsure, "unsure on I4")
    page.keyboard.press("w")
    wait_until(page, lambda: page.evaluate("() => document.activeElement?.tagName") == "TEXTAREA", "the comment box")
    page.keyboard.type(COMMENT)
    page.keyboard.press("Control+Enter")
    wait_until(page, lambda: instance_flags(store, "ann1", CAMPAIGN, I4).comments == (COMMENT,), "the comment")
    page.get_by_text(f"Your comment: {COMMENT}").wait_for()
    assert page.get_by_role("switch", name="Unsure").is_checked()
    assert answers(store, "ann1", CAMPAIGN, I4) == {} and caption(page) == I4
    shot(page, screens, "04_unsure_and_comment")


def _lead(base: str, store, screens: Path, page, everything: list[str]) -> None:
    """The admin: round control, quality, adjudication, consensus export (module doc); `everything`
    is the campaign's instances."""
    log_in_form(page, base, "admin")
    page.get_by_role("heading", name="Admin").wait_for(timeout=WAIT_MS)

    # Closing states the incomplete work and waits for an explicit confirmation; reopen; close again.
    # (Found also while another tab shows: a run that puts a message above the tabs shows the first.)
    progress_tab(page)
    page.get_by_text(
        "55 queue items are incomplete (ann1: 19, ann2: 18, ann3: 18). Closing now ends this round for them"
    ).wait_for()
    close = page.locator('[data-testid="stButton"] button', has_text="Close round of demo")
    confirm = "I want to close the blind round (opens revision), although 55 queue items are incomplete"
    box = page.locator('[data-testid="stCheckbox"]', has_text=confirm).locator("input")
    assert close.is_disabled() and not box.is_checked()
    page.get_by_text(confirm).click()
    wait_until(page, lambda: close.is_enabled(), "the close button enabled by the confirmation")
    progress_tab(page)
    shot(page, screens, "05_close_confirmation")
    close.click()
    page.get_by_text("demo · revision").wait_for(state="attached")
    progress_tab(page)
    page.get_by_role("button", name="Reopen the blind round (withdraws the revision round) of demo").click()
    page.get_by_text("demo · blind round open").wait_for(state="attached")
    progress_tab(page)
    page.get_by_text("Reopened the last closed round of 'demo'; answers kept.").wait_for()
    assert not box.is_checked() and close.is_disabled()  # the reopened round asks anew
    shot(page, screens, "06_reopened")
    page.get_by_text(confirm).click()
    wait_until(page, lambda: close.is_enabled(), "the close button enabled again")
    progress_tab(page)
    close.click()
    page.get_by_text("demo · revision").wait_for(state="attached")
    idle(page)
    assert get_campaign(store, CAMPAIGN).status == "revision"
    assert [(e.action, e.round, e.by) for e in round_history(store, CAMPAIGN)] == [
        ("open", 1, "admin"),
        ("close", 1, "admin"),
        ("reopen", 1, "admin"),
        ("close", 1, "admin"),
    ]

    # The quality view against the hand-computed figures.
    page.goto(base + "/quality")
    page.get_by_text("Disagreements per question").wait_for(timeout=WAIT_MS)
    idle(page)
    grids = page.locator('[data-testid="stDataFrame"]')
    summary = grid_table(page, grids.nth(0), index_col="annotator")
    assert summary[["assigned", "instances", "answers", "flags"]].to_dict("index") == {
        "ann1": {"assigned": "24", "instances": "5", "answers": "34", "flags": "2"},
        "ann2": {"assigned": "24", "instances": "6", "answers": "52", "flags": "0"},
        "ann3": {"assigned": "24", "instances": "6", "answers": "44", "flags": "0"},
    }
    kappa = grid_table(page, grids.nth(1), index_col="annotator")
    assert kappa["correctness"].astype(float).to_dict() == {"ann1": round(6 / 11, 3), "ann2": 1.0, "ann3": 1.0}
    # Difficulty: non-trivial throughout, so kappa is undefined (None), over 5 instances each (ann2
    # and ann3 without I4: one other answered it). Appearance: I1 I5 I6 (the others' other answers are
    # one, or none after a "no RE").
    assert kappa["difficulty"].to_dict() == {"ann1": "", "ann2": "", "ann3": ""}
    compared = grid_table(page, grids.nth(2), index_col="annotator")
    assert compared[["difficulty", "correctness", "appearance"]].to_dict("index") == {
        "ann1": {"difficulty": "5", "correctness": "5", "appearance": "3"},
        "ann2": {"difficulty": "5", "correctness": "4", "appearance": "3"},
        "ann3": {"difficulty": "5", "correctness": "4", "appearance": "3"},
    }
    page.get_by_text("Correctness: 2 disagreements").wait_for()
    shot(page, screens, "07_quality")

    # Adjudication: the RE, its source and the clip; the reason is not carried to the next case.
    page.goto(base + "/adjudicate")
    page.get_by_role("button", name="Set final label").wait_for(timeout=WAIT_MS)
    idle(page)
    page.get_by_text("Case (2)").wait_for()
    page.get_by_text(f"demo · {I3}", exact=True).wait_for()
    assert page.locator(".refcat-re").first.inner_text().strip("“”") == (
        "a person in a white shirt on the left side of the picture"
    )
    page.get_by_text("Source:").first.wait_for()
    frame = page.frame_locator("iframe").first.locator("img#frame")
    frame.wait_for(timeout=WAIT_MS)
    wait_until(page, lambda: frame.evaluate("img => img.complete && img.naturalWidth") == 320, "a frame of the clip")
    assert frame.bounding_box()["height"] > 50
    assert majority_line(page) == "Majority: valid RE (a majority agrees)"
    shot(page, screens, "08_adjudicate_I3")
    page.locator('[data-testid="stRadio"] label', has_text="valid RE").click()
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Set final label").click()
    page.get_by_text(f"demo · {I4}", exact=True).wait_for(timeout=WAIT_MS)
    idle(page)
    final = final_labels(store, CAMPAIGN).set_index(["item", "field"])
    assert tuple(final.loc[(I3, "correctness"), ["label", "source", "reason"]]) == ("valid", "adjudication", REASON)
    assert page.get_by_label("Reason").input_value() == ""
    assert page.locator(".refcat-re").first.inner_text().strip("“”") == (
        "a person in a white shirt walking towards the right"
    )
    assert majority_line(page) == "Majority: none (a tie)"
    page.get_by_text("Flags and comments").wait_for()  # ann1's on I4
    shot(page, screens, "09_adjudicate_I4_empty_reason")

    # The consensus: what is in the file, and what is left out and why.
    page.goto(base + "/export")
    page.get_by_text("Answers: the long table").wait_for(timeout=WAIT_MS)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="demo", exact=True).click()
    page.get_by_text("5 instances in the file, 19 left out (listed below with the reason").wait_for()
    idle(page)
    left = grid_table(page, page.locator('[data-testid="stDataFrame"]').first)
    ties = left[left["reason"] == "tie"]
    assert ties[["item", "field", "answers"]].values.tolist() == [[I4, "Correctness", "ann2: valid RE; ann3: no RE"]]
    unanswered = left[left["reason"] != "tie"]
    assert set(unanswered[["field", "reason", "answers"]].itertuples(index=False, name=None)) == {
        ("Correctness", "too few answers", "")
    }
    assert sorted(unanswered["item"]) == sorted(set(everything) - {I1, I2, I3, I4, I5, I6})
    shot(page, screens, "10_export_left_out")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download demo_RE_categorization.csv").click()
    released = pd.read_csv(download.value.path(), sep=";", dtype=str, keep_default_na=False)
    car = "a yellow parked car on the right side of the picture"
    columns = ["video_id", "instance_id", "ref_exp", "source", "ref_exp_information", "appearance", "location"]
    assert released[columns].values.tolist() == [  # item order; the release's "1.0" style; no-RE: no categories
        ["dog-walk", "1", "person", "annot1", "Minimum Information", "1.0", "0.0"],
        ["dog-walk", "1", "person", "annot1_full_video", "Not Applicable", "", ""],
        ["dog-walk", "1", "a person in a white shirt on the left side of the picture", "annot2"]
        + ["Minimum Information", "1.0", "0.0"],
        ["dog-walk", "3", car, "annot2", "Minimum Information", "1.0", "0.0"],
        ["dog-walk", "3", car, "annot2_full_video", "Minimum Information", "1.0", "0.0"],
    ]
