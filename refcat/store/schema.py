"""The store's tables (SQLAlchemy 2 declarative), one metadata for the whole store.

Conventions:
- `SCHEMA_VERSION` is written in the `meta` table when a store is created and checked on
  every open; bump it whenever a table changes.
- Dataset rows (videos, objects, boxes, instances) are keyed by their natural keys
  (dataset, video_id, object_id, source), so re-importing updates rather than duplicates.
- Boxes are inclusive pixel coordinates (refcat.datasets.records).
- Times are naive UTC datetimes (`utcnow()`), the same on SQLite and PostgreSQL.
- Label answers are append-only `label_events`: rows are inserted, never updated or
  deleted. An undo is an event whose `retracts` names the answer it takes back; an
  adjudication is an event by an admin with a reason; automatic answers have no user.
  An answer or undo sent by a page carries the page (`client`) and the press's number there
  (`client_seq`), increasing with each press (refcat.annotate.labels).
- Session tokens are kept only as SHA-256 digests; passwords only as argon2 hashes.
- `login_failures` holds the failed logins of the last minutes (per account name and per
  client address), for the login throttle of refcat.annotate.accounts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# 2: users.disabled, users.demo, login_failures; 3: label_events.client, client_seq; 4: round_events;
# 5: campaign_notes; 6: campaigns.skip_after_invalid; 7: instance_views; 8: users.auto_advance
SCHEMA_VERSION = 8


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (how the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class VideoRow(Base):
    __tablename__ = "videos"
    __table_args__ = (UniqueConstraint("dataset", "video_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(32), index=True)
    video_id: Mapped[str] = mapped_column(String(128))
    split: Mapped[str] = mapped_column(String(16))
    n_frames: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")
    objects: Mapped[list[ObjectRow]] = relationship(back_populates="video", cascade="all, delete-orphan")


class ObjectRow(Base):
    __tablename__ = "objects"
    __table_args__ = (UniqueConstraint("video_pk", "object_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_pk: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    video: Mapped[VideoRow] = relationship(back_populates="objects")
    boxes: Mapped[list[BoxRow]] = relationship(
        back_populates="object", cascade="all, delete-orphan", order_by="BoxRow.frame"
    )
    instances: Mapped[list[InstanceRow]] = relationship(back_populates="object", cascade="all, delete-orphan")


class BoxRow(Base):
    __tablename__ = "boxes"
    object_pk: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    x2: Mapped[int] = mapped_column(Integer)
    y2: Mapped[int] = mapped_column(Integer)
    object: Mapped[ObjectRow] = relationship(back_populates="boxes")


class InstanceRow(Base):
    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(320), unique=True)
    object_pk: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    object: Mapped[ObjectRow] = relationship(back_populates="instances")


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # "admin" | "annotator"
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)  # cannot log in; has no sessions
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # a demo account with a published password
    auto_advance: Mapped[bool] = mapped_column(Boolean, default=True)  # refcat.annotate.settings


class AuthSessionRow(Base):
    __tablename__ = "auth_sessions"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginFailureRow(Base):
    """One failed login, counted against its account name (scope "account", the name as typed)
    and its client address (scope "address"): one row per scope."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_subject", "scope", "subject", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # "account" | "address"
    subject: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class CampaignRow(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    question_sets: Mapped[str] = mapped_column(String(128))  # comma-separated, e.g. "difficulty,semantics"
    per_instance: Mapped[int] = mapped_column(Integer)
    auto_trivial: Mapped[bool] = mapped_column(Boolean)
    pre_annotate: Mapped[bool] = mapped_column(Boolean, default=False)  # show the automatic suggestions
    # "no RE" / "wrong object" skips the category questions (refcat.annotate.state)
    skip_after_invalid: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CampaignMemberRow(Base):
    __tablename__ = "campaign_members"
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class AssignmentRow(Base):
    """One instance in one annotator's queue; `position` is the instance's place in the campaign."""

    __tablename__ = "assignments"
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    instance_pk: Mapped[int] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class RoundRow(Base):
    """Round 1 is the blind labelling round, round 2 the revision round."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("campaign_pk", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "label" | "revision"
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class RoundEventRow(Base):
    """One append-only change of a campaign's rounds: action "open", "close" or "reopen" of round
    `number`, by `user_pk` (None: the campaign's creation without a named admin)."""

    __tablename__ = "round_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    incomplete: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a close's incomplete queue items


class InstanceViewRow(Base):
    """An annotator's first opening of an instance in a round of a campaign (the start of its time
    on item, refcat.annotate.state); one per (campaign, instance, user, round), never updated."""

    __tablename__ = "instance_views"
    __table_args__ = (UniqueConstraint("campaign_pk", "instance_pk", "user_pk", "round"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    instance_pk: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"))
    round: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LabelEventRow(Base):
    """One append-only event: kind "answer", "undo", "auto" or "adjudication"."""

    __tablename__ = "label_events"
    __table_args__ = (
        Index("ix_label_events_campaign_instance", "campaign_pk", "instance_pk"),
        Index("ix_label_events_campaign_user_round", "campaign_pk", "user_pk", "round"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    instance_pk: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: automatic
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    retracts: Mapped[int | None] = mapped_column(ForeignKey("label_events.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    client: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: not sent by a page
    client_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CampaignNoteRow(Base):
    """A note an admin adds to a campaign's guidelines: `body` is plain text, or markdown when
    `markdown` is true (refcat.annotate.notes)."""

    __tablename__ = "campaign_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_pk: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    markdown: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
