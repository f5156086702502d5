"""Keyboard shortcuts of the annotation pages: one key for every answer, and for moving and undoing.

The keys are Streamlit's own button shortcuts (`st.button(..., shortcut=...)`): the browser
listens for them on the whole page and clicks the button, and the button shows its key.
Conventions:
- difficulty 1 / 2, correctness 3 / 4 / 5, information 6 / 7 (in the order of the values in
  `refcat.taxonomy.FIELD_VALUES`);
- each semantic category has a letter: the letter answers "yes", Shift + the letter "no"
  (C and R are reserved by Streamlit, so "category" is N for "name");
- Left / Right: previous / next instance; U: undo the last answer.
"""

from __future__ import annotations

from refcat.taxonomy import CATEGORY_NAMES, FIELD_VALUES, NO, YES

_NUMBERED = ("difficulty", "correctness", "information")
CATEGORY_KEYS = {
    "appearance": "A",
    "location": "L",
    "motion": "M",
    "obj-motion": "O",
    "static": "S",
    "obj-static": "T",
    "category": "N",
}
PREVIOUS, NEXT, UNDO = "Left", "Right", "U"


def answer_shortcuts() -> dict[tuple[str, str], str]:
    """(field, value) -> key, for every field and value of the taxonomy."""
    keys: dict[tuple[str, str], str] = {}
    number = 1
    for field in _NUMBERED:
        for value in FIELD_VALUES[field]:
            keys[(field, value)] = str(number)
            number += 1
    for field in CATEGORY_NAMES:
        keys[(field, YES)] = CATEGORY_KEYS[field]
        keys[(field, NO)] = "Shift+" + CATEGORY_KEYS[field]
    return keys


ANSWER_KEYS = answer_shortcuts()
