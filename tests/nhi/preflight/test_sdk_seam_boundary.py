"""The SDKs' private names are spelled only inside the two seams (the pack's `policy/nhi_rules/sdk_seam` and the
preflight's `nhi/preflight/sdk_seam`), so an SDK upgrade touches those two packages and nothing else; and the
two seams pass their shortcuts through one gate."""

from __future__ import annotations

import os
import re
from pathlib import Path

from nhi.preflight.sdk_seam import gate as preflight_gate
from nhi_rules.sdk_seam import gate as pack_gate

REPO = Path(__file__).resolve().parents[3]
SEAMS = (REPO / "policy" / "nhi_rules" / "sdk_seam", REPO / "nhi" / "preflight" / "sdk_seam")
# Pulumi programs and packs that the tests run as any user's (like mypy, this leaves them out).
FIXTURES = (REPO / "tests" / "programs", REPO / "tests" / "packs")
SDK = r"pulumi(?:_policy)?"
PRIVATE_USES = {
    "the policy SDK's servicer": r"_PolicyAnalyzerServicer",
    "a name-mangled attribute": r"\b_[A-Za-z]+__[a-z]\w*",
    "the policy SDK's not-applicable error": r"_NotApplicableError",
    "the runtime's RPC manager": r"_get_rpc_manager",
    "the runtime's stack trace": r"_get_stack_trace",
    "the SDK's settings object": r"\bSETTINGS\.(?:outputs|lock)\b",
    "an import of a private name": rf"from {SDK}(?:\.\w+)* import (?:\(\s*)?_\w",
    "a private module or attribute": rf"\b{SDK}(?:\.\w+)*\._[A-Za-z]\w*",
    "a marker of the old patches": r"\b_nhi_\w+",
}


def _project_sources() -> list[Path]:
    sources = []
    for directory, subdirectories, files in os.walk(REPO):
        here = Path(directory)
        # Hidden directories (.git, .venv, benchmarks/.venv-checkov) are not the project's, nor are the fixtures.
        subdirectories[:] = [
            name for name in subdirectories if not name.startswith(".") and here / name not in (*SEAMS, *FIXTURES)
        ]
        sources += [here / name for name in files if name.endswith(".py")]
    return [path for path in sources if path != Path(__file__).resolve()]


def test_private_sdk_names_appear_only_inside_the_two_seams() -> None:
    sources = _project_sources()
    assert REPO / "nhi" / "preflight" / "capture.py" in sources and REPO / "policy" / "__main__.py" in sources
    found = [
        f"{path.relative_to(REPO)}:{number}: {what}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for what, pattern in PRIVATE_USES.items()
        if re.search(pattern, line)
    ]
    assert found == []


def test_the_patterns_find_what_they_are_for() -> None:
    for line in (
        "from pulumi_policy.policy import _NotApplicableError",
        "from pulumi.runtime.settings import SETTINGS, _get_rpc_manager",
        "from pulumi import _types",
        "sdk_resource._get_stack_trace = stack_trace",
        "x = pulumi.runtime.resource._get_stack_trace()",
        "for policy in self._PolicyAnalyzerServicer__policies:",
        "with SETTINGS.lock:",
        "servicer._nhi_unshared = {}",
    ):
        assert any(re.search(pattern, line) for pattern in PRIVATE_USES.values()), line


def test_both_seams_pass_their_shortcuts_through_one_gate_with_their_own_switches() -> None:
    """One definition of the gate; each side names its own environment variables."""
    assert type(preflight_gate.PREFLIGHT) is pack_gate.Gate
    assert pack_gate.PACK.switch == "NHI_POLICY_SDK_SEAM"
    assert preflight_gate.PREFLIGHT.switch == "NHI_PREFLIGHT_SDK_SEAM"
    assert preflight_gate.PREFLIGHT.pretend_version == "NHI_PREFLIGHT_SDK_SEAM_PRETEND_VERSION"
