"""The pre-annotation's confidence and its "needs review" mark (refcat.annotate.ui.suggestions)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers.demo import build_demo
from streamlit.testing.v1 import AppTest

from refcat.annotate.ui import suggestions
from refcat.categorize.rules import categorize
from refcat.errors import UsageError
from refcat.store.database import open_store
from refcat.taxonomy import CATEGORY_NAMES

SITTING = "demo/two-dogs/2/annot2"
TEXT = "a little grey dog sitting down on the left side of the picture"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url, _ = build_demo(tmp_path_factory.mktemp("suggestions"))
    db = open_store(url)
    yield db
    db.dispose()


def test_review_threshold_default_and_environment():
    assert suggestions.review_threshold({}) == suggestions.REVIEW_THRESHOLD == 0.7
    assert suggestions.review_threshold({"REFCAT_REVIEW_THRESHOLD": " "}) == 0.7
    assert suggestions.review_threshold({"REFCAT_REVIEW_THRESHOLD": "0.85"}) == 0.85
    for bad in ("high", "1.5", "-0.1", "nan"):
        with pytest.raises(UsageError, match="a number from 0 to 1"):
            suggestions.review_threshold({"REFCAT_REVIEW_THRESHOLD": bad})


def test_payload_lists_the_categories_below_the_threshold(store, monkeypatch):
    # Hand-set confidences, so that the test does not depend on the calibration table.
    def unsure_of_static(text, trivial=None):
        found = categorize(text, trivial=trivial)
        return replace(found, confidence={c: 0.55 if c == "static" else 0.9 for c in CATEGORY_NAMES})

    monkeypatch.setattr(suggestions, "categorize", unsure_of_static)
    found = suggestions.suggestions(store, SITTING, TEXT, threshold=0.7)
    assert found.review == ["static"] and found.confidence["static"] == 0.55 and found.threshold == 0.7
    assert suggestions.suggestions(store, SITTING, TEXT, threshold=0.5).review == []
    assert suggestions.suggestions(store, SITTING, TEXT, threshold=0.95).review == list(CATEGORY_NAMES)
    monkeypatch.setenv("REFCAT_REVIEW_THRESHOLD", "0.6")
    assert suggestions.suggestions(store, SITTING, TEXT).threshold == 0.6


def _show(fields):
    from refcat.annotate.ui import suggestions

    suggestions.show(suggestions.Suggestions(**fields))


def shown(store, confidence: dict[str, float]) -> str:
    found = suggestions.suggestions(store, SITTING, TEXT, threshold=0.7)
    fields = dict(vars(found), confidence=confidence, review=[c for c in CATEGORY_NAMES if confidence[c] < 0.7])
    at = AppTest.from_function(_show, args=(fields,), default_timeout=60).run()
    assert not at.exception
    return "\n".join(m.value for m in at.markdown)


def test_the_mark_is_shown_in_words_for_a_low_confidence_category_only(store):
    unsure = shown(store, {c: 0.4 if c == "location" else 0.95 for c in CATEGORY_NAMES})
    assert "<strong>⚠ Needs review:</strong> Location (confidence below 70%)" in unsure
    lines = unsure.split("<br>")
    location = next(line for line in lines if line.startswith("<span") and ">Location</span>" in line)
    assert location.endswith("yes · “on the left side” · confidence 40% · <strong>⚠ needs review</strong>")
    assert [line for line in lines if "needs review" in line.lower()] == [lines[0], location]
    sure = shown(store, dict.fromkeys(CATEGORY_NAMES, 0.95))
    assert "needs review" not in sure.lower() and "Location</span> yes · “on the left side” · confidence 95%" in sure
