"""Per-sample scoring: predictions in DAVIS PNG layout scored against a dataset's masks, one row
per expression x annotated frame (the per-sample table). Its summaries are in `summaries`.

Predictions (the shared contract), frame files `%05d.png` named by the 0-based frame index:
- expression layout: `PRED/<video_id>/<object_id>/<source>/<frame>.png`, mode L or P,
  nonzero = referent; one folder per expression.
- object layout: `PRED/<video_id>/<frame>.png`, a palette PNG whose value is the object id
  (as DAVIS results); every expression of an object shares its mask.

The per-sample table has one row per expression x annotated frame with the columns
`COLUMNS`: I and U are pixel counts with void pixels excluded, J is DAVIS region
similarity (empty vs empty = 1) and F the DAVIS boundary measure (`metrics`). Frames where
the referent is absent are kept (`gt_present` False, ground truth empty), so that each
convention can decide what to do with them.

`evaluate_to_file` resumes: a video whose expressions are all in an existing output is not
evaluated again, and the output is rewritten (atomically) at checkpoints, so an interrupted
run loses at most the videos since the last checkpoint.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from refcat.analysis.metrics import (
    DAVIS_BOUND_TH,
    boundary_f_measure,
    intersection_union,
    region_similarity_from_counts,
)
from refcat.datasets.media import image_size, read_label_png
from refcat.datasets.records import DatasetReader, Instance, ObjectMasks
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
        self, reader: DatasetReader, pred_dir: str | Path, layout: str, missing_as_empty: bool, bound_th: float
    ) -> None:
        check_layout(layout)
        self.reader = reader
        self.pred_dir = Path(pred_dir)
        self.layout = layout
        self.missing_as_empty = missing_as_empty
        self.bound_th = bound_th
        self._sizes: dict[str, tuple[int, int]] | None = None

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

    def _prediction(
        self, instance: Instance, frame: int, shape: tuple[int, int], cache: dict[Path, _Frame]
    ) -> npt.NDArray[np.bool_] | None:
        """The predicted mask, or None for a missing file when `missing_as_empty`."""
        path = prediction_path(self.pred_dir, self.layout, instance, frame)
        if path not in cache:
            if not path.is_file() and self.missing_as_empty:
                cache[path] = None
            else:
                png = read_label_png(path, frame=frame, allow_grayscale=True)
                if png.shape != shape:
                    raise FormatError(
                        f"prediction is {png.shape[1]}x{png.shape[0]}",
                        path=path,
                        frame=frame,
                        expected=f"{shape[1]}x{shape[0]}, the size of the ground truth",
                    )
                cache[path] = png
        values = cache[path]
        if values is None:
            return None
        mask: npt.NDArray[np.bool_] = values == instance.object_id if self.layout == "object" else values != 0
        return mask

    def score(self, video_id: str, instances: list[Instance]) -> pd.DataFrame:
        """The per-sample rows of `instances`, all of video `video_id`, in frame then instance order."""
        rows = []
        missing = 0
        for frame in self.reader.annotated_frames(video_id):
            gt = self.reader.object_masks(video_id, frame)
            shape = self._frame_shape(video_id, frame, gt, instances)
            cache: dict[Path, _Frame] = {}
            for inst in instances:
                pred = self._prediction(inst, frame, shape, cache)
                if pred is None:
                    missing += 1
                    pred = np.zeros(shape, dtype=bool)
                mask = gt.masks.get(inst.object_id)
                present = mask is not None
                if mask is None:
                    mask = np.zeros(shape, dtype=bool)
                inter, union = intersection_union(pred, mask, gt.void)
                rows.append(
                    (
                        inst.key,
                        inst.dataset,
                        video_id,
                        inst.object_id,
                        inst.source,
                        frame,
                        present,
                        inter,
                        union,
                        region_similarity_from_counts(inter, union),
                        boundary_f_measure(pred, mask, gt.void, self.bound_th),
                    )
                )
        if missing:
            log.warning("%s: %d missing prediction frames scored as empty masks", video_id, missing)
        return _typed(pd.DataFrame(rows, columns=list(COLUMNS)))


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
) -> Iterator[pd.DataFrame]:
    """The per-sample rows of each video in turn; `processes` > 1 scores videos in worker processes.

    Workers are forked where the platform can fork (they inherit the reader as it is);
    elsewhere they are spawned and receive a pickled copy of the reader.
    """
    scorer = _VideoScorer(reader, pred_dir, layout, missing_as_empty, bound_th)
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
) -> pd.DataFrame:
    """One row per expression x annotated frame (`COLUMNS`), sorted by video, object, source, frame.

    A missing prediction file raises MissingDataError unless `missing_as_empty`, which
    scores it as an empty mask. A prediction whose size differs from the ground truth
    raises FormatError.
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
        pred_dir, reader, todo, layout, processes=processes, missing_as_empty=missing_as_empty, bound_th=bound_th
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
