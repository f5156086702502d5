"""Facts about a referent read from the video, to add a category to an RE (A2Dre+, Section 4.3).

Each fact is a phrase for one category with the measurement it rests on; when the video does
not support a fact, there is none (the builder then asks a person). Conventions (boxes are
inclusive x1, y1, x2, y2 as in refcat.datasets.records; frames 0-based):

- location, horizontal: "on the left" / "in the middle" / "on the right" when the box centre x
  lies in the same third of the frame width in every frame where the object is present;
  otherwise "on the left" / "on the right" when its centre is left (right) of every other
  object of its class in every frame they share.
- location, depth: "in the back" / "in the front" when, against every other object of its
  class, the box bottom y2 is higher (lower) in the image by at least DEPTH_MARGIN x frame
  height and the box is no taller (no shorter), in every frame they share. The ground-plane
  reading: farther objects stand higher in the image and look smaller.
- motion: the box's bottom centre moves by at least MOTION_MIN x frame width between the first
  and the last frame where the object is present -> "moving". A box's speed does not name a gait
  (a judo fighter's box moves as fast as a walker's), so no verb is read from it. A2D's
  actor-action label, when the reader has one, is a person's judgement of the video and names
  the verb directly ("climbing", "eating").
- static: the bottom centre moves by at most STILL_MAX x frame width over the whole track
  (at least two frames) -> "that is not moving".
- appearance: the dominant colour name (`dominant_colour`) of the mask's pixels (eroded by EROSION pixels to leave
  out edges blended with the background; for a person the torso band TORSO of the box height,
  where the clothing colour is) in HSV, when one name holds at least COLOUR_MIN_SHARE of the
  pixels (a majority: small objects in JPEG frames take on the background's hue at their
  borders through chroma subsampling, so a plurality is not enough). A frame where fewer than
  COLOUR_MIN_PIXELS such pixels remain gives none (the whole small mask would read the
  background); no pixel in any frame, no fact. People get "in <colour>", other objects the
  adjective "<colour>". A person is an object of a person class (PERSON_CLASSES: the class names
  the dataset readers give, A2D's adult and baby, DAVIS's and Ref-YouTube-VOS's person).

For the identifiability check of a "without" (refcat.categorize.augment), `VideoGrounding.known`
gives an object's `ObjectFacts`: its facts, and the attributes (`attributes`: horizontal place,
depth, movement, colour) of it and of every other object of its class. A cue category left in a
"without" tells the referent from another object when an attribute it speaks of is known for both
and differs (`tells_apart`).
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import numpy as np

from refcat.datasets.records import Box

MOTION_MIN = 0.1
STILL_MAX = 0.02
DEPTH_MARGIN = 0.03
PERSON_CLASSES = frozenset({"person", "adult", "baby"})
TORSO = (0.2, 0.55)
EROSION = 2
COLOUR_MIN_SHARE = 0.5
COLOUR_MIN_PIXELS = 50
COLOUR_NAMES = (
    "black",
    "white",
    "grey",
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "cream",
)
A2D_MOTION_ACTIONS = frozenset("climbing crawling flying jumping rolling running walking".split())
A2D_STATIC_ACTIONS = frozenset({"eating"})


@dataclass(frozen=True)
class Fact:
    """A phrase for `category` (appearance, location, motion, static), its value and what it rests on."""

    category: str
    value: str
    phrase: str
    basis: str
    prenominal: bool = False


@dataclass
class Track:
    """One object of a video: its class and its box in each frame where it is present."""

    object_id: int
    cls: str | None
    boxes: dict[int, Box] = field(default_factory=dict)
    action: str | None = None  # A2D actor-action label ("walking", "none"), when known


@dataclass
class SceneTracks:
    """One video: its frame width and height in pixels and its objects' tracks (object id -> Track)."""

    width: int
    height: int
    tracks: dict[int, Track]

    def rivals(self, track: Track) -> list[Track]:
        return [
            t for t in self.tracks.values() if t is not track and t.cls is not None and t.cls == track.cls and t.boxes
        ]


def is_person(cls: str | None) -> bool:
    return cls is not None and cls in PERSON_CLASSES


def _centre_x(box: Box) -> float:
    return (box[0] + box[2]) / 2


def _height(box: Box) -> int:
    return box[3] - box[1] + 1


def horizontal_fact(track: Track, scene: SceneTracks) -> Fact | None:
    frames = sorted(track.boxes)
    if not frames:
        return None
    thirds = {min(int(3 * _centre_x(track.boxes[f]) / scene.width), 2) for f in frames}
    if len(thirds) == 1:
        value = ("left", "middle", "right")[thirds.pop()]
        phrase = "in the middle" if value == "middle" else f"on the {value}"
        return Fact("location", value, phrase, f"box centre in the {value} third of the frame in {len(frames)} frames")
    rivals = scene.rivals(track)
    shared = [(f, r) for r in rivals for f in frames if f in r.boxes]
    if not rivals or not shared or any(not any(f in r.boxes for f in frames) for r in rivals):
        return None
    for value, sign in (("left", -1), ("right", 1)):
        if all(sign * (_centre_x(track.boxes[f]) - _centre_x(r.boxes[f])) > 0 for f, r in shared):
            return Fact(
                "location",
                value,
                f"on the {value}",
                f"box centre {value} of the other {len(rivals)} {track.cls} in {len(shared)} shared frames",
            )
    return None


def depth_fact(track: Track, scene: SceneTracks) -> Fact | None:
    frames = sorted(track.boxes)
    rivals = scene.rivals(track)
    if not rivals or any(not any(f in r.boxes for f in frames) for r in rivals):
        return None
    shared = [(track.boxes[f], r.boxes[f]) for r in rivals for f in frames if f in r.boxes]
    margin = DEPTH_MARGIN * scene.height
    if all(b[3] + margin <= o[3] and _height(b) <= _height(o) for b, o in shared):
        return Fact(
            "location",
            "back",
            "in the back",
            f"box bottom higher and box smaller than the other {track.cls} in {len(shared)} shared frames",
        )
    if all(b[3] - margin >= o[3] and _height(b) >= _height(o) for b, o in shared):
        return Fact(
            "location",
            "front",
            "in the front",
            f"box bottom lower and box larger than the other {track.cls} in {len(shared)} shared frames",
        )
    return None


def displacement(track: Track) -> tuple[float, int] | None:
    """(distance in pixels the box's bottom centre moved from its first to its last frame, frames between)."""
    frames = sorted(track.boxes)
    if len(frames) < 2:
        return None
    a, b = track.boxes[frames[0]], track.boxes[frames[-1]]
    return float(np.hypot(_centre_x(b) - _centre_x(a), b[3] - a[3])), frames[-1] - frames[0]


def motion_fact(track: Track, scene: SceneTracks) -> Fact | None:
    if track.action in A2D_MOTION_ACTIONS:
        return Fact("motion", track.action, track.action, "A2D actor-action label")
    moved = displacement(track)
    if moved is None or moved[0] < MOTION_MIN * scene.width:
        return None
    distance, n_frames = moved
    return Fact("motion", "moving", "moving", f"bottom centre moved {distance:.0f} px over {n_frames} frames")


def static_fact(track: Track, scene: SceneTracks) -> Fact | None:
    if track.action in A2D_STATIC_ACTIONS:
        return Fact("static", track.action, track.action, "A2D actor-action label")
    moved = displacement(track)
    if moved is None or moved[0] > STILL_MAX * scene.width:
        return None
    basis = f"bottom centre moved {moved[0]:.0f} px over {moved[1]} frames"
    return Fact("static", "still", "that is not moving", basis)


# ---------------------------------------------------------------- colour


def colour_names_hsv(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Index into COLOUR_NAMES for each pixel; h in degrees [0, 360), s and v in [0, 1].

    Achromatic first (black: v <= 0.24; white / grey: s < 0.15, split at v = 0.66), then
    brown (hue 10-45, v < 0.6) and cream (hue 25-65, s < 0.38, v >= 0.65) before the hue wheel:
    red < 12 or >= 345, orange < 40, yellow < 70, green < 170, blue < 260, purple < 320, pink.
    """
    out = np.full(h.shape, COLOUR_NAMES.index("pink"), np.int8)
    wheel = [(12, "red"), (40, "orange"), (70, "yellow"), (170, "green"), (260, "blue"), (320, "purple"), (345, "pink")]
    for upper, name in reversed(wheel):
        out[h < upper] = COLOUR_NAMES.index(name)
    out[h >= 345] = COLOUR_NAMES.index("red")
    out[(h >= 25) & (h < 65) & (s < 0.38) & (v >= 0.65)] = COLOUR_NAMES.index("cream")
    out[(h >= 10) & (h < 45) & (v < 0.6)] = COLOUR_NAMES.index("brown")
    achromatic = s < 0.15
    out[achromatic & (v >= 0.66)] = COLOUR_NAMES.index("white")
    out[achromatic & (v < 0.66)] = COLOUR_NAMES.index("grey")
    out[v <= 0.24] = COLOUR_NAMES.index("black")
    return out


def rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 (..., 3) RGB -> hue in degrees, saturation and value in [0, 1] (the hexcone model of
    `colorsys.rgb_to_hsv`, vectorised)."""
    x = rgb.astype(np.float64) / 255
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    mx, mn = x.max(-1), x.min(-1)
    delta = mx - mn
    safe = np.where(delta == 0, 1, delta)
    h = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) * 60
    h = np.where(delta == 0, 0, h)
    s = np.where(mx == 0, 0, delta / np.where(mx == 0, 1, mx))
    return h, s, mx


def colour_name(rgb: tuple[int, int, int]) -> str:
    """The colour name of one RGB colour (uses `colorsys`, so it cross-checks `rgb_to_hsv`)."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return COLOUR_NAMES[int(colour_names_hsv(np.array([h * 360]), np.array([s]), np.array([v]))[0])]


def _erode(mask: np.ndarray, steps: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(steps):
        inner = out.copy()
        inner[1:] &= out[:-1]
        inner[:-1] &= out[1:]
        inner[:, 1:] &= out[:, :-1]
        inner[:, :-1] &= out[:, 1:]
        out = inner
    return out


def colour_pixels(mask: np.ndarray, cls: str | None) -> np.ndarray:
    """The mask pixels whose colour counts: eroded, and the torso band of the mask's rows for a person;
    none when fewer than COLOUR_MIN_PIXELS remain (too small to read its colour apart from the background)."""
    mask = _erode(mask.astype(bool), EROSION)
    if is_person(cls) and mask.any():
        rows = np.flatnonzero(mask.any(1))
        top, bottom = rows[0], rows[-1]
        a, b = (int(top + f * (bottom - top + 1)) for f in TORSO)
        band = np.zeros_like(mask)
        band[a:b] = True
        mask = mask & band
    if mask.sum() < COLOUR_MIN_PIXELS:
        return np.zeros_like(mask)
    return mask


def pixel_colours(image: np.ndarray, mask: np.ndarray, cls: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(COLOUR_NAMES index, HSV value) of each counted pixel of `mask` (see `colour_pixels`)."""
    h, s, v = rgb_to_hsv(image[colour_pixels(mask, cls)])
    return colour_names_hsv(h, s, v), v


def dominant_colour(names: np.ndarray, values: np.ndarray) -> tuple[str, float] | None:
    """(colour name, share of the pixels) of the most frequent colour, or None without pixels.

    Black, white and grey are one family: shading darkens a white surface into greys, so when
    the family wins, its lightness is read from its 90th-percentile value (the lit side; the
    "white patch" assumption): white from 0.66, black up to 0.24, grey between.
    """
    if names.size == 0:
        return None
    counts = np.bincount(names, minlength=len(COLOUR_NAMES)).astype(float)
    achromatic = [COLOUR_NAMES.index(n) for n in ("black", "white", "grey")]
    family = counts[achromatic].sum()
    best = int(np.argmax(counts))
    if family >= counts.max():
        lit = float(np.percentile(values[np.isin(names, achromatic)], 90))
        name = "white" if lit >= 0.66 else "black" if lit <= 0.24 else "grey"
        return name, family / names.size
    return COLOUR_NAMES[best], counts[best] / names.size


def colour_fact(names: np.ndarray, values: np.ndarray, cls: str | None) -> Fact | None:
    found = dominant_colour(names, values)
    if found is None or found[1] < COLOUR_MIN_SHARE:
        return None
    name, share = found
    basis = f"{name}: {share:.0%} of {names.size} mask pixels" + (" (torso band)" if is_person(cls) else "")
    if is_person(cls):
        return Fact("appearance", name, f"in {name}", basis)
    return Fact("appearance", name, name, basis, prenominal=True)


# ---------------------------------------------------------------- telling objects apart

# The attributes each cue category speaks of (obj-motion and obj-static: none the video measures).
CUE_ATTRIBUTES = {
    "appearance": ("colour",),
    "location": ("horizontal", "depth"),
    "motion": ("movement",),
    "static": ("movement",),
}


@dataclass(frozen=True)
class ObjectFacts:
    """What a video tells of one object: its facts (category -> Fact, to add a category), its
    attributes and those of each other object of its class (object id -> attributes; see `attributes`)."""

    facts: dict[str, Fact]
    attributes: dict[str, str]
    rivals: dict[int, dict[str, str]]


def attributes(facts: dict[str, Fact], horizontal: Fact | None, depth: Fact | None) -> dict[str, str]:
    """Attribute -> value: horizontal place (left / middle / right), depth (back / front), movement
    (moving / still), colour; an attribute the video does not support is absent."""
    out = {}
    if horizontal is not None:
        out["horizontal"] = horizontal.value
    if depth is not None:
        out["depth"] = depth.value
    if "motion" in facts:
        out["movement"] = "moving"
    elif "static" in facts:
        out["movement"] = "still"
    if "appearance" in facts:
        out["colour"] = facts["appearance"].value
    return out


def tells_apart(cues: list[str], mine: dict[str, str], theirs: dict[str, str]) -> bool:
    """Whether one of the cue categories `cues` speaks of an attribute known for both objects with
    different values (`CUE_ATTRIBUTES`)."""
    return any(a in mine and a in theirs and mine[a] != theirs[a] for c in cues for a in CUE_ATTRIBUTES.get(c, ()))


# ---------------------------------------------------------------- from a dataset reader


class VideoGrounding:
    """The facts of the objects of one video, read through a dataset reader (refcat.datasets.records).

    Colour is counted over up to `colour_frames` annotated frames spread over the video.
    """

    def __init__(self, reader, video, colour_frames: int = 3) -> None:
        self.reader = reader
        self.video = video
        actions = reader.actions(video.video_id) if hasattr(reader, "actions") else {}
        objects = reader.objects(video.video_id)
        self.scene = SceneTracks(
            video.width,
            video.height,
            {o.object_id: Track(o.object_id, o.category, dict(o.boxes), actions.get(o.object_id)) for o in objects},
        )
        self.colour_frames = colour_frames
        self._pixels: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

    def _colour_pixels(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        if self._pixels is None:
            frames = self.reader.annotated_frames(self.video.video_id)
            if len(frames) > self.colour_frames:
                picks = np.linspace(0, len(frames) - 1, self.colour_frames).round().astype(int)
                frames = [frames[i] for i in picks]
            found: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
            for index in frames:
                image = self.reader.frame(self.video.video_id, index)
                for object_id, mask in self.reader.object_masks(self.video.video_id, index).masks.items():
                    if mask.shape != image.shape[:2]:
                        continue
                    track = self.scene.tracks.get(object_id)
                    found.setdefault(object_id, []).append(pixel_colours(image, mask, track.cls if track else None))
            self._pixels = {
                k: (np.concatenate([n for n, _ in v]), np.concatenate([x for _, x in v])) for k, v in found.items()
            }
        return self._pixels

    def known(self, object_id: int) -> ObjectFacts:
        """The object's facts and attributes, and the attributes of the other objects of its class."""
        track = self.scene.tracks.get(object_id)
        rivals = self.scene.rivals(track) if track is not None else []
        return ObjectFacts(
            self.facts(object_id),
            self.attributes(object_id),
            {r.object_id: self.attributes(r.object_id) for r in rivals},
        )

    def attributes(self, object_id: int) -> dict[str, str]:
        track = self.scene.tracks.get(object_id)
        if track is None or not track.boxes:
            return {}
        return attributes(self.facts(object_id), horizontal_fact(track, self.scene), depth_fact(track, self.scene))

    def facts(self, object_id: int) -> dict[str, Fact]:
        """Category -> the fact the video supports for it (location: horizontal first, then depth)."""
        track = self.scene.tracks.get(object_id)
        if track is None or not track.boxes:
            return {}
        out = {}
        location = horizontal_fact(track, self.scene) or depth_fact(track, self.scene)
        for fact in (location, motion_fact(track, self.scene), static_fact(track, self.scene)):
            if fact is not None:
                out[fact.category] = fact
        pixels = self._colour_pixels().get(object_id)
        if pixels is not None:
            fact = colour_fact(*pixels, track.cls)
            if fact is not None:
                out["appearance"] = fact
        return out
