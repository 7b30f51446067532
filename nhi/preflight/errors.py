"""Failures the preflight reports as one clear paragraph with exit code 2."""

from __future__ import annotations


class PreflightError(Exception):
    """Bad usage, bad config, a failing program or a failing pack. `detail` (a traceback) shows with --debug."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
