"""The Guidelines page and the RE's source on the annotate and revise pages, through streamlit's AppTest.

The fixture is the small demo project (refcat.demo.generator; campaign "demo", annotators ann1,
ann2, ann3, admin "admin", each with their name as password).
"""

from __future__ import annotations

import re

import pytest
from helpers.app_test import logged_in, page_as
from helpers.demo import build_demo, use_demo_copy
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round
from refcat.annotate.guidelines import decision_answers, instance_source_label
from refcat.annotate.labels import queue, record_answer
from refcat.annotate.notes import add_note, campaign_notes, safe_markdown
from refcat.annotate.ui.guidelines import NOTE_ADD, NOTE_BODY, NOTE_MARKDOWN, reading
from refcat.annotate.ui.pages import page_specs
from refcat.annotate.ui.text import plain
from refcat.store.database import open_store
from refcat.taxonomy import CATEGORIES, DECISIONS, Example


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("guidelines"))


@pytest.fixture
def demo(demo_files, tmp_path, monkeypatch):
    """A fresh copy of the module's demo store (the dataset folder is shared, read-only)."""
    store = open_store(use_demo_copy(demo_files, tmp_path, monkeypatch))
    yield store
    store.dispose()


def guidelines_page(user: str) -> AppTest:
    return page_as("refcat.annotate.ui.guidelines", user)


def shown(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.caption, *at.subheader])


def test_the_guidelines_page_is_on_everyones_menu():
    for role in ("annotator", "admin"):
        assert "refcat.annotate.ui.guidelines" in [spec[0] for spec in page_specs(role)["Annotate"]]


def test_an_annotator_sees_the_guidelines_without_the_editor(demo):
    at = guidelines_page("ann1")
    assert not at.exception
    page = shown(at)
    for category in CATEGORIES:
        assert plain(category.question) in page and plain(category.definition) in page
        assert all(f"“{plain(example)}”" in page for example in category.examples + category.non_examples)
    for decision in DECISIONS:
        assert plain(decision.topic) in page and plain(decision.rule) in page
    assert "Semantic categories (Table 1)" in page and "Keyboard shortcuts" in page
    assert "**no RE** `4`" in page and "**wrong object** `5`" in page
    assert not at.text_area and not [b for b in at.button if b.key == NOTE_ADD]
    assert [e.value for e in at.info] == ["No campaign notes yet."]


def test_decision_examples_say_only_what_their_decision_says(demo):
    """Each example gives the answers to the categories its decision is about, never "none of the
    categories": "the dog" has Category, so "a dog on a leash" does too; its decision says it has no location."""
    page = shown(guidelines_page("ann1"))
    assert "- “a dog on a leash”: Location no" in page.splitlines()
    assert "- “a woman walking with a dog”: Motion yes, Object static action no, Location no" in page.splitlines()
    assert "- “man riding a bike”: Motion yes, Object motion yes, Static action no, Object static action no" in (
        page.splitlines()
    )
    assert "none of the categories" not in page
    assert "the answers to the questions its decision is about" in page
    examples = [e for d in DECISIONS for e in d.examples]
    assert [line for line in page.splitlines() if line.startswith("- “")][-len(examples) :] == [
        reading(e) for e in examples
    ]


def test_decision_answers_are_the_examples_yes_then_no():
    example = Example("a man throwing a ball to the basket", ("obj-motion",), ("location",))
    assert decision_answers(example) == [("obj-motion", "yes"), ("location", "no")]
    assert decision_answers(Example("a dog on a leash", (), ("location",))) == [("location", "no")]


def test_the_markdown_box_is_unticked_after_a_note_is_added(demo):
    at = guidelines_page("admin")
    at.text_area(key=NOTE_BODY).input("**Dogs**: count reflections.")
    at.checkbox(key=NOTE_MARKDOWN).check()
    next(b for b in at.button if b.key == NOTE_ADD).click()
    at.run()
    assert at.checkbox(key=NOTE_MARKDOWN).value is False and at.text_area(key=NOTE_BODY).value == ""
    at.text_area(key=NOTE_BODY).input("a plain *note*")
    next(b for b in at.button if b.key == NOTE_ADD).click()
    at.run()
    assert [(n.body, n.markdown) for n in campaign_notes(demo, "demo")] == [
        ("**Dogs**: count reflections.", True),
        ("a plain *note*", False),
    ]


def test_an_admin_adds_a_note_that_annotators_then_read(demo):
    at = guidelines_page("admin")
    assert not at.exception
    at.text_area(key=NOTE_BODY).input("Count a dog's reflection as another object.")
    next(b for b in at.button if b.key == NOTE_ADD).click()
    at.run()
    assert [e.value for e in at.success] == ["Note added."]
    assert at.text_area(key=NOTE_BODY).value == ""
    assert [(n.author, n.body) for n in campaign_notes(demo, "demo")] == [
        ("admin", "Count a dog's reflection as another object.")
    ]
    annotator = guidelines_page("ann1")
    assert plain("Count a dog's reflection as another object.") in shown(annotator)
    assert not [b for b in annotator.button if (b.key or "").startswith("note_remove:")]


def test_notes_with_html_or_a_markdown_image_are_shown_safely(demo):
    hostile = '<img src="http://x.test/a.png" onerror="alert(1)"> ![logo](http://x.test/b.png) **bold**'
    at = guidelines_page("admin")
    at.text_area(key=NOTE_BODY).input(hostile)
    at.checkbox(key=NOTE_MARKDOWN).check()
    next(b for b in at.button if b.key == NOTE_ADD).click()
    at.run()
    add_note(demo, "demo", "admin", hostile)  # the same text as a plain-text note
    at = guidelines_page("ann1")
    assert not at.exception
    notes = [e for e in at.markdown if "x.test" in e.value]
    assert [e.value for e in notes] == [safe_markdown(hostile), plain(hostile)]
    for element in notes:
        assert not element.proto.allow_html
        assert re.search(r"(?<!\\)<", element.value) is None and "![" not in element.value


def test_the_annotate_page_shows_the_re_source(demo):
    at = logged_in("ann1")
    assert not at.exception
    key = at.query_params["instance"]
    captions = [e.value for e in at.caption]
    assert plain(f"Source: {instance_source_label(key)}") in captions
    assert re.fullmatch(r"annotator \d, (from the first frame|after the full video)", instance_source_label(key))


def test_the_revise_page_shows_the_re_source(demo):
    key = queue(demo, "ann1", "demo")[0].instance_key
    for user, motion in (("ann1", "yes"), ("ann2", "no"), ("ann3", "no")):
        record_answer(demo, user, "demo", key, "motion", motion)
    close_round(demo, "demo", "admin")
    at = page_as("refcat.annotate.ui.revise", "ann1")
    assert not at.exception
    assert at.query_params["instance"] == key
    assert plain(f"Source: {instance_source_label(key)}") in [e.value for e in at.caption]
