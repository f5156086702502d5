"""Scene model of the demo dataset: what is in each video, how it moves, and what its REs claim.

`plan_videos` turns a seed into video plans (objects with a class, a named colour, a size,
a motion or a static pose, and a foot-point trajectory). After the masks are drawn, the
object boxes measured on them feed `describe_video`, which writes the two annotators'
referring expressions from claims that are checked against those boxes. The claims,
their categories and the thresholds are written to `demo_scene.json` (schema in
`refcat.demo.generator`).

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

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from refcat.datasets.records import Box

# Thresholds of the claims (fractions of the frame height or width).
SIZE_RATIO = 1.2
DEPTH_MARGIN = 0.03
NEXT_TO_GAP = 0.06
MOTION_MIN = 0.1
HORIZON = 0.42  # the horizon line, as a fraction of the height

THRESHOLDS = {
    "size_ratio": SIZE_RATIO,
    "depth_margin": DEPTH_MARGIN,
    "next_to_gap": NEXT_TO_GAP,
    "motion_min": MOTION_MIN,
}

# Named colours (RGB) and which ones each class is drawn in.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (196, 36, 36),
    "blue": (38, 84, 200),
    "green": (46, 150, 62),
    "yellow": (236, 200, 40),
    "orange": (238, 128, 28),
    "purple": (128, 56, 170),
    "white": (236, 236, 232),
    "black": (34, 34, 38),
    "grey": (128, 128, 132),
    "brown": (122, 76, 38),
    "cream": (238, 222, 180),
}
CLASS_COLOURS: dict[str, tuple[str, ...]] = {
    "person": ("red", "blue", "green", "yellow", "orange", "purple", "white", "black"),
    "dog": ("brown", "black", "white", "cream", "grey"),
    "cat": ("orange", "black", "white", "grey", "cream"),
    "car": ("red", "blue", "white", "black", "yellow", "green", "grey"),
    "ball": ("red", "blue", "yellow", "green", "orange", "white"),
    "bird": ("red", "blue", "yellow", "black", "white"),
}
# Sprite height at the reference depth, as a fraction of the frame height.
CLASS_HEIGHT = {"person": 0.34, "dog": 0.16, "cat": 0.12, "car": 0.21, "ball": 0.075, "bird": 0.075}
HALF_WIDTH = {"person": 0.17, "dog": 0.65, "cat": 0.62, "car": 1.22, "ball": 0.5, "bird": 0.62}  # in heights
SIZE_FACTOR = {"small": 0.72, "medium": 1.0, "big": 1.3}
STATIC_POSES = {
    "person": "standing",
    "dog": "sitting",
    "cat": "sitting",
    "car": "parked",
    "ball": "lying",
    "bird": "standing",
}
MOTION_VERBS = {
    "person": ("walking", "running"),
    "dog": ("walking", "running"),
    "cat": ("walking", "running"),
    "car": ("driving",),
    "ball": ("rolling",),
    "bird": ("flying",),
}
# Distance covered over a whole video, as a fraction of the width.
TRAVEL = {"walking": 0.3, "running": 0.45, "driving": 0.55, "rolling": 0.38, "flying": 0.5}
DEPTH_BAND = {"back": (0.56, 0.62), "mid": (0.70, 0.77), "front": (0.86, 0.93)}


@dataclass(frozen=True)
class ObjectTemplate:
    cls: str
    motion: str = "static"  # "static" or a verb of MOTION_VERBS
    direction: str | None = None  # "left" / "right" for movers
    start: str = "middle"  # third of the frame a static object stands in
    depth: str = "mid"  # back / mid / front band of the ground
    size: str = "medium"
    colour: str | None = None  # a COLOURS name, "=<k>" for the colour of object k, None for random
    near: int | None = None  # static objects: stand beside object k (same depth), on its side towards the centre


@dataclass(frozen=True)
class VideoTemplate:
    name: str
    split: str
    ground: str  # "park" or "street"
    objects: tuple[ObjectTemplate, ...]
    void_ring: bool = False
    # (object id, source, "no-re" | "wrong-object", attributes): REs that are wrong on purpose; a no-re
    # uses the given attributes (true of the object, but of another one too).
    deliberate: tuple[tuple[int, str, str, tuple[str, ...]], ...] = ()


O = ObjectTemplate
TEMPLATES: tuple[VideoTemplate, ...] = (
    VideoTemplate(
        "dog-walk",
        "train",
        "park",
        (
            O("person", "walking", "right", depth="mid"),
            O("dog", "running", "right", depth="front", colour="cream"),
            O("car", start="right", depth="back", size="small"),
        ),
    ),
    VideoTemplate(
        "two-dogs",
        "train",
        "park",
        (
            O("dog", "running", "left", depth="front", size="big"),
            O("dog", start="left", depth="back", size="small"),
            O("ball", start="middle", depth="mid"),
        ),
    ),
    VideoTemplate(
        "parking-lot",
        "val",
        "street",
        (
            O("car", start="left", depth="back"),
            O("car", start="right", depth="back", colour="=1"),
            O("car", "driving", "right", depth="front", size="big"),
            O("person", depth="back", near=2),
        ),
        void_ring=True,
        deliberate=((1, "annot2", "no-re", ("colour", "static")),),
    ),
    VideoTemplate(
        "ball-kick",
        "train",
        "park",
        (
            O("person", start="left", depth="mid"),
            O("ball", "rolling", "right", depth="front"),
            O("dog", "running", "right", depth="back", size="small"),
        ),
    ),
    VideoTemplate(
        "bird-flight",
        "train",
        "park",
        (
            O("bird", "flying", "right"),
            O("bird", start="left", depth="front"),
            O("cat", start="right", depth="mid"),
        ),
    ),
    VideoTemplate(
        "street-cross",
        "val",
        "street",
        (
            O("person", "walking", "left", depth="front"),
            O("person", start="left", depth="mid", size="small"),
            O("car", "driving", "right", depth="back"),
        ),
        deliberate=((2, "annot2", "wrong-object", ()),),
    ),
    VideoTemplate(
        "cat-yard",
        "train",
        "park",
        (
            O("cat", "walking", "right", depth="front", size="big"),
            O("cat", start="right", depth="back", size="small"),
            O("ball", start="left", depth="mid"),
        ),
    ),
    VideoTemplate(
        "kids-ball",
        "train",
        "park",
        (
            O("person", "running", "right", depth="mid", size="small"),
            O("person", start="right", depth="back"),
            O("ball", "rolling", "right", depth="front"),
            O("person", "walking", "left", depth="front", size="big"),
        ),
    ),
    VideoTemplate(
        "car-race",
        "val",
        "street",
        (
            O("car", "driving", "right", depth="back"),
            O("car", "driving", "left", depth="front", size="big"),
            O("person", start="left", depth="front"),
        ),
    ),
    VideoTemplate(
        "dog-chase",
        "train",
        "park",
        (
            O("dog", "running", "right", depth="mid"),
            O("cat", "running", "right", depth="front", size="small"),
            O("bird", "flying", "left"),
        ),
    ),
    VideoTemplate(
        "park-birds",
        "train",
        "park",
        (
            O("bird", "flying", "left"),
            O("bird", "flying", "right", size="big"),
            O("bird", start="middle", depth="front"),
            O("person", start="right", depth="back"),
        ),
    ),
    VideoTemplate(
        "pet-show",
        "val",
        "park",
        (
            O("dog", start="left", depth="mid", size="big"),
            O("cat", start="middle", depth="front"),
            O("dog", "walking", "right", depth="back", size="small", colour="=1"),
            O("person", start="right", depth="mid"),
        ),
        void_ring=True,
        deliberate=((3, "annot2_full_video", "no-re", ("colour",)),),
    ),
)
del O


@dataclass
class ObjectPlan:
    object_id: int
    cls: str
    colour: str
    size: str
    motion: str  # "static" or a verb
    pose: str | None  # static pose, None for movers
    direction: str | None
    height: float  # sprite height in pixels
    anchors: list[tuple[float, float]]  # foot point (x, y) per frame
    phases: list[float]  # animation phase per frame (in cycles)

    @property
    def flying(self) -> bool:
        return self.motion == "flying"


@dataclass
class VideoPlan:
    name: str
    split: str
    ground: str
    n_frames: int
    width: int
    height: int
    void_ring: bool
    objects: list[ObjectPlan]
    deliberate: tuple[tuple[int, str, str, tuple[str, ...]], ...]
    seed: tuple[int, int] = field(default=(0, 0))


def video_templates(n_videos: int) -> Iterator[tuple[str, VideoTemplate, int]]:
    """(name, template, round) of the first `n_videos` videos: the twelve templates in turn,
    round 1 named after them, later rounds with a suffix ("dog-walk-2")."""
    for i in range(n_videos):
        template = TEMPLATES[i % len(TEMPLATES)]
        round_ = i // len(TEMPLATES) + 1
        yield (template.name if round_ == 1 else f"{template.name}-{round_}"), template, round_


def mirrored(template: VideoTemplate) -> VideoTemplate:
    """The template seen in a mirror: left and right swapped in start thirds and directions."""
    swap = {"left": "right", "right": "left"}
    objects = tuple(
        replace(o, start=swap.get(o.start, o.start), direction=swap.get(o.direction, o.direction))
        for o in template.objects
    )
    return replace(template, objects=objects)


def plan_videos(
    seed: int, n_videos: int, min_frames: int, max_frames: int, width: int, height: int, val_round: int | None = None
) -> Iterator[Iterator[VideoPlan]]:
    """For each video, an endless stream of candidate plans; the caller takes the first it accepts.

    Each stream draws from its own generator seeded with (seed, video index), so a video
    does not depend on the others, and the same arguments give the same plans. Round 1
    follows the templates; a later round mirrors each template with probability 1/2.
    Splits: the template's own (`val_round` None), else "val" for the videos of round
    `val_round` and "train" for all others (held-out videos of the same kinds of scene).
    """
    for i, (name, template, round_) in enumerate(video_templates(n_videos)):
        rng = np.random.default_rng([seed, i])
        split = template.split if val_round is None else ("val" if round_ == val_round else "train")
        yield (
            plan_video(name, template, rng, (seed, i), min_frames, max_frames, width, height, split, round_ > 1)
            for _ in itertools.repeat(None)
        )


def plan_video(
    name, template: VideoTemplate, rng, seed, min_frames, max_frames, width, height, split: str, may_mirror: bool
) -> VideoPlan:
    if may_mirror and rng.random() < 0.5:
        template = mirrored(template)
    n = int(rng.integers(min_frames, max_frames + 1))
    colours: list[str] = []
    for spec in template.objects:
        if spec.colour and spec.colour.startswith("="):
            colours.append(colours[int(spec.colour[1:]) - 1])
        elif spec.colour:
            colours.append(spec.colour)
        else:
            taken = {c for c, s in zip(colours, template.objects) if s.cls == spec.cls}
            choices = [c for c in CLASS_COLOURS[spec.cls] if c not in taken]
            colours.append(str(rng.choice(choices)))
    objects: list[ObjectPlan] = []
    for k, spec in enumerate(template.objects):
        objects.append(_plan_object(k + 1, spec, colours[k], rng, n, width, height, objects))
    return VideoPlan(
        name, split, template.ground, n, width, height, template.void_ring, objects, template.deliberate, seed
    )


def _plan_object(object_id, spec: ObjectTemplate, colour, rng, n, width, height, earlier) -> ObjectPlan:
    horizon = HORIZON * height
    if spec.near:
        y0 = earlier[spec.near - 1].anchors[0][1]
        perspective = 0.75 + 0.25 * (y0 - horizon) / (height - horizon)
    elif spec.motion == "flying":
        y0 = height * rng.uniform(0.14, 0.28)
        perspective = 1.0
    else:
        lo, hi = DEPTH_BAND[spec.depth]
        y0 = height * rng.uniform(lo, hi)
        perspective = 0.75 + 0.25 * (y0 - horizon) / (height - horizon)
    h = height * CLASS_HEIGHT[spec.cls] * SIZE_FACTOR[spec.size] * perspective
    t = np.arange(n) / max(n - 1, 1)
    if spec.near:
        other = earlier[spec.near - 1]
        ox = other.anchors[0][0]
        side = 1.0 if ox < width / 2 else -1.0
        xs = np.full(n, ox + side * (HALF_WIDTH[other.cls] * other.height + HALF_WIDTH[spec.cls] * h + 0.02 * width))
        phases = np.zeros(n)
    elif spec.motion == "static":
        third = {"left": 0, "middle": 1, "right": 2}[spec.start]
        x0 = width * (third + 0.5 + rng.uniform(-0.18, 0.18)) / 3
        xs = np.full(n, x0)
        phases = np.zeros(n)
    else:
        travel = TRAVEL[spec.motion] * width
        sign = 1.0 if spec.direction == "right" else -1.0
        lo, hi = (0.1 * width, 0.9 * width - travel) if sign > 0 else (0.1 * width + travel, 0.9 * width)
        x0 = rng.uniform(lo, hi)
        xs = x0 + sign * travel * t
        stride = {"walking": 0.8, "running": 1.1, "driving": 2.0, "rolling": np.pi, "flying": 0.0}[spec.motion] * h
        phases = np.arange(n) / 5.0 + rng.uniform() if spec.motion == "flying" else travel * t / stride
    ys = np.full(n, y0)
    if spec.motion == "flying":
        ys = y0 + 0.015 * height * np.sin(2 * np.pi * (t * 1.5 + rng.uniform()))
    return ObjectPlan(
        object_id,
        spec.cls,
        colour,
        spec.size,
        spec.motion,
        STATIC_POSES[spec.cls] if spec.motion == "static" else None,
        spec.direction,
        float(h),
        [(float(x), float(y)) for x, y in zip(xs, ys)],
        [float(p) for p in phases],
    )


# ---------------------------------------------------------------- claims on measured boxes


@dataclass
class Track:
    """An object as its REs see it: its plan and its mask box in each frame (None if absent)."""

    plan: ObjectPlan
    boxes: list[Box | None]
    areas: list[int] = field(default_factory=list)  # visible mask pixels per frame

    @property
    def object_id(self) -> int:
        return self.plan.object_id

    def present(self, frames: list[int]) -> list[int]:
        return [f for f in frames if self.boxes[f] is not None]


def described_frames(track: Track, full_video: bool) -> list[int]:
    return track.present(range(len(track.boxes))) if full_video else track.present([0])


def _centre_x(box: Box) -> float:
    return (box[0] + box[2]) / 2


def _height(box: Box) -> int:
    return box[3] - box[1] + 1


def attribute(track: Track, key: str, tracks: list[Track], frames: list[int], width: int, height: int):
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
        mine = float(np.median([_height(track.boxes[f]) for f in own]))
        theirs = [
            float(np.median([_height(t.boxes[f]) for f in t.present(frames)])) for t in rivals if t.present(frames)
        ]
        if len(theirs) != len(rivals):
            return None
        if all(mine >= SIZE_RATIO * h for h in theirs):
            return "big"
        if all(mine * SIZE_RATIO <= h for h in theirs):
            return "small"
        return None
    if key == "hpos":
        thirds = {min(int(3 * _centre_x(track.boxes[f]) / width), 2) for f in own}
        return ("left", "middle", "right")[thirds.pop()] if len(thirds) == 1 else None
    if key == "depth":
        if not rivals or plan.flying or any(t.plan.flying for t in rivals):
            return None
        margin = DEPTH_MARGIN * height
        for word, sign in (("back", 1), ("front", -1)):
            ok = all(
                sign * (t.boxes[f][3] - track.boxes[f][3]) >= margin
                for t in rivals
                for f in own
                if t.boxes[f] is not None
            ) and all(t.present(own) for t in rivals)
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
        dx = _centre_x(track.boxes[own[-1]]) - _centre_x(track.boxes[own[0]])
        direction = "right" if dx > 0 else "left"
        if abs(dx) >= MOTION_MIN * width and direction == plan.direction:
            return [plan.motion, direction]
        return None
    raise KeyError(key)


def _gap(a: Track, b: Track, frames: list[int]) -> float:
    gaps = [_box_gap(a.boxes[f], b.boxes[f]) for f in frames if a.boxes[f] is not None and b.boxes[f] is not None]
    return max(gaps) if gaps else float("inf")


def _box_gap(a: Box, b: Box) -> float:
    return max(a[0] - b[2], b[0] - a[2], 0)


def is_next_to(a: Track, b: Track, frames: list[int], width: int) -> bool:
    both = [f for f in frames if a.boxes[f] is not None and b.boxes[f] is not None]
    return bool(both) and all(
        _box_gap(a.boxes[f], b.boxes[f]) <= NEXT_TO_GAP * width
        and a.boxes[f][1] <= b.boxes[f][3]
        and b.boxes[f][1] <= a.boxes[f][3]
        for f in both
    )


def satisfies(track: Track, claims: dict, tracks: list[Track], full_video: bool, width: int, height: int) -> bool:
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
_A1_FIRST = (
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
_A1_FULL = (
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
_A2_FIRST = (
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
_A2_FULL = (
    ("colour", "size", "motion", "hpos"),
    ("colour", "motion", "hpos"),
    ("colour", "size", "motion"),
    ("colour", "motion", "depth"),
    ("colour", "motion"),
    *_A2_FIRST,
)
SOURCES = ("annot1", "annot1_full_video", "annot2", "annot2_full_video")
_ORDERS = {"annot1": _A1_FIRST, "annot1_full_video": _A1_FULL, "annot2": _A2_FIRST, "annot2_full_video": _A2_FULL}


def _true_claims(track: Track, keys, tracks, full_video, width, height) -> dict | None:
    frames = described_frames(track, full_video)
    claims = {"category": track.plan.cls}
    for key in keys:
        value = attribute(track, key, tracks, frames, width, height)
        if value is None:
            return None
        claims[key] = value
    return claims


def _matches(claims, tracks, full_video, width, height) -> list[int]:
    return [t.object_id for t in tracks if satisfies(t, claims, tracks, full_video, width, height)]


def _choose(track: Track, source: str, tracks, width, height, orders):
    """The first attribute set of `orders` that is true of `track` and picks it out alone.

    When none does, the true set that fits the fewest objects (the annotator's best try).
    """
    full_video = source.endswith("full_video")
    best = None
    for keys in orders:
        claims = _true_claims(track, keys, tracks, full_video, width, height)
        if claims is None:
            continue
        matches = _matches(claims, tracks, full_video, width, height)
        if matches == [track.object_id]:
            return claims, matches
        if best is None or len(matches) < len(best[1]):
            best = claims, matches
    return best


def describe_video(plan: VideoPlan, tracks: list[Track]) -> list[dict]:
    """Four REs per object (annotator 1/2 x first-frame/full-video), with their claims."""
    width, height = plan.width, plan.height
    deliberate = {(oid, source): (kind, keys) for oid, source, kind, keys in plan.deliberate}
    expressions = []
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


def realise(claims: dict, source: str, classes: dict[int, str]) -> str:
    """The RE text for `claims` in the style of annotator 1 (terse) or 2 (wordy, Latin-1)."""
    first = source.startswith("annot1")
    cls = claims["category"]
    colour = claims.get("colour")
    size = claims.get("size")
    words = []
    if size:
        words.append(size if first else {"big": "large", "small": "little"}[size])
    if colour and cls != "person":
        words.append(colour if first or colour != "cream" else "crème")
    if claims.get("static") == "parked":
        words.append("parked")
    words.append(cls)
    if colour and cls == "person":
        words.append(f"in {colour}" if first else f"in {_article(colour)} shirt")
    static = claims.get("static")
    if static and static != "parked":
        words.append(
            static
            if first
            else {"standing": "standing still", "sitting": "sitting down", "lying": "lying still"}[static]
        )
    if "motion" in claims:
        verb, direction = claims["motion"]
        words.append(f"{verb} {direction}" if first else f"{verb} towards the {direction}")
    if "hpos" in claims:
        hpos = claims["hpos"]
        if first:
            words.append("in the middle" if hpos == "middle" else f"on the {hpos}")
        else:
            words.append("in the centre of the picture" if hpos == "middle" else f"on the {hpos} side of the picture")
    if "depth" in claims:
        depth = claims["depth"]
        words.append(f"in the {depth}" if first else {"back": "in the background", "front": "in the foreground"}[depth])
    if "next_to" in claims:
        words.append(f"next to the {classes[claims['next_to']]}")
    text = " ".join(words)
    return text if first else _article(text)
