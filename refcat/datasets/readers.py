"""`open_reader(dataset, root, split)`: the one entry point to every dataset reader.

"demo" is the bundled synthetic dataset, stored in DAVIS-2017 format under its own dataset name.
"ref-youtube-vos" and "mevis" read those benchmarks' own layouts (ref_youtube_vos.py, mevis.py).
`options` go to the reader's constructor (e.g. `annotations="Annotations_unsupervised"` for DAVIS).
"""

from __future__ import annotations

from pathlib import Path

from refcat.datasets.records import DatasetReader
from refcat.errors import UsageError

DATASETS = ("davis", "a2d", "demo", "ref-youtube-vos", "mevis")


def open_reader(dataset: str, root: str | Path, split: str | None = None, **options: str) -> DatasetReader:
    if dataset in ("davis", "demo"):
        from refcat.datasets.davis import DavisReader

        return DavisReader(root, split=split, dataset=dataset, **options)
    if dataset == "a2d":
        from refcat.datasets.a2d import A2DReader

        return A2DReader(root, split=split, **options)
    if dataset == "ref-youtube-vos":
        from refcat.datasets.ref_youtube_vos import RefYouTubeVOSReader

        return RefYouTubeVOSReader(root, split=split, **options)
    if dataset == "mevis":
        from refcat.datasets.mevis import MeViSReader

        return MeViSReader(root, split=split, **options)
    raise UsageError(f"unknown dataset {dataset!r}", expected=" or ".join(DATASETS))
