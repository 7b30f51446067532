"""Item 6 of issue 16: pack configs accepted and refused where the engine and the CLI accept and refuse them,
and this repository's environment configs applied only to this repository's own program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .engine_corpus import CORPUS, PROBE, REMEDIATE, analyzed, preflight


def _config(tmp_path: Path, name: str, content: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    return path


def test_an_unknown_policy_with_a_level_and_properties_without_a_schema_are_accepted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _config(
        tmp_path,
        "probe.json",
        {"retired-policy": "mandatory", "record-analyze": {"sampleRate": 0.5, "labels": ["a"]}},
    )
    log = tmp_path / "probe.jsonl"
    monkeypatch.setenv("ENGINE_PROBE_LOG", str(log))
    code, _, err = preflight(
        capsys,
        "--program",
        str(CORPUS / "engine_queue_pipeline"),
        "--stack",
        "dev",
        "--policy-pack",
        str(PROBE),
        "--policy-pack-config",
        str(config),
    )
    assert code == 0, err
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    # The properties reach the policy, as `args.get_config()` reads them under the engine.
    assert {json.dumps(e["config"], sort_keys=True) for e in analyzed(entries)} == {
        json.dumps({"sampleRate": 0.5, "labels": ["a"]}, sort_keys=True)
    }


def test_fewer_configs_than_packs_is_refused_as_the_cli_refuses_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = _config(tmp_path, "one.json", {})
    code, out, err = preflight(
        capsys,
        "--program",
        str(CORPUS / "engine_tagged_storage"),
        "--stack",
        "dev",
        "--policy-pack",
        str(PROBE),
        "--policy-pack",
        str(REMEDIATE),
        "--policy-pack-config",
        str(config),
    )
    assert code == 2 and out == ""
    assert "the number of --policy-pack-config flags must match the number of --policy-pack flags" in err


def test_our_environment_config_is_not_applied_to_another_program(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """policy/config/dev.json turns cloudwatch-loggroup-require-retention advisory for our dev stack; an
    unrelated program whose stack is also called dev gets the pack's own levels."""
    program = tmp_path / "program"
    program.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        (program / name).write_text((CORPUS / "engine_tagged_storage" / name).read_text())
    code, out, err = preflight(capsys, "--program", str(program), "--stack", "dev", "--format", "json")
    assert code == 0, err
    assert "Policy pack config:" not in err
    levels = {p["name"]: p["enforcementLevel"] for p in json.loads(out)["policies"]}
    assert levels["cloudwatch-loggroup-require-retention"] == "mandatory"
