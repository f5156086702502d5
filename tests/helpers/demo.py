"""The demo project on disk for the UI tests: a small demo dataset and its store (refcat demo-store)."""

from __future__ import annotations

from pathlib import Path

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
