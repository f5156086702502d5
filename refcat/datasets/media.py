"""Low-level decoding shared by the readers and the app: masks, frames, clips, boxes, drawing.

Conventions (see records.py):
- Label PNGs are read as palette index values (`np.array(Image.open(p))`), never as RGB colours:
  the value is the object id (DAVIS: 0 background, 1..N objects, 255 void).
- Frames are RGB uint8 arrays of shape (H, W, 3).
- Boxes are (x1, y1, x2, y2) pixel coordinates, inclusive on both ends.
- Clip frames are numbered by decoding order, 0-based.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from refcat.datasets.files import require_file
from refcat.datasets.records import Box, Mask, Pixels
from refcat.errors import FormatError, MissingDataError

if TYPE_CHECKING:  # PyAV is imported when a clip is first read
    from av import VideoFrame
    from av.container import InputContainer

PALETTE_EXPECTED = "an 8-bit palette PNG (colour type 3) whose pixel values are object ids"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small least-recently-used map; `on_evict` is called with each value dropped."""

    def __init__(self, maxsize: int, on_evict: Callable[[V], object] | None = None) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[K, V] = OrderedDict()
        self._on_evict = on_evict

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            _, dropped = self._items.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(dropped)

    def clear(self) -> None:
        while self._items:
            _, dropped = self._items.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(dropped)


def numbered_frames(folder: Path, suffix: str, first: int, message: str) -> list[int]:
    """The 0-based frame indices, ascending, of the files `%05d<suffix>` in `folder`, numbered from `first`.

    [] when there is no folder; FormatError(`message`) for a file whose name is not such a number.
    """
    if not folder.is_dir():
        return []
    indices = []
    for path in folder.glob(f"*{suffix}"):
        if not path.stem.isdecimal() or int(path.stem) < first:
            raise FormatError(message, path=path, expected=f"%05d{suffix}")
        indices.append(int(path.stem) - first)
    return sorted(indices)


@contextmanager
def _open_image(path: Path, action: str, expected: str, frame: int | None) -> Iterator[Image.Image]:
    """The opened image, once it is known to be a file of at most `Image.MAX_IMAGE_PIXELS` pixels.

    PIL only warns between that limit and twice it; here both are refused (a FormatError naming the file).

    Errors raised while the caller decodes it inside the block become FormatError("cannot ACTION (...)").
    """
    require_file(path, expected, frame=frame)
    try:
        with Image.open(path) as image:
            width, height = image.size
            limit = Image.MAX_IMAGE_PIXELS  # None: PIL's check turned off, and ours with it
            if limit is not None and width * height > limit:
                raise FormatError(
                    f"image of {width}x{height} pixels, refused as a possible decompression bomb",
                    path=path,
                    frame=frame,
                    expected=f"at most {limit} pixels (PIL.Image.MAX_IMAGE_PIXELS)",
                )
            yield image
    except FormatError:
        raise
    except Image.DecompressionBombError as exc:  # over twice the limit: PIL refuses to open it
        raise FormatError(
            f"refused as a possible decompression bomb ({exc})",
            path=path,
            frame=frame,
            expected=f"at most {Image.MAX_IMAGE_PIXELS} pixels (PIL.Image.MAX_IMAGE_PIXELS)",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise FormatError(f"cannot {action} ({exc})", path=path, frame=frame, expected=expected) from exc


def read_label_png(path: str | Path, *, frame: int | None = None, allow_grayscale: bool = False) -> Pixels:
    """The index values of a palette PNG as uint8 (H, W).

    `allow_grayscale` also accepts 8-bit grayscale (mode L) files, whose values are read
    the same way (predictions may be written either way). Raises MissingDataError when the
    file is absent and FormatError when it is not a file, not a PNG, not a palette image,
    truncated, or larger than `Image.MAX_IMAGE_PIXELS`.
    """
    path = Path(path)
    modes = ("P", "L") if allow_grayscale else ("P",)
    with _open_image(path, "decode PNG", PALETTE_EXPECTED, frame) as image:
        if image.format != "PNG":
            raise FormatError(f"not a PNG file ({image.format})", path=path, frame=frame, expected=PALETTE_EXPECTED)
        if image.mode not in modes:
            raise FormatError(
                f"PNG in mode {image.mode}, not a palette image", path=path, frame=frame, expected=PALETTE_EXPECTED
            )
        image.load()
        return np.array(image, dtype=np.uint8)


def read_rgb_image(path: str | Path, *, frame: int | None = None) -> Pixels:
    """An image file (JPEG, PNG...) as RGB uint8 (H, W, 3)."""
    with _open_image(Path(path), "decode image", "a JPEG or PNG image", frame) as image:
        image.load()
        return np.array(image.convert("RGB"))


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the image header, without decoding pixels."""
    with _open_image(Path(path), "read image header", "a JPEG or PNG image", None) as image:
        return image.size


def frame_sized(labels: Pixels, size: tuple[int, int], path: Path, frame: int) -> Pixels:
    """`labels` (H, W) of the mask file `path` when they cover a frame of `size` (width, height), else FormatError."""
    width, height = size
    if labels.shape != (height, width):
        raise FormatError(
            f"mask of {labels.shape[1]}x{labels.shape[0]} pixels on frames of {width}x{height}",
            path=path,
            frame=frame,
            expected="a mask the size of its video's frames",
        )
    return labels


class VideoClip:
    """Frames of a video file decoded with PyAV, by 0-based index, with an LRU cache of RGB frames.

    Decoding runs forward from the start of the clip and keeps its position, so asking for
    frames in increasing order decodes each frame once; asking for an earlier frame that has
    left the cache restarts decoding. Thread-safe (the app may call from several threads).
    """

    EXPECTED = "a video file PyAV can decode (e.g. H.264 MP4)"

    def __init__(self, path: str | Path, cache_size: int = 32) -> None:
        self.path = Path(path)
        require_file(self.path, self.EXPECTED)
        self._cache: LRU[int, Pixels] = LRU(cache_size)
        self._lock = threading.Lock()
        self._container: InputContainer | None = None
        self._decoded: Iterator[VideoFrame] | None = None  # frames from `_next_index` on
        self._next_index = 0

    def info(self) -> tuple[int, int, float | None]:
        """(width, height, fps) from the stream header."""
        import av

        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                rate = stream.average_rate
                return stream.codec_context.width, stream.codec_context.height, float(rate) if rate else None
        except (av.error.FFmpegError, IndexError) as exc:
            raise FormatError(f"cannot read video header ({exc})", path=self.path, expected=self.EXPECTED) from exc

    def frame(self, index: int) -> Pixels:
        """Frame `index` as a read-only RGB uint8 (H, W, 3) array."""
        import av

        with self._lock:
            cached = self._cache.get(index)
            if cached is not None:
                return cached
            if index < 0:
                raise MissingDataError("negative frame index", path=self.path, frame=index, expected="index >= 0")
            decoded = self._decoded
            if decoded is None or index < self._next_index:
                decoded = self._restart()
            try:
                while True:  # runs at least once: here `_next_index` <= index
                    try:
                        video_frame = next(decoded)
                    except StopIteration:
                        n = self._next_index
                        self.close()
                        raise MissingDataError(
                            f"the clip has only {n} frames", path=self.path, frame=index, expected=f"index < {n}"
                        ) from None
                    rgb = np.asarray(video_frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                    rgb.flags.writeable = False
                    self._cache.put(self._next_index, rgb)
                    self._next_index += 1
                    if self._next_index > index:
                        return rgb
            except av.error.FFmpegError as exc:
                self.close()
                raise FormatError(
                    f"cannot decode video ({exc})", path=self.path, frame=index, expected=self.EXPECTED
                ) from exc

    def _restart(self) -> Iterator[VideoFrame]:
        """Reopen the clip; returns its frames from the first on."""
        import av

        self.close()
        try:
            container = self._container = av.open(str(self.path))
            decoded = self._decoded = container.decode(video=0)
        except (av.error.FFmpegError, IndexError) as exc:
            self.close()
            raise FormatError(f"cannot open video ({exc})", path=self.path, expected=self.EXPECTED) from exc
        self._next_index = 0
        return decoded

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._decoded = None
        self._next_index = 0


class ClipPool:
    """Keeps the last few `VideoClip`s open, closing the ones it drops."""

    def __init__(self, maxsize: int = 4) -> None:
        self._clips: LRU[Path, VideoClip] = LRU(maxsize, on_evict=VideoClip.close)
        self._lock = threading.Lock()

    def clip(self, path: str | Path) -> VideoClip:
        path = Path(path)
        with self._lock:
            clip = self._clips.get(path)
            if clip is None:
                clip = VideoClip(path)
                self._clips.put(path, clip)
            return clip

    def close(self) -> None:
        with self._lock:
            self._clips.clear()


def box_from_mask(mask: Mask) -> Box | None:
    """Inclusive (x1, y1, x2, y2) of the nonzero pixels of a 2-D mask; None when it is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])


def add_boxes(boxes: dict[int, dict[int, Box]], frame: int, masks: Mapping[int, Mask]) -> None:
    """Adds each object of `masks` to `boxes` (object id -> frame -> box), with its box on `frame`
    where its mask there has pixels (an object whose mask is empty is listed without that box)."""
    for object_id, mask in masks.items():
        object_boxes = boxes.setdefault(object_id, {})
        box = box_from_mask(mask)
        if box is not None:
            object_boxes[frame] = box


def masks_from_labels(labels: Pixels, void_value: int | None = 255) -> dict[int, Mask]:
    """Object id -> bool mask for every id present in a label image (0 and `void_value` excluded)."""
    ids = [int(v) for v in np.flatnonzero(np.bincount(labels.ravel())) if v != 0 and v != void_value]
    return {i: labels == i for i in ids}


def draw_box(
    frame: Pixels,
    box: Box,
    label: str | None = None,
    color: tuple[int, int, int] = (255, 64, 64),
    width: int = 3,
) -> Pixels:
    """A copy of an RGB frame with an inclusive box outlined and an optional label above it."""
    image = Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(image)
    x1, y1, x2, y2 = box
    draw.rectangle((x1, y1, x2, y2), outline=color, width=width)
    if label:
        font = ImageFont.load_default(size=max(12, image.height // 30))
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        text_w, text_h = right - left, bottom - top
        tx = min(max(x1, 0), max(image.width - text_w - 4, 0))
        ty = y1 - text_h - 6 if y1 - text_h - 6 >= 0 else min(y2 + 2, max(image.height - text_h - 6, 0))
        draw.rectangle((tx, ty, tx + text_w + 4, ty + text_h + 4), fill=color)
        draw.text((tx + 2 - left, ty + 2 - top), label, fill=(255, 255, 255), font=font)
    return np.array(image)
