"""The reader: one left-to-right pass over an RE's tokens that finds the referent's categories.

A small shallow parser over the words of refcat.categorize.words and the lists of
refcat.categorize.lexicon (which document how each category is read, after Bellver et al., Table 1):

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

Conventions: token indices index `Reader.words`; a hit (category, i, j) marks tokens [i, j)
as evidence of that category for the referent. Every `read_*` method takes the index where its
phrase starts and returns the index after what it read. A rule (the `_step_*` and `_prep_*`
methods, tried in the order of STEP_RULES and PREP_RULES) returns that index too, or None when
it does not apply. The questions on one word or attachment that the words alone can only guess
(`verb_form_at`, `noun_at`, `is_adverb`, `starts_np`, `takes_object`, and whose verb `read_verb` reads) are
methods, which refcat.categorize.parse_reader.ParseReader answers from spaCy's parse instead;
`doubt` records, per category, the ambiguities a reading hinged on (refcat.categorize.confidence).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from refcat.categorize import lexicon as lx
from refcat.categorize.words import (
    ALL_VERBS,
    BE,
    DO_VERBS,
    NOUNS,
    NUMBERS,
    finite_lemma,
    is_appearance_word,
    is_noun_like,
    names_category,
    tokenize,
    verb_categories,
    verb_lemma,
)
from refcat.taxonomy import CATEGORY_NAMES

_CLAUSE_BREAKS = frozenset({",", ";", ".", "!", "?", "(", ")", "-"})
# What a mover takes along "with" it, so that its place changes (obj-motion): a ball, or "it" (one named before:
# "catching a ball and running with it").
_TAKEN_ALONG = lx.PROJECTILES | frozenset({"it", "them"})
# The categories a negation's scope takes away (`Reader.hit`): a negated place is where the referent is
# not; a negated look ("not white") still says how it looks.
_NEGATABLE = frozenset({"location"})
_RELATIVE_PRONOUNS = frozenset({"who", "which", "that", "whose", "whom"})
_COMPOUND_PREPS = sorted((p.split() for p in lx.COMPOUND_PREPOSITIONS), key=len, reverse=True)
_WEAR_VERBS = frozenset("wearing wears wore worn dressed sporting dons donning".split())
# Where a moved object goes, after "throwing a ball": not the referent's place.
_GOAL_PREPS = frozenset("to into towards toward through onto at over across in".split())
_PASSIVE_AGENT = "by"
# Where a motion goes ("not moving away from the camera"): under a negated motion verb, a path is negated too.
_PATH_PREPS = frozenset("away to into towards toward onto from across through".split())
_MOUNT_PREPS = ("on", "upon", "atop", "onto")  # "a woman on a horse": the horse is ridden
_POSSESSIVES = ("his", "her", "its", "their")


@dataclass
class Phrase:
    """A noun phrase: tokens [start, end), its head noun and its prenominal participles."""

    start: int  # token index
    end: int  # token index, exclusive
    head: int | None  # token index of the head noun
    verbs: list[int]  # prenominal participles ("a parked car")


@dataclass(frozen=True)
class _PrepPhrase:
    """A prepositional phrase being read, with the reader's state where it began.

    start: token index of the preposition; obj: its object (empty when none follows), which
    starts right after the preposition; end: token index after the phrase. head: the object's
    head noun, or a nominal adjective when it has none ("in the dark", "with a light").
    is_position: the head is a position noun and no word of the object a look ("in the front",
    not "with a white front").
    looks: the phrase describes how someone looks ("in a red coat", "in black", "with blue handles").
    part: a "with" phrase on a part in a state or on something on the referent ("with the cover open",
    "with a tag on it"), which is how the referent looks.
    owner, last_verb, passive, after_agent: the reader's state before the phrase.
    """

    prep: str  # the preposition's words, joined by spaces ("next to")
    start: int
    obj: Phrase
    end: int
    head: str | None
    words: list[str]  # the object's words
    is_position: bool
    looks: bool
    part: bool
    owner: bool
    last_verb: str | None
    passive: bool
    after_agent: bool


def _describes_looks(prep: str, head: str | None, words: list[str], is_position: bool) -> bool:
    """Whether "`prep` `words`" (head noun `head`) says how someone looks."""
    if not is_position and head is not None and (head in lx.CLOTHING or head in lx.FEATURES):
        return True  # "in a yellow dress", "with long hair"
    if (
        words
        and words[0] not in ("the", "a", "an")
        and all(is_appearance_word(w) or w in lx.DETERMINERS or w in ("and", ",", "or", "all") for w in words)
        and any(is_appearance_word(w) for w in words)
    ):
        return True  # "in black", "in white and blue"; but "in the dark" is a place
    colours = words[1:]
    if prep == "in" and words[:1] == ["the"] and colours and all(w in lx.COLOURS or w == "and" for w in colours):
        # "girl in the red": a colour worn; but "in the dark" is a place
        return colours[0] in lx.COLOURS and not any(w in lx.PLACES for w in colours)
    coloured = any(w in lx.COLOURS or w in lx.PATTERNS for w in words)
    if prep == "with" and head is not None and head not in lx.CATEGORY_NOUNS | lx.PLACES | lx.BODY_PARTS:
        return coloured  # "a kite with blue handles": a coloured part, not an object held or a companion
    if prep == "in" and head is not None and head not in lx.PLACES | lx.CATEGORY_NOUNS and words[:1] != ["the"]:
        return coloured  # "in striped pajama", "in yellow cover" (but "embedded in the white cabinet": a place)
    return False


class Reader:
    """One pass over the tokens of an RE, collecting (category, token span) hits for the referent."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.words = [t.text for t in self.toks]
        self.hits: dict[str, list[tuple[int, int]]] = {c: [] for c in CATEGORY_NAMES}
        self.doubts: dict[str, list[str]] = {c: [] for c in CATEGORY_NAMES}  # refcat.categorize.confidence.DOUBTS
        self.referent = Phrase(0, 0, None, [])  # the referent's noun phrase, once read
        self.owner_is_referent = True  # the words being read describe the referent
        self.after_agent = False  # the last phrase ended on a noun that can act
        self.in_relative = False
        self.negated = False
        self.negation_at = 0  # token index of the last negation
        # the scope of a negation over the phrases after it: None, "not" (to the end of the clause, or of
        # the verb it negates when that is a present participle) or "neither" (on past commas, to its "nor")
        self.negation_scope: str | None = None
        self.passive = False
        self.after_be = False
        self.last_verb: str | None = None
        self.looks_end = -1  # token index after the last phrase on someone's looks ("in a red coat")
        self.object_head: str | None = None  # the head noun of the last verb's object (None: it took none)
        self.object_end = -1  # token index after the last verb's object, when it took one
        self.thing_end = -1  # token index after the last object of a verb or preposition that is a thing
        self.looks_referent = True  # the last phrase on looks was the referent's

    def read(self) -> None:
        """Read the whole RE: the referent's noun phrase, then one rule after another."""
        i = self.read_referent()
        while i < len(self.words):
            i = self.step(i)

    # --- helpers ---------------------------------------------------------------------------
    def word(self, i: int) -> str:
        """The token at i, or "" outside the RE."""
        return self.words[i] if 0 <= i < len(self.words) else ""

    def hit(self, category: str, i: int, j: int) -> None:
        """Tokens [i, j) are evidence of `category` for the referent; a place under a negation ("not on the
        sidewalk", "neither close to the wall nor ...") is where the referent is not, and no evidence."""
        if self.negation_scope is not None and category in _NEGATABLE:
            self.doubt("negation", category)
            return
        self.hits[category].append((i, j))

    def verb_form_at(self, i: int) -> str | None:
        """The lemma of the token at i when its form is a verb's (`verb_lemma`), wherever it stands."""
        return verb_lemma(self.word(i))

    def noun_at(self, i: int) -> bool:
        """Whether the token at i can be a noun (`is_noun_like`)."""
        return is_noun_like(self.word(i))

    def is_adverb(self, i: int) -> bool:
        """Whether the token at i is an adverb that says nothing of the categories (lexicon.ADVERBS)."""
        return self.word(i) in lx.ADVERBS

    def doubt(self, reason: str, *categories: str) -> None:
        """The reading of `categories` hinged on an ambiguity (a name of refcat.categorize.confidence.DOUBTS)."""
        for c in categories:
            self.doubts[c].append(reason)

    def match_prep(self, i: int) -> int:
        """Token index after a (compound) preposition starting at i, or i when there is none."""
        for parts in _COMPOUND_PREPS:
            if self.words[i : i + len(parts)] == parts:
                return i + len(parts)
        return i + 1 if self.word(i) in lx.LOCATIVE_PREPOSITIONS or self.word(i) in ("with", "of", "like") else i

    def starts_np(self, i: int) -> bool:
        """Whether a noun phrase starts at token i."""
        w = self.word(i)
        if not w or w in lx.AUXILIARIES or w in lx.RELATIVES or w in lx.CONJUNCTIONS or w in lx.NEGATIONS:
            return w in ("that", "this", "these", "those") and self.word(i + 1) not in lx.AUXILIARIES | {""}
        if self.match_prep(i) > i:
            return False
        if self.verb_form_at(i) is not None and w not in NOUNS:
            return self._continues_np(i + 1)  # "in swimming trunks"
        return (
            (w in lx.DETERMINERS or w in NUMBERS or is_appearance_word(w) or self.noun_at(i) or w in lx.ORDINALS)
            and w not in lx.ADVERBS
            and (w not in lx.DIRECTION_PARTICLES or (w in lx.POSITION_NOUNS and self.word(i + 1) == "of"))
        )

    def noun_phrase(self, i: int) -> Phrase:
        """The noun phrase starting at token i: determiners, adjectives, participles, nouns."""
        j, head, verbs = i, None, []
        while j < len(self.words):
            w = self.words[j]
            if w in lx.DETERMINERS or (w in NUMBERS and head is None):
                if head is not None and w not in ("other",):
                    break
                j += 1
                continue
            if w == "'s" or self._joins_adjectives(i, j, head):
                j += 1
                continue
            if self._ends_np(j, head):
                break
            if head is None and (w, self.word(j + 1)) in lx.COMPOUND_LOOKS:
                j += 2  # "a top naked man"
                continue
            if self.split_noun(j):
                head, j = j + 1, j + 2  # "a back pack"
                continue
            lemma = self._participle_in_np(i, j, head)
            if lemma is not None:
                if head is not None or not self._continues_np(j + 1):
                    break
                verbs.append(j)
                j += 1
                continue
            if head is not None and not self.noun_at(j):
                break  # "a man first walking ...": after the head only nouns continue the phrase
            if self.noun_at(j):
                if head is not None and w in lx.LOCATION_WORDS and self.words[head] in NOUNS:
                    break  # "the fish furthest away"
                head = j
            j += 1
        return Phrase(i, j, head, verbs)

    def split_noun(self, j: int) -> bool:
        """Whether the tokens at j and j+1 are one listed noun written in two words ("back pack", "foot ball")."""
        first, second = self.word(j), self.word(j + 1)
        return first.isalpha() and second.isalpha() and first + second in NOUNS

    def _joins_adjectives(self, i: int, j: int, head: int | None) -> bool:
        """Whether the token at j joins adjectives before the head of the NP starting at i
        ("a blue, red and white car", "black and white")."""
        return (
            self.words[j] in (",", "and", "or", "&")
            and head is None
            and j > i
            and (is_appearance_word(self.word(j + 1)) or self.word(j + 1) in ("and", "or"))
        )

    def _ends_np(self, j: int, head: int | None) -> bool:
        """Whether the token at j cannot be part of a noun phrase: a function word, a verb of wearing,
        punctuation, a preposition, or (once the phrase has its head) a relative or an adverb."""
        w = self.words[j]
        return (
            w in lx.AUXILIARIES
            or w in lx.NEGATIONS
            or w in lx.CONJUNCTIONS
            or w in _WEAR_VERBS
            or not re.fullmatch(r"[^\W_][\w-]*", w)
            or self.match_prep(j) > j
            or (head is not None and (w in lx.RELATIVES or w in lx.ADVERBS))
        )

    def _participle_in_np(self, i: int, j: int, head: int | None) -> str | None:
        """The lemma of the token at j when it is a verb form inside the NP starting at i: a participle
        or -ing form, or (after the head or an adjective) a finite form, or a bare verb right at the
        start ("shoot the bird"); None for nouns and other words."""
        w = self.words[j]
        if w in NOUNS:
            return None
        lemma = self.verb_form_at(j)
        if lemma is None and (head is not None or (j > i and is_appearance_word(self.words[j - 1]))):
            lemma = finite_lemma(w) or (w if w in ALL_VERBS and i == 0 else None)
        return lemma

    def _continues_np(self, j: int) -> bool:
        """Whether a participle at j-1 is prenominal ("a running dog"): a noun follows inside the NP."""
        while j < len(self.words):
            w = self.words[j]
            if self.noun_at(j) and w not in lx.LOCATION_WORDS:
                return True
            if not (is_appearance_word(w) or w in (",", "and")):
                return False
            j += 1
        return False

    def _looks_before_verb(self, np_: Phrase) -> Phrase:
        """A noun phrase cut before its first participle when only looks come before it: "(in) black shooting
        basketball", "(wearing) all black doing tricks": the verb is the referent's, not a modifier."""
        words = self.words[np_.start : np_.verbs[0]] if np_.verbs else []
        if words and all(is_appearance_word(w) or w in ("and", ",", "all") for w in words):
            return Phrase(np_.start, np_.verbs[0], None, [])
        return np_

    def _verb_at(self, i: int) -> str | None:
        """The lemma of the token at i when it is a verb here: a verb form, or a bare known verb after
        an auxiliary, "to", a relative or a negation, or right after the referent's noun phrase
        ("can jump", "trying to climb", "does not move", "man shoot the bird"); else None."""
        w = self.word(i)
        if not w or (
            w in NOUNS and not w.endswith("ing") and not (self.word(i - 1) == "to" and self._infinitive_at(i))
        ):
            return None
        lemma = self.verb_form_at(i) or finite_lemma(w)
        if (
            lemma is None
            and w in ALL_VERBS
            and (
                self.word(i - 1) in lx.AUXILIARIES | {"to", "who", "that", "which"} | lx.NEGATIONS
                or (i == self.referent.end and self.referent.head is not None)
            )
        ):
            lemma = w
        return lemma

    def _verb_phrase_ends(self, i: int) -> bool:
        """Whether token i comes right after the last verb or its object ("crawling | to grab")."""
        return i == self.object_end or (self.object_end < 0 and self._verb_at(i - 1) == self.last_verb)

    def _infinitive_at(self, j: int) -> bool:
        """Whether the word after a "to" is a verb: no determiner, noun or place follows "to",
        or a known verb is followed by its object ("to pet the dog")."""
        w = self.word(j)
        if not re.fullmatch(r"[a-z]+", w) or w in lx.DETERMINERS or is_appearance_word(w):
            return False
        if w in ALL_VERBS and self.word(j + 1) in lx.DETERMINERS:
            return True
        return w not in NOUNS | lx.PLACES | lx.LOCATION_WORDS | lx.POSITION_NOUNS

    def _participle_before(self, i: int) -> bool:
        """Whether the token before i looks like a past participle ("walked", "ridden", "held"), or a particle
        after one ("picked up", "carried away")."""
        w = self.word(i - 1)
        if w in lx.DIRECTION_PARTICLES and w != _PASSIVE_AGENT:
            w = self.word(i - 2)
        return w.endswith("ed") or w.endswith("en") or w in lx.IRREGULAR_VERBS

    def _is_body_part(self, np_: Phrase) -> bool:
        """Whether a noun phrase is the subject's own body part ("on its back", "in his hand",
        "on one leg"), not a place ("on back of the car", "on his father's shoulders")."""
        if np_.head is None or self.words[np_.head] not in lx.BODY_PARTS or self.word(np_.end) == "of":
            return False
        if "'s" in self.words[np_.start : np_.head]:
            return False  # another's body part is a place
        return (
            self.words[np_.start] in ("his", "her", "its", "their", "my", "your", "one", "both", "two", "all")
            or np_.start == np_.head
        )  # "standing on one leg", "on all fours", "in its mouth"

    # --- the referent's noun phrase -----------------------------------------------------------
    def read_referent(self) -> int:
        """The referent's noun phrase at the start of the RE: its category, its looks and position
        words, its prenominal participles ("a parked car")."""
        np_ = self._referent_phrase()
        self.referent = np_
        for k in range(np_.start, np_.end):
            w = self.words[k]
            if (w, self.word(k + 1)) in lx.COMPOUND_LOOKS or (self.word(k - 1), w) in lx.COMPOUND_LOOKS:
                self.hit("appearance", k, k + 1)  # "top naked"
            elif self.split_noun(k):
                continue  # "a back pack": no position
            elif is_appearance_word(w) and (w, self.word(k + 1)) not in lx.COMPOUND_NOUNS:
                self.hit("appearance", k, k + 1)
            elif w in lx.LOCATION_WORDS or w in lx.ORDINALS or w in lx.POSITION_NOUNS:
                self.hit("location", k, k + 1)
            elif w in lx.AGE_MODIFIERS and np_.head is not None and k < np_.head:
                self.hit("appearance", k, k + 1)  # "an adult elephant"
        partitive_end = self._read_partitive(np_)
        if partitive_end is not None:
            return partitive_end
        if np_.head is not None and names_category(self.words[np_.head]):
            start = np_.head
            while (
                start > np_.start and self.words[start - 1] in NOUNS and self.words[start - 1] not in lx.AGE_MODIFIERS
            ):
                start -= 1  # a compound noun: "the police car"
            self.hit("category", start, np_.head + 1)
        for k in np_.verbs:
            if self.words[k] in lx.NOUN_MODIFIER_ING and k + 1 == np_.head and self.words[np_.head] not in lx.AGENTS:
                continue  # "a bowling ball", "a racing car": a kind of thing, not an action
            self.classify_verb(k, verb_lemma(self.words[k]) or "", obj=None, owner_is_referent=True)
        return np_.end

    def _referent_phrase(self) -> Phrase:
        """The noun phrase at token 0; "the number 6 black greyhound": a number worn is a look."""
        k = 1 if self.word(0) in lx.DETERMINERS else 0
        if self.word(k) == "number" and self.word(k + 1).isdigit():
            self.hit("appearance", k, k + 2)
            np_ = self.noun_phrase(k + 2)
            np_.start = 0
            return np_
        return self.noun_phrase(0)

    def _read_partitive(self, np_: Phrase) -> int | None:
        """A partitive ("the smaller of the two dogs", "one of the cats"): the category is the noun after
        "of" when the referent's own head names none; the index after that phrase, or None."""
        if (
            (np_.head is None or not names_category(self.words[np_.head]))
            and self.word(np_.end) == "of"
            and self.starts_np(np_.end + 1)
        ):
            part = self.noun_phrase(np_.end + 1)
            if part.head is not None and names_category(self.words[part.head]):
                self.hit("category", part.head, part.head + 1)
                return part.end
        return None

    # --- the rest, one rule at a time -----------------------------------------------------------
    def step(self, i: int) -> int:
        """Read what starts at token i with the first rule of STEP_RULES that applies (a word no
        rule reads is skipped); the index after what was read."""
        for rule in STEP_RULES:
            end = rule(self, i)
            if end is not None:
                return end
        return i + 1

    def _step_clause_break(self, i: int) -> int | None:
        """Punctuation ends the clause: what follows describes the referent again."""
        if self.words[i] not in _CLAUSE_BREAKS:
            return None
        self.owner_is_referent, self.after_agent, self.in_relative = True, False, False
        self.last_verb, self.after_be = None, False
        if self.negation_scope == "not":
            self.negation_scope = None
        return i + 1

    def _step_conjunction(self, i: int) -> int | None:
        """A conjunction ("and", "or", "&", "/"): a verb after it has the same subject ("running and
        jumping"); a noun phrase after it continues a list of clothes ("wearing a pink jacket and
        blue jeans") or names another actor, who does the verbs after it, unless it is conjoined to the
        referent's phrase and its looks ("a woman and her child walking", "a person in gray and a horse
        walking": both walk)."""
        w = self.words[i]
        if w not in lx.CONJUNCTIONS and w not in ("&", "/"):
            return None
        looks = self.looks_end == i
        if w != "or":
            self.negation_scope = None  # "not on the sidewalk and is carrying a bag"
        if self._verb_at(i + 1) or self.word(i + 1) in lx.AUXILIARIES | lx.NEGATIONS | lx.ADVERBS:
            end = i + 1
        elif self.starts_np(i + 1):
            np_ = self.noun_phrase(i + 1)
            head = self.words[np_.head] if np_.head is not None else ""
            end = max(np_.end, i + 2)
            if looks and (head in lx.CLOTHING or head in lx.FEATURES):
                if self.owner_is_referent and self.looks_referent:
                    self.hit("appearance", i + 1, np_.end)
            elif not (i == self.referent.end or (looks and self.looks_referent and self.last_verb is None)):
                self.after_agent = head in lx.AGENTS
        else:
            end = i + 1
        if looks:
            self.looks_end = end  # the list of looks goes on after the conjunction
        return end

    def _step_relative_pronoun(self, i: int) -> int | None:
        """A relative pronoun ("who", "which", "that") opens a relative clause; with a subject of its
        own it describes that subject ("the horse on which the woman is sitting": the woman sits), and right
        after a verb's object it describes the object ("carrying a bag that is not blue")."""
        if self.words[i] not in _RELATIVE_PRONOUNS:
            return None
        self.in_relative = True
        self.negation_scope = None
        on_object = i == self.object_end and (self.words[i] != "who" or self.object_head in lx.AGENTS)
        if on_object and self.owner_is_referent:
            self.doubt("attachment", "motion", "static", "appearance")  # what a relative clause says
        if self.after_agent or on_object or (self.starts_np(i + 1) and not self._verb_at(i + 1)):
            self.owner_is_referent = False
        return i + 1

    def _step_auxiliary(self, i: int) -> int | None:
        """An auxiliary: a "be" of the main clause gives the verbs after it back to the referent
        ("the dog next to the man is walking"); "being", "been" make them passive. "Have" + a noun phrase
        is read as "with" it ("a vehicle that has a backrest", "does not have four wheels")."""
        w = self.words[i]
        if w not in lx.AUXILIARIES:
            return None
        if w in ("has", "have", "had") and self.starts_np(i + 1) and self.verb_form_at(i + 1) is None:
            return self.read_prep(i, i + 1, "with")
        if not self.in_relative and w in BE:
            self.owner_is_referent, self.after_agent = True, False
        if w in ("being", "been"):
            self.passive = True
        self.after_be = w in BE
        return i + 1

    def _step_negation(self, i: int) -> int | None:
        """A negation ("not", "never", "neither", "nor"): the next verb is negated, and a scoped one
        (lexicon.SCOPED_NEGATIONS) scopes over the phrases after it (see `hit`)."""
        w = self.words[i]
        if w not in lx.NEGATIONS:
            return None
        if not self.negated or self.negation_scope != "neither":
            self.negation_at = i  # "neither standing, sitting, walking": the negation starts at "neither"
        self.negated = True
        if w in lx.SCOPED_NEGATIONS:
            self.negation_scope = "neither" if w == "neither" else "not"
        return i + 1

    def _step_adverb(self, i: int) -> int | None:
        """An adverb is skipped ("is slowly walking"); "still" only before a verb ("still standing")."""
        w = self.words[i]
        if self.is_adverb(i) and not (w == "still" and not self._verb_at(i + 1)):
            return i + 1
        return None

    def _step_state_word(self, i: int) -> int | None:
        """A state word: "still" (not before a verb) and a static participle that is no verb here are static:
        "standing still", "is still", "is asleep"."""
        w = self.words[i]
        if not (w == "still" or (w in lx.STATIC_PARTICIPLES and not self._verb_at(i))):
            return None
        if self.owner_is_referent:
            self.hit("static", i, i + 1)
        return i + 1

    def _step_wear_verb(self, i: int) -> int | None:
        """A verb of wearing ("wearing a hat", "dressed in red", "dressed up as a clown"): appearance,
        up to the end of what is worn."""
        if self.words[i] not in _WEAR_VERBS:
            return None
        if self.word(i + 1) == _PASSIVE_AGENT:
            self.passive = True  # "a hat worn by a person": the wearer's phrase (a passive agent) follows
            return i + 1
        j = i + 1
        while self.word(j) in ("in", "up", "as", "a", "like"):
            j += 1
        np_ = self._looks_before_verb(self.noun_phrase(j)) if self.starts_np(j) else Phrase(j, j, None, [])
        end = max(np_.end, i + 1)
        if self.after_agent and not self.after_be and not finite_lemma(self.words[i]):
            self.owner_is_referent = False  # as for other verbs: "the girl next to the man wearing a backpack"
            self.doubt("attachment", "appearance")
        self.looks_referent = self.owner_is_referent
        if self.owner_is_referent:
            self.hit("appearance", i, end)
        self.after_agent = False
        self.looks_end = end
        return end

    def _step_preposition(self, i: int) -> int | None:
        """A (compound) preposition opens a prepositional phrase (see `read_prep`); so does "away"
        after a verb and before a noun phrase ("walking away the camera" (sic): away from it)."""
        j = self.match_prep(i)
        if j > i:
            return self.read_prep(i, j)
        if self.words[i] == "away" and self.last_verb and self.starts_np(i + 1):
            return self.read_prep(i, i + 1)
        return None

    def _step_verb(self, i: int) -> int | None:
        """A verb (see `read_verb`); a non-finite one right after a phrase ending on someone who can act
        is that one's: "the dog next to the man walking": the man walks."""
        lemma = self._verb_at(i)
        if not lemma:
            return None
        if self.after_agent and not self.after_be and not finite_lemma(self.words[i]):
            self.owner_is_referent = False
            self.doubt("attachment", *verb_categories(lemma, None))
        return self.read_verb(i, lemma)

    def _step_location_word(self, i: int) -> int | None:
        """A position word of the referent's: "turning left", "the fish furthest away"; right after a verb of
        orientation it is the way the referent faces ("facing right"), no place."""
        if self.words[i] in lx.LOCATION_WORDS and self.owner_is_referent:
            if not (self.last_verb in lx.ORIENTATION_VERBS and self._verb_at(i - 1)):
                self.hit("location", i, i + 1)
            return i + 1
        return None

    def _step_predicate_adjective(self, i: int) -> int | None:
        """A look after "be": "the car is red"."""
        if self.after_be and self.owner_is_referent and is_appearance_word(self.words[i]):
            self.hit("appearance", i, i + 1)
            return i + 1
        return None

    def _step_stray_phrase(self, i: int) -> int | None:
        """A noun phrase no other rule took (after a verb of unknown class, in a list) is passed over;
        it takes the verbs after it when it names someone who can act."""
        if not self.starts_np(i):
            return None
        np_ = self.noun_phrase(i)
        self.after_agent = np_.head is not None and self.words[np_.head] in lx.AGENTS
        return max(np_.end, i + 1)

    # --- prepositional phrases ------------------------------------------------------------------
    def read_prep(self, i: int, j: int, prep: str | None = None) -> int:
        """The prepositional phrase of the preposition at tokens [i, j) (read as `prep` when given): an
        infinitive after "to" is left to the verb rules, unless it is the purpose of the verb before it
        ("crawling to grab the ball": none of its categories are the referent's; after
        lexicon.ASPECTUAL_VERBS the next verb is what happens); otherwise the first rule of PREP_RULES that
        applies reads the phrase, and a phrase no rule takes is a location of the referent's ("on the couch",
        "near the fence")."""
        prep = prep or " ".join(self.words[i:j])
        if prep == "to" and self._infinitive_at(j):
            lemma = self._verb_at(j)
            if not (
                lemma and self.last_verb and self.last_verb not in lx.ASPECTUAL_VERBS and self._verb_phrase_ends(i)
            ):
                return j  # "struggling to climb", "to pet the dog": the verb is read next
            owner, self.owner_is_referent = self.owner_is_referent, False
            end = self.read_verb(j, lemma)  # "crawling to grab the ball": a purpose, not said to happen
            self.owner_is_referent = owner
            return end
        pp = self._prep_phrase(i, j, prep)
        agent = pp.head in lx.AGENTS and pp.obj.head is not None
        # a rider's mount or a likeness does not take the verbs after it: "a woman on a horse jumping a fence",
        # "a wolf like dog sleeping"; a body part
        # "with" takes them when it is someone else's ("with a hand picking it up", not "with long neck walking")
        body_part = prep == "with" and pp.head in lx.BODY_PARTS and self.word(pp.obj.start) in ("a", "an", "another")
        self.after_agent = (agent and prep not in (*_MOUNT_PREPS, "like")) or body_part
        self.passive = self.negated = False
        end = pp.end
        if prep not in ("of", "like"):  # "a fox like dog": a likeness, none of the referent's categories
            end = next((e for e in (rule(self, pp) for rule in PREP_RULES) if e is not None), -1)
            if end < 0:
                end = pp.end
                if pp.owner:
                    self.hit("location", i, pp.end)
        thing = pp.head not in lx.AGENTS | lx.CLOTHING | lx.FEATURES | lx.BODY_PARTS | lx.PLACES and not pp.looks
        self.thing_end = end if pp.obj.head is not None and thing else -1
        return end

    def _prep_phrase(self, i: int, j: int, prep: str) -> _PrepPhrase:
        """The phrase of preposition `prep` at [i, j) and its object from j on, with the reader's state now."""
        np_ = Phrase(j, j, None, [])
        if self.starts_np(j):
            np_ = self.noun_phrase(j)
            if prep == "in":
                np_ = self._looks_before_verb(np_)
        end = np_.end
        part = False  # a part of the referent: "with the cover open", "with a tag on it"
        if prep == "with" and np_.head is not None and np_.head > np_.start:
            if self.words[np_.head] in lx.PART_STATES and self.noun_at(np_.head - 1):
                np_, part = Phrase(np_.start, np_.end, np_.head - 1, np_.verbs), True
            elif self.word(end) in lx.LOCATIVE_PREPOSITIONS and self.word(end + 1) in ("it", "them"):
                end, part = end + 2, True
        noun = self.words[np_.head] if np_.head is not None else None
        words = self.words[np_.start : np_.end]
        is_position = noun in lx.POSITION_NOUNS and not any(is_appearance_word(w) for w in words)
        head = noun
        if head is None and np_.end > j and any(w not in lx.DETERMINERS for w in words):
            head = words[-1]  # a nominal adjective: "in the dark", "with a light"
        return _PrepPhrase(
            prep=prep,
            start=i,
            obj=np_,
            end=max(end, j),
            head=head,
            words=words,
            is_position=is_position,
            looks=part or _describes_looks(prep, noun, words, is_position),
            part=part,
            owner=self.owner_is_referent,
            last_verb=self.last_verb,
            passive=self.passive,
            after_agent=self.after_agent,
        )

    def _prep_looks(self, pp: _PrepPhrase) -> int | None:
        """Looks ("in a yellow dress", "in black", "with long hair", "with the cover open"): appearance. After
        someone who can act they are theirs ("next to the girl with red hair", "by a person in brown blouse"),
        and so are the verbs after them; a part "with" right after a thing other than the referent is that
        thing's ("on a bike with white handle bars", "next to the car with its door open")."""
        if pp.prep not in ("in", "with") or not pp.looks:
            return None
        things = pp.prep == "with" and pp.start == self.thing_end
        part = pp.part or (pp.obj.head is not None and pp.head not in lx.CLOTHING | lx.FEATURES)
        theirs = pp.after_agent or (things and part)
        self.looks_referent = pp.owner and not theirs
        if self.looks_referent:
            self.hit("appearance", pp.start, pp.end)
        self.after_agent = pp.after_agent
        self.looks_end = pp.end
        return pp.end

    def _prep_device(self, pp: _PrepPhrase) -> int | None:
        """A device used ("talking on the phone", "typing on a laptop" after a verb): obj-static, no place."""
        if pp.prep == "on" and (pp.head in lx.PHONES or (pp.last_verb and pp.head in lx.DEVICES)):
            if pp.owner:
                self.hit("obj-static", pp.start, pp.end)
            return pp.end
        return None

    def _prep_with(self, pp: _PrepPhrase) -> int | None:
        """A "with" phrase: + an object, obj-static ("a man with a camera"), but obj-motion after "playing"
        + a ball or a toy (lexicon.PLAYED_WITH) and right after a motion verb + a ball or "it" ("running with
        the ball"; "walking with a cane" uses a tool: obj-static), and nothing after a referent that is a
        thing ("the glass with water": it acts on nothing); "with" + a person or animal is company, + a body
        part a posture ("with her back to the camera"); after someone else ("next to the girl with the
        balloon") it is theirs."""
        if pp.prep != "with":
            return None
        if (
            pp.head in lx.BODY_PARTS
            or pp.after_agent
            or (pp.start == self.object_end and self.object_head in lx.AGENTS)
        ):
            return pp.end
        if not pp.owner or pp.head is None or pp.head in lx.PEOPLE | lx.ANIMALS:
            return pp.end
        if pp.last_verb == "play" and pp.head in lx.PLAYED_WITH:
            self.hit("obj-motion", pp.start, pp.end)  # "playing with a ball": it is moved about
        elif pp.last_verb in lx.MOTION_VERBS and self._verb_at(pp.start - 1) and pp.head in _TAKEN_ALONG:
            self.hit("obj-motion", pp.start, pp.end)  # "running with the ball": taken along, its place changes
            self.doubt("with-phrase", "obj-motion")
        elif self.referent.head is not None and self.words[self.referent.head] in lx.OBJECTS | lx.VEHICLES:
            self.doubt("with-phrase", "obj-static")  # "the glass with water": a thing does not act on its contents
        else:
            self.hit("obj-static", pp.start, pp.end)
            self.doubt("with-phrase", "obj-static")
        return pp.end

    def _prep_without_object(self, pp: _PrepPhrase) -> int | None:
        """A preposition without an object: an adverbial place ("rolling outside", "the one behind",
        "walking around"); a direction particle ends there ("flying away", "bending down", "crawling
        up onto ..."), and is no place."""
        if pp.head is not None:
            return None
        bare = pp.obj.end == pp.obj.start
        if bare and pp.prep in lx.ADVERBIAL_LOCATIVES and pp.owner:
            self.hit("location", pp.start, pp.obj.start)
        if bare and pp.prep == "around" and pp.owner and pp.last_verb in lx.MOTION_VERBS:
            self.hit("location", pp.start, pp.obj.start)  # the area it moves about
        if bare and pp.prep in lx.DIRECTION_PARTICLES:
            return pp.obj.start
        return pp.end

    def _prep_ridden(self, pp: _PrepPhrase) -> int | None:
        """A mount ridden on ("riding on a black scooter"): moved (obj-motion), not a place."""
        if (
            pp.last_verb == "ride"
            and pp.prep in ("on", "upon", "atop")
            and self._verb_at(pp.start - 1)
            and pp.head in lx.VEHICLES | lx.ANIMALS
        ):
            if pp.owner:
                self.hit("obj-motion", pp.start - 1, pp.end)
            return pp.end
        return None

    def _prep_particle(self, pp: _PrepPhrase) -> int | None:
        """The particle of a phrasal verb right before it introduces the verb's object, not a place:
        "picking up a box", "taking off his jacket" (the verb is read again with that object),
        "shaking off water"."""
        if pp.last_verb is None or (pp.last_verb, pp.prep) not in lx.PHRASAL_PARTICLES:
            return None
        if not self._verb_at(pp.start - 1):
            return None
        if pp.head in lx.CATEGORY_NOUNS | lx.CLOTHING:
            self.classify_verb(pp.start - 1, pp.last_verb, pp.obj, pp.owner)
        return pp.end

    def _prep_passive_agent(self, pp: _PrepPhrase) -> int | None:
        """The agent of a passive ("walked by a woman", "driven by a man"): no place."""
        if (
            pp.prep == _PASSIVE_AGENT
            and (pp.passive or self._participle_before(pp.start))
            and pp.head in lx.AGENTS | lx.VEHICLES
        ):
            self.after_be = False  # a verb after the agent is the agent's: "worn by a person riding a skateboard"
            return pp.end
        return None

    def _prep_recipient(self, pp: _PrepPhrase) -> int | None:
        """The recipient of a thing handed over ("throwing a frisbee to a dog"): no place."""
        if pp.prep == "to" and pp.head in lx.PEOPLE | lx.ANIMALS and pp.last_verb in lx.TRANSFER_VERBS:
            return pp.end
        return None

    def _prep_verb_complement(self, pp: _PrepPhrase) -> int | None:
        """A preposition the last verb takes ("looking at", "talking to", "fighting over"): no place;
        "on" + a thing there is obj-static ("talking on the phone")."""
        if pp.last_verb not in lx.NON_LOCATIVE_PREP_AFTER.get(pp.prep, ()):
            return None
        if pp.prep == "on" and pp.owner and pp.head not in lx.AGENTS:
            self.hit("obj-static", pp.start, pp.end)
        return pp.end

    def _prep_goal_of_object(self, pp: _PrepPhrase) -> int | None:
        """Where a moved object goes ("throwing a ball to the basket"): not the referent's place
        (but "throwing a ball in the front" places the thrower)."""
        if (
            self.object_head is not None
            and pp.last_verb in lx.OBJ_MOTION_IN_PLACE
            and pp.prep in _GOAL_PREPS
            and not (
                pp.prep in ("in", "at") and any(w in lx.POSITION_NOUNS or w in lx.LOCATION_WORDS for w in pp.words)
            )
        ):
            return pp.end
        return None

    def _prep_held_path(self, pp: _PrepPhrase) -> int | None:
        """A held path ("climbing up a rope"): what is held, not where (but "climbing up the cage" is a place)."""
        if pp.prep in ("up", "down") and pp.last_verb in lx.TRAVERSED_OBJECT_VERBS and pp.head in lx.GRASPED_OBJECTS:
            return pp.end
        return None

    def _prep_not_a_place(self, pp: _PrepPhrase) -> int | None:
        """Manner, equipment, clothing and the body: "in circles", "on a leash" (not "in first place"),
        "in a coat", "on its back"."""
        ranked = any(w in lx.ORDINALS or w in lx.LOCATION_WORDS for w in pp.words)
        if (
            (pp.head in lx.NON_LOCATIVE_OBJECTS and pp.prep in lx.MANNER_PREPOSITIONS and not ranked)
            or (pp.head in lx.CLOTHING and not pp.is_position)
            or self._is_body_part(pp.obj)
        ):
            return pp.end
        return None

    # --- verbs -----------------------------------------------------------------------------------
    def read_verb(self, i: int, lemma: str) -> int:
        """The verb at token i (lemma `lemma`) and its object, if a noun phrase follows ("turning
        left", "galloping side by side" have none)."""
        j = i + 1
        obj = None
        if self.takes_object(i, j):
            obj = self.noun_phrase(j)
            j = max(obj.end, j)
            noun = self.words[obj.head] if obj.head is not None else ""
            if lemma in DO_VERBS and noun in lx.LIGHT_VERB_NOUNS and self.word(j) == "of" and self.starts_np(j + 1):
                lemma, obj = lx.LIGHT_VERB_NOUNS[noun], self.noun_phrase(j + 1)  # "taking care of a child"
                j = max(obj.end, j + 1)
        self.classify_verb(i, lemma, obj, self.owner_is_referent)
        head = self.words[obj.head] if obj is not None and obj.head is not None else None
        if obj is not None and head is not None and self._traverses(lemma, obj, head):
            self.hit("location", obj.start, obj.end)
        self.object_head, self.object_end = head, (j if head is not None else -1)
        self.thing_end = j if head is not None and head not in lx.AGENTS | lx.PLACES else -1
        self.last_verb = lemma
        self.negated = self.negation_scope == "neither"  # "neither standing, sitting, nor walking"
        self.passive = False
        if self.negation_scope == "not" and self.words[i].endswith("ing") and self.word(j) not in _PATH_PREPS:
            self.negation_scope = None  # "not moving on the grass": the motion is negated, not the place
            # (but "not moving away from the camera": not its path)
        self.after_be = False
        self.after_agent = False  # a verb's object does not take the verbs after it
        return j

    def takes_object(self, i: int, j: int) -> bool:
        """Whether the verb at token i takes the noun phrase at j as its object ("turning left",
        "galloping side by side" take none)."""
        return (
            self.starts_np(j)
            and self.word(j) not in lx.LOCATION_WORDS
            and self.words[j : j + 3] != ["side", "by", "side"]
        )

    def _traverses(self, lemma: str, obj: Phrase, head: str) -> bool:
        """Whether the referent's verb `lemma` goes along or over its object (head noun `head`), which
        is then a place: "climbing the door", "following the group" (not "climbing a rope")."""
        return (
            self.owner_is_referent
            and lemma in lx.TRAVERSED_OBJECT_VERBS
            and head not in lx.GRASPED_OBJECTS
            and not self.negated
            and not self._is_body_part(obj)
            and (head not in lx.AGENTS or lemma == "follow")
        )

    def classify_verb(self, i: int, lemma: str, obj: Phrase | None, owner_is_referent: bool) -> None:
        """Hits for the verb at token i (lemma `lemma`) with its object `obj` (None: none), when the
        verb is the referent's (`owner_is_referent`): its categories span the verb, and the object
        too for the obj- categories. A negated motion verb is static from the negation on."""
        w = self.words[i]
        head = self.words[obj.head] if obj is not None and obj.head is not None else None
        own = obj is not None and self.words[obj.start] in _POSSESSIVES
        bare = obj is not None and obj.start == obj.head  # "holding hands"
        moves_body_part = head is not None and (
            (head in lx.BODY_PARTS and (own or bare)) or (own and head in lx.FEATURES)
        )
        if moves_body_part:
            head = None  # "waving his hand", "turning its head": no object
        if self.negated and w not in lx.STATIC_PARTICIPLES:
            if owner_is_referent and (lemma in lx.MOTION_VERBS or lemma in lx.OBJ_MOTION_MOVING):
                self.hit("static", self.negation_at, i + 1)  # "not moving"
            return
        if not owner_is_referent:
            return
        cats = self._verb_reading(i, lemma, obj, head, moves_body_part)
        if lemma not in ALL_VERBS:
            self.doubt("unknown-verb", *cats)
        elif head is not None and lemma in lx.CONVENTIONAL_VERBS:
            self.doubt("decision", "motion", "static", "obj-motion", "obj-static")
        elif head is not None and lemma in lx.OBJECT_SENSE_VERBS:
            self.doubt("verb-sense", "motion", "static", "obj-motion", "obj-static")
        for c in cats:
            end = obj.end if c.startswith("obj-") and obj is not None else i + 1
            if lemma in DO_VERBS and obj is not None:
                end = obj.end
            self.hit(c, i, end)

    def _verb_reading(
        self, i: int, lemma: str, obj: Phrase | None, head: str | None, moves_body_part: bool
    ) -> list[str]:
        """The categories of the (not negated) verb at token i, from its form and what follows it:
        a static participle, a passive, a verb with a particle of motion, "doing" + a movement, a verb
        handing over to the next one; otherwise its lexicon class with its object's head `head`."""
        w = self.words[i]
        if w in lx.STATIC_PARTICIPLES:
            return ["static"]
        participle = not w.endswith("ing") and (w.endswith(("ed", "en", "wn")) or w in lx.IRREGULAR_VERBS)
        if self.passive or (participle and (self.word(i + 1) == _PASSIVE_AGENT or self.after_be)):
            if lemma in lx.PERCEPTION_VERBS:
                return []  # "able to be seen": nothing the referent does
            if lemma in lx.MOTION_VERBS | lx.OBJ_MOTION_MOVING | lx.OBJ_MOTION_ONLY | lx.OBJ_MOTION_IN_PLACE:
                return ["motion"]  # "a dog being walked", "a ball kicked by a boy"
            if lemma in lx.STATIC_VERBS | lx.OBJ_STATIC_VERBS:
                return ["static"]
            return []
        if self.word(i + 1) in lx.PARTICLE_MOTION.get(lemma, ()) and (lemma == "get" or not self.starts_np(i + 2)):
            return ["motion"]  # "getting out of a car", "taking off from the water"
        if lemma in DO_VERBS and head is not None and head in lx.MOTION_NOUNS:
            return ["motion"]  # "doing a backflip", "taking steps"
        if self.word(i + 1) == "to" and lemma in lx.ASPECTUAL_VERBS | {"go"} and self._verb_at(i + 2):
            return []  # "struggling to climb": the next verb says what happens
        if obj is None and self.word(i + 1).endswith("ing") and verb_lemma(self.word(i + 1)) in lx.MOTION_VERBS:
            return []  # "launching paragliding", "goes skiing": the activity says what happens
        cats = verb_categories(lemma, head)
        if moves_body_part and cats == ["motion"]:
            return ["static"]  # moving a body part in place: "turning his head", "moving its arms"
        return cats


_StepRule = Callable[[Reader, int], int | None]
_PrepRule = Callable[[Reader, _PrepPhrase], int | None]

# The rules of `Reader.step`, in the order they are tried on the word at hand.
STEP_RULES: tuple[_StepRule, ...] = (
    Reader._step_clause_break,
    Reader._step_conjunction,
    Reader._step_relative_pronoun,
    Reader._step_auxiliary,
    Reader._step_negation,
    Reader._step_adverb,
    Reader._step_state_word,
    Reader._step_wear_verb,
    Reader._step_preposition,
    Reader._step_verb,
    Reader._step_location_word,
    Reader._step_predicate_adjective,
    Reader._step_stray_phrase,
)
# The rules of `Reader.read_prep`, in the order they are tried on a phrase other than "of".
PREP_RULES: tuple[_PrepRule, ...] = (
    Reader._prep_looks,
    Reader._prep_device,
    Reader._prep_with,
    Reader._prep_without_object,
    Reader._prep_ridden,
    Reader._prep_particle,
    Reader._prep_passive_agent,
    Reader._prep_recipient,
    Reader._prep_verb_complement,
    Reader._prep_goal_of_object,
    Reader._prep_held_path,
    Reader._prep_not_a_place,
)
