"""Item 4 of issue 16: AnalyzeStack gets each resource's outputs, a component's and the root stack's being
what they registered (`register_outputs`, the stack's exports), so stack policies over exports judge them."""

from __future__ import annotations

from pathlib import Path

import pytest

from .engine_corpus import STACK_TYPE, probed, stack_seen


def test_stack_policies_see_the_exports_and_component_outputs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, report, entries = probed(capsys, monkeypatch, tmp_path, "engine_service_exports", "owned")
    assert [d["policy"] for d in report["diagnostics"] if d["enforcementLevel"] == "mandatory"] == []
    assert code == 0
    resources = stack_seen(entries)["resources"]
    (stack,) = [r for r in resources.values() if r["type"] == STACK_TYPE]
    assert stack["props"]["owner"] == "payments-team"
    assert stack["props"]["ordersArn"].startswith("arn:aws:sqs:eu-west-1:")
    (component,) = [r for r in resources.values() if r["type"] == "corpus:service:ServiceEndpoint"]
    assert set(component["props"]) == {"arn", "deadLetterArn"}
    assert component["props"]["arn"] == stack["props"]["ordersArn"]


def test_a_stack_without_the_export_is_blocked_on_the_root_stack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, report, _ = probed(capsys, monkeypatch, tmp_path, "engine_service_exports", "unowned")
    root = next(r["urn"] for r in report["resources"] if r["type"] == STACK_TYPE)
    assert code == 1
    assert [(d["policy"], d["urn"]) for d in report["diagnostics"] if d["enforcementLevel"] == "mandatory"] == [
        ("exports-name-an-owner", root)
    ]
