"""Release, promote and rollback judged on the preflight captures of consecutive configs, each made by
`nhi rollout` from the last: a release changes only the idle slot's Deployment and its gate Job, a promote
only the Services' selectors, a rollback restores them; and the policy pack passes the rollout's objects."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import settings
from components import labels
from nhi.cli import main
from nhi.preflight.capture import Capture
from tests.components.workload_views import capture_workloads
from tests.conftest import REPO, capture_stack_file
from tests.policy.harness import build_stack, run_resource, run_stack

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
JOB = "kubernetes:batch/v1:Job"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLLOUT_TYPES = (
    JOB,
    DEPLOYMENT,
    SERVICE,
    "kubernetes:policy/v1:PodDisruptionBudget",
    NETWORK_POLICY,
    "kubernetes:core/v1:ServiceAccount",
)
POD_SECURITY_AND_NETWORK_RULES = (
    "kubernetes-pod-enforce-security-standards",
    "kubernetes-pod-require-readonly-rootfs",
    "kubernetes-pod-require-resource-limits",
    "kubernetes-pod-require-image-digest",
    "kubernetes-pod-limit-image-registries",
    "kubernetes-pod-disallow-token-automount",
    "kubernetes-pod-disallow-env-secrets",
    "kubernetes-pod-disallow-default-identity",
    "kubernetes-pod-require-network-policy-coverage",
    "kubernetes-namespace-require-default-deny",
    "kubernetes-networkpolicy-disallow-allow-all",
)


def new_digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def inputs_by_name(capture: Capture) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in capture.resources}


def differing(before: Capture, after: Capture) -> set[str]:
    """Names of the resources whose inputs differ; both captures must hold the same resources."""
    old, new = inputs_by_name(before), inputs_by_name(after)
    assert set(old) == set(new)
    return {name for name in old if old[name] != new[name]}


def rollout(*argv: str) -> None:
    assert main(["rollout", *argv]) == 0


@pytest.fixture
def prod_file(tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.prod.yaml", path)
    return path


def test_release_promote_rollback_each_change_only_their_objects(prod_file: Path) -> None:
    base = capture_workloads("prod")
    image = f"{REGISTRY}/payments@sha256:{new_digest('payments 2.0')}"

    rollout("release", "--stack-file", str(prod_file), "--workload", "payments", "--image", image)
    released = capture_stack_file(prod_file)
    prefix = "workloads-payments-rollout"
    # The new digest also replaces the old one in the namespace's admission allow-list (docs/admission.md).
    assert differing(base, released) == {f"{prefix}-green", f"{prefix}-gate-green", "admission-allowlist-payments"}
    # The idle Deployment differs in its image only.
    old_green, new_green = (
        inputs_by_name(base)[f"{prefix}-green"],
        copy.deepcopy(inputs_by_name(released)[f"{prefix}-green"]),
    )
    assert new_green["spec"]["template"]["spec"]["containers"][0]["image"] == image
    new_green["spec"]["template"]["spec"]["containers"][0]["image"] = old_green["spec"]["template"]["spec"][
        "containers"
    ][0]["image"]
    assert new_green == old_green
    # The gate is a new Job (a new name: replaced, never patched), testing the new image.
    old_gate, new_gate = inputs_by_name(base)[f"{prefix}-gate-green"], inputs_by_name(released)[f"{prefix}-gate-green"]
    assert new_gate["metadata"]["name"] != old_gate["metadata"]["name"]
    assert new_gate["metadata"]["annotations"][labels.IMAGE_ANNOTATION] == image

    rollout("promote", "--stack-file", str(prod_file), "--workload", "payments")
    promoted = capture_stack_file(prod_file)
    assert differing(released, promoted) == {f"{prefix}-service", f"{prefix}-preview"}
    for name, slot in ((f"{prefix}-service", "green"), (f"{prefix}-preview", "blue")):
        before, after = inputs_by_name(released)[name], copy.deepcopy(inputs_by_name(promoted)[name])
        assert after["spec"]["selector"] == {labels.NAME: "payments", labels.SLOT: slot}
        after["spec"]["selector"] = before["spec"]["selector"]
        assert after == before  # the selector and nothing else

    rollout("rollback", "--stack-file", str(prod_file), "--workload", "payments")
    rolled_back = capture_stack_file(prod_file)
    assert differing(promoted, rolled_back) == {f"{prefix}-service", f"{prefix}-preview"}
    assert differing(released, rolled_back) == set()  # the previous selectors, exactly


def test_a_release_never_touches_a_live_slot(prod_file: Path) -> None:
    """Release every workload at once: only idle Deployments and their gates change, never a live slot."""
    declared = settings.stack_file_settings(prod_file)
    for w in declared.workloads:
        image = f"{REGISTRY}/{w.name}@sha256:{new_digest(w.name + ' next')}"
        rollout("release", "--stack-file", str(prod_file), "--workload", w.name, "--image", image)
    changed = differing(capture_workloads("prod"), capture_stack_file(prod_file))
    idle = {f"workloads-{w.name}-rollout-{w.rollout.idle.value}" for w in declared.workloads}
    gates = {f"workloads-{w.name}-rollout-gate-{w.rollout.idle.value}" for w in declared.workloads}
    allowlists = {f"admission-allowlist-{w.namespace}" for w in declared.workloads}
    assert changed == idle | gates | allowlists
    assert not changed & {f"workloads-{w.name}-rollout-{w.rollout.active.value}" for w in declared.workloads}


def test_a_staging_promote_also_swaps_replica_counts_but_not_templates(tmp_path: Path) -> None:
    """Outside prod the idle slot keeps 1 replica: a promote scales the slots too (documented in docs/releases.md)."""
    path = tmp_path / "Pulumi.staging.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.staging.yaml", path)
    rollout("promote", "--stack-file", str(path), "--workload", "orders")
    before, after = capture_workloads("staging"), capture_stack_file(path)
    prefix = "workloads-orders-rollout"
    assert differing(before, after) == {f"{prefix}-service", f"{prefix}-preview", f"{prefix}-blue", f"{prefix}-green"}
    old, new = inputs_by_name(before), inputs_by_name(after)
    for slot, replicas in (("blue", 1), ("green", 2)):
        assert new[f"{prefix}-{slot}"]["spec"]["replicas"] == replicas
        assert new[f"{prefix}-{slot}"]["spec"]["template"] == old[f"{prefix}-{slot}"]["spec"]["template"]


# --- The policy pack on the rollout's objects ------------------------------------------------------------
def test_the_prod_pack_passes_every_rollout_object(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preflight", "--stack", "prod", "--policy-pack-config", "policy/config/prod.json", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    policies = {p["name"]: p["enforcementLevel"] for p in report["policies"]}
    assert all(policies[name] == "mandatory" for name in POD_SECURITY_AND_NETWORK_RULES)
    rollout_urns = {
        r["urn"] for r in report["resources"] if r["type"] in ROLLOUT_TYPES and "nhi:rollout:Rollout" in r["urn"]
    }
    kinds = {r["type"] for r in report["resources"] if r["urn"] in rollout_urns}
    assert kinds == set(ROLLOUT_TYPES)
    jobs = [r for r in report["resources"] if r["type"] == JOB]
    assert len(jobs) == 2 * len(settings.stack_file_settings(REPO / "stacks" / "Pulumi.prod.yaml").workloads)
    assert [d for d in report["diagnostics"] if d["urn"] in rollout_urns] == []
    assert [n for n in report["notRun"] if n["urn"] in rollout_urns] == []
    assert code == 0


def _policy(module: str) -> Any:
    import importlib

    return importlib.import_module(module).POLICY


def test_the_pack_would_flag_a_weakened_gate_job() -> None:
    """The pack test above can fail: the same rules judge the captured gate Job, and flag it once weakened."""
    job = next(r for r in capture_workloads("prod").of_type(JOB))
    security = _policy("nhi_rules.kubernetes.kubernetes_pod_enforce_security_standards")
    assert run_resource(security, JOB, copy.deepcopy(job.inputs), {"level": "restricted"}).outcome == "pass"
    weakened = copy.deepcopy(job.inputs)
    weakened["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    assert run_resource(security, JOB, weakened, {"level": "restricted"}).outcome == "fail"


def test_the_pack_would_flag_a_gate_without_its_network_policy() -> None:
    capture = capture_workloads("prod")
    coverage = _policy("nhi_rules.stack.kubernetes_pod_require_network_policy_coverage")
    policies = [r for r in capture.of_type(NETWORK_POLICY) if r.inputs["metadata"]["namespace"] == "payments"]
    jobs = [r for r in capture.of_type(JOB) if r.inputs["metadata"]["namespace"] == "payments"]

    def resources(keep: list[Any]) -> list[Any]:
        return build_stack([{"type": r.type, "name": r.name, "props": copy.deepcopy(r.inputs)} for r in keep + jobs])

    assert run_stack(coverage, resources(policies), {}).outcome == "pass"
    without = [p for p in policies if p.inputs["metadata"]["name"] != "payments-gate"]
    verdict = run_stack(coverage, resources(without), {})
    assert verdict.outcome == "fail"
    urns = [urn for _, urn in verdict.violations]
    assert None not in urns
    assert {urn.rsplit("::", 1)[1] for urn in urns if urn} == {
        "workloads-payments-rollout-gate-blue",
        "workloads-payments-rollout-gate-green",
    }
