"""The export page: the long table of answers (CSV or Parquet) and the consensus in the
paper's released format (`*_RE_categorization.csv`), as downloads, with the instances the
consensus leaves out, and why, shown beside it and downloadable next to it as
`*_RE_categorization_left_out.csv`.

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
from pathlib import Path

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import list_campaigns
from refcat.annotate.export import (
    ReleaseLabels,
    consensus_release,
    download_file_name,
    left_out_path,
    write_labels,
    write_release_files,
)
from refcat.annotate.ui import widgets
from refcat.annotate.ui.display import fields_named, pairs_named
from refcat.annotate.ui.text import plain
from refcat.errors import RefcatError
from refcat.store.database import Store

ALL = "(all campaigns)"


def file_bytes(write: Callable[[Path], object], name: str) -> bytes:
    """Run a writer into a temporary folder and return the file's bytes."""
    with tempfile.TemporaryDirectory(prefix="refcat-export-") as folder:
        path = Path(folder) / download_file_name(name)
        write(path)
        return path.read_bytes()


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
    stem = "labels" if campaign is None else f"{campaign}_labels"
    st.subheader("Answers: the long table")
    st.caption("One row per event: instance, annotator, round, question, answer, time.")

    def write(path: Path) -> int:
        return write_labels(db, path, campaign=campaign)

    with st.container(horizontal=True):
        for suffix, mime in ((".csv", "text/csv"), (".parquet", "application/vnd.apache.parquet")):
            st.download_button(
                f"Download {suffix[1:].upper()}",
                data=functools.partial(file_bytes, write, stem + suffix),
                file_name=stem + suffix,
                mime=mime,
                key=f"export{suffix}",
                on_click="ignore",
            )
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
    downloads = ((release, "export_release"), (left_out_path(release).name, "export_left_out"))
    with st.container(horizontal=True):
        for name, key in downloads:
            st.download_button(
                f"Download {plain(name)}",
                data=functools.partial(release_file, labels, campaign, name),
                file_name=name,
                mime="text/csv",
                key=key,
                on_click="ignore",
            )
    if len(labels.left_out):  # the file keeps the codes, as `refcat export labels` writes them
        shown = fields_named(labels.left_out.assign(answers=labels.left_out["answers"].map(pairs_named)))
        st.dataframe(shown, hide_index=True)
