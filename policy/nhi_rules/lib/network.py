"""Security group ingress in its Pulumi shapes, reduced to (path, protocol, ports, world-open CIDRs).

`ingress_rules` yields one reader per rule, so that a rule can judge each apart (an unknown port in one rule
does not hide another), and CIDRs are read only when a rule asks for them, through the reader it passes
(`Subject.known_strings` sets unknown CIDRs aside: a VPC's CIDR output next to 0.0.0.0/0 hides nothing).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
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


StringsReader = Callable[[Any], list[str]]


@dataclass(frozen=True)
class Ingress:
    path: str
    protocol: str
    from_port: int | None
    to_port: int | None
    source: Any
    """The mapping that holds the CIDR keys."""
    cidr_keys: tuple[str, ...]
    read_strings: StringsReader

    @cached_property
    def world(self) -> tuple[str, ...]:
        """Paths of the CIDR values that open this rule to the whole internet (read on first use)."""
        prefix = f"{self.path}." if self.path else ""
        found: list[str] = []
        for key in self.cidr_keys:
            value = get(self.source, key)
            if isinstance(value, str):
                if is_world(value):
                    found.append(f"{prefix}{key}")
            else:
                for index, cidr in enumerate(self.read_strings(value)):
                    if is_world(cidr):
                        found.append(f"{prefix}{key}[{index}]")
        return tuple(found)

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


def ingress_rules(
    resource_type: str, props: Any, read_strings: StringsReader = strings
) -> Iterator[Callable[[], Ingress]]:
    """One reader per ingress rule of a security group, rule or VPC ingress rule resource."""

    def build(path: str, rule: Any, protocol: str, keys: tuple[str, ...]) -> Callable[[], Ingress]:
        return lambda: Ingress(
            path,
            _protocol(get(rule, protocol)),
            as_int(get(rule, "fromPort")),
            as_int(get(rule, "toPort")),
            rule,
            keys,
            read_strings,
        )

    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for index, rule in maps(get(props, "ingress")):
            yield build(f"ingress[{index}]", rule, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
    elif resource_type == SECURITY_GROUP_RULE:
        if as_str(get(props, "type")) == "ingress":
            yield build("", props, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
    elif resource_type == VPC_INGRESS_RULE:
        yield build("", props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))
