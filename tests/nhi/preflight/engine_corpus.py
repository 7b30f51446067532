"""Helpers of the test_engine_* tests: run `nhi preflight` on a corpus program with the test packs, and read
what the probe pack was sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nhi.cli import main

TESTS = Path(__file__).resolve().parents[2]
CORPUS = TESTS / "programs" / "corpus"
PROBE = TESTS / "packs" / "engine_probe"
REMEDIATE = TESTS / "packs" / "engine_remediate"
STACK_TYPE = "pulumi:pulumi:Stack"


def preflight(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preflight", *args])
    out, err = capsys.readouterr()
    return code, out, err


def probed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    program: str,
    stack: str,
    *packs: Path,
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """The exit code, the JSON report and the probe pack's log of one preflight of a corpus program."""
    log = tmp_path / "probe.jsonl"
    monkeypatch.setenv("ENGINE_PROBE_LOG", str(log))
    pack_args = [arg for pack in (packs or (PROBE,)) for arg in ("--policy-pack", str(pack))]
    code, out, err = preflight(
        capsys, "--program", str(CORPUS / program), "--stack", stack, *pack_args, "--format", "json"
    )
    assert code in (0, 1), err
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return code, json.loads(out), entries


def analyzed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["call"] == "analyze"]


def stack_seen(entries: list[dict[str, Any]]) -> dict[str, Any]:
    (stack,) = [e for e in entries if e["call"] == "analyzeStack"]
    return stack
