"""Rule-based categorizer: the seven semantic categories of an RE, with the words that decided each.

`categorize(text)` reads an English referring expression left to right: refcat.categorize.reader
holds the reading (which phrase gives which category, and whose it is), refcat.categorize.words
the word classes and verb forms it asks about, refcat.categorize.lexicon the word lists (which
document how each category is read, after Bellver et al., Table 1). Two readers (READERS) apply these
rules: "words" guesses part of speech and attachment from the words alone; "parse"
(refcat.categorize.parse_reader) asks spaCy's dependency parse instead. Each label comes with its
evidence (the words) and a confidence (refcat.categorize.confidence); docs/categorizer.md compares
the readers.

Information (`redundant`/`minimal`) cannot be judged from the text alone, since the
paper defines it against the video ("more information than needed to identify the
referent"). The heuristic, stated in `information_label`: count the cue groups
besides the category (appearance, location, motion/obj-motion, static/obj-static);
a trivial referent needs none, so any cue is redundant; otherwise two or more
groups are redundant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from refcat.categorize.confidence import confidence
from refcat.categorize.reader import Reader
from refcat.errors import UsageError
from refcat.taxonomy import CATEGORY_NAMES

if TYPE_CHECKING:
    from spacy.tokens import Doc

# The readers: "words", the hand-written shallow parser of refcat.categorize.reader; "parse", the
# same rules with spaCy's parse deciding part of speech, modifiers and attachment
# (refcat.categorize.parse_reader). The default is the parse reader: it gives the same labels as the
# word reader on every labelled row of the released labels and the hand-labelled sets, and reads the
# part-of-speech and attachment cases that the word reader misreads (docs/categorizer.md has the figures).
READERS = ("words", "parse")
DEFAULT_READER = "parse"


@dataclass
class Categorization:
    """The categorizer's answer for one RE.

    labels: category name -> bool, for all seven categories of the taxonomy.
    information: "redundant" or "minimal" (see `information_label`).
    evidence: category name -> the phrases that decided it (empty list when negative).
    spans: category name -> (start, end) character offsets of those phrases in the input.
    confidence: category name -> a probability-like value in [0, 1] that the category's label is
        right (see refcat.categorize.confidence: the reading's kind, calibrated on the released labels).
    doubts: category name -> the ambiguities the reading of that category hinged on (names of
        refcat.categorize.confidence.DOUBTS; empty when the reading was plain).
    """

    labels: dict[str, bool]
    information: str
    evidence: dict[str, list[str]]
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    doubts: dict[str, list[str]] = field(default_factory=dict)

    def needs_review(self, threshold: float) -> list[str]:
        """The categories whose confidence is below `threshold`, in the taxonomy's order."""
        return [c for c in CATEGORY_NAMES if c in self.confidence and self.confidence[c] < threshold]


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


def categorize(text: str, trivial: bool | None = None, reader: str = DEFAULT_READER) -> Categorization:
    """Categorize one RE. `trivial` (the referent is the only object of its class), when known,
    sharpens the redundant/minimal decision (see `information_label`). `reader`: a name of READERS."""
    return _categorize(text, trivial, reader, None)


def categorize_all(texts: Sequence[str], reader: str = DEFAULT_READER) -> list[Categorization]:
    """`categorize` on many REs (difficulty unknown); the parse reader parses them in one batch."""
    if reader != "parse":
        return [_categorize(t, None, reader, None) for t in texts]
    from refcat.categorize.parse_reader import parse_all  # spaCy is loaded only for the parse reader

    return [_categorize(t, None, reader, doc) for t, doc in zip(texts, parse_all(texts))]


def _categorize(text: str, trivial: bool | None, reader: str, doc: Doc | None) -> Categorization:
    """One RE read by `reader` (with spaCy's `doc` of it, when already parsed); see `categorize`."""
    if reader not in READERS:
        raise UsageError(f"unknown reader {reader!r}", expected=" or ".join(READERS))
    if reader == "parse":
        from refcat.categorize.parse_reader import ParseReader  # spaCy is loaded only for the parse reader

        read: Reader = ParseReader(text, doc)
    else:
        read = Reader(text)
    read.read()
    labels, evidence, spans = {}, {}, {}
    for cat in CATEGORY_NAMES:
        char_spans = _merge([(read.toks[i].start, read.toks[j - 1].end) for i, j in read.hits[cat]])
        labels[cat] = bool(char_spans)
        spans[cat] = char_spans
        evidence[cat] = [text[a:b] for a, b in char_spans]
    doubts = {c: sorted(set(read.doubts[c])) for c in CATEGORY_NAMES}
    if reader == "parse":  # where the words alone read otherwise, the label hinged on the parse
        words = Reader(text)
        words.read()
        for cat in CATEGORY_NAMES:
            if bool(words.hits[cat]) != labels[cat]:
                doubts[cat] = sorted(set(doubts[cat]) | {"readers"})
    return Categorization(
        labels, information_label(labels, trivial), evidence, spans, confidence(labels, doubts, reader), doubts
    )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping spans merged into one."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
