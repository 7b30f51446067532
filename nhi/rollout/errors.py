"""The one error of `nhi rollout`: a refusal, with a message that says what was wrong and what to do."""

from __future__ import annotations


class RolloutRefused(Exception):
    """A move that is refused (bad usage, a bad image, an invalid stack file): exit code 2, file untouched."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
