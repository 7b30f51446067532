"""The rollout component on the capture of every stack: the preview Service, a disruption budget per slot, one
identity for both slots, and the health gate (its Job per slot, its hardening, its network reach, and the
order `pulumi up` follows: the stable Service waits for the gate of the slot it selects)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components import labels
from components.network_policies import DNS_NAMESPACE, DNS_SELECTOR
from components.pods import GATE_RESOURCES, GATE_USER, PORT_NAME, ProbeKind
from components.rollout import (
    GATE_BACKOFF_LIMIT,
    GATE_DEADLINE_SECONDS,
    GATE_IMAGE_REQUIRED,
    PDB_MAX_UNAVAILABLE,
    PDB_UNHEALTHY_POD_EVICTION,
    Rollout,
    RolloutArgs,
    Slot,
    gate_job_name,
)
from nhi.preflight.capture import Capture, CapturedResource
from tests.components.pod_checks import restricted_violations
from tests.components.workload_views import (
    DEPLOYMENT,
    NETWORK_POLICY,
    SERVICE,
    SERVICE_ACCOUNT,
    NetworkModel,
    capture_workloads,
    manifest,
    manifests,
    network_model,
    pod,
    workload_pods,
    workload_resources,
)
from tests.conftest import STACKS, stack_settings

JOB = "kubernetes:batch/v1:Job"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
KUBE_DNS = pod("kube-dns", DNS_NAMESPACE, DNS_SELECTOR)
SKIP_AWAIT = "pulumi.com/skipAwait"


def by_kind(capture: Capture, type_token: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in manifests(capture, type_token)}


def resource(capture: Capture, name: str) -> CapturedResource:
    return next(r for r in capture.resources if r.name == name)


def gate_jobs(capture: Capture, workload: str) -> dict[Slot, dict[str, Any]]:
    """The gate Jobs of a workload by slot (the slot is in the Pulumi name, the digest in the Job's name)."""
    return {
        slot: manifest(resource(capture, f"workloads-{workload}-rollout-gate-{slot.value}"))
        for slot in Slot
        if any(r.name == f"workloads-{workload}-rollout-gate-{slot.value}" for r in capture.resources)
    }


def gate_pods(capture: Capture) -> list[Any]:
    return [
        pod(m["metadata"]["name"], m["metadata"]["namespace"], m["spec"]["template"]["metadata"]["labels"])
        for m in manifests(capture, JOB)
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_a_disruption_budget_per_slot_never_blocks_a_drain(stack: str) -> None:
    declared = stack_settings(stack)
    budgets = by_kind(capture_workloads(stack), PDB)
    assert set(budgets) == {(w.namespace, f"{w.name}-{slot.value}") for w in declared.workloads for slot in Slot}
    for w in declared.workloads:
        for slot in Slot:
            spec = budgets[(w.namespace, f"{w.name}-{slot.value}")]["spec"]
            assert spec == {
                "maxUnavailable": PDB_MAX_UNAVAILABLE,
                "unhealthyPodEvictionPolicy": PDB_UNHEALTHY_POD_EVICTION,
                "selector": {"matchLabels": {labels.NAME: w.name, labels.SLOT: slot.value}},
            }
    # maxUnavailable 1 evicts one pod of 1 (dev) and zero of 0: a drain can always proceed.
    assert PDB_MAX_UNAVAILABLE == 1


@pytest.mark.parametrize("stack", STACKS)
def test_both_slots_run_as_the_workloads_one_service_account_and_the_gate_as_its_own(stack: str) -> None:
    capture = capture_workloads(stack)
    declared = stack_settings(stack)
    accounts = by_kind(capture, SERVICE_ACCOUNT)
    for w in declared.workloads:
        for slot in Slot:
            spec = by_kind(capture, DEPLOYMENT)[(w.namespace, f"{w.name}-{slot.value}")]["spec"]["template"]["spec"]
            assert spec["serviceAccountName"] == w.name
        for job in gate_jobs(capture, w.name).values():
            assert job["spec"]["template"]["spec"]["serviceAccountName"] == f"{w.name}-gate"
        gate_account = accounts[(w.namespace, f"{w.name}-gate")]
        assert gate_account["automountServiceAccountToken"] is False
        assert "annotations" not in gate_account["metadata"]  # no IRSA role
    # No Pod Identity association names a gate ServiceAccount: the gate has no AWS identity.
    associated = {
        r.inputs["serviceAccount"] for r in capture.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert not {a for a in associated if a.endswith("-gate")}


@pytest.mark.parametrize("stack", STACKS)
def test_each_slot_has_a_gate_job_named_by_its_digest_that_smoke_tests_the_preview_service(stack: str) -> None:
    capture = capture_workloads(stack)
    declared = stack_settings(stack)
    for w in declared.workloads:
        jobs = gate_jobs(capture, w.name)
        assert set(jobs) == set(Slot)
        for slot, job in jobs.items():
            image = w.rollout.image(slot)
            digest = image.rsplit(":", 1)[1]
            assert job["metadata"]["name"].startswith(f"{w.name}-gate-{slot.value}-{digest[:8]}-")
            assert len(job["metadata"]["name"]) <= 63
            assert job["metadata"]["annotations"] == {labels.IMAGE_ANNOTATION: image}
            assert job["metadata"]["namespace"] == w.namespace
            container = job["spec"]["template"]["spec"]["containers"][0]
            assert container["image"] == declared.gate_image
            if w.health.probe is ProbeKind.TCP:
                assert container["command"][:2] == ["nc", "-z"] and container["command"][-2:] == [
                    f"{w.name}-preview",
                    str(w.port),
                ]
            else:
                assert container["command"][0] == "curl" and "--fail" in container["command"]
                assert container["command"][-1] == f"http://{w.name}-preview:{w.port}{w.health.readiness_path}"


@pytest.mark.parametrize("stack", STACKS)
def test_gate_jobs_are_hardened_bounded_and_awaited(stack: str) -> None:
    for job in manifests(capture_workloads(stack), JOB):
        spec = job["spec"]
        pod_spec = spec["template"]["spec"]
        # Every restricted check of the service pods, except probes (a Job's pod exits).
        assert set(restricted_violations(pod_spec)) == {
            "containers[gate].readinessProbe",
            "containers[gate].livenessProbe",
        }
        assert pod_spec["restartPolicy"] == "Never"
        assert pod_spec["automountServiceAccountToken"] is False
        assert pod_spec["securityContext"]["runAsUser"] == GATE_USER
        assert pod_spec["containers"][0]["resources"] == {
            "requests": {"cpu": GATE_RESOURCES.cpu_request, "memory": GATE_RESOURCES.memory_request},
            "limits": {"cpu": GATE_RESOURCES.cpu_limit, "memory": GATE_RESOURCES.memory_limit},
        }
        assert (spec["backoffLimit"], spec["activeDeadlineSeconds"]) == (GATE_BACKOFF_LIMIT, GATE_DEADLINE_SECONDS)
        # Kept until the next release replaces it (see components/rollout.py), and always awaited.
        assert "ttlSecondsAfterFinished" not in spec
        assert SKIP_AWAIT not in (job["metadata"].get("annotations") or {})
        assert "pulumi.com/replaceUnready" not in (job["metadata"].get("annotations") or {})
        # The gate's pods carry neither the workload's name nor a slot: no Service or workload policy selects them.
        pod_labels = spec["template"]["metadata"]["labels"]
        assert labels.SLOT not in pod_labels and pod_labels[labels.NAME] == f"{pod_labels[labels.GATE_FOR]}-gate"


def test_the_stable_service_waits_for_the_live_slots_deployment_and_gate_and_the_gates_for_both_slots() -> None:
    capture = capture_workloads("prod")
    by_urn = {r.urn: r.name for r in capture.resources}
    for w in stack_settings("prod").workloads:
        prefix = f"workloads-{w.name}-rollout"
        live, idle = w.rollout.active.value, w.rollout.idle.value
        service = {by_urn[u] for u in resource(capture, f"{prefix}-service").dependencies if u in by_urn}
        assert {f"{prefix}-{live}", f"{prefix}-gate-{live}"} <= service
        assert f"{prefix}-gate-{idle}" not in service
        for slot in Slot:
            gate = {by_urn[u] for u in resource(capture, f"{prefix}-gate-{slot.value}").dependencies if u in by_urn}
            assert {
                f"{prefix}-blue",
                f"{prefix}-green",
                f"{prefix}-preview",
                f"{prefix}-gate-policy",
                f"{prefix}-gate-ingress",
                f"{prefix}-gate-sa",
            } <= gate
        # With a gate, the idle slot must not wait for the Service: the live gate waits for the idle slot.
        assert f"{prefix}-service" not in {
            by_urn[u] for u in resource(capture, f"{prefix}-{idle}").dependencies if u in by_urn
        }


def test_with_no_idle_replicas_there_is_no_gate_and_the_old_slot_scales_down_after_the_flip(
    capture_config: Callable[..., Capture],
) -> None:
    def idle_zero(config: dict[str, Any]) -> None:
        next(w for w in config["nhi-platform:workloads"] if w["name"] == "cart")["rollout"]["idleReplicas"] = 0

    capture = capture_config("staging", idle_zero)
    assert gate_jobs(capture, "cart") == {}
    assert not any(r.name.startswith("workloads-cart-rollout-gate") for r in capture.resources)
    assert set(gate_jobs(capture, "checkout")) == set(Slot)  # the other workloads keep theirs
    by_urn = {r.urn: r.name for r in capture.resources}
    green = resource(capture, "workloads-cart-rollout-green")
    assert manifest(green)["spec"]["replicas"] == 0
    assert "workloads-cart-rollout-service" in {by_urn[u] for u in green.dependencies if u in by_urn}
    service = {by_urn[u] for u in resource(capture, "workloads-cart-rollout-service").dependencies if u in by_urn}
    assert "workloads-cart-rollout-blue" in service


@pytest.mark.parametrize("stack", STACKS)
def test_the_gate_reaches_exactly_its_workloads_port_and_nothing_reaches_the_gate(stack: str) -> None:
    capture = capture_workloads(stack)
    model = network_model(capture)
    declared = {w.name: w for w in stack_settings(stack).workloads}
    services = workload_pods(capture)
    ports = model.ports_mentioned() | {1, 80, 443, 5432, 8080, 9090}
    gates = gate_pods(capture)
    assert {g.label_map[labels.GATE_FOR] for g in gates} == set(declared)
    for gate in gates:
        mine = gate.label_map[labels.GATE_FOR]
        assert model.allows(gate, KUBE_DNS, 53, "UDP") and model.allows(gate, KUBE_DNS, 53, "TCP")
        for target in services:
            for port in ports:
                expected = target.label_map[labels.NAME] == mine and port == declared[mine].port
                assert model.allows(gate, target, port) is expected, (gate.name, target.name, port)
                assert not model.allows(target, gate, port), (target.name, gate.name, port)
    # Each end on its own allows exactly the workload's port: the gate's egress policy alone (nothing else
    # isolates), and the workload's gate-ingress policy alone.
    policies = manifests(capture, NETWORK_POLICY)
    for gate in gates:
        mine = gate.label_map[labels.GATE_FOR]
        egress_only = NetworkModel([p for p in policies if p["metadata"]["name"] == f"{mine}-gate"], {})
        ingress_only = NetworkModel([p for p in policies if p["metadata"]["name"] == f"{mine}-gate-ingress"], {})
        for target in services:
            for port in ports:
                expected = target.label_map[labels.NAME] == mine and port == declared[mine].port
                assert egress_only.allows(gate, target, port) is expected, (gate.name, target.name, port)
                if target.label_map[labels.NAME] == mine:
                    assert ingress_only.allows(gate, target, port) is expected, (gate.name, target.name, port)
    # A pod with a gate's labels in another namespace gets nothing.
    impostor = pod("impostor", "intruders", gates[0].label_map)
    target = next(p for p in services if p.label_map[labels.NAME] == gates[0].label_map[labels.GATE_FOR])
    assert not model.allows(impostor, target, declared[target.label_map[labels.NAME]].port)


def test_the_evaluator_sees_a_gate_without_its_ingress_policy() -> None:
    """The reach test can fail: without `<w>-gate-ingress` the workload's default-deny drops the gate."""
    capture = capture_workloads("prod")
    policies = [
        p for p in copy.deepcopy(manifests(capture, NETWORK_POLICY)) if p["metadata"]["name"] != "payments-gate-ingress"
    ]
    model = NetworkModel(policies, {})
    gate = next(g for g in gate_pods(capture) if g.label_map[labels.GATE_FOR] == "payments")
    target = next(p for p in workload_pods(capture) if p.name == "payments-green")
    assert network_model(capture).allows(gate, target, 8080)
    assert not model.allows(gate, target, 8080)


def test_the_rollout_refuses_a_gateless_release_and_a_gate_image_by_tag() -> None:
    registry = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    args: dict[str, Any] = {
        "workload": "api",
        "namespace": "apps",
        "service_account": "api",
        "active": Slot.BLUE,
        "replicas": 2,
        "port": 8080,
        "images": dict.fromkeys(Slot, f"{registry}/api@sha256:{'a' * 64}"),
        "allowed_registries": (registry,),
    }
    with pytest.raises(ValueError) as missing:
        Rollout("api", RolloutArgs(**args, idle_replicas=1))
    assert str(missing.value) == GATE_IMAGE_REQUIRED.format(idle=1)
    with pytest.raises(ValueError, match="pinned by digest"):
        Rollout("api", RolloutArgs(**args, idle_replicas=1, gate_image=f"{registry}/gate:1"))


def test_gate_job_names_change_with_the_digest_and_the_gate_and_stay_valid() -> None:
    registry = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    image, other = f"{registry}/api@sha256:{'a' * 64}", f"{registry}/api@sha256:{'b' * 64}"
    gate, command = f"{registry}/gate@sha256:{'c' * 64}", ("curl", "http://api-preview:8080/readyz")
    name = gate_job_name("api", Slot.GREEN, image, gate, command)
    assert name.startswith("api-gate-green-aaaaaaaa-")
    assert gate_job_name("api", Slot.GREEN, other, gate, command) != name  # a release: a new Job
    assert gate_job_name("api", Slot.GREEN, image, f"{registry}/gate@sha256:{'d' * 64}", command) != name
    assert gate_job_name("api", Slot.GREEN, image, gate, ("nc", "-z")) != name
    assert gate_job_name("api", Slot.GREEN, image, gate, command) == name  # stable: no Job change without cause
    long_a, long_b = "a" * 50 + "-x", "a" * 50 + "-y"
    names = {gate_job_name(w, Slot.GREEN, image, gate, command) for w in (long_a, long_b)}
    assert len(names) == 2 and all(len(n) <= 63 and n[0].isalpha() for n in names)


@pytest.mark.parametrize("stack", STACKS)
def test_the_preview_service_selects_the_idle_slot(stack: str) -> None:
    services = by_kind(capture_workloads(stack), SERVICE)
    for w in stack_settings(stack).workloads:
        spec = services[(w.namespace, f"{w.name}-preview")]["spec"]
        assert spec["selector"] == {labels.NAME: w.name, labels.SLOT: w.rollout.idle.value}
        assert spec["ports"] == [{"name": PORT_NAME, "port": w.port, "targetPort": PORT_NAME, "protocol": "TCP"}]


def test_every_rollout_object_sits_under_the_rollout_component() -> None:
    capture = capture_workloads("prod")
    by_urn = capture.by_urn()
    for type_token in (JOB, PDB):
        for found in workload_resources(capture, type_token):
            assert by_urn[found.parent or ""].type == "nhi:rollout:Rollout"
