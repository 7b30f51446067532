"""No security group ingress opens an administration port to 0.0.0.0/0 or ::/0."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.network import INGRESS_TYPES, Ingress, ingress_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-securitygroup-disallow-open-admin-ports"

MSG_OPEN_ADMIN_PORT = (
    "{path} opens admin port {port} to the internet: restrict it to a private CIDR or a source "
    "security group, or use SSM Session Manager instead of inbound access"
)

CONFIG = {
    "adminPorts": {
        "type": "array",
        "items": {"type": "integer"},
        "default": [22, 3389, 2375, 2376, 5985, 5986, 6443, 10250],
        "description": "Ports never opened to 0.0.0.0/0 or ::/0 (SSH, RDP, Docker, WinRM, Kubernetes API, kubelet).",
    },
}


def _judge(read: Callable[[], Ingress], admin_ports: list[int]) -> Iterator[str]:
    rule = read()
    for port in admin_ports:
        if rule.covers(port):  # CIDRs are read only for rules that reach an admin port
            for path in rule.world:
                yield MSG_OPEN_ADMIN_PORT.format(path=path, port=port)


def check(subject: Subject) -> Iterator[str]:
    for read in ingress_rules(subject.type, subject.props, subject.known_strings):
        yield from subject.apart(_judge, read, subject.config["adminPorts"])


POLICY = resource_rule(
    name=NAME,
    description="Security groups do not open administration ports (SSH, RDP, kubelet, ...) to the internet.",
    resource_types=INGRESS_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("5.4.3", "Ensure clusters are created with Private Nodes"),
    tags=["aws", "ec2", "network", "ipv4", "ipv6"],
    remediation_steps=(
        "Replace 0.0.0.0/0 and ::/0 in the ingress rule with the private CIDRs or security groups "
        "that need the port; reach nodes through SSM Session Manager rather than SSH."
    ),
    config=CONFIG,
)
