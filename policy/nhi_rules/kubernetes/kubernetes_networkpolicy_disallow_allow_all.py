"""NetworkPolicies allow named peers, never everyone (empty rules, empty peers, 0.0.0.0/0, ::/0)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import NETWORK_POLICY
from nhi_rules.lib.network import is_world
from nhi_rules.lib.props import as_str, get, is_map, items
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-networkpolicy-disallow-allow-all"

MSG_EMPTY_RULE = (
    "spec.{direction}[{index}] is empty, which allows all {kind} traffic: list peers in {peers} and the ports"
)
MSG_NO_PEERS = (
    "spec.{direction}[{index}].{peers} is not set, so the rule allows every peer: list podSelector/"
    "namespaceSelector peers (for DNS: kube-dns in kube-system)"
)
MSG_EMPTY_PEER = "spec.{direction}[{index}].{peers}[{peer}] is an empty peer that matches everything: name the peer"
MSG_WORLD = (
    "spec.{direction}[{index}].{peers}[{peer}].ipBlock.cidr is {cidr!r}: allow specific CIDRs "
    "(egress to AWS APIs goes through VPC endpoints)"
)


def check(subject: Subject) -> Iterator[str]:
    spec = get(subject.props, "spec")
    for direction, peers, kind in (("ingress", "from", "incoming"), ("egress", "to", "outgoing")):
        for index, rule in items(get(spec, direction)):
            if not is_map(rule):
                continue
            if len(list(iter(rule))) == 0:
                yield MSG_EMPTY_RULE.format(direction=direction, index=index, kind=kind, peers=peers)
                continue
            listed = get(rule, peers)
            if listed is None or (not list(items(listed))):
                yield MSG_NO_PEERS.format(direction=direction, index=index, peers=peers)
                continue
            for peer_index, peer in items(listed):
                if not is_map(peer) or len(list(iter(peer))) == 0:
                    yield MSG_EMPTY_PEER.format(direction=direction, index=index, peers=peers, peer=peer_index)
                    continue
                cidr = as_str(get(peer, "ipBlock", "cidr"))
                if cidr and is_world(cidr):
                    yield MSG_WORLD.format(direction=direction, index=index, peers=peers, peer=peer_index, cidr=cidr)


POLICY = resource_rule(
    name=NAME,
    description="NetworkPolicy rules name their peers; none allows all traffic or the whole internet.",
    resource_types=(NETWORK_POLICY,),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.3.2", "Ensure that all Namespaces have Network Policies defined"),
    tags=["kubernetes", "network", "eks-bp:BP-NET-03"],
    remediation_steps="Give every rule explicit from/to peers (pod/namespace selectors or private ipBlocks) and ports.",
)
