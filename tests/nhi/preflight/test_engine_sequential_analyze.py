"""Item 8 of issue 16: the engine sends Analyze calls one at a time, in the order resources are registered, so
a pack that is not thread-safe never races; the probe pack counts how many of its calls ran at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from .engine_corpus import analyzed, probed

REGISTRATION_ORDER = ["zeta", "epsilon", "delta", "gamma", "beta", "alpha"]


def test_analyze_calls_arrive_one_at_a_time_in_registration_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, _, entries = probed(capsys, monkeypatch, tmp_path, "engine_queue_pipeline", "dev")
    calls = analyzed(entries)
    assert [e["inFlight"] for e in calls] == [1] * len(calls)
    stages = [e["urn"].rsplit("::stage-", 1)[-1] for e in calls if "::stage-" in e["urn"]]
    assert stages == REGISTRATION_ORDER
