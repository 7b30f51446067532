"""No grant lets its holder widen its own (or anyone's) permissions."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import PERMISSION_TYPES, Document, parsed_statements, permission_documents
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-policy-disallow-privilege-escalation"

# Editing policies, roles, users' credentials and cluster access: each is a path to more privilege.
ESCALATION_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:CreateRole",
    "eks:CreateAccessEntry",
    "eks:AssociateAccessPolicy",
    "eks:CreatePodIdentityAssociation",
    "eks:UpdatePodIdentityAssociation",
)
# Harmless on named resources, an escalation on any role.
STAR_ONLY_ACTIONS = ("iam:PassRole", "sts:AssumeRole")

MSG_ESCALATION = "{path} grants {action}, which lets the holder widen permissions: remove it from workload policies"
MSG_ANY_ROLE = (
    "{path} grants {action} on {resource!r}: name the exact role ARNs (and, for PassRole, add an "
    "iam:PassedToService condition)"
)


def _broad(resource: str) -> bool:
    text = resource.strip()
    return text == "*" or text.endswith((":role/*", ":*")) or ":*:" in text


def _judge(document: Document) -> Iterator[str]:
    for statement in parsed_statements(document):
        for action in ESCALATION_ACTIONS:
            if statement.grants(action):
                yield MSG_ESCALATION.format(path=statement.path, action=action)
        for action in STAR_ONLY_ACTIONS:
            if statement.grants(action):
                for resource in statement.resources:
                    if _broad(resource):
                        yield MSG_ANY_ROLE.format(path=statement.path, action=action, resource=resource)
                if statement.not_resources:
                    yield MSG_ANY_ROLE.format(path=statement.path, action=action, resource="NotResource")


def check(subject: Subject) -> Iterator[str]:
    for document in permission_documents(subject.type, subject.props):
        # One unknown document (built with `apply`) does not hide what the others grant.
        yield from subject.apart(_judge, document)


POLICY = resource_rule(
    name=NAME,
    description="IAM policies grant no privilege-escalation path (PassRole/AssumeRole on *, policy or role editing).",
    resource_types=PERMISSION_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "privilege-escalation"],
    remediation_steps="Remove policy/role editing actions from workload policies; scope PassRole and AssumeRole "
    "to named role ARNs.",
)
