"""The parse-based reader: the rules of refcat.categorize.reader, with spaCy's parse deciding where words guess.

`ParseReader` reads an RE with the same rules, word lists and conventions as `Reader` (see that
module), but asks the dependency parse of en_core_web_sm 3.8.0 (refcat.categorize.nlp.english();
Penn Treebank tags, ClearNLP dependency labels) the questions that a word's form cannot answer:

1. Part of speech. An -ing word that the parse tags as a noun (NN/NNS), the object of a verb or
   preposition with a determiner or possessive of its own and no object after it, is a noun, not a
   verb: "at *the beginning* of the clip", "enjoying *his* training".
2. Intensifiers. An adverb that modifies a prenominal adjective starts the noun phrase: "climbing
   *very* steep stairs" reads "very steep stairs" as the verb's object (a place climbed).
3. What a verb takes. The noun phrase after a verb is its object only when the parse does not make
   it an adverbial or adjectival modifier of the verb (advmod, acomp: "flying *fastest* towards the
   right") nor a reflexive pronoun ("rolling *itself* on the carpet": the referent rolls, nothing else
   is moved). Such a modifier of the verb is passed over like an adverb.
4. Whose verb. A verb belongs to another object when the parse makes it a relative clause on another
   noun ("a hand is petting the dog *which is running*": the dog runs), a participle on the object of a
   verb ("a woman holding a baby crying"), or gives it a subject of its own. The parse only takes a verb
   away from the referent; the convention of refcat.taxonomy.DECISIONS ("Whose action": a non-finite
   verb right after a phrase on someone who can act is theirs) stays as the word reader has it, since
   the small pipeline parses such fragments ("the dog next to the man walking") as the dog's.

Each of these readings records its doubt (refcat.categorize.confidence.DOUBTS) for the categories it
changed, so that the confidence of a label that hinged on the parse is the calibrated one of such
readings.

Tokens: `Reader.toks` (refcat.categorize.words.tokenize) and spaCy's tokens are aligned by
character offset: `self.parse[i]` is the spaCy token that holds the first character of token i.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence

from spacy.tokens import Doc, Token

from refcat.categorize import lexicon as lx
from refcat.categorize.nlp import english
from refcat.categorize.reader import Reader
from refcat.categorize.words import is_appearance_word, verb_categories

_NOUN_TAGS = frozenset({"NN", "NNS"})
_ADJECTIVE_TAGS = frozenset({"JJ", "JJR", "JJS"})
_ADVERB_TAGS = frozenset({"RB", "RBR", "RBS"})
_MODIFIER_DEPS = frozenset({"advmod", "acomp"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
# Words of an adverbial role that other rules read: places, directions, "still", "there".
_READ_ELSEWHERE = (
    lx.LOCATION_WORDS
    | lx.DIRECTION_PARTICLES
    | lx.LOCATIVE_PREPOSITIONS
    | lx.ADVERBIAL_LOCATIVES
    | lx.NEGATIONS
    | lx.POSITION_NOUNS
    | frozenset({"still"})
)
# Heads that cannot do what a verb says: a verb the parse attaches to them stays the referent's.
_CANNOT_ACT = lx.OBJECTS | lx.CLOTHING | lx.FEATURES | lx.BODY_PARTS | lx.PLACES | lx.POSITION_NOUNS | lx.LOCATION_WORDS


def parse(text: str) -> Doc:
    """spaCy's parse of an RE (typographic apostrophes made plain, as `tokenize` does)."""
    return english()(_plain(text))


def parse_all(texts: Sequence[str]) -> Iterator[Doc]:
    """`parse` of each RE, in one batch (spaCy's `pipe`, several times faster than one call each)."""
    return english().pipe(_plain(t) for t in texts)


def _plain(text: str) -> str:
    return text.replace("\u2019", "'")


class ParseReader(Reader):
    """`Reader` with the parse's answers on part of speech, modifiers and attachment (see the module docstring)."""

    def __init__(self, text: str, doc: Doc | None = None) -> None:
        super().__init__(text)
        self.doc = doc if doc is not None else parse(text)
        starts = [t.idx for t in self.doc]
        self.parse: list[Token | None] = []
        for tok in self.toks:
            k = bisect_right(starts, tok.start) - 1
            self.parse.append(self.doc[k] if k >= 0 and tok.start < starts[k] + len(self.doc[k]) else None)
        self.ing_nouns = {i for i in range(len(self.toks)) if self._parsed_ing_noun(i)}

    def at(self, i: int) -> Token | None:
        """The spaCy token of token i (None outside the RE)."""
        return self.parse[i] if 0 <= i < len(self.parse) else None

    def index(self, token: Token) -> int | None:
        """The index of the reader's token that starts where spaCy's `token` starts, if any."""
        return next((i for i, t in enumerate(self.toks) if t.start == token.idx), None)

    # --- 1. part of speech ------------------------------------------------------------------------
    def _parsed_ing_noun(self, i: int) -> bool:
        """An -ing word that the parse tags as the noun object of a verb or preposition, with a determiner or
        possessive of its own and only adjectives between, and nothing but a preposition, a conjunction or
        punctuation after it ("at the beginning of"); not a fragment's verb that the pipeline parses as a
        noun ("a kitten playing", "in a blue dress twirling", "on the right holding", "in all black kicking a ball")."""
        t = self.at(i)
        if t is None or not self.words[i].endswith("ing") or t.tag_ not in _NOUN_TAGS or t.dep_ not in ("pobj", "dobj"):
            return False
        det = next((c for c in t.children if c.dep_ in ("det", "poss")), None)
        if det is None:
            return False
        after = self.doc[t.i + 1] if t.i + 1 < len(self.doc) else None
        if after is not None and after.tag_ not in ("IN", "CC", ",", "."):
            return False  # "in all black kicking a ball": what follows is the verb's object
        between = self.doc[det.i + 1 : t.i]  # only adjectives may stand between: "the very beginning"
        return det.lower_ != "all" and all(
            b.tag_ in _ADJECTIVE_TAGS | _ADVERB_TAGS
            and b.lower_ not in lx.LOCATION_WORDS | lx.POSITION_NOUNS
            and not is_appearance_word(b.lower_)  # "in all black walking": a look, then the verb
            for b in between
        )

    def verb_form_at(self, i: int) -> str | None:
        if i in self.ing_nouns:
            self.doubt("part-of-speech", "static", "motion")
            return None
        return super().verb_form_at(i)

    def noun_at(self, i: int) -> bool:
        return i in self.ing_nouns or super().noun_at(i)

    # --- 2. intensifiers ----------------------------------------------------------------------------
    def _intensifier(self, i: int) -> bool:
        """An adverb modifying the adjective of a noun after it ("very steep stairs")."""
        t = self.at(i)
        return (
            t is not None
            and t.tag_ in _ADVERB_TAGS
            and t.dep_ == "advmod"
            and t.head.i > t.i
            and t.head.tag_ in _ADJECTIVE_TAGS
            and t.head.dep_ in ("amod", "compound")
            and t.head.head.tag_ in _NOUN_TAGS
        )

    def starts_np(self, i: int) -> bool:
        return self._intensifier(i) or super().starts_np(i)

    # --- 3. what a verb takes -----------------------------------------------------------------------
    def _verb_modifier(self, j: int) -> bool:
        """The token at j modifies a verb as an adverb or adjective ("flying fastest"), or is a reflexive
        pronoun ("rolling itself"): no object of the verb."""
        t = self.at(j)
        if t is None or self.words[j] in _READ_ELSEWHERE or super().verb_form_at(j) is not None:
            return False  # "is walkin (sic) in the street": a verb form, whatever its tag
        if t.tag_ == "PRP" and t.lower_.endswith(("self", "selves")):
            return True
        return (
            t.dep_ in _MODIFIER_DEPS
            and t.tag_ in _ADJECTIVE_TAGS | _ADVERB_TAGS
            and t.head.pos_ == "VERB"  # not a predicate after "be": "the car is red"
            and not is_appearance_word(self.words[j])
        )

    def takes_object(self, i: int, j: int) -> bool:
        if self._verb_modifier(j):
            self.doubt("attachment", "obj-motion", "obj-static")
            return False
        return super().takes_object(i, j)

    def is_adverb(self, i: int) -> bool:
        return self._verb_modifier(i) or super().is_adverb(i)

    # --- 4. whose verb ------------------------------------------------------------------------------
    def _other_subject(self, i: int) -> bool:
        """Whether the parse gives the verb at token i to a noun that is not the referent and can act."""
        t = self.at(i)
        if t is None or t.pos_ not in ("VERB", "AUX"):
            return False
        while t.dep_ == "conj" and t.head.pos_ in ("VERB", "AUX"):
            t = t.head
        if t.dep_ == "relcl" or (t.dep_ == "acl" and t.head.dep_ == "dobj"):
            owner: Token | None = t.head
        else:
            owner = next(
                (c for c in t.children if c.dep_ in _SUBJECT_DEPS and c.tag_ in _NOUN_TAGS | {"NNP", "NNPS"}), None
            )
        if owner is None or owner.tag_ not in _NOUN_TAGS | {"NNP", "NNPS"}:
            return False
        k = self.index(owner)
        referent = self.at(self.referent.head) if self.referent.head is not None else None
        if referent is not None and (referent in owner.subtree or (owner.dep_ == "conj" and owner.head == referent)):
            return False  # the parse heads the referent's phrase elsewhere ("a man/woman"), or lists it
        return k is not None and not (self.referent.start <= k < self.referent.end) and self.words[k] not in _CANNOT_ACT

    def read_verb(self, i: int, lemma: str) -> int:
        if self.owner_is_referent and self._other_subject(i):
            self.owner_is_referent = False
            self.doubt("attachment", *verb_categories(lemma, None))
        return super().read_verb(i, lemma)
