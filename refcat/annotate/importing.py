"""Bring a dataset reader's records into the store, and released label files' REs with them.

Importing decodes every annotated mask once (to derive per-frame boxes); frames are never
decoded here. Re-importing the same data changes nothing (natural keys, see store.py).
"""

from __future__ import annotations

import logging
import re
from typing import Callable, Iterable, TypeVar

import pandas as pd

from refcat.annotate.store import ImportCounts, Store, list_instances, list_videos, upsert_records
from refcat.datasets.records import DatasetReader, Instance
from refcat.errors import MissingDataError

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[Iterable[T]], Iterable[T]]


def import_reader(store: Store, reader: DatasetReader, progress: Progress = iter) -> ImportCounts:
    """Videos, objects (with boxes from the masks) and instances of one reader, in one transaction."""
    videos = reader.videos()
    objects = [obj for video in progress(videos) for obj in reader.objects(video.video_id)]
    return upsert_records(store, videos, objects, list(reader.instances()))


def normalize_text(text: str) -> str:
    """Case-folded, single-spaced text: how two copies of one RE are recognised as the same."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def release_instances(store: Store, dataset: str, release: pd.DataFrame, path: str = "") -> list[Instance]:
    """Match each row of a released label file to a stored instance of the same object and text.

    Rows whose text is not stored yet become new instances with source `release{row}`
    (the 0-based row in the file). The videos must have been imported first: the release
    files carry no frames, sizes or splits.
    """
    known_videos = {v.video_id for v in list_videos(store, dataset)}
    by_text = {
        (i.video_id, i.object_id, normalize_text(i.text)): i for i in list_instances(store, dataset=dataset)
    }
    matched = []
    for row_number, row in enumerate(release.itertuples(index=False)):
        video_id, object_id, text = str(row.video_id), int(row.instance_id), str(row.ref_exp)
        if video_id not in known_videos:
            raise MissingDataError(
                f"video {video_id!r} is not in the store",
                path=path, line=row_number + 2,
                expected=f"`refcat import {dataset} --root ...` run before importing its labels",
            )
        found = by_text.get((video_id, object_id, normalize_text(text)))
        matched.append(found or Instance(dataset, video_id, object_id, f"release{row_number}", text))
    return matched
