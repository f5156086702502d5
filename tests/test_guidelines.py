"""The guidelines' content (refcat.taxonomy), the `?` overlay's hotkeys, RE sources, campaign notes."""

from __future__ import annotations

import re

import pytest
from helpers.annotate_store import DUO_A, DUO_B, populate

from refcat.annotate.campaigns import create_campaign
from refcat.annotate.guidelines import ANSWER_FIELDS, answer_questions, instance_source_label, source_label
from refcat.annotate.notes import MAX_NOTE_CHARS, add_note, campaign_notes, remove_note, safe_markdown
from refcat.annotate.ui.help_overlay import HELP_KEY, hotkey_rows
from refcat.annotate.ui.shortcuts import ANSWER_KEYS, KEY_SYMBOLS, NEXT, PREVIOUS, UNDO, key_actions
from refcat.categorize.rules import categorize
from refcat.datasets.davis import RE_FILES
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.taxonomy import CATEGORIES, CATEGORY_NAMES, DECISIONS, FIELD_QUESTIONS, FIELD_VALUES, VALUE_DEFINITIONS

# ------------------------------------------------------------------ content


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_every_category_has_question_definition_and_examples_with_and_without(category):
    assert category.question.endswith("?") and category.definition
    assert category.examples and category.non_examples
    assert not set(category.examples) & set(category.non_examples)


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_the_categorizer_reads_each_category_example_as_the_guidelines_do(category):
    assert [t for t in category.examples if not categorize(t).labels[category.name]] == []
    assert [t for t in category.non_examples if categorize(t).labels[category.name]] == []


def test_every_answer_value_has_a_definition():
    values = [v for field in ANSWER_FIELDS for v in FIELD_VALUES[field]]
    assert set(VALUE_DEFINITIONS) == set(values)
    assert all(VALUE_DEFINITIONS[v] for v in ("trivial", "no-re", "wrong-object", "redundant"))
    asked = answer_questions()
    assert [field for field, _, _ in asked] == list(ANSWER_FIELDS)
    assert all(question == FIELD_QUESTIONS[field] for field, question, _ in asked)


def test_the_decisions_cover_the_ambiguous_cases():
    topics = " ".join(d.topic.lower() for d in DECISIONS)
    for case in ("static, obj-static or obj-motion", "first frame or full video", "appearance or category", "location"):
        assert case in topics
    assert all(d.rule for d in DECISIONS)


@pytest.mark.parametrize("example", [e for d in DECISIONS for e in d.examples], ids=lambda e: e.text.replace(" ", "-"))
def test_the_categorizer_follows_every_decision(example):
    assert set(example.has) | set(example.lacks) <= set(CATEGORY_NAMES)
    assert not set(example.has) & set(example.lacks)
    labels = categorize(example.text).labels
    assert [c for c in example.has if not labels[c]] == []
    assert [c for c in example.lacks if labels[c]] == []


# ------------------------------------------------------------------ the ? overlay


def test_every_hotkey_of_the_shortcuts_is_in_the_overlay():
    rows = hotkey_rows()
    listed = [key for _, key, _ in rows]
    every = set(key_actions(list(FIELD_VALUES))) | set(ANSWER_KEYS.values()) | {PREVIOUS, NEXT, UNDO}
    missing = [k for k in every if KEY_SYMBOLS.get(k, k) not in listed]
    assert missing == []
    assert HELP_KEY in listed
    assert len(listed) == len(set(listed))  # each key once
    assert ("Motion", "Shift+M", "no") in rows and ("Correctness", "4", "no RE") in rows


# ------------------------------------------------------------------ sources


def test_source_labels_name_the_annotator_and_what_they_saw():
    labels = {source: source_label(source) for source, _, _ in RE_FILES}
    assert labels == {
        "annot1": "annotator 1, from the first frame",
        "annot1_full_video": "annotator 1, after the full video",
        "annot2": "annotator 2, from the first frame",
        "annot2_full_video": "annotator 2, after the full video",
    }
    assert source_label("sentence0") == "dataset sentence 1 (A2D Sentences, written for the whole clip)"
    assert source_label("exp7") == "dataset expression 7 (written for the whole clip)"
    assert source_label("a2dre+:location:without:1") == "A2Dre+ edit of an A2D sentence (without location)"
    assert source_label("odd source") == "odd source"
    assert instance_source_label("davis17/bear/1/annot2_full_video") == "annotator 2, after the full video"


# ------------------------------------------------------------------ campaign notes


@pytest.fixture
def campaign(store):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B], ["ann1", "ann2"], per_instance=2, question_sets=("difficulty",))
    return store


def test_an_admin_adds_and_removes_notes_and_everyone_reads_them(campaign):
    store = campaign
    first = add_note(store, "c", "boss", "  Count a reflection as the object.  ")
    second = add_note(store, "c", "boss", "**Bold** rule", markdown=True)
    notes = campaign_notes(store, "c")
    assert [(n.body, n.markdown, n.author, n.campaign) for n in notes] == [
        ("Count a reflection as the object.", False, "boss", "c"),
        ("**Bold** rule", True, "boss", "c"),
    ]
    assert [n.id for n in notes] == [first.id, second.id]
    remove_note(store, first.id, "boss")
    assert [n.id for n in campaign_notes(store, "c")] == [second.id]
    with pytest.raises(StoreError):
        remove_note(store, first.id, "boss")


def test_notes_are_refused_from_annotators_and_when_empty_or_too_long(campaign):
    store = campaign
    with pytest.raises(PermissionDenied):
        add_note(store, "c", "ann1", "my own rule")
    note = add_note(store, "c", "boss", "a rule")
    with pytest.raises(PermissionDenied):
        remove_note(store, note.id, "ann1")
    for body in ("", "   \n", "x" * (MAX_NOTE_CHARS + 1), "nul\x00"):
        with pytest.raises(UsageError):
            add_note(store, "c", "boss", body)
    with pytest.raises(StoreError):
        add_note(store, "no-such-campaign", "boss", "a rule")
    assert [n.body for n in campaign_notes(store, "c")] == ["a rule"]


def test_safe_markdown_leaves_no_html_and_no_image():
    body = (
        'See <img src="http://x.test/a.png" onerror="alert(1)">, ![logo](http://x.test/b.png), ![ref][1] and **this**.'
    )
    shown = safe_markdown(body)
    assert re.search(r"(?<!\\)<", shown) is None and "![" not in shown  # every < escaped, no image starts
    assert shown == (
        'See \\<img src="http://x.test/a.png" onerror="alert(1)">, !\\[logo](http://x.test/b.png), '
        "!\\[ref][1] and **this**."
    )
    assert (
        safe_markdown("- a list\n- with [a link](http://example.org)")
        == "- a list\n- with [a link](http://example.org)"
    )
