"""IAM and KMS policy documents shared by the components: plain functions returning JSON text, so that what the
engine sees (and the policy pack judges) is one string built in one place; and the IAM values they share."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"
STS_AUDIENCE = "sts.amazonaws.com"
"""The audience STS expects in a web identity token: of the cluster's OIDC provider (IRSA) and of GitHub's."""
# One hour: the shortest maximum session IAM allows a role; the SDKs refresh pod credentials before expiry, and the
# workflows ask for less.
MAX_SESSION_SECONDS = 3600


def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": POLICY_VERSION, "Statement": list(statements)}, sort_keys=True)


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
