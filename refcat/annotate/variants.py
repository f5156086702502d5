"""A2Dre+ variants in the store: save what the builder generated, review it, list and export it.

Conventions (tables in refcat.store.variant_schema):
- History is append-only; nothing is updated or deleted.
- `save_generated` adds a variant the first time and afterwards only appends a "generated"
  event when the builder's text or flags changed. The current state of a variant
  (`variant_table`) comes from a person's latest decision when there is one (accept, edit,
  write, reject, or an imported released text), else from the latest generated event: a
  re-run of the builder never overwrites a person's work.
- Reviewing is for admins (PermissionDenied otherwise): accept takes the text shown (it must
  exist), edit and write need a non-empty text, reject takes none. Each decision records who
  and when. A person's phrase (edit, write, import) goes through the same categorizer check
  as a generated one; a failure is flagged on the variant, not refused.
- The variant table has the columns of refcat.categorize.augment.VARIANT_COLUMNS, so the
  same code writes A2Dre+ files and the tidy table from the store or from a fresh build.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from refcat.annotate.accounts import User, stored_user
from refcat.categorize import augment as aug
from refcat.categorize.edits import normalise_spaces
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.store.database import Store
from refcat.store.instances import stored_objects
from refcat.store.schema import UserRow, utcnow
from refcat.store.variant_schema import VariantEventRow, VariantRow

GENERATED, IMPORT, ACCEPT, EDIT, WRITE, REJECT = "generated", "import", "accept", "edit", "write", "reject"
DECISIONS = (ACCEPT, EDIT, WRITE, REJECT)
PERSON = (IMPORT, *DECISIONS)  # the kinds of a person's decision (a released text counts as one)
_STATUS = {ACCEPT: aug.ACCEPTED, EDIT: aug.EDITED, WRITE: aug.WRITTEN, REJECT: aug.REJECTED, IMPORT: aug.IMPORTED}
HISTORY_COLUMNS = ["time", "kind", "author", "text", "flags", "note"]


@dataclass
class SaveCounts:
    """What `save_generated` did: new variants, changed generated text, unchanged, and changed
    generated text that stays behind a person's decision."""

    new: int = 0
    regenerated: int = 0
    unchanged: int = 0
    kept_human: int = 0

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.regenerated} regenerated, {self.unchanged} unchanged, "
            f"{self.kept_human} kept as a person decided"
        )


def _latest(events: list[VariantEventRow], kinds: Iterable[str]) -> VariantEventRow | None:
    kinds = set(kinds)
    return next((e for e in reversed(events) if e.kind in kinds), None)


def _events(session: Session, variant_pk: int) -> list[VariantEventRow]:
    return list(
        session.scalars(
            select(VariantEventRow).where(VariantEventRow.variant_pk == variant_pk).order_by(VariantEventRow.id)
        )
    )


def _variant_row(session: Session, rows: dict[str, VariantRow], v: aug.Variant) -> VariantRow:
    """The stored row of variant `v`, created (with its identity, never changed later) when new."""
    if v.key not in rows:
        rows[v.key] = VariantRow(
            key=v.key,
            instance=v.instance,
            dataset=v.dataset,
            video_id=v.video_id,
            object_id=v.object_id,
            category=v.category,
            original=v.original,
            original_side=v.original_side,
            created_at=utcnow(),
        )
        session.add(rows[v.key])
        session.flush()
    return rows[v.key]


def _add_event(
    session: Session, variant_pk: int, kind: str, text: str | None, flags: str, note: str, user_pk: int | None = None
) -> None:
    """Append one event to a variant's history, stamped now (`user_pk` None: the builder or an import)."""
    session.add(
        VariantEventRow(
            variant_pk=variant_pk, kind=kind, text=text, flags=flags, note=note, user_pk=user_pk, created_at=utcnow()
        )
    )


def save_generated(store: Store, variants: Iterable[aug.Variant]) -> SaveCounts:
    """Store the builder's variants (see the module docstring); one transaction."""
    counts = SaveCounts()
    with store.session() as session:
        rows = {r.key: r for r in session.scalars(select(VariantRow))}
        for v in variants:
            is_new = v.key not in rows
            row = _variant_row(session, rows, v)
            counts.new += is_new
            events = [] if is_new else _events(session, row.id)
            flags = ",".join(v.flags)
            last = _latest(events, [GENERATED])
            if last is not None and (last.text, last.flags) == (v.text, flags):
                counts.unchanged += 1
                continue
            if last is not None:
                counts.regenerated += 1
                if _latest(events, PERSON) is not None:
                    counts.kept_human += 1
            _add_event(session, row.id, GENERATED, v.text, flags, v.note)
    return counts


def _variant(session: Session, key: str) -> VariantRow:
    row = session.scalar(select(VariantRow).where(VariantRow.key == key))
    if row is None:
        raise StoreError(f"no A2Dre+ variant {key!r}", expected="a key listed by variant_table")
    return row


def _shown_text(events: list[VariantEventRow]) -> str | None:
    """The text a variant shows: that of a person's latest decision, unless a rejection, else the builder's latest."""
    decided = _latest(events, PERSON)
    shown = decided if decided is not None and decided.kind != REJECT else _latest(events, [GENERATED])
    return None if shown is None else shown.text


def _state(row: VariantRow, events: list[VariantEventRow]) -> dict[str, object]:
    """The variant's row of `variant_table`."""
    generated = _latest(events, [GENERATED])
    decided = _latest(events, PERSON)
    text = _shown_text(events)
    flags = generated.flags if generated is not None else ""
    note = generated.note if generated is not None else ""
    if decided is not None and decided.kind in (EDIT, WRITE, IMPORT):
        flags, note = decided.flags, decided.note
    origin: str | None
    if decided is not None:
        status = _STATUS[decided.kind]
        origin = "human" if decided.kind in (EDIT, WRITE, IMPORT) else "generated"
        if decided.kind == REJECT:
            origin = None if text is None else "generated"
    else:
        status, origin = aug.PENDING, None if text is None else "generated"
    return {
        "key": row.key,
        "instance": row.instance,
        "dataset": row.dataset,
        "video_id": row.video_id,
        "object_id": row.object_id,
        "category": row.category,
        "original": row.original,
        "original_side": row.original_side,
        "text": text,
        "generated": any(e.kind == GENERATED and e.text is not None for e in events),
        "origin": origin,
        "status": status,
        "flags": flags,
        "note": note,
    }


def variant_table(store: Store, category: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Current state of every variant (augment.VARIANT_COLUMNS), in the order they were created."""
    with store.session() as session:
        query = select(VariantRow).order_by(VariantRow.id)
        if category is not None:
            query = query.where(VariantRow.category == category)
        rows = list(session.scalars(query))
        events: dict[int, list[VariantEventRow]] = {}
        for e in session.scalars(select(VariantEventRow).order_by(VariantEventRow.id)):
            events.setdefault(e.variant_pk, []).append(e)
        states = [_state(r, events.get(r.id, [])) for r in rows]
    table = pd.DataFrame(states, columns=aug.VARIANT_COLUMNS)
    if status is not None:
        table = table[table["status"] == status].reset_index(drop=True)
    return table


def history(store: Store, key: str) -> pd.DataFrame:
    """Every event of a variant, oldest first: time, kind, author ("builder" for generated), text, flags, note."""
    with store.session() as session:
        row = _variant(session, key)
        names = dict(session.execute(select(UserRow.id, UserRow.name)).all())
        records = [
            (
                e.created_at,
                e.kind,
                names[e.user_pk] if e.user_pk is not None else "builder" if e.kind == GENERATED else "import",
                e.text,
                e.flags,
                e.note,
            )
            for e in _events(session, row.id)
        ]
    return pd.DataFrame(records, columns=HISTORY_COLUMNS)


def review(store: Store, user: User | str, key: str, decision: str, text: str | None = None, note: str = "") -> None:
    """Record a person's decision on a variant (accept, edit, write, reject); see the module docstring."""
    if decision not in DECISIONS:
        raise UsageError(f"unknown review decision {decision!r}", expected=" | ".join(DECISIONS))
    with store.session() as session:
        author = stored_user(session, user)
        if author.role != "admin":
            raise PermissionDenied(f"user {author.name!r} may not review A2Dre+ variants", expected="an admin")
        row = _variant(session, key)
        flags = ""
        if decision == ACCEPT:
            text = _shown_text(_events(session, row.id))
            if text is None:
                raise UsageError(f"variant {key} has no text to accept", expected="write it instead")
        elif decision in (EDIT, WRITE):
            phrase = normalise_spaces(text or "")
            if not phrase:
                raise UsageError(f"an {decision} of variant {key} needs a text", expected="a non-empty phrase")
            if "\n" in phrase or "\r" in phrase:
                raise UsageError("a variant is one line", expected="a phrase without line breaks")
            flags, note = _checked(row.original, phrase, row.category, row.original_side, note)
            text = phrase
        else:
            text = None
        _add_event(session, row.id, decision, text, flags, note, author.id)


def _checked(original: str, text: str, category: str, original_side: str, note: str) -> tuple[str, str]:
    """(flags, note) of a person's phrase after the categorizer check (augment.check_variant)."""
    problems = aug.check_variant(original, text, category, aug.other_side(original_side))
    if not problems:
        return "", note
    failed = "categorizer check failed on " + ", ".join(problems)
    return aug.CHECK_FAILED, f"{note}; {failed}" if note else failed


def import_a2dre_plus(store: Store, directory: str | Path, dataset: str = "a2d") -> int:
    """Import released A2Dre+ files (refcat.datasets.a2dre_plus) as variants with an "import" event;
    returns how many variants were imported (already imported ones, with the same text, are skipped).

    The files do not say which side is the original RE: it is the phrase the object's rows
    share across categories (the original appears in every category's pair, the written
    ones in one). When no phrase is shared (one category only), the "with" side is taken as
    the original and the variant's note says so.

    Every row's object must be in the store (its dataset imported first): otherwise StoreError
    names the file and line of the first such row, and nothing is imported.
    """
    from refcat.datasets.a2dre_plus import a2dre_plus_instances, read_a2dre_plus, row_location

    table = read_a2dre_plus(directory)
    known = stored_objects(store, dataset)
    unknown = [r for r in table.itertuples() if (r.video_id, int(r.instance_id)) not in known]
    if unknown:
        first = unknown[0]
        path, line = row_location(table, first.category, first.polarity, first.row)
        others = f" ({len(unknown) - 1} more rows of objects not in the store)" if len(unknown) > 1 else ""
        raise StoreError(
            f"object {first.instance_id} of {dataset} video {first.video_id!r} is not in the store{others}",
            path=path,
            line=line,
            expected=f"the videos of the A2Dre+ files imported first (`refcat import {dataset}`)",
        )
    pairs: dict[tuple[str, str, int, int], dict[str, str]] = {}
    for inst in a2dre_plus_instances(table, dataset):
        _, category, polarity, *rest = inst.source.split(":")
        k = int(rest[0]) if rest else 0
        pairs.setdefault((category, inst.video_id, inst.object_id, k), {})[polarity] = inst.text
    counts: dict[tuple[str, int, int], dict[str, int]] = {}
    for (_, video_id, object_id, k), sides in pairs.items():
        for text in set(sides.values()):
            tally = counts.setdefault((video_id, object_id, k), {})
            tally[text.lower()] = tally.get(text.lower(), 0) + 1
    variants = []
    for (category, video_id, object_id, k), sides in pairs.items():
        tally = counts[(video_id, object_id, k)]
        side = max(("with", "without"), key=lambda s: (tally[sides[s].lower()], s == "with"))
        guessed = tally[sides[side].lower()] == tally[sides[aug.other_side(side)].lower()]
        note = "released A2Dre+ files" + ("; original side unknown, taken as 'with'" if guessed else "")
        text = sides[aug.other_side(side)]
        flags, note = _checked(sides[side], text, category, side, note)
        variants.append(
            aug.Variant(
                dataset,
                video_id,
                object_id,
                f"{dataset}/{video_id}/{object_id}/a2dre+{k}",
                category,
                sides[side],
                side,
                text,
                (flags,) if flags else (),
                note,
            )
        )
    return _save_imported(store, variants)


def _save_imported(store: Store, variants: list[aug.Variant]) -> int:
    imported = 0
    with store.session() as session:
        rows = {r.key: r for r in session.scalars(select(VariantRow))}
        for v in variants:
            row = _variant_row(session, rows, v)
            last = _latest(_events(session, row.id), [IMPORT])
            if last is not None and last.text == v.text:
                continue
            _add_event(session, row.id, IMPORT, v.text, ",".join(v.flags), v.note)
            imported += 1
    return imported


def export(store: Store, out_dir: str | Path, reviewed_only: bool = False) -> tuple[list[Path], Path]:
    """Write the A2Dre+ files and the tidy table (`augment.tidy_file`) of the store's variants."""
    return aug.write_outputs(variant_table(store), out_dir, reviewed_only)
