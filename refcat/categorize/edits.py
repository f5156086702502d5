"""Edit rules for A2Dre+ (Bellver et al., Section 4.3): remove a category from an RE, or add one.

Removing drops the words the categorizer found for the category (refcat.categorize.rules
`Categorization.spans`) and then repairs what the removal leaves behind, so that the phrase
stays grammatical:

- a verb (motion, static) goes with its object (the obj-motion / obj-static span it starts),
  its auxiliaries and relative pronoun ("that is sitting"), its direction particle ("away"),
  "still", and a bare direction after it ("driving right": "car right" is no RE; the
  categorizer check flags a lost location);
- separators between two removed pieces go too ("a blue, red and white car" -> "a car");
- a conjunction or comma left at a junction or at an end is dropped ("walking and holding a
  phone" without motion -> "holding a phone"), as is a preposition, determiner, auxiliary or
  relative pronoun left dangling at the end;
- "a"/"an" is fixed before the word that now follows it ("an orange cat" -> "a cat").

Adding puts a phrase where English expects it (see `add_phrase`): an appearance adjective
before the referent's head noun ("a brown dog"), an appearance phrase for a person after it
("the man in red"); a motion or static verb right after the referent's noun phrase and its
appearance phrase ("the person in gray walking next to the car"); a location phrase at the end.

Whitespace is normalised (single spaces, none before a comma) in an edited phrase. Edits work on
whole words of the original (`_TOKEN_RE`, which keeps accented letters inside a word): a
categorizer span that starts or ends inside a word is widened to the word's boundaries, so an
edit never splits a word; `malformations` then verifies the result (every word of the variant
that the edit did not add is a word of the original, in order; no stray spaces; no function
word left dangling; no categorizer span that cuts a word of the original, since the edit rests
on those spans), and the builder flags a variant it objects to.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from refcat.categorize import lexicon as lx
from refcat.categorize.rules import Categorization, categorize
from refcat.categorize.words import BE

_TOKEN_RE = re.compile(r"[\w'\u2019-]+|[^\s\w'\u2019-]")
_AUX_CHAIN = BE | frozenset("that who which".split())
_SEPARATORS = frozenset({",", "and", "or", "&", ";"})
_END_PUNCT = frozenset(".!?")
_DANGLING_END = (
    lx.DETERMINERS
    | lx.LOCATIVE_PREPOSITIONS
    | lx.AUXILIARIES
    | lx.RELATIVES
    | lx.CONJUNCTIONS
    | _SEPARATORS
    | frozenset({"with", "of", "-"})
)
_VERB_TAILS = lx.DIRECTION_PARTICLES | frozenset({"still"})
VERB_CATEGORIES = ("motion", "static")
# A verb's object span carries these categories too: removing the verb removes its object.
_OBJECT_CATEGORIES = ("obj-motion", "obj-static")
# Words starting with a vowel letter that take "a" ("a one-eyed cat", "a uniformed man"), and the reverse.
_A_BEFORE_VOWEL = ("one", "once", "uni", "use", "usu", "eu", "ewe", "ur")
_AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "honor", "heir")


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


def removal_spans(cat: Categorization, category: str) -> list[tuple[int, int]]:
    """Character spans to remove for `category`: its own spans, and for a verb the object spans it starts."""
    spans = list(cat.spans.get(category, []))
    if category in VERB_CATEGORIES:
        for other in _OBJECT_CATEGORIES:
            for a, b in cat.spans.get(other, []):
                if any(a <= s < b or s <= a < e for s, e in spans):
                    spans.append((a, b))
    return sorted(spans)


def remove_category(text: str, category: str, cat: Categorization | None = None) -> str | None:
    """`text` without the words of `category`, repaired (module docstring); None when the categorizer
    finds no words of `category` in it, or nothing of the phrase would be left."""
    cat = cat or categorize(text)
    spans = removal_spans(cat, category)
    if not spans:
        return None
    toks = _tokens(text)
    gone = [any(t.start < b and a < t.end for a, b in spans) for t in toks]
    protected = [
        any(
            t.start < b and a < t.end
            for c, ss in cat.spans.items()
            if c != category and not (category in VERB_CATEGORIES and c in _OBJECT_CATEGORIES)
            for a, b in ss
        )
        for t in toks
    ]
    _merge_separated_runs(toks, gone)
    _extend_of_phrases(toks, gone, protected)
    if category in VERB_CATEGORIES:
        _extend_verb_runs(toks, gone, protected)
    _repair(toks, gone)
    kept = [i for i, g in enumerate(gone) if not g]
    if not any(toks[i].text[0].isalnum() for i in kept):
        return None
    words = []
    for n, i in enumerate(kept):
        w = toks[i].text
        nxt = kept[n + 1] if n + 1 < len(kept) else None
        if nxt is not None and nxt != i + 1:  # the word after this one changed
            w = _fix_article(w, toks[nxt].text)
        words.append(w)
    if toks[0].text[:1].isupper() and kept[0] != 0:
        words[0] = words[0][:1].upper() + words[0][1:]
    return join_tokens(words)


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


def _merge_separated_runs(toks: list[_Tok], gone: list[bool]) -> None:
    """Remove separators that stand only between two removed runs ("blue , red and white")."""
    runs = _runs(gone)
    for (_, end), (start, _) in itertools.pairwise(runs):
        if all(toks[k].low in _SEPARATORS for k in range(end, start)):
            for k in range(end, start):
                gone[k] = True


def _extend_of_phrases(toks: list[_Tok], gone: list[bool], protected: list[bool]) -> None:
    """A removed noun phrase takes its "of" complement ("on the right side [of the picture]")."""
    for _, end in _runs(gone):
        if end >= len(toks) or toks[end].low != "of" or protected[end]:
            continue
        k = end + 1
        while (
            k < len(toks)
            and not protected[k]
            and toks[k].text[0].isalnum()
            and not (
                toks[k].low in _SEPARATORS
                or toks[k].low in lx.LOCATIVE_PREPOSITIONS
                or toks[k].low in lx.AUXILIARIES
                or toks[k].low in lx.RELATIVES
                or _is_verb(toks[k].low)
            )
        ):
            k += 1
        for i in range(end, k):
            gone[i] = True


def _extend_verb_runs(toks: list[_Tok], gone: list[bool], protected: list[bool]) -> None:
    """A removed verb takes its auxiliaries/relative pronoun before it and its particle after it."""
    for start, end in _runs(gone):
        k = start - 1
        while k >= 0 and toks[k].low in _AUX_CHAIN and not protected[k]:
            gone[k] = True
            k -= 1
        k = end
        if k < len(toks) and toks[k].low in lx.LOCATION_WORDS and (k + 1 == len(toks) or toks[k + 1].low != "of"):
            gone[k] = True  # "driving right": a bare direction left alone is no phrase (the check flags the loss)
            k += 1
        while k < len(toks) and toks[k].low in _VERB_TAILS and not protected[k]:
            nxt = toks[k + 1].low if k + 1 < len(toks) else ""
            if nxt and nxt not in _SEPARATORS and nxt not in _END_PUNCT and nxt not in lx.LOCATIVE_PREPOSITIONS:
                break  # "down the hill": a phrase of its own, not a particle
            gone[k] = True
            k += 1


def _repair(toks: list[_Tok], gone: list[bool]) -> None:
    """Drop separators, prepositions and determiners that a removal left dangling (to a fixed point)."""
    changed = True
    while changed:
        changed = False
        kept = [i for i, g in enumerate(gone) if not g]
        if not kept:
            return
        # Ends: leading separators, trailing function words.
        if toks[kept[0]].low in _SEPARATORS:
            gone[kept[0]] = changed = True
            continue
        last = kept[-1]
        if toks[last].low in _END_PUNCT and len(kept) > 1:
            last = kept[-2]
        if toks[last].low in _DANGLING_END and any(gone[last + 1 :]) and not _is_particle(toks, last):
            gone[last] = changed = True
            continue
        for start, end in _runs(gone):
            left = max((i for i in kept if i < start), default=None)
            right = min((i for i in kept if i >= end), default=None)
            lw = toks[left].low if left is not None else None
            rw = toks[right].low if right is not None else None
            if (
                left is not None
                and lw in _SEPARATORS
                and (rw is None or rw in _SEPARATORS or rw in _END_PUNCT or rw in BE)
            ):
                gone[left] = changed = True
            elif right is not None and rw in _SEPARATORS and (lw is None or _starts_predicate(toks, right + 1)):
                gone[right] = changed = True
            elif (
                left is not None
                and lw in lx.LOCATIVE_PREPOSITIONS | {"with"}
                and (rw is None or rw in _SEPARATORS or rw in BE)
                and not (_is_particle(toks, left))
            ):
                gone[left] = changed = True
            if changed:
                break


def _is_particle(toks: list[_Tok], i: int) -> bool:
    """A direction particle right after a verb ("sitting down"): part of the verb, not a dangling preposition."""
    return toks[i].low in lx.DIRECTION_PARTICLES and i > 0 and _is_verb(toks[i - 1].low)


def _is_verb(w: str) -> bool:
    return (w.endswith("ing") and w not in lx.ING_NOUNS) or w in lx.STATIC_PARTICIPLES


def _starts_predicate(toks: list[_Tok], i: int) -> bool:
    """Whether token i starts a verb phrase ("walking", "is", "holding"): a conjunction before it joined verbs."""
    if i >= len(toks):
        return False
    w = toks[i].low
    return w in lx.AUXILIARIES or _is_verb(w)


# ---------------------------------------------------------------- adding


def _referent_end(text: str, cat: Categorization) -> int:
    """Character offset after the referent's noun phrase and the appearance phrases right after it."""
    toks = _tokens(text)
    if cat.spans.get("category"):
        end = _snap(toks, cat.spans["category"][0][1], "end")
    else:  # "the left one": after the first noun-like word following the determiners
        end = next((t.end for t in toks if t.low not in lx.DETERMINERS), len(text))
    for a, b in cat.spans.get("appearance", []):
        if a >= end and not text[end:a].strip():
            end = _snap(toks, b, "end")
    return end


def add_phrase(text: str, category: str, phrase: str, *, prenominal: bool = False) -> str:
    """`text` with `phrase` added as a `category` phrase (placement in the module docstring).

    `prenominal` puts an appearance adjective before the referent's head noun ("a red car");
    otherwise appearance phrases follow the head ("the man in red").
    """
    text = normalise_spaces(text)
    cat = categorize(text)
    tail_punct = ""
    if text and text[-1] in _END_PUNCT:
        text, tail_punct = text[:-1].rstrip(), text[-1]
    if category == "location":
        return join_tokens([text, phrase]) + tail_punct
    if category == "appearance" and prenominal:
        spans = cat.spans.get("category")
        toks = _tokens(text)
        if spans:
            at = _snap(toks, spans[0][0], "start")
        else:
            at = next((t.start for t in toks if t.low not in lx.DETERMINERS), len(text))
        before, after = text[:at].rstrip(), text[at:]
        words = before.split()
        if words and words[-1].lower() in ("a", "an"):
            words[-1] = _fix_article(words[-1], phrase)
        return join_tokens(words + [phrase, after]) + tail_punct
    at = _referent_end(text, cat)
    before, after = text[:at].rstrip(), text[at:].strip()
    after_words = after.split()
    if category in VERB_CATEGORIES and after_words and after_words[0].lower() in BE:
        # "the man is standing" + walking -> "the man is walking and standing"
        return join_tokens([before, after_words[0], phrase, "and", *after_words[1:]]) + tail_punct
    return join_tokens([before, phrase, after] if after else [before, phrase]) + tail_punct


# ---------------------------------------------------------------- checking the form of an edit


def _word(t: _Tok) -> str:
    """A token compared across an edit: lower case, "an" as "a" (the article may be fixed)."""
    return "a" if t.low == "an" else t.low


def _dangling(toks: list[_Tok]) -> list[str]:
    """Function words out of place: a separator first, a function word last (not a verb's particle),
    two separators in a row (a comma before a conjunction aside), a determiner before a separator."""
    out = []
    if toks and toks[0].low in _SEPARATORS:
        out.append(f"{toks[0].text!r} at the start")
    last = len(toks) - 1
    if last > 0 and toks[last].low in _END_PUNCT:
        last -= 1
    if last >= 0 and toks[last].low in _DANGLING_END and not _is_particle(toks, last):
        out.append(f"{toks[last].text!r} dangling at the end")
    for a, b in itertools.pairwise(toks):
        if a.low in _SEPARATORS and b.low in _SEPARATORS and not (a.low == "," and b.low in lx.CONJUNCTIONS):
            out.append(f"{a.text!r} before {b.text!r}")
        elif a.low in lx.DETERMINERS - lx.RELATIVES and (b.low in _SEPARATORS or b.low in _END_PUNCT):
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


def malformations(
    original: str, variant: str, added: str | None = None, cat: Categorization | None = None
) -> list[str]:
    """Why `variant` is not a well-formed edit of `original` (empty when it is one).

    `added`: the phrase an addition inserted (None for a removal). Checked: no leading, trailing,
    double space or space before punctuation; every word of the variant outside `added` is a whole
    word of the original in the original's order (a removal keeps a subsequence of the original's
    words, an addition all of them; "a"/"an" count as one word); no function word left out of
    place that the original did not have (`_dangling`); and no categorizer span of the original
    (`cat`, computed when not given) that cuts a word (`cut_words`).
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
    elif not _is_insertion(new_words, old_words, [_word(t) for t in _tokens(added)]):
        stray = next((w for w in new_words if w not in old_words and w not in added.lower().split()), None)
        problems.append(
            f"{stray!r} is not a word of the original"
            if stray is not None
            else f"not the original with {added!r} inserted between its words"
        )
    before = _dangling(old)
    problems += [d for d in _dangling(new) if d not in before]
    problems += cut_words(original, cat or categorize(original))
    return problems
