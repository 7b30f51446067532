"""Settings problems: each one names its key path and what was expected."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic_core import ErrorDetails

# Where every key of a stack file is listed, with its type, default and meaning (made from settings.model).
UNKNOWN_KEY = "unknown key (check its spelling against docs/reference/settings.md)"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a stack file: `path` is the full key path, `message` says what was expected."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SettingsError(pulumi.RunError):
    """Raised before any resource is registered. A RunError, so `pulumi up` prints it without a traceback."""

    def __init__(
        self, problems: Sequence[Problem], source: str = "stack configuration", *, summary: str | None = None
    ) -> None:
        self.problems = tuple(problems)
        self.source = source
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(summary or f"{source} has {count} problem{'s' if count != 1 else ''}:\n{lines}")


class StackFileError(SettingsError):
    """A stack file that cannot be read (missing, unreadable, not UTF-8, too large) or is not in the stack-file YAML
    dialect (settings.stack_yaml): one line naming the file, and the line, column and key path where known."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        where = source if line is None else f"{source}, line {line}" + (f", column {column}" if column else "")
        if key:
            where += f" ({key})"
        super().__init__([Problem(where, message)], source, summary=f"{where}: {message}")
        self.line = line
        self.key = key
        self.message = message


def join_path(location: Iterable[Any]) -> str:
    """('nhi-platform:workloads', 2, 'rollout', 'active') -> 'nhi-platform:workloads[2].rollout.active'."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or "(top level)"


def describe_pydantic_error(error: ErrorDetails) -> str:
    """Turn one pydantic error into 'expected ..., got ...' wording."""
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return UNKNOWN_KEY
    message: str = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    if message.startswith("Input should be "):
        message = "expected " + message[len("Input should be ") :]
    elif message.startswith("Input should have "):
        message = "expected " + message[len("Input should have ") :]
    elif message.startswith("List should have "):
        message = "expected a list with " + message[len("List should have ") :]
    if "got " not in message:
        message += f", got {_show(error.get('input'))}"
    return message


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return repr(value)
