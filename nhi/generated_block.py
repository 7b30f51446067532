"""A block of a document that a generator owns, between two marker lines: rewrite it, or check it is current."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GeneratedBlock:
    path: Path
    begin: str
    end: str
    render: Callable[[], str]
    """The whole block, markers included."""
    command: str
    """What regenerates it, for the stale message."""

    def updated(self, text: str) -> str:
        head, found, rest = text.partition(self.begin)
        if not found:
            raise ValueError(f"{self.path.name} has no {self.begin!r} marker")
        _, _, tail = rest.partition(self.end)
        return head + self.render() + tail

    def main(self, argv: list[str]) -> int:
        """Rewrite the block; with `--check`, exit 1 when it is out of date instead."""
        current = self.path.read_text(encoding="utf-8")
        wanted = self.updated(current)
        if "--check" in argv:
            if wanted != current:
                print(f"{self.path} is out of date: run `{self.command}`", file=sys.stderr)
                return 1
            return 0
        self.path.write_text(wanted, encoding="utf-8")
        return 0
