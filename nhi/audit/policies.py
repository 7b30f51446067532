"""Policy documents compared as IAM means them: a single value and a one-element list are the same, order inside
Action, Resource, Principal and condition values does not matter, and a statement is named by its Sid (else by
its position), so a drift message can say which statement differs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        items = [_canonical(item) for item in value]
        if len(items) == 1 and not isinstance(items[0], dict):
            return items[0]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _named(document: dict[str, Any] | None) -> dict[str, Any]:
    return {
        str(statement.get("Sid") or f"#{index + 1}"): _canonical(statement)
        for index, statement in enumerate(statements(document))
    }


def statement_differences(declared: dict[str, Any] | None, live: dict[str, Any] | None) -> list[str]:
    """Which statements differ: `Sid` (or `#n`) added, removed or changed in the live document."""
    before, after = _named(declared), _named(live)
    differences = [f"statement {name} changed" for name in before if name in after and before[name] != after[name]]
    differences += [f"statement {name} removed" for name in before if name not in after]
    differences += [f"statement {name} added" for name in after if name not in before]
    return differences


def canonical_statements(documents: Sequence[dict[str, Any]]) -> list[str]:
    """Every statement of several documents as canonical JSON (inline policies compared whatever their names)."""
    return sorted(
        json.dumps(_canonical({k: v for k, v in s.items() if k != "Sid"}), sort_keys=True)
        for d in documents
        for s in statements(d)
    )


def describe_statement(text: str) -> str:
    statement = json.loads(text)
    return f"{statement.get('Effect', '?')} {statement.get('Action', statement.get('NotAction', '?'))}"
