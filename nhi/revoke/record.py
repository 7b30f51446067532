"""Record a revocation in a stack file: `revokeSessionsBefore` of one workload (`nhi-platform:workloads[i]`) or of
the pipeline (`nhi-platform:ci`), set to now. The value is replaced in place when the key is there, else one line is
inserted in the mapping (block style only), with the indentation of its first key. As `nhi rollout` does, the
edited text must parse to the old config with exactly that value changed and pass `settings` before it is written,
under the same edit lock and with the same atomic rename (nhi.rollout.file_edit)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import settings
from nhi.rollout.errors import RolloutRefused
from nhi.rollout.file_edit import exclusive_edit, replace_file
from nhi.rollout.stackfile import StackFile, ValueEdit, describe
from settings.errors import StackFileError
from settings.model import CI, WORKLOADS
from settings.stack_yaml import parse_stack_text

KEY = "revokeSessionsBefore"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Recorded:
    path: Path
    key: str
    """The settings key path written, e.g. `nhi-platform:workloads[3].revokeSessionsBefore`."""
    time: str
    previous: str | None


def revocation_time(now: datetime | None = None) -> str:
    """Now, in UTC to the second: what IAM's DateLessThan compares aws:TokenIssueTime with."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime(TIME_FORMAT)


def _target(file: StackFile, workload: str | None, pipeline: str | None) -> tuple[tuple[str | int, ...], str]:
    """The path of the mapping to edit, from the document's top, and its settings key."""
    if workload is not None:
        workloads = file.config.get(WORKLOADS) or []
        names = [w.get("name") for w in workloads if isinstance(w, dict)]
        if workload not in names:
            raise RolloutRefused(
                f"{file.path} declares no workload {workload!r} (workloads: {', '.join(map(str, names)) or 'none'})"
            )
        index = names.index(workload)
        return ("config", WORKLOADS, index), f"{WORKLOADS}[{index}]"
    stack = file.settings()
    if stack.ci is None:
        raise RolloutRefused(f"{file.path} declares no pipeline ({CI}): there is no pipeline role to revoke")
    if pipeline != stack.environment.value:
        raise RolloutRefused(
            f"--pipeline {pipeline!r}: {file.path} holds the pipeline roles of environment "
            f"{stack.environment.value!r} only; run it on the stack of that environment"
        )
    return ("config", CI), CI


def _node(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def _inserted(file: StackFile, path: tuple[str | int, ...], value: str) -> str:
    """The text with `KEY: "value"` as a new line of the block mapping at `path`, after its first key's line."""
    node = _node(file.document, path)
    first = next(iter(node), None)
    if first is None or node.fa.flow_style():
        raise RolloutRefused(
            f"cannot add {KEY} to the mapping at {'.'.join(map(str, path[1:]))} in {file.path}: it is not a block "
            "mapping; write it by hand"
        )
    line, column = node.lc.key(first)
    lines = file.text.splitlines(keepends=True)
    ending = "\r\n" if lines[line].endswith("\r\n") else "\n"
    lines.insert(line + 1, f'{" " * column}{KEY}: "{value}"{ending}')
    return "".join(lines)


def _checked(file: StackFile, text: str, path: tuple[str | int, ...], value: str) -> None:
    """The edited text says exactly what the old one said, with the revocation time set, and settings accept it."""
    expected = copy.deepcopy({"config": file.config})
    _node(expected, path)[KEY] = value
    try:
        after = parse_stack_text(text, str(file.path))
    except StackFileError as error:
        raise RolloutRefused(str(error)) from None
    if after != expected:
        raise RolloutRefused(f"cannot add {KEY} in place in {file.path}: write it by hand (and run `nhi preflight`)")
    try:
        settings.parse_config(after["config"], str(file.path))
    except settings.SettingsError as error:
        raise RolloutRefused(
            f"the change would leave {file.path} invalid, so it was not written: {describe(error.problems)}"
        ) from None


def record_revocation(
    path: Path, *, workload: str | None, pipeline: str | None, now: datetime | None = None
) -> Recorded:
    """Write the revocation time into the stack file, under the edit lock that `nhi rollout` takes."""
    with exclusive_edit(path) as target:
        file = StackFile.read(path, at=target)
        file.settings()  # refuse a file that is invalid before the edit
        where, key = _target(file, workload, pipeline)
        value = revocation_time(now)
        mapping = _node(file.config, where[1:])
        previous = mapping.get(KEY)
        if previous is not None:
            text, _ = file.checked_edit([ValueEdit((*where, KEY), str(previous), value)])
        else:
            text = _inserted(file, where, value)
            _checked(file, text, where, value)
        replace_file(path, target, file.encoded(text))
    return Recorded(path, f"{key}.{KEY}", value, None if previous is None else str(previous))
