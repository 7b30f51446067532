"""Security group ingress in its Pulumi shapes, reduced to (path, protocol, ports, CIDRs), and what several
ingress rules of one resource open together.

`ingress_rules` yields one reader per rule: a rule whose protocol or ports are unknown is set aside without
hiding the others. CIDRs are read when a check asks for them (`Ingress.cidrs`), and an unknown CIDR is kept apart
from the known ones, so that the check decides whether it matters: the VPC's CIDR output beside 0.0.0.0/0 hides
nothing, and an unknown CIDR on a port no check reaches leaves the verdict as it is.

Whether CIDRs reach "the internet" is `nhi_rules.lib.addresses`' question (the union of the ranges, compared
with the forbidden set), asked over every rule of the resource that reaches the port, so that the internet split
into pieces across CIDR lists or ingress rules is still the internet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from nhi_rules.lib.addresses import VERSIONS, Listed, Opening, Ranges, listed, may_reach_internet, name_paths, openings
from nhi_rules.lib.props import as_int, as_str, get, is_list, maps

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
# The VPC's default group has the same inline `ingress` shape; opening it opens every resource left in it.
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
INGRESS_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP, SECURITY_GROUP_RULE, VPC_INGRESS_RULE)

_ALL_PROTOCOLS = {"-1", "all"}
PORTED_PROTOCOLS = {"tcp": ("tcp", "6"), "udp": ("udp", "17")}
"""Each protocol with ports, by the spellings AWS accepts (name or IANA number)."""
LOWEST_PORT, HIGHEST_PORT = 1, 65535
"""Every port of a protocol: a rule from 0 or 1 to 65535 opens all of them."""


@dataclass(frozen=True)
class Cidrs:
    """The CIDR values of an ingress rule: the known ones with their paths, and the unknown ones met."""

    entries: tuple[Listed, ...]
    unknown: tuple[UnknownValueError, ...]


@dataclass(frozen=True)
class Ingress:
    path: str
    protocol: str
    from_port: int | None
    to_port: int | None
    source: Any
    """The mapping that holds the CIDR keys."""
    cidr_keys: tuple[str, ...]

    @cached_property
    def cidrs(self) -> Cidrs:
        """Each CIDR value of the rule with its path (read on first use); unknown values are kept apart."""
        prefix = f"{self.path}." if self.path else ""
        entries: list[Listed] = []
        unknown: list[UnknownValueError] = []
        for key in self.cidr_keys:
            try:
                value = get(self.source, key)
            except UnknownValueError as error:
                unknown.append(error)
                continue
            if isinstance(value, str):
                entries.append(listed(f"{prefix}{key}", value))
            for index in range(len(value)) if is_list(value) else ():
                try:
                    entries.append(listed(f"{prefix}{key}[{index}]", value[index]))
                except UnknownValueError as error:
                    unknown.append(error)
        return Cidrs(tuple(entries), tuple(unknown))

    @property
    def all_traffic(self) -> bool:
        return self.protocol in _ALL_PROTOCOLS

    @property
    def ported(self) -> bool:
        return any(self.protocol in names for names in PORTED_PROTOCOLS.values())

    def carries(self, protocol: str) -> bool:
        """Whether the rule lets `protocol` ('tcp' or 'udp') through."""
        return self.all_traffic or self.protocol in PORTED_PROTOCOLS[protocol]

    @property
    def span(self) -> tuple[int, int]:
        """The ports the rule opens (all of them for all traffic; an omitted bound is open)."""
        if self.all_traffic:
            return 0, HIGHEST_PORT
        low = 0 if self.from_port is None else self.from_port
        high = HIGHEST_PORT if self.to_port is None else self.to_port
        return low, high

    def covers(self, port: int) -> bool:
        if not (self.all_traffic or self.ported):
            return False
        low, high = self.span
        return low <= port <= high

    @property
    def all_ports(self) -> bool:
        low, high = self.span
        return self.all_traffic or (self.ported and low <= LOWEST_PORT and high >= HIGHEST_PORT)


def _protocol(value: Any) -> str:
    text = as_str(value)
    if text is None:
        number = as_int(value)
        text = str(number) if number is not None else ""
    return text.strip().lower()


def ingress_rules(resource_type: str, props: Any) -> Iterator[Callable[[], Ingress]]:
    """One reader per ingress rule of a security group, rule or VPC ingress rule resource."""

    def build(path: str, rule: Any, protocol: str, keys: tuple[str, ...]) -> Callable[[], Ingress]:
        return lambda: Ingress(
            path,
            _protocol(get(rule, protocol)),
            as_int(get(rule, "fromPort")),
            as_int(get(rule, "toPort")),
            rule,
            keys,
        )

    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for index, rule in maps(get(props, "ingress")):
            yield build(f"ingress[{index}]", rule, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
    elif resource_type == SECURITY_GROUP_RULE:
        if as_str(get(props, "type")) == "ingress":
            yield build("", props, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
    elif resource_type == VPC_INGRESS_RULE:
        yield build("", props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))


@dataclass(frozen=True)
class Exposure:
    """What some ingress rules open to the internet: the openings found, or the unknown CIDRs that keep the
    answer open (only when nothing was found: a known opening stands whatever the unknowns turn out to be)."""

    openings: list[Opening]
    unknown: list[UnknownValueError]


def port_exposure(reaching: Sequence[Ingress]) -> Exposure:
    """What the rules that reach a port open to the internet together."""
    found = openings([entry for rule in reaching for entry in rule.cidrs.entries])
    return Exposure(found, [] if found else [error for rule in reaching for error in rule.cidrs.unknown])


@dataclass(frozen=True)
class AllPorts:
    """Every port of some protocols open to the internet in one family, through several rules together."""

    version: int
    protocols: tuple[str, ...]
    entries: tuple[Listed, ...]
    reach: str
    """The reach of the least exposed port."""

    @property
    def paths(self) -> str:
        return name_paths([entry.path for entry in self.entries])


@dataclass(frozen=True)
class _EveryPort:
    """Whether rules open every port of a protocol to the internet in one family: True (with the union of the
    least exposed port), False, or None when unknown CIDRs decide."""

    verdict: bool | None
    narrowest: Ranges | None = None
    unknown: tuple[UnknownValueError, ...] = ()


def _segments(rules: Sequence[Ingress]) -> list[list[Ingress]]:
    """The rules that reach each port range on which the same rules apply, over every port."""
    starts = {LOWEST_PORT}
    for rule in rules:
        low, high = rule.span
        starts.update(port for port in (low, high + 1) if LOWEST_PORT < port <= HIGHEST_PORT)
    return [[rule for rule in rules if rule.covers(start)] for start in sorted(starts)]


def _every_port(rules: Sequence[Ingress], version: int) -> _EveryPort:
    narrowest: Ranges | None = None
    unknown: list[UnknownValueError] = []
    for reaching in _segments(rules):
        known = Ranges.union(entry.ranges for rule in reaching for entry in rule.cidrs.entries)
        if known.reaches_internet(version):
            if narrowest is None or known.public_addresses(version) < narrowest.public_addresses(version):
                narrowest = known
            continue
        errors = [error for rule in reaching for error in rule.cidrs.unknown]
        if not errors:
            return _EveryPort(False)  # this port range is certainly not open to the internet
        unknown += errors
    return _EveryPort(None, unknown=tuple(unknown)) if unknown else _EveryPort(True, narrowest)


@dataclass(frozen=True)
class AllPortsExposure:
    found: list[AllPorts]
    unknown: list[UnknownValueError]
    """The unknown CIDRs that keep the answer open, when nothing was found."""


def all_ports_together(rules: Sequence[Ingress], versions: Sequence[int] = VERSIONS) -> AllPortsExposure:
    """The protocols (tcp, udp) whose every port `rules` open to the internet together, per family in
    `versions` (the caller leaves out a family in which one rule does it alone)."""
    found: list[AllPorts] = []
    unknown: list[UnknownValueError] = []
    everything = [entry.ranges for rule in rules for entry in rule.cidrs.entries]
    undecided = any(rule.cidrs.unknown for rule in rules)
    for version in versions:
        if not (undecided or may_reach_internet(everything, version)):
            continue  # not even all the rules' ranges together reach it: no port can be open to it
        protocols: list[str] = []
        entries: dict[str, Listed] = {}
        narrowest: Ranges | None = None
        for protocol in PORTED_PROTOCOLS:
            carrying = [rule for rule in rules if rule.carries(protocol)]
            every = _every_port(carrying, version)
            unknown += every.unknown
            if every.verdict and every.narrowest is not None:
                protocols.append(protocol)
                if narrowest is None or every.narrowest.public_addresses(version) < narrowest.public_addresses(version):
                    narrowest = every.narrowest
                for rule in carrying:
                    for entry in rule.cidrs.entries:
                        if entry.ranges.public_addresses(version):
                            entries.setdefault(entry.path, entry)
        if protocols and narrowest is not None:
            found.append(AllPorts(version, tuple(protocols), tuple(entries.values()), narrowest.reach(version)))
    return AllPortsExposure(found, [] if found else unknown)
