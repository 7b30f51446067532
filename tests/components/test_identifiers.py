"""The components' identifier grammar matches values whole: `$` would accept a trailing newline."""

from __future__ import annotations

import re

import pytest

from components.identifiers import (
    ACCOUNT_RE,
    DNS_LABEL_RE,
    POLICY_ARN_RE,
    REGION_RE,
    ROLE_ARN_RE,
    is_github_owner,
    is_github_repository,
)


def test_github_names_with_a_trailing_newline_are_refused() -> None:
    assert is_github_owner("acme") and is_github_repository("nhi-platform")
    assert not is_github_owner("acme\n")
    assert not is_github_repository("nhi-platform\n")


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (DNS_LABEL_RE, "payments"),
        (ACCOUNT_RE, "111122223333"),
        (REGION_RE, "eu-west-1"),
        (ROLE_ARN_RE, "arn:aws:iam::111122223333:role/platform-admins"),
        (POLICY_ARN_RE, "arn:aws:iam::111122223333:policy/workload-boundary"),
    ],
)
def test_each_pattern_matched_whole_refuses_a_trailing_newline(pattern: re.Pattern[str], value: str) -> None:
    assert pattern.fullmatch(value)
    assert not pattern.fullmatch(value + "\n")
    assert pattern.match(value + "\n"), "the pattern ends in `$`: only a whole match refuses the newline"
