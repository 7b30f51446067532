"""Services of type LoadBalancer are internal (public entry goes through a reviewed edge, not a Service), and
their source ranges do not reach the internet, whole or in pieces (nhi_rules.lib.addresses)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.addresses import LIMIT, listed, openings
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.k8s import SERVICE
from nhi_rules.lib.props import as_str, get, items, str_map
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-service-require-internal-loadbalancer"
SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LEGACY_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"

MSG_PUBLIC_LB = (
    f"spec.type is LoadBalancer without metadata.annotations[{SCHEME}]='internal': add the annotation "
    "(AWS Load Balancer Controller) so the load balancer gets no public address"
)
MSG_WORLD_SOURCE = "{path} is {cidr!r}, which reaches {reach}: list the client CIDRs instead"
MSG_WORLD_SOURCES_TOGETHER = (
    "{paths} together reach {reach}, the internet in pieces ({limit}): list the client CIDRs instead"
)


def check(subject: Subject) -> Iterator[str]:
    if as_str(get(subject.props, "spec", "type")) != "LoadBalancer":
        return
    annotations = str_map(get(subject.props, "metadata", "annotations"))
    internal = annotations.get(SCHEME) == "internal" or annotations.get(LEGACY_INTERNAL, "").lower() in (
        "true",
        "0.0.0.0/0",
    )
    if not internal:
        yield MSG_PUBLIC_LB
    ranges = [
        listed(f"spec.loadBalancerSourceRanges[{index}]", cidr)
        for index, cidr in items(get(subject.props, "spec", "loadBalancerSourceRanges"))
        if isinstance(cidr, str)
    ]
    for opening in openings(ranges):
        if opening.alone:
            yield MSG_WORLD_SOURCE.format(path=opening.paths, cidr=opening.entries[0].text, reach=opening.reach)
        else:
            yield MSG_WORLD_SOURCES_TOGETHER.format(paths=opening.paths, reach=opening.reach, limit=LIMIT)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Services of type LoadBalancer are internal-only.",
    resource_types=(SERVICE,),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-NET-06", "Restrict exposure of services to the internet"),
    tags=["kubernetes", "network", "exposure"],
    remediation_steps=f"Annotate the Service {SCHEME}=internal, or expose it through a reviewed ingress.",
)
