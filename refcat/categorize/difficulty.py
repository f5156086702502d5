"""Trivial / non-trivial from object classes (Bellver et al., Section 4).

An RE is trivial when its referent is the only object of its class in the video:
its category alone identifies it. Classes come from the readers (`ObjectRef.category`:
davis_semantics.json, the A2D actor codes, the demo dataset). The decision is
automatic, which the released files write as "Trivial (Single Object Category)".

Convention: a video with a single annotated object is trivial whatever its class.
Otherwise an unknown class (the referent's or another object's, since it could be
the same) gives no decision: `difficulty` is None and `reason` says why.
Classes are compared case-insensitively, surrounding spaces ignored. The placeholder
referent of a split that names no object (`UNNAMED_OBJECT`: Ref-YouTube-VOS and MeViS valid)
gives no decision, however many objects the video has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from refcat.datasets.records import ObjectRef
from refcat.datasets.ref_youtube_vos import UNNAMED_OBJECT
from refcat.errors import UsageError


@dataclass(frozen=True)
class DifficultyDecision:
    difficulty: str | None  # "trivial" | "non-trivial" | None (undecidable)
    automatic: bool  # decided from the classes, without a person
    reason: str


def _class(obj: ObjectRef) -> str | None:
    if obj.category is None or not obj.category.strip():
        return None
    return obj.category.strip().lower()


def decide_difficulty(referent: ObjectRef, video_objects: Sequence[ObjectRef]) -> DifficultyDecision:
    """Trivial when `referent` is the only object of its class among `video_objects`.

    `video_objects` are all the annotated objects of the referent's video, the referent included.
    """
    ids = [o.object_id for o in video_objects]
    if referent.object_id not in ids:
        raise UsageError(f"object {referent.object_id} is not among the objects {ids} of video {referent.video_id}")
    if referent.object_id == UNNAMED_OBJECT:
        return DifficultyDecision(None, False, f"the split names no referent object in {referent.video_id}")
    if len(video_objects) == 1:
        return DifficultyDecision("trivial", True, "the only annotated object in the video")
    own = _class(referent)
    if own is None:
        return DifficultyDecision(
            None, False, f"class of object {referent.object_id} in {referent.video_id} is unknown"
        )
    others = [o for o in video_objects if o.object_id != referent.object_id]
    unknown = [o.object_id for o in others if _class(o) is None]
    same = [o.object_id for o in others if _class(o) == own]
    if same:
        return DifficultyDecision("non-trivial", True, f"objects {same} are also of class {own!r}")
    if unknown:
        return DifficultyDecision(None, False, f"classes of objects {unknown} in {referent.video_id} are unknown")
    return DifficultyDecision("trivial", True, f"the only object of class {own!r} in the video")


def video_difficulties(video_objects: Sequence[ObjectRef]) -> dict[int, DifficultyDecision]:
    """`decide_difficulty` for every object of one video, keyed by object id."""
    return {o.object_id: decide_difficulty(o, video_objects) for o in video_objects}
