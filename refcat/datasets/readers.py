"""`open_reader(dataset, root, split)`: the one entry point to every dataset reader.

"demo" is the bundled synthetic dataset, stored in DAVIS-2017 format under its own dataset name.
`options` go to the reader's constructor (e.g. `annotations="Annotations_unsupervised"` for DAVIS).
"""

from __future__ import annotations

from pathlib import Path

from refcat.datasets.records import DatasetReader
from refcat.errors import UsageError

DATASETS = ("davis", "a2d", "demo")


def open_reader(dataset: str, root: str | Path, split: str | None = None, **options: str) -> DatasetReader:
    if dataset in ("davis", "demo"):
        from refcat.datasets.davis import DavisReader

        return DavisReader(root, split=split, dataset=dataset, **options)
    if dataset == "a2d":
        from refcat.datasets.a2d import A2DReader

        return A2DReader(root, split=split, **options)
    raise UsageError(f"unknown dataset {dataset!r}", expected=" or ".join(DATASETS))
