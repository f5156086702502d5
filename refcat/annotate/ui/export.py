"""The export page: the long table of answers and, as its own download, the time on item that
`refcat export labels` writes beside it (`<stem>_time_on_item`, refcat.annotate.export.time_on_item_path),
each as CSV or Parquet (`long_table_downloads`); and the consensus in the paper's released format
(`*_RE_categorization.csv`), as downloads, with the instances the consensus leaves out, and why,
shown beside it (their source by the words the queue pages use, refcat.annotate.guidelines) and
downloadable next to it as `*_RE_categorization_left_out.csv`.

Files are written by refcat.annotate.export (the same code as `refcat export labels`) into a
temporary folder when the download button is pressed, and handed to the browser. The release and
its left-out list are two downloads rather than one zip: they keep the names and layout that
`refcat export labels` writes (`left_out_path`), and the release file opens in the release readers
and spreadsheets as it is. Both are written from the one consensus the page shows, so the counts
above the buttons hold for both files.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.export import (
    ReleaseLabels,
    consensus_release,
    download_file_name,
    left_out_path,
    time_on_item_path,
    write_labels,
    write_release_files,
    write_time_on_item,
)
from refcat.annotate.guidelines import instance_source_label
from refcat.annotate.state import IDLE_SECONDS
from refcat.annotate.ui import widgets
from refcat.annotate.ui.display import fields_named, pairs_named
from refcat.annotate.ui.text import plain
from refcat.errors import RefcatError
from refcat.store.database import Store

ALL = "(all campaigns)"
TABLE_FORMATS = ((".csv", "text/csv"), (".parquet", "application/vnd.apache.parquet"))


@dataclass(frozen=True)
class Download:
    label: str  # the button's text
    name: str  # the file's name
    mime: str
    key: str  # the button's widget key
    data: Callable[[], bytes]  # the file's bytes, written when the button is pressed


def file_bytes(write: Callable[[Path], object], name: str) -> bytes:
    """Run a writer into a temporary folder and return the file's bytes."""
    with tempfile.TemporaryDirectory(prefix="refcat-export-") as folder:
        path = Path(folder) / download_file_name(name)
        write(path)
        return path.read_bytes()


def long_table_downloads(db: Store, campaign: str | None) -> list[Download]:
    """The answer tables the page offers, one campaign's or all: the event table (`write_labels`, the
    buttons "Download CSV" and "Download PARQUET"), then its time on item (`write_time_on_item`, under
    the name `write_labels` gives it beside the table, `time_on_item_path`), each as CSV and Parquet."""
    stem = "labels" if campaign is None else f"{campaign}_labels"
    events = functools.partial(write_labels, db, campaign=campaign)
    times = functools.partial(write_time_on_item, db, campaign=campaign)
    offered = []
    for suffix, mime in TABLE_FORMATS:
        offered.append((f"Download {suffix[1:].upper()}", stem + suffix, mime, f"export{suffix}", events))
    for suffix, mime in TABLE_FORMATS:
        name = time_on_item_path(stem + suffix).name
        offered.append((f"Download {name}", name, mime, f"export_time{suffix}", times))
    return [
        Download(label, name, mime, key, functools.partial(file_bytes, write, name))
        for label, name, mime, key, write in offered
    ]


def release_name(campaign: str) -> str:
    return f"{campaign}_RE_categorization.csv"


def release_files(labels: ReleaseLabels, campaign: str) -> dict[str, bytes]:
    """The release file and its left-out list, {file name: bytes}, as `refcat export labels` writes
    them (refcat.annotate.export.write_release_files): `release_name(campaign)` and `left_out_path` of it."""
    with tempfile.TemporaryDirectory(prefix="refcat-export-") as folder:
        path = Path(folder) / download_file_name(release_name(campaign))
        write_release_files(labels.release, labels.left_out, path)
        return {written.name: written.read_bytes() for written in (path, left_out_path(path))}


def release_file(labels: ReleaseLabels, campaign: str, name: str) -> bytes:
    """One of `release_files`, by its name (what a download button hands over when pressed)."""
    return release_files(labels, campaign)[name]


def render(db: Store, user: User) -> None:
    st.header("Export")
    if not widgets.require_admin(user):
        return
    names = [c.name for c in list_campaigns(db)]
    if not names:
        st.info("No campaigns yet.")
        return
    picked = st.selectbox("Campaign", [ALL] + names, key="export_campaign")
    campaign = None if picked == ALL else picked
    st.subheader("Answers: the long table")
    downloads = long_table_downloads(db, campaign)
    st.caption("One row per event: instance, annotator, round, question, answer, time.")
    _buttons(downloads[: len(TABLE_FORMATS)])
    st.caption(
        "Time on item: one row per annotator, instance and round answered, with the seconds from the first view "
        f"to the last answer, gaps of over {IDLE_SECONDS:.0f} s (idle) and time on other instances left out."
    )
    _buttons(downloads[len(TABLE_FORMATS) :])
    st.subheader("Consensus in the released format")
    if campaign is None:
        st.info("Pick one campaign for its consensus file.")
        return
    st.caption(
        "Adjudicated labels, then automatic ones, then the majority of the revised answers. The `source` column "
        "tells apart REs of one object with the same text (first frame, full video, ...)."
    )
    try:
        labels = consensus_release(db, campaign)
    except RefcatError as exc:
        st.info(plain(exc))
        return
    st.markdown(
        plain(f"{len(labels.release)} instances in the file, {len(labels.left_out)} left out")
        + (" (listed below with the reason, and in the left-out list)." if len(labels.left_out) else ".")
    )
    release = release_name(campaign)
    files = ((release, "export_release"), (left_out_path(release).name, "export_left_out"))
    _buttons(
        [
            Download(f"Download {name}", name, "text/csv", key, functools.partial(release_file, labels, campaign, name))
            for name, key in files
        ]
    )
    if len(labels.left_out):
        st.dataframe(left_out_shown(labels), hide_index=True)


def left_out_shown(labels: ReleaseLabels) -> pd.DataFrame:
    """The left-out table as the page shows it: questions, answers and sources by their display names (the
    file keeps the codes, as `refcat export labels` writes them)."""
    left = labels.left_out
    return fields_named(
        left.assign(answers=left["answers"].map(pairs_named), source=left["item"].map(instance_source_label))
    )


def _buttons(downloads: list[Download]) -> None:
    with st.container(horizontal=True):
        for d in downloads:
            st.download_button(plain(d.label), data=d.data, file_name=d.name, mime=d.mime, key=d.key, on_click="ignore")
