"""GitHub Actions trust names one repository and one protected context, with StringEquals: never a pattern.

A role federated with GitHub's issuer (token.actions.githubusercontent.com) is a pipeline's identity. Its `sub`
must be `repo:<owner>/<repo>:environment:<name>` (a deploy, behind the environment's protection rules) or
`repo:<owner>/<repo>:pull_request` (a read-only preview), its `aud` sts.amazonaws.com, both under plain
StringEquals. The generic OIDC rules catch a missing `aud`/`sub` and wildcards for any issuer; this one knows
GitHub's subject grammar, so `repo:acme/*`, `repo:acme/app:*`, a branch ref where only environments are allowed,
or StringLike on `sub` even without a wildcard, are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import access_analyzer
from nhi_rules.lib.iam import ROLE, Statement, parsed_statements, trust_document
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-enforce-github-oidc-trust"
ISSUER = "token.actions.githubusercontent.com"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
# GitHub's grammar: owner 1-39 letters, digits, inner single '-'; repository 1-100 of [A-Za-z0-9._-]; then the
# context of the job. No '*' or '?' anywhere: a subject names one repository and one context.
SUBJECT = re.compile(
    r"^repo:(?P<repository>[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}):"
    r"(?P<context>environment:[^*?:]+|pull_request|ref:refs/(?:heads|tags)/[^*?]+)$"
)

MSG_NO_AUD = (
    '{path}.Condition has no StringEquals on {issuer}:aud: add StringEquals {{"{issuer}:aud": "sts.amazonaws.com"}}'
)
MSG_BAD_AUD = "{path}.Condition StringEquals {issuer}:aud is {values}: set it to one of {allowed}"
MSG_NO_SUB = (
    "{path}.Condition has no StringEquals on {issuer}:sub, so a workflow of any repository on GitHub "
    'can assume the role: add StringEquals {{"{issuer}:sub": "repo:<owner>/<repo>:environment:<name>"}}'
)
MSG_OPERATOR = (
    "{path}.Condition {operator} on {issuer}:sub: use plain StringEquals with exact subjects (a pattern, "
    "or one typo in it, lets other repositories in)"
)
MSG_UNPINNED = (
    "{path}.Condition StringEquals {issuer}:sub {value!r} is not one repository and one context: write "
    "repo:<owner>/<repo>:environment:<name> (deploy) or repo:<owner>/<repo>:pull_request (preview)"
)
MSG_CONTEXT = (
    "{path}.Condition {issuer}:sub {value!r} trusts {context!r}: this environment's pack config allows "
    "{allowed} (allowedContexts); deploy through a protected GitHub environment"
)
MSG_REPOSITORY = (
    "{path}.Condition {issuer}:sub {value!r} names {repository!r}, not one of the pack config's "
    "allowedRepositories {allowed}"
)

CONFIG = {
    "audiences": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["sts.amazonaws.com"],
        "description": "Accepted values of token.actions.githubusercontent.com:aud.",
    },
    "allowedContexts": {
        "type": "array",
        "items": {"type": "string", "enum": ["environment", "pull_request", "ref"]},
        "default": ["environment", "pull_request"],
        "description": "Job contexts a role may trust: environment (deploys behind protection rules), "
        "pull_request (read-only previews), ref (pushes to a branch or tag).",
    },
    "allowedRepositories": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "owner/repo names GitHub roles may trust; empty: any single repository.",
    },
}


def _github(statement: Statement) -> bool:
    for provider in statement.principals.get("Federated", ()):
        _, marker, issuer = provider.partition(":oidc-provider/")
        if (issuer if marker else provider).strip().lower() == ISSUER:
            return True
    return False


def check(subject: Subject) -> Iterator[str]:
    trust = trust_document(subject.props)
    if trust is None:
        return
    config = subject.config
    for statement in parsed_statements(trust):
        if not (statement.allows and statement.grants(WEB_IDENTITY) and _github(statement)):
            continue
        path, key = statement.path, f"{ISSUER}:sub"
        aud = statement.condition_values(f"{ISSUER}:aud")
        if "StringEquals" not in aud:
            yield MSG_NO_AUD.format(path=path, issuer=ISSUER)
        elif not aud["StringEquals"] or any(value not in config["audiences"] for value in aud["StringEquals"]):
            yield MSG_BAD_AUD.format(
                path=path, issuer=ISSUER, values=list(aud["StringEquals"]), allowed=config["audiences"]
            )
        subjects = statement.condition_values(key)
        for operator in subjects:
            if operator != "StringEquals":
                yield MSG_OPERATOR.format(path=path, operator=operator, issuer=ISSUER)
        if not subjects.get("StringEquals"):
            yield MSG_NO_SUB.format(path=path, issuer=ISSUER)
        for value in subjects.get("StringEquals", ()):
            match = SUBJECT.match(value)
            if match is None:
                yield MSG_UNPINNED.format(path=path, issuer=ISSUER, value=value)
                continue
            context = match["context"].split(":", 1)[0]
            if context not in config["allowedContexts"]:
                yield MSG_CONTEXT.format(
                    path=path, issuer=ISSUER, value=value, context=context, allowed=config["allowedContexts"]
                )
            allowed = config["allowedRepositories"]
            if allowed and match["repository"] not in allowed:
                yield MSG_REPOSITORY.format(
                    path=path, issuer=ISSUER, value=value, repository=match["repository"], allowed=allowed
                )


POLICY = resource_rule(
    name=NAME,
    description="GitHub Actions OIDC trust pins aud and sub (one repository, one environment or pull_request) "
    "with StringEquals.",
    resource_types=(ROLE,),
    check=check,
    severity=Severity.CRITICAL,
    framework=access_analyzer(
        "Security Warning - Missing github repo condition key",
        "Roles federated with GitHub Actions pin the repository in the sub condition",
    ),
    tags=["aws", "iam", "trust", "oidc", "github", "ci"],
    remediation_steps="Trust token.actions.githubusercontent.com with StringEquals on :aud = sts.amazonaws.com and "
    ":sub = repo:<owner>/<repo>:environment:<name> (deploy) or repo:<owner>/<repo>:pull_request "
    "(read-only preview); protect the environment (required reviewers, deployment branches).",
    config=CONFIG,
)
