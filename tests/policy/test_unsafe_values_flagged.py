"""Property test: an unsafe value in any shape is flagged by the pack (a violation, never an exception).

The robustness test (test_rule_robustness.py) only proves that nothing raises; this one proves that what must be
caught is caught: the internet cut into pieces (tests/policy/unsafe_values.py) behind an admin port, on every port,
in a NetworkPolicy, on a public EKS endpoint or a load balancer's source ranges, and public endpoints. The other
side: narrow office ranges and private ranges are never flagged.
"""

from __future__ import annotations

import ipaddress
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_rules.aws import (
    ec2_securitygroup_disallow_open_admin_ports as admin_ports,
)
from nhi_rules.aws import (
    ec2_securitygroup_disallow_open_all_ports as all_ports,
)
from nhi_rules.aws import (
    eks_cluster_disallow_public_endpoint as endpoint,
)
from nhi_rules.kubernetes import (
    kubernetes_networkpolicy_disallow_allow_all as network_policy,
)
from nhi_rules.kubernetes import (
    kubernetes_service_require_internal_loadbalancer as load_balancer,
)
from nhi_rules.lib.network import DEFAULT_SECURITY_GROUP, SECURITY_GROUP, SECURITY_GROUP_RULE, VPC_INGRESS_RULE
from tests.policy.harness import Verdict, run_resource, template_regex
from tests.policy.unsafe_values import NARROW_PUBLIC, PRIVATE, deal, internet_pieces, one_wide_range, safe_ranges

FEW = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VERSIONS = st.sampled_from([4, 6])
CIDR_KEYS = {4: "cidrBlocks", 6: "ipv6CidrBlocks"}
ADMIN_PORTS = [22, 3389]
CLUSTER = "aws:eks/cluster:Cluster"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
INTERNAL = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}


def flagged(verdict: Verdict, module: ModuleType, *constants: str) -> bool:
    """A violation whose message is one of the module's `constants`."""
    templates = [template_regex(getattr(module, name)) for name in constants]
    return any(template.search(message) for message in verdict.messages for template in templates)


def all_traffic() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(
        [
            {"protocol": "-1", "fromPort": 0, "toPort": 0},
            {"protocol": "all", "fromPort": 0, "toPort": 0},
            {"protocol": -1, "fromPort": 0, "toPort": 0},
            {"protocol": "tcp", "fromPort": 0, "toPort": 65535},
        ]
    )


def reaching(port: int) -> st.SearchStrategy[dict[str, Any]]:
    """The protocol and ports of an ingress rule that reaches `port`."""
    spans = st.builds(
        lambda protocol, low, high: {"protocol": protocol, "fromPort": low, "toPort": high},
        st.sampled_from(["tcp", "6", "TCP", 6]),
        st.integers(0, port),
        st.integers(port, 65535),
    )
    return spans | all_traffic()


# --- security groups: an admin port ------------------------------------------------------------------------------


@FEW
@given(data=st.data(), version=VERSIONS, port=st.sampled_from(ADMIN_PORTS))
def test_an_admin_port_open_to_the_internet_in_pieces_is_flagged(data: st.DataObject, version: int, port: int) -> None:
    pieces = data.draw(internet_pieces(version))
    key = CIDR_KEYS[version]
    shape = data.draw(st.sampled_from([SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SECURITY_GROUP_RULE]))
    if shape == SECURITY_GROUP_RULE:
        props: dict[str, Any] = {"type": "ingress", "securityGroupId": "sg-1", **data.draw(reaching(port)), key: pieces}
    else:
        rules = [{**data.draw(reaching(port)), key: group} for group in deal(data, pieces, 4)]
        decoys = [{"protocol": "tcp", "fromPort": 443, "toPort": 443, key: ["10.0.0.0/8"]}]
        props = {"ingress": data.draw(st.permutations(rules + decoys))}
    verdict = run_resource(admin_ports.POLICY, shape, props)
    assert flagged(verdict, admin_ports, "MSG_OPEN_ADMIN_PORT", "MSG_OPEN_ADMIN_PORT_TOGETHER"), (props, verdict)


@FEW
@given(data=st.data(), version=VERSIONS, port=st.sampled_from(ADMIN_PORTS))
def test_a_vpc_ingress_rule_with_one_wide_range_is_flagged(data: st.DataObject, version: int, port: int) -> None:
    spec = data.draw(reaching(port))
    props = {
        "securityGroupId": "sg-1",
        "ipProtocol": spec["protocol"],
        "fromPort": spec["fromPort"],
        "toPort": spec["toPort"],
        "cidrIpv4" if version == 4 else "cidrIpv6": data.draw(one_wide_range(version)),
    }
    verdict = run_resource(admin_ports.POLICY, VPC_INGRESS_RULE, props)
    assert flagged(verdict, admin_ports, "MSG_OPEN_ADMIN_PORT"), (props, verdict)


# --- security groups: every port ---------------------------------------------------------------------------------

SPELLINGS = {"tcp": ["tcp", "6", "TCP"], "udp": ["udp", "17"]}


@st.composite
def port_segments(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Port ranges that together cover every port, from 0 or 1 to 65535."""
    cuts = sorted(draw(st.lists(st.integers(2, 65535), max_size=3, unique=True)))
    starts = [draw(st.sampled_from([0, 1])), *cuts]
    return [(low, high - 1) for low, high in zip(starts, [*cuts, 65536], strict=True)]


@FEW
@given(data=st.data(), version=VERSIONS)
def test_every_port_open_to_the_internet_in_pieces_is_flagged(data: st.DataObject, version: int) -> None:
    pieces = data.draw(internet_pieces(version))
    key = CIDR_KEYS[version]
    rules: list[dict[str, Any]] = []
    if data.draw(st.booleans()):  # all traffic, the ranges dealt among rules
        rules = [{**data.draw(all_traffic()), key: group} for group in deal(data, pieces, 3)]
    else:  # port ranges that add up to every port of one protocol, each open to the ranges dealt among rules
        protocol = data.draw(st.sampled_from(sorted(SPELLINGS)))
        for low, high in data.draw(port_segments()):
            rules += [
                {
                    "protocol": data.draw(st.sampled_from(SPELLINGS[protocol])),
                    "fromPort": low,
                    "toPort": high,
                    key: group,
                }
                for group in deal(data, pieces, 2)
            ]
    shape = data.draw(st.sampled_from([SECURITY_GROUP, DEFAULT_SECURITY_GROUP]))
    props = {"ingress": data.draw(st.permutations(rules))}
    verdict = run_resource(all_ports.POLICY, shape, props)
    assert flagged(verdict, all_ports, "MSG_OPEN_ALL", "MSG_OPEN_ALL_TOGETHER"), (props, verdict)


# --- NetworkPolicies --------------------------------------------------------------------------------------------


def _inside(cidr: str, block: str) -> bool:
    network, outer = ipaddress.ip_network(cidr), ipaddress.ip_network(block, strict=False)
    if isinstance(network, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return network != outer and network.subnet_of(outer)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return network != outer and network.subnet_of(outer)
    return False


def ip_block(data: st.DataObject, cidr: str) -> dict[str, Any]:
    """A peer allowing `cidr`, maybe without the private ranges inside it (which leaves every public address)."""
    excepted = [private for private in PRIVATE if _inside(private, cidr)]
    narrowed: bool = data.draw(st.booleans())
    if excepted and narrowed:
        return {"ipBlock": {"cidr": cidr, "except": excepted}}
    return {"ipBlock": {"cidr": cidr}}


@FEW
@given(data=st.data(), version=VERSIONS, direction=st.sampled_from([("ingress", "from"), ("egress", "to")]))
def test_a_network_policy_allowing_the_internet_in_pieces_is_flagged(
    data: st.DataObject, version: int, direction: tuple[str, str]
) -> None:
    pieces = data.draw(internet_pieces(version))
    rules_key, peers_key = direction
    rules = [
        {peers_key: [ip_block(data, cidr) for cidr in group], "ports": [{"port": 443, "protocol": "TCP"}]}
        for group in deal(data, pieces, 3)
    ]
    props = {
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "cart"}},
            "policyTypes": ["Ingress", "Egress"],
            rules_key: rules,
        },
    }
    verdict = run_resource(network_policy.POLICY, NETWORK_POLICY, props)
    assert flagged(verdict, network_policy, "MSG_WORLD", "MSG_WORLD_TOGETHER"), (props, verdict)


# --- public endpoints: EKS and load balancers ------------------------------------------------------------------


def cluster(public: bool | None, cidrs: list[str]) -> dict[str, Any]:
    vpc: dict[str, Any] = {"subnetIds": ["subnet-1", "subnet-2"], "endpointPrivateAccess": True}
    if public is not None:
        vpc |= {"endpointPublicAccess": public, "publicAccessCidrs": cidrs}
    return {"name": "prod-core", "roleArn": "arn:aws:iam::111122223333:role/core", "vpcConfig": vpc}


@FEW
@given(data=st.data(), version=VERSIONS)
def test_a_public_endpoint_open_to_the_internet_in_pieces_is_flagged(data: st.DataObject, version: int) -> None:
    pieces = data.draw(internet_pieces(version))
    verdict = run_resource(endpoint.POLICY, CLUSTER, cluster(True, pieces), {"allowPublicCidrs": True})
    assert flagged(verdict, endpoint, "MSG_PUBLIC_WORLD", "MSG_PUBLIC_WORLD_TOGETHER"), (pieces, verdict)


@FEW
@given(public=st.sampled_from([True, None]), cidrs=safe_ranges())
def test_a_public_endpoint_is_flagged_where_the_config_does_not_allow_one(
    public: bool | None, cidrs: list[str]
) -> None:
    verdict = run_resource(endpoint.POLICY, CLUSTER, cluster(public, cidrs))
    assert flagged(verdict, endpoint, "MSG_PUBLIC_FORBIDDEN", "MSG_PUBLIC_DEFAULT"), verdict


@FEW
@given(data=st.data(), version=VERSIONS)
def test_load_balancer_source_ranges_of_the_internet_in_pieces_are_flagged(data: st.DataObject, version: int) -> None:
    pieces = data.draw(internet_pieces(version))
    props = {
        "metadata": {"name": "gateway", "namespace": "edge", "annotations": INTERNAL},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 443}], "loadBalancerSourceRanges": pieces},
    }
    verdict = run_resource(load_balancer.POLICY, SERVICE, props)
    assert flagged(verdict, load_balancer, "MSG_WORLD_SOURCE", "MSG_WORLD_SOURCES_TOGETHER"), (pieces, verdict)


# --- the other side: what is safe passes ---------------------------------------------------------------------------


@FEW
@given(data=st.data(), cidrs=safe_ranges())
def test_narrow_public_and_private_ranges_are_never_flagged(data: st.DataObject, cidrs: list[str]) -> None:
    v4 = [c for c in cidrs if ":" not in c]
    v6 = [c for c in cidrs if ":" in c]
    rules = [
        {**data.draw(reaching(22)), "cidrBlocks": v4, "ipv6CidrBlocks": v6} for _ in range(data.draw(st.integers(1, 3)))
    ]
    policy_props = {
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs], "ports": [{"port": 443}]}],
        },
    }
    service = {
        "metadata": {"name": "gateway", "namespace": "edge", "annotations": INTERNAL},
        "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": cidrs},
    }
    verdicts = {
        "admin ports": run_resource(admin_ports.POLICY, SECURITY_GROUP, {"ingress": rules}),
        "all ports": run_resource(all_ports.POLICY, SECURITY_GROUP, {"ingress": rules}),
        "network policy": run_resource(network_policy.POLICY, NETWORK_POLICY, policy_props),
        "endpoint": run_resource(endpoint.POLICY, CLUSTER, cluster(True, cidrs), {"allowPublicCidrs": True}),
        "load balancer": run_resource(load_balancer.POLICY, SERVICE, service),
    }
    assert {name: v.outcome for name, v in verdicts.items()} == dict.fromkeys(verdicts, "pass"), verdicts


def test_the_safe_side_holds_office_ranges() -> None:
    # The negative side means something only if it holds public ranges the pack could have flagged.
    assert any(ipaddress.ip_network(cidr).is_global for cidr in NARROW_PUBLIC)
