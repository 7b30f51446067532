"""Wide trust, judged on live trust policies: the research finding (GitHub for any repository), OIDC without
StringEquals on audience and subject, an account root or anyone without a condition; and what is narrow enough."""

from __future__ import annotations

from typing import Any

import pytest

from nhi.audit.trust import wide_trust

GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
EKS = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
H = "token.actions.githubusercontent.com"
E = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def trust(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


NARROW = {
    "github-one-environment": trust(
        {"Federated": GITHUB},
        {"StringEquals": {f"{H}:aud": "sts.amazonaws.com", f"{H}:sub": "repo:acme/app:environment:prod"}},
    ),
    "github-two-exact-subjects": trust(
        {"Federated": GITHUB},
        {
            "StringEquals": {
                f"{H}:aud": "sts.amazonaws.com",
                f"{H}:sub": ["repo:acme/app:pull_request", "repo:acme/app:environment:prod-audit"],
            }
        },
    ),
    "eks-one-service-account": trust(
        {"Federated": EKS},
        {"StringEquals": {f"{E}:aud": "sts.amazonaws.com", f"{E}:sub": "system:serviceaccount:shop:cart"}},
    ),
    "root-with-external-id": trust(
        {"AWS": "arn:aws:iam::444455556666:root"}, {"StringEquals": {"sts:ExternalId": "x"}}
    ),
    "a-service": trust({"Service": "ec2.amazonaws.com"}),
    "a-named-role": trust({"AWS": "arn:aws:iam::444455556666:role/reader"}),
}
WIDE = {
    "github-any-repository-of-the-org": (
        trust(
            {"Federated": GITHUB},
            {"StringEquals": {f"{H}:aud": "sts.amazonaws.com"}, "StringLike": {f"{H}:sub": "repo:acme/*"}},
        ),
        ["without StringEquals on token.actions.githubusercontent.com:sub", "trusts GitHub for repo:acme/*"],
    ),
    "github-no-subject": (
        trust({"Federated": GITHUB}, {"StringEquals": {f"{H}:aud": "sts.amazonaws.com"}}),
        ["without StringEquals on token.actions.githubusercontent.com:sub"],
    ),
    "github-every-branch-exactly-written": (
        trust(
            {"Federated": GITHUB}, {"StringEquals": {f"{H}:aud": "sts.amazonaws.com", f"{H}:sub": "repo:acme/app:*"}}
        ),
        ["trusts GitHub for repo:acme/app:*"],
    ),
    "eks-no-audience": (
        trust({"Federated": EKS}, {"StringEquals": {f"{E}:sub": "system:serviceaccount:shop:cart"}}),
        [f"without StringEquals on {E}:aud"],
    ),
    "root-without-condition": (trust({"AWS": "arn:aws:iam::444455556666:root"}), ["every principal of account"]),
    "bare-account-without-condition": (trust({"AWS": "444455556666"}), ["every principal of account 444455556666"]),
    "anyone": (trust("*"), ["lets anyone assume the role"]),
}


@pytest.mark.parametrize("name", NARROW)
def test_narrow_trust_is_not_reported(name: str) -> None:
    assert wide_trust(NARROW[name]) == []


@pytest.mark.parametrize("name", WIDE)
def test_wide_trust_is_reported_with_its_reason(name: str) -> None:
    document, reasons = WIDE[name]
    problems = wide_trust(document)
    assert len(problems) == len(reasons)
    for problem, reason in zip(problems, reasons, strict=True):
        assert reason in problem, problem


def test_a_deny_statement_is_not_trust() -> None:
    document = trust("*")
    document["Statement"][0]["Effect"] = "Deny"
    assert wide_trust(document) == []
