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
What the values mean is `VALUE_DEFINITIONS`; each `Category` has Table 1's question, its
definition, and REs with and without it; `DECISIONS` are the project's readings of the cases
the definitions leave open, the one source for the annotators' guidelines and the categorizer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """A semantic category of Table 1: its question, its definition, REs that have it (`examples`)
    and REs that do not (`non_examples`); the automatic categorizer agrees with both lists."""

    name: str
    question: str
    definition: str
    examples: tuple[str, ...]
    non_examples: tuple[str, ...] = ()


CATEGORIES: tuple[Category, ...] = (
    Category(
        "appearance",
        "Does the RE tell you how the referent looks?",
        "Colour, clothing, size, shape, texture or any other visible attribute of the referent.",
        ("a black feathered swan", "girl in a yellow dress", "the small dog"),
        ("the woman", "a dog on the couch", "man holding a bike"),
    ),
    Category(
        "location",
        "Does the RE tell you where the referent is located?",
        "Any locative phrase relative to the image or to another object.",
        ("the man on the left", "dog on the couch", "the car in the back", "bird near the fence"),
        ("a dog on a leash", "a bird flying away", "a dog running in circles"),
    ),
    Category(
        "motion",
        "Does the RE tell you if the referent moves or changes its location?",
        "The referent's own displacement: walking, running, flying, jumping, rolling.",
        ("a man walking", "the dog running towards the camera"),
        ("a parked car", "a dog turning its head", "a car that is not moving"),
    ),
    Category(
        "obj-motion",
        "Does the RE tell you if the referent moves another object?",
        "The referent displaces another object: riding, pushing, carrying, throwing.",
        ("man riding a bike", "girl pushing a stroller"),
        ("man holding a bike", "a man walking", "a woman walking with a dog"),
    ),
    Category(
        "static",
        "Does the RE tell you what the referent is doing if it is not moving?",
        "What the referent does without moving from its place: standing, sitting, parked, eating.",
        ("a parked car", "the man standing", "woman talking on the phone"),
        ("a man walking", "man riding a bike", "a woman carrying a bag"),
    ),
    Category(
        "obj-static",
        "Does the RE tell you if the referent acts on another object without moving it?",
        "The referent is in contact with or acts on another object that stays in place: holding, touching.",
        ("man holding a bike", "a girl touching the wall"),
        ("man riding a bike", "a boy kicking a ball", "a woman walking with a dog"),
    ),
    Category(
        "category",
        "Does the RE tell you the referent's name or category?",
        "A noun naming what the referent is: person, dog, car.",
        ("the dog", "a black swan"),
        ("the black one", "the one on the left"),
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
# What each value of difficulty, correctness and information means (the paper's Section 4).
VALUE_DEFINITIONS: dict[str, str] = {
    "trivial": "The referent is the only object of its class in the video: its category alone finds it.",
    "non-trivial": "Another object of the referent's class is in the video: the RE needs more than the category.",
    "valid": "The RE picks out the referent, and no other object of the video.",
    "no-re": "Not a referring expression: the RE fits another object of the video too, so it does not tell "
    "which object is meant (for example 'a dog' with two dogs in the video).",
    "wrong-object": "Incorrect referring expression: the RE does not match the referent (it describes another "
    "object, or something the referent is not).",
    "redundant": "The RE says more than is needed to find the referent: some of what it says could be left out.",
    "minimal": "The RE says no more than is needed to find the referent.",
}


@dataclass(frozen=True)
class Example:
    """An RE and how a decision reads it: the categories it has (`has`) and those it has not (`lacks`)."""

    text: str
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """The project's reading of a case that Table 1's definitions leave open: what it is about
    (`topic`), the rule, and examples read by it."""

    topic: str
    rule: str
    examples: tuple[Example, ...] = ()


# The decisions for ambiguous cases, followed by the annotators (the app's Guidelines page) and by the
# automatic categorizer (refcat.categorize: its word lists and reader implement them, and its tests
# check every example here).
DECISIONS: tuple[Decision, ...] = (
    Decision(
        "Static, obj-static or obj-motion",
        "Ask two things: does the referent change its place (motion, else static), and does it act on "
        "another object that moves (obj-motion) or stays in place (obj-static)? Table 1 asks for obj-motion "
        "when the referent 'moves or changes another object's location'. Riding, driving, pushing "
        "and pulling move both: motion and obj-motion. Throwing, kicking, catching, lifting, shooting a "
        "ball and playing with a ball or a toy are done in place: static and obj-motion. Holding, touching, "
        "shooting a gun and playing an instrument: static and obj-static. Carrying moves the object and "
        "says nothing sure about the referent's own displacement: obj-motion only. Moving oneself is no "
        "object: 'rolling itself' is motion. Moving with a ball takes it along ('running with the ball'): "
        "obj-motion; walking with a cane uses a tool: obj-static. Watching, filming or photographing "
        "something does not act on it: static, none of the obj- categories (the released 'filming the car "
        "from the left side' has no obj-static), and being seen or filmed says nothing the referent does "
        "('a chair able to be seen through the window'). Taking care of someone acts on them: obj-static. "
        "Opening or closing something moves it (a door swings): static and obj-motion.",
        (
            Example("man riding a bike", ("motion", "obj-motion"), ("static", "obj-static")),
            Example("a boy kicking a ball", ("static", "obj-motion"), ("motion", "obj-static")),
            Example("man holding a bike", ("static", "obj-static"), ("motion", "obj-motion")),
            Example("a woman carrying a bag", ("obj-motion",), ("motion", "static", "obj-static")),
            Example("a man catching a frisbee", ("static", "obj-motion"), ("obj-static",)),
            Example("a man shooting a football", ("static", "obj-motion"), ("obj-static",)),
            Example("a dog playing with a toy", ("obj-motion",), ("obj-static",)),
            Example("a brown cat is rolling itself on the carpet", ("motion",), ("static", "obj-motion")),
            Example("a boy running with the ball", ("motion", "obj-motion"), ("obj-static",)),
            Example("a man filming a car", ("static",), ("obj-static", "obj-motion")),
            Example("a chair able to be seen through the window", ("location",), ("static",)),
            Example("a woman taking care of a child", ("static", "obj-static"), ("obj-motion",)),
            Example("a hand opening a shower door", ("static", "obj-motion"), ("obj-static",)),
        ),
    ),
    Decision(
        "Moving on the spot",
        "Whole-body movement is motion even when the referent stays on the same spot (the question is "
        "'moves or changes its location'): dancing, spinning, swinging, bouncing, doing gymnastics. Moving "
        "only a body part is static ('turning its head', 'waving his hand'), and so is a negated motion verb "
        "('not moving'). "
        "A verb that is neither a displacement nor a whole-body movement ('smoking', 'giving a speech') is "
        "static.",
        (
            Example("a girl dancing", ("motion",), ("static",)),
            Example("a dog turning its head", ("static",), ("motion",)),
            Example("a car that is not moving", ("static",), ("motion",)),
            Example("a man smoking", ("static",), ("motion",)),
        ),
    ),
    Decision(
        "First frame or full video",
        "Each RE says where it comes from: written after seeing the first frame only, after watching the "
        "full video, or a sentence of the dataset (written for the whole clip). The categories are "
        "answered from the RE's words, whatever its source: a first-frame RE that says 'jumping' has "
        "motion, and a full-video RE that says nothing of movement has none, even if the referent moves "
        "in the clip. Correctness is judged against what the RE's writer saw: a first-frame RE on the "
        "first frame (it may fit another object later in the clip), a full-video RE or a dataset "
        "sentence on the whole clip.",
    ),
    Decision(
        "Appearance or category",
        "A noun that says what the referent is (man, woman, girl, puppy, someone) is the category, not "
        "appearance: gender and kind are the category. Appearance is what can be seen of the referent: "
        "colour, pattern, size, age and look, material and shape, clothing and accessories, 'with' + a "
        "visible feature ('with long hair'), 'in' + a colour worn ('in black', 'in the red'; but 'in the "
        "dark' is a place), and 'adult' before another noun ('an adult pig': its age; 'the adult' is the "
        "category). A part in a state and something on the referent are how it looks ('a toilet with the "
        "cover open', 'a suitcase with a tag on it'), but a part 'with' right after another thing is that "
        "thing's ('a person on a bike with white handle bars'). A noun written in two words is one noun ('a "
        "back pack': no 'back' position). 'One', 'thing' and 'object' name nothing: no category.",
        (
            Example("the woman", ("category",), ("appearance",)),
            Example("a young girl", ("appearance", "category")),
            Example("a man with long hair", ("appearance", "category")),
            Example("the black one", ("appearance",), ("category",)),
            Example("someone", ("category",)),
            Example("a girl in the red", ("appearance", "category"), ("location",)),
            Example("an adult pig", ("appearance", "category")),
            Example("a toilet with the cover open", ("appearance", "category"), ("obj-static",)),
            Example("a person on a bike with white handle bars", ("location",), ("appearance",)),
            Example("a back pack", ("category",), ("location",)),
        ),
    ),
    Decision(
        "'With' another object, person or animal",
        "'With' + clothing, colour or a visible feature is appearance; 'with' + another object is "
        "obj-static ('a man with a camera'); 'with' + a person or animal is company, which is no category, "
        "and so is a person or animal played ('a cat playing a person'). "
        "A thing does not act: what 'with' adds to a referent that is an object is none of the obj- "
        "categories ('the glass with water', 'a bike with a basket'). 'Has' or 'have' + a noun phrase reads as "
        "'with' it ('a vehicle that does not have four wheels': appearance).",
        (
            Example("a man with a camera", ("obj-static",), ("appearance",)),
            Example("the glass with water", ("category",), ("obj-static", "obj-motion")),
            Example("a vehicle that does not have four wheels", ("appearance", "category"), ("obj-static",)),
            Example("a woman walking with a dog", ("motion",), ("obj-static", "location")),
            Example("a cat playing a person", ("static",), ("obj-static", "obj-motion")),
        ),
    ),
    Decision(
        "Location relative to another object",
        "Any locative phrase is location, relative to the image ('on the left', 'in the back') or to "
        "another object ('on the couch', 'next to the man'), and so are paths and goals of the referent "
        "('onto the sofa', 'towards the camera') and the object of a verb of traversal ('climbing the "
        "wall', 'climbing very steep stairs'). Not location: where a thrown object goes ('throwing a ball to "
        "the basket'), equipment ('on a leash'), body parts ('in its mouth'), manner and time ('in circles', "
        "'at night', 'at the beginning of the clip'), directions without a reference object ('flying "
        "away', 'moving forward'), and the way the referent faces, an orientation ('facing right', "
        "'facing away from the camera').",
        (
            Example("the dog next to the man", ("location",)),
            Example("the child crawling onto the sofa", ("location", "motion")),
            Example("a man climbing the wall", ("location", "motion")),
            Example("a man throwing a ball to the basket", ("obj-motion",), ("location",)),
            Example("a dog on a leash", (), ("location",)),
            Example("a bird flying away", ("motion",), ("location",)),
            Example("girl climbing very steep stairs", ("location", "motion")),
            Example("a man walking at the beginning of the clip", ("motion",), ("location", "static")),
            Example("a dog facing away from the camera", ("static",), ("location",)),
        ),
    ),
    Decision(
        "Whose action",
        "Only what the referent does counts. A verb right after a phrase naming another object that can "
        "act belongs to that object: in 'the dog next to the man walking' the man walks, so the dog has "
        "location but no motion. So does a relative clause on another object: in 'a hand is petting the "
        "dog which is running' the dog runs, not the hand. A word after a verb is its object only when it "
        "names a thing: in 'a small bird flying fastest towards the right' nothing is flown. The agent of a "
        "passive is another object too: in 'a hat worn by a person riding a skateboard' the person rides, "
        "and 'by a person' is no place. A verb of wearing goes by the same rule as other verbs: in 'the girl "
        "next to the man wearing a backpack' the man wears it. A relative clause right after a verb's object "
        "is the object's ('carrying a bag that is not blue': the bag is not blue), and so are looks after "
        "another that can act and the verbs after them ('ridden by a person in brown blouse riding a "
        "horse': the person's blouse and riding), and the verbs after a body part 'with' that is someone "
        "else's ('with a hand picking it up'). Two referents named together before any verb share the verbs "
        "after them: in 'a person in gray and a horse walking on the left' both walk. An action given as the "
        "purpose of another is not said to happen: 'crawling to grab the ball' is motion, no grabbing.",
        (
            Example("the dog next to the man walking", ("location", "category"), ("motion",)),
            Example("a hand is petting the dog which is running", ("static", "obj-static"), ("motion",)),
            Example("a small bird flying fastest towards the right", ("motion", "location"), ("static", "obj-motion")),
            Example("a hat worn by a person riding a skateboard", ("category",), ("motion", "obj-motion", "location")),
            Example("the girl next to the man wearing a backpack", ("location",), ("appearance",)),
            Example("a person carrying a bag that is not blue", ("obj-motion",), ("appearance",)),
            Example(
                "a horse ridden by a person in brown blouse riding a horse", ("motion",), ("appearance", "obj-motion")
            ),
            Example("a person in gray and a horse walking on the left", ("motion", "location")),
            Example("a baby crawling to grab the ball", ("motion",), ("static", "obj-static")),
        ),
    ),
    Decision(
        "Negation",
        "Table 1's location asks where the referent is: a place the RE denies ('not on the sidewalk', "
        "'neither close to the wall nor close to the camera') is where it is not, which is no location. A "
        "denied look ('a toothbrush that is not white') still speaks of how the referent looks: appearance. A "
        "negated verb is read as in 'Moving on the spot' ('not moving': static), and the place after a "
        "negated action is still the referent's ('a car that is not moving in the parking lot'). The "
        "negation ends at the clause's end or at 'and' ('not on the sidewalk and carrying a bag'). The path of "
        "a negated motion is denied with it ('not moving away from the camera': no location).",
        (
            Example("a person who is not on the sidewalk", ("category",), ("location",)),
            Example("a chair neither next to the wall nor close to the camera", ("category",), ("location",)),
            Example("a dog that is not brown", ("appearance",)),
            Example("a car that is not moving in the parking lot", ("static", "location"), ("motion",)),
            Example("a black car that is not moving away from the camera", ("static",), ("location", "motion")),
        ),
    ),
)

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
