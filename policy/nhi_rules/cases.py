"""The edits of a rule's case file (`<rule_module>.cases.yaml`), applied to its compliant baseline.

Read by the test harness (tests/policy/harness.py, which describes the whole format) and by the docs generator
(docgen), which shows each rule's baseline as the passing example and its first failing case as the failing one.
Not used by the pack at run time.

A case changes its baseline one thing at a time: `set: {path: value}`, `unset: path` or `append: {path: value}`.
Paths are dotted; `[key.with.dots]` quotes a key, `@name` picks the list element whose `name` is name. A
resource rule's paths start at the props. `__unknown__` becomes the engine's unknown sentinel and
`{__json__: x}` the JSON text of x (how IAM documents arrive) once a case is `encode`d for the engine.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

UNKNOWN = "__unknown__"
JSON = "__json__"
OPS = ("set", "unset", "append")

_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def parse_path(path: str) -> list[str | int]:
    segments: list[str | int] = []
    for quoted, plain in _SEGMENT.findall(path):
        if quoted:
            segments.append(quoted)
        elif plain.isdigit():
            segments.append(int(plain))
        else:
            segments.append(plain)
    return segments


def _step(container: Any, segment: str | int) -> Any:
    if isinstance(segment, str) and segment.startswith("@") and isinstance(container, list):
        for element in container:
            if isinstance(element, dict) and element.get("name") == segment[1:]:
                return element
        raise KeyError(segment)
    return container[segment]


def _parent(document: Any, segments: list[str | int]) -> tuple[Any, str | int]:
    current = document
    for segment in segments[:-1]:
        if (
            isinstance(segment, str)
            and not segment.startswith("@")
            and isinstance(current, dict)
            and segment not in current
        ):
            current[segment] = {}
        current = _step(current, segment)
    last = segments[-1]
    if isinstance(last, str) and last.startswith("@"):
        element = _step(current, last)
        return current, current.index(element)
    return current, last


def apply_op(document: Any, op: str, argument: Any) -> None:
    if op == "unset":
        parent, key = _parent(document, parse_path(argument))
        del parent[key]
        return
    ((path, value),) = argument.items()
    parent, key = _parent(document, parse_path(path))
    if op == "set":
        if isinstance(parent, list) and key == len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[key] = copy.deepcopy(value)
    elif op == "append":
        parent[key].append(copy.deepcopy(value))


def edited(baseline: dict[str, Any], ops: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of the baseline with the case's edits applied (a resource rule's paths start at its props)."""
    base = copy.deepcopy(baseline)
    target = base.setdefault("props", {}) if "type" in base else base
    for op, argument in ops:
        apply_op(target, op, argument)
    return base


def encode(value: Any) -> Any:
    """`__unknown__` -> the engine's unknown sentinel; `{__json__: x}` -> JSON text of x."""
    if value == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        if set(value) == {JSON}:
            inner = value[JSON]
            return UNKNOWN_STRING_VALUE if inner == UNKNOWN else json.dumps(inner)
        return {key: encode(element) for key, element in value.items()}
    if isinstance(value, list):
        return [encode(element) for element in value]
    return value
