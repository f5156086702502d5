"""How sure the categorizer is of each category's label: the kind of reading, calibrated on released labels.

A reader (refcat.categorize.reader, refcat.categorize.parse_reader) records, besides its hits, the
ambiguities a category's reading hinged on (`DOUBTS`): a verb given to another object, a verb of
no known class, a word whose part of speech the reading had to guess, a "with" phrase that is an
object or a look, a case that refcat.taxonomy.DECISIONS settles by convention. Each category of an
RE is then in one of four reading kinds (`KINDS`):

- "yes": a cue was found and nothing about it was ambiguous ("a man walking": motion);
- "yes?": a cue was found, but it hinged on a doubt ("a man texting": static, from an unknown verb);
- "no?": no cue, but one was considered and set aside ("the dog next to the man walking": the walking
  was given to the man, so the dog has no motion);
- "no": nothing in the RE speaks of the category at all.

`CONFIDENCE[category][kind]` is the share of released labels (Bellver et al., dataset/
A2D_RE_categorization.csv and DAVIS17_RE_categorization.csv, the rows with category labels) that
agree with the rule-based reading in that bin, with add-one (Laplace) smoothing, so that it reads
as the probability that the label is right: a reliability table per bin, in sample. It is
recomputed with `python benchmarks/bench_categorize_quality.py --calibrate`, which prints the table
to paste here and the reliability of every bin (count, mean confidence, accuracy).
"""

from __future__ import annotations

from refcat.taxonomy import CATEGORY_NAMES

# Ambiguities a reading can hinge on (the names a reader records).
DOUBTS: dict[str, str] = {
    "attachment": "a verb or phrase that could be the referent's or another object's",
    "unknown-verb": "a verb of no class in the lexicon, read as done in place",
    "part-of-speech": "a word that could be a noun, an adjective or a verb here",
    "with-phrase": "a 'with' phrase that could be an object held, company or a look",
    "verb-sense": "a verb whose category depends on its sense or its object",
    "decision": "a case settled by a convention of refcat.taxonomy.DECISIONS",
    "readers": "the parse-based and the word-based readers disagree on the label",
}
KINDS = ("yes", "yes?", "no?", "no")

# Calibrated on the released labels (see the module docstring): reader -> category -> kind -> confidence.
CONFIDENCE: dict[str, dict[str, dict[str, float]]] = {
    r: {c: {"yes": 0.95, "yes?": 0.75, "no?": 0.75, "no": 0.97} for c in CATEGORY_NAMES} for r in ("words", "parse")
}


def reading_kind(label: bool, doubts: list[str]) -> str:
    """The reading kind of one category: its label, and whether the reading hinged on a doubt."""
    if label:
        return "yes?" if doubts else "yes"
    return "no?" if doubts else "no"


def confidence(labels: dict[str, bool], doubts: dict[str, list[str]], reader: str) -> dict[str, float]:
    """Category -> the calibrated probability that `reader`'s label is right, from its reading kind."""
    table = CONFIDENCE[reader]
    return {c: table[c][reading_kind(labels[c], doubts.get(c, []))] for c in labels}
