"""Exceptions raised by library code. Only the CLI and the pages turn them into messages.

Every error names where the problem is (file, line or frame) and what was expected,
so that a user with real data can fix the input without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path


class RefcatError(Exception):
    """Base class: a message, optionally the file, the line (1-based) or frame, and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        frame: int | str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.frame = frame
        self.expected = expected
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f", line {self.line}"
            if self.frame is not None:
                where += f", frame {self.frame}"
            where += ": "
        elif self.frame is not None:
            where = f"frame {self.frame}: "
        text = where + self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class FormatError(RefcatError):
    """A file on disk does not have the format its reader expects."""


class MissingDataError(RefcatError):
    """A file, frame, key or record that should exist does not."""


class StoreError(RefcatError):
    """The annotation store refused an operation (schema mismatch, unknown id, closed round...)."""


class PermissionDenied(StoreError):
    """A user asked to read or write something that is not theirs."""


class UsageError(RefcatError):
    """The user asked for something inconsistent (bad option combination, unknown name)."""
