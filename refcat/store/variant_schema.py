"""Store tables for A2Dre+ variants and their review history (declared on refcat.store.schema.Base).

- `a2dre_variants`: one row a variant, keyed by `refcat.categorize.augment.variant_key` (the
  object, the category, a digest of the original RE). It holds what identifies the variant
  and never changes after it is created.
- `a2dre_variant_events`: append-only history, never updated or deleted. Kinds:
  "generated" (the builder's text and flags, no user), "import" (a released A2Dre+ text),
  and a person's "accept" (of the text shown, which the event repeats), "edit", "write"
  (text for a variant the builder could not make), "reject". The current text and status
  are derived from the events (refcat.annotate.variants): a person's latest decision wins
  over any later "generated" event, so a re-run of the builder never overwrites it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from refcat.store.schema import Base, utcnow


class VariantRow(Base):
    __tablename__ = "a2dre_variants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(320), unique=True)
    instance: Mapped[str] = mapped_column(String(320), index=True)  # instance key of the original RE
    dataset: Mapped[str] = mapped_column(String(32))
    video_id: Mapped[str] = mapped_column(String(128))
    object_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    original: Mapped[str] = mapped_column(Text)
    original_side: Mapped[str] = mapped_column(String(8))  # "with" | "without"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VariantEventRow(Base):
    __tablename__ = "a2dre_variant_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_pk: Mapped[int] = mapped_column(ForeignKey("a2dre_variants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    flags: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: the builder
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
