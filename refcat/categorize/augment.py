"""The A2Dre+ builder (Bellver et al., Section 4.3): category-varied REs from labelled ones.

For each non-trivial, valid RE with consensus labels and each of the four varied categories
(appearance, location, motion, static), a variant is the pair (RE with the category, RE
without it). The original RE goes on the side its label says; the other side is a minimal
edit of it (refcat.categorize.edits):
- label yes: the category's words are removed;
- label no: a phrase is added from a fact read from the video (refcat.categorize.grounding).

A variant is flagged when it needs a person:
- `needs-person`: no edit could be made (the categorizer finds no words of the category to
  remove, or the video gives no fact to add: no mask colour, no supported motion...);
- `malformed`: the edited phrase is not a well-formed edit of the original
  (refcat.categorize.edits.malformations: a split word, stray spaces, a dangling function
  word, or a categorizer span of the original that cuts a word, on which the edit rested);
- `check-failed`: the categorizer, run on the edited phrase, does not see the target category
  flipped (present on the "with" side, absent on the "without" side) or sees another of the
  seven categories change against the original ("man riding a bike" without motion loses its
  obj-motion too).

Tables (pandas), shared with the store (refcat.annotate.variants):
- the variant table, one row a variant: VARIANT_COLUMNS; `text` is the current other side,
  `generated` whether the builder made one, `origin` who wrote `text` (generated / human),
  `status` "pending" for a fresh variant or a person's decision (accepted, edited, rejected,
  written, imported);
- the A2Dre+ table (refcat.datasets.a2dre_plus columns) of the variants that are written;
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
    add_phrase,
    malformations,
    normalise_spaces,
    remove_category,
)
from refcat.categorize.grounding import Fact, VideoGrounding
from refcat.categorize.rules import categorize
from refcat.datasets.a2dre_plus import COLUMNS as A2DRE_COLUMNS
from refcat.datasets.a2dre_plus import HEADER as A2DRE_HEADER
from refcat.datasets.a2dre_plus import POLARITIES, file_name, write_a2dre_plus
from refcat.datasets.records import Instance, instance_key, parse_instance_key, text_key
from refcat.errors import MissingDataError
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES, CATEGORY_NAMES

log = logging.getLogger(__name__)

NEEDS_PERSON = "needs-person"
MALFORMED = "malformed"
CHECK_FAILED = "check-failed"
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
MADE_UP_PREFIX = "re"
TIDY_FILE = "a2dre_plus_variants.csv"


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


def res_from_release(df: pd.DataFrame, dataset: str, instances: Iterable[Instance] | None = None) -> list[LabelledRE]:
    """Non-trivial valid REs of a released label table (refcat.datasets.release.read_release).

    Rows carry no expression source: each row takes the source of the instance of `instances` (a
    dataset reader's or the store's) with its video, object and text (`text_key`: case and spaces
    aside), repeated rows the next such instance in order while there is one. A row without a
    match gets a made-up source, `re{k}` for the k-th RE of its object in the file (0-based);
    `is_made_up` tells such keys.
    """
    by_text: dict[tuple[str, int, str], list[Instance]] = {}
    for inst in instances or ():
        by_text.setdefault((inst.video_id, inst.object_id, text_key(inst.text)), []).append(inst)
    used: dict[tuple[str, int, str], int] = {}
    seen: dict[tuple[str, int], int] = {}
    out = []
    for row in df.to_dict("records"):
        key = (row["video_id"], int(row["instance_id"]))
        k = seen.get(key, -1) + 1
        seen[key] = k
        text = (*key, text_key(row["ref_exp"]))
        n = used.get(text, -1) + 1
        used[text] = n
        if row["ref_exp_difficulty"] != "Non-trivial":
            continue
        matches = by_text.get(text, [])
        source = matches[min(n, len(matches) - 1)].source if matches else f"{MADE_UP_PREFIX}{k}"
        labels = {c: None if pd.isna(row[c]) else bool(row[c]) for c in CATEGORY_NAMES}
        out.append(LabelledRE(dataset, key[0], key[1], source, row["ref_exp"], labels))
    return out


def is_made_up(instance: str) -> bool:
    """Whether an instance key has the made-up source of an unmatched release row (`res_from_release`)."""
    return re.fullmatch(rf"{MADE_UP_PREFIX}\d+", instance.rsplit("/", 1)[-1]) is not None


def res_from_consensus(final: pd.DataFrame, texts: dict[str, str]) -> list[LabelledRE]:
    """Non-trivial valid REs from a store campaign's consensus (refcat.annotate.labels.final_labels),
    with `texts` mapping instance keys to their expression."""
    wide = final.pivot(index="item", columns="field", values="label")
    out = []
    for item, row in wide.iterrows():
        if row.get("difficulty") != "non-trivial" or row.get("correctness", "valid") != "valid":
            continue
        if item not in texts:
            raise MissingDataError(
                f"consensus names instance {item} that the store does not hold", expected="an instance of the store"
            )
        dataset, video_id, object_id, source = parse_instance_key(item)
        labels = {c: None if pd.isna(row.get(c)) or row.get(c) is None else row.get(c) == "yes" for c in CATEGORY_NAMES}
        out.append(LabelledRE(dataset, video_id, object_id, source, texts[item], labels))
    return out


# ---------------------------------------------------------------- the builder


def check_variant(original: str, phrase: str, category: str, phrase_side: str) -> list[str]:
    """The categorizer's objections to `phrase` as the `phrase_side` side of `original` for `category`:
    the target category not as the side says, or another category changed. Empty when it passes."""
    before, after = categorize(original).labels, categorize(phrase).labels
    problems = []
    if after[category] != (phrase_side == "with"):
        problems.append(category)
    problems += [c for c in CATEGORY_NAMES if c != category and after[c] != before[c]]
    return problems


FactSource = Callable[[LabelledRE], dict[str, Fact]]


def build_variant(re_: LabelledRE, category: str, facts: dict[str, Fact]) -> Variant | None:
    """The variant of `re_` for `category`, or None when the category is unlabelled."""
    label = re_.labels.get(category)
    if label is None:
        return None
    side = "with" if label else "without"
    text, notes, fact = None, [], None
    cat = categorize(re_.text)
    if label:
        text = remove_category(re_.text, category, cat)
        if text is None:
            notes.append(f"the categorizer finds no {category} words to remove")
    else:
        fact = facts.get(category)
        if fact is None:
            notes.append(f"the video gives no {category} fact to add")
        else:
            text = add_phrase(re_.text, category, fact.phrase, prenominal=fact.prenominal)
            notes.append(f"added {fact.phrase!r} ({fact.basis})")
    flags: list[str] = []
    if text is None:
        flags.append(NEEDS_PERSON)
    else:
        malformed = malformations(re_.text, text, None if fact is None else fact.phrase, cat)
        if malformed:
            flags.append(MALFORMED)
            notes.append("malformed: " + "; ".join(malformed))
        problems = check_variant(re_.text, text, category, other_side(side))
        if problems:
            flags.append(CHECK_FAILED)
            notes.append("categorizer check failed on " + ", ".join(problems))
    return Variant(
        re_.dataset,
        re_.video_id,
        re_.object_id,
        re_.instance,
        category,
        re_.text,
        side,
        text,
        tuple(flags),
        "; ".join(notes),
        fact,
    )


def build_variants(res: Iterable[LabelledRE], facts: FactSource | None = None) -> list[Variant]:
    """Every variant of every RE, in input order, categories in A2Dre+ order. An RE repeated for the
    same object (DAVIS annotators often write the same words for the first frame and the whole
    video) gives its variants once, under its first instance: they share the variant key."""
    out, seen = [], set()
    for re_ in res:
        found = facts(re_) if facts is not None else {}
        for category in A2DRE_PLUS_CATEGORIES:
            variant = build_variant(re_, category, found)
            if variant is not None and variant.key not in seen:
                seen.add(variant.key)
                out.append(variant)
    return out


def reader_facts(reader) -> FactSource:
    """Facts read from the videos of a dataset reader, one VideoGrounding a video (kept while in use)."""
    videos = {v.video_id: v for v in reader.videos()}
    cache: dict[str, VideoGrounding] = {}

    def facts(re_: LabelledRE) -> dict[str, Fact]:
        video = videos.get(re_.video_id)
        if video is None:
            log.warning("%s: video %s not in the dataset; no facts for its REs", reader.dataset, re_.video_id)
            return {}
        if re_.video_id not in cache:
            cache.clear()
            cache[re_.video_id] = VideoGrounding(reader, video)
        return cache[re_.video_id].facts(re_.object_id)

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


def report(table: pd.DataFrame) -> dict[str, int]:
    """Counts: REs (instances) matched to a real instance key and with a made-up one (see
    `res_from_release`), variants, generated (with a generated phrase), flagged (any flag), needs a person,
    malformed, check failed, and the people's decisions: accepted unchanged, edited, written, rejected, imported."""
    flags = table["flags"].fillna("")
    instances = table["instance"].drop_duplicates()
    made_up = int(instances.map(is_made_up).sum())
    return {
        "REs matched to an instance": len(instances) - made_up,
        "REs with a made-up key": made_up,
        "variants": len(table),
        "generated": int(table["generated"].sum()),
        "flagged": int((flags != "").sum()),
        NEEDS_PERSON: int(flags.str.contains(NEEDS_PERSON).sum()),
        MALFORMED: int(flags.str.contains(MALFORMED).sum()),
        CHECK_FAILED: int(flags.str.contains(CHECK_FAILED).sum()),
        "accepted unchanged": int((table["status"] == ACCEPTED).sum()),
        "edited": int((table["status"] == EDITED).sum()),
        "written": int((table["status"] == WRITTEN).sum()),
        "rejected": int((table["status"] == REJECTED).sum()),
        "imported": int((table["status"] == IMPORTED).sum()),
        "in the A2Dre+ files": len(written(table)),
    }


def write_outputs(table: pd.DataFrame, out_dir: str | Path, reviewed_only: bool = False) -> tuple[list[Path], Path]:
    """The eight A2Dre+ files (refcat.datasets.a2dre_plus.write_a2dre_plus) of the written variants, a
    category without any holding the header only, and the tidy long table of all variants
    (`a2dre_plus_variants.csv`) in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = write_a2dre_plus(a2dre_plus_table(table, reviewed_only), out)
    for category in A2DRE_PLUS_CATEGORIES:
        for polarity in POLARITIES:
            path = out / file_name(category, polarity)
            if path not in files:
                path.write_text(A2DRE_HEADER + "\n", encoding="utf-8", newline="")
                files.append(path)
    tidy = out / TIDY_FILE
    tidy_table(table).to_csv(tidy, index=False)
    return files, tidy
