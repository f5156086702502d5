"""Campaign notes: what an admin adds to the guidelines of one campaign (the Guidelines page).

Conventions:
- Only admins add or remove notes; every account may read them (the page shows an annotator the
  notes of their own campaigns).
- A note is plain text, shown as itself (refcat.annotate.ui.text.plain), or markdown when the admin
  says so. Markdown is shown through `safe_markdown`, which leaves no raw HTML and no image: every
  `<` is backslash-escaped (so no HTML tag, comment or autolink can start) and so is the `[` of `![`
  (so no inline or reference image can start). The escapes apply inside code spans and code blocks
  too, where the backslash then shows: a note is guidance, not code.
- A note's text is stripped of surrounding white space, and must be 1 to `MAX_NOTE_CHARS`
  characters with no NUL character (UsageError otherwise).
- Notes are listed oldest first; removing a note deletes it (notes are not labels, nothing refers to them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from refcat.annotate.accounts import User, stored_user
from refcat.annotate.state import Campaign, campaign_row
from refcat.errors import PermissionDenied, StoreError, UsageError
from refcat.store.database import Store
from refcat.store.retry import retry_transient
from refcat.store.schema import CampaignNoteRow, CampaignRow, UserRow

MAX_NOTE_CHARS = 20_000
_UNSAFE = re.compile(r"<|(?<=!)\[")


@dataclass(frozen=True)
class Note:
    """One campaign note: its id, campaign (name), author (name), text, whether it is markdown, when it was added."""

    id: int
    campaign: str
    author: str
    body: str
    markdown: bool
    created_at: datetime


def safe_markdown(body: str) -> str:
    """An admin's markdown with every `<` and every image's `[` backslash-escaped (see the module's conventions)."""
    return _UNSAFE.sub(lambda m: "\\" + m.group(0), body)


def _admin(session: Session, user: User | str, action: str) -> int:
    """The stored id of `user`, who must be an admin to `action`."""
    found = stored_user(session, user)
    if not found.is_admin:
        raise PermissionDenied(f"{found.name} is not an admin; only admins may {action}")
    return session.scalars(select(UserRow.id).where(UserRow.name == found.name)).one()


def _checked_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise UsageError("a campaign note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise UsageError(f"a campaign note takes at most {MAX_NOTE_CHARS} characters, not {len(text)}")
    if "\x00" in text:
        raise UsageError("a campaign note cannot hold a NUL character")
    return text


@retry_transient
def add_note(store: Store, campaign: Campaign | str, admin: User | str, body: str, *, markdown: bool = False) -> Note:
    """Add a note to `campaign`'s guidelines, written by `admin` (PermissionDenied for anyone else)."""
    text = _checked_body(body)
    with store.session() as session:
        user_pk = _admin(session, admin, "add campaign notes")
        row = CampaignNoteRow(
            campaign_pk=campaign_row(session, campaign).id, user_pk=user_pk, body=text, markdown=markdown
        )
        session.add(row)
        session.flush()
        return _note(session, row)


@retry_transient
def remove_note(store: Store, note_id: int, admin: User | str) -> None:
    """Delete the note `note_id` (StoreError when there is none), as `admin`."""
    with store.session() as session:
        _admin(session, admin, "remove campaign notes")
        row = session.get(CampaignNoteRow, note_id)
        if row is None:
            raise StoreError(f"no campaign note {note_id}")
        session.delete(row)


def campaign_notes(store: Store, campaign: Campaign | str) -> list[Note]:
    """The notes of `campaign`, oldest first."""
    with store.session() as session:
        rows = session.scalars(
            select(CampaignNoteRow)
            .where(CampaignNoteRow.campaign_pk == campaign_row(session, campaign).id)
            .order_by(CampaignNoteRow.created_at, CampaignNoteRow.id)
        )
        return [_note(session, row) for row in rows]


def _note(session: Session, row: CampaignNoteRow) -> Note:
    author = session.get_one(UserRow, row.user_pk).name
    campaign = session.get_one(CampaignRow, row.campaign_pk).name
    return Note(row.id, campaign, author, row.body, bool(row.markdown), row.created_at)
