"""The video view of one instance: frames decoded once, the referent's box drawn, a client-side player.

The page payload of an instance is one self-contained HTML player (`InstanceView.html`): every
frame of the clip as a JPEG data URI, the referent's box drawn on each frame where the store has
one, a play/pause button, a frame slider and a speed (0.5x, 1x, 2x of the clip's play rate).
Playing, scrubbing and the player keys (`PLAYER_KEYS`: Space play/pause, `,` / `.` one frame
back / forward, which pause, `<` / `>` slower / faster) run in the browser, so they cost no round
trip to the server. The keys work wherever the focus is on the page (the player listens on the
page around its frame, and stops listening when its frame goes), except while typing in a text
field or with Ctrl, Alt or Meta held.

Caching (`ViewCache`, one per app process, shared by all sessions):
- decoded frames, downscaled to at most `max_width` pixels wide, in an LRU of a few videos
  (instances of one video are adjacent in a queue, so they decode the clip once);
- built payloads in a larger LRU of instances;
- `prefetch(key)` builds an instance's payload in a background thread, so that moving to the
  next instance finds it ready.

Boxes are inclusive pixel coordinates in the original frame size (records.py); they are
scaled with the frame.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from refcat.datasets.media import LRU, draw_box
from refcat.datasets.readers import open_reader
from refcat.datasets.records import Box, DatasetReader, parse_instance_key
from refcat.errors import MissingDataError, UsageError
from refcat.store.database import Store
from refcat.store.instances import list_objects, list_videos

DEFAULT_PLAY_FPS = 10.0
SPEEDS = (0.5, 1.0, 2.0)  # the player's speeds, times the play rate
# key as listed (the `?` overlay) -> what it does; the player's script handles these keys
PLAYER_KEYS = {
    "Space": "Play or pause the clip",
    ",": "One frame back (pauses)",
    ".": "One frame forward (pauses)",
    "<": "Slower (2x, 1x, 0.5x)",
    ">": "Faster (0.5x, 1x, 2x)",
}
_PLAYER_ACTIONS = {" ": "toggle", ",": "back", ".": "forward", "<": "slower", ">": "faster"}  # KeyboardEvent.key
BOX_COLOUR = (255, 40, 40)


def data_roots(value: str | None) -> dict[str | None, Path]:
    """Parse $REFCAT_DATA: one folder for every dataset, or `dataset=folder` entries joined by os.pathsep
    (e.g. `demo=/data/demo:davis=/data/DAVIS`). The key None holds the folder for datasets not named."""
    roots: dict[str | None, Path] = {}
    for entry in (value or "").split(os.pathsep):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, folder = entry.partition("=")
        if sep:
            roots[name.strip()] = Path(folder.strip())
        else:
            roots[None] = Path(entry)
    return roots


def scaled_box(box: Box, sx: float, sy: float) -> Box:
    """An inclusive box in a frame resized by (sx, sy): pixel edges scale, so the last pixel
    of a W-wide frame maps to the last pixel of the resized one."""
    x1, y1, x2, y2 = box
    return (
        int(x1 * sx),
        int(y1 * sy),
        max(int(x1 * sx), round((x2 + 1) * sx) - 1),
        max(int(y1 * sy), round((y2 + 1) * sy) - 1),
    )


@dataclass(frozen=True)
class InstanceView:
    """What the page shows of one instance's clip."""

    key: str
    n_frames: int
    boxed_frames: tuple[int, ...]  # frames on which the referent's box is drawn
    jpegs: tuple[bytes, ...]  # one JPEG a frame, box drawn
    html: str  # the self-contained player

    @property
    def nbytes(self) -> int:
        return sum(len(j) for j in self.jpegs) + len(self.html)


def _jpeg(frame: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def player_html(
    key: str, jpegs: list[bytes], boxed: set[int], fps: float, width: int, height: int, max_height: int = 480
) -> str:
    """A self-contained HTML player: play/pause, a frame slider, the speed, the frame number and
    box state, and the player keys (module doc).

    The frame is scaled (CSS, up or down) to the full width of the page column, keeping its
    aspect ratio (the img's width/height attributes give it before the first frame loads); a
    frame that would be taller than `max_height` pixels is letterboxed (`object-fit: contain`).
    Boxes are drawn into the frames, so they scale with them and stay aligned.

    Keys pressed while the player has the focus are passed on to the page, so that the answer
    shortcuts keep working after the annotator clicked into the player.
    """
    frames = json.dumps(["data:image/jpeg;base64," + base64.b64encode(j).decode("ascii") for j in jpegs])
    boxed_json = json.dumps(sorted(boxed))
    delay = 1000 / fps
    last = len(jpegs) - 1
    speeds = "".join(f'<option value="{v:g}"{" selected" if v == 1.0 else ""}>{v:g}x</option>' for v in SPEEDS)
    return f"""<style>body{{margin:0}}</style>
<div id="player" data-key="{html.escape(key)}" style="font-family:sans-serif">
<img id="frame" width="{width}" height="{height}"
 style="width:100%;height:auto;max-height:{max_height}px;object-fit:contain;display:block;background:#000"
 alt="clip of {html.escape(key)}">
<div style="display:flex;align-items:center;gap:8px;margin-top:6px">
<button id="play" type="button" style="width:5.5em">Pause</button>
<input id="scrub" type="range" min="0" max="{last}" value="0" style="flex:1">
<select id="speed" title="speed" style="font-size:13px">{speeds}</select>
<span id="label" style="min-width:13em;font-size:13px"></span>
</div></div>
<script>
const frames = {frames}, boxed = new Set({boxed_json}), SPEEDS = {json.dumps(list(SPEEDS))};
const ACTIONS = {json.dumps(_PLAYER_ACTIONS)}, FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);
const img = document.getElementById("frame"), scrub = document.getElementById("scrub");
const label = document.getElementById("label"), play = document.getElementById("play");
const speed = document.getElementById("speed");
let index = 0, timer = null;
function show(i) {{
  index = Math.max(0, Math.min(frames.length - 1, i)); img.src = frames[index]; scrub.value = index;
  const box = boxed.has(index) ? " \\u00b7 box" : " \\u00b7 no box";
  label.textContent = "frame " + (index + 1) + "/" + frames.length + box;
}}
function start() {{
  clearInterval(timer);
  timer = setInterval(() => show((index + 1) % frames.length), Math.max(20, {delay} / parseFloat(speed.value)));
  play.textContent = "Pause";
}}
function stop() {{ clearInterval(timer); timer = null; play.textContent = "Play"; }}
function setSpeed(step) {{
  const at = SPEEDS.indexOf(parseFloat(speed.value));
  speed.value = String(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, at + step))]);
  if (timer) start();
}}
play.onclick = () => (timer ? stop() : start());
scrub.oninput = () => {{ stop(); show(parseInt(scrub.value, 10)); }};
speed.onchange = () => {{ if (timer) start(); }};
const RUN = {{ toggle: () => (timer ? stop() : start()), back: () => {{ stop(); show(index - 1); }},
              forward: () => {{ stop(); show(index + 1); }}, slower: () => setSpeed(-1), faster: () => setSpeed(1) }};
// The player keys, heard on the page around the frame (keys pressed in the frame are passed there below).
function onPageKey(e) {{
  if (!window.frameElement || !window.frameElement.isConnected) return;
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  const target = e.composedPath()[0];
  if (target && (FIELDS.has(target.tagName) || target.isContentEditable)) return;
  const action = ACTIONS[e.key];
  if (!action) return;
  e.preventDefault();
  RUN[action]();
}}
let page = null;
try {{ page = window.parent.document; page.addEventListener("keydown", onPageKey); }} catch (err) {{ page = null; }}
window.addEventListener("pagehide", () => {{ if (page) page.removeEventListener("keydown", onPageKey); }});
document.addEventListener("keydown", (e) => {{
  try {{
    window.parent.document.dispatchEvent(new KeyboardEvent("keydown", {{
      key: e.key, code: e.code, shiftKey: e.shiftKey, ctrlKey: e.ctrlKey, altKey: e.altKey,
      metaKey: e.metaKey, bubbles: true, cancelable: true}}));
    e.preventDefault();
  }} catch (err) {{}}
}});
show(0);
if (frames.length > 1) start();
</script>"""


class ViewCache:
    """Builds and caches `InstanceView`s of a store's instances; thread-safe.

    `roots` maps a dataset name (or None for any dataset) to its folder on disk. Frames wider
    than `max_width` are downscaled once, when decoded; the player scales them to the column's
    width, at most `max_height` pixels high.
    """

    def __init__(
        self,
        store: Store,
        roots: dict[str | None, Path],
        *,
        max_width: int = 640,
        max_height: int = 480,
        quality: int = 80,
        videos: int = 2,
        instances: int = 32,
    ) -> None:
        self.store = store
        self.roots = roots
        self.max_width = max_width
        self.max_height = max_height
        self.quality = quality
        self._frames: LRU[tuple[str, str], list[np.ndarray]] = LRU(videos)
        self._views: LRU[str, InstanceView] = LRU(instances)
        self._readers: dict[str, DatasetReader] = {}
        self._lock = threading.Lock()
        self._building: dict[str, Future[InstanceView]] = {}
        self._video_locks: dict[tuple[str, str], threading.Lock] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refcat-prefetch")

    def reader(self, dataset: str) -> DatasetReader:
        with self._lock:
            reader = self._readers.get(dataset)
            if reader is None:
                root = self.roots.get(dataset, self.roots.get(None))
                if root is None:
                    raise UsageError(
                        f"no data folder for dataset {dataset!r}",
                        expected="REFCAT_DATA set to the dataset's folder, or to dataset=folder entries",
                    )
                reader = self._readers[dataset] = open_reader(dataset, root)
            return reader

    def decoded(self, dataset: str, video_id: str, n_frames: int) -> list[np.ndarray]:
        """All frames of a video, downscaled to at most `max_width` wide; decoded once and cached."""
        with self._lock:
            video_lock = self._video_locks.setdefault((dataset, video_id), threading.Lock())
        with video_lock:  # a prefetch and a page asking for one video decode it once
            with self._lock:
                frames = self._frames.get((dataset, video_id))
            if frames is None:
                frames = self._decode(dataset, video_id, n_frames)
                with self._lock:
                    self._frames.put((dataset, video_id), frames)
            return frames

    def _decode(self, dataset: str, video_id: str, n_frames: int) -> list[np.ndarray]:
        reader = self.reader(dataset)
        frames = []
        for index in range(n_frames):
            frame = reader.frame(video_id, index)
            if frame.shape[1] > self.max_width:
                height = round(frame.shape[0] * self.max_width / frame.shape[1])
                frame = np.asarray(Image.fromarray(frame).resize((self.max_width, height), Image.Resampling.BILINEAR))
            frames.append(frame)
        return frames

    def build(self, key: str) -> InstanceView:
        """Decode (or reuse) the clip, draw the referent's box, encode the player. No caching of the result."""
        dataset, video_id, object_id, _source = parse_instance_key(key)
        video = next((v for v in list_videos(self.store, dataset) if v.video_id == video_id), None)
        if video is None:
            raise MissingDataError(f"video {dataset}/{video_id} of instance {key} is not in the store")
        referent = next((o for o in list_objects(self.store, dataset, video_id) if o.object_id == object_id), None)
        if referent is None:
            raise MissingDataError(f"object {object_id} of instance {key} is not in the store")
        frames = self.decoded(dataset, video_id, video.n_frames)
        sx, sy = (frames[0].shape[1] / video.width, frames[0].shape[0] / video.height) if frames else (1.0, 1.0)
        jpegs = []
        for index, frame in enumerate(frames):
            box = referent.boxes.get(index)
            if box is not None:
                frame = draw_box(frame, scaled_box(box, sx, sy), color=BOX_COLOUR, width=3)
            jpegs.append(_jpeg(frame, self.quality))
        height, width = frames[0].shape[:2] if frames else (0, 0)
        boxed = {f for f in referent.boxes if f < len(frames)}
        player = player_html(key, jpegs, boxed, video.fps or DEFAULT_PLAY_FPS, width, height, self.max_height)
        return InstanceView(key, len(frames), tuple(sorted(boxed)), tuple(jpegs), player)

    def view(self, key: str) -> InstanceView:
        """The cached view of an instance, waiting for a prefetch under way or building it now."""
        with self._lock:
            cached = self._views.get(key)
            pending = self._building.get(key)
        if cached is not None:
            return cached
        if pending is not None:
            return pending.result()
        return self._build_into_cache(key)

    def cached(self, key: str) -> bool:
        with self._lock:
            return self._views.get(key) is not None

    def prefetch(self, key: str) -> Future[InstanceView] | None:
        """Build an instance's view in the background unless it is cached or under way; returns
        the background job (None when there is nothing to do). Errors surface in `view`."""
        with self._lock:
            if self._views.get(key) is not None or key in self._building:
                return None
            future = self._pool.submit(self._prefetched, key)
            self._building[key] = future
            return future

    def _build_into_cache(self, key: str) -> InstanceView:
        view = self.build(key)
        with self._lock:
            self._views.put(key, view)
        return view

    def _prefetched(self, key: str) -> InstanceView:
        """`_build_into_cache` in the background, the build no longer under way once it ends."""
        try:
            return self._build_into_cache(key)
        finally:
            with self._lock:
                self._building.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._views.clear()
            self._frames.clear()
