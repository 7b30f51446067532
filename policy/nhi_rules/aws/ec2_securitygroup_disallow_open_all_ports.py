"""No security group ingress opens every port (or all traffic) to the internet: 0.0.0.0/0, ::/0, or the internet
in pieces (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, a public /8's worth of smaller ranges), added up over the
CIDR lists and ingress rules of one resource, including port ranges that add up to every port (0-32767 and
32768-65535); nhi_rules.lib.addresses compares the union of the ranges with the forbidden set."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.addresses import LIMIT, VERSIONS, openings
from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.network import INGRESS_TYPES, all_ports_together, ingress_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-securitygroup-disallow-open-all-ports"

MSG_OPEN_ALL = (
    "{path} opens all ports (protocol {protocol!r}) to the internet: allow only the ports the service "
    "listens on, from the CIDRs or security groups that need them"
)
MSG_OPEN_ALL_TOGETHER = (
    "{paths} together open every {protocols} port to {reach}, the internet in pieces ({limit}): allow only the "
    "ports the service listens on, from the CIDRs or security groups that need them"
)


def check(subject: Subject) -> Iterator[str]:
    rules = [rule for rule in map(subject.known, ingress_rules(subject.type, subject.props)) if rule is not None]
    alone: set[int] = set()
    for rule in rules:
        if rule.all_ports:  # CIDRs of a rule are read only when its ports could matter
            subject.set_aside.extend(rule.cidrs.unknown)
            for opening in openings(rule.cidrs.entries):
                if opening.alone:
                    alone.add(opening.version)
                    yield MSG_OPEN_ALL.format(path=opening.paths, protocol=rule.protocol)
    # The families no single range opens on an all-ports rule: pieces, or port ranges that add up to every port.
    together = all_ports_together(rules, [version for version in VERSIONS if version not in alone])
    for found in together.found:
        yield MSG_OPEN_ALL_TOGETHER.format(
            paths=found.paths, protocols=" and ".join(found.protocols), reach=found.reach, limit=LIMIT
        )
    subject.set_aside.extend(together.unknown)


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
