"""A stack file, read twice: in the stack-file YAML dialect (settings.stack_yaml), for the plain config that
`settings` validates, and by ruamel.yaml's round-trip loader, for where each value sits in the text.

An edit replaces one scalar's token in the original text at the line and column ruamel reports, keeping its
quoting. Everything else (comments, blank lines, quoting, line endings, a byte order mark, flow-style mappings
and the way long ones are wrapped) stays byte for byte: ruamel's own emitter keeps comments and flow style but
re-wraps long flow mappings, which would turn a one-line release into a diff of unrelated lines. The edited
text is read again in the dialect and must equal the original config with exactly the intended values changed,
and pass `settings`, before anything is written (nhi.rollout.file_edit writes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError

import settings
from nhi.preflight.errors import PreflightError
from nhi.preflight.program import load_program
from nhi.preflight.run import REPO_ROOT
from settings import StackSettings
from settings.crosscheck import rollout_transition
from settings.errors import Problem, StackFileError, join_path
from settings.stack_yaml import UTF8_BOM, decode_stack_bytes, parse_stack_text, read_stack_bytes

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
        if not stack_file.exists():  # anything else it is (a directory, unreadable) is said when it is read
            raise RolloutRefused(f"Stack file {stack_file} does not exist.")
        return stack_file
    try:
        project = load_program(program)
    except PreflightError as error:
        raise RolloutRefused(error.message) from None
    path = project.stack_file(stack or "")
    if not path.exists():
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


def _parse(text: str, path: Path) -> Any:
    try:
        return parse_stack_text(text, str(path))
    except StackFileError as error:
        raise RolloutRefused(str(error)) from None


def _round_trip() -> YAML:
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    return loader


class StackFile:
    """The text of a stack file, its round-trip document (positions) and its plain `config:` mapping."""

    def __init__(self, path: Path, text: str, *, byte_order_mark: bool = False) -> None:
        self.path = path
        self.text = text
        self.byte_order_mark = byte_order_mark
        plain = _parse(text, path)
        if not isinstance(plain, dict) or not isinstance(plain.get("config"), dict):
            raise RolloutRefused(f"{path}: expected a stack file with a `config:` mapping.")
        self.config: dict[str, Any] = plain["config"]
        try:
            self.document = _round_trip().load(text)
        except RuamelError as error:  # the dialect accepted it, so only a form ruamel reads differently
            raise RolloutRefused(f"{path} is not valid YAML: {' '.join(str(error).split())}") from None

    @classmethod
    def read(cls, path: Path, *, at: Path | None = None) -> StackFile:
        """The stack file `path` (read at `at`, its resolved target, when given); refused when it cannot be read
        or is not in the stack-file dialect."""
        try:
            data = read_stack_bytes(at or path, source=str(path))
            text = decode_stack_bytes(data, str(path))
        except StackFileError as error:
            raise RolloutRefused(str(error)) from None
        return cls(path, text, byte_order_mark=data.startswith(UTF8_BOM))

    def encoded(self, text: str) -> bytes:
        """`text` (this file edited) as the bytes to write: UTF-8, with the byte order mark if the file had one."""
        return (UTF8_BOM if self.byte_order_mark else b"") + text.encode("utf-8")

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
        expected = _parse(self.text, self.path)
        for edit in edits:
            target = expected
            for part in edit.path[:-1]:
                target = target[part]
            target[edit.path[-1]] = edit.new
        after = _parse(text, self.path)
        if after != expected:  # never expected: the token replacement is checked above
            raise RolloutRefused(NOT_IN_PLACE.format(key=", ".join(e.key for e in edits), path=self.path))
        problems: list[Problem] = []
        parsed: StackSettings | None = None
        try:
            parsed = settings.parse_config(after["config"], str(self.path))
        except settings.SettingsError as error:
            problems += error.problems
        problems += rollout_transition(self.config, after["config"])
        if problems:
            raise RolloutRefused(NOT_VALID_AFTER.format(path=self.path, problems=describe(problems)))
        assert parsed is not None
        return text, parsed
