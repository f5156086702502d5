"""The A2Dre+ builder (Bellver et al., Section 4.3): category-varied REs from labelled ones.

For each non-trivial, valid RE with consensus labels and each of the four varied categories
(appearance, location, motion, static), a variant is the pair (RE with the category, RE
without it). The original RE goes on the side its label says; the other side is a minimal
edit of it (refcat.categorize.edits):
- label yes: the category's words are removed;
- label no: a phrase is added from a fact read from the video (refcat.categorize.grounding), or,
  when the video gives none, from another RE of the same object (`from-another-re` below).

A variant is flagged when it needs a person:
- `needs-person`: no edit could be made (the categorizer finds no words of the category to
  remove, or the video gives no fact to add: no mask colour, no supported motion...);
- `malformed`: the edited phrase is not a well-formed edit of the original
  (refcat.categorize.edits.malformations: a split word, stray spaces, a dangling function
  word, a stranded object or leftover token, a stranded preposition or lone determiner, a verb
  that disagrees with its subject, or a categorizer span of the original that cuts a word, on
  which the edit rested);
- `check-failed`: the categorizer, run on the edited phrase, does not see the target category
  flipped (present on the "with" side, absent on the "without" side) or sees another of the
  seven categories change against the original ("car driving right" without motion loses its
  location too); a motion or static "without" may lose obj-motion / obj-static, since the object
  goes with its verb (`check_variant`);
- `not-identifiable`: a generated "without" that may no longer pick out the referent: no cue is
  left besides the category noun ("the kid": every RE here is non-trivial, so the video holds
  another object of its class), or, where the video is known (grounding facts), some other object
  of the referent's class that no cue left in the "without" tells apart
  (refcat.categorize.grounding.tells_apart; a cue the video does not measure, such as what the
  referent holds, cannot confirm it);
- `from-another-re`: the added phrase was taken from another RE of the same object that carries
  the category (DAVIS has four REs an object), because the video gives no fact for it; a person
  confirms that it fits.

Edits change only the referent's phrases (refcat.categorize.edits: "man standing between a man
in red and a man in blue" has no appearance of the referent to remove); when every phrase of the
category belongs to another object, the variant needs a person and its note names the phrases.

Tables (pandas), shared with the store (refcat.annotate.variants):
- the variant table, one row a variant: VARIANT_COLUMNS; `text` is the current other side,
  `generated` whether the builder made one, `origin` who wrote `text` (generated / human),
  `status` "pending" for a fresh variant or a person's decision (accepted, edited, rejected,
  written, imported);
- the A2Dre+ table (refcat.datasets.a2dre_plus columns) of the variants that are written;
- the left-out table (LEFT_OUT_COLUMNS), one row an input row that gave no variant (`row`: its
  file line, or its instance key in a campaign's consensus), with the reason: its difficulty
  (trivial, not an RE, incorrect) or correctness, no A2Dre+ category labelled, or it repeats an
  earlier RE of the same object (the variants are that RE's);
- the tidy long table, one row a side: instance, matched (False where the instance key is
  made up: a release row that matched no real instance, see `res_from_release`), category,
  polarity, phrase, origin (original / generated / human), flags.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from refcat.categorize.edits import (
    OBJECT_CATEGORIES,
    VERB_CATEGORIES,
    add_phrase,
    category_phrases,
    malformations,
    normalise_spaces,
    parse,
    referent,
    removal_tokens,
    remove_category,
)
from refcat.categorize.grounding import Fact, ObjectFacts, VideoGrounding, tells_apart
from refcat.categorize.rules import Categorization, categorize
from refcat.datasets.a2dre_plus import COLUMNS as A2DRE_COLUMNS
from refcat.datasets.a2dre_plus import HEADER as A2DRE_HEADER
from refcat.datasets.a2dre_plus import POLARITIES, file_name, file_prefix, write_a2dre_plus
from refcat.datasets.records import Instance, instance_key, parse_instance_key, text_key
from refcat.errors import MissingDataError, UsageError
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES, CATEGORY_NAMES

log = logging.getLogger(__name__)

NEEDS_PERSON = "needs-person"
MALFORMED = "malformed"
CHECK_FAILED = "check-failed"
NOT_IDENTIFIABLE = "not-identifiable"
FROM_ANOTHER_RE = "from-another-re"
FLAGS = (NEEDS_PERSON, MALFORMED, CHECK_FAILED, NOT_IDENTIFIABLE, FROM_ANOTHER_RE)
# The cue categories a "without" can still pick out its referent by (the category noun aside).
CUES = ("appearance", "location", "motion", "static", "obj-motion", "obj-static")
PENDING, ACCEPTED, EDITED, REJECTED = "pending", "accepted", "edited", "rejected"
WRITTEN, IMPORTED = "written", "imported"
VARIANT_COLUMNS = [
    "key",
    "instance",
    "dataset",
    "video_id",
    "object_id",
    "category",
    "original",
    "original_side",
    "text",
    "generated",
    "origin",
    "status",
    "flags",
    "note",
]
TIDY_COLUMNS = ["instance", "matched", "category", "polarity", "phrase", "origin", "flags"]
LEFT_OUT_COLUMNS = ["row", "video_id", "instance_id", "ref_exp", "reason"]
MADE_UP_PREFIX = "re"
REPEATED = "repeats an earlier RE of the same object"
UNLABELLED = "non-trivial, no A2Dre+ category labelled"


def tidy_file(dataset: str) -> str:
    """The tidy table's file name, after the dataset: A2D_a2dre_plus_variants.csv, DAVIS17_..."""
    return f"{file_prefix(dataset)}_a2dre_plus_variants.csv"


def left_out_file(dataset: str) -> str:
    return f"{file_prefix(dataset)}_a2dre_plus_left_out.csv"


@dataclass(frozen=True)
class LabelledRE:
    """An RE with its consensus labels (category name -> True / False / None when unlabelled)."""

    dataset: str
    video_id: str
    object_id: int
    source: str
    text: str
    labels: dict[str, bool | None]

    @property
    def instance(self) -> str:
        return instance_key(self.dataset, self.video_id, self.object_id, self.source)


@dataclass(frozen=True)
class Variant:
    """One (with, without) pair: the original on `original_side`, `text` on the other (None: to write)."""

    dataset: str
    video_id: str
    object_id: int
    instance: str
    category: str
    original: str
    original_side: str
    text: str | None
    flags: tuple[str, ...]
    note: str
    fact: Fact | None = None  # the grounded fact an added phrase rests on
    added: str | None = None  # the phrase an addition inserted (the fact's, or another RE's)

    @property
    def key(self) -> str:
        return variant_key(self.dataset, self.video_id, self.object_id, self.category, self.original)


def variant_key(dataset: str, video_id: str, object_id: int, category: str, original: str) -> str:
    """Stable key of a variant: the object, the category and a digest of the original RE (spaces normalised),
    so that a re-run, an import of A2Dre+ files and a store built from another label file meet."""
    digest = hashlib.sha1(normalise_spaces(original).lower().encode("utf-8")).hexdigest()[:12]
    return f"{dataset}/{video_id}/{object_id}/{category}/{digest}"


def other_side(side: str) -> str:
    return "without" if side == "with" else "with"


# ---------------------------------------------------------------- labelled REs in


def _release_rows(df: pd.DataFrame, dataset: str, instances: Iterable[Instance] | None):
    """(file line, row, LabelledRE or None, reason left out or None) for each row of a release table."""
    by_text: dict[tuple[str, int, str], list[Instance]] = {}
    for inst in instances or ():
        by_text.setdefault((inst.video_id, inst.object_id, text_key(inst.text)), []).append(inst)
    used: dict[tuple[str, int, str], int] = {}
    seen: dict[tuple[str, int], int] = {}
    for n, row in enumerate(df.to_dict("records")):
        key = (row["video_id"], int(row["instance_id"]))
        k = seen.get(key, -1) + 1
        seen[key] = k
        text = (*key, text_key(row["ref_exp"]))
        m = used.get(text, -1) + 1
        used[text] = m
        if row["ref_exp_difficulty"] != "Non-trivial":
            yield n + 2, row, None, str(row["ref_exp_difficulty"])
            continue
        labels = {c: None if pd.isna(row[c]) else bool(row[c]) for c in CATEGORY_NAMES}
        if all(labels[c] is None for c in A2DRE_PLUS_CATEGORIES):
            yield n + 2, row, None, UNLABELLED
            continue
        matches = by_text.get(text, [])
        source = matches[min(m, len(matches) - 1)].source if matches else f"{MADE_UP_PREFIX}{k}"
        yield n + 2, row, LabelledRE(dataset, key[0], key[1], source, row["ref_exp"], labels), None


def res_from_release(df: pd.DataFrame, dataset: str, instances: Iterable[Instance] | None = None) -> list[LabelledRE]:
    """Non-trivial valid REs with an A2Dre+ category labelled, of a released label table
    (refcat.datasets.release.read_release); the other rows are in `left_out_of_release`.

    Rows carry no expression source: each row takes the source of the instance of `instances` (a
    dataset reader's or the store's) with its video, object and text (`text_key`: case and spaces
    aside), repeated rows the next such instance in order while there is one. A row without a
    match gets a made-up source, `re{k}` for the k-th RE of its object in the file (0-based, all
    rows counted); `is_made_up` tells such keys.
    """
    return [re_ for _, _, re_, _ in _release_rows(df, dataset, instances) if re_ is not None]


def left_out_of_release(df: pd.DataFrame, res: list[LabelledRE], dataset: str) -> pd.DataFrame:
    """The rows of a release table that give no variant (LEFT_OUT_COLUMNS; `row` is the file line,
    the header being line 1): those `res_from_release` leaves out, and those of `res` that repeat an
    earlier RE of the same object (`repeated`)."""
    rows = [
        (line, row["video_id"], int(row["instance_id"]), row["ref_exp"], reason)
        for line, row, _, reason in _release_rows(df, dataset, None)
        if reason is not None
    ]
    lines = [line for line, _, re_, _ in _release_rows(df, dataset, None) if re_ is not None]
    for line, re_ in zip(lines, res, strict=True):
        if repeated(re_, res):
            rows.append((line, re_.video_id, re_.object_id, re_.text, REPEATED))
    return pd.DataFrame(sorted(rows), columns=LEFT_OUT_COLUMNS)


def _words_key(re_: LabelledRE) -> tuple[str, str, int, str]:
    """The object and the words of an RE, as `variant_key` normalises them."""
    return re_.dataset, re_.video_id, re_.object_id, normalise_spaces(re_.text).lower()


def repeated(re_: LabelledRE, res: list[LabelledRE]) -> bool:
    """Whether an earlier RE of `res` has the same object and words (its variants are that RE's)."""
    key = _words_key(re_)
    return next(r for r in res if _words_key(r) == key) is not re_


def is_made_up(instance: str) -> bool:
    """Whether an instance key has the made-up source of an unmatched release row (`res_from_release`)."""
    return re.fullmatch(rf"{MADE_UP_PREFIX}\d+", instance.rsplit("/", 1)[-1]) is not None


def _consensus_rows(final: pd.DataFrame, texts: dict[str, str]):
    """(instance key, LabelledRE or None, reason left out or None) for each item of a consensus."""
    wide = final.pivot(index="item", columns="field", values="label")
    for item, row in wide.iterrows():
        if row.get("difficulty") != "non-trivial":
            yield item, None, f"difficulty {row.get('difficulty')}"
            continue
        if row.get("correctness", "valid") != "valid":
            yield item, None, f"correctness {row.get('correctness')}"
            continue
        if item not in texts:
            raise MissingDataError(
                f"consensus names instance {item} that the store does not hold", expected="an instance of the store"
            )
        dataset, video_id, object_id, source = parse_instance_key(item)
        labels = {c: None if pd.isna(row.get(c)) or row.get(c) is None else row.get(c) == "yes" for c in CATEGORY_NAMES}
        if all(labels[c] is None for c in A2DRE_PLUS_CATEGORIES):
            yield item, None, UNLABELLED
            continue
        yield item, LabelledRE(dataset, video_id, object_id, source, texts[item], labels), None


def res_from_consensus(final: pd.DataFrame, texts: dict[str, str]) -> list[LabelledRE]:
    """Non-trivial valid REs with an A2Dre+ category labelled, from a store campaign's consensus
    (refcat.annotate.labels.final_labels), with `texts` mapping instance keys to their expression;
    the other items are in `left_out_of_consensus`."""
    return [re_ for _, re_, _ in _consensus_rows(final, texts) if re_ is not None]


def left_out_of_consensus(final: pd.DataFrame, texts: dict[str, str], res: list[LabelledRE]) -> pd.DataFrame:
    """The items of a consensus that give no variant (LEFT_OUT_COLUMNS; `row` is the instance key), as
    `left_out_of_release` does for a label file."""
    rows, kept = [], []
    for item, re_, reason in _consensus_rows(final, texts):
        if re_ is None:
            _, video_id, object_id, _ = parse_instance_key(item)
            rows.append((item, video_id, object_id, texts.get(item, ""), reason))
        else:
            kept.append(item)
    for item, re_ in zip(kept, res, strict=True):
        if repeated(re_, res):
            rows.append((item, re_.video_id, re_.object_id, re_.text, REPEATED))
    return pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS)


# ---------------------------------------------------------------- the builder


def check_variant(original: str, phrase: str, category: str, phrase_side: str) -> list[str]:
    """The categorizer's objections to `phrase` as the `phrase_side` side of `original` for `category`:
    the target category not as the side says, or another category changed. Empty when it passes.

    A "without" of motion or static may lose obj-motion / obj-static: the object goes with its verb
    ("the black cat is eating fish" -> "the black cat", as the released A2Dre+ pairs have it)."""
    before, after = categorize(original).labels, categorize(phrase).labels
    problems = []
    if after[category] != (phrase_side == "with"):
        problems.append(category)
    with_its_verb = category in VERB_CATEGORIES and phrase_side == "without"
    problems += [
        c
        for c in CATEGORY_NAMES
        if c != category and after[c] != before[c] and not (with_its_verb and c in OBJECT_CATEGORIES and not after[c])
    ]
    return problems


# The video's facts about an RE's object: None when the video is not known.
FactSource = Callable[[LabelledRE], ObjectFacts | None]


def identifiability(without: str, known: ObjectFacts | None) -> str | None:
    """Why a generated "without" may not pick out the referent (see the module docstring), or None."""
    labels = categorize(without).labels
    cues = [c for c in CUES if labels[c]]
    if not cues:
        return "no cue is left besides the category noun, and the RE is non-trivial"
    if known is None:
        return None
    alike = [oid for oid, theirs in known.rivals.items() if not tells_apart(cues, known.attributes, theirs)]
    if alike:
        return (
            f"by the video's facts, no cue left ({', '.join(cues)}) tells it from object "
            + ", ".join(str(o) for o in sorted(alike))
            + " of its class"
        )
    return None


def borrowed_phrase(text: str, category: str) -> tuple[str, bool] | None:
    """(the referent's `category` phrase of `text`, whether it stands before the noun), to add to another
    RE of the same object; without its auxiliaries and relative pronoun ("that is running" -> "running").
    None when `text` has no phrase of the category of its referent."""
    cat = categorize(text)
    gone = sorted(removal_tokens(text, category, cat))
    if not gone:
        return None
    doc = parse(text)
    toks = [doc[i] for i in gone]
    while toks and (toks[0].dep_ in ("aux", "auxpass", "cc", "punct") or toks[0].tag_ in ("WDT", "WP")):
        toks = toks[1:]
    if not toks:
        return None
    ref = referent(doc, cat)
    words = "".join(t.text + (t.whitespace_ if n + 1 < len(toks) else "") for n, t in enumerate(toks))
    prenominal = ref is not None and all(t.i < ref.i for t in toks)
    return normalise_spaces(words), prenominal


def _from_another_re(re_: LabelledRE, category: str, others: list[LabelledRE]) -> tuple[str, str, str] | None:
    """(the RE with a phrase added, the phrase, the RE it came from) from the first RE of `others` labelled
    with `category` that has a phrase of it, or None."""
    for other in others:
        if other.labels.get(category) is not True:
            continue
        found = borrowed_phrase(other.text, category)
        if found is not None:
            phrase, prenominal = found
            return add_phrase(re_.text, category, phrase, prenominal=prenominal), phrase, other.text
    return None


def _removal(re_: LabelledRE, category: str, cat: Categorization) -> tuple[str | None, list[str]]:
    """The "without" side of an RE labelled with `category` (its categorization `cat`): (the edit, or None
    when there is none, the notes saying why not)."""
    text = remove_category(re_.text, category, cat)
    if text is not None:
        return text, []
    _, foreign = category_phrases(re_.text, category, cat)
    if foreign:
        return None, [f"the {category} words {foreign} belong to another object, not the referent"]
    return None, [f"the categorizer finds no {category} words to remove"]


def _addition(
    re_: LabelledRE, category: str, known: ObjectFacts | None, others: list[LabelledRE]
) -> tuple[str | None, Fact | None, str | None, list[str], list[str]]:
    """The "with" side of an RE labelled without `category`: (the edit or None, the video's fact added,
    the phrase added, flags, notes). The video's fact comes first; without one, a phrase of another RE
    of the object (`others`), flagged FROM_ANOTHER_RE."""
    fact = (known.facts if known is not None else {}).get(category)
    if fact is not None:
        text = add_phrase(re_.text, category, fact.phrase, prenominal=fact.prenominal)
        return text, fact, fact.phrase, [], [f"added {fact.phrase!r} ({fact.basis})"]
    borrowed = _from_another_re(re_, category, others)
    if borrowed is not None:
        text, added, source = borrowed
        note = f"added {added!r} from the object's RE {source!r}; a person confirms it fits"
        return text, None, added, [FROM_ANOTHER_RE], [note]
    return None, None, None, [], [f"the video gives no {category} fact to add"]


def build_variant(
    re_: LabelledRE, category: str, known: ObjectFacts | None, others: list[LabelledRE]
) -> Variant | None:
    """The variant of `re_` for `category`, or None when the category is unlabelled. `known`: what the
    video tells of the object (None: the video is not known); `others`: the object's other REs. A generated
    edit is checked for form, by the categorizer and, for a removal, for identifiability; each failure is a
    flag (FLAGS) with its note."""
    label = re_.labels.get(category)
    if label is None:
        return None
    side = "with" if label else "without"
    fact: Fact | None = None
    added: str | None = None
    flags: list[str] = []
    cat = categorize(re_.text)
    if label:
        text, notes = _removal(re_, category, cat)
    else:
        text, fact, added, flags, notes = _addition(re_, category, known, others)
    if text is None:
        flags.append(NEEDS_PERSON)
    else:
        malformed = malformations(re_.text, text, added, cat)
        if malformed:
            flags.append(MALFORMED)
            notes.append("malformed: " + "; ".join(malformed))
        problems = check_variant(re_.text, text, category, other_side(side))
        if problems:
            flags.append(CHECK_FAILED)
            notes.append("categorizer check failed on " + ", ".join(problems))
        if label:
            why = identifiability(text, known)
            if why is not None:
                flags.append(NOT_IDENTIFIABLE)
                notes.append("not identifiable: " + why)
    return Variant(
        re_.dataset,
        re_.video_id,
        re_.object_id,
        re_.instance,
        category,
        re_.text,
        side,
        text,
        tuple(sorted(flags, key=FLAGS.index)),
        "; ".join(notes),
        fact,
        added,
    )


def build_variants(res: Iterable[LabelledRE], facts: FactSource | None = None) -> list[Variant]:
    """Every variant of every RE, in input order, categories in A2Dre+ order. An RE repeated for the
    same object (DAVIS annotators often write the same words for the first frame and the whole
    video) gives its variants once, under its first instance (`repeated`): they share the variant key.
    A phrase to add that the video does not give is taken from the object's other REs."""
    res = list(res)
    by_object: dict[tuple[str, str, int], list[LabelledRE]] = {}
    for re_ in res:
        by_object.setdefault((re_.dataset, re_.video_id, re_.object_id), []).append(re_)
    out, seen = [], set()
    for re_ in res:
        known = facts(re_) if facts is not None else None
        words = _words_key(re_)
        others = [r for r in by_object[words[:3]] if _words_key(r) != words]
        for category in A2DRE_PLUS_CATEGORIES:
            variant = build_variant(re_, category, known, others)
            if variant is not None and variant.key not in seen:
                seen.add(variant.key)
                out.append(variant)
    return out


def reader_facts(reader) -> FactSource:
    """What the videos of a dataset reader tell of each RE's object, one VideoGrounding a video (kept
    while in use); None for a video the reader does not have."""
    videos = {v.video_id: v for v in reader.videos()}
    cache: dict[str, VideoGrounding] = {}

    def facts(re_: LabelledRE) -> ObjectFacts | None:
        video = videos.get(re_.video_id)
        if video is None:
            log.warning("%s: video %s not in the dataset; no facts for its REs", reader.dataset, re_.video_id)
            return None
        if re_.video_id not in cache:
            cache.clear()
            cache[re_.video_id] = VideoGrounding(reader, video)
        return cache[re_.video_id].known(re_.object_id)

    return facts


# ---------------------------------------------------------------- tables out


def variant_table(variants: Iterable[Variant]) -> pd.DataFrame:
    """The variant table of freshly built variants (status pending, origin generated)."""
    rows = [
        {
            "key": v.key,
            "instance": v.instance,
            "dataset": v.dataset,
            "video_id": v.video_id,
            "object_id": v.object_id,
            "category": v.category,
            "original": v.original,
            "original_side": v.original_side,
            "text": v.text,
            "generated": v.text is not None,
            "origin": None if v.text is None else "generated",
            "status": PENDING,
            "flags": ",".join(v.flags),
            "note": v.note,
        }
        for v in variants
    ]
    return pd.DataFrame(rows, columns=VARIANT_COLUMNS)


def written(table: pd.DataFrame, reviewed_only: bool = False) -> pd.DataFrame:
    """The variants that go into the A2Dre+ files: a person's accepted, edited, written or imported
    text, and (unless `reviewed_only`) pending generated text without flags. Rejected never."""
    decided = table["status"].isin([ACCEPTED, EDITED, WRITTEN, IMPORTED])
    pending = (table["status"] == PENDING) & (table["flags"].fillna("") == "") & table["text"].notna()
    keep = decided if reviewed_only else decided | pending
    return table[keep & table["text"].notna()]


def a2dre_plus_table(table: pd.DataFrame, reviewed_only: bool = False) -> pd.DataFrame:
    """The A2Dre+ table (refcat.datasets.a2dre_plus) of the written variants, in table order."""
    rows = []
    counters = dict.fromkeys(A2DRE_PLUS_CATEGORIES, 0)
    for v in written(table, reviewed_only).itertuples(index=False):
        sides = {v.original_side: v.original, other_side(v.original_side): v.text}
        for polarity in ("with", "without"):
            rows.append(
                {
                    "category": v.category,
                    "polarity": polarity,
                    "video_id": v.video_id,
                    "instance_id": int(v.object_id),
                    "query": sides[polarity],
                    "row": counters[v.category],
                }
            )
        counters[v.category] += 1
    return pd.DataFrame(rows, columns=A2DRE_COLUMNS)


def tidy_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row a side of each variant: the original's side (origin original) and the other (origin
    generated or human; no phrase when it is still to write). `matched` is False where the instance
    key is made up (a release row that matched no instance of the dataset or the store)."""
    rows = []
    for v in table.itertuples(index=False):
        matched = not is_made_up(v.instance)
        for polarity in ("with", "without"):
            if polarity == v.original_side:
                rows.append((v.instance, matched, v.category, polarity, v.original, "original", ""))
            else:
                rows.append((v.instance, matched, v.category, polarity, v.text, v.origin, v.flags))
    return pd.DataFrame(rows, columns=TIDY_COLUMNS)


def report(table: pd.DataFrame, left_out: pd.DataFrame | None = None) -> dict[str, int]:
    """Counts: the input rows (when `left_out` is given: the REs of the table plus the rows left out),
    the REs (instances) of the table, matched to a real instance key or with a made-up one (see
    `res_from_release`), each reason a row was left out, variants, generated (with a generated
    phrase), flagged (any flag) and each flag, and the people's decisions: accepted unchanged,
    edited, written, rejected, imported; and the variants in the A2Dre+ files."""
    flags = table["flags"].fillna("")
    instances = table["instance"].drop_duplicates()
    made_up = int(instances.map(is_made_up).sum())
    out = {}
    if left_out is not None:
        out["input rows"] = len(instances) + len(left_out)
    out |= {
        "REs in the table": len(instances),
        "REs matched to an instance": len(instances) - made_up,
        "REs with a made-up key": made_up,
    }
    if left_out is not None:
        out["rows left out"] = len(left_out)
        out |= {f"left out: {k}": int(n) for k, n in left_out["reason"].value_counts(sort=False).items()}
    out |= {
        "variants": len(table),
        "generated": int(table["generated"].sum()),
        "flagged": int((flags != "").sum()),
    }
    out |= {f: int(flags.str.split(",").map(lambda fs, f=f: f in fs).sum()) for f in FLAGS}
    out |= {
        "accepted unchanged": int((table["status"] == ACCEPTED).sum()),
        "edited": int((table["status"] == EDITED).sum()),
        "written": int((table["status"] == WRITTEN).sum()),
        "rejected": int((table["status"] == REJECTED).sum()),
        "imported": int((table["status"] == IMPORTED).sum()),
        "in the A2Dre+ files": len(written(table)),
    }
    return out


def table_dataset(table: pd.DataFrame, dataset: str | None = None) -> str:
    """The dataset the output files are named after: `dataset`, else the one dataset of the table."""
    if dataset is not None:
        return dataset
    found = sorted(set(table["dataset"]))
    if not found:
        return "a2d"  # no variants: the files hold their headers only
    if len(found) != 1:
        raise UsageError(
            f"the variants are of {len(found)} datasets {found}", expected="the variants of one dataset (--dataset)"
        )
    return found[0]


def write_outputs(
    table: pd.DataFrame,
    out_dir: str | Path,
    reviewed_only: bool = False,
    dataset: str | None = None,
    left_out: pd.DataFrame | None = None,
) -> tuple[list[Path], Path]:
    """The eight A2Dre+ files (refcat.datasets.a2dre_plus.write_a2dre_plus) of the written variants, a
    category without any holding the header only, and the tidy long table of all variants
    (`tidy_file`) in `out_dir`, named after `dataset` (default: the table's, `table_dataset`); with
    `left_out`, also the rows left out and why (`left_out_file`)."""
    dataset = table_dataset(table, dataset)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = write_a2dre_plus(a2dre_plus_table(table, reviewed_only), out, dataset)
    for category in A2DRE_PLUS_CATEGORIES:
        for polarity in POLARITIES:
            path = out / file_name(category, polarity, dataset)
            if path not in files:
                path.write_text(A2DRE_HEADER + "\n", encoding="utf-8", newline="")
                files.append(path)
    tidy = out / tidy_file(dataset)
    tidy_table(table).to_csv(tidy, index=False)
    if left_out is not None:
        left_out.to_csv(out / left_out_file(dataset), index=False)
    return files, tidy
