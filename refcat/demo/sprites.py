"""Sprites of the demo's objects: each class drawn with signed distance fields and simple shading.

`draw_sprite` paints one object (person, dog, cat, car, ball, bird) at a given height and
animation phase into a small RGBA canvas. Shapes are signed distances in pixels (negative
inside), painted back to front with a one-pixel soft edge; lengths in the drawing code are
in units of the object's height, measured from its foot point (0, 0), y downwards, facing
right (`facing_left` mirrors the result).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from refcat.demo.scene import COLOURS

Colour = Sequence[float]  # RGB, 0-255


class SpriteImage(NamedTuple):
    rgb: np.ndarray  # float (h, w, 3) in [0, 1]
    alpha: np.ndarray  # float (h, w) in [0, 1]
    origin: tuple[int, int]  # (x, y) of the top-left pixel relative to the foot point


class _Sprite:
    """A small RGBA canvas around an object's foot point (0, 0); y grows downwards, units are pixels."""

    X: np.ndarray  # x of each pixel centre relative to the foot point, float32 (h, w)
    Y: np.ndarray  # y of each pixel centre
    rgb: np.ndarray  # float32 (h, w, 3) in [0, 1], painted so far
    alpha: np.ndarray  # float32 (h, w) in [0, 1], painted so far

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

    def circle(self, cx: float, cy: float, r: float) -> np.ndarray:
        cx, cy = self.p(cx, cy)
        return np.hypot(self.X - cx, self.Y - cy) - r * self.h

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, angle: float = 0.0) -> np.ndarray:
        cx, cy = self.p(cx, cy)
        u, v = self._rotate(self.X - cx, self.Y - cy, angle)
        rx, ry = rx * self.h, ry * self.h
        return (np.hypot(u / rx, v / ry) - 1) * min(rx, ry)

    def capsule(self, ax: float, ay: float, bx: float, by: float, r: float) -> np.ndarray:
        ax, ay = self.p(ax, ay)
        bx, by = self.p(bx, by)
        dx, dy = bx - ax, by - ay
        t = np.clip(((self.X - ax) * dx + (self.Y - ay) * dy) / max(dx * dx + dy * dy, 1e-6), 0, 1)
        return np.hypot(self.X - ax - t * dx, self.Y - ay - t * dy) - r * self.h

    def box(self, cx: float, cy: float, hw: float, hh: float, r: float) -> np.ndarray:
        cx, cy = self.p(cx, cy)
        hw, hh, r = hw * self.h, hh * self.h, r * self.h
        qx, qy = np.abs(self.X - cx) - hw + r, np.abs(self.Y - cy) - hh + r
        return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) - r

    def polygon(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Convex polygon (at least three points), points in either order."""
        pts = [self.p(x, y) for x, y in points]
        if sum(ax * by - bx * ay for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1])) < 0:
            pts.reverse()
        sides: list[np.ndarray] = []
        for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1]):
            nx, ny = by - ay, ax - bx
            norm = np.hypot(nx, ny)
            sides.append(((self.X - ax) * nx + (self.Y - ay) * ny) / norm)
        d = sides[0]
        for side in sides[1:]:
            d = np.maximum(d, side)
        return d

    @staticmethod
    def _rotate(u: np.ndarray, v: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.cos(angle), np.sin(angle)
        return c * u + s * v, -s * u + c * v

    def sphere(self, cx: float, cy: float, rx: float, ry: float | None = None, gloss: float = 0.0) -> np.ndarray:
        """Lambert shading of a bulging ellipse lit from the upper left, plus a highlight."""
        cx, cy = self.p(cx, cy)
        ry = rx if ry is None else ry
        nx = np.clip((self.X - cx) / (rx * self.h), -1, 1)
        ny = np.clip((self.Y - cy) / (ry * self.h), -1, 1)
        nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0, 1))
        light = np.array([-0.45, -0.6, 0.66])
        lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0, 1)
        shade: np.ndarray = 0.5 + 0.62 * lam
        if gloss:
            shade = shade + gloss * np.clip(lam - 0.86, 0, 1) * 6
        return shade

    def vertical(self, top: float, bottom: float) -> np.ndarray:
        """Shading that darkens from 1.15 at `top` to 0.8 at `bottom`."""
        top, bottom = top * self.h, bottom * self.h
        t = np.clip((self.Y - top) / max(bottom - top, 1e-6), 0, 1)
        return 1.15 - 0.35 * t

    def paint(self, sdf: np.ndarray, colour: Colour, shade: float | np.ndarray = 1.0, edge: bool = True) -> None:
        """Lay `colour` (times `shade`) over the canvas where `sdf` < 0.5; `edge` darkens the rim."""
        cover = np.clip(0.5 - sdf, 0, 1)
        rgb = np.asarray(colour, np.float32) / 255
        if edge:
            shade = shade * (1 - 0.28 * np.clip((sdf + 2.5) / 2.5, 0, 1))
        layer = rgb * np.asarray(shade, np.float32)[..., None] if np.ndim(shade) else rgb * shade
        self.rgb += (np.clip(layer, 0, 1) - self.rgb) * cover[..., None]
        self.alpha += (1 - self.alpha) * cover


def _tone(rgb: Colour, factor: float) -> tuple[float, ...]:
    return tuple(min(255, c * factor) for c in rgb)


SKIN, DENIM, HAIR = (232, 188, 150), (58, 70, 104), (70, 44, 28)


def _person(s: _Sprite, colour: Colour, phase: float, moving: bool, running: bool) -> None:
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


def _quadruped(s: _Sprite, colour: Colour, phase: float, moving: bool, running: bool, cat: bool, sitting: bool) -> None:
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
        tail_end: tuple[float, float] = (-0.62, -0.95) if cat else (-0.66, -0.78 + 0.06 * np.sin(4 * np.pi * phase))
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


def _car(s: _Sprite, colour: Colour, phase: float) -> None:
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


def _ball(s: _Sprite, colour: Colour, phase: float) -> None:
    stripe = (245, 245, 245) if colour != COLOURS["white"] else (40, 40, 160)
    shade = s.sphere(0.0, -0.5, 0.5, gloss=0.5)
    s.paint(s.circle(0.0, -0.5, 0.5), colour, shade)
    a = -2 * np.pi * phase
    u, _ = s._rotate(s.X - 0.0, s.Y + 0.5 * s.h, a)
    band = np.maximum(np.abs(u) - 0.09 * s.h, s.circle(0.0, -0.5, 0.47))
    s.paint(band, stripe, shade, edge=False)


def _bird(s: _Sprite, colour: Colour, phase: float, flying: bool) -> None:
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


def draw_sprite(
    cls: str, height: float, rgb: tuple[int, int, int], phase: float, motion: str, facing_left: bool
) -> SpriteImage:
    """One object of class `cls`, `height` pixels high, at animation `phase` (in cycles) of its `motion`."""
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
    return SpriteImage(rgb_out, alpha, (x0, y0))
