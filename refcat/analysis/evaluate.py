"""The per-sample table: predictions in DAVIS PNG layout scored against a dataset's masks.

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

import json
import logging
import math
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from refcat.analysis.metrics import (
    CONVENTIONS,
    DAVIS_BOUND_TH,
    boundary_f_measure,
    davis_statistics,
    intersection_union,
    iou_summary,
    region_similarity_from_counts,
)
from refcat.datasets.media import image_size, read_label_png
from refcat.datasets.records import DatasetReader, Instance
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


def prediction_path(pred_dir: str | Path, layout: str, instance: Instance, frame: int) -> Path:
    """Where the prediction of `instance` for `frame` lies in `layout`."""
    if layout == "expression":
        return Path(pred_dir) / instance.video_id / str(instance.object_id) / instance.source / f"{frame:05d}.png"
    if layout == "object":
        return Path(pred_dir) / instance.video_id / f"{frame:05d}.png"
    raise UsageError(f"unknown prediction layout {layout!r}", expected=" or ".join(LAYOUTS))


class _VideoScorer:
    """Scores the expressions of one video at a time; holds what a worker process needs."""

    def __init__(
        self, reader: DatasetReader, pred_dir: str | Path, layout: str, missing_as_empty: bool, bound_th: float
    ) -> None:
        if layout not in LAYOUTS:
            raise UsageError(f"unknown prediction layout {layout!r}", expected=" or ".join(LAYOUTS))
        self.reader = reader
        self.pred_dir = Path(pred_dir)
        self.layout = layout
        self.missing_as_empty = missing_as_empty
        self.bound_th = bound_th
        self._sizes: dict[str, tuple[int, int]] | None = None

    def _frame_shape(self, video_id: str, frame: int, gt, instances: list[Instance]) -> tuple[int, int]:
        """The ground truth's size; for a frame without any mask, the first prediction's, else the video's."""
        if gt.void is not None:
            return gt.void.shape
        if gt.masks:
            return next(iter(gt.masks.values())).shape
        for inst in instances:
            path = prediction_path(self.pred_dir, self.layout, inst, frame)
            if path.is_file():
                width, height = image_size(path)
                return height, width
        if self._sizes is None:
            self._sizes = {v.video_id: (v.height, v.width) for v in self.reader.videos()}
        return self._sizes[video_id]

    def _prediction(self, instance: Instance, frame: int, shape: tuple[int, int], cache: dict) -> np.ndarray | None:
        """The predicted mask, or None for a missing file when `missing_as_empty`."""
        path = prediction_path(self.pred_dir, self.layout, instance, frame)
        if path not in cache:
            if not path.is_file() and self.missing_as_empty:
                cache[path] = None
            else:
                values = read_label_png(path, frame=frame, allow_grayscale=True)
                if values.shape != shape:
                    raise FormatError(
                        f"prediction is {values.shape[1]}x{values.shape[0]}",
                        path=path,
                        frame=frame,
                        expected=f"{shape[1]}x{shape[0]}, the size of the ground truth",
                    )
                cache[path] = values
        values = cache[path]
        if values is None:
            return None
        return values == instance.object_id if self.layout == "object" else values != 0

    def score(self, video_id: str, instances: list[Instance]) -> pd.DataFrame:
        rows = []
        missing = 0
        for frame in self.reader.annotated_frames(video_id):
            gt = self.reader.object_masks(video_id, frame)
            shape = self._frame_shape(video_id, frame, gt, instances)
            cache: dict = {}
            for inst in instances:
                pred = self._prediction(inst, frame, shape, cache)
                if pred is None:
                    missing += 1
                    pred = np.zeros(shape, dtype=bool)
                mask = gt.masks.get(inst.object_id)
                present = mask is not None
                if not present:
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
    return _worker.score(*task)


def _by_video(instances: Iterable[Instance]) -> dict[str, list[Instance]]:
    groups: dict[str, list[Instance]] = {}
    for inst in instances:
        groups.setdefault(inst.video_id, []).append(inst)
    return groups


def iter_video_tables(
    pred_dir,
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
    pred_dir,
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
        _write_atomically(path, lambda tmp: table.to_parquet(tmp, index=False))
    else:
        _write_atomically(path, lambda tmp: table.to_csv(tmp, index=False))


def _write_atomically(path: Path, write) -> None:
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
    pred_dir,
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
    progress=None,
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
    tables = iter_video_tables(
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


# ----- summaries

DAVIS_STATS = ("J_mean", "J_recall", "J_decay", "F_mean", "F_recall", "F_decay")
# What the J/F columns average over: the headline ones follow the prediction layout's unit.
DAVIS_AVERAGE_NOTES = {
    "expression": "J/F mean, recall and decay of each expression over its frames, then the mean over expressions",
    "object": "DAVIS-2017: J/F mean, recall and decay of each object over its frames (one sequence per object; "
    "an object with several expressions counts the mean of its expressions' figures), then the mean "
    "over objects",
}


class DavisSummary(NamedTuple):
    """`davis_summary` result: a row per expression, a row per object, and the overall figures."""

    per_expression: pd.DataFrame
    per_object: pd.DataFrame
    overall: dict


def _statistics_row(group: pd.DataFrame) -> dict[str, float]:
    j, f = davis_statistics(group["J"].to_numpy()), davis_statistics(group["F"].to_numpy())
    return {
        "J_mean": j.mean,
        "J_recall": j.recall,
        "J_decay": j.decay,
        "F_mean": f.mean,
        "F_recall": f.recall,
        "F_decay": f.decay,
    }


def _means(rows: pd.DataFrame, prefix: str) -> dict[str, float]:
    """The mean of each statistic over `rows` (NaNs left out), and J&F mean = (J mean + F mean) / 2."""
    out = {}
    for col in DAVIS_STATS:
        values = rows[col].dropna()
        out[prefix + col] = float(values.mean()) if len(values) else math.nan
    out[prefix + "JF_mean"] = (out[prefix + "J_mean"] + out[prefix + "F_mean"]) / 2
    return out


def davis_summary(table: pd.DataFrame, *, drop_ends: bool = False, layout: str = "expression") -> DavisSummary:
    """DAVIS-2017 statistics (davis2017-evaluation `evaluation.py`, `utils.db_statistics`).

    - per expression: J/F mean, recall and decay over the expression's frames in order;
    - per object (dataset, video, object): the mean of its expressions' figures. With the
      object layout every expression of an object shares the object's mask, so this is
      exactly DAVIS's one J/F sequence per object;
    - overall: `expression_*` columns average over expressions, `object_*` over objects
      (DAVIS's J-Mean, J-Recall, ...); J&F mean = (J mean + F mean) / 2 in each. The
      headline `J_mean`... `JF_mean` are the `object_*` figures for the object layout (as
      DAVIS reports) and the `expression_*` ones for the expression layout; `davis_average`
      says which (`DAVIS_AVERAGE_NOTES`).

    Every annotated frame counts, the referent present or not, as in the DAVIS benchmark.
    `drop_ends` leaves out each expression's first and last frame, as the semi-supervised
    DAVIS evaluation does (the first mask is given there).
    """
    if layout not in LAYOUTS:
        raise UsageError(f"unknown prediction layout {layout!r}", expected=" or ".join(LAYOUTS))
    rows = []
    for key, group in table.sort_values("frame").groupby("instance_key", sort=True):
        first = group.iloc[0]
        if drop_ends:
            group = group.iloc[1:-1]
        rows.append(
            {
                "instance_key": key,
                "dataset": first["dataset"],
                "video_id": first["video_id"],
                "object_id": int(first["object_id"]),
                "source": first["source"],
                "frames": len(group),
                **_statistics_row(group),
            }
        )
    referent = ["dataset", "video_id", "object_id"]
    per_expression = pd.DataFrame(rows, columns=["instance_key", *referent, "source", "frames", *DAVIS_STATS])
    per_object = (
        per_expression.groupby(referent, sort=True)
        .agg(
            expressions=("instance_key", "size"),
            frames=("frames", "max"),
            **{col: (col, "mean") for col in DAVIS_STATS},
        )
        .reset_index()
    )
    overall = {"expressions": len(per_expression), "objects": len(per_object), "davis_average": layout}
    by_unit = {"expression": _means(per_expression, "expression_"), "object": _means(per_object, "object_")}
    overall.update({col: by_unit[layout][f"{layout}_{col}"] for col in (*DAVIS_STATS, "JF_mean")})
    overall.update(by_unit["expression"])
    overall.update(by_unit["object"])
    return DavisSummary(per_expression, per_object, overall)


def a2d_summary(table: pd.DataFrame, convention: str = "mttr") -> dict[str, float]:
    """Overall IoU, mean IoU and precision@0.5..0.9 of the table's samples under `convention`."""
    return iou_summary(table["I"].to_numpy(), table["U"].to_numpy(), table["gt_present"].to_numpy(), convention)


def summary_by_source(
    table: pd.DataFrame, convention: str = "mttr", *, drop_ends: bool = False, layout: str = "expression"
) -> pd.DataFrame:
    """One row per expression source and one for all: `davis_summary(...).overall` and the A2D IoU figures."""
    groups = [("all", table)] + [(source, group) for source, group in table.groupby("source", sort=True)]
    rows = []
    for name, group in groups:
        davis = davis_summary(group, drop_ends=drop_ends, layout=layout).overall
        rows.append({"source": name, **davis, **a2d_summary(group, convention)})
    return pd.DataFrame(rows).set_index("source")


def summary_path(output: str | Path) -> Path:
    """Where `refcat evaluate` writes the summary of the table at `output`: `<stem>_summary.json` beside it."""
    output = Path(output)
    return output.with_name(f"{output.stem}_summary.json")


def _json_value(value):
    """NaN -> None, numpy scalars -> Python numbers, for `json.dumps`."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def summary_document(
    table: pd.DataFrame, convention: str = "mttr", *, layout: str = "expression", drop_ends: bool = False
) -> dict:
    """The summary of a per-sample table as one JSON-ready object (NaN as null):
    `by_source` (`summary_by_source`, keyed by source, "all" first), `per_object` and
    `per_expression` (`davis_summary` rows), the settings, and `notes` saying what the
    headline and prefixed J/F columns average over."""
    by_source = summary_by_source(table, convention, drop_ends=drop_ends, layout=layout)
    davis = davis_summary(table, drop_ends=drop_ends, layout=layout)
    return {
        "layout": layout,
        "convention": convention,
        "drop_ends": drop_ends,
        "davis_average": layout,
        "notes": {
            "J_mean..JF_mean": DAVIS_AVERAGE_NOTES[layout],
            **{f"{unit}_J_mean..{unit}_JF_mean": note for unit, note in DAVIS_AVERAGE_NOTES.items()},
            "iou": CONVENTIONS[convention],
        },
        "by_source": {
            name: {k: _json_value(v) for k, v in row.items()} for name, row in by_source.to_dict(orient="index").items()
        },
        "per_object": _records(davis.per_object),
        "per_expression": _records(davis.per_expression),
    }


def write_summary(document: dict, path: str | Path) -> None:
    """Write `summary_document` output as indented JSON, atomically (temporary file, then rename)."""
    text = json.dumps(document, indent=2) + "\n"
    _write_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
