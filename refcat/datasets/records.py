"""The records every reader yields and the store keeps, and the reader interface.

Conventions (shared by every part of refcat):
- Frame indices are 0-based everywhere in memory; readers convert from file names
  (A2D's are 1-based, DAVIS's 0-based).
- Object ids are the dataset's own: DAVIS mask ids (1-based), A2D instance ids (0-based),
  demo mask ids (1-based).
- Boxes are pixel coordinates (x1, y1, x2, y2), inclusive on both ends: a one-pixel
  object at (x, y) has the box (x, y, x, y).
- An instance is one (dataset, video, object, expression). Its key
  `dataset/video_id/object_id/source` is stable across import, export and re-import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]
Mask = npt.NDArray[np.bool_]  # (H, W): True where the object is
Pixels = npt.NDArray[np.uint8]  # an RGB frame (H, W, 3) or a label image (H, W)


@dataclass(frozen=True)
class Video:
    dataset: str
    video_id: str
    split: str
    n_frames: int
    width: int
    height: int
    fps: float | None = None
    source: str = ""  # folder of frames or clip file


@dataclass(frozen=True)
class ObjectRef:
    dataset: str
    video_id: str
    object_id: int
    category: str | None = None  # the object's class ("person", "dog"); None when unknown
    boxes: dict[int, Box] = field(default_factory=dict)  # annotated frame -> box where present

    @property
    def frames(self) -> list[int]:
        """Annotated frames where the object is present."""
        return sorted(self.boxes)


@dataclass(frozen=True)
class Instance:
    """One referring expression for one object: the unit that is annotated and evaluated."""

    dataset: str
    video_id: str
    object_id: int
    source: str  # DAVIS: annot1, annot1_full_video, annot2, annot2_full_video; A2D: sentence0, ...
    text: str

    @property
    def key(self) -> str:
        return instance_key(self.dataset, self.video_id, self.object_id, self.source)


def instance_key(dataset: str, video_id: str, object_id: int, source: str) -> str:
    return f"{dataset}/{video_id}/{object_id}/{source}"


class ReferencedObjects:
    """The ids of the objects each video's expressions refer to, read from `instances` on first use and kept.

    A reader lists such an object even when no annotated frame masks it (an ObjectRef without
    boxes), so that every instance it yields names an object of its video.
    """

    def __init__(self, instances: Callable[[], Iterable[Instance]]) -> None:
        self._instances = instances
        self._by_video: dict[str, set[int]] | None = None

    def unmasked(self, video_id: str, masked: Iterable[int]) -> list[int]:
        """The ids that expressions of `video_id` refer to and `masked` lacks, ascending."""
        if self._by_video is None:
            by_video: dict[str, set[int]] = {}
            for instance in self._instances():  # kept only once read whole: a bad file raises again next time
                by_video.setdefault(instance.video_id, set()).add(instance.object_id)
            self._by_video = by_video
        return sorted(self._by_video.get(video_id, set()) - set(masked))


def collapse_spaces(text: str) -> str:
    """Strip and collapse runs of whitespace to one space; case is kept."""
    return " ".join(text.split())


def text_key(text: str) -> str:
    """How two copies of one RE are recognised as the same: case-folded, spaces collapsed."""
    return collapse_spaces(text).casefold()


def parse_instance_key(key: str) -> tuple[str, str, int, str]:
    """Inverse of `instance_key`. Video ids may contain '-' and '_' but never '/'."""
    dataset, video_id, object_id, source = key.split("/")
    return dataset, video_id, int(object_id), source


class ObjectMasks(NamedTuple):
    masks: dict[int, Mask]  # object id -> bool (H, W); objects absent from the frame are left out
    void: Mask | None  # bool (H, W): pixels excluded from evaluation (DAVIS 255), or None


class DatasetReader(Protocol):
    """What every reader offers. Frames and masks are decoded only when asked for."""

    dataset: str

    def videos(self) -> list[Video]: ...

    def objects(self, video_id: str) -> list[ObjectRef]: ...

    def instances(self) -> Iterable[Instance]: ...

    def frame(self, video_id: str, index: int) -> Pixels:
        """RGB uint8 (H, W, 3)."""
        ...

    def annotated_frames(self, video_id: str) -> list[int]: ...

    def object_masks(self, video_id: str, index: int) -> ObjectMasks: ...
