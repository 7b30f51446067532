"""The pack's servicer (work shared across policies, `nhi_rules.lib.sharing`) answers exactly as the SDK's own,
on the broken copy of prod (every kind of violation) and on a first preview of prod (rules that cannot run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from nhi.preflight.analyzer import _Analysis
from nhi.preflight.capture import Capture, capture_program
from nhi.preflight.program import load_program, stack_config
from nhi_rules.lib import sharing
from nhi_rules.registry import POLICIES
from tests.conftest import REPO, capture_stack

BROKEN_PROD = REPO / "tests" / "programs" / "broken_prod"


def _servicer(cls: type) -> Any:
    return cls("nhi-platform", "0.0.1", POLICIES, EnforcementLevel.MANDATORY, None, None, None, None, None, None,
               None)


def _answers(servicer: Any, capture: Capture) -> list[Any]:
    """Every response, reduced to comparable values (diagnostics and not-applicable entries, in order)."""
    analysis = _Analysis(None, capture, Path("policy"))  # type: ignore[arg-type]
    responses = [servicer.Analyze(analysis.analyze_request(r), None) for r in capture.resources]
    responses.append(servicer.AnalyzeStack(analysis.stack_request(), None))
    return [([(d.policyName, d.urn, d.message, d.enforcementLevel, d.severity) for d in response.diagnostics],
             [(n.policy_name, n.reason) for n in response.not_applicable]) for response in responses]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["broken-prod", "prod-first-preview"])
def test_shared_servicer_answers_as_the_sdk_does(which: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if which == "broken-prod":
        program = load_program(BROKEN_PROD)
        capture = capture_program(program, stack_config(program, "prod"))
    else:
        capture = capture_stack("prod", unknowns=True)
    plain = _answers(_servicer(sdk._PolicyAnalyzerServicer), capture)
    for name, value in sharing.patches().items():
        monkeypatch.setattr(sdk, name, value)
    shared = _answers(_servicer(sdk._PolicyAnalyzerServicer), capture)
    assert shared == plain
    assert any(diagnostics for diagnostics, _ in plain), "the comparison must cover violations"


def test_install_patches_only_an_sdk_it_knows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sdk, "unknown_checking_proxy")
    original = sdk._PolicyAnalyzerServicer
    assert sharing.install() is False
    assert sdk._PolicyAnalyzerServicer is original
