"""The pack runs only the policies that judge a resource's type (`nhi_rules.lib.dispatch`). Its answers must
be exactly the SDK's: on the broken copy of prod (every kind of violation) and on a first preview of prod
(rules that cannot run), with properties shared as in the pack (`shared_properties`)."""

from __future__ import annotations

import pytest
from google.protobuf import json_format
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from nhi.preflight.analyzer import _Analysis
from nhi.preflight.capture import capture_program
from nhi.preflight.program import load_program, stack_config
from nhi_rules.lib import dispatch, shared_properties
from nhi_rules.registry import POLICIES
from tests.conftest import REPO, capture_stack

BROKEN_PROD = REPO / "tests" / "programs" / "broken_prod"


@pytest.fixture(scope="module")
def servicer() -> sdk._PolicyAnalyzerServicer:
    # As policy/__main__.py does: shared properties first, so the SDK's original Analyze stays reachable.
    assert shared_properties.install() is True
    assert dispatch.install() is True
    return sdk._PolicyAnalyzerServicer("nhi-platform", "0.0.1", POLICIES, EnforcementLevel.MANDATORY)


def _as_dict(response: object) -> dict:
    return json_format.MessageToDict(response)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["broken-prod", "prod-first-preview"])
def test_dispatched_analysis_answers_as_the_sdk_does(servicer: sdk._PolicyAnalyzerServicer, which: str) -> None:
    if which == "broken-prod":
        program = load_program(BROKEN_PROD)
        capture = capture_program(program, stack_config(program, "prod"))
    else:
        capture = capture_stack("prod", unknowns=True)
    analysis = _Analysis(None, capture, REPO / "policy")  # type: ignore[arg-type]
    original = sdk._PolicyAnalyzerServicer._nhi_unshared["Analyze"]  # the SDK's own, every policy, unshared
    findings = 0
    for resource in capture.resources:
        request = analysis.analyze_request(resource)
        answer = _as_dict(servicer.Analyze(request, None))
        assert answer == _as_dict(original(servicer, request, None)), resource.urn
        findings += len(answer.get("diagnostics", []))
    assert findings > 0, "the comparison must cover violations (or rules that could not run)"


def test_only_the_policies_of_the_type_are_run(servicer: sdk._PolicyAnalyzerServicer) -> None:
    policies = getattr(servicer, dispatch.POLICIES)
    assert len(list(policies)) == len(POLICIES)  # outside a call: all of them
    dispatch._scope.resource_type = "aws:kms/key:Key"
    try:
        assert {p.name for p in policies} == {"kms-key-require-rotation"}
    finally:
        dispatch._scope.resource_type = None


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dispatch.SWITCH, "0")
    assert dispatch.install() is False
