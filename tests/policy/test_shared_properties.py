"""The pack converts each resource's properties once per call and shares them across policies. Its verdicts
must be exactly the SDK's own: every response of the shared path equals the unshared one, on the real
requests of our stacks, with known and with unknown values."""

from __future__ import annotations

import pytest
from google.protobuf import json_format
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from nhi.preflight.analyzer import _Analysis
from nhi_rules.lib import shared_properties
from nhi_rules.registry import POLICIES
from tests.conftest import REPO, capture_stack


@pytest.fixture(scope="module")
def servicer() -> sdk._PolicyAnalyzerServicer:
    assert shared_properties.install() is True  # active with the pinned SDK
    return sdk._PolicyAnalyzerServicer("nhi-platform", "0.0.1", POLICIES, EnforcementLevel.MANDATORY)


def _as_dict(response: object) -> dict:
    return json_format.MessageToDict(response)  # type: ignore[arg-type]


@pytest.mark.parametrize("unknowns", [False, True])
def test_shared_and_unshared_analysis_agree(servicer: sdk._PolicyAnalyzerServicer, unknowns: bool) -> None:
    capture = capture_stack("prod", unknowns=unknowns)
    analysis = _Analysis(None, capture, REPO / "policy")  # type: ignore[arg-type]
    unshared = sdk._PolicyAnalyzerServicer._nhi_unshared
    findings = 0
    for resource in capture.resources:
        request = analysis.analyze_request(resource)
        shared = _as_dict(servicer.Analyze(request, None))
        assert shared == _as_dict(unshared["Analyze"](servicer, request, None)), resource.urn
        findings += len(shared.get("diagnostics", []))
    stack_request = analysis.stack_request()
    assert _as_dict(servicer.AnalyzeStack(stack_request, None)) == _as_dict(
        unshared["AnalyzeStack"](servicer, stack_request, None)
    )
    # With the pack's defaults (no stack config) the comparison covers real findings, not only silence.
    assert findings > 0


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shared_properties.SWITCH, "0")
    assert shared_properties.install() is False


@pytest.mark.parametrize("unknowns", [False, True])
def test_the_stack_built_once_is_judged_as_the_sdk_judges_it(
    servicer: sdk._PolicyAnalyzerServicer, unknowns: bool
) -> None:
    from nhi.preflight.capture import capture_program
    from nhi.preflight.program import load_program, stack_config

    program = load_program(REPO / "tests" / "programs" / "broken_prod")  # violates every stack rule it can
    capture = capture_program(program, stack_config(program, "prod"), unknowns=unknowns)
    stack_request = _Analysis(None, capture, REPO / "policy").stack_request()  # type: ignore[arg-type]
    ours = _as_dict(servicer.AnalyzeStack(stack_request, None))
    assert ours == _as_dict(sdk._PolicyAnalyzerServicer._nhi_unshared["AnalyzeStack"](servicer, stack_request, None))
    stack_policies = {p.name for p in POLICIES if isinstance(p, sdk.StackValidationPolicy)}
    assert {d["policyName"] for d in ours.get("diagnostics", [])} & stack_policies
