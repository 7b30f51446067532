"""The one parametrised test that runs every case beside every rule."""

from __future__ import annotations

import importlib

import pytest

from nhi_rules.lib import exemptions, rule
from tests.policy.harness import Case, load_cases, run_case, template_regex

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    module = importlib.import_module(case.rule_module)
    verdict = run_case(case)
    assert verdict.outcome == case.expect, (
        f"{case.id}: expected {case.expect}, got {verdict.outcome}: {verdict.messages}"
    )
    for constant in case.messages:
        template = getattr(module, constant, None) or getattr(exemptions, constant, None) or getattr(rule, constant)
        assert any(template_regex(template).search(message) for message in verdict.messages), (
            f"{case.id}: no violation matches {constant}: {verdict.messages}"
        )
    if case.expect == "fail":
        assert case.messages, f"{case.id}: a fail case names the message constants it expects"
    if case.exempt is not None and case.expect == "pass":
        assert verdict.not_applicable and verdict.not_applicable.startswith("exempted:"), verdict
    else:
        assert verdict.not_applicable is None, f"{case.id}: unexpectedly not applicable: {verdict.not_applicable}"
