"""The demo's referring expressions: claims checked against the measured mask boxes, and the two annotators.

After a video is drawn (`refcat.demo.render`), each object's mask box in every frame makes
a `Track`. `describe_video` has two annotators write four REs per object from claims that
are checked against those boxes; the claims, their categories and the thresholds go to
`demo_scene.json` (schema in `refcat.demo.generator`).

Claim semantics (F = the frames an RE describes: [0] for first-frame files, every frame
where the object is present for full-video files; boxes are mask boxes, inclusive):
- category: the object's class.
- colour: the object's named colour.
- size "big"/"small": the object's median box height over F is >= SIZE_RATIO times
  (big) / <= 1/SIZE_RATIO times (small) that of every other object of its class.
- hpos "left"/"middle"/"right": the box centre x is in the left, middle or right third
  of the frame in every frame of F where the object is present.
- depth "back"/"front": the box bottom y2 is smaller (back) / larger (front) by at least
  DEPTH_MARGIN * height than that of every other object of its class, in every frame of F
  where both are present; only between objects on the ground (no flying birds).
- next_to <id>: in every frame of F where both are present, the horizontal gap between
  the two boxes is <= NEXT_TO_GAP * width and their vertical extents overlap; the other
  object is the only one of its class, so "next to the <class>" names it.
- static <pose>: the object does not move (same foot point in every frame) and its pose
  is <pose> (standing, sitting, parked, lying).
- motion [<verb>, <direction>]: full-video only; the object moves with that verb and its
  box centre x moves by >= MOTION_MIN * width from its first to its last present frame,
  in that direction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np

from refcat.datasets.davis import RE_FILES
from refcat.datasets.records import Box
from refcat.demo.scene import ObjectPlan, VideoPlan

# Thresholds of the claims (fractions of the frame height or width).
SIZE_RATIO = 1.2
DEPTH_MARGIN = 0.03
NEXT_TO_GAP = 0.06
MOTION_MIN = 0.1

THRESHOLDS = {
    "size_ratio": SIZE_RATIO,
    "depth_margin": DEPTH_MARGIN,
    "next_to_gap": NEXT_TO_GAP,
    "motion_min": MOTION_MIN,
}

# A claim's value: a word (category, colour, size, hpos, depth, static), an object id (next_to)
# or [verb, direction] (motion).
ClaimValue = str | int | list[str]
Claims = dict[str, ClaimValue]  # claim -> value, "category" first


class Expression(TypedDict):
    """One RE as `demo_scene.json` records it (module docstring of `refcat.demo.generator`)."""

    source: str
    object_id: int
    text: str
    intended: str
    described_object: int
    matches: list[int]
    frames: str
    claims: Claims
    categories: list[str]


@dataclass
class Track:
    """An object as its REs see it: its plan and its mask box in each frame (None if absent)."""

    plan: ObjectPlan
    boxes: list[Box | None]
    areas: list[int] = field(default_factory=list)  # visible mask pixels per frame

    @property
    def object_id(self) -> int:
        return self.plan.object_id

    def present(self, frames: Iterable[int]) -> list[int]:
        """The frames, in their order, where the object is present."""
        return [f for f in frames if self.boxes[f] is not None]

    def box(self, frame: int) -> Box:
        """The box in a frame where the object is present."""
        box = self.boxes[frame]
        if box is None:
            raise ValueError(f"object {self.object_id} is absent from frame {frame}")
        return box


def described_frames(track: Track, full_video: bool) -> list[int]:
    return track.present(range(len(track.boxes))) if full_video else track.present([0])


def _centre_x(box: Box) -> float:
    return (box[0] + box[2]) / 2


def _height(box: Box) -> int:
    return box[3] - box[1] + 1


def attribute(
    track: Track, key: str, tracks: list[Track], frames: list[int], width: int, height: int
) -> ClaimValue | None:
    """The value `key` takes for `track` over `frames` (see the module docstring), or None."""
    plan = track.plan
    own = track.present(frames)
    if not own:
        return None
    rivals = [t for t in tracks if t is not track and t.plan.cls == plan.cls]
    if key == "category":
        return plan.cls
    if key == "colour":
        return plan.colour
    if key == "size":
        if not rivals:
            return None
        mine = float(np.median([_height(track.box(f)) for f in own]))
        theirs = [float(np.median([_height(t.box(f)) for f in t.present(frames)])) for t in rivals if t.present(frames)]
        if len(theirs) != len(rivals):
            return None
        if all(mine >= SIZE_RATIO * h for h in theirs):
            return "big"
        if all(mine * SIZE_RATIO <= h for h in theirs):
            return "small"
        return None
    if key == "hpos":
        thirds = {min(int(3 * _centre_x(track.box(f)) / width), 2) for f in own}
        return ("left", "middle", "right")[thirds.pop()] if len(thirds) == 1 else None
    if key == "depth":
        if not rivals or plan.flying or any(t.plan.flying for t in rivals):
            return None
        margin = DEPTH_MARGIN * height
        for word, sign in (("back", 1), ("front", -1)):
            ok = all(sign * (t.box(f)[3] - track.box(f)[3]) >= margin for t in rivals for f in t.present(own)) and all(
                t.present(own) for t in rivals
            )
            if ok:
                return word
        return None
    if key == "next_to":
        for other in sorted(tracks, key=lambda t: _gap(track, t, own)):
            if other is track or other.plan.cls == plan.cls:
                continue
            if sum(t.plan.cls == other.plan.cls for t in tracks) == 1 and is_next_to(track, other, own, width):
                return other.object_id
        return None
    if key == "static":
        return plan.pose if plan.motion == "static" else None
    if key == "motion":
        if plan.motion == "static" or len(own) < 2:
            return None
        dx = _centre_x(track.box(own[-1])) - _centre_x(track.box(own[0]))
        direction = "right" if dx > 0 else "left"
        if abs(dx) >= MOTION_MIN * width and direction == plan.direction:
            return [plan.motion, direction]
        return None
    raise KeyError(key)


def _gap(a: Track, b: Track, frames: list[int]) -> float:
    gaps = [_box_gap(a.box(f), b.box(f)) for f in b.present(a.present(frames))]
    return max(gaps) if gaps else float("inf")


def _box_gap(a: Box, b: Box) -> float:
    return max(a[0] - b[2], b[0] - a[2], 0)


def is_next_to(a: Track, b: Track, frames: list[int], width: int) -> bool:
    both = b.present(a.present(frames))
    return bool(both) and all(
        _box_gap(a.box(f), b.box(f)) <= NEXT_TO_GAP * width
        and a.box(f)[1] <= b.box(f)[3]
        and b.box(f)[1] <= a.box(f)[3]
        for f in both
    )


def satisfies(
    track: Track, claims: Mapping[str, ClaimValue], tracks: list[Track], full_video: bool, width: int, height: int
) -> bool:
    frames = described_frames(track, full_video)
    for key, value in claims.items():
        if key == "next_to":
            other = next(t for t in tracks if t.object_id == value)
            if other is track or not is_next_to(track, other, frames, width):
                return False
        elif attribute(track, key, tracks, frames, width, height) != value:
            return False
    return True


# ---------------------------------------------------------------- the two annotators

CLAIM_CATEGORY = {
    "category": "category",
    "colour": "appearance",
    "size": "appearance",
    "hpos": "location",
    "depth": "location",
    "next_to": "location",
    "static": "static",
    "motion": "motion",
}
# Attribute sets each annotator tries, in order; the first that is true and picks out the
# referent alone is written. Annotator 1 is terse (shortest description that works);
# annotator 2 says more than needed (colour, pose or motion, and location when they hold).
Orders = tuple[tuple[str, ...], ...]
_A1_FIRST: Orders = (
    (),
    ("hpos",),
    ("depth",),
    ("next_to",),
    ("colour",),
    ("size",),
    ("static",),
    ("colour", "hpos"),
    ("size", "hpos"),
    ("static", "hpos"),
    ("colour", "depth"),
    ("size", "colour"),
    ("colour", "static", "hpos"),
    ("colour", "size", "hpos"),
    ("colour", "size", "depth"),
)
_A1_FULL: Orders = (
    (),
    ("motion",),
    ("static",),
    ("hpos",),
    ("depth",),
    ("next_to",),
    ("colour",),
    ("size",),
    ("motion", "colour"),
    ("static", "colour"),
    ("motion", "size"),
    ("colour", "hpos"),
    ("size", "colour"),
    ("static", "hpos"),
    ("motion", "colour", "size"),
    ("colour", "size", "depth"),
)
_A2_FIRST: Orders = (
    ("colour", "static", "next_to"),
    ("colour", "size", "static", "hpos"),
    ("colour", "static", "hpos"),
    ("colour", "size", "hpos"),
    ("colour", "size", "static", "depth"),
    ("colour", "static", "depth"),
    ("colour", "hpos"),
    ("colour", "size", "static"),
    ("colour", "size", "depth"),
    ("colour", "static"),
    ("colour", "size"),
    ("colour", "depth"),
    ("colour",),
    ("size", "hpos"),
)
_A2_FULL: Orders = (
    ("colour", "size", "motion", "hpos"),
    ("colour", "motion", "hpos"),
    ("colour", "size", "motion"),
    ("colour", "motion", "depth"),
    ("colour", "motion"),
    *_A2_FIRST,
)
SOURCES = tuple(source for source, _, _ in RE_FILES)  # the DAVIS RE files: annot1, annot1_full_video, annot2, ...
_ORDERS = {"annot1": _A1_FIRST, "annot1_full_video": _A1_FULL, "annot2": _A2_FIRST, "annot2_full_video": _A2_FULL}


def _true_claims(
    track: Track, keys: Sequence[str], tracks: list[Track], full_video: bool, width: int, height: int
) -> Claims | None:
    frames = described_frames(track, full_video)
    claims: Claims = {"category": track.plan.cls}
    for key in keys:
        value = attribute(track, key, tracks, frames, width, height)
        if value is None:
            return None
        claims[key] = value
    return claims


def _matches(claims: Claims, tracks: list[Track], full_video: bool, width: int, height: int) -> list[int]:
    return [t.object_id for t in tracks if satisfies(t, claims, tracks, full_video, width, height)]


def _choose(
    track: Track, source: str, tracks: list[Track], width: int, height: int, orders: Sequence[Sequence[str]]
) -> tuple[Claims, list[int]]:
    """The first attribute set of `orders` that is true of `track` and picks it out alone, with its matches.

    When none does, the true set that fits the fewest objects (the annotator's best try).
    """
    full_video = source.endswith("full_video")
    best: tuple[Claims, list[int]] | None = None
    for keys in orders:
        claims = _true_claims(track, keys, tracks, full_video, width, height)
        if claims is None:
            continue
        matches = _matches(claims, tracks, full_video, width, height)
        if matches == [track.object_id]:
            return claims, matches
        if best is None or len(matches) < len(best[1]):
            best = claims, matches
    if best is None:
        raise ValueError(f"no attribute set of {source} is true of object {track.object_id}: {list(orders)}")
    return best


def describe_video(plan: VideoPlan, tracks: list[Track]) -> list[Expression]:
    """Four REs per object (annotator 1/2 x first-frame/full-video), with their claims."""
    width, height = plan.width, plan.height
    deliberate = {(oid, source): (kind, keys) for oid, source, kind, keys in plan.deliberate}
    expressions: list[Expression] = []
    for track in tracks:
        for source in SOURCES:
            full_video = source.endswith("full_video")
            kind, keys = deliberate.get((track.object_id, source), ("valid", ()))
            described = track
            if kind == "wrong-object":
                described = next(t for t in tracks if t is not track and t.plan.cls == track.plan.cls)
            orders = [keys] if kind == "no-re" else _ORDERS[source]
            claims, matches = _choose(described, source, tracks, width, height, orders)
            if track.object_id not in matches:
                kind = "wrong-object"
            else:
                kind = "valid" if matches == [track.object_id] else "no-re"
            expressions.append(
                {
                    "source": source,
                    "object_id": track.object_id,
                    "text": realise(claims, source, {t.object_id: t.plan.cls for t in tracks}),
                    "intended": kind,
                    "described_object": described.object_id,
                    "matches": matches,
                    "frames": "all" if full_video else "first",
                    "claims": claims,
                    "categories": sorted({CLAIM_CATEGORY[k] for k in claims}),
                }
            )
    return expressions


def _article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _word(claims: Mapping[str, ClaimValue], key: str) -> str | None:
    """The value of a one-word claim (colour, size, static, hpos, depth), None when not claimed."""
    value = claims.get(key)
    return value if isinstance(value, str) else None


def realise(claims: Mapping[str, ClaimValue], source: str, classes: dict[int, str]) -> str:
    """The RE text for `claims` in the style of annotator 1 (terse) or 2 (wordy, Latin-1)."""
    first = source.startswith("annot1")
    cls = str(claims["category"])
    colour = _word(claims, "colour")
    size = _word(claims, "size")
    words = []
    if size:
        words.append(size if first else {"big": "large", "small": "little"}[size])
    if colour and cls != "person":
        words.append(colour if first or colour != "cream" else "crème")
    static = _word(claims, "static")
    if static == "parked":
        words.append("parked")
    words.append(cls)
    if colour and cls == "person":
        words.append(f"in {colour}" if first else f"in {_article(colour)} shirt")
    if static and static != "parked":
        words.append(
            static
            if first
            else {"standing": "standing still", "sitting": "sitting down", "lying": "lying still"}[static]
        )
    motion = claims.get("motion")
    if isinstance(motion, list):
        verb, direction = motion
        words.append(f"{verb} {direction}" if first else f"{verb} towards the {direction}")
    hpos = _word(claims, "hpos")
    if hpos:
        if first:
            words.append("in the middle" if hpos == "middle" else f"on the {hpos}")
        else:
            words.append("in the centre of the picture" if hpos == "middle" else f"on the {hpos} side of the picture")
    depth = _word(claims, "depth")
    if depth:
        words.append(f"in the {depth}" if first else {"back": "in the background", "front": "in the foreground"}[depth])
    next_to = claims.get("next_to")
    if isinstance(next_to, int):
        words.append(f"next to the {classes[next_to]}")
    text = " ".join(words)
    return text if first else _article(text)
