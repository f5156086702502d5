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

The claim semantics are in `refcat.demo.expressions`.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from refcat.datasets.records import Instance
from refcat.demo import scene
from refcat.demo.davis_layout import TOP_LEVEL, SequenceWriter, write_index_files
from refcat.demo.expressions import THRESHOLDS, Expression, Track, describe_video
from refcat.demo.render import Renderer, mask_box
from refcat.errors import FormatError, MissingDataError, UsageError

log = logging.getLogger(__name__)

DEMO_SCENE_FILE = "demo_scene.json"
COMPLETE_MARKER = ".complete"
SCENE_VERSION = 1
# What the writer creates (and removes first when it rewrites a demo folder); nothing else is touched.
WRITTEN = (COMPLETE_MARKER, *TOP_LEVEL, DEMO_SCENE_FILE)
MAX_PLAN_TRIES = 50


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
    out_dir: str | Path,
    seed: int = 0,
    n_videos: int = 12,
    min_frames: int = 30,
    max_frames: int = 50,
    width: int = 854,
    height: int = 480,
    val_round: int | None = None,
) -> Path:
    """Write the demo dataset to `out_dir` (replacing an earlier demo dataset there) and return its path.

    Past 12 videos the templates come round again (`scene.plan_videos`: new colours and
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
            expected=(
                f"n_videos >= 1, 1 <= min_frames <= max_frames, width >= 64, height >= 48, val round in 1..{rounds}"
            ),
        )
    out = prepare_folder(out_dir)
    videos: dict[str, dict[str, object]] = {}
    written: list[tuple[scene.VideoPlan, list[Expression]]] = []
    for candidates in scene.plan_videos(seed, n_videos, min_frames, max_frames, width, height, val_round):
        plan = _first_visible(candidates)
        log.info("demo video %s: %d frames, %d objects", plan.name, plan.n_frames, len(plan.objects))
        tracks = _render_video(plan, out)
        expressions = describe_video(plan, tracks)
        written.append((plan, expressions))
        videos[plan.name] = video_record(plan, tracks, expressions)
    record = {
        "version": SCENE_VERSION,
        "seed": seed,
        "width": width,
        "height": height,
        "thresholds": THRESHOLDS,
        "videos": videos,
    }
    finish_folder(out, written, record, f"refcat demo dataset, seed {seed}")
    return out


def prepare_folder(out_dir: str | Path) -> Path:
    """Check that `out_dir` may be written (`_check_target`) and remove what an earlier demo left there (WRITTEN)."""
    out = Path(out_dir)
    _check_target(out)
    for name in WRITTEN:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return out


def finish_folder(
    out: Path,
    written: Sequence[tuple[scene.VideoPlan, Sequence[Expression]]],
    record: Mapping[str, object],
    marker: str,
) -> None:
    """Write the index files of the `written` videos (split lists, object classes and RE files, in their order),
    the scene record and, last, the `.complete` marker holding the line `marker`."""
    splits = {plan.name: plan.split for plan, _ in written}
    classes = {plan.name: {obj.object_id: obj.cls for obj in plan.objects} for plan, _ in written}
    instances = [
        Instance("demo", plan.name, e["object_id"], e["source"], e["text"])
        for plan, expressions in written
        for e in expressions
    ]
    write_index_files(out, splits, classes, instances)
    (out / DEMO_SCENE_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (out / COMPLETE_MARKER).write_text(marker + "\n", encoding="utf-8")


def _first_visible(candidates: Iterator[scene.VideoPlan]) -> scene.VideoPlan:
    """The first candidate plan in which every object shows at least half of itself in frame 0."""
    for _, plan in zip(range(MAX_PLAN_TRIES), candidates):
        renderer = Renderer(plan, None)
        _, labels, _ = renderer.frame(0)
        if all((labels == obj.object_id).sum() >= 0.5 * renderer.full_area(obj, 0) > 0 for obj in plan.objects):
            return plan
    raise UsageError(
        f"could not place the objects of {plan.name} visibly at {plan.width}x{plan.height}",
        expected="a larger frame size",
    )


def _render_video(plan: scene.VideoPlan, out: Path) -> list[Track]:
    """Draw and write the frames and masks of one video; returns its objects' measured boxes and areas."""
    renderer = Renderer(plan, np.random.default_rng([plan.seed[0], plan.seed[1], 1]))
    writer = SequenceWriter(out, plan.name)
    tracks = [Track(obj, []) for obj in plan.objects]
    for index in range(plan.n_frames):
        image, labels, windows = renderer.frame(index)
        writer.write(index, image, labels)
        for track in tracks:
            box, area = mask_box(labels, track.object_id, windows.get(track.object_id))
            track.boxes.append(box)
            track.areas.append(area)
    return tracks


def video_record(plan: scene.VideoPlan, tracks: list[Track], expressions: list[Expression]) -> dict[str, object]:
    """One video's entry of `demo_scene.json` (the schema above)."""
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


def read_scene(root: str | Path) -> dict[str, Any]:
    """The scene ground truth of a demo dataset (`<root>/demo_scene.json`), as JSON values."""
    path = Path(root) / DEMO_SCENE_FILE
    if not path.is_file():
        raise MissingDataError("no demo scene file", path=path, expected="a folder written by `refcat demo-data`")
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"not valid JSON: {exc}", path=path, expected="the demo scene JSON") from exc
    if record.get("version") != SCENE_VERSION:
        raise FormatError(f"scene version {record.get('version')!r}", path=path, expected=f"version {SCENE_VERSION}")
    return record
