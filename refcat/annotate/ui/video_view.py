"""The video view of one instance: frames decoded once, the referent's box drawn, a client-side player.

The page payload of an instance is what its player plays (`InstanceView.player`, `player_clip`): the
addresses of the clip's frames (JPEGs, the referent's box drawn on each frame where the store has one), a
play/pause button, a frame slider and a speed (0.5x, 1x, 2x of the clip's play rate). The player is
one script (`PLAYER_JS`), which runs in an inline frame of its own on the lead's pages
(`player_html`) and in the page itself on the queue pages (refcat.annotate.ui.desk).
Playing, scrubbing and the player keys (`PLAYER_KEYS`: Space play/pause, `,` / `.` one frame
back / forward, which pause, `<` / `>` slower / faster) run in the browser, so they cost no round
trip to the server. The keys work wherever the focus is on the page (the player listens on the
page around its frame, and stops listening when its frame goes), except while typing in a text
field or with Ctrl, Alt or Meta held.

The frames belong to the object, not to the RE: a `Clip` is one (dataset, video, object), and
every RE of that object shows the same frames. Served with the clip route (clips.py, mounted
by serve.py; `ViewCache.frame_route` set), the clip has two kinds of address,

    <frame_route>/<dataset>/<video_id>/<object_id>/<W>x<H>/<digest>/<frame>.jpg   one frame
    <frame_route>/<dataset>/<video_id>/<object_id>/<W>x<H>/<digest>/frames        every frame

(`Clip.path`), the second being the frames' JPEGs one after the other, whose lengths the
player is given. Both are immutable (the digest is a hash of the clip's JPEGs), so the browser
fetches a clip once and every later RE of the object takes it from the browser's cache. The
player asks for the first frame alone, then, once it is shown, for all frames in one request
(not one per frame: each request costs the server a session check), and plays once they are
in. Served without the route (`streamlit run app.py`, AppTest), the frames are inlined as JPEG
data URIs.

Caching (`ViewCache`, one per app process, shared by all sessions and the clip route):
- decoded frames, downscaled to at most `max_width` pixels wide, in an LRU of a few videos
  (instances of one video are adjacent in a queue, so they decode the clip once);
- clips (frames with the box drawn, JPEG-encoded) in an LRU of objects;
- built payloads in a larger LRU of instances;
- `prefetch(key)` builds an instance's clip and payload in a background thread, so that moving
  to the next instance finds it ready.

Boxes are inclusive pixel coordinates in the original frame size (records.py); they are
scaled with the frame.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

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
K = TypeVar("K")
V = TypeVar("V")


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


ClipId = tuple[str, str, int]  # (dataset, video_id, object_id)


@dataclass(frozen=True)
class Clip:
    """The frames of one object's clip as the player shows them: downscaled, its box drawn, JPEG-encoded."""

    dataset: str
    video_id: str
    object_id: int
    width: int  # of the frames as encoded (after downscaling), pixels
    height: int
    fps: float  # the play rate
    boxed_frames: tuple[int, ...]  # frames on which the referent's box is drawn
    jpegs: tuple[bytes, ...]  # one JPEG a frame
    digest: str  # `clip_digest(jpegs)`

    @property
    def size(self) -> str:
        """The frame size as written in a frame's address, `WxH`."""
        return f"{self.width}x{self.height}"

    def path(self, name: str) -> str:
        """The address under the clip route of `name`: `<frame>.jpg` or `frames` (module doc); ids percent-encoded."""
        ids = "/".join(quote(part, safe="") for part in (self.dataset, self.video_id, str(self.object_id)))
        return f"{ids}/{self.size}/{self.digest}/{name}"

    @property
    def frames(self) -> bytes:
        """Every frame's JPEG, one after the other (what the address `frames` serves)."""
        return b"".join(self.jpegs)


def clip_digest(jpegs: Sequence[bytes]) -> str:
    """The first 16 hex digits of the SHA-256 of the frames, each preceded by its length (8 bytes, big-endian)."""
    digest = hashlib.sha256()
    for jpeg in jpegs:
        digest.update(len(jpeg).to_bytes(8, "big"))
        digest.update(jpeg)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class InstanceView:
    """What the page shows of one instance: its object's clip and the player."""

    key: str
    clip: Clip
    player: dict[str, Any]  # what the player plays (`player_clip`)

    @cached_property
    def html(self) -> str:
        """The player in a document of its own (`player_html`), built once per view."""
        return player_html(self.player)

    @property
    def n_frames(self) -> int:
        return len(self.clip.jpegs)

    @property
    def boxed_frames(self) -> tuple[int, ...]:
        return self.clip.boxed_frames

    @property
    def jpegs(self) -> tuple[bytes, ...]:
        return self.clip.jpegs


def _jpeg(frame: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _player_markup(max_height: int) -> str:
    """The player's controls (no text from a user or a file: the clip's key is set as an attribute by the script)."""
    speeds = "".join(f'<option value="{v:g}"{" selected" if v == 1.0 else ""}>{v:g}x</option>' for v in SPEEDS)
    return f"""<div id="player" style="font-family:sans-serif">
<img id="frame"
 style="width:100%;height:auto;max-height:{max_height}px;object-fit:contain;display:block;background:#000">
<div style="display:flex;align-items:center;gap:8px;margin-top:6px">
<button id="play" type="button" style="width:5.5em">Pause</button>
<input id="scrub" type="range" min="0" max="0" value="0" style="flex:1">
<select id="speed" title="speed" style="font-size:13px">{speeds}</select>
<span id="label" style="min-width:13em;font-size:13px"></span>
</div></div>"""


# `refcatPlayer(root, clip)` plays `clip` (`player_clip`) in the player markup under `root` (drawn there
# when missing) and returns {run(command), stop()}: `run` takes a player command ("toggle", "back",
# "forward", "slower", "faster"), `stop` ends the clip (its timer, its listeners, its frames' blob URLs),
# so that the same markup can play another clip. The speed chosen is kept from one clip to the next.
PLAYER_JS = """
function refcatPlayer(root, clip) {
  if (!root.querySelector("#player")) root.innerHTML = clip.markup;
  const $ = (id) => root.querySelector("#" + id);
  const img = $("frame"), scrub = $("scrub"), label = $("label"), play = $("play"), speed = $("speed");
  const frames = clip.frames.slice(), boxed = new Set(clip.boxed), SPEEDS = clip.speeds, blobs = [];
  const delay = 1000 / clip.fps;
  $("player").dataset.key = clip.key;
  img.width = clip.width;
  img.height = clip.height;
  img.alt = "clip of " + clip.key;
  scrub.max = String(frames.length - 1);
  const kept = globalThis.__refcatSpeed;  // the speed last chosen on this page
  if (SPEEDS.includes(kept)) speed.value = String(kept);
  const loading = [];  // frame -> its Image, once asked for
  let index = 0, timer = null, playable = false, alive = true;
  function load(i) {
    if (!loading[i]) { loading[i] = new Image(); loading[i].src = frames[i]; }
    return loading[i];
  }
  function loaded(i) { const im = load(i); return im.complete && im.naturalWidth > 0; }
  function loadAll() { if (alive) { frames.forEach((_, i) => load(i)); playable = true; } }
  function loadRest() {
    if (!alive) return;
    if (!clip.bundle) return loadAll();
    fetch(clip.bundle.url).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(r.status))).then((buffer) => {
      if (!alive) return;
      let at = 0;
      clip.bundle.sizes.forEach((n, i) => {  // the first frame, shown already, keeps its address
        if (i > 0) {
          frames[i] = URL.createObjectURL(new Blob([new Uint8Array(buffer, at, n)], { type: "image/jpeg" }));
          blobs.push(frames[i]);
        }
        at += n;
      });
      loadAll();
    }).catch(loadAll);
  }
  function show(i) {
    index = Math.max(0, Math.min(frames.length - 1, i)); img.src = frames[index]; scrub.value = String(index);
    const box = boxed.has(index) ? " \u00b7 box" : " \u00b7 no box";
    label.textContent = "frame " + (index + 1) + "/" + frames.length + box;
  }
  function advance() {
    const next = (index + 1) % frames.length;
    if (playable && loaded(next)) show(next);
  }
  function start() {
    clearInterval(timer);
    timer = setInterval(advance, Math.max(20, delay / parseFloat(speed.value)));
    play.textContent = "Pause";
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; }
  function setSpeed(step) {
    const at = SPEEDS.indexOf(parseFloat(speed.value));
    speed.value = String(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, at + step))]);
    globalThis.__refcatSpeed = parseFloat(speed.value);
    if (timer) start();
  }
  play.onclick = () => (timer ? stop() : start());
  scrub.oninput = () => { stop(); show(parseInt(scrub.value, 10)); };
  speed.onchange = () => { globalThis.__refcatSpeed = parseFloat(speed.value); if (timer) start(); };
  const RUN = { toggle: () => (timer ? stop() : start()), back: () => { stop(); show(index - 1); },
                forward: () => { stop(); show(index + 1); }, slower: () => setSpeed(-1), faster: () => setSpeed(1) };
  img.addEventListener("load", loadRest, { once: true });
  show(0);
  if (frames.length > 1) start();
  return {
    run: (command) => RUN[command](),
    stop: () => {
      alive = false;
      stop();
      img.removeEventListener("load", loadRest);
      blobs.forEach((url) => URL.revokeObjectURL(url));
    },
  };
}
"""


def player_clip(
    key: str,
    frames: Sequence[str],
    boxed: set[int],
    fps: float,
    width: int,
    height: int,
    max_height: int = 480,
    *,
    bundle: tuple[str, Sequence[int]] | None = None,
) -> dict[str, Any]:
    """What `refcatPlayer` plays: the clip of instance `key` whose frames are at the addresses `frames`
    (URLs or data URIs), boxed on the frames `boxed`, at `fps`, `width` x `height` pixels, with the
    player's markup.

    The first frame is asked for at once. Once it has loaded, so are the others: from `bundle`
    when given, (address, the frames' lengths in bytes) of all frames one after the other, which
    the player cuts into blob URLs; else (or should the bundle fail) each from its address.
    Playing waits for them; a frame scrubbed to before they are in is asked for by its address.
    The browser answers an address it fetched before from its cache.

    The frame is scaled (CSS, up or down) to the full width of its column, keeping its aspect
    ratio (the img's width/height attributes give it before the first frame loads); a frame that
    would be taller than `max_height` pixels is letterboxed (`object-fit: contain`). Boxes are
    drawn into the frames, so they scale with them and stay aligned.
    """
    return {
        "key": key,
        "frames": list(frames),
        "boxed": sorted(boxed),
        "fps": fps,
        "width": width,
        "height": height,
        "speeds": list(SPEEDS),
        "bundle": None if bundle is None else {"url": bundle[0], "sizes": list(bundle[1])},
        "markup": _player_markup(max_height),
    }


def script_json(value: object) -> str:
    """`value` as JSON that can stand inside a <script> element: `<`, `>` and `&` escaped, so that no
    text (an instance key read from a file) can close the element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def player_html(clip: dict[str, Any]) -> str:
    """The player of `clip` (`player_clip`) as a document of its own, for an inline frame.

    The player keys (module doc) work on the page around the frame as well, and keys pressed
    while the frame has the focus are passed on to the page, so that the answer shortcuts keep
    working after the annotator clicked into the player.
    """
    return f"""<style>body{{margin:0}}</style>
<div id="root"></div>
<script>
{PLAYER_JS}
const player = refcatPlayer(document.getElementById("root"), {script_json(clip)});
const ACTIONS = {json.dumps(_PLAYER_ACTIONS)}, FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);
// The player keys, heard on the page around the frame (keys pressed in the frame are passed there below).
function onPageKey(e) {{
  if (!window.frameElement || !window.frameElement.isConnected) return;
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  const target = e.composedPath()[0];
  if (target && (FIELDS.has(target.tagName) || target.isContentEditable)) return;
  const action = ACTIONS[e.key];
  if (!action) return;
  e.preventDefault();
  player.run(action);
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
</script>"""


class ViewCache:
    """Builds and caches the `Clip`s of a store's objects and the `InstanceView`s of its instances; thread-safe.

    `roots` maps a dataset name (or None for any dataset) to its folder on disk. Frames wider
    than `max_width` are downscaled once, when decoded; the player scales them to the column's
    width, at most `max_height` pixels high. `frame_route` is the URL path under which the clip
    route serves the frames (set by clips.py when serve.py mounts it); None inlines them.
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
        clips: int = 16,
        instances: int = 32,
    ) -> None:
        self.store = store
        self.roots = roots
        self.max_width = max_width
        self.max_height = max_height
        self.quality = quality
        self.frame_route: str | None = None
        self._frames: LRU[tuple[str, str], list[np.ndarray]] = LRU(videos)
        self._clips: LRU[ClipId, Clip] = LRU(clips)
        self._views: LRU[str, InstanceView] = LRU(instances)
        self._readers: dict[str, DatasetReader] = {}
        self._lock = threading.Lock()
        self._building: dict[str, Future[InstanceView]] = {}
        self._jobs: dict[tuple[str, object], Future[Any]] = {}  # builds of frames and clips under way
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

    def _once(self, cache: LRU[K, V], kind: str, ident: K, make: Callable[[], V]) -> V:
        """`cache[ident]`, made by `make()` on a miss; callers asking for it while it is made wait for
        that one build (a prefetch and a page, or a page's frame requests, build a clip once)."""
        with self._lock:
            value = cache.get(ident)
            if value is not None:
                return value
            job = self._jobs.get((kind, ident))
            mine = job is None
            if job is None:
                job = self._jobs[(kind, ident)] = Future()
        if not mine:
            result: V = job.result()  # the job of (kind, ident) is a `make` of this cache
            return result
        try:
            value = make()
            with self._lock:
                cache.put(ident, value)
            job.set_result(value)
            return value
        except BaseException as exc:
            job.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._jobs.pop((kind, ident), None)

    def decoded(self, dataset: str, video_id: str, n_frames: int) -> list[np.ndarray]:
        """All frames of a video, downscaled to at most `max_width` wide; decoded once and cached."""
        return self._once(
            self._frames, "frames", (dataset, video_id), lambda: self._decode(dataset, video_id, n_frames)
        )

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

    def clip(self, dataset: str, video_id: str, object_id: int) -> Clip:
        """The clip of an object, built once and cached. The ids are checked against the store
        first: MissingDataError names a video or object it does not have."""
        ident = (dataset, video_id, object_id)
        return self._once(self._clips, "clip", ident, lambda: self._build_clip(dataset, video_id, object_id))

    def _build_clip(self, dataset: str, video_id: str, object_id: int) -> Clip:
        video = next((v for v in list_videos(self.store, dataset) if v.video_id == video_id), None)
        if video is None:
            raise MissingDataError(f"video {dataset}/{video_id} is not in the store")
        referent = next((o for o in list_objects(self.store, dataset, video_id) if o.object_id == object_id), None)
        if referent is None:
            raise MissingDataError(f"object {object_id} of video {dataset}/{video_id} is not in the store")
        frames = self.decoded(dataset, video_id, video.n_frames)
        sx, sy = (frames[0].shape[1] / video.width, frames[0].shape[0] / video.height) if frames else (1.0, 1.0)
        jpegs = []
        for index, frame in enumerate(frames):
            box = referent.boxes.get(index)
            if box is not None:
                frame = draw_box(frame, scaled_box(box, sx, sy), color=BOX_COLOUR, width=3)
            jpegs.append(_jpeg(frame, self.quality))
        height, width = frames[0].shape[:2] if frames else (0, 0)
        boxed = tuple(sorted(f for f in referent.boxes if f < len(frames)))
        fps = video.fps or DEFAULT_PLAY_FPS
        return Clip(dataset, video_id, object_id, width, height, fps, boxed, tuple(jpegs), clip_digest(jpegs))

    def build(self, key: str) -> InstanceView:
        """The view of an instance: its object's clip (cached) and the player. No caching of the result."""
        dataset, video_id, object_id, _source = parse_instance_key(key)
        clip = self.clip(dataset, video_id, object_id)
        route, bundle = self.frame_route, None
        if route is None:
            sources = [data_uri(jpeg) for jpeg in clip.jpegs]
        else:
            sources = [f"{route}/{clip.path(f'{index}.jpg')}" for index in range(len(clip.jpegs))]
            bundle = (f"{route}/{clip.path('frames')}", [len(jpeg) for jpeg in clip.jpegs])
        boxed = set(clip.boxed_frames)
        player = player_clip(key, sources, boxed, clip.fps, clip.width, clip.height, self.max_height, bundle=bundle)
        return InstanceView(key, clip, player)

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
            self._clips.clear()
            self._frames.clear()
