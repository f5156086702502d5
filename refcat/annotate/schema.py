"""The store's tables (SQLAlchemy 2 declarative), one metadata for the whole store.

Conventions:
- `SCHEMA_VERSION` is written in the `meta` table when a store is created and checked on
  every open; bump it whenever a table changes.
- Dataset rows (videos, objects, boxes, instances) are keyed by their natural keys
  (dataset, video_id, object_id, source), so re-importing updates rather than duplicates.
- Boxes are inclusive pixel coordinates (refcat.datasets.records).
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SCHEMA_VERSION = 1


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
    objects: Mapped[list["ObjectRow"]] = relationship(back_populates="video", cascade="all, delete-orphan")


class ObjectRow(Base):
    __tablename__ = "objects"
    __table_args__ = (UniqueConstraint("video_pk", "object_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_pk: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    video: Mapped[VideoRow] = relationship(back_populates="objects")
    boxes: Mapped[list["BoxRow"]] = relationship(
        back_populates="object", cascade="all, delete-orphan", order_by="BoxRow.frame"
    )
    instances: Mapped[list["InstanceRow"]] = relationship(back_populates="object", cascade="all, delete-orphan")


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
