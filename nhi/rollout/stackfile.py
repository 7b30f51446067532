"""A stack file, read twice: by ruamel.yaml's round-trip loader, for where each value sits in the text, and by
the safe loader, for the plain config that `settings` validates.

An edit replaces one scalar's token in the original text at the line and column ruamel reports, keeping its
quoting. Everything else (comments, blank lines, quoting, flow-style mappings and the way long ones are
wrapped) stays byte for byte: ruamel's own emitter keeps comments and flow style but re-wraps long flow
mappings, which would turn a one-line release into a diff of unrelated lines. The edited text is parsed
again and must equal the original config with exactly the intended values changed, and pass `settings`,
before anything is written; the write replaces the file atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError

import settings
from nhi.preflight.errors import PreflightError
from nhi.preflight.program import load_program
from nhi.preflight.run import REPO_ROOT
from settings import StackSettings
from settings.crosscheck import rollout_transition
from settings.errors import Problem, join_path

from .errors import RolloutRefused

# A plain scalar ends where one of these (or the line) begins.
PLAIN_END = frozenset(" \t,]}#\r\n")

NOT_VALID_BEFORE = "{path} is not valid, so nothing was changed: {problems}"
NOT_VALID_AFTER = "the change would leave {path} invalid, so it was not written: {problems}"
NOT_IN_PLACE = (
    "cannot edit {key} in place in {path}: its value is not a one-line scalar; edit it by hand "
    "(and run `nhi preflight`)"
)


def describe(problems: Sequence[Problem]) -> str:
    """Problems as one paragraph: `key: message; key: message`."""
    return "; ".join(str(problem) for problem in problems)


def resolve_stack_file(stack: str | None, stack_file: Path | None, program: Path = REPO_ROOT) -> Path:
    """`--stack NAME` (Pulumi.NAME.yaml in the project's stackConfigDir, as `pulumi` reads it) or `--stack-file`."""
    if stack_file is not None:
        if not stack_file.is_file():
            raise RolloutRefused(f"Stack file {stack_file} does not exist.")
        return stack_file
    try:
        project = load_program(program)
    except PreflightError as error:
        raise RolloutRefused(error.message) from None
    path = project.stack_file(stack or "")
    if not path.is_file():
        available = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in project.stack_config_dir.glob("Pulumi.*.yaml")
        )
        raise RolloutRefused(
            f"No stack file for stack {stack!r}: {path} does not exist (stacks here: {', '.join(available) or 'none'})."
        )
    return path


@dataclass(frozen=True)
class ValueEdit:
    """One scalar to change: its path in the document (from the top, `config` first), old and new value."""

    path: tuple[str | int, ...]
    old: str
    new: str

    @property
    def key(self) -> str:
        """The settings key path, e.g. `nhi-platform:workloads[6].rollout.green`."""
        return join_path(self.path[1:])


def _round_trip() -> YAML:
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    return loader


class StackFile:
    """The text of a stack file, its round-trip document (positions) and its plain `config:` mapping."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        try:
            self.document = _round_trip().load(text)
            plain = yaml.safe_load(text)
        except (RuamelError, yaml.YAMLError) as error:
            raise RolloutRefused(f"{path} is not valid YAML: {error}") from None
        if not isinstance(plain, dict) or not isinstance(plain.get("config"), dict):
            raise RolloutRefused(f"{path}: expected a stack file with a `config:` mapping.")
        self.config: dict[str, Any] = plain["config"]

    @classmethod
    def read(cls, path: Path) -> StackFile:
        return cls(path, path.read_text(encoding="utf-8"))

    def settings(self) -> StackSettings:
        """The validated settings of the file as it is; refused if it is not valid."""
        try:
            return settings.parse_config(self.config, str(self.path))
        except settings.SettingsError as error:
            raise RolloutRefused(NOT_VALID_BEFORE.format(path=self.path, problems=describe(error.problems))) from None

    def edited_text(self, edits: Sequence[ValueEdit]) -> str:
        """The text with each edit's scalar token replaced, quoting kept."""
        lines = self.text.splitlines(keepends=True)
        # Right to left, so that two edits on one line (a flow mapping) do not shift each other.
        for (line, column), edit in sorted(((self._position(e), e) for e in edits), key=lambda p: p[0], reverse=True):
            row = lines[line]
            quote = row[column] if row[column] in "\"'" else ""
            end = row.find(quote, column + 1) if quote else column + len(edit.old)
            token = row[column + len(quote) : end]
            closed = end >= 0 and (row[end + len(quote) : end + len(quote) + 1] or "\n")[0] in PLAIN_END
            if token != edit.old or not closed:
                raise RolloutRefused(NOT_IN_PLACE.format(key=edit.key, path=self.path))
            lines[line] = f"{row[:column]}{quote}{edit.new}{quote}{row[end + len(quote) :]}"
        return "".join(lines)

    def _position(self, edit: ValueEdit) -> tuple[int, int]:
        node: Any = self.document
        try:
            for part in edit.path[:-1]:
                node = node[part]
            line, column = node.lc.value(edit.path[-1])
        except (AttributeError, KeyError, IndexError, TypeError):
            raise RolloutRefused(NOT_IN_PLACE.format(key=edit.key, path=self.path)) from None
        return line, column

    def checked_edit(self, edits: Sequence[ValueEdit]) -> tuple[str, StackSettings]:
        """The edited text and its settings, after proving that it changes exactly `edits`, that settings
        accept it, and that the move is allowed (the live slot keeps its image). Nothing is written."""
        text = self.edited_text(edits)
        after = StackFile(self.path, text)
        expected = yaml.safe_load(self.text)
        for edit in edits:
            target = expected
            for part in edit.path[:-1]:
                target = target[part]
            target[edit.path[-1]] = edit.new
        if yaml.safe_load(text) != expected:  # never expected: the token replacement is checked above
            raise RolloutRefused(NOT_IN_PLACE.format(key=", ".join(e.key for e in edits), path=self.path))
        problems: list[Problem] = []
        parsed: StackSettings | None = None
        try:
            parsed = settings.parse_config(after.config, str(self.path))
        except settings.SettingsError as error:
            problems += error.problems
        problems += rollout_transition(self.config, after.config)
        if problems:
            raise RolloutRefused(NOT_VALID_AFTER.format(path=self.path, problems=describe(problems)))
        assert parsed is not None
        return text, parsed


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one rename: a reader (or a crash) sees the old file or the new one, never half."""
    directory = path.resolve().parent
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
