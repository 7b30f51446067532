"""Pods and rollout slots on the capture of every stack: every pod template restricted and beyond, images by
digest from allowed registries, one Deployment per slot, the stable Service on the active slot."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import labels
from components.pods import DIGEST_REF_RE, PORT_NAME, REFUSED_REGISTRY, REFUSED_TAG, pinned_image
from components.rollout import Slot
from tests.components.pod_checks import restricted_violations
from tests.components.workload_views import (
    DEPLOYMENT,
    SERVICE,
    SERVICE_ACCOUNT,
    capture_workloads,
    capture_workloads_file,
    manifests,
)
from tests.conftest import STACKS, stack_file_config, stack_settings, write_stack_file


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_template_is_restricted(stack: str) -> None:
    capture = capture_workloads(stack)
    declared = {w.name: w for w in stack_settings(stack).workloads}
    for deployment in manifests(capture, DEPLOYMENT):
        spec = deployment["spec"]["template"]["spec"]
        assert restricted_violations(spec) == [], deployment["metadata"]["name"]
        name = deployment["metadata"]["labels"][labels.NAME]
        assert spec["serviceAccountName"] == name
        assert spec["automountServiceAccountToken"] is declared[name].kubernetes_api_access


def test_the_restricted_check_reports_each_weakened_field() -> None:
    spec = manifests(capture_workloads("dev"), DEPLOYMENT)[0]["spec"]["template"]["spec"]
    container = spec["containers"][0]
    weakened = {
        **spec,
        "hostNetwork": True,
        "securityContext": {**spec["securityContext"], "runAsNonRoot": False},
        "containers": [
            {
                **container,
                "securityContext": {
                    **container["securityContext"],
                    "allowPrivilegeEscalation": True,
                    "readOnlyRootFilesystem": False,
                },
                "image": container["image"].split("@")[0] + ":latest",
                "env": [{"name": "X", "value": "y"}],
            }
        ],
    }
    assert set(restricted_violations(weakened)) == {
        "hostNetwork",
        "securityContext.runAsNonRoot",
        "containers[app].allowPrivilegeEscalation",
        "containers[app].readOnlyRootFilesystem",
        "containers[app].image",
        "containers[app].env",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_each_workload_has_a_deployment_per_slot_pinned_to_that_slots_digest(stack: str) -> None:
    declared = stack_settings(stack)
    by_name = {d["metadata"]["name"]: d for d in manifests(capture_workloads(stack), DEPLOYMENT)}
    assert set(by_name) == {f"{w.name}-{slot.value}" for w in declared.workloads for slot in Slot}
    for w in declared.workloads:
        for slot in Slot:
            deployment = by_name[f"{w.name}-{slot.value}"]
            template = deployment["spec"]["template"]
            assert template["spec"]["containers"][0]["image"] == getattr(w.rollout, slot.value)
            reference = DIGEST_REF_RE.match(template["spec"]["containers"][0]["image"])
            assert reference is not None and reference.group("registry") in declared.registries
            expected = w.replicas if slot is w.rollout.active else declared.idle_replicas(w)
            assert deployment["spec"]["replicas"] == expected
            assert template["metadata"]["labels"][labels.NAME] == w.name
            assert template["metadata"]["labels"][labels.SLOT] == slot.value
            assert deployment["spec"]["selector"]["matchLabels"] == {labels.NAME: w.name, labels.SLOT: slot.value}
            assert deployment["metadata"]["namespace"] == w.namespace


@pytest.mark.parametrize("stack", STACKS)
def test_the_stable_service_selects_the_active_slot_on_the_workload_port(stack: str) -> None:
    declared = stack_settings(stack)
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in manifests(capture_workloads(stack), SERVICE)
    }
    assert set(services) == {
        (w.namespace, f"{w.name}{suffix}") for w in declared.workloads for suffix in ("", "-preview")
    }
    for w in declared.workloads:
        for name, slot in ((w.name, w.rollout.active), (f"{w.name}-preview", w.rollout.idle)):
            spec = services[(w.namespace, name)]["spec"]
            assert spec["selector"] == {labels.NAME: w.name, labels.SLOT: slot.value}
            assert spec["type"] == "ClusterIP"
            assert spec["ports"] == [{"name": PORT_NAME, "port": w.port, "targetPort": PORT_NAME, "protocol": "TCP"}]


def test_promoting_green_changes_only_the_service_selector_and_replica_counts(tmp_path: Path) -> None:
    config = stack_file_config("staging")
    config["nhi-platform:workloads"][0]["rollout"]["active"] = "green"
    name = config["nhi-platform:workloads"][0]["name"]
    changed = capture_workloads_file(write_stack_file(tmp_path, "staging", config))
    before = {r.urn: r.inputs for r in capture_workloads("staging").resources}
    after = {r.urn: r.inputs for r in changed.resources}
    assert set(before) == set(after)
    differing = {urn.rsplit("::", 1)[1] for urn in before if before[urn] != after[urn]}
    # Staging keeps 1 idle replica, so the two slots' replica counts swap as well.
    assert differing == {
        f"workloads-{name}-rollout-service",
        f"workloads-{name}-rollout-preview",
        f"workloads-{name}-rollout-blue",
        f"workloads-{name}-rollout-green",
    }
    blue = next(r for r in changed.resources if r.name == f"workloads-{name}-rollout-blue").inputs
    old_blue = before[next(r.urn for r in changed.resources if r.name == f"workloads-{name}-rollout-blue")]
    assert blue["spec"]["template"] == old_blue["spec"]["template"]


def test_kubernetes_api_access_mounts_a_token_for_that_workload_only(tmp_path: Path) -> None:
    config = stack_file_config("dev")
    config["nhi-platform:workloads"][1]["kubernetesApiAccess"] = True
    name = config["nhi-platform:workloads"][1]["name"]
    capture = capture_workloads_file(write_stack_file(tmp_path, "dev", config))
    mounted = {
        sa["metadata"]["name"] for sa in manifests(capture, SERVICE_ACCOUNT) if sa["automountServiceAccountToken"]
    }
    assert mounted == {name}
    pods = {
        d["metadata"]["labels"][labels.NAME]
        for d in manifests(capture, DEPLOYMENT)
        if d["spec"]["template"]["spec"]["automountServiceAccountToken"]
    }
    assert pods == {name}


def test_settings_resources_health_and_user_reach_the_pods(tmp_path: Path) -> None:
    config = stack_file_config("dev")
    ledger = next(w for w in config["nhi-platform:workloads"] if w["name"] == "ledger")
    ledger["resources"] = {"cpuRequest": "250m", "cpuLimit": "1", "memoryRequest": "512Mi", "memoryLimit": "1Gi"}
    ledger["health"] = {"probe": "tcp"}
    ledger["runAsUser"] = 70000
    capture = capture_workloads_file(write_stack_file(tmp_path, "dev", config))
    spec = next(d for d in manifests(capture, DEPLOYMENT) if d["metadata"]["name"] == "ledger-blue")["spec"][
        "template"
    ]["spec"]
    container = spec["containers"][0]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    assert (
        container["readinessProbe"]["tcpSocket"] == {"port": PORT_NAME} and "httpGet" not in container["readinessProbe"]
    )
    assert container["livenessProbe"]["tcpSocket"] == {"port": PORT_NAME}
    assert spec["securityContext"]["runAsUser"] == 70000 and container["securityContext"]["runAsUser"] == 70000


def test_pinned_image_refuses_tags_and_foreign_registries() -> None:
    registry = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    good = f"{registry}/app@sha256:{'a' * 64}"
    assert pinned_image(good, (registry,)) == good
    with pytest.raises(ValueError) as tag:
        pinned_image(f"{registry}/app:1.0", (registry,))
    assert str(tag.value) == REFUSED_TAG.format(image=f"{registry}/app:1.0")
    with pytest.raises(ValueError) as foreign:
        pinned_image(f"docker.io/library/app@sha256:{'a' * 64}", (registry,))
    assert str(foreign.value) == REFUSED_REGISTRY.format(allowed=registry, registry="docker.io")


def test_in_prod_promoting_changes_only_the_service_selectors(tmp_path: Path) -> None:
    """Prod keeps the idle slot at full size, so a promote is a selector flip and nothing else (issue 5)."""
    config = stack_file_config("prod")
    workload = next(w for w in config["nhi-platform:workloads"] if w["name"] == "payments")
    workload["rollout"]["active"] = "green"
    changed = capture_workloads_file(write_stack_file(tmp_path, "prod", config))
    before = {r.urn: r.inputs for r in capture_workloads("prod").resources}
    after = {r.urn: r.inputs for r in changed.resources}
    assert set(before) == set(after)
    assert {urn.rsplit("::", 1)[1] for urn in before if before[urn] != after[urn]} == {
        "workloads-payments-rollout-service",
        "workloads-payments-rollout-preview",
    }
    service = next(r for r in changed.resources if r.name == "workloads-payments-rollout-service").inputs
    assert service["spec"]["selector"] == {labels.NAME: "payments", labels.SLOT: "green"}
    preview = next(r for r in changed.resources if r.name == "workloads-payments-rollout-preview").inputs
    assert preview["spec"]["selector"] == {labels.NAME: "payments", labels.SLOT: "blue"}
