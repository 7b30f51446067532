"""IAM and KMS policy documents shared by the cluster components: plain functions returning JSON text, so
that what the engine sees (and the policy pack judges) is one string built in one place."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

VERSION = "2012-10-17"


def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, sort_keys=True)


def service_trust(
    service: str,
    actions: Sequence[str] = ("sts:AssumeRole",),
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """A role trust policy for one AWS service principal."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}
    if conditions:
        statement["Condition"] = {op: dict(values) for op, values in conditions.items()}
    return document(statement)


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"
