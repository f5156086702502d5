"""Named evaluation protocols: each reproduces one official evaluation, number for number.

A protocol fixes what a per-sample table is scored from and how (`per_sample.Scoring`), which
rows it holds, and which figures summarise it:

- `davis17-semi` mirrors davis2017-evaluation's semi-supervised task (`evaluation_method.py
  --task semi-supervised`, `DAVISEvaluation._evaluate_semisupervised`): combined label maps
  (`PRED/<seq>/<frame>.png`, pixel value = object id), scored for every object 1..N of every
  sequence of the split, N the largest id in the sequence's first mask; the first and last
  frame of each sequence are left out; void pixels are NOT excluded (the official code zeroes
  label 255 before it looks for void, so void counts as background); a sequence whose largest
  predicted id (over the scored frames) is not N stops the evaluation, as the official code
  does. Per object: J and F mean, recall and decay (`metrics.davis_statistics`); global: the
  means over objects, and J&F = (J-Mean + F-Mean) / 2.
- `davis17-unsup` mirrors its unsupervised task (`_evaluate_unsupervised`): the masks of
  `Annotations_unsupervised`, every frame, void NOT excluded either (the same zeroing), at most
  20 proposal ids; proposals (padded with empty ones up to N) are matched to objects with the
  Hungarian algorithm (scipy `linear_sum_assignment`) maximising (mean J + mean F) / 2 per pair.
  The official per-sequence file numbers a sequence's rows by the matched pairs in proposal
  order, and so does refcat's; the per-sample table names each object's proposal in `source`.
- `a2d-mttr` and `a2d-refvos`: the two A2D Sentences IoU conventions in public code
  (`metrics.CONVENTIONS`): overall IoU, mean IoU and precision@0.5..0.9, per expression x
  annotated frame.
- `refytvos` and `mevis`: J&F per expression, as MeViS's public evaluation script computes it
  (`tools/eval_mevis.py`): per expression, J and F averaged over every annotated frame of its
  video (no frame left out, no void), then J and F averaged over expressions, J&F = (J + F) / 2.
  A MeViS expression that refers to several objects is scored against the union of their masks
  (a reader offering `target_ids`). Ref-YouTube-VOS's valid split is scored by its evaluation
  server, whose code is not public; `refytvos` applies the same per-expression J&F to the
  annotated frames (every fifth) of a split with masks. One difference remains: the MeViS
  script scores an expression whose video folder is missing as J = F = 0, refcat stops on the
  missing file (or scores empty masks with `missing_as_empty`).

Every DAVIS protocol also writes the official result files beside the per-sample table
(`DavisResults.write`): `global_results-<split>.csv` (`J&F-Mean,J-Mean,J-Recall,J-Decay,
F-Mean,F-Recall,F-Decay`) and `per-sequence_results-<split>.csv` (`Sequence,J-Mean,F-Mean`,
sequences named `<seq>_<n>`), numbers written with pandas' `float_format="%.3f"` as the
official `evaluation_method.py` writes them, so that the files can be diffed with its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from refcat.analysis.metrics import CONVENTIONS, davis_statistics
from refcat.analysis.per_sample import Scoring, proposal_id, write_atomically
from refcat.analysis.summaries import a2d_summary, davis_summary
from refcat.datasets.records import DatasetReader, Instance
from refcat.errors import MissingDataError, UsageError

GLOBAL_COLUMNS = ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay")
SEQUENCE_COLUMNS = ("Sequence", "J-Mean", "F-Mean")
OFFICIAL_FLOAT_FORMAT = "%.3f"  # davis2017-evaluation's evaluation_method.py
MAX_PROPOSALS = 20  # davis2017-evaluation's _evaluate_unsupervised

Kind = Literal["davis", "iou", "expression"]


@dataclass(frozen=True)
class EvaluationProtocol:
    """One official evaluation: what it reads, how it scores, how it sums up (see the module docstring)."""

    name: str
    mirrors: str
    kind: Kind  # davis: per object, official CSVs; iou: A2D IoU figures; expression: J&F per expression
    datasets: tuple[str, ...]  # the datasets it applies to
    layout: str  # prediction layout (per_sample.LAYOUTS)
    scoring: Scoring
    convention: str = "mttr"  # the IoU convention of the summary's IoU figures
    reader_options: dict[str, str] = field(default_factory=dict)

    def check(self, dataset: str, layout: str | None) -> None:
        """UsageError unless the protocol applies to `dataset` and to predictions in `layout` (None: its own)."""
        if dataset not in self.datasets:
            raise UsageError(f"protocol {self.name} is for {' or '.join(self.datasets)}, not {dataset}")
        if layout is not None and layout != self.layout:
            raise UsageError(f"protocol {self.name} reads the {self.layout} layout, not the {layout} layout")


DAVIS_DATASETS = ("davis", "demo")
PROTOCOLS = {
    p.name: p
    for p in (
        EvaluationProtocol(
            "davis17-semi",
            "davis2017-evaluation, semi-supervised task: combined label maps, first and last frame left out, "
            "void not excluded, stop on ids beyond the objects",
            "davis",
            DAVIS_DATASETS,
            "object",
            Scoring(exclude_void=False, drop_ends=True, ids_must_match=True),
        ),
        EvaluationProtocol(
            "davis17-unsup",
            "davis2017-evaluation, unsupervised task: Annotations_unsupervised, every frame, void not excluded, "
            f"at most {MAX_PROPOSALS} proposals matched to objects (Hungarian on J&F)",
            "davis",
            DAVIS_DATASETS,
            "object",
            Scoring(exclude_void=False, max_proposals=MAX_PROPOSALS),
            reader_options={"annotations": "Annotations_unsupervised"},
        ),
        EvaluationProtocol(
            "a2d-mttr", "A2D Sentences, " + CONVENTIONS["mttr"], "iou", ("a2d",), "expression", Scoring(), "mttr"
        ),
        EvaluationProtocol(
            "a2d-refvos", "A2D Sentences, " + CONVENTIONS["refvos"], "iou", ("a2d",), "expression", Scoring(), "refvos"
        ),
        EvaluationProtocol(
            "refytvos",
            "Ref-YouTube-VOS: J and F of each expression over every annotated frame, then the mean over "
            "expressions (as MeViS's script; the server's own code is not public)",
            "expression",
            ("ref-youtube-vos",),
            "expression",
            Scoring(exclude_void=False),
        ),
        EvaluationProtocol(
            "mevis",
            "MeViS tools/eval_mevis.py: J and F of each expression over every frame (the union of its objects' "
            "masks), then the mean over expressions",
            "expression",
            ("mevis",),
            "expression",
            Scoring(exclude_void=False),
        ),
    )
}


def get_protocol(name: str) -> EvaluationProtocol:
    if name not in PROTOCOLS:
        raise UsageError(f"unknown evaluation protocol {name!r}", expected=" or ".join(PROTOCOLS))
    return PROTOCOLS[name]


def davis_objects(reader: DatasetReader, video_id: str) -> list[int]:
    """The objects davis2017-evaluation scores in a sequence: 1..N, N the largest id of its first mask."""
    frames = reader.annotated_frames(video_id)
    if not frames:
        raise MissingDataError(f"sequence {video_id} has no masks", expected="the masks of every listed sequence")
    ids = reader.object_masks(video_id, frames[0]).masks
    return list(range(1, max(ids, default=0) + 1))


def protocol_instances(protocol: EvaluationProtocol, reader: DatasetReader) -> list[Instance]:
    """What a DAVIS protocol scores: one pseudo-expression (source = the protocol's name, no text) for
    each object of each sequence, in sequence order (`davis_objects`)."""
    return [
        Instance(reader.dataset, video.video_id, object_id, protocol.name, "")
        for video in reader.videos()
        for object_id in davis_objects(reader, video.video_id)
    ]


class DavisResults:
    """The official figures of a DAVIS protocol's per-sample table: `global_row` (GLOBAL_COLUMNS) and
    `per_sequence` (SEQUENCE_COLUMNS, then the recall and decay), in the official order: sequences as
    listed, within a sequence objects by id, or for matched proposals by proposal id; the n-th of a
    sequence is named `<seq>_<n>`. Means over objects run in that order, as the official ones do."""

    def __init__(self, table: pd.DataFrame, sequences: Iterable[str]) -> None:
        order = {seq: k for k, seq in enumerate(sequences)}
        unknown = sorted(set(table["video_id"]) - set(order))
        if unknown:
            raise UsageError(f"the table holds sequences outside the split: {', '.join(unknown[:5])}")
        objects = []
        for (video_id, object_id, source), group in table.groupby(["video_id", "object_id", "source"]):
            frames = group.sort_values("frame")
            j, f = davis_statistics(frames["J"].to_numpy()), davis_statistics(frames["F"].to_numpy())
            rank = proposal_id(str(source)) or int(object_id)
            objects.append((order[str(video_id)], rank, str(video_id), j, f))
        objects.sort(key=lambda o: (o[0], o[1]))
        rows, seen = [], dict[str, int]()
        for _, _, video_id, j, f in objects:
            seen[video_id] = seen.get(video_id, 0) + 1
            rows.append((f"{video_id}_{seen[video_id]}", j.mean, f.mean, j.recall, j.decay, f.recall, f.decay))
        self.per_sequence = pd.DataFrame(
            rows, columns=[*SEQUENCE_COLUMNS, "J-Recall", "J-Decay", "F-Recall", "F-Decay"]
        )
        means = {
            col: float(np.mean(self.per_sequence[col].to_numpy(dtype=float))) for col in self.per_sequence.columns[1:]
        }
        self.global_row = {"J&F-Mean": (means["J-Mean"] + means["F-Mean"]) / 2}
        self.global_row.update({col: means[col] for col in GLOBAL_COLUMNS[1:]})

    def write(self, folder: str | Path, split: str) -> list[Path]:
        """`global_results-<split>.csv` and `per-sequence_results-<split>.csv` in `folder`, as the official
        evaluation_method.py writes them."""
        folder = Path(folder)
        files = {
            folder / f"global_results-{split}.csv": pd.DataFrame([self.global_row], columns=list(GLOBAL_COLUMNS)),
            folder / f"per-sequence_results-{split}.csv": self.per_sequence[list(SEQUENCE_COLUMNS)],
        }
        for path, frame in files.items():
            write_atomically(path, partial(_official_csv, frame))
        return list(files)


def _official_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format=OFFICIAL_FLOAT_FORMAT)


class ProtocolSummary(NamedTuple):
    """`summarize`'s result."""

    section: dict[str, object]  # {"name", "mirrors", "results"}: the summary document's "protocol" entry
    davis: DavisResults | None  # a DAVIS protocol's official figures (`DavisResults.write` writes its files)


def summarize(protocol: EvaluationProtocol, table: pd.DataFrame, sequences: Iterable[str]) -> ProtocolSummary:
    """The protocol's own figures, JSON-ready in `section["results"]`: DAVIS the official global row and
    per-sequence rows, A2D the IoU figures under its convention, Ref-YouTube-VOS / MeViS J, F and J&F over
    expressions (with the number of expressions)."""
    davis = DavisResults(table, sequences) if protocol.kind == "davis" else None
    results: dict[str, object]
    if davis is not None:
        results = {"global": davis.global_row, "per_sequence": davis.per_sequence.to_dict(orient="records")}
    elif protocol.kind == "iou":
        results = dict(a2d_summary(table, protocol.convention))
    else:
        overall = davis_summary(table, layout="expression").overall
        results = {
            "expressions": overall["expressions"],
            "J": overall["expression_J_mean"],
            "F": overall["expression_F_mean"],
            "J&F": overall["expression_JF_mean"],
        }
    return ProtocolSummary({"name": protocol.name, "mirrors": protocol.mirrors, "results": results}, davis)
