"""The pod-security rule against the upstream Pod Security Standards fixtures (an independent oracle).

Every fail pod must be flagged and no pass pod, at the file's level, as a Pod, wrapped in a Deployment and
wrapped in a CronJob. The corpus is vendored in tests/fixtures/pod-security/ (its README names the upstream
commit, the Kubernetes version and the licence).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nhi_rules.kubernetes import kubernetes_pod_enforce_security_standards as rule
from tests.policy.harness import run_resource

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "pod-security"
EXPECTED_COUNTS = {
    ("restricted", "fail"): 76,
    ("restricted", "pass"): 23,
    ("baseline", "fail"): 34,
    ("baseline", "pass"): 15,
}


def _files(level: str, verdict: str) -> list[Path]:
    return sorted((CORPUS / level).glob(f"v*/{verdict}/*.yaml"))


def _wrap(pod: dict, kind: str) -> tuple[str, dict]:
    template = {"metadata": {**pod.get("metadata", {}), "labels": {"app": "conformance"}}, "spec": pod["spec"]}
    if kind == "Pod":
        return "kubernetes:core/v1:Pod", pod
    if kind == "Deployment":
        return "kubernetes:apps/v1:Deployment", {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "c", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "conformance"}}, "template": template},
        }
    return "kubernetes:batch/v1:CronJob", {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "shop"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}},
    }


def test_corpus_is_complete() -> None:
    counts = {key: len(_files(*key)) for key in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS, f"corpus at {CORPUS} is missing or changed"


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "CronJob"])
@pytest.mark.parametrize("level", ["restricted", "baseline"])
def test_conformance(level: str, kind: str) -> None:
    assert _files(level, "fail") and _files(level, "pass"), f"no corpus at {CORPUS}"
    missed, false_alarms = [], []
    for verdict in ("fail", "pass"):
        for path in _files(level, verdict):
            resource_type, props = _wrap(yaml.safe_load(path.read_text()), kind)
            result = run_resource(rule.POLICY, resource_type, props, {"level": level})
            assert not result.unknown
            if verdict == "fail" and not result.violations:
                missed.append(path.name)
            if verdict == "pass" and result.violations:
                false_alarms.append((path.name, result.messages))
    assert missed == [], f"{level}/{kind}: fail pods not flagged"
    assert false_alarms == [], f"{level}/{kind}: pass pods flagged"
