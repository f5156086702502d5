"""Whether a store may be there, asked without opening it (opening a SQLite URL creates the file)."""

from __future__ import annotations

from pathlib import Path

from refcat.store.database import normalize_url


def store_may_exist(url_or_path: str | Path) -> bool:
    """True for a server URL (only connecting tells) and for a SQLite file that is there; False for
    a SQLite file that is not, so that a caller can leave it uncreated."""
    url = normalize_url(url_or_path)
    return not url.startswith("sqlite:") or Path(url.removeprefix("sqlite:///")).is_file()
