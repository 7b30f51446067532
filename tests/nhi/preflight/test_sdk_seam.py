"""The preflight's seam to the pulumi SDK's internals (`nhi.preflight.sdk_seam`): with its shortcuts a capture
is the one the SDK's own code makes, and whenever a shortcut may not apply (switched off, an SDK version it was
not tested with, a private name gone) the SDK is left as it is."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from nhi.preflight import sdk_seam
from nhi.preflight.capture import Capture, capture_program
from nhi.preflight.errors import PreflightError
from nhi.preflight.program import load_program, stack_config
from nhi.preflight.sdk_seam import gate, linear_wait, source_positions

TESTS = Path(__file__).resolve().parents[2]
REPO = TESTS.parent
OPEN_WORLD = TESTS / "programs" / "open_world"
# Where the shortcuts replace the SDK's functions.
REPLACED = {"pulumi.runtime.stack": "wait_for_rpcs", source_positions.SDK_MODULE: source_positions.SDK_FUNCTION}


def _sdk_as_it_is() -> dict[str, Any]:
    return {f"{module}.{name}": getattr(importlib.import_module(module), name) for module, name in REPLACED.items()}


def _capture(directory: Path, stack: str) -> Capture:
    program = load_program(directory)
    return capture_program(program, stack_config(program, stack))


def _recorded(capture: Capture) -> list[tuple[Any, ...]]:
    return [
        (r.urn, r.inputs, r.outputs, r.dependencies, r.property_dependencies, r.provider, r.options)
        for r in capture.resources
    ]


@pytest.mark.slow
def test_a_capture_is_the_same_with_the_shortcuts_off(monkeypatch: pytest.MonkeyPatch) -> None:
    with sdk_seam.installed() as states:
        assert all(s.active for s in states), states
    fast = _capture(REPO, "prod")
    monkeypatch.setenv(gate.PREFLIGHT.switch, "0")
    assert len(fast.resources) > 250
    assert _recorded(fast) == _recorded(_capture(REPO, "prod"))


@pytest.mark.parametrize("switch", ["1", "0"])
def test_a_failing_output_fails_the_run_with_the_shortcuts_on_and_off(
    switch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(gate.PREFLIGHT.switch, switch)
    (tmp_path / "Pulumi.yaml").write_text("name: fails-late\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi, pulumi_kubernetes as k8s\n"
        "ns = k8s.core.v1.Namespace('apps', metadata={'name': 'apps'})\n"
        "def boom(name):\n    raise ValueError(f'cannot derive a name from {name}')\n"
        "k8s.core.v1.ConfigMap('late', metadata={'namespace': ns.metadata['name'].apply(boom)})\n"
    )
    # The SDK's own wait may surface the failure wrapped in the registration's error: the same cause, and still
    # one clear failure of the run.
    with pytest.raises(PreflightError, match=r"(?s)The program failed.*cannot derive a name from apps"):
        _capture(tmp_path, "dev")


@pytest.mark.parametrize(("directory", "stack"), [(REPO, "dev"), (OPEN_WORLD, "test")], ids=["dev", "open_world"])
def test_every_registration_gets_the_stack_trace_the_sdk_would_give(
    directory: Path, stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = source_positions.frame_stack_trace(), source_positions.sdk_stack_trace()
    compared = []

    def both() -> Any:  # called where the SDK calls it: every frame that matters is the same for both
        compared.append((ours(), theirs()))
        return compared[-1][1]

    monkeypatch.setenv(gate.PREFLIGHT.switch, "0")  # the SDK's own function stays in place, and calls both
    monkeypatch.setattr(importlib.import_module(source_positions.SDK_MODULE), source_positions.SDK_FUNCTION, both)
    capture = _capture(directory, stack)
    assert len(compared) >= len(capture.resources) - 1  # every registration but the stack's own
    assert all(mine == sdks for mine, sdks in compared)
    assert any(len(sdks.frames) > 3 for _, sdks in compared)
    user_frames = [f.pc.uri for _, sdks in compared for f in sdks.frames if f.pc.uri]
    assert any(uri.startswith(f"file://{directory}") for uri in user_frames)
    assert ours() == theirs() and len(ours().frames) == 0  # outside any resource's constructor: no frames


@pytest.mark.parametrize(
    "environment",
    [{gate.PREFLIGHT.switch: "0"}, {gate.PREFLIGHT.pretend_version: "99.0.0"}],
    ids=["switched-off", "untested-sdk"],
)
def test_the_sdk_is_left_as_it_is(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    untouched = _sdk_as_it_is()
    with sdk_seam.installed() as states:
        assert _sdk_as_it_is() == untouched
    assert not any(s.active for s in states)


def test_shortcuts_are_applied_only_during_the_capture() -> None:
    untouched = _sdk_as_it_is()
    with sdk_seam.installed() as states:
        during = _sdk_as_it_is()
    assert all(s.active for s in states)
    assert all(during[name] is not untouched[name] for name in untouched)
    assert _sdk_as_it_is() == untouched


def test_a_private_name_gone_leaves_the_sdk_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    stack_trace = f"{source_positions.SDK_MODULE}.{source_positions.SDK_FUNCTION}"
    untouched = _sdk_as_it_is()
    monkeypatch.setattr(source_positions, "SDK_FUNCTION", "_renamed_stack_trace")
    with sdk_seam.installed() as states:
        now = _sdk_as_it_is()
    by_name = {s.shortcut: s for s in states}
    assert not by_name[source_positions.SHORTCUT.name].active
    assert "AttributeError" in by_name[source_positions.SHORTCUT.name].reason
    assert by_name[linear_wait.SHORTCUT.name].active  # the other shortcut does not depend on it
    assert now[stack_trace] is untouched[stack_trace]


def test_the_preflight_says_which_shortcuts_it_runs_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(gate.PREFLIGHT.debug, "1")
    monkeypatch.setenv(gate.PREFLIGHT.pretend_version, "99.0.0")
    _capture(OPEN_WORLD, "test")
    said = capsys.readouterr().err
    for shortcut in sdk_seam.SHORTCUTS:
        assert f"{gate.PREFLIGHT.prefix}: {shortcut.name}: inactive (pulumi 99.0.0, tested with 3.272.0" in said
