"""Per-sample scoring: predictions in DAVIS PNG layout scored against a dataset's masks, one row
per expression x annotated frame (the per-sample table). Its summaries are in `summaries`.

Predictions (the shared contract), frame files `%05d.png` named by the 0-based frame index:
- expression layout: `PRED/<video_id>/<object_id>/<source>/<frame>.png`, mode L or P,
  nonzero = referent; one folder per expression.
- object layout: `PRED/<video_id>/<frame>.png`, a palette (or grayscale) PNG whose value is
  the object id (combined label maps, as DAVIS results); every expression of an object shares
  its mask, and its scores are computed once.

The per-sample table has one row per expression x annotated frame with the columns
`COLUMNS`: I and U are pixel counts (void pixels excluded unless a protocol keeps them), J is DAVIS region
similarity (empty vs empty = 1) and F the DAVIS boundary measure (`metrics`). Frames where
the referent is absent are kept (`gt_present` False, ground truth empty), so that each
convention can decide what to do with them.

`Scoring` holds the choices a named evaluation protocol makes (`protocols`): void pixels kept
as background, each video's first and last annotated frame left out, the official stop on
predicted ids that do not match the objects, and the matching of unsupervised proposals to
objects. A reader may refer one expression to several objects (MeViS): when it offers
`target_ids(instance)` (`TargetReader`) the ground truth is the union of those objects' masks.

`evaluate_to_file` resumes: a video whose expressions are all in an existing output is not
evaluated again, and the output is rewritten (atomically) at checkpoints, so an interrupted
run loses at most the videos since the last checkpoint.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import linear_sum_assignment

from refcat.analysis.metrics import DAVIS_BOUND_TH, RegionBoundary, region_and_boundary
from refcat.datasets.media import image_size, read_label_png
from refcat.datasets.records import DatasetReader, Instance, Mask, ObjectMasks
from refcat.errors import FormatError, MissingDataError, UsageError

log = logging.getLogger(__name__)

COLUMNS = ("instance_key", "dataset", "video_id", "object_id", "source", "frame", "gt_present", "I", "U", "J", "F")
DTYPES = {
    "instance_key": str,
    "dataset": str,
    "video_id": str,
    "object_id": "int64",
    "source": str,
    "frame": "int64",
    "gt_present": bool,
    "I": "int64",
    "U": "int64",
    "J": "float64",
    "F": "float64",
}
LAYOUTS = ("expression", "object")
TABLE_SUFFIXES = (".parquet", ".csv")
# A prediction frame as read: the PNG's values (uint8), or None for a missing file scored as empty.
_Frame = npt.NDArray[np.uint8] | None


@dataclass(frozen=True)
class Scoring:
    """How rows are scored; the defaults are refcat's own (void excluded, every annotated frame).

    - `exclude_void`: void pixels (DAVIS 255) are left out of J and F; else they count as background.
    - `drop_ends`: each video's first and last annotated frame are neither read nor scored.
    - `ids_must_match` (object layout): the largest id in a video's scored prediction frames must be the
      largest requested object id (the official semi-supervised DAVIS stop), else FormatError.
    - `max_proposals` (object layout): predicted ids are proposals, matched one to one to the requested
      objects with the Hungarian algorithm on mean J&F per pair (the official unsupervised DAVIS
      evaluation; at most this many ids). The rows of each object are those of its proposal, and their
      source names it: `proposal<id>`.
    """

    exclude_void: bool = True
    drop_ends: bool = False
    ids_must_match: bool = False
    max_proposals: int | None = None


@runtime_checkable
class TargetReader(Protocol):
    """A reader whose expressions may refer to several objects at once (MeViS)."""

    def target_ids(self, instance: Instance) -> Sequence[int]:
        """The ids of the objects the expression refers to; its ground truth is the union of their masks."""
        ...


PROPOSAL = "proposal"


def proposal_source(proposal: int) -> str:
    """The source of the rows scored against unsupervised proposal `proposal` (`Scoring.max_proposals`)."""
    return f"{PROPOSAL}{proposal}"


def proposal_id(source: str) -> int | None:
    """The proposal a `proposal_source` names, else None."""
    number = source.removeprefix(PROPOSAL)
    return int(number) if source.startswith(PROPOSAL) and number.isdecimal() else None


def check_layout(layout: str) -> None:
    """Raise UsageError unless `layout` is one of `LAYOUTS`."""
    if layout not in LAYOUTS:
        raise UsageError(f"unknown prediction layout {layout!r}", expected=" or ".join(LAYOUTS))


def prediction_path(pred_dir: str | Path, layout: str, instance: Instance, frame: int) -> Path:
    """Where the prediction of `instance` for `frame` lies in `layout`."""
    check_layout(layout)
    if layout == "expression":
        return Path(pred_dir) / instance.video_id / str(instance.object_id) / instance.source / f"{frame:05d}.png"
    return Path(pred_dir) / instance.video_id / f"{frame:05d}.png"


def _shape(array: npt.NDArray[np.generic]) -> tuple[int, int]:
    """(height, width) of a 2-D array."""
    height, width = array.shape
    return int(height), int(width)


class _VideoScorer:
    """Scores the expressions of one video at a time; holds what a worker process needs."""

    def __init__(
        self,
        reader: DatasetReader,
        pred_dir: str | Path,
        layout: str,
        missing_as_empty: bool,
        bound_th: float,
        scoring: Scoring,
    ) -> None:
        check_layout(layout)
        if (scoring.ids_must_match or scoring.max_proposals is not None) and layout != "object":
            raise UsageError("matching predicted ids to objects needs combined label maps", expected="layout 'object'")
        self.reader = reader
        self.pred_dir = Path(pred_dir)
        self.layout = layout
        self.missing_as_empty = missing_as_empty
        self.bound_th = bound_th
        self.scoring = scoring
        self._sizes: dict[str, tuple[int, int]] | None = None

    def _frames(self, video_id: str) -> list[int]:
        frames = self.reader.annotated_frames(video_id)
        return frames[1:-1] if self.scoring.drop_ends else frames

    def _frame_shape(self, video_id: str, frame: int, gt: ObjectMasks, instances: list[Instance]) -> tuple[int, int]:
        """The ground truth's size; for a frame without any mask, the first prediction's, else the video's."""
        if gt.void is not None:
            return _shape(gt.void)
        if gt.masks:
            return _shape(next(iter(gt.masks.values())))
        for inst in instances:
            path = prediction_path(self.pred_dir, self.layout, inst, frame)
            if path.is_file():
                width, height = image_size(path)
                return height, width
        if self._sizes is None:
            self._sizes = {v.video_id: (v.height, v.width) for v in self.reader.videos()}
        return self._sizes[video_id]

    def _read(self, instance: Instance, frame: int, shape: tuple[int, int], cache: dict[Path, _Frame]) -> _Frame:
        """The prediction file's values (read once per file), or None for a missing file when `missing_as_empty`."""
        path = prediction_path(self.pred_dir, self.layout, instance, frame)
        if path not in cache:
            if not path.is_file() and self.missing_as_empty:
                cache[path] = None
            else:
                if not path.is_file():
                    self._refuse_other_layout(path, instance, frame)
                png = read_label_png(path, frame=frame, allow_grayscale=True)
                if png.shape != shape:
                    raise FormatError(
                        f"prediction is {png.shape[1]}x{png.shape[0]}",
                        path=path,
                        frame=frame,
                        expected=f"{shape[1]}x{shape[0]}, the size of the ground truth",
                    )
                cache[path] = png
        return cache[path]

    def _refuse_other_layout(self, path: Path, instance: Instance, frame: int) -> None:
        """A missing expression-layout file where the video's folder holds combined label maps instead
        (`PRED/<video>/<frame>.png`, the official DAVIS results layout): say so."""
        if self.layout == "object":
            return
        combined = next((self.pred_dir / instance.video_id).glob("*.png"), None)
        if combined is not None:
            raise MissingDataError(
                f"prediction not found, but the folder holds combined label maps ({combined.name}: one PNG a "
                "frame, pixel value = object id)",
                path=path,
                frame=frame,
                expected="the object layout for such predictions: `refcat evaluate --layout object`, or a DAVIS "
                "protocol (`--protocol davis17-semi`)",
            )

    def _prediction(
        self, instance: Instance, frame: int, shape: tuple[int, int], cache: dict[Path, _Frame]
    ) -> Mask | None:
        """The predicted mask, or None for a missing file when `missing_as_empty`."""
        values = self._read(instance, frame, shape, cache)
        if values is None:
            return None
        mask: Mask = values == instance.object_id if self.layout == "object" else values != 0
        return mask

    def _target_ids(self, instance: Instance) -> tuple[int, ...]:
        if isinstance(self.reader, TargetReader):
            return tuple(self.reader.target_ids(instance))
        return (instance.object_id,)

    @staticmethod
    def _target(ids: tuple[int, ...], gt: ObjectMasks, shape: tuple[int, int]) -> tuple[Mask, bool]:
        """The ground truth of an expression referring to `ids` (their union) and whether any is present."""
        masks = [gt.masks[i] for i in ids if i in gt.masks]
        if not masks:
            return np.zeros(shape, dtype=bool), False
        union: Mask = masks[0] if len(masks) == 1 else np.logical_or.reduce(masks)
        return union, True

    def score(self, video_id: str, instances: list[Instance]) -> pd.DataFrame:
        """The per-sample rows of `instances`, all of video `video_id`, in frame then instance order."""
        if self.scoring.max_proposals is not None:
            return self._score_proposals(video_id, instances)
        targets = [self._target_ids(inst) for inst in instances]
        rows = []
        missing = 0
        largest = 0
        for frame in self._frames(video_id):
            gt = self.reader.object_masks(video_id, frame)
            void = gt.void if self.scoring.exclude_void else None
            shape = self._frame_shape(video_id, frame, gt, instances)
            cache: dict[Path, _Frame] = {}
            # object layout: expressions of one object share its predicted mask, so its scores too
            shared: dict[tuple[int, tuple[int, ...]], tuple[bool, RegionBoundary, bool]] = {}
            for inst, ids in zip(instances, targets):
                key = (inst.object_id, ids)
                scored = shared.get(key) if self.layout == "object" else None
                if scored is None:
                    pred = self._prediction(inst, frame, shape, cache)
                    mask, present = self._target(ids, gt, shape)
                    empty = np.zeros(shape, dtype=bool) if pred is None else pred
                    scored = present, region_and_boundary(empty, mask, void, self.bound_th), pred is None
                    shared[key] = scored
                present, result, was_missing = scored
                missing += was_missing
                rows.append(_row(inst, video_id, frame, present, result))
            if self.scoring.ids_must_match:
                largest = max([largest] + [int(v.max()) for v in cache.values() if v is not None])
        if missing:
            log.warning("%s: %d missing prediction frames scored as empty masks", video_id, missing)
        if self.scoring.ids_must_match:
            self._check_ids(video_id, instances, largest)
        return _typed(pd.DataFrame(rows, columns=list(COLUMNS)))

    def _check_ids(self, video_id: str, instances: list[Instance], largest: int) -> None:
        objects = max(inst.object_id for inst in instances)
        if largest != objects:
            raise FormatError(
                f"the largest object id in the scored prediction frames is {largest}, but the sequence has "
                f"{objects} objects",
                path=self.pred_dir / video_id,
                expected=f"combined label maps with the ids 1..{objects} (the official DAVIS evaluation stops here)",
            )

    def _score_proposals(self, video_id: str, instances: list[Instance]) -> pd.DataFrame:
        """`Scoring.max_proposals`: every proposal against every object on every frame, then the matching."""
        limit = self.scoring.max_proposals
        objects = sorted({inst.object_id for inst in instances})
        by_object = {inst.object_id: inst for inst in instances}
        frames = self._frames(video_id)
        truths, predictions = [], []
        for frame in frames:
            gt = self.reader.object_masks(video_id, frame)
            shape = self._frame_shape(video_id, frame, gt, instances)
            values = self._read(instances[0], frame, shape, {})
            truths.append((gt, shape))
            predictions.append(np.zeros(shape, dtype=np.uint8) if values is None else values)
        found = max((int(v.max()) for v in predictions), default=0)
        if limit is not None and found > limit:
            raise FormatError(
                f"the predictions hold proposal id {found}",
                path=self.pred_dir / video_id,
                expected=f"at most {limit} proposals (the official unsupervised DAVIS evaluation stops here)",
            )
        n = max(found, len(objects))  # missing proposals are empty masks, as in the official code
        scores: dict[tuple[int, int, int], RegionBoundary] = {}  # (proposal index, object index, frame index)
        j, f = np.zeros((n, len(objects), len(frames))), np.zeros((n, len(objects), len(frames)))
        for k, ((gt, shape), values) in enumerate(zip(truths, predictions)):
            void = gt.void if self.scoring.exclude_void else None
            for o, object_id in enumerate(objects):
                mask, _ = self._target((object_id,), gt, shape)
                for proposal in range(n):
                    result = region_and_boundary(values == proposal + 1, mask, void, self.bound_th)
                    scores[proposal, o, k] = result
                    j[proposal, o, k], f[proposal, o, k] = result.j, result.f
        # the official cost: mean J and mean F over the frames of each pair, as (J + F) / 2, maximised
        proposals, matched = linear_sum_assignment(-((j.mean(axis=2) + f.mean(axis=2)) / 2))
        rows = []
        for proposal, o in zip(proposals.tolist(), matched.tolist()):
            inst = by_object[objects[o]]
            source = proposal_source(proposal + 1)
            row_inst = Instance(inst.dataset, video_id, inst.object_id, source, inst.text)
            for k, frame in enumerate(frames):
                present = objects[o] in truths[k][0].masks
                rows.append(_row(row_inst, video_id, frame, present, scores[proposal, o, k]))
        return _typed(pd.DataFrame(rows, columns=list(COLUMNS)))


def _row(
    inst: Instance, video_id: str, frame: int, present: bool, result: RegionBoundary
) -> tuple[str, str, str, int, str, int, bool, int, int, float, float]:
    return (
        inst.key,
        inst.dataset,
        video_id,
        inst.object_id,
        inst.source,
        frame,
        present,
        result.inter,
        result.union,
        result.j,
        result.f,
    )


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype(DTYPES)


_worker: _VideoScorer | None = None


def _init_worker(scorer: _VideoScorer) -> None:
    global _worker
    _worker = scorer


def _score_in_worker(task: tuple[str, list[Instance]]) -> pd.DataFrame:
    if _worker is None:
        raise RuntimeError("the worker process was started without `_init_worker`")
    return _worker.score(*task)


def _by_video(instances: Iterable[Instance]) -> dict[str, list[Instance]]:
    groups: dict[str, list[Instance]] = {}
    for inst in instances:
        groups.setdefault(inst.video_id, []).append(inst)
    return groups


def iter_video_tables(
    pred_dir: str | Path,
    reader: DatasetReader,
    instances: Iterable[Instance],
    layout: str = "expression",
    *,
    processes: int = 1,
    missing_as_empty: bool = False,
    bound_th: float = DAVIS_BOUND_TH,
    scoring: Scoring | None = None,
) -> Iterator[pd.DataFrame]:
    """The per-sample rows of each video in turn; `processes` > 1 scores videos in worker processes.

    Workers are forked where the platform can fork (they inherit the reader as it is);
    elsewhere they are spawned and receive a pickled copy of the reader.
    """
    scorer = _VideoScorer(reader, pred_dir, layout, missing_as_empty, bound_th, scoring or Scoring())
    tasks = list(_by_video(instances).items())
    if processes <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield scorer.score(*task)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(
        max_workers=min(processes, len(tasks)), mp_context=context, initializer=_init_worker, initargs=(scorer,)
    ) as pool:
        yield from pool.map(_score_in_worker, tasks)


def per_sample_table(
    pred_dir: str | Path,
    reader: DatasetReader,
    instances: Iterable[Instance],
    layout: str = "expression",
    *,
    processes: int = 1,
    missing_as_empty: bool = False,
    bound_th: float = DAVIS_BOUND_TH,
    scoring: Scoring | None = None,
) -> pd.DataFrame:
    """One row per expression x annotated frame (`COLUMNS`), sorted by video, object, source, frame.

    A missing prediction file raises MissingDataError unless `missing_as_empty`, which
    scores it as an empty mask. A prediction whose size differs from the ground truth
    raises FormatError. `scoring` holds a protocol's choices (`Scoring`).
    """
    parts = list(
        iter_video_tables(
            pred_dir,
            reader,
            instances,
            layout,
            processes=processes,
            missing_as_empty=missing_as_empty,
            bound_th=bound_th,
            scoring=scoring,
        )
    )
    return _sorted(parts)


def _sorted(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _typed(pd.DataFrame(columns=list(COLUMNS)))
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["video_id", "object_id", "source", "frame"], ignore_index=True)


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise UsageError(f"cannot tell the table format of {path}", expected=" or ".join(TABLE_SUFFIXES))
    return suffix


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a per-sample table as Parquet or CSV (by suffix), atomically (temporary file, then rename)."""
    path = Path(path)
    if _check_suffix(path) == ".parquet":
        write_atomically(path, lambda tmp: table.to_parquet(tmp, index=False))
    else:
        write_atomically(path, lambda tmp: table.to_csv(tmp, index=False))


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` to a temporary file beside `path`, then rename it to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a per-sample table written by `write_table` (or any file with the same columns)."""
    path = Path(path)
    suffix = _check_suffix(path)
    if not path.is_file():
        raise MissingDataError("per-sample table not found", path=path)
    if suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, dtype={k: str for k, v in DTYPES.items() if v is str}, keep_default_na=False)
    absent = [c for c in COLUMNS if c not in table.columns]
    if absent:
        raise FormatError(f"missing columns {', '.join(absent)}", path=path, expected=", ".join(COLUMNS))
    try:
        return _typed(table[list(COLUMNS)])
    except (ValueError, TypeError) as exc:
        raise FormatError(f"bad values ({exc})", path=path, expected="the per-sample table's column types") from exc


def evaluate_to_file(
    pred_dir: str | Path,
    reader: DatasetReader,
    instances: Iterable[Instance],
    output: str | Path,
    layout: str = "expression",
    *,
    processes: int = 1,
    missing_as_empty: bool = False,
    bound_th: float = DAVIS_BOUND_TH,
    scoring: Scoring | None = None,
    restart: bool = False,
    checkpoint_seconds: float = 60.0,
    progress: Callable[..., Iterable[pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """`per_sample_table` written to `output`, resuming from what an earlier run wrote there.

    A video is skipped when the existing output holds rows for every one of its requested
    expressions; other videos are evaluated again from scratch. The output keeps only the
    requested expressions. `restart` ignores an existing output. `progress` wraps the
    iterator over videos (e.g. a tqdm factory taking `total=`).
    """
    output = Path(output)
    _check_suffix(output)
    groups = _by_video(instances)
    kept: list[pd.DataFrame] = []
    if output.exists() and not restart:
        existing = read_table(output)
        for video_id, keys in existing.groupby("video_id")["instance_key"]:
            wanted = {inst.key for inst in groups.get(video_id, [])}
            if wanted and wanted <= set(keys):
                kept.append(existing[(existing.video_id == video_id) & existing.instance_key.isin(wanted)])
                del groups[video_id]
        log.info("%s: %d videos already evaluated, %d to go", output, len(kept), len(groups))
    todo = [inst for group in groups.values() for inst in group]
    tables: Iterable[pd.DataFrame] = iter_video_tables(
        pred_dir,
        reader,
        todo,
        layout,
        processes=processes,
        missing_as_empty=missing_as_empty,
        bound_th=bound_th,
        scoring=scoring,
    )
    if progress is not None:
        tables = progress(tables, total=len(groups))
    parts = list(kept)
    last = time.monotonic()
    for table in tables:
        parts.append(table)
        if time.monotonic() - last >= checkpoint_seconds:
            write_table(_sorted(parts), output)
            last = time.monotonic()
    result = _sorted(parts)
    write_table(result, output)
    return result
