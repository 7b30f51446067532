"""Network isolation, judged on the NetworkPolicies the program renders: default-deny everywhere, DNS only
to kube-dns, and the pod-to-pod flows the policies allow equal to the flows the stack declares."""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path

import pytest

import settings
from components import labels
from components.network_policies import ALLOW_DNS, DEFAULT_DENY, DNS_NAMESPACE, DNS_SELECTOR
from tests.components.workload_views import (
    NETWORK_POLICY,
    External,
    NetworkModel,
    Pod,
    capture_workloads,
    capture_workloads_file,
    manifests,
    network_model,
    pod,
    workload_pods,
)
from tests.conftest import STACKS, stack_file_config, stack_settings, write_stack_file

KUBE_DNS = pod("kube-dns", DNS_NAMESPACE, DNS_SELECTOR)


def allowed_workload_flows(model: NetworkModel, pods: list[Pod]) -> set[tuple[str, str, int]]:
    """(source, destination, port) between workloads that the rendered policies allow, on any port they or
    the workloads mention; both slots of a workload must agree."""
    ports = model.ports_mentioned() | {1, 80, 443, 5432, 8080, 8443, 9090}
    flows: set[tuple[str, str, int]] = set()
    for source in pods:
        for destination in pods:
            for port in ports:
                if model.allows(source, destination, port):
                    flows.add((source.label_map[labels.NAME], destination.label_map[labels.NAME], port))
    return flows


def declared_workload_flows(stack: settings.StackSettings) -> set[tuple[str, str, int]]:
    return {(w.name, flow.to, flow.port) for w in stack.workloads for flow in w.egress if flow.to}


@pytest.mark.parametrize("stack", STACKS)
def test_every_namespace_denies_by_default_and_allows_dns_only_to_kube_dns(stack: str) -> None:
    capture = capture_workloads(stack)
    policies = manifests(capture, NETWORK_POLICY)
    namespaces = {w.namespace for w in stack_settings(stack).workloads}
    by_name: dict[str, set[str]] = {}
    for policy in policies:
        by_name.setdefault(policy["metadata"]["name"], set()).add(policy["metadata"]["namespace"])
    assert by_name[DEFAULT_DENY] == namespaces
    assert by_name[ALLOW_DNS] == namespaces
    deny = [p for p in policies if p["metadata"]["name"] == DEFAULT_DENY]
    assert all(p["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} for p in deny)

    model = network_model(capture)
    stranger = pod("stranger", DNS_NAMESPACE, {"k8s-app": "not-dns"})
    for source in workload_pods(capture):
        assert model.allows(source, KUBE_DNS, 53, "UDP") and model.allows(source, KUBE_DNS, 53, "TCP")
        assert not model.allows(source, KUBE_DNS, 80), source
        assert not model.allows(source, stranger, 53, "UDP"), source


@pytest.mark.parametrize("stack", STACKS)
def test_every_workload_pod_is_isolated_and_selected_by_its_own_policy(stack: str) -> None:
    capture = capture_workloads(stack)
    model = network_model(capture)
    for workload_pod in workload_pods(capture):
        for policy_type in ("Ingress", "Egress"):
            names = {p["metadata"]["name"] for p in model.selecting(workload_pod, policy_type)}
            assert DEFAULT_DENY in names, (workload_pod, policy_type)
            assert f"{workload_pod.label_map[labels.NAME]}-flows" in names, (workload_pod, policy_type)


@pytest.mark.parametrize("stack", STACKS)
def test_allowed_pod_flows_equal_the_declared_flows(stack: str) -> None:
    capture = capture_workloads(stack)
    assert allowed_workload_flows(network_model(capture), workload_pods(capture)) == declared_workload_flows(
        stack_settings(stack)
    )


@pytest.mark.parametrize("stack", STACKS)
def test_cidr_flows_are_exactly_the_declared_ranges_and_ports(stack: str) -> None:
    capture = capture_workloads(stack)
    model = network_model(capture)
    declared = stack_settings(stack)
    pods_by_name = {p.label_map[labels.NAME]: p for p in workload_pods(capture)}
    blocks = model.ip_blocks()
    inbound = {f.cidr for w in declared.workloads for f in w.ingress if f.cidr}
    assert blocks == inbound | {f.cidr for w in declared.workloads for f in w.egress if f.cidr}
    outside = External("192.0.2.10")  # TEST-NET-1: in no stack's ranges
    for w in declared.workloads:
        me = pods_by_name[w.name]
        for cidr in blocks:
            inside = External(str(ipaddress.ip_network(cidr).network_address + 1))
            for port in model.ports_mentioned():
                out_ok = any(f.cidr == cidr and f.port == port for f in w.egress)
                in_ok = any(f.cidr == cidr and f.port == port for f in w.ingress)
                assert model.allows(me, inside, port) == out_ok, (w.name, "egress", cidr, port)
                assert model.allows(inside, me, port) == in_ok, (w.name, "ingress", cidr, port)
        for port in model.ports_mentioned():
            assert not model.allows(me, outside, port) and not model.allows(outside, me, port)


def test_a_pod_with_a_workloads_labels_in_another_namespace_gets_none_of_its_access() -> None:
    capture = capture_workloads("prod")
    model = network_model(capture)
    real = {p.label_map[labels.NAME]: p for p in workload_pods(capture)}
    impostor = pod("impostor", "intruders", real["gateway"].label_map)
    assert model.allows(real["gateway"], real["checkout"], 8080)
    assert not model.allows(impostor, real["checkout"], 8080)


def _policy(policies: list[dict], name: str) -> dict:
    return next(p for p in policies if p["metadata"]["name"] == name)


def test_the_evaluator_sees_a_rule_opened_to_every_port() -> None:
    """The flow test can fail on too much: without `ports` on both ends, gateway reaches checkout anywhere."""
    capture = capture_workloads("prod")
    policies = copy.deepcopy(manifests(capture, NETWORK_POLICY))
    _policy(policies, "checkout-flows")["spec"]["ingress"][0].pop("ports")
    gateway = _policy(policies, "gateway-flows")["spec"]["egress"]
    next(rule for rule in gateway if rule["to"][0]["podSelector"]["matchLabels"][labels.NAME] == "checkout").pop(
        "ports"
    )
    model = NetworkModel(policies, {})
    extra = allowed_workload_flows(model, workload_pods(capture)) - declared_workload_flows(stack_settings("prod"))
    assert extra == {
        ("gateway", "checkout", port)
        for port in model.ports_mentioned() | {1, 80, 443, 5432, 8080, 8443, 9090}
        if port != 8080
    }


def test_the_evaluator_sees_a_peer_that_loses_its_namespace() -> None:
    """The flow test can fail on too little: a peer without namespaceSelector means the policy's namespace."""
    capture = capture_workloads("prod")
    policies = copy.deepcopy(manifests(capture, NETWORK_POLICY))
    _policy(policies, "checkout-flows")["spec"]["ingress"][0]["from"][0].pop("namespaceSelector")
    allowed = allowed_workload_flows(NetworkModel(policies, {}), workload_pods(capture))
    assert declared_workload_flows(stack_settings("prod")) - allowed == {("gateway", "checkout", 8080)}


def test_a_namespace_without_default_deny_lets_its_pods_send_anywhere_they_are_admitted() -> None:
    capture = capture_workloads("prod")
    policies = [p for p in manifests(capture, NETWORK_POLICY) if p["metadata"]["namespace"] != "edge"]
    model = NetworkModel(policies, {})
    checkout = next(p for p in workload_pods(capture) if p.name == "checkout-blue")
    other_edge_pod = pod("edge-other", "edge", {labels.NAME: "gateway"})
    assert model.allows(other_edge_pod, checkout, 8080)
    assert not network_model(capture).allows(other_edge_pod, KUBE_DNS, 80)


def test_an_undeclared_flow_in_settings_changes_the_rendered_policies(tmp_path: Path) -> None:
    """Declaring cart -> inventory (both ends) makes exactly that flow appear in the rendered policies."""
    config = stack_file_config("prod")
    workloads = config["nhi-platform:workloads"]
    by_name = {w["name"]: w for w in workloads}
    by_name["cart"]["egress"].append({"to": "inventory", "port": 8080})
    by_name["inventory"]["ingress"].append({"from": "cart", "port": 8080})
    capture = capture_workloads_file(write_stack_file(tmp_path, "prod", config))
    before = allowed_workload_flows(network_model(capture_workloads("prod")), workload_pods(capture_workloads("prod")))
    after = allowed_workload_flows(network_model(capture), workload_pods(capture))
    assert after - before == {("cart", "inventory", 8080)}
    assert before - after == set()
