"""CoreDNS under strict network policy enforcement: exactly the traffic it needs, in every stack."""

from __future__ import annotations

import pytest

from components.cluster_dns_policy import api_server_ip, vpc_resolver_ip
from tests.conftest import STACKS, capture_stack, stack_settings


def _coredns_policy(stack: str) -> dict:
    policies = [
        r
        for r in capture_stack(stack).of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"].get("namespace") == "kube-system"
    ]
    assert [p.inputs["metadata"]["name"] for p in policies] == ["coredns"]
    return policies[0].inputs


def test_resolver_and_api_server_addresses() -> None:
    assert api_server_ip("172.20.0.0/16") == "172.20.0.1/32"
    assert vpc_resolver_ip("10.40.0.0/16") == "10.40.0.2/32"


@pytest.mark.parametrize("stack", STACKS)
def test_coredns_is_reachable_only_from_the_workload_namespaces_and_reaches_only_what_it_needs(stack: str) -> None:
    parsed = stack_settings(stack)
    spec = _coredns_policy(stack)["spec"]
    assert spec["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    [ingress] = spec["ingress"]
    [peer] = ingress["from"]
    assert set(peer) == {"namespaceSelector"}  # namespaces only, never every address
    [requirement] = peer["namespaceSelector"]["matchExpressions"]
    assert (requirement["key"], requirement["operator"]) == ("kubernetes.io/metadata.name", "In")
    assert set(requirement["values"]) == {w.namespace for w in parsed.workloads} | {"kube-system"}
    assert {(p["protocol"], p["port"]) for p in ingress["ports"]} == {("UDP", 53), ("TCP", 53)}
    egress = {
        (p["protocol"], p["port"]): {t["ipBlock"]["cidr"] for t in rule["to"]}
        for rule in spec["egress"]
        for p in rule["ports"]
    }
    vpc = parsed.cluster.vpc_cidr
    assert egress == {
        ("TCP", 443): {"172.20.0.1/32", vpc},
        ("UDP", 53): {vpc_resolver_ip(vpc), "169.254.169.253/32"},
        ("TCP", 53): {vpc_resolver_ip(vpc), "169.254.169.253/32"},
    }
