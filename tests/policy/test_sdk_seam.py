"""The pack's seam to pulumi_policy's internals (`nhi_rules.sdk_seam`): with its shortcuts the SDK's servicer
answers every real request exactly as its own code does, and whenever a shortcut may not apply (switched off,
an SDK version it was not tested with, a private name gone) the SDK is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from nhi.preflight.analyzer import PackProcess, _Analysis, error_output
from nhi.preflight.capture import Capture, capture_program
from nhi.preflight.program import load_program, stack_config
from nhi_rules import sdk_seam
from nhi_rules.registry import POLICIES
from nhi_rules.sdk_seam import gate, servicer
from tests.conftest import REPO, capture_stack

BROKEN_PROD = REPO / "tests" / "programs" / "broken_prod"
PACK = REPO / "policy"
STACK_POLICIES = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}


def _broken_prod() -> Capture:
    program = load_program(BROKEN_PROD)
    return capture_program(program, stack_config(program, "prod"))


# Each capture, and what its answers must contain for the comparison to cover something.
CAPTURES: dict[str, tuple[Callable[[], Capture], str]] = {
    "prod": (lambda: capture_stack("prod"), "violation"),  # the pack's defaults, not prod's config: findings
    "prod-first-preview": (lambda: capture_stack("prod", unknowns=True), "cannot-run"),
    "broken-prod": (_broken_prod, "stack-violation"),
}


def _answers(capture: Capture) -> list[dict[str, Any]]:
    """Every answer of a servicer built now to the preflight's requests for the capture: Analyze for each
    resource, then AnalyzeStack."""
    analyzer = servicer.new_servicer("nhi-platform", POLICIES, EnforcementLevel.MANDATORY)
    analysis = _Analysis(None, capture, PACK)
    answers = [
        json_format.MessageToDict(analyzer.Analyze(analysis.analyze_request(r), None)) for r in capture.resources
    ]
    return [*answers, json_format.MessageToDict(analyzer.AnalyzeStack(analysis.stack_request(), None))]


def _covered(answers: list[dict[str, Any]]) -> set[str]:
    messages = [d for answer in answers[:-1] for d in answer.get("diagnostics", [])]
    covered = {"cannot-run" if d["message"].startswith("can't run") else "violation" for d in messages}
    if {d["policyName"] for d in answers[-1].get("diagnostics", [])} & STACK_POLICIES:
        covered.add("stack-violation")
    return covered


def _sdk_as_it_is(analyzer: Any = None) -> dict[str, Any]:
    """Everything of the SDK's module and servicer class a shortcut could replace."""
    analyzer = analyzer or servicer.servicer_class()
    return {**vars(servicer.sdk()), **{f"servicer.{k}": v for k, v in vars(analyzer).items()}}


@pytest.mark.slow
@pytest.mark.parametrize("which", list(CAPTURES))
def test_with_the_shortcuts_every_answer_is_the_sdks_own(which: str) -> None:
    capture_of, must_cover = CAPTURES[which]
    capture = capture_of()
    untouched = _sdk_as_it_is()
    with sdk_seam.installed() as states:
        assert [s.shortcut for s in states if not s.active] == [], states
        assert _sdk_as_it_is() != untouched
        ours = _answers(capture)
    assert _sdk_as_it_is() == untouched  # the SDK's own code is back
    assert ours == _answers(capture)
    assert must_cover in _covered(ours)


@pytest.mark.parametrize(
    "environment",
    [{gate.PACK.switch: "0"}, {gate.PACK.pretend_version: "99.0.0"}],
    ids=["switched-off", "untested-sdk-version"],
)
def test_the_sdk_is_left_as_it_is(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    untouched = _sdk_as_it_is()
    with sdk_seam.installed() as states:
        assert _sdk_as_it_is() == untouched
    assert {s.shortcut for s in states if not s.active} == {s.name for s in sdk_seam.SHORTCUTS}


def test_a_renamed_servicer_leaves_the_sdk_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer = servicer.servicer_class()
    untouched = _sdk_as_it_is(analyzer)
    monkeypatch.setattr(servicer, "SERVICER", "_RenamedServicer")
    with sdk_seam.installed() as states:
        assert _sdk_as_it_is(analyzer) == untouched
    assert all("AttributeError" in s.reason for s in states), states
    assert not any(s.active for s in states)


def test_a_shortcut_missing_one_name_changes_nothing_of_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared conversions replace three functions of the SDK's module and helpers of its servicer: with one
    of those functions gone, none of them is replaced, and the shortcuts that do not need it still apply."""
    monkeypatch.delattr(servicer.sdk(), "deserialize_properties")
    untouched = _sdk_as_it_is()
    with sdk_seam.installed() as states:
        active = {s.shortcut for s in states if s.active}
        changed = {name for name, value in _sdk_as_it_is().items() if untouched.get(name) is not value}
    assert active == {"configure-once", "dispatch-by-type"}
    assert changed == {"servicer._configure_runtime_settings", "servicer.Analyze"}


@pytest.mark.parametrize(
    ("environment", "state"), [({}, "active"), ({gate.PACK.pretend_version: "99.0.0"}, "inactive")]
)
def test_the_pack_process_says_which_shortcuts_it_runs_when_asked(environment: dict[str, str], state: str) -> None:
    import os

    pack = PackProcess(PACK, {**os.environ, gate.PACK.debug: "1", **environment}, startup_timeout=30)
    pack.start()
    pack.stop()
    said = error_output(pack.stderr)
    for shortcut in sdk_seam.SHORTCUTS:
        assert f"{gate.PACK.prefix}: {shortcut.name}: {state} (" in said
