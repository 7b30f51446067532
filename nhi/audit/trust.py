"""Wide trust: who may assume a role, judged on its live trust policy.

A role trusting an OIDC provider needs `StringEquals` on the audience and the subject (IAM's guidance for
GitHub and EKS); a GitHub subject must name one repository with no wildcard (`repo:org/*` lets every repository
of the organisation in, `repo:*` every repository on GitHub: the 500 roles across 275 accounts that research
found); an account root (or `*`) without any condition lets every principal of that account (or anyone) in."""

from __future__ import annotations

import re
from typing import Any

from .policies import statements

OIDC_PROVIDER = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/(?P<host>.+)$")
GITHUB_HOST = "token.actions.githubusercontent.com"
ROOT = re.compile(r"^(arn:aws[a-z-]*:iam::(?P<account>\d{12}):root|(?P<bare>\d{12}))$")
# A GitHub subject for one repository: repo:OWNER/REPO:<context>, no wildcard anywhere.
ONE_REPOSITORY = re.compile(r"^repo:[A-Za-z0-9-]+/[A-Za-z0-9._-]+:[^*?]+$")


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _principals(statement: dict[str, Any]) -> list[tuple[str, str]]:
    principal = statement.get("Principal")
    if principal == "*":
        return [("*", "*")]
    if not isinstance(principal, dict):
        return []
    return [(kind, value) for kind, values in principal.items() for value in _values(values)]


def _condition_values(conditions: dict[str, Any], operator: str, key: str) -> list[str] | None:
    for op, entries in conditions.items():
        if op != operator or not isinstance(entries, dict):
            continue
        for name, value in entries.items():
            if name.lower() == key.lower():
                return _values(value)
    return None


def _any_key(conditions: dict[str, Any], key: str) -> list[str]:
    return [
        value
        for entries in conditions.values()
        if isinstance(entries, dict)
        for name, values in entries.items()
        if name.lower() == key.lower()
        for value in _values(values)
    ]


def wide_trust(trust: dict[str, Any]) -> list[str]:
    """Why the trust policy lets in more than one named workload or job; empty when it does not."""
    problems = []
    for number, statement in enumerate(statements(trust), start=1):
        if statement.get("Effect") != "Allow":
            continue
        name = statement.get("Sid") or f"#{number}"
        conditions = statement.get("Condition") or {}
        for kind, value in _principals(statement):
            provider = OIDC_PROVIDER.match(value) if kind == "Federated" else None
            if provider is not None:
                problems += _oidc(name, provider.group("host"), conditions)
            elif (kind == "*" or (kind == "AWS" and (value == "*" or ROOT.match(value)))) and not conditions:
                who = "anyone" if value == "*" else f"every principal of account {value}"
                problems.append(f"statement {name} lets {who} assume the role, with no condition")
    return problems


def _oidc(name: str, host: str, conditions: dict[str, Any]) -> list[str]:
    problems = []
    for claim in ("aud", "sub"):
        if _condition_values(conditions, "StringEquals", f"{host}:{claim}") is None:
            problems.append(f"statement {name} trusts {host} without StringEquals on {host}:{claim}")
    if host == GITHUB_HOST:
        subjects = _any_key(conditions, f"{host}:sub")
        loose = [s for s in subjects if not ONE_REPOSITORY.match(s)]
        if loose:
            problems.append(
                f"statement {name} trusts GitHub for {', '.join(sorted(loose))}: any repository (or branch) "
                "matching it can assume the role; name one repository and context with StringEquals"
            )
    return problems
