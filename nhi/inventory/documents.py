"""IAM policy documents as the engine sees them (a JSON string, sometimes an object): permission statements
become Grants, trust statements become Principals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from nhi.preflight import wire

from .levels import canonical, expand, is_pattern, levels_of
from .model import Grant, Principal

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
NAMESPACE_TAG = "aws:RequestTag/kubernetes-namespace"
SERVICE_ACCOUNT_TAG = "aws:RequestTag/kubernetes-service-account"
SA_SUBJECT_PREFIX = "system:serviceaccount:"


class UnreadableDocument(ValueError):
    """A document that is unknown (computed during preview) or not a policy."""


def parse(document: Any) -> dict[str, Any]:
    if document is None or wire.contains_unknown(document):
        raise UnreadableDocument("unknown until the resources it refers to exist")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise UnreadableDocument(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise UnreadableDocument("not a JSON object")
    return document


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    found = document.get("Statement")
    for statement in found if isinstance(found, list) else [found] if isinstance(found, dict) else []:
        if isinstance(statement, dict):
            yield statement


def conditions(statement: dict[str, Any]) -> tuple[str, ...]:
    """`Operator key=value` strings, sorted, for display and comparison."""
    out = []
    for operator, entries in (statement.get("Condition") or {}).items():
        for key, values in (entries or {}).items():
            out.append(f"{operator} {key}={','.join(sorted(_strings(values)))}")
    return tuple(sorted(out))


def condition_values(statement: dict[str, Any], key: str, operators: tuple[str, ...] = ("StringEquals",)) -> list[str]:
    values: list[str] = []
    for operator, entries in (statement.get("Condition") or {}).items():
        if operator not in operators:
            continue
        for name, value in (entries or {}).items():
            if name.lower() == key.lower():
                values.extend(_strings(value))
    return values


def grants(document: Any, source: str) -> tuple[list[Grant], list[str]]:
    """The (action, resource) pairs a permission document allows or denies, and flags for a reviewer."""
    parsed = parse(document)
    found: list[Grant] = []
    flags: list[str] = []
    for statement in statements(parsed):
        effect = str(statement.get("Effect", "Allow"))
        conditional = bool(statement.get("Condition"))
        resources = _strings(statement.get("Resource"))
        if "NotResource" in statement:
            resources = [f"all except {', '.join(sorted(_strings(statement['NotResource'])))}"]
            if effect == "Allow":
                flags.append(f"{source}: NotResource allows every resource but those listed")
        if "NotAction" in statement:
            excluded = sorted(_strings(statement["NotAction"]))
            if effect == "Allow":
                flags.append(f"{source}: NotAction allows every action but {', '.join(excluded)}")
            for resource in resources:
                found.append(
                    Grant("*", "Unknown", f"all except {', '.join(excluded)}", resource, effect, conditional, source)
                )
            continue
        for action in _strings(statement.get("Action")):
            service = action.split(":", 1)[0].lower() if ":" in action else "*"
            if is_pattern(action):
                if effect == "Allow":
                    flags.append(f"{source}: wildcard action {action} ({len(expand(action))} actions)")
                levels = levels_of(action)
                written = action if action == "*" else f"{service}:{action.split(':', 1)[1]}"
                for resource in resources:
                    for level in levels:
                        found.append(Grant(service, level, written, resource, effect, conditional, source))
                continue
            for resource in resources:
                found.append(
                    Grant(service, levels_of(action)[0], canonical(action), resource, effect, conditional, source)
                )
        if effect == "Allow" and "*" in resources:
            flags.append(f'{source}: Resource "*" on {", ".join(sorted(_strings(statement.get("Action"))))}')
    return found, flags


def _subjects(statement: dict[str, Any], kind: str, value: str) -> list[str | None]:
    """Who within the principal may assume: the service account of Pod Identity tags or of an OIDC `:sub`."""
    if kind == "Federated":
        subs = [
            v
            for operator in ("StringEquals", "StringLike")
            for key, values in (statement.get("Condition") or {}).get(operator, {}).items()
            if key.lower().endswith(":sub")
            for v in _strings(values)
        ]
        out: list[str | None] = []
        for sub in subs:
            parts = sub.split(":")
            if sub.startswith(SA_SUBJECT_PREFIX) and len(parts) == 4:
                out.append(f"{parts[2]}/{parts[3]}")
            else:
                out.append(sub)
        return out or [None]
    if kind == "Service" and value == POD_IDENTITY_SERVICE:
        namespaces = condition_values(statement, NAMESPACE_TAG, ("StringEquals", "StringLike"))
        accounts = condition_values(statement, SERVICE_ACCOUNT_TAG, ("StringEquals", "StringLike"))
        pairs: list[str | None] = [f"{n}/{a}" for n in namespaces for a in accounts]
        return pairs or [None]
    return [None]


def principals(document: Any) -> tuple[list[Principal], list[str]]:
    """Every principal an Allow statement of a trust policy names, with the subject it is narrowed to."""
    parsed = parse(document)
    found: list[Principal] = []
    flags: list[str] = []
    for statement in statements(parsed):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = tuple(sorted(_strings(statement.get("Action"))))
        raw = statement.get("Principal")
        entries: list[tuple[str, str]] = []
        if raw == "*" or "NotPrincipal" in statement:
            entries.append(("*", "*"))
        elif isinstance(raw, dict):
            for kind, values in raw.items():
                entries.extend((str(kind), v) for v in _strings(values))
        for kind, value in entries:
            if value == "*" and not statement.get("Condition"):
                flags.append('trust: any principal may assume it (Principal "*" with no condition)')
            for subject in _subjects(statement, kind, value):
                if kind == "Service" and value == POD_IDENTITY_SERVICE and subject is None:
                    flags.append(
                        "trust: any Pod Identity association in the account may use it (no "
                        "kubernetes-namespace/service-account tag conditions)"
                    )
                if kind == "Federated" and "oidc-provider" in value and subject is None:
                    flags.append("trust: any service account of the cluster may use it (no OIDC :sub condition)")
                if kind == "Federated" and subject is not None and ("*" in subject or "?" in subject):
                    flags.append(f"trust: wildcard OIDC subject {subject}")
                found.append(Principal(kind, value, actions, subject, conditions(statement)))
    return found, flags
