"""The demo dataset: a deterministic synthetic DAVIS-2017 set with referring expressions.

`write_demo_dataset(out_dir)` draws 12 short videos (854x480, 30-50 frames) of people,
dogs, cats, cars, balls and birds on a park or street background and writes them in the
DAVIS-2017 layout of FORMATS.md, so that `DavisReader(root, dataset="demo")` reads them:

    JPEGImages/480p/<seq>/%05d.jpg          frames (JPEG, quality 90)
    Annotations/480p/<seq>/%05d.png         palette PNGs, value = object id (1..N), 0 background
    ImageSets/2017/train.txt, val.txt       8 train / 4 val sequences by default (see val_round)
    davis_semantics.json                    {"<seq>": {"1": "person", ...}}
    davis_text_annotations/Davis17_annot1.txt, Davis17_annot1_full_video.txt   (UTF-8)
    davis_text_annotations/Davis17_annot2.txt, Davis17_annot2_full_video.txt   (Latin-1)
    demo_scene.json                         the scene ground truth (below)
    .complete                               written last: the folder is whole

Conventions:
- Objects are drawn back to front by the y of their foot point (flying birds last), so
  masks are exclusive and a nearer object hides a farther one; an object can be hidden in
  some frames. Every object shows at least half of itself in frame 0 (plans whose frame 0
  hides more are redrawn from the same random stream, so this stays deterministic).
- Videos marked `void_ring` (parking-lot and pet-show in the default set) carry a 2-pixel
  ring of void (255) around the objects in every frame, outside the objects' own pixels,
  like the uncertain borders DAVIS marks as void. Object pixels are never void.
- Each annotator writes one RE per object and file; annotator 1 is terse (the shortest
  true description that picks the object out), annotator 2 redundant (colour, pose or
  motion and location when they hold; "crème" for cream, hence Latin-1). First-frame files
  use what frame 0 shows (no motion verbs); full-video files may use motion.
  A few REs are ambiguous ("no-re") or describe another object ("wrong-object") on purpose.

`demo_scene.json` schema (boxes x1, y1, x2, y2 inclusive, measured on the written masks;
frames 0-based):

    {"version": 1, "seed": int, "width": int, "height": int,
     "thresholds": {"size_ratio", "depth_margin", "next_to_gap", "motion_min"},
     "videos": {"<seq>": {
        "split": "train" | "val", "n_frames": int, "ground": "park" | "street", "void_ring": bool,
        "objects": {"<id>": {
            "class": str, "colour": str (a COLOURS name), "rgb": [r, g, b],
            "size": "small" | "medium" | "big" (drawing scale for its class),
            "motion": "static" | "walking" | "running" | "driving" | "rolling" | "flying",
            "pose": "standing" | "sitting" | "parked" | "lying" | null (static objects only),
            "direction": "left" | "right" | null,
            "boxes": [[x1, y1, x2, y2] or null per frame], "areas": [visible mask pixels per frame],
            "anchors": [[x, y] foot point per frame]}},
        "expressions": [{
            "source": "annot1" | "annot1_full_video" | "annot2" | "annot2_full_video",
            "object_id": int, "text": str,
            "intended": "valid" | "no-re" | "wrong-object" (checked: valid = the claims fit the object
                        alone, no-re = it and others, wrong-object = not it),
            "described_object": int (the object the claims were taken from),
            "matches": [ids of every object the claims are true of],
            "frames": "first" | "all",
            "claims": {"category": cls, "colour"?: str, "size"?: "big"|"small",
                       "hpos"?: "left"|"middle"|"right", "depth"?: "back"|"front",
                       "next_to"?: id, "static"?: pose, "motion"?: [verb, direction]},
            "categories": taxonomy names the RE uses (appearance, location, motion, static, category)}]}}}

The claim semantics are in `refcat.demo.scene`.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from refcat.demo import scene
from refcat.errors import FormatError, MissingDataError, UsageError

log = logging.getLogger(__name__)

DEMO_SCENE_FILE = "demo_scene.json"
COMPLETE_MARKER = ".complete"
SCENE_VERSION = 1
# What the writer creates (and removes first when it rewrites a demo folder); nothing else is touched.
WRITTEN = (
    COMPLETE_MARKER,
    "JPEGImages",
    "Annotations",
    "ImageSets",
    "davis_semantics.json",
    "davis_text_annotations",
    DEMO_SCENE_FILE,
)
ANNOTATION_FILES = {
    "annot1": ("Davis17_annot1.txt", "utf-8"),
    "annot1_full_video": ("Davis17_annot1_full_video.txt", "utf-8"),
    "annot2": ("Davis17_annot2.txt", "latin-1"),
    "annot2_full_video": ("Davis17_annot2_full_video.txt", "latin-1"),
}


def davis_palette() -> list[int]:
    """The PASCAL VOC / DAVIS colour map: index i gets the bit-interleaved colour of i; 255 stays (224, 224, 192)."""
    palette = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    palette[255 * 3 :] = [224, 224, 192]
    return palette


# ---------------------------------------------------------------- signed distances and shading


class _Sprite:
    """A small RGBA canvas around an object's foot point (0, 0); y grows downwards, units are pixels."""

    def __init__(self, left: float, right: float, top: float, h: float) -> None:
        x0, x1, y0 = int(np.floor(left * h)) - 2, int(np.ceil(right * h)) + 2, int(np.floor(top * h)) - 2
        self.origin = (x0, y0)
        self.h = h
        ys, xs = np.mgrid[y0:3, x0 : x1 + 1].astype(np.float32)
        self.X, self.Y = xs + 0.5, ys + 0.5
        self.rgb = np.zeros(self.X.shape + (3,), np.float32)
        self.alpha = np.zeros(self.X.shape, np.float32)

    def p(self, x: float, y: float) -> tuple[float, float]:
        return x * self.h, y * self.h

    def circle(self, cx, cy, r):
        cx, cy = self.p(cx, cy)
        return np.hypot(self.X - cx, self.Y - cy) - r * self.h

    def ellipse(self, cx, cy, rx, ry, angle=0.0):
        cx, cy = self.p(cx, cy)
        u, v = self._rotate(self.X - cx, self.Y - cy, angle)
        rx, ry = rx * self.h, ry * self.h
        return (np.hypot(u / rx, v / ry) - 1) * min(rx, ry)

    def capsule(self, ax, ay, bx, by, r):
        ax, ay = self.p(ax, ay)
        bx, by = self.p(bx, by)
        dx, dy = bx - ax, by - ay
        t = np.clip(((self.X - ax) * dx + (self.Y - ay) * dy) / max(dx * dx + dy * dy, 1e-6), 0, 1)
        return np.hypot(self.X - ax - t * dx, self.Y - ay - t * dy) - r * self.h

    def box(self, cx, cy, hw, hh, r):
        cx, cy = self.p(cx, cy)
        hw, hh, r = hw * self.h, hh * self.h, r * self.h
        qx, qy = np.abs(self.X - cx) - hw + r, np.abs(self.Y - cy) - hh + r
        return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) - r

    def polygon(self, points):
        """Convex polygon, points in either order."""
        pts = [self.p(x, y) for x, y in points]
        if sum(ax * by - bx * ay for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1])) < 0:
            pts.reverse()
        d = None
        for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1]):
            nx, ny = by - ay, ax - bx
            norm = np.hypot(nx, ny)
            side = ((self.X - ax) * nx + (self.Y - ay) * ny) / norm
            d = side if d is None else np.maximum(d, side)
        return d

    @staticmethod
    def _rotate(u, v, angle):
        c, s = np.cos(angle), np.sin(angle)
        return c * u + s * v, -s * u + c * v

    def sphere(self, cx, cy, rx, ry=None, gloss=0.0):
        """Lambert shading of a bulging ellipse lit from the upper left, plus a highlight."""
        cx, cy = self.p(cx, cy)
        ry = rx if ry is None else ry
        nx = np.clip((self.X - cx) / (rx * self.h), -1, 1)
        ny = np.clip((self.Y - cy) / (ry * self.h), -1, 1)
        nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0, 1))
        light = np.array([-0.45, -0.6, 0.66])
        lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0, 1)
        shade = 0.5 + 0.62 * lam
        if gloss:
            shade = shade + gloss * np.clip(lam - 0.86, 0, 1) * 6
        return shade

    def vertical(self, top, bottom):
        top, bottom = top * self.h, bottom * self.h
        t = np.clip((self.Y - top) / max(bottom - top, 1e-6), 0, 1)
        return 1.15 - 0.35 * t

    def paint(self, sdf, colour, shade=1.0, edge=True):
        cover = np.clip(0.5 - sdf, 0, 1)
        colour = np.asarray(colour, np.float32) / 255
        if edge:
            shade = shade * (1 - 0.28 * np.clip((sdf + 2.5) / 2.5, 0, 1))
        layer = colour * np.asarray(shade, np.float32)[..., None] if np.ndim(shade) else colour * shade
        self.rgb += (np.clip(layer, 0, 1) - self.rgb) * cover[..., None]
        self.alpha += (1 - self.alpha) * cover


def _tone(rgb, factor):
    return tuple(min(255, c * factor) for c in rgb)


SKIN, DENIM, HAIR = (232, 188, 150), (58, 70, 104), (70, 44, 28)


def _person(s: _Sprite, colour, phase, moving, running):
    swing = (0.2 if running else 0.13) * np.sin(2 * np.pi * phase) if moving else 0.0
    lift = 0.05 * max(0.0, np.cos(2 * np.pi * phase)) if running else 0.0
    hip = -0.48
    arm_colour = _tone(colour, 0.85)
    s.paint(s.capsule(0.0, -0.76, -swing * 0.9, -0.5, 0.042), _tone(arm_colour, 0.8))  # far arm
    s.paint(s.capsule(0.0, hip, -swing, -0.035 - lift, 0.058), _tone(DENIM, 0.75))  # far leg
    s.paint(s.ellipse(-swing + 0.03, -0.025 - lift, 0.065, 0.03), (40, 30, 26))
    s.paint(s.box(0.0, -0.63, 0.12, 0.17, 0.06), colour, s.vertical(-0.8, -0.46))
    s.paint(s.capsule(0.0, hip, swing, -0.035, 0.06), DENIM, s.vertical(-0.5, 0.0))  # near leg
    s.paint(s.ellipse(swing + 0.03, -0.025, 0.068, 0.032), (46, 34, 28))
    s.paint(s.capsule(0.0, -0.76, swing * 0.9, -0.5, 0.045), arm_colour, s.vertical(-0.8, -0.5))  # near arm
    s.paint(s.circle(swing * 0.9, -0.5, 0.04), SKIN)
    s.paint(s.circle(0.02, -0.885, 0.1), SKIN, s.sphere(0.02, -0.885, 0.1))
    s.paint(np.maximum(s.circle(0.005, -0.9, 0.102), s.Y - (-0.905 * s.h)), HAIR, s.sphere(0.0, -0.93, 0.1))


def _quadruped(s: _Sprite, colour, phase, moving, running, cat: bool, sitting: bool):
    dark = _tone(colour, 0.72)
    swing = (0.16 if running else 0.09) * np.sin(2 * np.pi * phase) if moving else 0.0
    leg_r = 0.045 if cat else 0.055
    if sitting:
        s.paint(s.capsule(-0.25, -0.12, -0.55, -0.05 if cat else -0.3, 0.04), dark)  # tail
        s.paint(s.capsule(0.16, -0.5, 0.2, -0.03, leg_r), dark)
        s.paint(s.ellipse(-0.02, -0.44, 0.2, 0.36, 0.3), colour, s.sphere(-0.02, -0.46, 0.2, 0.36))
        s.paint(s.ellipse(-0.12, -0.17, 0.24, 0.17, -0.25), colour, s.sphere(-0.12, -0.22, 0.26, 0.2))
        s.paint(s.ellipse(0.06, -0.03, 0.1, 0.035), _tone(colour, 0.9))  # hind paw
        s.paint(s.capsule(0.24, -0.5, 0.27, -0.03, leg_r), colour, s.vertical(-0.5, 0.0))
        head = (0.2, -0.86)
    else:
        tail_end = (-0.62, -0.95) if cat else (-0.66, -0.78 + 0.06 * np.sin(4 * np.pi * phase))
        s.paint(s.capsule(-0.42, -0.6, *tail_end, 0.035 if cat else 0.045), dark)
        for x, sign in ((-0.34, -1), (0.26, 1)):  # far legs
            s.paint(s.capsule(x, -0.5, x - sign * swing, -0.03, leg_r), dark)
        s.paint(s.ellipse(-0.05, -0.56, 0.45, 0.19), colour, s.sphere(-0.05, -0.58, 0.45, 0.21))
        for x, sign in ((-0.26, 1), (0.34, -1)):  # near legs
            s.paint(s.capsule(x, -0.5, x - sign * swing, -0.03, leg_r), colour, s.vertical(-0.6, 0.0))
        s.paint(s.capsule(0.3, -0.62, 0.42, -0.8, 0.12), colour)  # neck
        head = (0.47, -0.86)
    hx, hy = head
    r = 0.15 if cat else 0.16
    if cat:
        for dx in (-0.09, 0.07):
            s.paint(
                s.polygon([(hx + dx - 0.06, hy - 0.08), (hx + dx + 0.0, hy - 0.25), (hx + dx + 0.06, hy - 0.08)]), dark
            )
    s.paint(s.circle(hx, hy, r), colour, s.sphere(hx, hy, r))
    if cat:
        s.paint(s.circle(hx + 0.13, hy + 0.02, 0.025), (210, 120, 130))
    else:
        s.paint(s.ellipse(hx + 0.15, hy + 0.05, 0.11, 0.07), colour, s.sphere(hx + 0.15, hy + 0.05, 0.11, 0.07))
        s.paint(s.circle(hx + 0.25, hy + 0.02, 0.035), (25, 20, 20))
        s.paint(s.ellipse(hx - 0.05, hy + 0.02, 0.05, 0.13, -0.3), dark)  # floppy ear
    s.paint(s.circle(hx + 0.06, hy - 0.04, 0.025), (20, 20, 20), edge=False)


def _car(s: _Sprite, colour, phase):
    glass = (150, 188, 214)
    s.paint(s.polygon([(-0.7, -0.56), (-0.46, -0.98), (0.3, -0.98), (0.62, -0.56)]), colour, s.vertical(-1.0, -0.5))
    s.paint(s.polygon([(-0.6, -0.58), (-0.41, -0.91), (-0.1, -0.91), (-0.1, -0.58)]), glass, s.vertical(-0.95, -0.5))
    s.paint(s.polygon([(-0.02, -0.58), (-0.02, -0.91), (0.26, -0.91), (0.52, -0.58)]), glass, s.vertical(-0.95, -0.5))
    s.paint(s.box(0.0, -0.39, 1.2, 0.2, 0.09), colour, s.vertical(-0.6, -0.16))
    s.paint(s.box(0.0, -0.22, 1.18, 0.035, 0.03), _tone(colour, 0.6))
    s.paint(s.ellipse(1.13, -0.45, 0.05, 0.04), (252, 240, 190))
    s.paint(s.ellipse(-1.16, -0.45, 0.04, 0.04), (200, 20, 20))
    for wx in (-0.72, 0.72):
        s.paint(s.circle(wx, -0.19, 0.19), (28, 28, 30), s.sphere(wx, -0.19, 0.19))
        s.paint(s.circle(wx, -0.19, 0.09), (176, 176, 180), s.sphere(wx, -0.19, 0.09))
        a = -2 * np.pi * phase
        dx, dy = 0.085 * np.cos(a), 0.085 * np.sin(a)
        s.paint(s.capsule(wx - dx, -0.19 - dy, wx + dx, -0.19 + dy, 0.018), (90, 90, 96), edge=False)


def _ball(s: _Sprite, colour, phase):
    stripe = (245, 245, 245) if colour != scene.COLOURS["white"] else (40, 40, 160)
    shade = s.sphere(0.0, -0.5, 0.5, gloss=0.5)
    s.paint(s.circle(0.0, -0.5, 0.5), colour, shade)
    a = -2 * np.pi * phase
    u, _ = s._rotate(s.X - 0.0, s.Y + 0.5 * s.h, a)
    band = np.maximum(np.abs(u) - 0.09 * s.h, s.circle(0.0, -0.5, 0.47))
    s.paint(band, stripe, shade, edge=False)


def _bird(s: _Sprite, colour, phase, flying):
    dark = _tone(colour, 0.7)
    if not flying:
        for x in (-0.05, 0.08):
            s.paint(s.capsule(x, -0.3, x + 0.02, -0.02, 0.025), (200, 140, 40))
    s.paint(s.polygon([(-0.3, -0.5), (-0.8, -0.64), (-0.78, -0.42)]), dark)  # tail
    s.paint(s.ellipse(0.0, -0.52, 0.42, 0.23, 0.15), colour, s.sphere(0.0, -0.54, 0.42, 0.25))
    s.paint(s.circle(0.38, -0.74, 0.17), colour, s.sphere(0.38, -0.74, 0.17))
    s.paint(s.polygon([(0.5, -0.8), (0.72, -0.72), (0.5, -0.66)]), (240, 170, 30))
    s.paint(s.circle(0.43, -0.78, 0.03), (15, 15, 15), edge=False)
    lift = np.sin(2 * np.pi * phase) if flying else -0.2
    tip_y = -0.55 - 0.55 * lift
    s.paint(
        s.polygon(
            [(-0.22, -0.56), (0.18, -0.6), (-0.3, tip_y)] if lift > 0 else [(-0.22, -0.56), (-0.3, tip_y), (0.18, -0.6)]
        ),
        dark,
        s.vertical(-1.1, 0.0),
    )


HALF_TURN_SYMMETRIC = ("car", "ball")  # wheel spokes and the ball's band look the same after half a turn
EXTENT = {  # sprite extent (left, right, top) in units of the object height, facing right
    "person": (-0.35, 0.35, -1.02),
    "dog": (-0.8, 0.75, -1.1),
    "cat": (-0.75, 0.7, -1.15),
    "car": (-1.25, 1.25, -1.0),
    "ball": (-0.52, 0.52, -1.02),
    "bird": (-0.85, 0.8, -1.25),
}


def draw_sprite(cls: str, height: float, rgb, phase: float, motion: str, facing_left: bool):
    """(rgb float (h, w, 3), alpha float (h, w), origin (x, y) of the top-left pixel relative to the foot)."""
    s = _Sprite(*EXTENT[cls], height)
    moving = motion != "static"
    if cls == "person":
        _person(s, rgb, phase, moving, motion == "running")
    elif cls in ("dog", "cat"):
        _quadruped(s, rgb, phase, moving, motion == "running", cls == "cat", not moving)
    elif cls == "car":
        _car(s, rgb, phase)
    elif cls == "ball":
        _ball(s, rgb, phase)
    else:
        _bird(s, rgb, phase, motion == "flying")
    rgb_out, alpha, (x0, y0) = s.rgb, s.alpha, s.origin
    if facing_left:
        rgb_out, alpha = rgb_out[:, ::-1], alpha[:, ::-1]
        x0 = -(x0 + alpha.shape[1] - 1)
    return rgb_out, alpha, (x0, y0)


# ---------------------------------------------------------------- background


def _noise(rng, shape, cells) -> np.ndarray:
    """Smooth value noise in [0, 1]: a random grid of `cells` (rows, cols) upsampled bicubically."""
    grid = rng.random(cells).astype(np.float32)
    return np.asarray(Image.fromarray(grid, mode="F").resize((shape[1], shape[0]), Image.BICUBIC))


def draw_background(rng, width: int, height: int, ground: str) -> np.ndarray:
    """Sky gradient with clouds, distant hills, and textured grass (plus a road for "street")."""
    horizon = int(scene.HORIZON * height)
    y = np.arange(height, dtype=np.float32)[:, None, None]
    t = np.clip(y / horizon, 0, 1)
    image = (np.array([66, 118, 198]) * (1 - t) + np.array([196, 218, 236]) * t).astype(np.float32) / 255
    image = np.broadcast_to(image, (height, width, 3)).copy()
    sky = (horizon, width)
    clouds = _noise(rng, sky, (4, 5)) * 0.55 + _noise(rng, sky, (8, 14)) * 0.3 + _noise(rng, sky, (20, 40)) * 0.15
    fade = np.clip(1.3 - y[:horizon, :, 0] / horizon, 0, 1)
    cover = np.clip((clouds - 0.5) * 3.5, 0, 1) * fade
    image[:horizon] += (np.float32(0.98) - image[:horizon]) * (cover[..., None] * 0.8)
    x = np.arange(width, dtype=np.float32)
    ridge = horizon - height * (
        0.05 + 0.03 * np.sin(x / width * 5.1 + rng.uniform(0, 6)) + 0.02 * np.sin(x / width * 13.7 + rng.uniform(0, 6))
    )
    hills = (y[..., 0] >= ridge[None, :]) & (y[..., 0] < horizon)
    hill_shade = 0.85 + 0.25 * _noise(rng, (height, width), (12, 40))
    image[hills] = np.array([104, 140, 118], np.float32) / 255 * hill_shade[hills][:, None]
    depth = np.clip((y[..., 0] - horizon) / (height - horizon), 0, 1)
    texture = (
        0.5 * _noise(rng, (height, width), (40, 160))
        + 0.3 * _noise(rng, (height, width), (120, 400))
        + 0.2 * _noise(rng, (height, width), (8, 20))
    )
    grass = (
        np.array([92, 150, 64], np.float32) / 255 * (1 - 0.25 * depth[..., None]) * (0.78 + 0.42 * texture[..., None])
    )
    below = y[..., 0] >= horizon
    image[below[:, 0]] = grass[below[:, 0]]
    if ground == "street":
        top, bottom = int(height * 0.63), int(height * 0.84)
        asphalt = np.array([88, 88, 94], np.float32) / 255 * (0.85 + 0.3 * texture[top:bottom, :, None])
        image[top:bottom] = asphalt
        image[top - 4 : top] = image[bottom : bottom + 4] = np.float32(0.72)
        mid = (top + bottom) // 2
        dashes = (np.arange(width) // 40) % 2 == 0
        image[mid - 2 : mid + 2, dashes] = np.float32(0.92)
    return np.clip(image, 0, 1)


# ---------------------------------------------------------------- rendering and writing


class _Renderer:
    """Draws one video frame by frame, caching sprites by (object, animation step)."""

    PHASE_STEPS = 8

    def __init__(self, plan: scene.VideoPlan, rng) -> None:
        """`rng` draws the background texture; None gives a flat background (for layout checks)."""
        self.plan = plan
        if rng is None:
            self.background = np.zeros((plan.height, plan.width, 3), np.uint8)
        else:
            self.background = (draw_background(rng, plan.width, plan.height, plan.ground) * 255 + 0.5).astype(np.uint8)
        self._cache: dict[tuple[int, int], tuple] = {}

    def full_area(self, obj: scene.ObjectPlan, frame: int) -> int:
        """Pixels the object would cover in the frame if nothing hid it."""
        _, alpha, (ox, oy) = self.sprite(obj, frame)
        fx, fy = (int(round(v)) for v in obj.anchors[frame])
        window = _clip_window(fx + ox, fy + oy, alpha.shape, (self.plan.height, self.plan.width))
        return 0 if window is None else int((alpha[window[1]] >= 0.5).sum())

    def sprite(self, obj: scene.ObjectPlan, frame: int):
        phase = obj.phases[frame]
        if obj.cls in HALF_TURN_SYMMETRIC:
            phase %= 0.5
        step = int(round(phase * self.PHASE_STEPS)) % self.PHASE_STEPS
        key = (obj.object_id, step)
        if key not in self._cache:
            self._cache[key] = draw_sprite(
                obj.cls,
                obj.height,
                scene.COLOURS[obj.colour],
                step / self.PHASE_STEPS,
                obj.motion,
                obj.direction == "left",
            )
        return self._cache[key]

    def frame(self, index: int) -> tuple[np.ndarray, np.ndarray, dict]:
        """(RGB uint8 frame, uint8 label map, {object id: (row slice, column slice) its pixels lie in}).

        Blending happens in float, window by window."""
        plan = self.plan
        image = self.background.copy()
        labels = np.zeros((plan.height, plan.width), np.uint8)
        windows = {}
        order = sorted(plan.objects, key=lambda o: (o.flying, o.anchors[index][1], o.object_id))
        for obj in order:
            if not obj.flying:
                self._shadow(image, obj, index)
        for obj in order:
            rgb, alpha, (ox, oy) = self.sprite(obj, index)
            fx, fy = (int(round(v)) for v in obj.anchors[index])
            window = _clip_window(fx + ox, fy + oy, alpha.shape, labels.shape)
            if window is None:
                continue
            (ys, xs), (sy, sx) = window
            windows[obj.object_id] = (ys, xs)
            a = alpha[sy, sx][..., None]
            blended = image[ys, xs] * (1 - a) + rgb[sy, sx] * (255 * a) + 0.5
            image[ys, xs] = blended.astype(np.uint8)
            labels[ys, xs][alpha[sy, sx] >= 0.5] = obj.object_id
        if plan.void_ring:
            _add_void_ring(labels, 2)
        return image, labels, windows

    def _shadow(self, image, obj, index):
        """Darken an elliptic soft patch of ground under the object's foot point."""
        fx, fy = obj.anchors[index]
        half = EXTENT[obj.cls][1] * obj.height * 0.95
        ry = max(half * 0.22, 3.0)
        x0, x1 = int(fx - half - 4), int(fx + half + 5)
        y0, y1 = int(fy - ry - 3), int(fy + ry + 4)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, image.shape[1]), min(y1, image.shape[0])
        if x0 >= x1 or y0 >= y1:
            return
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = np.hypot((xx - fx) / half, (yy - fy) / ry)
        dim = 1 - 0.45 * np.clip(1.2 - d, 0, 1) ** 1.5
        image[y0:y1, x0:x1] = (image[y0:y1, x0:x1] * dim[..., None] + 0.5).astype(np.uint8)


def _clip_window(x0: int, y0: int, shape, bounds):
    h, w = shape
    H, W = bounds
    ax0, ay0, ax1, ay1 = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
    if ax0 >= ax1 or ay0 >= ay1:
        return None
    return (slice(ay0, ay1), slice(ax0, ax1)), (slice(ay0 - y0, ay1 - y0), slice(ax0 - x0, ax1 - x0))


def _add_void_ring(labels: np.ndarray, width: int) -> None:
    objects = labels > 0
    grown = objects.copy()
    for _ in range(width):
        step = grown.copy()
        step[1:] |= grown[:-1]
        step[:-1] |= grown[1:]
        step[:, 1:] |= grown[:, :-1]
        step[:, :-1] |= grown[:, 1:]
        grown = step
    labels[grown & ~objects] = 255


def _mask_box(labels: np.ndarray, object_id: int, window):
    """(box (x1, y1, x2, y2) inclusive or None, pixel count) of one id in a label map.

    `window` (row slice, column slice) is where the object was drawn, None if it was not."""
    if window is None:
        return None, 0
    ys, xs = window
    hit = labels[ys, xs] == object_id
    rows, cols = np.flatnonzero(hit.any(axis=1)), np.flatnonzero(hit.any(axis=0))
    if rows.size == 0:
        return None, 0
    return (int(cols[0] + xs.start), int(rows[0] + ys.start), int(cols[-1] + xs.start), int(rows[-1] + ys.start)), int(
        hit.sum()
    )


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a folder", path=out, expected="a new or empty folder, or a demo dataset")
    if out.is_dir() and any(out.iterdir()) and not (out / DEMO_SCENE_FILE).is_file():
        raise UsageError(
            "folder is not empty and holds no demo dataset; refusing to overwrite it",
            path=out,
            expected=f"a new or empty folder, or one with {DEMO_SCENE_FILE}",
        )


def write_demo_dataset(
    out_dir,
    seed: int = 0,
    n_videos: int = 12,
    min_frames: int = 30,
    max_frames: int = 50,
    width: int = 854,
    height: int = 480,
    val_round: int | None = None,
) -> Path:
    """Write the demo dataset to `out_dir` (replacing an earlier demo dataset there) and return its path.

    Past 12 videos the templates come round again (`demo_scene.plan_videos`: new colours and
    places, half of them mirrored). `val_round` k makes the k-th round the val split and every
    other video train; by default each template keeps its own split.

    The marker `.complete` is removed first and written last, so a folder without it is
    partial. Of an earlier demo folder only the paths in WRITTEN are replaced.

    Deterministic for a seed: the same arguments give byte-identical files. Raises UsageError
    for a non-empty folder that is not a demo dataset, or for inconsistent parameters.
    """
    rounds = -(-n_videos // len(scene.TEMPLATES))
    if (
        n_videos < 1
        or min_frames < 1
        or max_frames < min_frames
        or width < 64
        or height < 48
        or (val_round is not None and not 1 <= val_round <= rounds)
    ):
        raise UsageError(
            f"bad demo parameters: n_videos={n_videos}, frames {min_frames}-{max_frames}, size {width}x{height}, "
            f"val round {val_round}",
            expected=f"n_videos >= 1, 1 <= min_frames <= max_frames, width >= 64, height >= 48, val round in 1..{rounds}",
        )
    out = Path(out_dir)
    _check_target(out)
    for name in WRITTEN:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    palette = davis_palette()
    videos, texts, plans = {}, {source: [] for source in ANNOTATION_FILES}, []
    for candidates in scene.plan_videos(seed, n_videos, min_frames, max_frames, width, height, val_round):
        plan = _first_visible(candidates)
        plans.append(plan)
        log.info("demo video %s: %d frames, %d objects", plan.name, plan.n_frames, len(plan.objects))
        tracks = _render_video(plan, out, palette)
        expressions = scene.describe_video(plan, tracks)
        for e in expressions:
            texts[e["source"]].append(f'{plan.name} {e["object_id"]} "{e["text"]}"')
        videos[plan.name] = _video_record(plan, tracks, expressions)
    _write_text_files(out, plans, videos, texts)
    record = {
        "version": SCENE_VERSION,
        "seed": seed,
        "width": width,
        "height": height,
        "thresholds": scene.THRESHOLDS,
        "videos": videos,
    }
    (out / DEMO_SCENE_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (out / COMPLETE_MARKER).write_text(f"refcat demo dataset, seed {seed}\n", encoding="utf-8")
    return out


MAX_PLAN_TRIES = 50


def _first_visible(candidates) -> scene.VideoPlan:
    """The first candidate plan in which every object shows at least half of itself in frame 0."""
    for _, plan in zip(range(MAX_PLAN_TRIES), candidates):
        renderer = _Renderer(plan, None)
        _, labels, _ = renderer.frame(0)
        if all((labels == obj.object_id).sum() >= 0.5 * renderer.full_area(obj, 0) > 0 for obj in plan.objects):
            return plan
    raise UsageError(
        f"could not place the objects of {plan.name} visibly at {plan.width}x{plan.height}",
        expected="a larger frame size",
    )


def _render_video(plan: scene.VideoPlan, out: Path, palette) -> list[scene.Track]:
    rng = np.random.default_rng([plan.seed[0], plan.seed[1], 1])
    renderer = _Renderer(plan, rng)
    frame_dir = out / "JPEGImages" / "480p" / plan.name
    mask_dir = out / "Annotations" / "480p" / plan.name
    frame_dir.mkdir(parents=True)
    mask_dir.mkdir(parents=True)
    tracks = [scene.Track(obj, []) for obj in plan.objects]
    areas = {obj.object_id: [] for obj in plan.objects}
    for index in range(plan.n_frames):
        image, labels, windows = renderer.frame(index)
        Image.fromarray(image).save(frame_dir / f"{index:05d}.jpg", quality=90)
        mask = Image.fromarray(labels, mode="P")
        mask.putpalette(palette)
        mask.save(mask_dir / f"{index:05d}.png", compress_level=1)
        for track in tracks:
            box, area = _mask_box(labels, track.object_id, windows.get(track.object_id))
            track.boxes.append(box)
            areas[track.object_id].append(area)
    for track in tracks:
        track.areas = areas[track.object_id]
    return tracks


def _video_record(plan: scene.VideoPlan, tracks: list[scene.Track], expressions: list[dict]) -> dict:
    return {
        "split": plan.split,
        "n_frames": plan.n_frames,
        "ground": plan.ground,
        "void_ring": plan.void_ring,
        "objects": {
            str(t.object_id): {
                "class": t.plan.cls,
                "colour": t.plan.colour,
                "rgb": list(scene.COLOURS[t.plan.colour]),
                "size": t.plan.size,
                "motion": t.plan.motion,
                "pose": t.plan.pose,
                "direction": t.plan.direction,
                "boxes": [list(b) if b else None for b in t.boxes],
                "areas": t.areas,
                "anchors": [[round(x, 2), round(y, 2)] for x, y in t.plan.anchors],
            }
            for t in tracks
        },
        "expressions": expressions,
    }


def _write_text_files(out: Path, plans, videos: dict, texts: dict[str, list[str]]) -> None:
    sets = out / "ImageSets" / "2017"
    sets.mkdir(parents=True)
    for split in ("train", "val"):
        names = [p.name for p in plans if p.split == split]
        (sets / f"{split}.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    semantics = {name: {oid: o["class"] for oid, o in v["objects"].items()} for name, v in videos.items()}
    (out / "davis_semantics.json").write_text(json.dumps(semantics, indent=1) + "\n", encoding="utf-8")
    text_dir = out / "davis_text_annotations"
    text_dir.mkdir()
    for source, (name, encoding) in ANNOTATION_FILES.items():
        (text_dir / name).write_bytes("".join(f"{line}\n" for line in texts[source]).encode(encoding))


def read_scene(root) -> dict:
    """The scene ground truth of a demo dataset (`<root>/demo_scene.json`)."""
    path = Path(root) / DEMO_SCENE_FILE
    if not path.is_file():
        raise MissingDataError("no demo scene file", path=path, expected="a folder written by `refcat demo-data`")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"not valid JSON: {exc}", path=path, expected="the demo scene JSON") from exc
    if record.get("version") != SCENE_VERSION:
        raise FormatError(f"scene version {record.get('version')!r}", path=path, expected=f"version {SCENE_VERSION}")
    return record
