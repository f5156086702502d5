"""The motion diagnostic: demo videos in which only one cue tells two objects of a class apart.

`write_diagnostic_dataset(out_dir, "motion")` writes, in the layout of `refcat demo-data`
(`refcat.demo.generator`), videos of two objects of ONE class, of three kinds (the "cue"):

- motion: the two differ only in how they move. Contrasts: "moving-still" (one moves, one
  does not), "left-right" (same speed, opposite directions), "fast-slow" (one covers FAST /
  SLOW = 3 times the distance of the other). REs name only the motion: "the dog that is
  running", "the cat that is not moving", "the car driving to the left", "the ball rolling
  slowly".
- appearance (control): the two differ only in colour (two of the class's colours at least
  COLOUR_DISTANCE apart in RGB); REs name only the colour.
- location (control): the two differ only in position, "side" (left / right of each other)
  or "depth" (front / back lane); REs name only the position.
In the controls both objects stand still or both move the same way at the same speed
("movement", in turn), so motion is seen in every kind of video.

What is kept equal, so that no cue but the one under test is left (each object is an
`ObjectPlan` of `refcat.demo.scene`, drawn by `refcat.demo.render`):
- class, sprite height (SPRITE_HEIGHT of the frame height, in either lane: no perspective),
  colour (except in appearance videos) and gait: a still object is drawn in the walking or
  running pose of the video's verb, frozen at a random phase, and a mover starts at a random
  phase, so no single frame shows which one moves;
- facing: each sprite faces left or right at random, independently of where it goes (one
  frame would otherwise tell the direction);
- lanes: the two objects go in two lanes (LANES), assigned at random, so front / back says
  nothing except in depth videos;
- positions (`_paths`): in moving-still and fast-slow videos every frame shows two
  independent positions uniform over the room the objects have (a mover starts at a uniform
  place and turns back at the edges; its direction is then recorded as null); in left-right
  and control videos the midpoints of the two paths are drawn independently from one uniform
  range, so that over the frames of a video the two objects are exchangeable: a frame-level
  model that sees where the two are cannot tell which is which better than chance. In frame
  0 alone, two movers in opposite directions that stay in view mostly approach each other, so
  there frame 0 does tell them apart; the other contrasts are uninformative in frame 0 too.
  Side videos place the two objects at least SIDE_SPREAD of the width apart on purpose.
Object ids are assigned at random (object 1 is not always the mover). Every object shows at
least half of itself in every frame.

Videos: `n_videos` in all, a third of them (rounded down) val and the rest train. In each
split the cues come in turn (motion, appearance, location), and within a cue its contrasts
and movements in turn (`video_specs`), so both splits hold the same mix. The default, 72
videos (48 train, 24 val) of 16-24 frames at 320x180, gives per cue 16 train videos (64 REs)
and 8 val videos (32 REs, 16 objects): enough for a small CPU training run to learn the
location and appearance controls, frames small enough that an epoch is cheap, and clips
long enough for a temporal model's window (a moving object covers 2-10 pixels a frame).

REs: each object gets two, both written for the full video (`annot1_full_video` terse,
`annot2_full_video` another wording); the first-frame RE files are written empty, as a
first-frame RE cannot name motion. `demo_scene.json` has the generator's schema (version 1)
plus: at the top `"diagnostic": "motion"`; in each video `"cue"`, `"contrast"` and
`"movement"` ("still" | "moving" in controls, null in motion videos); in each object
`"lane"`, `"facing"`, `"gait"` (the motion its sprite is drawn in) and `"travel"` (the
planned distance, turns included, in pixels); in each expression `"cue"`. Claims use the
demo's semantics for category, colour, depth and motion [verb, direction]
(`refcat.demo.expressions`) and three more (`holds`), over the frames where the object is
present, from the box centres x of the measured mask boxes:
- moves <verb>: the object moves with that verb and its box centre covers at least
  MOTION_MIN * width (turns included); moves "no": its foot point is the same in every frame
  (the scene's ground truth, as for the demo's static claim).
- speed "fast" / "slow": the distance its box centre covers per frame is at least
  SPEED_RATIO times (fast) / at most 1/SPEED_RATIO times (slow) that of every other object
  of its class.
- side "left" / "right": its box centre is at least SIDE_GAP * width left (right) of every
  other object of its class in every frame where both are present.
Every RE is checked on every object of its video: it must hold of its referent and of no
other (`"matches"` is the referent alone, `"intended"` "valid"); a candidate plan that fails
a check is redrawn from the same random stream, so the output stays deterministic.
Categories follow the taxonomy's decisions (`refcat.taxonomy.DECISIONS`): a negated motion
verb and "standing still" are static, a direction "to the left" is motion and location (a
path relative to the image).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from refcat.demo.davis_layout import SequenceWriter
from refcat.demo.expressions import MOTION_MIN, THRESHOLDS, Claims, ClaimValue, Expression, Track, attribute
from refcat.demo.generator import MAX_PLAN_TRIES, SCENE_VERSION, finish_folder, prepare_folder, video_record
from refcat.demo.render import Renderer, mask_box
from refcat.demo.scene import CLASS_COLOURS, COLOURS, MOTION_VERBS, STRIDE, ObjectPlan, VideoPlan
from refcat.demo.sprites import EXTENT
from refcat.errors import UsageError

log = logging.getLogger(__name__)

DIAGNOSTICS = ("motion",)
CUES = ("motion", "appearance", "location")
CONTRASTS = {
    "motion": ("moving-still", "left-right", "fast-slow"),
    "appearance": ("colour",),
    "location": ("side", "depth"),
}
MOVEMENTS = ("still", "moving")  # of both objects in a control video
CLASSES = ("person", "dog", "cat", "car", "ball")  # birds left out: a flying bird cannot stand still in the air
SPRITE_HEIGHT = {"person": 0.34, "dog": 0.2, "cat": 0.17, "car": 0.21, "ball": 0.12}  # fractions of the frame height
LANES = {"back": 0.64, "front": 0.92}  # foot-point y of each lane, as a fraction of the frame height
# Distance covered over the video, as a fraction of the width the object may use (the frame less its width).
MOVE, FAST, SLOW = 0.45, 0.6, 0.2
SPEED_RATIO = 1.5  # claim threshold (the plan's fast / slow ratio is FAST / SLOW = 3)
SIDE_GAP = 0.1  # claim threshold, fraction of the width
SIDE_SPREAD = 0.2  # planned distance between the two objects of a side video, at least, fraction of the width
COLOUR_DISTANCE = 100.0  # RGB distance between the two colours of an appearance video, at least
SOURCES = ("annot1_full_video", "annot2_full_video")
SPLIT_CODE = {"train": 0, "val": 1}
# The categories of each claim's words (the taxonomy's decisions); "moves" depends on its value.
CLAIM_CATEGORIES = {
    "category": ("category",),
    "colour": ("appearance",),
    "side": ("location",),
    "depth": ("location",),
    "motion": ("location", "motion"),
    "speed": ("motion",),
}


class DiagnosticExpression(Expression):
    """A diagnostic RE in `demo_scene.json`: the demo's record plus the cue it tests."""

    cue: str


Move = tuple[str, str | None, float]  # (motion, direction, travel as a fraction of the free width)


@dataclass(frozen=True)
class VideoSpec:
    """What one diagnostic video tests."""

    cue: str  # one of CUES
    contrast: str  # one of CONTRASTS[cue]
    movement: str | None  # controls: one of MOVEMENTS; motion videos: None


def video_specs(n: int) -> list[VideoSpec]:
    """The first `n` videos of a split: cues in turn, and within a cue its contrasts and movements in turn."""
    specs = []
    for k in range(n):
        cue, j = CUES[k % len(CUES)], k // len(CUES)
        if cue == "motion":
            specs.append(VideoSpec(cue, CONTRASTS[cue][j % 3], None))
        elif cue == "appearance":
            specs.append(VideoSpec(cue, "colour", MOVEMENTS[j % 2]))
        else:
            specs.append(VideoSpec(cue, CONTRASTS[cue][j % 2], MOVEMENTS[(j // 2) % 2]))
    return specs


def write_diagnostic_dataset(
    out_dir: str | Path,
    diagnostic: str = "motion",
    seed: int = 0,
    n_videos: int = 72,
    min_frames: int = 16,
    max_frames: int = 24,
    width: int = 320,
    height: int = 180,
) -> Path:
    """Write the diagnostic dataset to `out_dir` (replacing an earlier demo dataset there) and return its path.

    Deterministic for a seed. Raises UsageError for a non-empty folder that is not a demo
    dataset, for inconsistent parameters, or when the frame is too small to place the objects.
    """
    if (
        diagnostic not in DIAGNOSTICS
        or n_videos < 3
        or min_frames < 2
        or max_frames < min_frames
        or width < 64
        or height < 48
    ):
        raise UsageError(
            f"bad diagnostic parameters: {diagnostic!r}, n_videos={n_videos}, frames {min_frames}-{max_frames}, "
            f"size {width}x{height}",
            expected=(
                f"a diagnostic in {list(DIAGNOSTICS)}, n_videos >= 3, 2 <= min_frames <= max_frames, width >= 64, "
                "height >= 48"
            ),
        )
    out = prepare_folder(out_dir)
    n_val = n_videos // 3
    videos: dict[str, dict[str, object]] = {}
    written: list[tuple[VideoPlan, list[Expression]]] = []
    for split, count in (("train", n_videos - n_val), ("val", n_val)):
        for k, spec in enumerate(video_specs(count), start=1):
            name = f"{split}-{k:03d}-{spec.contrast}"
            video_seed = (seed, SPLIT_CODE[split], k)
            candidates = _candidates(name, split, spec, video_seed, min_frames, max_frames, width, height)
            plan, frames, tracks, expressions = _first_accepted(candidates, spec, video_seed)
            log.info("diagnostic video %s: %d frames, %s", name, plan.n_frames, plan.objects[0].cls)
            writer = SequenceWriter(out, name)
            for index, (image, labels) in enumerate(frames):
                writer.write(index, image, labels)
            written.append((plan, expressions))
            videos[name] = _record(plan, spec, tracks, expressions)
    record = {
        "version": SCENE_VERSION,
        "seed": seed,
        "width": width,
        "height": height,
        "diagnostic": diagnostic,
        "thresholds": {**THRESHOLDS, "speed_ratio": SPEED_RATIO, "side_gap": SIDE_GAP},
        "videos": videos,
    }
    finish_folder(out, written, record, f"refcat {diagnostic} diagnostic dataset, seed {seed}")
    return out


# ---------------------------------------------------------------- plans


def _candidates(
    name: str,
    split: str,
    spec: VideoSpec,
    video_seed: tuple[int, int, int],
    min_frames: int,
    max_frames: int,
    width: int,
    height: int,
) -> Iterator[VideoPlan]:
    """An endless stream of candidate plans of one video, from its own random generator."""
    rng = np.random.default_rng(video_seed)
    for _ in itertools.repeat(None):
        yield plan_video(name, split, spec, rng, video_seed, min_frames, max_frames, width, height)


def plan_video(
    name: str,
    split: str,
    spec: VideoSpec,
    rng: np.random.Generator,
    video_seed: tuple[int, int, int],
    min_frames: int,
    max_frames: int,
    width: int,
    height: int,
) -> VideoPlan:
    """One candidate plan of a video testing `spec` (the conventions of the module docstring).

    Raises UsageError when the class drawn does not fit the frame width with room to move."""
    n = int(rng.integers(min_frames, max_frames + 1))
    cls = str(rng.choice(CLASSES))
    verb = str(rng.choice(MOTION_VERBS[cls]))
    h = SPRITE_HEIGHT[cls] * height
    left, right, _ = EXTENT[cls]
    half = max(-left, right) * h + 2  # pixels from the foot point to the sprite's far side, either facing
    free = width - 2 * half
    if free * (1 - MOVE) < SIDE_SPREAD * width:  # side videos of movers need room to start apart
        raise UsageError(f"a {cls} does not fit {width} pixels wide with room to move", expected="a wider frame")
    direction = str(rng.choice(["left", "right"]))
    moves = _moves(spec, verb, direction)
    moves = [moves[i] for i in rng.permutation(2)]
    colours = _colours(spec, cls, rng)
    lanes = [str(lane) for lane in rng.permutation(list(LANES))]
    t = np.arange(n) / (n - 1)
    paths = _paths(spec, [(heading, fraction * free) for _, heading, fraction in moves], half, free, width, t, rng)
    objects = []
    for k, ((motion, heading, fraction), colour, lane, xs) in enumerate(zip(moves, colours, lanes, paths)):
        travel = fraction * free
        steps = np.sign(np.diff(xs))
        if len(set(steps[steps != 0])) > 1:  # turned at an edge of the frame
            heading = None
        phases = rng.uniform() + travel * t / (STRIDE[verb] * h)
        objects.append(
            ObjectPlan(
                k + 1,
                cls,
                colour,
                "medium",
                motion,
                None,
                heading,
                float(h),
                [(float(x), LANES[lane] * height) for x in xs],
                [float(p) for p in phases],
                gait=verb,
                facing=str(rng.choice(["left", "right"])),
            )
        )
    ground = str(rng.choice(["park", "street"]))
    return VideoPlan(name, split, ground, n, width, height, False, objects, (), (video_seed[1], video_seed[2]))


def _moves(spec: VideoSpec, verb: str, direction: str) -> list[Move]:
    """The two objects' moves, in plan order: the pair of a motion video's contrast, or for a control both
    moving with `verb` towards `direction` or both still (its movement)."""
    pairs: dict[str, list[Move]] = {
        "moving-still": [(verb, direction, MOVE), ("static", None, 0.0)],
        "left-right": [(verb, "left", MOVE), (verb, "right", MOVE)],
        "fast-slow": [(verb, direction, FAST), (verb, direction, SLOW)],
    }
    return (
        pairs.get(spec.contrast)
        or [(verb, direction, MOVE) if spec.movement == "moving" else ("static", None, 0.0)] * 2
    )


def _colours(spec: VideoSpec, cls: str, rng: np.random.Generator) -> list[str]:
    """One colour for both objects, or for appearance videos two colours far enough apart to name."""
    names = CLASS_COLOURS[cls]
    if spec.cue != "appearance":
        return [str(rng.choice(names))] * 2
    pairs = [
        (a, b)
        for a, b in itertools.permutations(names, 2)
        if np.linalg.norm(np.subtract(COLOURS[a], COLOURS[b])) >= COLOUR_DISTANCE
    ]
    a, b = pairs[int(rng.integers(len(pairs)))]
    return [a, b]


def _paths(
    spec: VideoSpec,
    moves: list[tuple[str | None, float]],
    half: float,
    free: float,
    width: int,
    t: np.ndarray,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """The foot-point x of each object in each frame, for (direction, travel) moves; `t` the frame times in [0, 1].

    So that position says nothing (module docstring): in moving-still and fast-slow videos,
    where direction is no claim, a mover starts at a uniform place and turns back at the edges
    of the room it has (a path folded into [half, half + free]), and a still object stands at a
    uniform place, so that each frame shows two independent uniform positions. Elsewhere each
    path's midpoint is uniform over the room the path leaves, independently for the two
    objects, so that over the frames of a video (t uniform) the two are exchangeable; side
    videos instead place the two midpoints at least SIDE_SPREAD apart (both objects move alike).
    """
    signs = [1.0 if heading == "right" else -1.0 for heading, _ in moves]
    if spec.contrast in ("moving-still", "fast-slow"):
        paths = []
        for sign, (_, travel) in zip(signs, moves):
            unfolded = np.mod(rng.uniform(0, 2 * free) + sign * travel * t, 2 * free)  # uniform on the circle
            paths.append(half + np.where(unfolded <= free, unfolded, 2 * free - unfolded))
        return paths
    longest = max(travel for _, travel in moves)
    lo, hi = half + longest / 2, half + free - longest / 2
    if spec.contrast == "side":
        gap = rng.uniform(SIDE_SPREAD * width, hi - lo)
        first = rng.uniform(lo, hi - gap)
        centres = [first + gap * i for i in rng.permutation(2)]
    else:
        centres = [rng.uniform(lo, hi) for _ in moves]
    return [centre + sign * travel * (t - 0.5) for centre, sign, (_, travel) in zip(centres, signs, moves)]


# ---------------------------------------------------------------- checks and REs

Frames = list[tuple[np.ndarray, np.ndarray]]  # (RGB image, label map) per frame


def _first_accepted(
    candidates: Iterator[VideoPlan], spec: VideoSpec, video_seed: tuple[int, int, int]
) -> tuple[VideoPlan, Frames, list[Track], list[Expression]]:
    """The first candidate whose objects stay at least half visible and whose REs all check, drawn."""
    for _, plan in zip(range(MAX_PLAN_TRIES), candidates):
        drawn = _draw(plan, video_seed)
        if drawn is None:
            continue
        frames, tracks = drawn
        expressions = _expressions(plan, spec, tracks)
        if expressions is not None:
            return plan, frames, tracks, expressions
    raise UsageError(
        f"could not place the objects of {plan.name} checkably at {plan.width}x{plan.height}",
        expected="a larger frame size",
    )


def _draw(plan: VideoPlan, video_seed: tuple[int, int, int]) -> tuple[Frames, list[Track]] | None:
    """The frames and tracks of a plan, None when an object shows less than half of itself in some frame."""
    renderer = Renderer(plan, np.random.default_rng([*video_seed, 1]))
    tracks = [Track(obj, []) for obj in plan.objects]
    frames: Frames = []
    for index in range(plan.n_frames):
        image, labels, windows = renderer.frame(index)
        frames.append((image, labels))
        for track in tracks:
            box, area = mask_box(labels, track.object_id, windows.get(track.object_id))
            if not area >= 0.5 * renderer.full_area(track.plan, index) > 0:
                return None
            track.boxes.append(box)
            track.areas.append(area)
    return frames, tracks


def _claims(spec: VideoSpec, obj: ObjectPlan, other: ObjectPlan) -> Claims:
    """What the REs of `obj` say, from the plan: its class and the one fact of the cue under test."""
    claims: Claims = {"category": obj.cls}
    if spec.contrast == "moving-still":
        claims["moves"] = obj.motion if obj.motion != "static" else "no"
    elif spec.contrast == "left-right":
        claims["motion"] = [obj.motion, str(obj.direction)]
    elif spec.contrast == "fast-slow":
        mine, theirs = (planned_travel(p) for p in (obj, other))
        claims["moves"] = obj.motion
        claims["speed"] = "fast" if mine > theirs else "slow"
    elif spec.contrast == "colour":
        claims["colour"] = obj.colour
    elif spec.contrast == "side":
        claims["side"] = "left" if obj.anchors[0][0] < other.anchors[0][0] else "right"
    else:
        claims["depth"] = "front" if obj.anchors[0][1] > other.anchors[0][1] else "back"
    return claims


def planned_travel(plan: ObjectPlan) -> float:
    """The distance the foot point covers over the video (pixels, along x, turns included)."""
    return float(np.abs(np.diff([x for x, _ in plan.anchors])).sum())


def marked_object(plan: VideoPlan, contrast: str) -> ObjectPlan:
    """The object of a motion video with the contrast's first value: the mover, the one going left, the faster one."""
    a, b = plan.objects
    if contrast == "moving-still":
        return a if a.motion != "static" else b
    if contrast == "left-right":
        return a if a.direction == "left" else b
    return a if planned_travel(a) > planned_travel(b) else b


def _covered(track: Track) -> tuple[float, int]:
    """(pixels the box centre x covers, turns included; frames from the first to the last where it is present)."""
    own = track.present(range(len(track.boxes)))
    centres = [(track.box(f)[0] + track.box(f)[2]) / 2 for f in own]
    return float(np.abs(np.diff(centres)).sum()), own[-1] - own[0]


def _speed(track: Track) -> float:
    """Pixels a frame the box centre x covers (`_covered`)."""
    distance, frames = _covered(track)
    return distance / max(frames, 1)


def holds(track: Track, key: str, value: ClaimValue, tracks: list[Track], width: int, height: int) -> bool:
    """Whether one claim is true of `track` over the whole video (module docstring)."""
    plan = track.plan
    rivals = [t for t in tracks if t is not track and t.plan.cls == plan.cls]
    if key == "moves":
        if value == "no":
            return len(set(plan.anchors)) == 1
        return plan.motion == value and _covered(track)[0] >= MOTION_MIN * width
    if key == "speed":
        mine = _speed(track)
        if value == "fast":
            return bool(rivals) and all(mine >= SPEED_RATIO * _speed(t) for t in rivals)
        return bool(rivals) and all(mine * SPEED_RATIO <= _speed(t) for t in rivals)
    if key == "side":
        sign = 1 if value == "left" else -1
        gaps = [
            sign * ((t.box(f)[0] + t.box(f)[2]) - (track.box(f)[0] + track.box(f)[2])) / 2
            for t in rivals
            for f in t.present(track.present(range(len(track.boxes))))
        ]
        return bool(gaps) and min(gaps) >= SIDE_GAP * width
    frames = track.present(range(len(track.boxes)))
    return attribute(track, key, tracks, frames, width, height) == value


def _expressions(plan: VideoPlan, spec: VideoSpec, tracks: list[Track]) -> list[Expression] | None:
    """Two REs per object, each checked to fit its referent alone; None when one does not."""
    expressions: list[Expression] = []
    for track in tracks:
        other = next(t.plan for t in tracks if t is not track)
        claims = _claims(spec, track.plan, other)
        matches = [
            t.object_id
            for t in tracks
            if all(holds(t, key, value, tracks, plan.width, plan.height) for key, value in claims.items())
        ]
        if matches != [track.object_id]:
            return None
        categories = sorted({c for key, value in claims.items() for c in _categories(key, value)})
        for source, text in zip(SOURCES, realise(claims)):
            expressions.append(
                DiagnosticExpression(
                    source=source,
                    object_id=track.object_id,
                    text=text,
                    intended="valid",
                    described_object=track.object_id,
                    matches=matches,
                    frames="all",
                    claims=claims,
                    categories=categories,
                    cue=spec.cue,
                )
            )
    return expressions


def _categories(key: str, value: ClaimValue) -> tuple[str, ...]:
    if key == "moves":
        return ("static",) if value == "no" else ("motion",)
    return CLAIM_CATEGORIES[key]


def realise(claims: Claims) -> tuple[str, str]:
    """The two wordings of a diagnostic RE: (annot1_full_video, terse; annot2_full_video, another wording)."""
    cls = str(claims["category"])
    that = "who" if cls == "person" else "that"
    moves, motion = claims.get("moves"), claims.get("motion")
    if "speed" in claims:
        fast = claims["speed"] == "fast"
        return (
            f"the {cls} {moves} {'fast' if fast else 'slowly'}",
            f"the {cls} {that} moves {'faster' if fast else 'more slowly'}",
        )
    if moves == "no":
        still = "lying still" if cls == "ball" else "standing still"
        return f"the {cls} {that} is not moving", f"the {cls} {still}"
    if moves is not None:
        return f"the {cls} {that} is {moves}", f"the moving {cls}"
    if isinstance(motion, list):
        verb, direction = motion
        return f"the {cls} {verb} to the {direction}", f"the {cls} {that} moves towards the {direction}"
    if "colour" in claims:
        colour = claims["colour"]
        if cls == "person":
            return f"the person in {colour}", f"the person wearing {colour}"
        return f"the {colour} {cls}", f"the {cls} {that} is {colour}"
    if "side" in claims:
        side = claims["side"]
        return f"the {cls} on the {side}", f"the {cls} on the {side} side of the picture"
    depth = claims["depth"]
    if depth == "front":
        return f"the {cls} in front", f"the {cls} in the foreground"
    return f"the {cls} at the back", f"the {cls} in the background"


def _record(plan: VideoPlan, spec: VideoSpec, tracks: list[Track], expressions: list[Expression]) -> dict[str, object]:
    """The video's entry of `demo_scene.json`: the demo's, plus the diagnostic's fields (module docstring)."""
    record = video_record(plan, tracks, expressions)
    record.update(cue=spec.cue, contrast=spec.contrast, movement=spec.movement)
    objects = record["objects"]
    assert isinstance(objects, dict)
    for obj in plan.objects:
        other = next(o for o in plan.objects if o is not obj)
        objects[str(obj.object_id)].update(
            lane="front" if obj.anchors[0][1] > other.anchors[0][1] else "back",
            facing=obj.facing,
            gait=obj.gait,
            travel=round(planned_travel(obj), 2),
        )
    return record
