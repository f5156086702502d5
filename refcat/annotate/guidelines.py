"""What the annotators are told besides the questions: where an RE comes from, and the order of the
guidelines. The guidelines' content is refcat.taxonomy's (Table 1's questions, each category's
definition and examples, what each value means, and the project's DECISIONS for ambiguous cases,
which the automatic categorizer follows too); the Guidelines page (refcat.annotate.ui.guidelines)
shows it with the campaign notes (refcat.annotate.notes).

An instance's source is the last part of its key (refcat.datasets.records.instance_key) and names
how its RE was written:
- DAVIS-2017 RE files (refcat.datasets.davis.RE_FILES): `annot<k>` was written by annotator k
  after seeing the first frame only, `annot<k>_full_video` by annotator k after the full video;
- A2D Sentences (refcat.datasets.a2d): `sentence<k>`, the (k+1)-th sentence of that object in
  the dataset, written for the whole clip;
- Ref-YouTube-VOS and MeViS (refcat.datasets.ref_youtube_vos): `exp<id>`, the dataset's expression <id>,
  written for the whole clip;
- A2Dre+ (refcat.datasets.a2dre_plus): `a2dre+:<category>:<polarity>[:<k>]`, an edit of an A2D
  sentence that adds or removes one category.
`source_label` gives the words the pages show; a source of no known form is shown as it is. What a
source means for the answers is the taxonomy's decision "First frame or full video".

A decision's example (refcat.taxonomy.Example) reads an RE only for the categories the decision is
about: `decision_answers` gives those as the answers an annotator gives them (yes for `has`, no for
`lacks`); the other categories of the RE are not part of the example (the page never says the RE has
none of them).
"""

from __future__ import annotations

import re

from refcat.datasets.records import parse_instance_key
from refcat.taxonomy import FIELD_QUESTIONS, FIELD_VALUES, NO, VALUE_DEFINITIONS, YES, Example

# The answer fields that are not a category, in the order the guidelines take them.
ANSWER_FIELDS = ("difficulty", "correctness", "information")

_DAVIS = re.compile(r"annot(\d+)(_full_video)?")
_A2D = re.compile(r"sentence(\d+)")
_EXPRESSION = re.compile(r"exp(\w+)")
_A2DRE_PLUS = re.compile(r"a2dre\+:([\w-]+):(\w+)(?::\d+)?")


def source_label(source: str) -> str:
    """How the pages name an instance's source, e.g. "annotator 1, from the first frame" for `annot1`."""
    if match := _DAVIS.fullmatch(source):
        seen = "after the full video" if match.group(2) else "from the first frame"
        return f"annotator {match.group(1)}, {seen}"
    if match := _A2D.fullmatch(source):
        return f"dataset sentence {int(match.group(1)) + 1} (A2D Sentences, written for the whole clip)"
    if match := _EXPRESSION.fullmatch(source):
        return f"dataset expression {match.group(1)} (written for the whole clip)"
    if match := _A2DRE_PLUS.fullmatch(source):
        return f"A2Dre+ edit of an A2D sentence ({match.group(2)} {match.group(1)})"
    return source


def instance_source_label(instance_key: str) -> str:
    """`source_label` of the source named by an instance key."""
    return source_label(parse_instance_key(instance_key)[3])


def value_definitions(field: str) -> list[tuple[str, str]]:
    """(value, what it means) for each value of an answer field (one of ANSWER_FIELDS)."""
    return [(value, VALUE_DEFINITIONS[value]) for value in FIELD_VALUES[field]]


def answer_questions() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(field, question, value_definitions(field)) for each of ANSWER_FIELDS."""
    return [(field, FIELD_QUESTIONS[field], value_definitions(field)) for field in ANSWER_FIELDS]


def decision_answers(example: Example) -> list[tuple[str, str]]:
    """(category, yes or no) for each category a decision's example is about: those it has, then those it lacks."""
    return [(c, YES) for c in example.has] + [(c, NO) for c in example.lacks]
