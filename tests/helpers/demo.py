"""The demo project on disk for the UI tests: a small demo dataset and its store (refcat demo-store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from refcat.annotate.demo_project import build_demo_store
from refcat.demo.generator import write_demo_dataset


def build_demo(folder: Path, n_videos: int = 2, frames: int = 6) -> tuple[str, Path]:
    """A demo dataset and store with the demo project; returns (store URL, dataset folder)."""
    data = write_demo_dataset(
        folder / "demo", n_videos=n_videos, min_frames=frames, max_frames=frames, width=320, height=180
    )
    url = f"sqlite:///{folder / 'demo.db'}"
    build_demo_store(url, data)[0].dispose()
    return url, Path(data)


def use_demo_copy(files: tuple[str, Path], folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points the app ($REFCAT_DB, $REFCAT_DATA) at a fresh copy in `folder` of the demo store
    `files` (from `build_demo`; the dataset folder is shared, read-only); returns the copy's URL."""
    url, data = files
    copy = folder / "demo.db"
    copy.write_bytes(Path(url.removeprefix("sqlite:///")).read_bytes())
    monkeypatch.setenv("REFCAT_DB", f"sqlite:///{copy}")
    monkeypatch.setenv("REFCAT_DATA", str(data))
    return f"sqlite:///{copy}"
