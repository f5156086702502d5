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
from refcat.store.instances import ImportCounts, list_instances, list_videos, stored_objects, upsert_records

# Wraps the videos being imported, e.g. in a progress bar; `iter` shows nothing.
Progress = Callable[[list[Video]], Iterable[Video]]


def import_reader(store: Store, reader: DatasetReader, progress: Progress = iter) -> ImportCounts:
    """Videos, objects (with boxes from the masks) and instances of one reader, in one transaction."""
    videos = reader.videos()
    objects = [obj for video in progress(videos) for obj in reader.objects(video.video_id)]
    return upsert_records(store, videos, objects, list(reader.instances()))


NEAR_EDITS = 2  # a released text this many character edits from a stored RE of its object is that RE


@dataclass(frozen=True)
class ReleaseMatch:
    instances: list[Instance]  # one per usable row: a stored instance, or a new `release{row}` one
    skipped: list[tuple[int, str]]  # (line in the file, why): rows whose object is not in the store
    near: list[tuple[int, str, Instance]]  # (line, the row's text, the stored RE it matched): texts not identical


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """The Levenshtein distance of `a` and `b` when it is at most `limit`, else None."""
    if abs(len(a) - len(b)) > limit:
        return None
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return None
        previous = current
    return previous[-1] if previous[-1] <= limit else None


def release_instances(store: Store, dataset: str, release: pd.DataFrame) -> ReleaseMatch:
    """Match each row of a released label file to a stored instance of the same object and text.

    A row's text matches a stored RE of its object that is the same up to case and spacing
    (`text_key`; stored REs of one object that share a text are claimed one row each, in file
    order, by key); a row without such a match takes the stored RE of its object at most
    `NEAR_EDITS` character edits away (the closest, then the first by key) that no other row
    matched. Every match whose text is not identical is listed in `near`. Rows left without a
    match become new instances with source `release{row}` (the 0-based row in the file). Rows
    whose video or object is not in the store (a split that was not imported: the release
    files carry no frames, sizes or splits) are skipped and listed with their line (the header
    is line 1).
    """
    objects = stored_objects(store, dataset)
    stored = list_instances(store, dataset=dataset)
    by_text: dict[tuple[str, int, str], list[Instance]] = {}
    by_object: dict[tuple[str, int], list[Instance]] = {}
    for instance in sorted(stored, key=lambda i: i.key):
        by_text.setdefault((instance.video_id, instance.object_id, text_key(instance.text)), []).append(instance)
        by_object.setdefault((instance.video_id, instance.object_id), []).append(instance)
    rows = [
        (row_number, str(row.video_id), int(row.instance_id), str(row.ref_exp))
        for row_number, row in enumerate(release.itertuples(index=False))
    ]
    # Two stored REs of one object may share a text (DAVIS: an annotator's first-frame and full-video
    # REs): rows with that text claim them in file order, one each; a further row reuses the first.
    exact: dict[int, Instance | None] = {}
    claimed: set[str] = set()
    for n, video_id, object_id, text in rows:
        same = by_text.get((video_id, object_id, text_key(text)), [])
        free = [candidate for candidate in same if candidate.key not in claimed]
        pick = free[0] if free else (same[0] if same else None)
        if pick is not None:
            claimed.add(pick.key)
        exact[n] = pick
    instances, skipped, near = [], [], []
    for row_number, video_id, object_id, text in rows:
        line = row_number + 2
        if (video_id, object_id) not in objects:
            skipped.append((line, f"object {object_id} of video {video_id!r} is not in the store"))
            continue
        found = exact[row_number]
        if found is None:
            distances = [
                (distance, candidate.key, candidate)
                for candidate in by_object.get((video_id, object_id), [])
                if candidate.key not in claimed
                and (distance := edit_distance(text_key(candidate.text), text_key(text), NEAR_EDITS)) is not None
            ]
            if distances:
                found = min(distances, key=lambda d: (d[0], d[1]))[2]
                claimed.add(found.key)
        if found is not None and found.text != text:
            near.append((line, text, found))
        instances.append(found or Instance(dataset, video_id, object_id, f"release{row_number}", text))
    return ReleaseMatch(instances, skipped, near)


def release_dataset_elsewhere(store: Store, dataset: str, release: pd.DataFrame) -> str | None:
    """The dataset the file's videos are stored under when none is stored under `dataset`, else None."""
    stored: dict[str, set[str]] = {}
    for video in list_videos(store):
        stored.setdefault(video.video_id, set()).add(video.dataset)
    datasets = [d for video_id in set(release["video_id"].astype(str)) for d in stored.get(video_id, ())]
    if not datasets or dataset in datasets:
        return None
    return max(sorted(set(datasets)), key=datasets.count)
