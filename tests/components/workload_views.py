"""Views of a preflight capture for the workload tests: the captured objects as manifests, and a small
NetworkPolicy evaluator that computes which flows the RENDERED policies allow (never from settings).

The evaluator implements the Kubernetes NetworkPolicy semantics the platform relies on: a pod is isolated
in a direction once any policy with that policyType selects it; then traffic is allowed only if some such
policy has a rule whose peers and ports match. A peer with both namespaceSelector and podSelector needs both;
a peer with only podSelector means the policy's own namespace; ipBlock matches addresses outside the cluster.
Anything else it meets (matchExpressions operators it does not know, endPort, named ports) fails loudly."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from nhi.preflight.manifests import manifest as preflight_manifest
from nhi.preflight.capture import Capture, CapturedResource
from tests.conftest import capture_stack, capture_stack_file

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"


def capture_workloads(stack: str) -> Capture:
    """The capture of one of our stacks (cached per session: treat as read-only)."""
    return capture_stack(stack)


def capture_workloads_file(path: Path) -> Capture:
    """The capture of our program with a changed stack file."""
    return capture_stack_file(path)


WORKLOADS_COMPONENT = "nhi:workloads:Workloads"


def workload_resources(capture: Capture, type_token: str) -> list[CapturedResource]:
    """Resources of a type under the Workloads component (the cluster has roles and policies of its own)."""
    by_urn = capture.by_urn()

    def under_workloads(resource: CapturedResource) -> bool:
        parent = by_urn.get(resource.parent or "")
        while parent is not None:
            if parent.type == WORKLOADS_COMPONENT:
                return True
            parent = by_urn.get(parent.parent or "")
        return False

    return [r for r in capture.of_type(type_token) if under_workloads(r)]


def manifest(resource: CapturedResource) -> dict[str, Any]:
    """A captured Kubernetes object as `nhi preflight --manifests` writes it."""
    return preflight_manifest(resource)


def manifests(capture: Capture, type_token: str) -> list[dict[str, Any]]:
    """Workload objects of a type as manifests; namespaces (made by the cluster wiring) all of them."""
    found = capture.of_type(type_token) if type_token == NAMESPACE else workload_resources(capture, type_token)
    return [manifest(r) for r in found]


def role_by_urn(capture: Capture) -> dict[str, CapturedResource]:
    return {r.urn: r for r in workload_resources(capture, ROLE)}


def trust_of(role: CapturedResource) -> dict[str, Any]:
    return json.loads(role.inputs["assumeRolePolicy"])


# --- NetworkPolicy evaluation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


@dataclass(frozen=True)
class External:
    """An address outside the cluster (a load balancer, a database endpoint)."""

    address: str


Endpoint = Pod | External


def pod(name: str, namespace: str, labels: dict[str, str]) -> Pod:
    return Pod(name, namespace, tuple(sorted(labels.items())))


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return False
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise ValueError(f"unsupported selector fields {unknown}")
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unsupported operator {operator}")
    return True


class NetworkModel:
    """Pods, namespaces and the rendered policies of one capture."""

    def __init__(self, policies: Iterable[dict[str, Any]], namespace_labels: dict[str, dict[str, str]]) -> None:
        self.policies = list(policies)
        self.namespace_labels = namespace_labels

    def _labels_of_namespace(self, namespace: str) -> dict[str, str]:
        # Kubernetes sets kubernetes.io/metadata.name on every namespace.
        return {**self.namespace_labels.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    def selecting(self, target: Pod, policy_type: str) -> list[dict[str, Any]]:
        return [p for p in self.policies
                if p["metadata"]["namespace"] == target.namespace
                and policy_type in p["spec"].get("policyTypes", ["Ingress"])
                and selector_matches(p["spec"].get("podSelector"), target.label_map)]

    def _peer_matches(self, peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
        unknown = set(peer) - {"podSelector", "namespaceSelector", "ipBlock"}
        if unknown:
            raise ValueError(f"unsupported peer fields {unknown}")
        if "ipBlock" in peer:
            if not isinstance(other, External):
                return False
            address = ipaddress.ip_address(other.address)
            block = peer["ipBlock"]
            return (address in ipaddress.ip_network(block["cidr"])
                    and not any(address in ipaddress.ip_network(e) for e in block.get("except") or []))
        if not isinstance(other, Pod):
            return False
        if "namespaceSelector" in peer:
            if not selector_matches(peer["namespaceSelector"], self._labels_of_namespace(other.namespace)):
                return False
        elif other.namespace != policy_namespace:
            return False
        return selector_matches(peer.get("podSelector", {}), other.label_map)

    @staticmethod
    def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
        if not ports:
            return True
        for entry in ports:
            if "endPort" in entry or isinstance(entry.get("port"), str):
                raise ValueError(f"unsupported port entry {entry}")
            if entry.get("protocol", "TCP") == protocol and entry.get("port") in (None, port):
                return True
        return False

    def _direction_allows(self, subject: Pod, other: Endpoint, port: int, protocol: str, policy_type: str) -> bool:
        policies = self.selecting(subject, policy_type)
        if not policies:
            return True  # not isolated in this direction
        rules_key, peers_key = ("egress", "to") if policy_type == "Egress" else ("ingress", "from")
        for policy in policies:
            for rule in policy["spec"].get(rules_key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(self._peer_matches(p, policy["metadata"]["namespace"], other) for p in peers)
                if peer_ok and self._port_matches(rule.get("ports"), port, protocol):
                    return True
        return False

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
        egress = not isinstance(source, Pod) or self._direction_allows(source, destination, port, protocol, "Egress")
        ingress = (not isinstance(destination, Pod)
                   or self._direction_allows(destination, source, port, protocol, "Ingress"))
        return egress and ingress

    def ports_mentioned(self) -> set[int]:
        ports = set()
        for policy in self.policies:
            for key in ("ingress", "egress"):
                for rule in policy["spec"].get(key) or []:
                    ports |= {p["port"] for p in rule.get("ports") or [] if isinstance(p.get("port"), int)}
        return ports

    def ip_blocks(self) -> set[str]:
        blocks = set()
        for policy in self.policies:
            for key, peers_key in (("ingress", "from"), ("egress", "to")):
                for rule in policy["spec"].get(key) or []:
                    blocks |= {p["ipBlock"]["cidr"] for p in rule.get(peers_key) or [] if "ipBlock" in p}
        return blocks


def network_model(capture: Capture) -> NetworkModel:
    namespace_labels = {m["metadata"]["name"]: m["metadata"].get("labels") or {} for m in manifests(capture, NAMESPACE)}
    return NetworkModel(manifests(capture, NETWORK_POLICY), namespace_labels)


def workload_pods(capture: Capture) -> list[Pod]:
    """One pod per rendered Deployment (both slots), with its template's labels."""
    return [pod(m["metadata"]["name"], m["metadata"]["namespace"], m["spec"]["template"]["metadata"]["labels"])
            for m in manifests(capture, DEPLOYMENT)]
