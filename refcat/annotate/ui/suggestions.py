"""Automatic suggestions for an instance (pre-annotation): the rule-based categorizer's labels
with their evidence words and confidence, and the class-based trivial / non-trivial decision with its reason.

Shown only in campaigns created with `pre_annotate` (off by default: suggestions bias blind
answers), beside the questions of the annotate and revise pages, marked as automatic; they are
display only and never recorded as answers. Sources: `refcat.categorize.rules.categorize` and
`refcat.categorize.difficulty.decide_difficulty` over the store's objects of the video (the
decision, when there is one, also tells the categorizer whether the referent is trivial, which
sharpens its redundant / minimal suggestion).

Review threshold: a category whose confidence (`Categorization.confidence`, refcat.categorize.confidence)
is below the app's review threshold is marked "needs review" in words, beside its line and in a summary
line, so that the mark does not rest on colour. The threshold is `REVIEW_THRESHOLD` (0.7), or the value of
the environment variable $REFCAT_REVIEW_THRESHOLD of the server (a number in [0, 1]; unset or empty keeps
the default), read by `review_threshold`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import streamlit as st

from refcat.annotate.ui.text import html_text, plain
from refcat.annotate.ui.widgets import FIELD_TITLES, VALUE_LABELS
from refcat.categorize.difficulty import decide_difficulty
from refcat.categorize.rules import categorize
from refcat.datasets.records import parse_instance_key
from refcat.errors import MissingDataError, RefcatError, UsageError
from refcat.store.database import Store
from refcat.store.instances import list_objects
from refcat.taxonomy import CATEGORY_NAMES

TITLE = "Automatic suggestions"
REVIEW_THRESHOLD = 0.7  # default of $REFCAT_REVIEW_THRESHOLD (module docstring)
REVIEW_MARK = "needs review"
# Highlight colour of each category's evidence (light backgrounds that keep dark text legible).
COLOURS = {
    "appearance": "#ffe08a",
    "location": "#a8dcff",
    "motion": "#ffb3b3",
    "obj-motion": "#ffc9f0",
    "static": "#b9f0c0",
    "obj-static": "#d9c8ff",
    "category": "#e3e3e3",
}


@dataclass(frozen=True)
class Suggestions:
    """What the pages show of the automatic suggestions for one instance."""

    text: str
    labels: dict[str, bool]  # category -> suggested yes / no, all seven
    evidence: dict[str, list[str]]  # category -> the words that decided it
    spans: dict[str, list[tuple[int, int]]]  # category -> character spans of the evidence in `text`
    information: str  # "redundant" | "minimal"
    difficulty: str | None  # "trivial" | "non-trivial" | None (undecided)
    difficulty_reason: str
    confidence: dict[str, float]  # category -> probability that the suggested label is right
    threshold: float  # the review threshold the suggestions were judged against
    review: list[str]  # categories whose confidence is below `threshold`, in the taxonomy's order


def review_threshold(environ: Mapping[str, str] | None = None) -> float:
    """$REFCAT_REVIEW_THRESHOLD as a number in [0, 1], or `REVIEW_THRESHOLD` when unset or empty."""
    raw = (os.environ if environ is None else environ).get("REFCAT_REVIEW_THRESHOLD", "").strip()
    if not raw:
        return REVIEW_THRESHOLD
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise UsageError(f"REFCAT_REVIEW_THRESHOLD={raw!r}", expected="a number from 0 to 1")
    return value


def suggestions(db: Store, key: str, text: str, threshold: float | None = None) -> Suggestions:
    """The automatic suggestions for instance `key` whose RE is `text`; `threshold`: the review threshold
    (default `review_threshold()`)."""
    threshold = review_threshold() if threshold is None else threshold
    dataset, video_id, object_id, _source = parse_instance_key(key)
    objects = list_objects(db, dataset, video_id)
    referent = next((o for o in objects if o.object_id == object_id), None)
    if referent is None:
        raise MissingDataError(f"object {object_id} of instance {key} is not in the store")
    decision = decide_difficulty(referent, objects)
    trivial = None if decision.difficulty is None else decision.difficulty == "trivial"
    result = categorize(text, trivial=trivial)
    return Suggestions(
        text,
        result.labels,
        result.evidence,
        result.spans,
        result.information,
        decision.difficulty,
        decision.reason,
        result.confidence,
        threshold,
        result.needs_review(threshold),
    )


def highlighted_html(text: str, spans: dict[str, list[tuple[int, int]]]) -> str:
    """`text` as HTML text (`html_text`), each evidence span in a <mark> of its category's colour whose title
    names the categories it supports (a span of several categories takes the first one's colour)."""
    cuts = sorted({0, len(text), *(i for ranges in spans.values() for span in ranges for i in span)})
    parts = []
    for start, end in pairwise(cuts):
        piece = html_text(text[start:end])
        cats = [c for c in CATEGORY_NAMES if any(a <= start and end <= b for a, b in spans.get(c, []))]
        if cats:
            parts.append(
                f'<mark title="{", ".join(cats)}" style="background:{COLOURS[cats[0]]};'
                f'padding:0 0.15em;border-radius:0.2em">{piece}</mark>'
            )
        else:
            parts.append(piece)
    return "".join(parts)


def show(found: Suggestions) -> None:
    """The suggestions in a bordered box, marked as automatic and apart from the answers."""
    with st.container(border=True, key="suggestions"):
        st.markdown(f"**{TITLE}** &nbsp; :violet-badge[automatic · not your answer]")
        st.caption(
            "From the rule-based categorizer and the objects' classes. They are not recorded: "
            "answer every question yourself with the buttons. “Needs review” marks a suggestion "
            f"the categorizer is less than {found.threshold:.0%} sure of."
        )
        lines = []
        for cat in CATEGORY_NAMES:
            words = ", ".join(f"“{html_text(w)}”" for w in found.evidence.get(cat, []))
            swatch = (
                f'<span style="background:{COLOURS[cat]};padding:0 0.3em;border-radius:0.2em">'
                f"{FIELD_TITLES[cat]}</span>"
                if found.labels[cat]
                else FIELD_TITLES[cat]
            )
            line = f"{swatch} {'yes' if found.labels[cat] else 'no'}" + (f" · {words}" if words else "")
            if cat in found.confidence:
                line += f" · confidence {found.confidence[cat]:.0%}"
            if cat in found.review:
                line += f" · <strong>⚠ {REVIEW_MARK}</strong>"
            lines.append(line)
        lines.append(f"Information: {VALUE_LABELS[found.information]}")
        difficulty = "undecided" if found.difficulty is None else VALUE_LABELS[found.difficulty]
        lines.append(f"Difficulty: {difficulty} ({html_text(found.difficulty_reason)})")
        if found.review:
            names = ", ".join(FIELD_TITLES[c] for c in found.review)
            lines.insert(
                0, f"<strong>⚠ {REVIEW_MARK.capitalize()}:</strong> {names} (confidence below {found.threshold:.0%})"
            )
        st.markdown(
            f'<div style="font-size:1.15rem;line-height:1.7">{highlighted_html(found.text, found.spans)}</div>'
            + "<br>".join(lines),
            unsafe_allow_html=True,
        )


def panel(db: Store, key: str, text: str) -> None:
    """`show` the suggestions for an instance, or a warning saying why there are none."""
    try:
        found = suggestions(db, key, text)
    except RefcatError as exc:
        st.warning(plain(f"No automatic suggestions: {exc}"))
        return
    show(found)
