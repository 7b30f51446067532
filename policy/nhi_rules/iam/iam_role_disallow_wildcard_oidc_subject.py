"""OIDC subjects are exact: no wildcard lets other service accounts, namespaces or repositories in."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, parsed_statements, trust_document
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-disallow-wildcard-oidc-subject"
NAMESPACE_WIDE = re.compile(r"^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:\*$")

MSG_WILDCARD_LIKE = (
    "{path}.Condition {operator} {key} is {value!r}, a wildcard subject: use StringEquals with "
    "the exact system:serviceaccount:<namespace>:<name>"
)
MSG_WILDCARD_EQUALS = (
    "{path}.Condition StringEquals {key} is {value!r}: StringEquals matches '*' literally, so "
    "the role works for nobody or misleads; write the exact subject"
)

CONFIG = {
    "allowNamespaceWide": {
        "type": "boolean",
        "default": False,
        "description": "Accept StringLike system:serviceaccount:<namespace>:* (never '*' in the namespace).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    trust = trust_document(subject.props)
    if trust is None:
        return
    for statement in parsed_statements(trust):
        if not statement.allows:
            continue
        for operator, entries in statement.conditions.items():
            for key, values in entries.items():
                if not key.lower().endswith(":sub"):
                    continue
                for value in values:
                    if "*" not in value and "?" not in value:
                        continue
                    if operator.endswith("StringLike"):
                        if subject.config["allowNamespaceWide"] and NAMESPACE_WIDE.match(value):
                            continue
                        yield MSG_WILDCARD_LIKE.format(path=statement.path, operator=operator, key=key, value=value)
                    elif "Equals" in operator:
                        yield MSG_WILDCARD_EQUALS.format(path=statement.path, key=key, value=value)


POLICY = resource_rule(
    name=NAME,
    description="OIDC trust policies name exact subjects (no wildcard service accounts, namespaces or repos).",
    resource_types=(ROLE,),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-11", "Scope the IAM Role trust policy for IRSA roles to the service account name"),
    tags=["aws", "iam", "trust", "irsa", "oidc"],
    remediation_steps="Replace wildcard subjects with StringEquals on the exact subject of each workload.",
    config=CONFIG,
)
