"""Item 3 of issue 16: the engine runs every pack's Remediate before Analyze and analyzes what it returns, so a
remediate-level policy that fixed a resource is no violation, and later packs see the fixed properties."""

from __future__ import annotations

from pathlib import Path

import pytest

from .engine_corpus import CORPUS, PROBE, REMEDIATE, analyzed, preflight, probed


def test_a_remediated_resource_is_analyzed_fixed_and_blocks_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, report, entries = probed(capsys, monkeypatch, tmp_path, "engine_tagged_storage", "dev", REMEDIATE, PROBE)
    assert [d for d in report["diagnostics"] if d["policy"] == "tag-an-owner"] == []
    assert code == 0
    # What changed, named in the JSON: the two resources without an owner, their tags before and after.
    changed = {r["urn"].rsplit("::", 1)[-1]: r["changes"] for r in report["remediations"]}
    assert set(changed) == {"raw-events", "ingest"}
    assert changed["raw-events"] == [
        {
            "property": "tags",
            "before": {"data-class": "internal"},
            "after": {"data-class": "internal", "owner": "platform-team"},
        }
    ]
    # The next pack analyzed the remediated properties, and the plan shows the inputs a deployment would send.
    seen = {e["urn"].rsplit("::", 1)[-1]: e["tags"] for e in analyzed(entries)}
    assert seen["raw-events"] == {"data-class": "internal", "owner": "platform-team"}
    assert seen["curated-events"] == {"owner": "data-team", "data-class": "internal"}
    inputs = {r["name"]: r["inputs"] for r in report["resources"]}
    assert inputs["ingest"]["tags"] == {"owner": "platform-team"}


def test_remediations_are_listed_in_the_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.delenv("ENGINE_PROBE_LOG", raising=False)
    code, out, _ = preflight(
        capsys, "--program", str(CORPUS / "engine_tagged_storage"), "--stack", "dev", "--policy-pack", str(REMEDIATE)
    )
    assert code == 0
    assert "engine-remediate/tag-an-owner: aws:s3/bucketV2:BucketV2::raw-events: changed tags" in out
