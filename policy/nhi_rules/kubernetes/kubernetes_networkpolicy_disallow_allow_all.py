"""NetworkPolicies allow named peers, never everyone: no empty rules or peers, and no ipBlocks that reach the
internet, whether 0.0.0.0/0, ::/0 or the internet in pieces (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, a public
/8's worth of smaller blocks), added up over the rules of one direction with their `except` ranges taken out
(nhi_rules.lib.addresses: the union of the ranges, compared with the forbidden set)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.addresses import LIMIT, Listed, listed, openings
from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import NETWORK_POLICY
from nhi_rules.lib.props import as_str, get, is_map, items, strings
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
    "{path}.cidr is {cidr!r}, which reaches {reach}: allow specific CIDRs "
    "(egress to AWS APIs goes through VPC endpoints)"
)
MSG_WORLD_TOGETHER = (
    "{paths} together allow {reach} ({direction}), the internet in pieces ({limit}): allow specific CIDRs "
    "(egress to AWS APIs goes through VPC endpoints)"
)


def check(subject: Subject) -> Iterator[str]:
    spec = get(subject.props, "spec")
    for direction, peers, kind in (("ingress", "from", "incoming"), ("egress", "to", "outgoing")):
        blocks: list[Listed] = []
        for index, rule in items(get(spec, direction)):
            if not is_map(rule):
                continue
            if len(list(iter(rule))) == 0:
                yield MSG_EMPTY_RULE.format(direction=direction, index=index, kind=kind, peers=peers)
                continue
            listed_peers = get(rule, peers)
            if listed_peers is None or (not list(items(listed_peers))):
                yield MSG_NO_PEERS.format(direction=direction, index=index, peers=peers)
                continue
            for peer_index, peer in items(listed_peers):
                if not is_map(peer) or len(list(iter(peer))) == 0:
                    yield MSG_EMPTY_PEER.format(direction=direction, index=index, peers=peers, peer=peer_index)
                    continue
                cidr = as_str(get(peer, "ipBlock", "cidr"))
                if cidr:
                    path = f"spec.{direction}[{index}].{peers}[{peer_index}].ipBlock"
                    blocks.append(listed(path, cidr, strings(get(peer, "ipBlock", "except"))))
        # Each rule allows its peers: the blocks of all the rules of a direction add up.
        for opening in openings(blocks):
            if opening.alone:
                yield MSG_WORLD.format(path=opening.paths, cidr=opening.entries[0].text, reach=opening.reach)
            else:
                yield MSG_WORLD_TOGETHER.format(
                    paths=opening.paths, reach=opening.reach, direction=direction, limit=LIMIT
                )


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
