"""Frames of a planned demo video: the background, soft shadows, and the objects drawn back to front.

`Renderer(plan, rng).frame(i)` gives frame i as an RGB image, its label map (0 background,
object ids, 255 void) and where each object was drawn. The drawing order and the void ring
follow the conventions of `refcat.demo.generator`; a pixel is labelled with the last object
drawn whose sprite's alpha there is >= 0.5.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from refcat.datasets.media import box_from_mask
from refcat.datasets.records import Box
from refcat.demo.scene import COLOURS, HORIZON, ObjectPlan, VideoPlan
from refcat.demo.sprites import EXTENT, HALF_TURN_SYMMETRIC, SpriteImage, draw_sprite

Region = tuple[slice, slice]  # (row slice, column slice) of an image


def _noise(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """Smooth value noise in [0, 1]: a random grid of `cells` (rows, cols) upsampled bicubically."""
    grid = rng.random(cells).astype(np.float32)
    return np.asarray(Image.fromarray(grid, mode="F").resize((shape[1], shape[0]), Image.Resampling.BICUBIC))


def draw_background(rng: np.random.Generator, width: int, height: int, ground: str) -> np.ndarray:
    """Sky gradient with clouds, distant hills, and textured grass (plus a road for "street")."""
    horizon = int(HORIZON * height)
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


class Renderer:
    """Draws one video frame by frame, caching sprites by (object, animation step)."""

    PHASE_STEPS = 8

    def __init__(self, plan: VideoPlan, rng: np.random.Generator | None) -> None:
        """`rng` draws the background texture; None gives a flat background (for layout checks)."""
        self.plan = plan
        if rng is None:
            self.background = np.zeros((plan.height, plan.width, 3), np.uint8)
        else:
            self.background = (draw_background(rng, plan.width, plan.height, plan.ground) * 255 + 0.5).astype(np.uint8)
        self._cache: dict[tuple[int, int], SpriteImage] = {}  # (object id, phase step) -> sprite

    def full_area(self, obj: ObjectPlan, frame: int) -> int:
        """Pixels the object would cover in the frame if nothing hid it."""
        _, alpha, (ox, oy) = self.sprite(obj, frame)
        fx, fy = (round(v) for v in obj.anchors[frame])
        window = _clip_window(fx + ox, fy + oy, alpha.shape, (self.plan.height, self.plan.width))
        return 0 if window is None else int((alpha[window[1]] >= 0.5).sum())

    def sprite(self, obj: ObjectPlan, frame: int) -> SpriteImage:
        phase = obj.phases[frame]
        if obj.cls in HALF_TURN_SYMMETRIC:
            phase %= 0.5
        step = round(phase * self.PHASE_STEPS) % self.PHASE_STEPS
        key = (obj.object_id, step)
        if key not in self._cache:
            self._cache[key] = draw_sprite(
                obj.cls,
                obj.height,
                COLOURS[obj.colour],
                step / self.PHASE_STEPS,
                obj.gait or obj.motion,
                (obj.facing or obj.direction) == "left",
            )
        return self._cache[key]

    def frame(self, index: int) -> tuple[np.ndarray, np.ndarray, dict[int, Region]]:
        """(RGB uint8 frame, uint8 label map, {object id: (row slice, column slice) its pixels lie in}).

        Blending happens in float, window by window."""
        plan = self.plan
        image = self.background.copy()
        labels = np.zeros((plan.height, plan.width), np.uint8)
        windows: dict[int, Region] = {}
        order = sorted(plan.objects, key=lambda o: (o.flying, o.anchors[index][1], o.object_id))
        for obj in order:
            if not obj.flying:
                self._shadow(image, obj, index)
        for obj in order:
            rgb, alpha, (ox, oy) = self.sprite(obj, index)
            fx, fy = (round(v) for v in obj.anchors[index])
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

    def _shadow(self, image: np.ndarray, obj: ObjectPlan, index: int) -> None:
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


def _clip_window(x0: int, y0: int, shape: tuple[int, ...], bounds: tuple[int, ...]) -> tuple[Region, Region] | None:
    """Where a (h, w) `shape` placed with its top-left pixel at (x0, y0) meets an image of `bounds` (H, W).

    (region of the image, the same region of the shape), None when they do not overlap."""
    h, w = shape
    H, W = bounds
    ax0, ay0, ax1, ay1 = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
    if ax0 >= ax1 or ay0 >= ay1:
        return None
    return (slice(ay0, ay1), slice(ax0, ax1)), (slice(ay0 - y0, ay1 - y0), slice(ax0 - x0, ax1 - x0))


def _add_void_ring(labels: np.ndarray, width: int) -> None:
    """Mark void (255) the background pixels within `width` steps (4-connected) of an object."""
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


def mask_box(labels: np.ndarray, object_id: int, window: Region | None) -> tuple[Box | None, int]:
    """(box (x1, y1, x2, y2) inclusive or None, pixel count) of one id in a label map.

    `window` is where the object was drawn (`Renderer.frame`), None if it was not."""
    if window is None:
        return None, 0
    ys, xs = window
    hit = labels[ys, xs] == object_id
    box = box_from_mask(hit)
    if box is None:
        return None, 0
    x1, y1, x2, y2 = box
    return (x1 + xs.start, y1 + ys.start, x2 + xs.start, y2 + ys.start), int(hit.sum())
