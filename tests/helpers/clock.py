"""A clock the test moves by hand, for the accounts' `clock=` arguments (the `clock` fixture of conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """Starts at 2026-03-02 09:00 (naive, read as UTC); `tick(minutes=...)` moves it on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += timedelta(**delta)
