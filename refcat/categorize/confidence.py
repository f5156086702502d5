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

`CONFIDENCE[reader][category][kind]` is the share of released labels (Bellver et al., dataset/
A2D_RE_categorization.csv and DAVIS17_RE_categorization.csv: the 404 rows with category labels)
that agree with that reader's label in that bin, shrunk towards the kind's share over all
categories (a Beta prior of weight 2, so that a bin with few rows leans to its kind), so that it
reads as the probability that the label is right: a reliability table per bin, in sample (the
rules were tuned on the same rows, so out of sample it is an upper bound). It is recomputed with
`python benchmarks/bench_categorize_quality.py --calibrate`, which prints the table to paste here
and the reliability of every confidence bin (rows, mean confidence, share right).
"""

from __future__ import annotations

# Ambiguities a reading can hinge on (the names a reader records).
DOUBTS: dict[str, str] = {
    "attachment": "a verb or phrase that could be the referent's or another object's",
    "unknown-verb": "a verb of no class in the lexicon, read as done in place",
    "part-of-speech": "a word that could be a noun, an adjective or a verb here",
    "with-phrase": "a 'with' phrase that could be an object held, company or a look",
    "verb-sense": "a verb whose category depends on its sense or its object",
    "decision": "a case settled by a convention of refcat.taxonomy.DECISIONS",
    "negation": "a place under a negation, read as where the referent is not",
    "readers": "the parse-based and the word-based readers disagree on the label",
}
KINDS = ("yes", "yes?", "no?", "no")

# Calibrated on the released labels (see the module docstring): reader -> category -> kind -> confidence.
CONFIDENCE: dict[str, dict[str, dict[str, float]]] = {
    "words": {
        "appearance": {"yes": 0.985, "yes?": 0.614, "no?": 0.831, "no": 0.985},
        "location": {"yes": 0.959, "yes?": 0.614, "no?": 0.831, "no": 0.948},
        "motion": {"yes": 0.957, "yes?": 0.815, "no?": 0.745, "no": 1.000},
        "obj-motion": {"yes": 0.988, "yes?": 0.457, "no?": 0.820, "no": 0.995},
        "static": {"yes": 0.933, "yes?": 0.556, "no?": 0.981, "no": 0.996},
        "obj-static": {"yes": 0.901, "yes?": 0.807, "no?": 0.816, "no": 0.994},
        "category": {"yes": 0.970, "yes?": 0.614, "no?": 0.831, "no": 0.993},
    },
    "parse": {
        "appearance": {"yes": 0.985, "yes?": 0.622, "no?": 0.854, "no": 0.985},
        "location": {"yes": 0.959, "yes?": 0.622, "no?": 0.854, "no": 0.948},
        "motion": {"yes": 0.957, "yes?": 0.828, "no?": 0.747, "no": 1.000},
        "obj-motion": {"yes": 0.988, "yes?": 0.458, "no?": 0.873, "no": 0.995},
        "static": {"yes": 0.933, "yes?": 0.557, "no?": 0.985, "no": 0.996},
        "obj-static": {"yes": 0.901, "yes?": 0.811, "no?": 0.844, "no": 0.994},
        "category": {"yes": 0.970, "yes?": 0.622, "no?": 0.854, "no": 0.993},
    },
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
