"""A small NetworkPolicy evaluator: which flows the RENDERED policies allow (never from settings).

Moved here from the workload tests (tests/components/workload_views.py imports it) so that the inventory and
the tests judge flows with one implementation. It follows the Kubernetes NetworkPolicy semantics: a pod is
isolated in a direction once any policy with that policyType selects it; then traffic is allowed only if some
such policy has a rule whose peers and ports match. A peer with both namespaceSelector and podSelector needs
both; a peer with only podSelector means the policy's own namespace; ipBlock matches addresses outside the
cluster. Named ports resolve against the destination pod's declared container ports. Anything else it meets
(unknown selector operators or fields) raises UnsupportedPolicy: a wrong answer would be worse than none."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


class UnsupportedPolicy(ValueError):
    """A NetworkPolicy construct the evaluator does not implement."""


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[tuple[str, int, str], ...] = ()
    """Declared container ports as (name, number, protocol); named policy ports resolve against them."""

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def named_port(self, name: str, protocol: str) -> int | None:
        return next(
            (number for port_name, number, proto in self.ports if port_name == name and proto == protocol), None
        )


@dataclass(frozen=True)
class External:
    """An address outside the cluster (a load balancer, a database endpoint)."""

    address: str


Endpoint = Pod | External


def pod(name: str, namespace: str, labels: dict[str, str], ports: Iterable[tuple[str, int, str]] = ()) -> Pod:
    return Pod(name, namespace, tuple(sorted(labels.items())), tuple(ports))


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return False
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise UnsupportedPolicy(f"unsupported selector fields {unknown}")
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
            raise UnsupportedPolicy(f"unsupported operator {operator}")
    return True


def port_matches(entry: dict[str, Any], port: int, protocol: str, destination: Pod | None) -> bool:
    """One `ports[]` entry of a rule against a concrete port; a named port needs the destination pod."""
    if entry.get("protocol", "TCP") != protocol:
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        if wanted.isdigit():
            wanted = int(wanted)
        else:
            resolved = destination.named_port(wanted, protocol) if destination is not None else None
            return resolved == port
    end = entry.get("endPort")
    return wanted <= port <= end if isinstance(end, int) else wanted == port


class NetworkModel:
    """Pods, namespaces and the rendered policies of one capture."""

    def __init__(self, policies: Iterable[dict[str, Any]], namespace_labels: dict[str, dict[str, str]]) -> None:
        self.policies = list(policies)
        self.namespace_labels = namespace_labels

    def labels_of_namespace(self, namespace: str) -> dict[str, str]:
        # Kubernetes sets kubernetes.io/metadata.name on every namespace.
        return {**self.namespace_labels.get(namespace, {}), NAMESPACE_NAME_LABEL: namespace}

    def selecting(self, target: Pod, policy_type: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.policies
            if p["metadata"]["namespace"] == target.namespace
            and policy_type in p["spec"].get("policyTypes", ["Ingress"])
            and selector_matches(p["spec"].get("podSelector"), target.label_map)
        ]

    def peer_matches(self, peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
        unknown = set(peer) - {"podSelector", "namespaceSelector", "ipBlock"}
        if unknown:
            raise UnsupportedPolicy(f"unsupported peer fields {unknown}")
        if "ipBlock" in peer:
            if not isinstance(other, External):
                return False
            address = ipaddress.ip_address(other.address)
            block = peer["ipBlock"]
            return address in ipaddress.ip_network(block["cidr"]) and not any(
                address in ipaddress.ip_network(e) for e in block.get("except") or []
            )
        if not isinstance(other, Pod):
            return False
        if "namespaceSelector" in peer:
            if not selector_matches(peer["namespaceSelector"], self.labels_of_namespace(other.namespace)):
                return False
        elif other.namespace != policy_namespace:
            return False
        return selector_matches(peer.get("podSelector", {}), other.label_map)

    @staticmethod
    def _ports_match(ports: list[dict[str, Any]] | None, port: int, protocol: str, destination: Pod | None) -> bool:
        return not ports or any(port_matches(entry, port, protocol, destination) for entry in ports)

    def _direction_allows(self, subject: Pod, other: Endpoint, port: int, protocol: str, policy_type: str) -> bool:
        policies = self.selecting(subject, policy_type)
        if not policies:
            return True  # not isolated in this direction
        rules_key, peers_key = ("egress", "to") if policy_type == "Egress" else ("ingress", "from")
        destination = subject if policy_type == "Ingress" else (other if isinstance(other, Pod) else None)
        for policy in policies:
            for rule in policy["spec"].get(rules_key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(self.peer_matches(p, policy["metadata"]["namespace"], other) for p in peers)
                if peer_ok and self._ports_match(rule.get("ports"), port, protocol, destination):
                    return True
        return False

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
        egress = not isinstance(source, Pod) or self._direction_allows(source, destination, port, protocol, "Egress")
        ingress = not isinstance(destination, Pod) or self._direction_allows(
            destination, source, port, protocol, "Ingress"
        )
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
