"""Rule-based categorizer: the seven semantic categories of an RE, with the words that decided each.

`categorize(text)` reads an English referring expression left to right with a small
shallow parser and the word lists of refcat.categorize.lexicon (which document how
each category is read, after Bellver et al., Table 1):

1. The referent's noun phrase (the RE's first NP): its head noun gives `category`
   ("one", "thing" give none); its colour/size/look adjectives give `appearance`;
   its positional words ("the left one", "the closest car", "the first car") give
   `location`; prenominal participles ("a parked car") are the referent's actions.
2. Prepositional phrases: "in"/"with" + clothing, colour or a visible feature
   ("in a yellow dress", "in black", "with long hair") is `appearance`; "with" + an
   object is `obj-static` ("a man with a camera"); any other locative phrase is
   `location` ("on the couch", "in the water", "near the fence", "to the left").
   Not locative: "looking *at* X", "talking *on* the phone", "walked *by* a woman",
   phrases on a body part ("in his hand"), manner ("in circles").
3. Verbs (-ing forms, "is X-ing", "who/that X-s", past participles, irregular
   forms) are classified by the lexicon and by whether they take an object:
   "riding a bike" = motion + obj-motion, "holding a bike" = static + obj-static,
   "kicking a ball" = static + obj-motion, "climbing a tree" = motion. A negated
   motion verb ("not moving") is static; a passive displacement ("being walked")
   is motion.
4. Attachment: a verb right after a prepositional phrase whose object can act (a
   person, animal or vehicle) belongs to that object, not to the referent ("the dog
   next to the man walking": the man walks). A finite verb of the main clause ("the
   dog next to the man is walking") and a clause after a comma belong to the referent.

Information (`redundant`/`minimal`) cannot be judged from the text alone, since the
paper defines it against the video ("more information than needed to identify the
referent"). The heuristic, stated in `information_label`: count the cue groups
besides the category (appearance, location, motion/obj-motion, static/obj-static);
a trivial referent needs none, so any cue is redundant; otherwise two or more
groups are redundant.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from refcat.categorize import lexicon as lx
from refcat.taxonomy import CATEGORY_NAMES

_TOKEN_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*(?=n't)|n't|'s|[^\W_]+(?:-[^\W_]+)*|[^\w\s]|_")
_DO_VERBS = frozenset("do perform make execute take".split())  # "doing a backflip", "taking steps"
_ALL_VERBS = (
    lx.MOTION_VERBS
    | lx.STATIC_VERBS
    | lx.OBJ_STATIC_VERBS
    | lx.OBJ_MOTION_MOVING
    | lx.OBJ_MOTION_IN_PLACE
    | lx.OBJ_MOTION_ONLY
    | lx.NON_ACTED_OBJECT_VERBS
    | lx.ASPECTUAL_VERBS
    | _DO_VERBS
    | frozenset(lx.PARTICLE_MOTION)
)
_NOUNS = lx.CATEGORY_NOUNS | lx.CLOTHING | lx.FEATURES | lx.BODY_PARTS
_APPEARANCE = lx.COLOURS | lx.PATTERNS | lx.SIZES | lx.LOOKS
_COMPOUND_PREPS = sorted((p.split() for p in lx.COMPOUND_PREPOSITIONS), key=len, reverse=True)
_FUNCTION_WORDS = (
    lx.LOCATIVE_PREPOSITIONS
    | lx.AUXILIARIES
    | lx.RELATIVES
    | lx.CONJUNCTIONS
    | lx.NEGATIONS
    | lx.DIRECTION_PARTICLES
    | frozenset("with of for as like than about without during".split())
)
_QUOTES = frozenset({'"', "'", "`", "\u201c", "\u201d", "\u2018"})
_NUMBERS = frozenset("one two three four five six seven eight nine ten".split())
_WEAR_VERBS = frozenset("wearing wears wore worn dressed sporting dons donning".split())
# Where a moved object goes, after "throwing a ball": not the referent's place.
_GOAL_PREPS = frozenset("to into towards toward through onto at over across in".split())
_BE = frozenset("is are was were be been being am".split())
_PASSIVE_AGENT = "by"


@dataclass
class Categorization:
    """The categorizer's answer for one RE.

    labels: category name -> bool, for all seven categories of the taxonomy.
    information: "redundant" or "minimal" (see `information_label`).
    evidence: category name -> the phrases that decided it (empty list when negative).
    spans: category name -> (start, end) character offsets of those phrases in the input.
    """

    labels: dict[str, bool]
    information: str
    evidence: dict[str, list[str]]
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _fold(c: str) -> str:
    """One character lower-cased and without its accent ("È" -> "e"), kept one character long
    so that token offsets stay offsets in the original text."""
    low = c.lower() if len(c.lower()) == 1 else c
    base = unicodedata.normalize("NFKD", low)[0]
    return base if base.isalnum() else low


def tokenize(text: str) -> list[_Token]:
    """Lower-cased, accent-folded word tokens with their character offsets in `text`;
    "isn't" -> "is", "n't"."""
    low = "".join(_fold(c) for c in text.replace("\u2019", "'"))
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(low) if m.group() not in _QUOTES]


def is_appearance_word(w: str) -> bool:
    """Colour, pattern, size or look adjective, including compounds ("black-and-white", "long-haired")."""
    if w in _APPEARANCE or w.endswith(lx.LOOK_SUFFIXES):
        return True
    parts = w.split("-")
    return len(parts) > 1 and w not in _NOUNS and any(p in _APPEARANCE for p in parts)


def verb_lemma(w: str) -> str | None:
    """Lemma of an -ing form, a past form/participle or an irregular form; None if `w` is none of these.

    Unknown -ing forms return their stem (they are verbs of no known class); unknown -ed forms
    return None, since they are mostly adjectives ("feathered").
    """
    if w in lx.IRREGULAR_VERBS:
        return lx.IRREGULAR_VERBS[w]
    for typo in (w + "g", w[:-2] + "ing"):  # "walkin", "jumpng" (sic): only for known verbs
        if (
            (w.endswith("in") or (w.endswith("ng") and not w.endswith("ing")))
            and typo.endswith("ing")
            and len(w) > 4
            and w not in _NOUNS
            and w not in _ALL_VERBS
            and w[:-2] not in lx.IRREGULAR_VERBS
        ):
            lemma = verb_lemma(typo)
            if lemma in _ALL_VERBS:
                return lemma
    if w.endswith("ing") and len(w) > 4 and w not in lx.ING_NOUNS and w not in _NOUNS:
        stem = w[:-3]
        if stem in lx.IRREGULAR_VERBS:
            return lx.IRREGULAR_VERBS[stem]  # "felling" (sic) -> fall
        candidates = [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            candidates.insert(0, stem[:-1])
        return next((c for c in candidates if c in _ALL_VERBS), stem)
    if w.endswith("ed") and len(w) > 4:
        candidates = [w[:-2], w[:-1]]
        if w[-3] == w[-4]:
            candidates.insert(0, w[:-3])
        if w.endswith("ied"):
            candidates.append(w[:-3] + "y")
        return next((c for c in candidates if c in _ALL_VERBS), None)
    return None


def finite_lemma(w: str) -> str | None:
    """Lemma of a third-person present form ("runs", "flies", "watches") of a known verb."""
    if w in _NOUNS or not w.endswith("s"):
        return None
    candidates = [w[:-1], w[:-2]] + ([w[:-3] + "y"] if w.endswith("ies") else [])
    return next((c for c in candidates if c in _ALL_VERBS), None)


def _is_noun_like(w: str) -> bool:
    if w in _NOUNS or w in lx.NON_CATEGORY_HEADS or w in lx.POSITION_NOUNS or w in lx.LOCATION_WORDS:
        return True
    if (
        is_appearance_word(w)
        or w in lx.DETERMINERS
        or w in lx.ORDINALS
        or w in _NUMBERS
        or w in lx.ADVERBS
        or w in _FUNCTION_WORDS
        or not re.fullmatch(r"[a-z][a-z-]*", w)
    ):
        return False
    return verb_lemma(w) is None


@dataclass
class _Phrase:
    start: int  # token index
    end: int  # token index, exclusive
    head: int | None  # token index of the head noun
    verbs: list[int]  # prenominal participles ("a parked car")


class _Reader:
    """One pass over the tokens of an RE, collecting (category, token span) hits for the referent."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.words = [t.text for t in self.toks]
        self.hits: dict[str, list[tuple[int, int]]] = {c: [] for c in CATEGORY_NAMES}
        self.referent = _Phrase(0, 0, None, [])  # the referent's noun phrase, once read
        self.owner_is_referent = True  # the words being read describe the referent
        self.after_agent = False  # the last phrase ended on a noun that can act
        self.in_relative = False
        self.negated = False
        self.negation_at = 0  # token index of the last negation
        self.passive = False
        self.after_be = False
        self.last_verb: str | None = None
        self.last_looks = False  # the last phrase described the referent's looks
        self.last_object = False  # the last verb took an object
        self.agent_object_end = -1  # token index after the last verb's object, when it can act

    # --- helpers ---------------------------------------------------------------------------
    def word(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    def hit(self, category: str, i: int, j: int) -> None:
        self.hits[category].append((i, j))

    def match_prep(self, i: int) -> int:
        """Token index after a (compound) preposition starting at i, or i when there is none."""
        for parts in _COMPOUND_PREPS:
            if self.words[i : i + len(parts)] == parts:
                return i + len(parts)
        return i + 1 if self.word(i) in lx.LOCATIVE_PREPOSITIONS or self.word(i) in ("with", "of") else i

    def starts_np(self, i: int) -> bool:
        w = self.word(i)
        if not w or w in lx.AUXILIARIES or w in lx.RELATIVES or w in lx.CONJUNCTIONS or w in lx.NEGATIONS:
            return w in ("that", "this", "these", "those") and self.word(i + 1) not in lx.AUXILIARIES | {""}
        if self.match_prep(i) > i:
            return False
        if verb_lemma(w) is not None and w not in _NOUNS:
            return self._continues_np(i + 1)  # "in swimming trunks"
        return (
            (w in lx.DETERMINERS or w in _NUMBERS or is_appearance_word(w) or _is_noun_like(w) or w in lx.ORDINALS)
            and w not in lx.ADVERBS
            and (w not in lx.DIRECTION_PARTICLES or (w in lx.POSITION_NOUNS and self.word(i + 1) == "of"))
        )

    def noun_phrase(self, i: int) -> _Phrase:
        """The noun phrase starting at token i: determiners, adjectives, participles, nouns."""
        j, head, verbs = i, None, []
        while j < len(self.words):
            w = self.words[j]
            if w in lx.DETERMINERS or (w in _NUMBERS and head is None):
                if head is not None and w not in ("other",):
                    break
                j += 1
                continue
            if w == "'s":
                j += 1
                continue
            if (
                w in (",", "and", "or", "&")
                and head is None
                and j > i
                and (is_appearance_word(self.word(j + 1)) or self.word(j + 1) in ("and", "or"))
            ):
                j += 1  # "a blue, red and white car", "black and white"
                continue
            if (
                w in lx.AUXILIARIES
                or w in lx.NEGATIONS
                or w in lx.CONJUNCTIONS
                or w in _WEAR_VERBS
                or not re.fullmatch(r"[^\W_][\w-]*", w)
                or self.match_prep(j) > j
                or (head is not None
                and (w in lx.RELATIVES or w in lx.ADVERBS))
            ):
                break
            lemma = verb_lemma(w) if w not in _NOUNS else None
            if (
                lemma is None
                and w not in _NOUNS
                and (head is not None or (j > i and is_appearance_word(self.words[j - 1])))
            ):
                lemma = finite_lemma(w) or (w if w in _ALL_VERBS and i == 0 else None)
            if lemma is not None:
                if head is not None or not self._continues_np(j + 1):
                    break
                verbs.append(j)
                j += 1
                continue
            if head is not None and not _is_noun_like(w):
                break  # "a man first walking ...": after the head only nouns continue the phrase
            if _is_noun_like(w):
                if head is not None and w in lx.LOCATION_WORDS and self.words[head] in _NOUNS:
                    break  # "the fish furthest away"
                head = j
            j += 1
        return _Phrase(i, j, head, verbs)

    def _continues_np(self, j: int) -> bool:
        """Whether a participle at j-1 is prenominal ("a running dog"): a noun follows inside the NP."""
        while j < len(self.words):
            w = self.words[j]
            if _is_noun_like(w) and w not in lx.LOCATION_WORDS:
                return True
            if not (is_appearance_word(w) or w in (",", "and")):
                return False
            j += 1
        return False

    # --- the referent's noun phrase -----------------------------------------------------------
    def read_referent(self) -> int:
        k = 1 if self.word(0) in lx.DETERMINERS else 0
        if self.word(k) == "number" and self.word(k + 1).isdigit():
            self.hit("appearance", k, k + 2)  # "the number 6 black greyhound": a number worn is a look
            np_ = self.noun_phrase(k + 2)
            np_.start = 0
        else:
            np_ = self.noun_phrase(0)
        self.referent = np_
        for k in range(np_.start, np_.end):
            w = self.words[k]
            if is_appearance_word(w) and (w, self.word(k + 1)) not in lx.COMPOUND_NOUNS:
                self.hit("appearance", k, k + 1)
            elif w in lx.LOCATION_WORDS or w in lx.ORDINALS or w in lx.POSITION_NOUNS:
                self.hit("location", k, k + 1)
        if (
            (np_.head is None or not self._names_category(self.words[np_.head]))
            and self.word(np_.end) == "of"
            and self.starts_np(np_.end + 1)
        ):
            part = self.noun_phrase(np_.end + 1)  # "the smaller of the two dogs", "one of the cats"
            if part.head is not None and self._names_category(self.words[part.head]):
                self.hit("category", part.head, part.head + 1)
                return part.end
        if np_.head is not None and self._names_category(self.words[np_.head]):
            start = np_.head
            while start > np_.start and self.words[start - 1] in _NOUNS:
                start -= 1
            self.hit("category", start, np_.head + 1)
        for k in np_.verbs:
            if self.words[k] in lx.NOUN_MODIFIER_ING and k + 1 == np_.head and self.words[np_.head] not in lx.AGENTS:
                continue  # "a bowling ball", "a racing car": a kind of thing, not an action
            self.classify_verb(k, verb_lemma(self.words[k]) or "", obj=None, owner_is_referent=True)
        return np_.end

    @staticmethod
    def _names_category(w: str) -> bool:
        return not (
            w in lx.NON_CATEGORY_HEADS
            or w in lx.LOCATION_WORDS
            or w in lx.POSITION_NOUNS
            or w in lx.ORDINALS
            or is_appearance_word(w)
            or w in lx.DIRECTION_PARTICLES
        )

    # --- the rest ----------------------------------------------------------------------------
    def read(self) -> None:
        i = self.read_referent()
        while i < len(self.words):
            i = self.step(i)

    def step(self, i: int) -> int:
        looks, self.last_looks = self.last_looks, False
        w = self.words[i]
        if w in (",", ";", ".", "!", "?", "(", ")", "-"):
            self.owner_is_referent, self.after_agent, self.in_relative = True, False, False
            self.last_verb, self.after_be = None, False
            return i + 1
        if w in lx.CONJUNCTIONS or w in ("&", "/"):
            self.last_looks = looks
            if self._verb_at(i + 1) or self.word(i + 1) in lx.AUXILIARIES | lx.NEGATIONS | lx.ADVERBS:
                return i + 1  # "running and jumping": the same subject
            if self.starts_np(i + 1):
                np_ = self.noun_phrase(i + 1)
                head = self.words[np_.head] if np_.head is not None else ""
                if self.last_looks and (head in lx.CLOTHING or head in lx.FEATURES):
                    if self.owner_is_referent:  # "wearing a pink jacket and blue jeans"
                        self.hit("appearance", i + 1, np_.end)
                    return max(np_.end, i + 2)
                if i != self.referent.end:  # "a woman and her child walking": both walk
                    self.after_agent = head in lx.AGENTS
                return max(np_.end, i + 2)
            return i + 1
        if w in ("who", "which", "that", "whose", "whom"):
            self.in_relative = True
            if self.after_agent or (self.starts_np(i + 1) and not self._verb_at(i + 1)):
                self.owner_is_referent = False  # "the horse on which the woman is sitting": the woman sits
            return i + 1
        if w in lx.AUXILIARIES:
            if not self.in_relative and w in _BE | {"'s"}:
                self.owner_is_referent, self.after_agent = True, False
            if w in ("being", "been"):
                self.passive = True
            self.after_be = w in _BE or w == "'s"
            return i + 1
        if w in lx.NEGATIONS:
            self.negated = True
            self.negation_at = i
            return i + 1
        if w in lx.ADVERBS and not (w == "still" and not self._verb_at(i + 1)):
            return i + 1
        if w == "still" or (w in lx.STATIC_PARTICIPLES and not self._verb_at(i)):
            if self.owner_is_referent:
                self.hit("static", i, i + 1)  # "standing still" is static anyway; "is still", "is asleep"
            return i + 1
        if w in _WEAR_VERBS:
            j = i + 1
            while self.word(j) in ("in", "up", "as", "a", "like"):
                j += 1
            np_ = self.noun_phrase(j) if self.starts_np(j) else _Phrase(j, j, None, [])
            if self.owner_is_referent:
                self.hit("appearance", i, max(np_.end, i + 1))
            self.after_agent, self.last_looks = False, True
            return max(np_.end, i + 1)
        j = self.match_prep(i)
        if j > i:
            return self.read_prep(i, j)
        if w == "away" and self.last_verb and self.starts_np(i + 1):
            return self.read_prep(i, i + 1)  # "walking away the camera" (sic): away from it
        lemma = self._verb_at(i)
        if lemma:
            if self.after_agent and not self.after_be and not finite_lemma(w):
                self.owner_is_referent = False  # "the dog next to the man walking": the man walks
            return self.read_verb(i, lemma)
        if w in lx.LOCATION_WORDS and self.owner_is_referent:
            self.hit("location", i, i + 1)  # "turning left", "the fish furthest away"
            return i + 1
        if self.after_be and self.owner_is_referent and is_appearance_word(w):
            self.hit("appearance", i, i + 1)  # "the car is red"
            return i + 1
        if self.starts_np(i):  # a stray noun phrase (after a verb of unknown class, a list)
            np_ = self.noun_phrase(i)
            self.after_agent = np_.head is not None and self.words[np_.head] in lx.AGENTS
            return max(np_.end, i + 1)
        return i + 1

    def _verb_at(self, i: int) -> str | None:
        w = self.word(i)
        if not w or (w in _NOUNS and not w.endswith("ing") and not (self.word(i - 1) == "to" and self._infinitive_at(i))):
            return None
        lemma = verb_lemma(w) or finite_lemma(w)
        if (
            lemma is None
            and w in _ALL_VERBS
            and (
                self.word(i - 1) in lx.AUXILIARIES | {"to", "who", "that", "which"} | lx.NEGATIONS
                or (i == self.referent.end
                and self.referent.head is not None)
            )
        ):
            lemma = w  # "can jump", "trying to climb", "does not move", "man shoot the bird"
        return lemma

    def read_prep(self, i: int, j: int) -> int:
        prep = " ".join(self.words[i:j])
        if prep == "to" and self._infinitive_at(j):
            return j  # an infinitive: "struggling to climb", "using his phone to capture", "to pet the dog"
        if self.starts_np(j):
            np_ = self.noun_phrase(j)
            if (
                np_.verbs
                and prep == "in"
                and np_.verbs[0] > j
                and all(is_appearance_word(w) or w in ("and", ",", "all") for w in self.words[j : np_.verbs[0]])
            ):
                np_ = _Phrase(j, np_.verbs[0], None, [])  # "in black shooting basketball": the verb is the referent's
        else:
            np_ = _Phrase(j, j, None, [])
        end = max(np_.end, j)
        head = self.words[np_.head] if np_.head is not None else None
        obj_words = self.words[np_.start : np_.end]
        is_position = head in lx.POSITION_NOUNS and not any(is_appearance_word(w) for w in obj_words)
        describes_looks = (
            (not is_position and head is not None and (head in lx.CLOTHING or head in lx.FEATURES))
            or (
                # "in black", "in white and blue"; but "in the dark" is a place
                obj_words
                and obj_words[0] not in ("the", "a", "an")
                and all(
                    is_appearance_word(w) or w in lx.DETERMINERS or w in ("and", ",", "or", "all") for w in obj_words
                )
                and any(is_appearance_word(w) for w in obj_words)
            )
            or (
                # "a kite with blue handles": a coloured part, not an object held or a companion
                prep == "with"
                and head is not None
                and head not in lx.CATEGORY_NOUNS | lx.PLACES | lx.BODY_PARTS
                and any(w in lx.COLOURS or w in lx.PATTERNS for w in obj_words)
            )
            or (
                # "in striped pajama", "in yellow cover": a coloured thing that is no place or object
                prep == "in"
                and head is not None
                and head not in lx.PLACES
                and head not in lx.CATEGORY_NOUNS
                and any(w in lx.COLOURS or w in lx.PATTERNS for w in obj_words)
            )
        )
        owner = self.owner_is_referent
        last_verb, passive, after_agent = self.last_verb, self.passive, self.after_agent
        # a rider's mount does not take the verbs after it: "a woman on a horse jumping a fence"
        self.after_agent = head is not None and head in lx.AGENTS and prep not in ("on", "upon", "atop", "onto")
        self.passive = self.negated = False
        if prep == "of":
            return end
        if head is None and np_.end > j and any(w not in lx.DETERMINERS for w in obj_words):
            head = obj_words[-1]  # a nominal adjective: "in the dark", "with a light"
        if prep in ("in", "with") and describes_looks:
            if owner and not (prep == "with" and after_agent):
                self.hit("appearance", i, end)
            self.after_agent, self.last_looks = False, True
            return end
        if (prep == "on" and head in lx.PHONES) or (prep == "on" and last_verb and head in lx.DEVICES):
            if owner:
                self.hit("obj-static", i, end)  # "talking on the phone", "typing on a laptop"
            return end
        if prep == "with":
            if head in lx.BODY_PARTS or after_agent or i == self.agent_object_end:
                # "with her back to the camera"; "next to the girl with the balloon": the girl's
                return end
            if owner and head is not None and head not in lx.PEOPLE | lx.ANIMALS:
                self.hit("obj-static", i, end)  # "a man with a camera", "playing with a ball"
            return end
        if head is None:
            if np_.end == j and prep in lx.ADVERBIAL_LOCATIVES and owner:
                self.hit("location", i, j)  # "rolling outside", "the one behind"
            if np_.end == j and prep == "around" and owner and last_verb in lx.MOTION_VERBS:
                self.hit("location", i, j)  # "walking around": the area it moves about
            if np_.end == j and prep in lx.DIRECTION_PARTICLES:
                return j  # "flying away", "bending down", "crawling up onto ..."
            return end
        if (
            last_verb == "ride"
            and prep in ("on", "upon", "atop")
            and self._verb_at(i - 1)
            and head in lx.VEHICLES | lx.ANIMALS
        ):
            if owner:
                self.hit("obj-motion", i - 1, end)  # "riding on a black scooter": moves the scooter
            return end
        if (last_verb, prep) in lx.PHRASAL_PARTICLES and self._verb_at(i - 1):
            if head in lx.CATEGORY_NOUNS | lx.CLOTHING:  # a thing: "picking up a box", "taking off his jacket"
                self.classify_verb(i - 1, last_verb, np_, owner)
            return end  # "shaking off water": the particle's object, not a place
        if prep == _PASSIVE_AGENT and (passive or self._participle_before(i)) and head in lx.AGENTS | lx.VEHICLES:
            return end  # "walked by a woman": the agent, not a place
        if prep == "to" and head in lx.PEOPLE | lx.ANIMALS and last_verb in lx.TRANSFER_VERBS:
            return end  # "throwing a frisbee to a dog": the recipient, not a place
        if last_verb in lx.NON_LOCATIVE_PREP_AFTER.get(prep, ()):
            if prep == "on" and owner and head not in lx.AGENTS:
                self.hit("obj-static", i, end)  # "talking on the phone"
            return end
        if (
            self.last_object
            and last_verb in lx.OBJ_MOTION_IN_PLACE
            and prep in _GOAL_PREPS
            and not (prep in ("in", "at") and any(w in lx.POSITION_NOUNS or w in lx.LOCATION_WORDS for w in obj_words))
        ):
            return end  # "throwing a ball to the basket": where the ball goes (not "in the front")
        if prep in ("up", "down") and last_verb in lx.TRAVERSED_OBJECT_VERBS and head in lx.GRASPED_OBJECTS:
            return end  # "climbing up a rope": what is held, not where (but "climbing up the cage" is)
        ranked = any(w in lx.ORDINALS or w in lx.LOCATION_WORDS for w in obj_words)  # "in first place"
        if (
            (head in lx.NON_LOCATIVE_OBJECTS
            and prep in lx.MANNER_PREPOSITIONS
            and not ranked)
            or (head in lx.CLOTHING
            and not is_position)
            or self._is_body_part(np_)
        ):
            return end  # "in circles", "on a leash", "on its back"
        if owner:
            self.hit("location", i, end)
        return end

    def _infinitive_at(self, j: int) -> bool:
        """Whether the word after a "to" is a verb: no determiner, noun or place follows "to",
        or a known verb is followed by its object ("to pet the dog")."""
        w = self.word(j)
        if not re.fullmatch(r"[a-z]+", w) or w in lx.DETERMINERS or is_appearance_word(w):
            return False
        if w in _ALL_VERBS and self.word(j + 1) in lx.DETERMINERS:
            return True
        return w not in _NOUNS | lx.PLACES | lx.LOCATION_WORDS | lx.POSITION_NOUNS

    def _participle_before(self, i: int) -> bool:
        w = self.word(i - 1)
        return w.endswith("ed") or w.endswith("en") or w in lx.IRREGULAR_VERBS

    def _is_body_part(self, np_: _Phrase) -> bool:
        if np_.head is None or self.words[np_.head] not in lx.BODY_PARTS or self.word(np_.end) == "of":
            return False  # "on back of the car" is a position
        if "'s" in self.words[np_.start : np_.head]:
            return False  # "on his father's shoulders": another's body part is a place
        return (
            self.words[np_.start] in ("his", "her", "its", "their", "my", "your", "one", "both", "two", "all")
            or np_.start == np_.head
        )  # "standing on one leg", "on all fours", "in its mouth"

    def read_verb(self, i: int, lemma: str) -> int:
        j = i + 1
        obj = None
        if (
            self.starts_np(j)
            and self.word(j) not in lx.LOCATION_WORDS
            and self.words[j : j + 3] != ["side", "by", "side"]
        ):
            # "turning left", "galloping side by side" have no object
            obj = self.noun_phrase(j)
            j = max(obj.end, j)
        self.classify_verb(i, lemma, obj, self.owner_is_referent)
        head = self.words[obj.head] if obj is not None and obj.head is not None else None
        if (
            self.owner_is_referent
            and lemma in lx.TRAVERSED_OBJECT_VERBS
            and head is not None
            and head not in lx.GRASPED_OBJECTS
            and not self.negated
            and not self._is_body_part(obj)
            and (head not in lx.AGENTS or lemma == "follow")
        ):
            self.hit("location", obj.start, obj.end)  # "climbing the door", "following the group"
        self.agent_object_end = j if head in lx.AGENTS else -1
        self.last_verb = lemma
        self.last_object = head is not None
        self.negated = self.passive = False
        self.after_be = False
        self.after_agent = False  # a verb's object does not take the verbs after it
        return j

    def classify_verb(self, i: int, lemma: str, obj: _Phrase | None, owner_is_referent: bool) -> None:
        w = self.words[i]
        head = self.words[obj.head] if obj is not None and obj.head is not None else None
        own = obj is not None and self.words[obj.start] in ("his", "her", "its", "their")
        bare = obj is not None and obj.start == obj.head  # "holding hands"
        moves_body_part = head is not None and ((head in lx.BODY_PARTS and (own or bare)) or (own and head in lx.FEATURES))
        if moves_body_part:
            head = None  # "waving his hand", "turning its head": no object
        participle = not w.endswith("ing") and (w.endswith(("ed", "en", "wn")) or w in lx.IRREGULAR_VERBS)
        passive = self.passive or (participle and (self.word(i + 1) == _PASSIVE_AGENT or self.after_be))
        cats: list[str] = []
        if w in lx.STATIC_PARTICIPLES:
            cats = ["static"]
        elif self.negated:
            if lemma in lx.MOTION_VERBS or lemma in lx.OBJ_MOTION_MOVING:
                if owner_is_referent:
                    self.hit("static", self.negation_at, i + 1)  # "not moving"
            return
        elif passive:
            if lemma in lx.MOTION_VERBS | lx.OBJ_MOTION_MOVING | lx.OBJ_MOTION_ONLY | lx.OBJ_MOTION_IN_PLACE:
                cats = ["motion"]  # "a dog being walked", "a ball kicked by a boy"
            elif lemma in lx.STATIC_VERBS | lx.OBJ_STATIC_VERBS:
                cats = ["static"]
        elif self.word(i + 1) in lx.PARTICLE_MOTION.get(lemma, ()) and (lemma == "get" or not self.starts_np(i + 2)):
            cats = ["motion"]  # "getting out of a car", "taking off from the water"
        elif lemma in _DO_VERBS and head is not None and head in lx.MOTION_NOUNS:
            cats = ["motion"]  # "doing a backflip", "taking steps"
        elif self.word(i + 1) == "to" and lemma in lx.ASPECTUAL_VERBS | {"go"} and self._verb_at(i + 2):
            cats = []  # "struggling to climb": the next verb says what happens
        elif obj is None and self.word(i + 1).endswith("ing") and verb_lemma(self.word(i + 1)) in lx.MOTION_VERBS:
            cats = []  # "launching paragliding", "goes skiing": the activity says what happens
        else:
            cats = self._verb_categories(lemma, head)
            if moves_body_part and cats == ["motion"]:
                cats = ["static"]  # moving a body part in place: "turning his head", "moving its arms"
        if not owner_is_referent:
            return
        for c in cats:
            end = obj.end if c.startswith("obj-") and obj is not None else i + 1
            if lemma in _DO_VERBS and obj is not None:
                end = obj.end
            self.hit(c, i, end)

    @staticmethod
    def _verb_categories(lemma: str, head: str | None) -> list[str]:
        if head in lx.ABSTRACT_OBJECTS:
            head = None  # "leading a race", "turning a corner": no object is acted on
        if lemma == "play" and head in lx.SPORTS:
            return ["motion"]  # "playing basketball": the players run about
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


def information_label(labels: dict[str, bool], trivial: bool | None = None) -> str:
    """Redundant or minimal, from the categories found.

    Cue groups besides the category: appearance, location, motion (motion or obj-motion),
    static (static or obj-static). A trivial referent (only object of its class) is found by
    its category alone, so any further cue is redundant (the release labels "a black feathered
    swan" redundant); without a category, one cue is the minimum. When the difficulty is
    not trivial or unknown, two or more cue groups are redundant ("the child is crawling up
    onto the sofa": motion and location).
    """
    groups = sum(
        (
            labels["appearance"],
            labels["location"],
            labels["motion"] or labels["obj-motion"],
            labels["static"] or labels["obj-static"],
        )
    )
    needed = 0 if trivial and labels["category"] else 1
    return "redundant" if groups > needed else "minimal"


def categorize(text: str, trivial: bool | None = None) -> Categorization:
    """Categorize one RE. `trivial` (the referent is the only object of its class), when known,
    sharpens the redundant/minimal decision (see `information_label`)."""
    reader = _Reader(text)
    reader.read()
    labels, evidence, spans = {}, {}, {}
    for cat in CATEGORY_NAMES:
        char_spans = _merge([(reader.toks[i].start, reader.toks[j - 1].end) for i, j in reader.hits[cat]])
        labels[cat] = bool(char_spans)
        spans[cat] = char_spans
        evidence[cat] = [text[a:b] for a, b in char_spans]
    return Categorization(labels, information_label(labels, trivial), evidence, spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping spans merged into one."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
