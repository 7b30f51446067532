"""The grammar of the identifiers the components take: Kubernetes names, AWS accounts, regions and ARNs, GitHub
owners and repositories. Components refuse what does not match; settings validate stack files with the same
patterns, so that both say the same thing about the same value."""

from __future__ import annotations

import re

DNS_LABEL_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
"""A Kubernetes name of one DNS label (namespaces, workloads, node groups, the cluster)."""
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
# A region: geography, an optional partition marker (GovCloud, the isolated ISO regions), a direction, a digit.
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$")
POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[\w+=,.@/-]{1,512}$")
# GitHub's own rules: an owner is 1-39 letters, digits or single inner hyphens; a repository 1-100 letters, digits,
# '.', '_' or '-'. Neither admits '*' or '?', so the OIDC subject built from them can never be a pattern.
GITHUB_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
GITHUB_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def is_github_owner(value: str) -> bool:
    return len(value) <= 39 and bool(GITHUB_OWNER_RE.fullmatch(value))


def is_github_repository(value: str) -> bool:
    return bool(GITHUB_REPOSITORY_RE.fullmatch(value)) and value not in (".", "..")


def partition_of(region: str) -> str:
    """The AWS partition of a region, for ARNs built before any resource exists."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"
