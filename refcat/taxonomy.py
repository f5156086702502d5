"""The label taxonomy of the RefVOS paper (Bellver et al., Section 4, Table 1).

One source for the pages, the analysis and the exports. Label fields and values:
- difficulty: "trivial" | "non-trivial"
- correctness: "valid" | "no-re" (fits another object too) | "wrong-object" (does not match the referent)
- information: "redundant" | "minimal"
- one field per semantic category: "yes" | "no"
The released label files (`*_RE_categorization.csv`) merge difficulty and correctness
in one column: `RELEASE_DIFFICULTY` maps a released value to (difficulty, correctness),
`release_difficulty` goes the other way; `RELEASE_INFORMATION` / `release_information` do
the same for information.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    question: str
    definition: str
    examples: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "appearance",
        "Does the RE tell you how the referent looks?",
        "Colour, clothing, size, shape, texture or any other visible attribute of the referent.",
        ("a black feathered swan", "girl in a yellow dress", "the small dog"),
    ),
    Category(
        "location",
        "Does the RE tell you where the referent is located?",
        "Any locative phrase relative to the image or to another object.",
        ("the man on the left", "dog on the couch", "the car in the back", "bird near the fence"),
    ),
    Category(
        "motion",
        "Does the RE tell you if the referent moves or changes its location?",
        "The referent's own displacement: walking, running, flying, jumping, rolling.",
        ("a man walking", "the dog running towards the camera"),
    ),
    Category(
        "obj-motion",
        "Does the RE tell you if the referent moves another object?",
        "The referent displaces another object: riding, pushing, carrying, throwing.",
        ("man riding a bike", "girl pushing a stroller"),
    ),
    Category(
        "static",
        "Does the RE tell you what the referent is doing if it is not moving?",
        "What the referent does without moving from its place: standing, sitting, parked, eating.",
        ("a parked car", "the man standing", "woman talking on the phone"),
    ),
    Category(
        "obj-static",
        "Does the RE tell you if the referent acts on another object without moving it?",
        "The referent is in contact with or acts on another object that stays in place: holding, touching.",
        ("man holding a bike", "a girl touching the wall"),
    ),
    Category(
        "category",
        "Does the RE tell you the referent's name or category?",
        "A noun naming what the referent is: person, dog, car.",
        ("the dog", "a black swan"),
    ),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
# The column order of the released label files.
RELEASE_CATEGORY_ORDER: tuple[str, ...] = (
    "appearance",
    "obj-static",
    "category",
    "location",
    "motion",
    "obj-motion",
    "static",
)
# The four categories that A2Dre+ varies (Table 5), with their names in the released file names.
A2DRE_PLUS_CATEGORIES: dict[str, str] = {
    "appearance": "appearance",
    "location": "spatial",
    "motion": "verb_motion",
    "static": "verb_static",
}

YES, NO = "yes", "no"
DIFFICULTY = ("trivial", "non-trivial")
CORRECTNESS = ("valid", "no-re", "wrong-object")
INFORMATION = ("redundant", "minimal")

FIELD_VALUES: dict[str, tuple[str, ...]] = {
    "difficulty": DIFFICULTY,
    "correctness": CORRECTNESS,
    "information": INFORMATION,
    **dict.fromkeys(CATEGORY_NAMES, (YES, NO)),
}
FIELD_QUESTIONS: dict[str, str] = {
    "difficulty": "Is the referent the only object of its class in the video (trivial)?",
    "correctness": "Does the RE pick out the referent, and only it?",
    "information": "Does the RE say more than is needed to find the referent?",
    **{c.name: c.question for c in CATEGORIES},
}

RELEASE_DIFFICULTY = {
    "Trivial": ("trivial", "valid"),
    "Trivial (Single Object Category)": ("trivial", "valid"),
    "Non-trivial": ("non-trivial", "valid"),
    "Not a Referring Expression": (None, "no-re"),
    "Incorrect Referring Expression": (None, "wrong-object"),
}
RELEASE_INFORMATION = {
    "Redundant Information": "redundant",
    "Minimum Information": "minimal",
    "Not Applicable": None,
}


def release_difficulty(difficulty: str | None, correctness: str | None, automatic: bool = False) -> str:
    """(difficulty, correctness) -> the released `ref_exp_difficulty` string.

    `automatic` marks a trivial label given because the referent is the only object of
    its class, which the release writes as "Trivial (Single Object Category)".
    """
    if correctness == "no-re":
        return "Not a Referring Expression"
    if correctness == "wrong-object":
        return "Incorrect Referring Expression"
    if difficulty == "trivial":
        return "Trivial (Single Object Category)" if automatic else "Trivial"
    if difficulty == "non-trivial":
        return "Non-trivial"
    raise ValueError(f"no released difficulty for difficulty={difficulty!r}, correctness={correctness!r}")


def release_information(information: str | None) -> str:
    return {"redundant": "Redundant Information", "minimal": "Minimum Information"}.get(
        information or "", "Not Applicable"
    )
