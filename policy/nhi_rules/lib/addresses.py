"""Address ranges as sets: what a collection of CIDRs reaches, and whether that is "the internet".

One helper for the pack's rules and for settings (which import it as `nhi_rules.lib.addresses`, so it needs only
the standard library). Comparing strings with `0.0.0.0/0` misses the internet written as pieces
(`0.0.0.0/1` + `128.0.0.0/1`, 256 /8s, `::/1` + `8000::/1`); here the ranges are parsed (host bits allowed, any
order, overlaps merged), narrowed by their exceptions (a NetworkPolicy ipBlock's `except`), merged per family and
measured by the public addresses they reach.

The forbidden set, "the internet": ranges that together reach as many public addresses as a /8 (IPv4) or a /32
(IPv6), or more. Half of the internet is no safer than all of it, and a /8 is a carrier's worth of strangers;
offices, CI runners and partners fit in far less. Private and special-purpose ranges (10.0.0.0/8, 100.64.0.0/10,
fc00::/7, ...) are not public, so a VPC or a peered network of any size is never "the internet".

Values that are not CIDRs (typos, numbers, None) reach nothing here and never raise: a rule judges what it can
read, and the cloud API refuses the rest.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TypeVar

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
N = TypeVar("N", ipaddress.IPv4Network, ipaddress.IPv6Network)
VERSIONS = (4, 6)
_BITS = {4: 32, 6: 128}

INTERNET_PREFIX = {4: 8, 6: 32}
"""Ranges that reach as many public addresses as one network of this prefix length, or more, reach the internet."""

_NON_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/3",  # multicast, reserved, broadcast
    )
)
_NON_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(cidr)
    for cidr in (
        "::/127",  # unspecified and loopback
        "100::/64",  # discard-only
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    )
)
# Special-purpose ranges (IANA registries) that are not reachable from the internet. Everything else counts as
# public, space not yet allocated included, so that a range is never judged narrower than it may become.


def parse(value: object) -> Network | None:
    """The network a CIDR string names (surrounding spaces and host bits allowed); None for anything else."""
    return _parse(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _parse(text: str) -> Network | None:
    # Cached: a stack repeats the same few CIDRs (its VPC, its offices) in many resources.
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _subtract(networks: Iterable[N], removed: Iterable[N]) -> list[N]:
    """`networks` minus `removed` (two CIDR networks are either nested or apart)."""
    remaining = list(networks)
    for cut in removed:
        kept: list[N] = []
        for network in remaining:
            if network.subnet_of(cut):
                continue
            if cut.subnet_of(network):
                kept.extend(network.address_exclude(cut))
            else:
                kept.append(network)
        remaining = kept
    return remaining


def _merged(networks: Iterable[N], removed: Iterable[N] = ()) -> tuple[N, ...]:
    remaining = _subtract(networks, removed)
    return tuple(ipaddress.collapse_addresses(remaining)) if len(remaining) > 1 else tuple(remaining)


def _count(networks: Iterable[N]) -> int:
    return sum(network.num_addresses for network in networks)


@dataclass(frozen=True)
class Ranges:
    """The union of some address ranges, merged per family (overlaps and duplicates count once)."""

    v4: tuple[ipaddress.IPv4Network, ...]
    v6: tuple[ipaddress.IPv6Network, ...]

    @classmethod
    def of(cls, values: Iterable[object], excluded: Iterable[object] = ()) -> Ranges:
        """The ranges `values` name, minus those `excluded` names; values that are not CIDRs are left out."""
        parsed = [network for network in map(parse, values) if network is not None]
        cuts = [network for network in map(parse, excluded) if network is not None]
        return cls(
            _merged(
                (n for n in parsed if isinstance(n, ipaddress.IPv4Network)),
                [n for n in cuts if isinstance(n, ipaddress.IPv4Network)],
            ),
            _merged(
                (n for n in parsed if isinstance(n, ipaddress.IPv6Network)),
                [n for n in cuts if isinstance(n, ipaddress.IPv6Network)],
            ),
        )

    @classmethod
    def union(cls, parts: Iterable[Ranges]) -> Ranges:
        listed = list(parts)
        if len(listed) == 1:
            return listed[0]
        return cls(
            _merged(n for part in listed for n in part.v4),
            _merged(n for part in listed for n in part.v6),
        )

    @cached_property
    def _public(self) -> dict[int, int]:
        return {4: _count(_subtract(self.v4, _NON_PUBLIC_V4)), 6: _count(_subtract(self.v6, _NON_PUBLIC_V6))}

    def public_addresses(self, version: int) -> int:
        """How many public addresses of this family (4 or 6) the ranges reach."""
        return self._public[version]

    @cached_property
    def _size(self) -> dict[int, int]:
        return {4: _count(self.v4), 6: _count(self.v6)}

    def size(self, version: int) -> int:
        """How many addresses of this family the ranges hold, public or not."""
        return self._size[version]

    def reaches_internet(self, version: int) -> bool:
        # Most ranges are far smaller than the budget: their size answers before the special ranges are taken out.
        return may_reach_internet([self], version) and self._public[version] >= internet_budget(version)

    def is_whole_internet(self, version: int) -> bool:
        """Whether the ranges reach every public address of the family (0.0.0.0/0 in any spelling or pieces)."""
        return self._public[version] >= PUBLIC_ADDRESSES[version]

    def reach(self, version: int) -> str:
        """How much of the public internet the ranges reach, in words (see `describe_reach`)."""
        return describe_reach(version, self._public[version])


def may_reach_internet(parts: Iterable[Ranges], version: int) -> bool:
    """False when the parts together are smaller than the budget whatever they overlap (a cheap first answer)."""
    return sum(part.size(version) for part in parts) >= internet_budget(version)


def internet_budget(version: int) -> int:
    """The number of public addresses from which on ranges reach "the internet"."""
    return 2 ** (_BITS[version] - INTERNET_PREFIX[version])


_EVERYTHING = Ranges.of(["0.0.0.0/0", "::/0"])
PUBLIC_ADDRESSES = {version: _EVERYTHING.public_addresses(version) for version in VERSIONS}
"""How many public addresses each family has: the whole internet."""


def describe_reach(version: int, count: int) -> str:
    """'every public IPv4 address', or the prefix of the network closest in size: 'about as many ... as a /9'."""
    if count >= PUBLIC_ADDRESSES[version]:  # the whole internet
        return f"every public IPv{version} address"
    prefix = _BITS[version] - round(math.log2(count)) if count else _BITS[version]
    return f"about as many public IPv{version} addresses as a /{prefix}"


LIMIT = f"the limit is fewer public addresses than a /{INTERNET_PREFIX[4]}, or a /{INTERNET_PREFIX[6]} for IPv6"
"""The forbidden set in words, for messages and docs."""


@dataclass(frozen=True)
class Listed:
    """One listed range (or block with its exceptions) and where it is written."""

    path: str
    text: str
    ranges: Ranges


def listed(path: str, value: object, excluded: Iterable[object] = ()) -> Listed:
    return Listed(path, value if isinstance(value, str) else repr(value), Ranges.of([value], excluded))


_NAMED = 5
"""Paths a message names before it counts the rest."""


def name_paths(paths: Sequence[str]) -> str:
    """'a[0]', 'a[0] and b[0]', 'a[0], a[1], a[2], a[3], a[4] and 251 more'."""
    if len(paths) <= 1:
        return "".join(paths)
    if len(paths) > _NAMED + 1:
        return f"{', '.join(paths[:_NAMED])} and {len(paths) - _NAMED} more"
    return f"{', '.join(paths[:-1])} and {paths[-1]}"


@dataclass(frozen=True)
class Opening:
    """Listed ranges that reach the internet in one family: one alone, or several only together."""

    version: int
    entries: tuple[Listed, ...]
    reach: str
    alone: bool

    @property
    def paths(self) -> str:
        return name_paths([entry.path for entry in self.entries])


def openings(entries: Sequence[Listed]) -> list[Opening]:
    """Where `entries` reach the internet: each entry that does alone, and, in a family where none does alone,
    all the entries with public addresses when their union does."""
    found: list[Opening] = []
    if not any(may_reach_internet((entry.ranges for entry in entries), version) for version in VERSIONS):
        return found
    together = Ranges.union(entry.ranges for entry in entries)
    for version in VERSIONS:
        if not together.reaches_internet(version):
            continue  # no entry reaches it alone either: each is part of the union
        alone = [e for e in entries if e.ranges.reaches_internet(version)]
        found += [Opening(version, (entry,), entry.ranges.reach(version), alone=True) for entry in alone]
        if not alone:
            parts = tuple(e for e in entries if e.ranges.public_addresses(version))
            found.append(Opening(version, parts, together.reach(version), alone=False))
    return found


def internet_reach(values: Iterable[object]) -> str | None:
    """How much of the internet the union of `values` reaches, in words, when it reaches the internet (in either
    family; IPv4 first); None when it does not. What settings ask of a list of CIDRs."""
    ranges = Ranges.of(values)
    return next((ranges.reach(version) for version in VERSIONS if ranges.reaches_internet(version)), None)
