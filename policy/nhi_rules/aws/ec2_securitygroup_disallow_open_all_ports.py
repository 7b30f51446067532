"""No security group ingress opens every port (or all traffic) to 0.0.0.0/0 or ::/0."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.network import INGRESS_TYPES, Ingress, ingress_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-securitygroup-disallow-open-all-ports"

MSG_OPEN_ALL = (
    "{path} opens all ports (protocol {protocol!r}) to the internet: allow only the ports the service "
    "listens on, from the CIDRs or security groups that need them"
)


def _judge(read: Callable[[], Ingress]) -> Iterator[str]:
    rule = read()
    if rule.all_ports:
        for path in rule.world:
            yield MSG_OPEN_ALL.format(path=path, protocol=rule.protocol)


def check(subject: Subject) -> Iterator[str]:
    for read in ingress_rules(subject.type, subject.props, subject.known_strings):
        yield from subject.apart(_judge, read)


POLICY = resource_rule(
    name=NAME,
    description="Security groups do not open all ports or all traffic to the internet (IPv4 or IPv6).",
    resource_types=INGRESS_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("5.4.3", "Ensure clusters are created with Private Nodes"),
    tags=["aws", "ec2", "network", "ipv4", "ipv6"],
    remediation_steps="Replace the all-traffic rule with specific ports from specific sources.",
)
