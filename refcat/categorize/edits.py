"""Edit rules for A2Dre+ (Bellver et al., Section 4.3): remove a category from an RE, or add one, and check the result.

The edits rest on two readings of the RE: the categorizer's (refcat.categorize.rules: which words
carry which category, as character spans) and spaCy's (refcat.categorize.nlp: tags, lemmas and a
dependency parse, Penn Treebank tags and ClearNLP labels). Neither depends on how the categorizer
reads internally.

The referent is the head noun of the categorizer's first category phrase ("the person" in "the
person in gray is walking"); without one, the subject of the parse's root, the root when it is a
noun, else the root of the first noun chunk. A phrase belongs to the noun it hangs off in the parse
(`owner`): walking up from the phrase, the first noun met, or for a verb its subject (a relative
pronoun's verb belongs to the noun the clause modifies, a conjoined verb shares its first
conjunct's subject). A phrase whose walk ends at the root without meeting another noun is the
referent's. Three corrections for the small pipeline's habits with telegraphic REs (`Reading`): a
phrase hanging off a noun of the referent's own appearance phrases is the referent's ("man with
silver hair standing"), a participle the parse hangs off its own object ("eating/amod fishes") is
walked from the object, and a location on the object of the referent's verb is the referent's ("man
holding a baby on the left"). Words the categorizer puts in a motion or static phrase are read as
verbs even where the tagger says noun ("girl in yellow dress standing/NN"). Only the referent's
phrases are edited: "man standing between a man in red and a man in blue" has no appearance of the
referent to remove.

Removing a category drops its phrases and what they govern:
- an adjective, prepositional or participle phrase (appearance, location) goes with its subtree
  ("in front of a mirror", "wearing a red hat"), which stops at the referent's other phrases and,
  since a phrase is contiguous, before the first of them that follows it ("Boy [with white hat]
  playing basketball", where the parse hangs "basketball" off "with");
- a verb (motion, static) goes with its auxiliaries, negation and relative pronoun ("that is
  sitting"), its objects and complements ("pulling a rope", "looking at its friends", and the
  categorizer's obj-motion / obj-static phrase it starts), particles and adverbs ("sitting down",
  "turning left", "standing still"); a prepositional phrase under it that carries another of the
  referent's categories stays ("a dog [that is sitting] on the couch");
- the referent's noun and the words of its other categories are never removed;
- then separators, prepositions, determiners and auxiliaries that the removal left dangling are
  dropped (to a fixed point) and "a"/"an" is fixed before the word that now follows it.

Adding (`add_phrase`) puts a phrase where English expects it: an appearance adjective right
before the referent's noun ("a brown dog"), an appearance phrase for a person after its noun
phrase ("the man in red"); a motion or static verb after the referent's noun phrase and the
appearance phrases that follow it ("the person in gray walking next to the car"), joined by
"and" to a verb after "is" ("the man is walking and standing"); a location phrase at the end. A
finite verb of the added phrase agrees with the referent ("the dogs that are not moving", by
lemminflect).

`malformations` checks any edit (a person's as well as a generated one) for form: spaces, words
that are not the original's, function words left dangling, a categorizer span that cuts a word,
and from the parse: a stranded object or leftover token (a word whose head in the original's parse
was removed while it was kept: "Parrot a rope", "boy 3 playing football"), a stranded preposition
or a lone determiner, and verb agreement (a present-tense verb against its subject's number).
Problems the original already has are not the edit's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from lemminflect import getInflection
from spacy.tokens import Doc, Token

from refcat.categorize.nlp import english
from refcat.categorize.rules import Categorization, categorize

_TOKEN_RE = re.compile(r"[\w'\u2019-]+|[^\s\w'\u2019-]")
_SEPARATORS = frozenset({",", "and", "or", "&", ";"})
_END_PUNCT = frozenset(".!?")
_ARTICLES = frozenset({"a", "an", "the"})
_FORMS = ("ing", "ed")  # endings of a participle mistagged as a noun or adjective
VERB_CATEGORIES = ("motion", "static")
# A verb's object span carries these categories too: removing the verb removes its object.
OBJECT_CATEGORIES = ("obj-motion", "obj-static")
NOMINAL = frozenset({"NOUN", "PROPN"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
_RELATIVE_TAGS = frozenset({"WDT", "WP", "WP$"})
_DANGLING_TAGS = _RELATIVE_TAGS | {"DT", "PDT", "PRP$", "CC", "TO"}
# Dependents that go with a removed verb (ClearNLP labels).
_VERB_DEPENDENTS = frozenset(
    "aux auxpass neg dobj dative attr acomp oprd xcomp ccomp prt advmod npadvmod agent expl".split()
)
# One-word dependents of a verb that go with it even when they carry another category ("turning left").
_BARE_DEPENDENTS = frozenset({"advmod", "npadvmod", "advcl", "acomp", "oprd"})
# A kept word whose head was removed is stranded when it hangs off its head by one of these labels:
# an object without its verb or preposition, a determiner, number or modifier without its noun.
_STRANDED = frozenset(
    "dobj pobj pcomp attr dative oprd acomp agent prt nummod det poss amod compound quantmod predet nmod case "
    "advmod npadvmod".split()
)
# Words starting with a vowel letter that take "a" ("a one-eyed cat", "a uniformed man"), and the reverse.
_A_BEFORE_VOWEL = ("one", "once", "uni", "use", "usu", "eu", "ewe", "ur")
_AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "honor", "heir")


@lru_cache(maxsize=8192)
def parse(text: str) -> Doc:
    """spaCy's parse of `text` (cached: the builder reads the same RE for each category)."""
    return english()(text)


# ---------------------------------------------------------------- words and spaces


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def _snap(toks: list[_Tok], offset: int, side: str) -> int:
    """`offset` moved out of the word it falls inside: to the word's start (`side` "start") or end."""
    for t in toks:
        if t.start < offset < t.end:
            return t.start if side == "start" else t.end
    return offset


def join_tokens(words: list[str]) -> str:
    """Words joined by single spaces, with no space before , ; . ! ?"""
    out = ""
    for w in words:
        if out and w not in (",", ";", ".", "!", "?", ")") and not out.endswith("("):
            out += " "
        out += w
    return out


def normalise_spaces(text: str) -> str:
    return join_tokens([t.text for t in _tokens(text)])


def article_for(word: str) -> str:
    """ "a" or "an" before `word`, by its first letters (a spelling rule, not a pronunciation dictionary)."""
    w = word.lower()
    if w.startswith(_AN_BEFORE_CONSONANT):
        return "an"
    if w[:1] in "aeiou" and not w.startswith(_A_BEFORE_VOWEL):
        return "an"
    return "a"


def _fix_article(word: str, following: str) -> str:
    if word.lower() not in ("a", "an") or not following[:1].isalpha():
        return word
    fixed = article_for(following)
    return fixed.capitalize() if word[0].isupper() else fixed


# ---------------------------------------------------------------- the referent and whose phrase is whose


def _span_tokens(doc: Doc, span: tuple[int, int]) -> list[int]:
    """Indices of the tokens that overlap a character span (a span that cuts a word takes the word)."""
    a, b = span
    return [t.i for t in doc if t.idx < b and a < t.idx + len(t.text)]


def referent(doc: Doc, cat: Categorization) -> Token | None:
    """The referent's head noun (module docstring), or None for an RE without a noun."""
    for span in cat.spans.get("category", [])[:1]:
        toks = [doc[i] for i in _span_tokens(doc, span)]
        nouns = [t for t in toks if t.pos_ in NOMINAL]
        if nouns or toks:
            return (nouns or toks)[-1]
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    subject = next((c for c in root.children if c.dep_ in _SUBJECTS), None)
    if subject is not None and subject.tag_ not in _RELATIVE_TAGS:
        return subject
    if root.pos_ in NOMINAL:
        return root
    chunks = list(doc.noun_chunks)
    return chunks[0].root if chunks else None


def _is_relative(t: Token) -> bool:
    return t.tag_ in _RELATIVE_TAGS or (t.lower_ == "that" and t.dep_ in _SUBJECTS)


def verbs(doc: Doc, cat: Categorization) -> frozenset[int]:
    """Tokens read as verbs: tagged so, or words of a motion or static phrase (the small pipeline tags
    telegraphic REs' participles as nouns: "girl in yellow dress standing/NN near the woman")."""
    marked = {i for c in VERB_CATEGORIES for span in cat.spans.get(c, []) for i in _span_tokens(doc, span)}
    return frozenset(
        t.i
        for t in doc
        if t.pos_ in ("VERB", "AUX") or (t.i in marked and t.tag_[:2] in ("NN", "JJ") and t.lower_.endswith(_FORMS))
    )


def owner(
    tokens: Iterable[int], doc: Doc, verbal: frozenset[int], objects: Iterable[frozenset[int]], carried: frozenset[int]
) -> Token | None:
    """The noun the phrase of `tokens` hangs off (module docstring); None when its walk ends at the root.
    `verbal`: tokens read as verbs besides those tagged so (`verbs`). A verb that the parse hangs off
    the noun after it as a modifier ("eating/amod fishes", "playing/compound basketball") is walked
    from that noun's head instead, when the two are in one of `objects` (the token sets of the
    categorizer's obj-motion / obj-static phrases) or the verb is in `carried` (the words of the
    categorizer's motion and static phrases: it read the verb as the referent's, not as the noun's)."""
    inside = set(tokens)

    def is_verb(t: Token) -> bool:
        return t.pos_ in ("VERB", "AUX") or t.i in verbal

    def up(t: Token) -> Token | None:
        return t.head if t.head.i != t.i else None

    # the phrase's word nearest the root ("shorts" of "black shorts", even where "black" hangs elsewhere)
    top = min((doc[i] for i in inside), key=lambda t: (sum(1 for _ in t.ancestors), t.i))
    x = top if is_verb(top) else up(top)
    if (
        is_verb(top)
        and top.dep_ in ("amod", "compound", "nmod")
        and top.head.i > top.i
        and (top.i in carried or any(top.i in span and top.head.i in span for span in objects))
    ):
        inside.add(top.head.i)
        x = up(top.head)
    for _ in range(len(doc)):
        if x is None:
            return None
        if is_verb(x):
            subject = next((c for c in x.children if c.dep_ in _SUBJECTS and c.i not in inside), None)
            if subject is not None and not _is_relative(subject):
                return subject
        elif x.i not in inside and x.pos_ in NOMINAL:
            return x
        x = up(x)
    return None


class Reading:
    """An RE as the edits read it: its parse, the categorizer's spans, the referent, the words read as
    verbs, and whose each phrase is (`is_referents`)."""

    def __init__(self, text: str, cat: Categorization | None = None) -> None:
        self.text = text
        self.cat = cat or categorize(text)
        self.doc = parse(text)
        self.ref = referent(self.doc, self.cat)
        self.verbal = verbs(self.doc, self.cat)
        self.objects = [
            frozenset(_span_tokens(self.doc, span)) for c in OBJECT_CATEGORIES for span in self.cat.spans.get(c, [])
        ]
        self.carried = frozenset(
            i for c in VERB_CATEGORIES for span in self.cat.spans.get(c, []) for i in _span_tokens(self.doc, span)
        )
        # the nouns of the referent's own appearance phrases ("hair" in "man with silver hair"): a
        # phrase the parse hangs off them describes the referent ("hair standing" is the man standing),
        # and so do nouns joined to them ("shirt and [denim shorts] standing")
        look = {
            i
            for span in self.cat.spans.get("appearance", [])
            for i in _span_tokens(self.doc, span)
            if self._owned(_span_tokens(self.doc, span))
        }
        self.look = look | {c.i for i in look for c in self.doc[i].conjuncts}

    def _owned(self, tokens: list[int]) -> bool:
        found = owner(tokens, self.doc, self.verbal, self.objects, self.carried)
        return found is None or self.ref is None or found.i == self.ref.i or self.ref.i in tokens

    def is_referents(self, tokens: list[int], category: str) -> bool:
        """Whether the phrase of `tokens` (a `category` phrase) is the referent's: it hangs off the
        referent, off a noun of the referent's appearance phrases, or, for a location, off the object of
        the referent's verb or of its "with" ("man holding a baby on the left", "man walking with a
        woman on the beach": where the one is, the other is)."""
        if self._owned(tokens):
            return True
        found = owner(tokens, self.doc, self.verbal, self.objects, self.carried)
        assert found is not None
        if found.i in self.look:
            return True
        if category != "location":
            return False
        if found.dep_ == "pobj" and found.head.lower_ == "with" and found.head.head.i != found.head.i:
            return self._owned([found.head.head.i])  # "walking with a woman on the beach": together
        return found.dep_ == "dobj" and self._owned([found.head.i])

    def phrases(self, category: str) -> tuple[list[list[int]], list[str]]:
        """(the referent's phrases of `category` as token index lists, the others' phrases as text)."""
        own, others = [], []
        for span in self.cat.spans.get(category, []):
            toks = _span_tokens(self.doc, span)
            if not toks:
                continue
            if self.is_referents(toks, category):
                own.append(toks)
            else:
                others.append(self.text[span[0] : span[1]])
        return own, others

    def protected(self, category: str | None) -> set[int]:
        """Tokens a removal of `category` keeps: the referent's noun and the referent's phrases of the
        other categories (for a verb, the obj-motion / obj-static phrase of its object goes with it;
        `category` None: every category's)."""
        keep = {self.ref.i} if self.ref is not None else set()
        for other, spans in self.cat.spans.items():
            if other == category or (category in VERB_CATEGORIES and other in OBJECT_CATEGORIES):
                continue
            for span in spans:
                toks = _span_tokens(self.doc, span)
                if toks and self.is_referents(toks, other):
                    keep.update(toks)
        return keep


def category_phrases(text: str, category: str, cat: Categorization | None = None) -> tuple[list[list[int]], list[str]]:
    """(the referent's phrases of `category` as token index lists of `parse(text)`, the categorizer's
    phrases of `category` that belong to another object, as text)."""
    return Reading(text, cat).phrases(category)


# ---------------------------------------------------------------- removing


def _subtree(t: Token, protected: set[int]) -> set[int]:
    """`t` and the words under it, stopping at protected words (whose own dependents stay with them)."""
    out, todo = set(), [t]
    while todo:
        x = todo.pop()
        if x.i in protected:
            continue
        out.add(x.i)
        todo.extend(x.children)
    return out


def _verb_phrase(v: Token, protected: set[int]) -> set[int]:
    """A removed verb with its auxiliaries, relative pronoun, objects, particles, adverbs and the
    prepositional phrases under it that carry no other category of the referent."""
    out = {v.i}
    for c in v.children:
        if c.i in protected:
            continue
        if c.dep_ in _VERB_DEPENDENTS or (c.dep_ in _SUBJECTS and _is_relative(c)):
            out |= _subtree(c, protected)
        elif c.dep_ == "prep" and not any(x.i in protected for x in c.subtree):
            out |= _subtree(c, protected)
    return out


def removal_tokens(text: str, category: str, cat: Categorization | None = None) -> set[int]:
    """Indices of `parse(text)` that a removal of `category` drops, before the repair of what is left.
    A removed verb takes the categorizer's obj-motion / obj-static phrases that it starts or holds."""
    r = Reading(text, cat)
    doc = r.doc
    protected = r.protected(category)
    phrases, _ = r.phrases(category)
    verbal = r.verbal if category in VERB_CATEGORIES else frozenset()
    gone: set[int] = set()
    for toks in phrases:
        gone.update(toks)
        inside = set(toks)
        for i in toks:
            t = doc[i]
            if i in verbal:
                if t.dep_ not in ("aux", "auxpass"):
                    gone |= _verb_phrase(t, protected)
            elif t.head.i not in inside or t.head.i == i:
                # a phrase is contiguous: nothing from the first protected word after it on
                stop = min((p for p in protected if p > toks[0]), default=len(doc))
                gone |= {k for k in _subtree(t, protected) if k < stop}
    if category in VERB_CATEGORIES:
        for other in OBJECT_CATEGORIES:
            for span in r.cat.spans.get(other, []):
                carried = set(_span_tokens(doc, span))
                if carried & gone & verbal:
                    gone |= carried
    singles = {
        i
        for spans in r.cat.spans.values()
        for span in spans
        for i in _span_tokens(doc, span)[:1]
        if len(_span_tokens(doc, span)) == 1
    }
    return (gone - protected) | _forced(doc, gone & verbal, singles)


def _forced(doc: Doc, verbs_gone: set[int], singles: set[int]) -> set[int]:
    """Protected words that go anyway: a removed verb's dependent (`_BARE_DEPENDENTS`) that is a
    one-word phrase of the categorizer (`singles`) and no noun ("car driving [right]", "turning [left]
    on the road": a bare direction is no phrase without its verb; the categorizer check flags the
    lost location)."""
    out = {
        c.i
        for i in verbs_gone
        for c in doc[i].children
        if c.dep_ in _BARE_DEPENDENTS and c.i in singles and c.pos_ not in NOMINAL
    }
    for i in verbs_gone:  # the parse may take the direction for the root ("person walking left/VBN")
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is not None and nxt.i in singles and nxt.pos_ not in NOMINAL and nxt.tag_ != "IN":
            after = doc[nxt.i + 1] if nxt.i + 1 < len(doc) else None
            if after is None or after.is_punct or after.tag_ == "IN":
                out.add(nxt.i)
    return out


def remove_category(text: str, category: str, cat: Categorization | None = None) -> str | None:
    """`text` without the referent's words of `category`, repaired (module docstring); None when the
    categorizer finds no words of `category` of the referent, or nothing of the phrase would be left."""
    cat = cat or categorize(text)
    gone_set = removal_tokens(text, category, cat)
    if not gone_set:
        return None
    doc = parse(text)
    gone = [t.i in gone_set for t in doc]
    _repair(doc, gone)
    kept = [t for t in doc if not gone[t.i]]
    if not any(t.text[0].isalnum() for t in kept):
        return None
    out = ""
    for n, t in enumerate(kept):
        word = t.text
        nxt = kept[n + 1] if n + 1 < len(kept) else None
        if nxt is not None and nxt.i != t.i + 1:  # the word after this one changed
            word = _fix_article(word, nxt.text)
        if n and not (kept[n - 1].i == t.i - 1 and not kept[n - 1].whitespace_):
            out += " "
        out += word
    if doc[0].text[:1].isupper() and kept[0].i != 0:
        out = out[:1].upper() + out[1:]
    return normalise_spaces(out)


def _is_separator(t: Token) -> bool:
    return t.lower_ in _SEPARATORS or t.pos_ == "CCONJ"


def _dangles_at_end(t: Token) -> bool:
    """A word that cannot end a phrase: a separator, determiner, preposition (not a verb's particle),
    auxiliary or relative pronoun."""
    return (
        _is_separator(t)
        or t.pos_ in ("DET", "AUX")
        or t.tag_ in _DANGLING_TAGS
        or (t.tag_ == "IN" and t.dep_ != "prt")
        or t.text == "-"
    )


def _starts_predicate(t: Token | None) -> bool:
    """Whether `t` starts a verb phrase ("walking", "is", "holding"): a conjunction before it joined verbs."""
    return t is not None and (t.pos_ == "AUX" or t.tag_ in ("VBG", "VBN"))


def _runs(gone: list[bool]) -> list[tuple[int, int]]:
    """(start, end) index ranges of consecutive removed tokens."""
    runs, i = [], 0
    while i < len(gone):
        if gone[i]:
            j = i
            while j < len(gone) and gone[j]:
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _repair(doc: Doc, gone: list[bool]) -> None:
    """Drop separators, prepositions, determiners and auxiliaries that a removal left dangling (to a fixed point)."""
    for (_, end), (start, _) in itertools.pairwise(_runs(gone)):
        if all(_is_separator(doc[k]) for k in range(end, start)):  # "blue , red and white"
            for k in range(end, start):
                gone[k] = True
    changed = True
    while changed:
        changed = False
        kept = [i for i, g in enumerate(gone) if not g]
        if not kept:
            return
        if _is_separator(doc[kept[0]]) and any(gone[: kept[0]]):
            gone[kept[0]] = changed = True
            continue
        last = kept[-1]
        if doc[last].text in _END_PUNCT and len(kept) > 1:
            last = kept[-2]
        if _dangles_at_end(doc[last]) and any(gone[last + 1 :]):
            gone[last] = changed = True
            continue
        for start, end in _runs(gone):
            left = max((i for i in kept if i < start), default=None)
            right = min((i for i in kept if i >= end), default=None)
            lt = doc[left] if left is not None else None
            rt = doc[right] if right is not None else None
            after = doc[right + 1] if right is not None and right + 1 < len(doc) else None
            r_closes = rt is None or _is_separator(rt) or rt.text in _END_PUNCT or rt.pos_ == "AUX"
            if lt is not None and _is_separator(lt) and r_closes:
                gone[lt.i] = changed = True
            elif rt is not None and _is_separator(rt) and (lt is None or _starts_predicate(after)):
                gone[rt.i] = changed = True
            elif lt is not None and lt.pos_ == "ADP" and lt.dep_ != "prt" and r_closes:
                gone[lt.i] = changed = True
            elif lt is not None and lt.lower_ in _ARTICLES and (rt is None or rt.pos_ in ("VERB", "AUX", "ADP")):
                gone[lt.i] = changed = True
            if changed:
                break


# ---------------------------------------------------------------- adding


def is_plural(noun: Token) -> bool:
    """A plural head noun by its tag, or two nouns joined ("a man and a woman")."""
    return noun.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" and c.pos_ in NOMINAL for c in noun.children)


def inflect(verb: Token, tag: str) -> str:
    """The form of `verb` for the Penn tag `tag` (VBZ / VBP), by lemminflect; "are" for a plural "be"."""
    forms = getInflection(verb.lemma_, tag) or (verb.text,)
    return forms[-1]


def agree(phrase: str, plural: bool) -> str:
    """`phrase` with its present-tense verbs in the referent's number ("that is not moving" -> "that are
    not moving" after "the dogs")."""
    doc = parse(phrase)
    want = "VBP" if plural else "VBZ"
    out = []
    for t in doc:
        word = t.text
        if t.tag_ in ("VBZ", "VBP") and t.tag_ != want:
            word = inflect(t, want)
        out.append(word + t.whitespace_)
    return "".join(out)


def _referent_end(doc: Doc, ref: Token | None, cat: Categorization) -> int:
    """Character offset after the referent's noun phrase and the appearance phrases right after it."""
    text = doc.text
    if ref is None:
        return len(text)
    end = ref.idx + len(ref.text)
    for a, b in cat.spans.get("appearance", []):
        if a >= end and not text[end:a].strip():
            end = _snap(_tokens(text), b, "end")
    return end


def add_phrase(text: str, category: str, phrase: str, *, prenominal: bool = False) -> str:
    """`text` with `phrase` added as a `category` phrase (placement in the module docstring).

    `prenominal` puts an appearance adjective before the referent's head noun ("a red car");
    otherwise appearance phrases follow the head ("the man in red").
    """
    text = normalise_spaces(text)
    cat = categorize(text)
    doc = parse(text)
    ref = referent(doc, cat)
    tail_punct = ""
    if text and text[-1] in _END_PUNCT:
        text, tail_punct = text[:-1].rstrip(), text[-1]
    if ref is not None:
        phrase = agree(phrase, is_plural(ref))
    if category == "location":
        return join_tokens([text, phrase]) + tail_punct
    if category == "appearance" and prenominal:
        if ref is not None:
            compounds = [c.i for c in ref.children if c.dep_ == "compound" and c.i < ref.i]
            at = doc[min(compounds, default=ref.i)].idx
        else:
            at = next((t.idx for t in doc if t.pos_ != "DET"), len(text))
        before, after = text[:at].rstrip(), text[at:]
        words = before.split()
        if words and words[-1].lower() in ("a", "an"):
            words[-1] = _fix_article(words[-1], phrase)
        return join_tokens(words + [phrase, after]) + tail_punct
    at = min(_referent_end(doc, ref, cat), len(text))
    before, after = text[:at].rstrip(), text[at:].strip()
    after_words = after.split()
    if category in VERB_CATEGORIES and after_words and after_words[0].lower() in ("is", "are", "was", "were"):
        # "the man is standing" + walking -> "the man is walking and standing"
        return join_tokens([before, after_words[0], phrase, "and", *after_words[1:]]) + tail_punct
    return join_tokens([before, phrase, after] if after else [before, phrase]) + tail_punct


# ---------------------------------------------------------------- checking the form of an edit


def _word(t: _Tok) -> str:
    """A token compared across an edit: lower case, "an" as "a" (the article may be fixed)."""
    return "a" if t.low == "an" else t.low


def _dangling(toks: list[_Tok], doc: Doc) -> list[str]:
    """Function words out of place: a separator first, a word that cannot end a phrase last, two
    separators in a row (a comma before a conjunction aside), a determiner before a separator."""
    out = []
    if toks and toks[0].low in _SEPARATORS:
        out.append(f"{toks[0].text!r} at the start")
    words = [t for t in doc if not t.is_space]
    last = len(words) - 1
    if last > 0 and words[last].text in _END_PUNCT:
        last -= 1
    if last >= 0 and _dangles_at_end(words[last]) and not words[last].text[:1].isupper():
        out.append(f"{words[last].text!r} dangling at the end")
    for a, b in itertools.pairwise(toks):
        if a.low in _SEPARATORS and b.low in _SEPARATORS and not (a.low == "," and b.low in ("and", "or")):
            out.append(f"{a.text!r} before {b.text!r}")
        elif a.low in _ARTICLES and (b.low in _SEPARATORS or b.low in _END_PUNCT):
            out.append(f"{a.text!r} before {b.text!r}")
    return out


def _stray_word(variant: list[str], original: list[str]) -> str | None:
    """The first word of `variant` that is not the next word of `original` in order (greedy subsequence
    match, which finds one whenever there is one), or None when `variant` is a subsequence."""
    k = 0
    for w in variant:
        while k < len(original) and original[k] != w:
            k += 1
        if k == len(original):
            return w
        k += 1
    return None


def _is_insertion(variant: list[str], original: list[str], phrase: list[str]) -> bool:
    """Whether `variant` is `original` with `phrase` inserted at one place (followed by "and" where it
    joins a verb after an auxiliary, see `add_phrase`)."""
    n = len(phrase)
    for i in range(len(variant) - n + 1):
        if variant[i : i + n] == phrase:
            rest = variant[:i] + variant[i + n :]
            if rest == original or (rest[i : i + 1] == ["and"] and rest[:i] + rest[i + 1 :] == original):
                return True
    return False


def cut_words(text: str, cat: Categorization) -> list[str]:
    """The categorizer's spans of `text` that start or end inside a word, as "'span' cuts 'word'"."""
    toks = _tokens(text)
    out = []
    for spans in cat.spans.values():
        for a, b in spans:
            for t in toks:
                if t.start < a < t.end or t.start < b < t.end:
                    out.append(f"the categorizer's {text[a:b]!r} cuts the word {t.text!r}")
    return sorted(set(out))


def _aligned(original: Doc, variant: Doc) -> dict[int, int] | None:
    """Variant token index -> original token index, when the variant's words are a subsequence of the
    original's ("a"/"an" alike, greedy from the left); None when they are not."""

    def key(t: Token) -> str:
        return "a" if t.lower_ == "an" else t.lower_

    out, k = {}, 0
    for t in variant:
        while k < len(original) and key(original[k]) != key(t):
            k += 1
        if k == len(original):
            return None
        out[t.i] = k
        k += 1
    return out


def stranded(original: str, variant: str, cat: Categorization | None = None) -> list[str]:
    """Words of a removal that lost their head: a kept word whose head in the original's parse was
    removed, hanging off it as an object, determiner, number or modifier (`_STRANDED`). Words that
    take a new head are not: a word read as a verb (`verbs`), and the referent's noun and its
    appearance and location phrases (by `cat`, the categorizer's reading of `original`), which the
    small pipeline often hangs off a participle it took for a noun ("black truck <- parking")."""
    r = Reading(original, cat)
    doc_o, doc_v = r.doc, parse(variant)
    exempt = set(r.verbal) | ({r.ref.i} if r.ref is not None else set())
    for category in ("appearance", "location"):
        exempt.update(i for toks in r.phrases(category)[0] for i in toks)
    aligned = _aligned(doc_o, doc_v)
    if aligned is None:
        return []
    kept = set(aligned.values())
    out = []
    for i in sorted(kept):
        t = doc_o[i]
        if t.head.i != t.i and t.head.i not in kept and t.dep_ in _STRANDED and t.i not in exempt and not t.is_punct:
            phrase = " ".join(x.text for x in t.subtree if x.i in kept)
            what = "leftover" if t.pos_ in ("NUM", "DET") or t.dep_ in ("det", "nummod") else "stranded"
            out.append(f"{what} {phrase!r} (its head {t.head.text!r} was removed)")
    return out


def _unattached(doc: Doc) -> list[str]:
    """A noun phrase right after a noun or adjective with nothing to link it ("a cat on the left its
    friends": the object of a removed verb), a preposition with no object (not a verb's particle,
    not the phrase's last word: `_dangling` names that), and an article or possessive before a verb,
    preposition or conjunction (a lone determiner)."""
    out = []
    words = [t for t in doc if not t.is_punct]
    for before, t in itertools.pairwise(words):
        if (t.lower_ in _ARTICLES or t.tag_ == "PRP$") and before.pos_ in ("NOUN", "PROPN", "ADJ", "NUM"):
            phrase = doc[t.i : max(t.i, t.head.i) + 1].text
            out.append(f"stranded object {phrase!r} right after {before.text!r}")
    for t, nxt in itertools.pairwise(words):
        if t.pos_ == "ADP" and t.dep_ == "prep" and not any(c.dep_ in ("pobj", "pcomp") for c in t.children):
            if nxt.pos_ in ("ADP", "VERB", "AUX", "CCONJ"):
                out.append(f"stranded preposition {t.text!r}")
        elif (t.lower_ in _ARTICLES or t.tag_ == "PRP$") and nxt.pos_ in ("VERB", "AUX", "ADP", "CCONJ"):
            if not (nxt.pos_ == "VERB" and nxt.tag_ in ("VBG", "VBN") and nxt.dep_ in ("amod", "compound")):
                out.append(f"lone determiner {t.text!r} before {nxt.text!r}")
    return out


def _subject(verb: Token) -> Token | None:
    """The noun a finite verb agrees with: its subject, or its head's when it is an auxiliary; through a
    relative pronoun, the noun its clause modifies."""
    head = verb.head if verb.dep_ in ("aux", "auxpass") else verb
    subject = next((c for c in head.children if c.dep_ in _SUBJECTS), None)
    if subject is not None and _is_relative(subject) and head.dep_ == "relcl":
        subject = head.head
    return subject if subject is not None and subject.pos_ in NOMINAL else None


def agreement(text: str) -> list[str]:
    """Present-tense verbs that disagree with their subject's number ("the dogs is running"), each with
    the form lemminflect gives for the subject."""
    out = []
    for t in parse(text):
        if t.tag_ not in ("VBZ", "VBP"):
            continue
        subject = _subject(t)
        if subject is None:
            continue
        want = "VBP" if is_plural(subject) else "VBZ"
        if t.tag_ != want and inflect(t, want).lower() != t.lower_:
            number = "plural" if want == "VBP" else "singular"
            out.append(f"verb agreement: {t.text!r} with {number} {subject.text!r} (expected {inflect(t, want)!r})")
    return out


def malformations(
    original: str, variant: str, added: str | None = None, cat: Categorization | None = None
) -> list[str]:
    """Why `variant` is not a well-formed edit of `original` (empty when it is one).

    `added`: the phrase an addition inserted (None for a removal). Checked: no leading, trailing,
    double space or space before punctuation; every word of the variant outside `added` is a whole
    word of the original in the original's order (a removal keeps a subsequence of the original's
    words, an addition all of them; "a"/"an" count as one word); no function word out of place
    (`_dangling`), stranded object or leftover token (`stranded`, for a removal), stranded
    preposition or lone determiner (`_unattached`) or verb that disagrees with its subject
    (`agreement`) that the original did not have; and no categorizer span of the original (`cat`,
    computed when not given) that cuts a word (`cut_words`).
    """
    problems = []
    if variant != variant.strip() or "  " in variant or re.search(r"\s[,;.!?]", variant):
        problems.append("stray spaces")
    old, new = _tokens(original), _tokens(variant)
    old_words, new_words = [_word(t) for t in old], [_word(t) for t in new]
    if added is None:
        stray = _stray_word(new_words, old_words)
        if stray is not None:
            problems.append(f"{stray!r} is not a word of the original where it stands")
        else:
            problems += stranded(original, variant, cat)
    elif not _is_insertion(new_words, old_words, [_word(t) for t in _tokens(added)]):
        stray = next((w for w in new_words if w not in old_words and w not in added.lower().split()), None)
        problems.append(
            f"{stray!r} is not a word of the original"
            if stray is not None
            else f"not the original with {added!r} inserted between its words"
        )
    for check in (lambda t: _dangling(_tokens(t), parse(t)), lambda t: _unattached(parse(t)), agreement):
        before = check(original)
        problems += [p for p in check(variant) if p not in before]
    problems += cut_words(original, cat or categorize(original))
    return problems
