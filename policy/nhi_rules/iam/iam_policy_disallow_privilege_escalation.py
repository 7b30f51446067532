"""No grant lets its holder widen its own (or anyone's) permissions, or run code as another identity.

Each statement is evaluated as IAM does (`nhi_rules.lib.iam_eval`): an explicit Deny of the same document wins,
Resource and NotResource narrow an Allow to what the action can act on (an AWS managed policy cannot be given a
new version), and a Condition that can never hold grants nothing. A grant that depends on a condition the pack
cannot evaluate before deploy (a tag, the source, MFA) is reported as such.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.escalation import (
    EC2_SERVICE,
    IDENTITY_EDITING,
    PASSROLE_ACTION,
    RUN_AS_ANOTHER,
    RUN_INSTANCES,
    STAR_ONLY,
    passes_to,
)
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import PERMISSION_TYPES, Document, parsed_statements, permission_documents
from nhi_rules.lib.iam_eval import NOT_RESOURCE, Grant, grants
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-policy-disallow-privilege-escalation"

ESCALATION_ACTIONS = IDENTITY_EDITING
STAR_ONLY_ACTIONS = STAR_ONLY

MSG_ESCALATION = "{path} grants {action}, which lets the holder widen permissions: remove it from workload policies"
MSG_RUN_AS_ANOTHER = (
    "{path} grants {action} on {resources}, which runs code or commands with the permissions of another "
    "identity (the function's, instance's, stack's or notebook's role): remove it from workload policies"
)
MSG_RUN_INSTANCES = (
    "{path} grants ec2:RunInstances and {pass_path} grants iam:PassRole to EC2, so the holder can start an "
    "instance with the instance profile of any role it can pass: name the exact role and drop RunInstances "
    "from workload policies"
)
MSG_ANY_ROLE = (
    "{path} grants {action} on {resource!r}: name the exact role ARNs (and, for PassRole, add an "
    "iam:PassedToService condition)"
)
MSG_CONDITIONAL = (
    "{path} grants {action} only when {keys} match, which cannot be evaluated before deploy: if it holds, the "
    "holder can widen permissions; remove the action, or confirm the condition cannot be met by the holder"
)


def _broad(resource: str) -> bool:
    text = resource.strip()
    return text == NOT_RESOURCE or text == "*" or text.endswith((":role/*", ":*")) or ":*:" in text


def _escalation(grant: Grant, message: str) -> str:
    keys = grant.open_conditions
    if keys:
        return MSG_CONDITIONAL.format(path=grant.statement.path, action=grant.action, keys=", ".join(keys))
    return message


def _judge(document: Document) -> Iterator[str]:
    statements = parsed_statements(document)
    for action in ESCALATION_ACTIONS:
        for grant in grants(statements, action):
            yield _escalation(grant, MSG_ESCALATION.format(path=grant.statement.path, action=action))
    for action in RUN_AS_ANOTHER:
        for grant in grants(statements, action):
            message = MSG_RUN_AS_ANOTHER.format(path=grant.statement.path, action=action, resources=grant.on)
            yield _escalation(grant, message)
    passes = [grant for grant in grants(statements, PASSROLE_ACTION) if passes_to(grant, EC2_SERVICE)]
    for grant in grants(statements, RUN_INSTANCES) if passes else ():
        message = MSG_RUN_INSTANCES.format(path=grant.statement.path, pass_path=passes[0].statement.path)
        yield _escalation(grant, message)
    for action in STAR_ONLY_ACTIONS:
        for grant in grants(statements, action):
            for resource in grant.resources:
                if _broad(resource):
                    yield MSG_ANY_ROLE.format(path=grant.statement.path, action=action, resource=resource)


def check(subject: Subject) -> Iterator[str]:
    for document in permission_documents(subject.type, subject.props):
        # One unknown document (built with `apply`) does not hide what the others grant.
        yield from subject.apart(_judge, document)


POLICY = resource_rule(
    name=NAME,
    description="IAM policies grant no privilege-escalation path (PassRole/AssumeRole on *, policy or role "
    "editing, running code as another identity).",
    resource_types=PERMISSION_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "privilege-escalation"],
    remediation_steps="Remove policy/role editing and code-running actions from workload policies; scope PassRole "
    "and AssumeRole to named role ARNs.",
)
