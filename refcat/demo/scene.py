"""Scene model of the demo dataset: what is in each video and how it moves.

`plan_videos` turns a seed into video plans: objects with a class, a named colour, a size,
a motion or a static pose, and a foot-point trajectory, following the twelve scene
templates of `TEMPLATES`. Plans say where objects stand, not what is seen: the frames and
masks are drawn from them (`refcat.demo.render`), and the REs are checked against the
boxes measured on those masks (`refcat.demo.expressions`).

Coordinates are pixels, y grows downwards; an object's anchor is its foot point, the origin
its sprite is drawn around (`refcat.demo.sprites`); frames are 0-based.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

HORIZON = 0.42  # the horizon line, as a fraction of the height

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
# Distance covered in one animation cycle, in sprite heights (flying flaps in time, not with distance).
STRIDE = {"walking": 0.8, "running": 1.1, "driving": 2.0, "rolling": np.pi, "flying": 0.0}
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


Obj = ObjectTemplate  # short, for the table below
TEMPLATES: tuple[VideoTemplate, ...] = (
    VideoTemplate(
        "dog-walk",
        "train",
        "park",
        (
            Obj("person", "walking", "right", depth="mid"),
            Obj("dog", "running", "right", depth="front", colour="cream"),
            Obj("car", start="right", depth="back", size="small"),
        ),
    ),
    VideoTemplate(
        "two-dogs",
        "train",
        "park",
        (
            Obj("dog", "running", "left", depth="front", size="big"),
            Obj("dog", start="left", depth="back", size="small"),
            Obj("ball", start="middle", depth="mid"),
        ),
    ),
    VideoTemplate(
        "parking-lot",
        "val",
        "street",
        (
            Obj("car", start="left", depth="back"),
            Obj("car", start="right", depth="back", colour="=1"),
            Obj("car", "driving", "right", depth="front", size="big"),
            Obj("person", depth="back", near=2),
        ),
        void_ring=True,
        deliberate=((1, "annot2", "no-re", ("colour", "static")),),
    ),
    VideoTemplate(
        "ball-kick",
        "train",
        "park",
        (
            Obj("person", start="left", depth="mid"),
            Obj("ball", "rolling", "right", depth="front"),
            Obj("dog", "running", "right", depth="back", size="small"),
        ),
    ),
    VideoTemplate(
        "bird-flight",
        "train",
        "park",
        (
            Obj("bird", "flying", "right"),
            Obj("bird", start="left", depth="front"),
            Obj("cat", start="right", depth="mid"),
        ),
    ),
    VideoTemplate(
        "street-cross",
        "val",
        "street",
        (
            Obj("person", "walking", "left", depth="front"),
            Obj("person", start="left", depth="mid", size="small"),
            Obj("car", "driving", "right", depth="back"),
        ),
        deliberate=((2, "annot2", "wrong-object", ()),),
    ),
    VideoTemplate(
        "cat-yard",
        "train",
        "park",
        (
            Obj("cat", "walking", "right", depth="front", size="big"),
            Obj("cat", start="right", depth="back", size="small"),
            Obj("ball", start="left", depth="mid"),
        ),
    ),
    VideoTemplate(
        "kids-ball",
        "train",
        "park",
        (
            Obj("person", "running", "right", depth="mid", size="small"),
            Obj("person", start="right", depth="back"),
            Obj("ball", "rolling", "right", depth="front"),
            Obj("person", "walking", "left", depth="front", size="big"),
        ),
    ),
    VideoTemplate(
        "car-race",
        "val",
        "street",
        (
            Obj("car", "driving", "right", depth="back"),
            Obj("car", "driving", "left", depth="front", size="big"),
            Obj("person", start="left", depth="front"),
        ),
    ),
    VideoTemplate(
        "dog-chase",
        "train",
        "park",
        (
            Obj("dog", "running", "right", depth="mid"),
            Obj("cat", "running", "right", depth="front", size="small"),
            Obj("bird", "flying", "left"),
        ),
    ),
    VideoTemplate(
        "park-birds",
        "train",
        "park",
        (
            Obj("bird", "flying", "left"),
            Obj("bird", "flying", "right", size="big"),
            Obj("bird", start="middle", depth="front"),
            Obj("person", start="right", depth="back"),
        ),
    ),
    VideoTemplate(
        "pet-show",
        "val",
        "park",
        (
            Obj("dog", start="left", depth="mid", size="big"),
            Obj("cat", start="middle", depth="front"),
            Obj("dog", "walking", "right", depth="back", size="small", colour="=1"),
            Obj("person", start="right", depth="mid"),
        ),
        void_ring=True,
        deliberate=((3, "annot2_full_video", "no-re", ("colour",)),),
    ),
)
del Obj


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
    gait: str | None = None  # the motion its sprite is drawn in, when not its own (a still object in mid-stride)
    facing: str | None = None  # "left" / "right" when the sprite does not face its direction

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
        replace(
            o,
            start=swap.get(o.start, o.start),
            direction=None if o.direction is None else swap.get(o.direction, o.direction),
        )
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
    name: str,
    template: VideoTemplate,
    rng: np.random.Generator,
    seed: tuple[int, int],
    min_frames: int,
    max_frames: int,
    width: int,
    height: int,
    split: str,
    may_mirror: bool,
) -> VideoPlan:
    """One candidate plan of `template`; `seed` is recorded with it (it seeds the renderer's background)."""
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


def _plan_object(
    object_id: int,
    spec: ObjectTemplate,
    colour: str,
    rng: np.random.Generator,
    n: int,
    width: int,
    height: int,
    earlier: list[ObjectPlan],
) -> ObjectPlan:
    """An object's size and trajectory over `n` frames; `earlier` are the video's objects planned before it."""
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
        stride = STRIDE[spec.motion] * h
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
