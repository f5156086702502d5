"""Words of a referring expression: tokens, word classes and verb forms, looked up in the lexicon.

The reader (refcat.categorize.reader) asks these questions about single words; none of them
depends on where the word stands. Every function takes one token as `tokenize` gives it:
lower-cased and accent-folded. The word lists themselves, and what each one means, are in
refcat.categorize.lexicon; this module only combines them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from refcat.categorize import lexicon as lx

_TOKEN_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*(?=n't)|n't|'s|[^\W_]+(?:-[^\W_]+)*|[^\w\s]|_")
_TRIPLED = re.compile(r"([a-z])\1\1+")
_QUOTES = frozenset({'"', "'", "`", "\u201c", "\u201d", "\u2018"})

DO_VERBS = frozenset("do perform make execute take".split())  # "doing a backflip", "taking steps"
ALL_VERBS = (
    lx.MOTION_VERBS
    | lx.STATIC_VERBS
    | lx.OBJ_STATIC_VERBS
    | lx.OBJ_MOTION_MOVING
    | lx.OBJ_MOTION_IN_PLACE
    | lx.OBJ_MOTION_ONLY
    | lx.NON_ACTED_OBJECT_VERBS
    | lx.ASPECTUAL_VERBS
    | DO_VERBS
    | frozenset(lx.PARTICLE_MOTION)
)
NOUNS = lx.CATEGORY_NOUNS | lx.CLOTHING | lx.FEATURES | lx.BODY_PARTS
NUMBERS = frozenset("one two three four five six seven eight nine ten".split())
BE = frozenset("is are was were be been being am 's".split())  # "'s" as in "the dog's running"
_APPEARANCE = lx.COLOURS | lx.PATTERNS | lx.SIZES | lx.LOOKS
_FUNCTION_WORDS = (
    lx.LOCATIVE_PREPOSITIONS
    | lx.AUXILIARIES
    | lx.RELATIVES
    | lx.CONJUNCTIONS
    | lx.NEGATIONS
    | lx.DIRECTION_PARTICLES
    | frozenset("with of for as like than about without during".split())
)


@dataclass(frozen=True)
class Token:
    """One word or punctuation mark: its folded text and its character offsets [start, end) in the input."""

    text: str
    start: int
    end: int


def _fold(c: str) -> str:
    """One character lower-cased and without its accent ("È" -> "e"), kept one character long
    so that token offsets stay offsets in the original text."""
    low = c.lower() if len(c.lower()) == 1 else c
    base = unicodedata.normalize("NFKD", low)[0]
    return base if base.isalnum() else low


def tokenize(text: str) -> list[Token]:
    """Lower-cased, accent-folded word tokens with their character offsets in `text`;
    "isn't" -> "is", "n't"."""
    low = "".join(_fold(c) for c in text.replace("\u2019", "'"))
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(low) if m.group() not in _QUOTES]


def is_appearance_word(w: str) -> bool:
    """Colour, pattern, size or look adjective, including compounds ("black-and-white", "long-haired")."""
    if w in _APPEARANCE or w.endswith(lx.LOOK_SUFFIXES):
        return True
    parts = w.split("-")
    return len(parts) > 1 and w not in NOUNS and any(p in _APPEARANCE for p in parts)


def verb_lemma(w: str) -> str | None:
    """Lemma of an -ing form, a past form/participle or an irregular form; None if `w` is none of these.

    Unknown -ing forms return their stem (they are verbs of no known class); unknown -ed forms
    return None, since they are mostly adjectives ("feathered").
    """
    if w in lx.IRREGULAR_VERBS:
        return lx.IRREGULAR_VERBS[w]
    if _TRIPLED.search(w):  # "runnning" (sic): no English word has a letter three times in a row
        return verb_lemma(_TRIPLED.sub(r"\1\1", w))
    for typo in (w + "g", w[:-2] + "ing"):  # "walkin", "jumpng" (sic): only for known verbs
        if (
            (w.endswith("in") or (w.endswith("ng") and not w.endswith("ing")))
            and typo.endswith("ing")
            and len(w) > 4
            and w not in NOUNS
            and w not in ALL_VERBS
            and w[:-2] not in lx.IRREGULAR_VERBS
        ):
            lemma = verb_lemma(typo)
            if lemma in ALL_VERBS:
                return lemma
    if w.endswith("ing") and len(w) > 4 and w not in lx.ING_NOUNS and w not in NOUNS:
        stem = w[:-3]
        if stem in lx.IRREGULAR_VERBS:
            return lx.IRREGULAR_VERBS[stem]  # "felling" (sic) -> fall
        candidates = [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            candidates.insert(0, stem[:-1])
        return next((c for c in candidates if c in ALL_VERBS), stem)
    if w.endswith("ed") and len(w) > 4:
        candidates = [w[:-2], w[:-1]]
        if w[-3] == w[-4]:
            candidates.insert(0, w[:-3])
        if w.endswith("ied"):
            candidates.append(w[:-3] + "y")
        return next((c for c in candidates if c in ALL_VERBS), None)
    return None


def finite_lemma(w: str) -> str | None:
    """Lemma of a third-person present form ("runs", "flies", "watches") of a known verb."""
    if w in NOUNS or not w.endswith("s"):
        return None
    candidates = [w[:-1], w[:-2]] + ([w[:-3] + "y"] if w.endswith("ies") else [])
    return next((c for c in candidates if c in ALL_VERBS), None)


def is_noun_like(w: str) -> bool:
    """A listed noun, place or position word, or an unlisted word that is no adjective, function
    word, number or verb form (unknown nouns are many: "the skateboarder", "a toddler")."""
    if w in NOUNS or w in lx.NON_CATEGORY_HEADS or w in lx.POSITION_NOUNS or w in lx.LOCATION_WORDS:
        return True
    if (
        is_appearance_word(w)
        or w in lx.DETERMINERS
        or w in lx.ORDINALS
        or w in NUMBERS
        or w in lx.ADVERBS
        or w in _FUNCTION_WORDS
        or not re.fullmatch(r"[a-z][a-z-]*", w)
    ):
        return False
    return verb_lemma(w) is None


def names_category(w: str) -> bool:
    """Whether a head noun names what the referent is ("dog"), unlike "one", "left", "side", "first"."""
    return not (
        w in lx.NON_CATEGORY_HEADS
        or w in lx.LOCATION_WORDS
        or w in lx.POSITION_NOUNS
        or w in lx.ORDINALS
        or is_appearance_word(w)
        or w in lx.DIRECTION_PARTICLES
    )


def verb_categories(lemma: str, head: str | None) -> list[str]:
    """The categories a verb gives its subject, by the verb's lexicon class and its object's head noun
    (None: no object). "riding a bike" -> motion, obj-motion; "kicking a ball" -> static, obj-motion."""
    if head in lx.ABSTRACT_OBJECTS:
        head = None  # "leading a race", "turning a corner": no object is acted on
    if lemma == "play" and head in lx.SPORTS:
        return ["motion"]  # "playing basketball": the players run about
    if lemma == "play" and head in lx.AGENTS:
        return ["static"]  # "a cat playing a person": company, as "playing with a person" (taxonomy.DECISIONS)
    if lemma in lx.SHOOTING_VERBS and head in lx.PROJECTILES:
        return ["static", "obj-motion"]  # "shooting a football" sends it off; "shooting a gun" holds it
    transitive = head is not None
    if transitive and lemma in lx.NON_ACTED_OBJECT_VERBS:
        acted_on = head in lx.OBJECTS or (lemma in ("walk", "lead") and head in lx.ANIMALS)
        in_obj_list = lemma in lx.OBJ_MOTION_MOVING | lx.OBJ_MOTION_IN_PLACE | lx.OBJ_STATIC_VERBS
        if not (acted_on and in_obj_list):
            return ["motion"] if lemma in lx.MOTION_VERBS else ["static"]
    if transitive:
        if lemma in lx.OBJ_MOTION_MOVING:
            return ["motion", "obj-motion"]
        if lemma in lx.OBJ_MOTION_IN_PLACE:
            return ["static", "obj-motion"]
        if lemma in lx.OBJ_MOTION_ONLY:
            return ["obj-motion"]
        if lemma in lx.OBJ_STATIC_VERBS or (lemma in lx.STATIC_VERBS and head not in lx.PLACES):
            return ["static", "obj-static"]  # "holding a bike", "smoking a pipe", "hanging clothes"
    if lemma in lx.MOTION_VERBS or lemma in lx.OBJ_MOTION_MOVING:
        return ["motion"]
    if lemma in lx.STATIC_VERBS or lemma in lx.OBJ_MOTION_IN_PLACE or lemma in lx.OBJ_STATIC_VERBS:
        return ["static"]
    if lemma in lx.OBJ_MOTION_ONLY or lemma in lx.NON_ACTED_OBJECT_VERBS:
        return []
    # A verb of no known class: most such verbs in REs describe something done in place
    # ("texting", "training a dog"); motion verbs are listed in the lexicon.
    return ["static", "obj-static"] if transitive and head not in lx.PLACES else ["static"]
