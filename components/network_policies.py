"""Network isolation. Per namespace: a default-deny policy (ingress and egress, every pod) and DNS egress to
kube-dns. Per workload: exactly its declared flows, one policy selecting the workload (both slots).

NetworkPolicies are additive allow-lists, so default-deny plus one allow policy per workload gives each pod
exactly the union of its declared flows and DNS. Peers in other namespaces are matched by the namespace's
`kubernetes.io/metadata.name` label (set by Kubernetes, not forgeable by a namespace's owner) together with
the peer workload's `app.kubernetes.io/name`, in ONE peer entry (AND, not OR).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from . import labels

DEFAULT_DENY = "default-deny"
ALLOW_DNS = "allow-dns"
DNS_NAMESPACE = "kube-system"
DNS_SELECTOR = {"k8s-app": "kube-dns"}
DNS_PORT = 53
DNS_PROTOCOLS = ("UDP", "TCP")


@dataclass(frozen=True)
class Peer:
    """One side of a declared flow: a workload (with its namespace) or a CIDR, and the port."""

    port: int
    workload: str | None = None
    namespace: str | None = None
    cidr: str | None = None

    def __post_init__(self) -> None:
        if (self.workload is None) == (self.cidr is None) or (self.workload is None) != (self.namespace is None):
            raise ValueError(f"expected a workload with its namespace, or a CIDR, got {self}")


def _peer(peer: Peer) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    if peer.cidr is not None:
        return k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=peer.cidr))
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={labels.NAMESPACE_NAME: peer.namespace or ""}),
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels.workload_selector(peer.workload or "")),
    )


def _port(port: int, protocol: str = "TCP") -> k8s.networking.v1.NetworkPolicyPortArgs:
    return k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol)


def flow_policy_spec(
    workload: str, ingress: tuple[Peer, ...], egress: tuple[Peer, ...]
) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """The workload's allow policy: one rule per declared flow. Both policy types are always listed, so a
    workload with no flows in a direction is still explicitly isolated in that direction."""
    return k8s.networking.v1.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels.workload_selector(workload)),
        policy_types=["Ingress", "Egress"],
        ingress=[
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[_peer(p)], ports=[_port(p.port)]) for p in ingress
        ],
        egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[_peer(p)], ports=[_port(p.port)]) for p in egress],
    )


@dataclass(frozen=True, kw_only=True)
class NamespaceIsolationArgs:
    namespace: str
    """The namespace's name."""
    namespace_output: pulumi.Input[str] | None = None
    """The name as an output of its Namespace resource, so the policies wait for it. Default: the plain name."""


class NamespaceIsolation(pulumi.ComponentResource):
    """Default-deny for every pod of a namespace, and DNS egress to kube-dns only."""

    def __init__(self, name: str, args: NamespaceIsolationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:network_policies:NamespaceIsolation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = args.namespace_output if args.namespace_output is not None else args.namespace
        every_pod = k8s.meta.v1.LabelSelectorArgs()
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{DEFAULT_DENY}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_DENY, namespace=namespace, labels={labels.PART_OF: labels.PLATFORM}
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=every_pod, policy_types=["Ingress", "Egress"]),
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{ALLOW_DNS}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ALLOW_DNS, namespace=namespace, labels={labels.PART_OF: labels.PLATFORM}
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=every_pod,
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={labels.NAMESPACE_NAME: DNS_NAMESPACE}
                                ),
                                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=DNS_SELECTOR),
                            )
                        ],
                        ports=[_port(DNS_PORT, protocol) for protocol in DNS_PROTOCOLS],
                    )
                ],
            ),
            opts=child,
        )
        self.register_outputs({})
