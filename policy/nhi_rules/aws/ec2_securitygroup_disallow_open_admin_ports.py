"""No security group ingress opens an administration port to the internet: 0.0.0.0/0, ::/0, or the internet in
pieces (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, a public /8's worth of smaller ranges), added up over the CIDR
lists and ingress rules of one resource that reach the port (nhi_rules.lib.addresses: the union of the ranges,
compared with the forbidden set)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.addresses import LIMIT
from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.network import INGRESS_TYPES, Exposure, ingress_rules, port_exposure
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-securitygroup-disallow-open-admin-ports"

MSG_OPEN_ADMIN_PORT = (
    "{path} opens admin port {port} to the internet: restrict it to a private CIDR or a source "
    "security group, or use SSM Session Manager instead of inbound access"
)
MSG_OPEN_ADMIN_PORT_TOGETHER = (
    "{paths} together open admin port {port} to {reach}, the internet in pieces ({limit}): restrict them to "
    "private CIDRs or a source security group, or use SSM Session Manager instead of inbound access"
)

CONFIG = {
    "adminPorts": {
        "type": "array",
        "items": {"type": "integer"},
        "default": [22, 3389, 2375, 2376, 5985, 5986, 6443, 10250],
        "description": "Ports never opened to the internet (SSH, RDP, Docker, WinRM, Kubernetes API, kubelet).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    rules = [rule for rule in map(subject.known, ingress_rules(subject.type, subject.props)) if rule is not None]
    exposures: dict[tuple[int, ...], Exposure] = {}  # ports reached by the same rules are judged once
    for port in subject.config["adminPorts"]:
        key = tuple(index for index, rule in enumerate(rules) if rule.covers(port))
        if key not in exposures:  # CIDRs are read only for rules that reach an admin port
            exposures[key] = port_exposure([rules[index] for index in key])
        exposure = exposures[key]
        for opening in exposure.openings:
            if opening.alone:
                yield MSG_OPEN_ADMIN_PORT.format(path=opening.paths, port=port)
            else:
                yield MSG_OPEN_ADMIN_PORT_TOGETHER.format(
                    paths=opening.paths, port=port, reach=opening.reach, limit=LIMIT
                )
        subject.set_aside.extend(exposure.unknown)


POLICY = resource_rule(
    name=NAME,
    description="Security groups do not open administration ports (SSH, RDP, kubelet, ...) to the internet.",
    resource_types=INGRESS_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("5.4.3", "Ensure clusters are created with Private Nodes"),
    tags=["aws", "ec2", "network", "ipv4", "ipv6"],
    remediation_steps=(
        "Replace 0.0.0.0/0, ::/0 and any set of ranges that adds up to the internet in the ingress rules with "
        "the private CIDRs or security groups that need the port; reach nodes through SSM Session Manager "
        "rather than SSH."
    ),
    config=CONFIG,
)
