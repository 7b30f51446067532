"""Security group ingress in its three Pulumi shapes, reduced to (path, protocol, ports, world-open CIDRs)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nhi_rules.lib.props import as_int, as_str, get, maps, strings

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
# The VPC's default group has the same inline `ingress` shape; opening it opens every resource left in it.
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
INGRESS_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SECURITY_GROUP_RULE, VPC_INGRESS_RULE)

_ALL_PROTOCOLS = {"-1", "all"}
_PORTED_PROTOCOLS = {"tcp", "udp", "6", "17"}


def is_world(cidr: str) -> bool:
    """0.0.0.0/0, ::/0 and any other spelling of a /0 (e.g. "0.0.0.0/0 " or "::0/0")."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


@dataclass(frozen=True)
class Ingress:
    path: str
    protocol: str
    from_port: int | None
    to_port: int | None
    world: tuple[str, ...]
    """Paths of the CIDR values that open this rule to the whole internet."""

    @property
    def all_traffic(self) -> bool:
        return self.protocol in _ALL_PROTOCOLS

    @property
    def ported(self) -> bool:
        return self.protocol in _PORTED_PROTOCOLS

    def covers(self, port: int) -> bool:
        if self.all_traffic:
            return True
        if not self.ported:
            return False
        low = 0 if self.from_port is None else self.from_port
        high = 65535 if self.to_port is None else self.to_port
        return low <= port <= high

    @property
    def all_ports(self) -> bool:
        high = 65535 if self.to_port is None else self.to_port
        return self.all_traffic or (self.ported and (self.from_port or 0) <= 1 and high >= 65535)


def _protocol(value: Any) -> str:
    text = as_str(value)
    if text is None:
        number = as_int(value)
        text = str(number) if number is not None else ""
    return text.strip().lower()


def _world(prefix: str, props: Any, keys: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for key in keys:
        value = get(props, key)
        if isinstance(value, str):
            if is_world(value):
                found.append(f"{prefix}{key}")
        else:
            for index, cidr in enumerate(strings(value)):
                if is_world(cidr):
                    found.append(f"{prefix}{key}[{index}]")
    return tuple(found)


def ingress_rules(resource_type: str, props: Any) -> Iterator[Ingress]:
    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for index, rule in maps(get(props, "ingress")):
            prefix = f"ingress[{index}]."
            yield Ingress(prefix.rstrip("."), _protocol(get(rule, "protocol")), as_int(get(rule, "fromPort")),
                          as_int(get(rule, "toPort")), _world(prefix, rule, ("cidrBlocks", "ipv6CidrBlocks")))
    elif resource_type == SECURITY_GROUP_RULE:
        if as_str(get(props, "type")) == "ingress":
            yield Ingress("", _protocol(get(props, "protocol")), as_int(get(props, "fromPort")),
                          as_int(get(props, "toPort")), _world("", props, ("cidrBlocks", "ipv6CidrBlocks")))
    elif resource_type == VPC_INGRESS_RULE:
        yield Ingress("", _protocol(get(props, "ipProtocol")), as_int(get(props, "fromPort")),
                      as_int(get(props, "toPort")), _world("", props, ("cidrIpv4", "cidrIpv6")))
