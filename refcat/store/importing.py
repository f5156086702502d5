"""Bring a dataset reader's records into the store, and released label files' REs with them.

Importing decodes every annotated mask once (to derive per-frame boxes); frames are never
decoded here. Re-importing the same data changes nothing (natural keys, see refcat.store.schema).
An import completes or leaves the store as it was: every file is read and checked (the readers
raise refcat.errors exceptions naming the file, line or frame) before the one transaction that
writes, and a value the store refuses (refcat.store.database.check_row) rolls it all back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from refcat.datasets.records import DatasetReader, Instance, Video, text_key
from refcat.store.database import Store
from refcat.store.instances import ImportCounts, list_instances, stored_objects, upsert_records

# Wraps the videos being imported, e.g. in a progress bar; `iter` shows nothing.
Progress = Callable[[list[Video]], Iterable[Video]]


def import_reader(store: Store, reader: DatasetReader, progress: Progress = iter) -> ImportCounts:
    """Videos, objects (with boxes from the masks) and instances of one reader, in one transaction."""
    videos = reader.videos()
    objects = [obj for video in progress(videos) for obj in reader.objects(video.video_id)]
    return upsert_records(store, videos, objects, list(reader.instances()))


@dataclass(frozen=True)
class ReleaseMatch:
    instances: list[Instance]  # one per usable row: a stored instance, or a new `release{row}` one
    skipped: list[tuple[int, str]]  # (line in the file, why): rows whose object is not in the store


def release_instances(store: Store, dataset: str, release: pd.DataFrame) -> ReleaseMatch:
    """Match each row of a released label file to a stored instance of the same object and text.

    Rows whose text is not stored yet become new instances with source `release{row}`
    (the 0-based row in the file). Rows whose video or object is not in the store (a split
    that was not imported: the release files carry no frames, sizes or splits) are
    skipped and listed with their line (the header is line 1).
    """
    objects = stored_objects(store, dataset)
    by_text = {(i.video_id, i.object_id, text_key(i.text)): i for i in list_instances(store, dataset=dataset)}
    instances, skipped = [], []
    for row_number, row in enumerate(release.itertuples(index=False)):
        video_id, object_id, text = str(row.video_id), int(row.instance_id), str(row.ref_exp)
        if (video_id, object_id) not in objects:
            skipped.append((row_number + 2, f"object {object_id} of video {video_id!r} is not in the store"))
            continue
        found = by_text.get((video_id, object_id, text_key(text)))
        instances.append(found or Instance(dataset, video_id, object_id, f"release{row_number}", text))
    return ReleaseMatch(instances, skipped)
