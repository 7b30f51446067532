"""Tolerant access to resource properties as the engine sends them.

Rules read camelCase inputs through these helpers so that a missing key, a None or a value of the wrong type
is an "absent" value, never an exception. Unknown values are left to pulumi_policy's proxy: touching one
raises its UnknownValueError, which the SDK reports as "could not run during preview".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_MISSING = object()


def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Walk `path` through mappings (str keys) and sequences (int indices); `default` on any mismatch."""
    current = obj
    for key in path:
        if isinstance(key, int):
            if not is_list(current) or not -len(current) <= key < len(current):
                return default
            current = current[key]
        else:
            if not is_map(current):
                return default
            try:
                current = current[key]
            except KeyError:
                return default
        if current is None:
            return default
    return current


def has(obj: Any, *path: str | int) -> bool:
    return get(obj, *path, default=_MISSING) is not _MISSING


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_bool(value: Any) -> bool | None:
    """Booleans, and the strings "true"/"false" some providers use (e.g. launch template `ebs.encrypted`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def items(value: Any) -> Iterator[tuple[int, Any]]:
    """(index, element) of a list; nothing for anything else."""
    if is_list(value):
        for index in range(len(value)):
            yield index, value[index]


def maps(value: Any) -> Iterator[tuple[int, Mapping]]:
    """(index, element) of a list, keeping only the mapping elements."""
    for index, element in items(value):
        if is_map(element):
            yield index, element


def strings(value: Any) -> list[str]:
    """A string or a list of strings as a list of strings (IAM lets `Action` be either)."""
    if isinstance(value, str):
        return [value]
    return [element for _, element in items(value) if isinstance(element, str)]


def str_map(value: Any) -> dict[str, str]:
    """A mapping of string keys to string values (labels, annotations, tags); other entries dropped."""
    if not is_map(value):
        return {}
    result: dict[str, str] = {}
    for key in value:
        if isinstance(key, str):
            element = value[key]
            if isinstance(element, str):
                result[key] = element
    return result


def present(obj: Any, *path: str) -> bool:
    """Whether the last key is set to something non-empty, without reading it when it is unknown.

    For "is it set" checks (a key ARN, a KMS key id), an unknown value will be a real value after the update,
    so it counts as set; iterating a proxy's keys never touches its values.
    """
    parent = get(obj, *path[:-1]) if len(path) > 1 else obj
    if not is_map(parent) or path[-1] not in list(iter(parent)):
        return False
    from pulumi_policy.proxy import UnknownValueError

    try:
        value = parent[path[-1]]
    except UnknownValueError:
        return True
    return value not in (None, "", [], {})
