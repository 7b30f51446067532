"""Both seams to the SDKs' internals, end to end: `nhi preflight` runs the real pack process over gRPC and gives
the same report (timings aside) with every shortcut on, with every speed-up off, and on SDK versions the
shortcuts were not tested with (where they stand aside and the SDKs' own code runs)."""

from __future__ import annotations

import contextlib
import io
import json
from functools import cache
from typing import Any

import pytest

from nhi.cli import main
from nhi.preflight.sdk_seam import gate as preflight_gate
from nhi_rules.lib import collection
from nhi_rules.sdk_seam import gate as pack_gate
from tests.conftest import REPO

BROKEN_PROD = str(REPO / "tests" / "programs" / "broken_prod")
CASES = {
    "prod": ("--stack", "prod"),
    "prod-first-preview": ("--stack", "prod", "--unknowns"),
    "broken-prod": ("--program", BROKEN_PROD, "--stack", "prod"),
    "broken-prod-first-preview": ("--program", BROKEN_PROD, "--stack", "prod", "--unknowns"),
}
MODES: dict[str, dict[str, str]] = {
    "on": {},
    "off": {pack_gate.PACK.switch: "0", preflight_gate.PREFLIGHT.switch: "0", collection.SWITCH: "0"},
    "untested-sdk": {pack_gate.PACK.pretend_version: "99.0.0", preflight_gate.PREFLIGHT.pretend_version: "99.0.0"},
}
TIMINGS = ("seconds", "programSeconds", "packSeconds", "peakMemoryMiB")


@cache
def _report(case: str, mode: str) -> tuple[int, dict[str, Any]]:
    """The exit code and JSON report, timings left out, findings in a stable order (they arrive as the
    program registers resources, from a thread pool)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        for name, value in MODES[mode].items():
            patch.setenv(name, value)  # the pack process inherits them
        code = main(["preflight", *CASES[case], "--format", "json"])
    report = json.loads(out.getvalue())
    for timing in TIMINGS:
        report["summary"].pop(timing)
    for findings in ("diagnostics", "notRun"):
        report[findings].sort(key=json.dumps)
    return code, report


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_every_speed_up_off_gives_the_same_report(case: str) -> None:
    assert _report(case, "off") == _report(case, "on")


@pytest.mark.slow
@pytest.mark.parametrize("case", ["prod-first-preview", "broken-prod"])
def test_on_untested_sdk_versions_the_preflight_and_the_pack_run_with_the_same_report(case: str) -> None:
    assert _report(case, "untested-sdk") == _report(case, "on")


@pytest.mark.slow
def test_the_comparisons_cover_violations_and_rules_that_cannot_run() -> None:
    code, broken = _report("broken-prod", "on")
    assert code == 1 and broken["summary"]["mandatory"] > 0
    assert _report("prod-first-preview", "on")[1]["notRun"]
    assert _report("broken-prod-first-preview", "on")[1]["diagnostics"]
