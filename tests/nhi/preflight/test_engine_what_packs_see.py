"""Item 5 of issue 16: what a pack is sent, as the engine sends it: stack tags in ConfigureStack, custom
timeouts in seconds, aliases as URNs, no internal `__` keys, no empty property-dependency lists, and a
stack-wide finding on the root stack's URN."""

from __future__ import annotations

from pathlib import Path

import pytest

from .engine_corpus import CORPUS, STACK_TYPE, analyzed, preflight, probed, stack_seen


def test_configure_stack_sends_the_stack_tags(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, _, entries = probed(capsys, monkeypatch, tmp_path, "engine_service_exports", "owned")
    expected = {
        "pulumi:project": "service-exports",
        "pulumi:runtime": "python",
        "pulumi:description": "A web service behind a component that registers its endpoint as an output.",
        "team": "payments",
        "cost-center": "4711",
    }
    assert {tuple(sorted(e["stackTags"].items())) for e in analyzed(entries)} == {tuple(sorted(expected.items()))}
    assert stack_seen(entries)["stackTags"] == expected


def test_a_bad_tags_config_is_refused_naming_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  aws:region: eu-west-1\n  pulumi:tags:\n    team: [a, b]\n")
    code, _, err = preflight(capsys, "--program", str(CORPUS / "engine_service_exports"), "--stack-file", str(stack))
    assert code == 2
    assert "pulumi:tags[team] must be a string" in err


def test_aliases_are_urns_and_custom_timeouts_are_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, _, entries = probed(capsys, monkeypatch, tmp_path, "engine_queue_pipeline", "dev")
    by_name = {e["urn"].rsplit("::", 1)[-1]: e for e in analyzed(entries)}
    renamed = by_name["stage-gamma"]
    assert renamed["aliases"] == ["urn:pulumi:dev::queue-pipeline::aws:sqs/queue:Queue::third-stage"]
    assert renamed["customTimeouts"] == [600.0, 0.0, 5400.0]
    assert by_name["stage-beta"]["aliases"] == []


def test_internal_keys_never_reach_the_pack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, report, entries = probed(capsys, monkeypatch, tmp_path, "engine_dynamic_provider", "dev")
    (dynamic,) = [e for e in analyzed(entries) if e["type"] == "pulumi-python:dynamic:Resource"]
    assert dynamic["propertyKeys"] == ["length"]
    keys = next(r["propertyKeys"] for r in stack_seen(entries)["resources"].values() if r["type"] == dynamic["type"])
    assert "length" in keys and not [key for key in keys if key.startswith("__")]
    # The capture keeps the dynamic provider's own key: only what packs are sent goes without it.
    (resource,) = [r for r in report["resources"] if r["type"] == dynamic["type"]]
    assert "__provider" in resource["inputs"]
    assert code == 0


def test_no_empty_property_dependencies_and_stack_findings_on_the_root_stack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, report, entries = probed(capsys, monkeypatch, tmp_path, "engine_service_exports", "owned")
    resources = stack_seen(entries)["resources"]
    dependencies = {urn: r["propertyDependencies"] for urn, r in resources.items()}
    assert all(urns for deps in dependencies.values() for urns in deps.values())
    queue = next(urn for urn in resources if urn.endswith("::orders-queue"))
    assert list(dependencies[queue]) == ["redrivePolicy"]  # the one input that came from another resource
    root = next(r["urn"] for r in report["resources"] if r["type"] == STACK_TYPE)
    assert [d["urn"] for d in report["diagnostics"] if d["policy"] == "stack-summary"] == [root]
