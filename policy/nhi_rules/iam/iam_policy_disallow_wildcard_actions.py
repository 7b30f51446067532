"""No Allow statement grants every action (`*`), every action of a service (`svc:*`) or uses NotAction."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import PERMISSION_TYPES, Document, parsed_statements, permission_documents
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-policy-disallow-wildcard-actions"

MSG_STAR_ACTION = "{path}.Action grants {action!r}: list the exact actions the workload calls"
MSG_NOT_ACTION = (
    "{path}.NotAction with Effect Allow grants every action except a few: "
    "replace it with an Action list of what the workload calls"
)


def _judge(document: Document) -> Iterator[str]:
    for statement in parsed_statements(document):
        if not statement.allows:
            continue
        for action in statement.actions:
            _, _, verb = action.strip().partition(":")
            if action.strip() == "*" or verb.strip() == "*":
                yield MSG_STAR_ACTION.format(path=statement.path, action=action)
        if statement.not_actions:
            yield MSG_NOT_ACTION.format(path=statement.path)


def check(subject: Subject) -> Iterator[str]:
    for document in permission_documents(subject.type, subject.props):
        # One unknown document (built with `apply`) does not hide what the others grant.
        yield from subject.apart(_judge, document)


POLICY = resource_rule(
    name=NAME,
    description="IAM permission policies do not grant wildcard actions (`*` or `service:*`).",
    resource_types=PERMISSION_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "least-privilege"],
    remediation_steps=(
        "Replace `*` and `service:*` with the exact actions the workload calls; use IAM Access "
        "Analyzer policy generation from CloudTrail to find them."
    ),
)
