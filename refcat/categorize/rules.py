"""Rule-based categorizer: the seven semantic categories of an RE, with the words that decided each.

`categorize(text)` reads an English referring expression left to right: refcat.categorize.reader
holds the reading (which phrase gives which category, and whose it is), refcat.categorize.words
the word classes and verb forms it asks about, refcat.categorize.lexicon the word lists (which
document how each category is read, after Bellver et al., Table 1).

Information (`redundant`/`minimal`) cannot be judged from the text alone, since the
paper defines it against the video ("more information than needed to identify the
referent"). The heuristic, stated in `information_label`: count the cue groups
besides the category (appearance, location, motion/obj-motion, static/obj-static);
a trivial referent needs none, so any cue is redundant; otherwise two or more
groups are redundant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from refcat.categorize.reader import Reader
from refcat.taxonomy import CATEGORY_NAMES


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
    reader = Reader(text)
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
