"""The cluster's DNS under strict network policy enforcement.

The VPC CNI runs with `NETWORK_POLICY_ENFORCING_MODE=strict`: every pod, CoreDNS included, starts with all
traffic denied until a NetworkPolicy allows it. Without this policy CoreDNS never becomes ready (it cannot
reach the API server) and no workload can resolve names. It allows exactly: DNS in from the namespaces that
use it, the API server out (the `kubernetes` Service IP, and the VPC where the control plane's ENIs live),
and DNS out to the VPC resolver (base + 2, and the link-local address)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from . import labels
from .cluster import SERVICE_IPV4_CIDR
from .network_policies import DNS_NAMESPACE, DNS_PORT, DNS_PROTOCOLS, DNS_SELECTOR

# Route 53 Resolver's link-local address, reachable from every VPC.
LINK_LOCAL_RESOLVER = "169.254.169.253/32"
API_SERVER_PORT = 443


def api_server_ip(service_ipv4_cidr: str) -> str:
    """The `kubernetes` Service's ClusterIP: the first address of the service CIDR."""
    return f"{ipaddress.ip_network(service_ipv4_cidr)[1]}/32"


def vpc_resolver_ip(vpc_cidr: str) -> str:
    """The Amazon-provided DNS server: the VPC's base address plus two."""
    return f"{ipaddress.ip_network(vpc_cidr)[2]}/32"


@dataclass(frozen=True, kw_only=True)
class ClusterDnsPolicyArgs:
    client_namespaces: tuple[str, ...]
    """Namespaces whose pods resolve names through CoreDNS (kube-system is always included)."""
    vpc_cidr: str
    """The cluster VPC's CIDR: the control plane's ENIs and the resolver live in it."""
    service_ipv4_cidr: str = SERVICE_IPV4_CIDR
    """The cluster's Service CIDR (the API server's ClusterIP is its first address)."""


class ClusterDnsPolicy(pulumi.ComponentResource):
    """One NetworkPolicy in kube-system selecting CoreDNS, with the least traffic it needs."""

    def __init__(self, name: str, args: ClusterDnsPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:cluster_dns_policy:ClusterDnsPolicy", name, None, opts)
        clients = sorted({*args.client_namespaces, DNS_NAMESPACE})
        dns_ports = [k8s.networking.v1.NetworkPolicyPortArgs(port=DNS_PORT, protocol=p) for p in DNS_PROTOCOLS]

        def to(*cidrs: str) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
            return [
                k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=c)) for c in cidrs
            ]

        self.policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-coredns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="coredns",
                namespace=DNS_NAMESPACE,
                labels={labels.PART_OF: labels.PLATFORM, labels.MANAGED_BY: "pulumi"},
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(DNS_SELECTOR)),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_expressions=[
                                        k8s.meta.v1.LabelSelectorRequirementArgs(
                                            key=labels.NAMESPACE_NAME, operator="In", values=clients
                                        )
                                    ]
                                )
                            )
                        ],
                        ports=dns_ports,
                    )
                ],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=to(api_server_ip(args.service_ipv4_cidr), args.vpc_cidr),
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=API_SERVER_PORT, protocol="TCP")],
                    ),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=to(vpc_resolver_ip(args.vpc_cidr), LINK_LOCAL_RESOLVER), ports=dns_ports
                    ),
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
