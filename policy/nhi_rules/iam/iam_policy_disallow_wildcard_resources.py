"""Write, permissions-management and tagging actions name their resources; `*` is for reads and lists."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib import iamdb
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import PERMISSION_TYPES, Document, parsed_statements, permission_documents
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-policy-disallow-wildcard-resources"

MSG_WRITE_ON_STAR = (
    "{path}.Resource is '*' for {level} action {action}: name the ARNs the workload "
    "writes to (arn:aws:<service>:<region>:<account>:<resource>)"
)
MSG_NOT_RESOURCE = "{path}.NotResource with Effect Allow grants every other resource: list Resource ARNs instead"


def _judge(document: Document) -> Iterator[str]:
    for statement in parsed_statements(document):
        if not statement.allows:
            continue
        if statement.not_resources:
            yield MSG_NOT_RESOURCE.format(path=statement.path)
        if "*" not in (resource.strip() for resource in statement.resources):
            continue
        for pattern in statement.actions:
            for action in iamdb.expand(pattern):
                # Actions without resource types only accept '*': granting them on '*' is the only way.
                if action.access_level in iamdb.WRITE_LEVELS and action.arn_patterns:
                    yield MSG_WRITE_ON_STAR.format(
                        path=statement.path, level=action.access_level.lower(), action=action.full_name
                    )
                    break


def check(subject: Subject) -> Iterator[str]:
    for document in permission_documents(subject.type, subject.props):
        # One unknown document (built with `apply`) does not hide what the others grant.
        yield from subject.apart(_judge, document)


POLICY = resource_rule(
    name=NAME,
    description="IAM policies do not grant write or permissions-management actions on Resource '*'.",
    resource_types=PERMISSION_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "least-privilege"],
    remediation_steps="Replace Resource '*' with the ARNs of the resources the workload writes to.",
)
