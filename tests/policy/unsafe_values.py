"""Hypothesis strategies for address ranges that reach the internet in many shapes, and for ranges that do not.

Used by the pack's property test (tests/policy/test_unsafe_values_flagged.py) and by the settings' one
(tests/settings/test_cidr_union.py): each unsafe value must be flagged by the pack or refused by settings.

Unsafe: the whole IPv4 or IPv6 space cut into random pieces (halves, uneven cuts, 256 /8s), or a public /8 (IPv6
/32) cut the same way, which reaches as many public addresses as the limit; shuffled, with an overlapping extra
and, where the consumer accepts them, host bits set. Safe: a few narrow public ranges and private ranges of any
size.
"""

from __future__ import annotations

import ipaddress
import itertools

from hypothesis import strategies as st

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

WHOLE: dict[int, Network] = {4: ipaddress.IPv4Network("0.0.0.0/0"), 6: ipaddress.IPv6Network("::/0")}
PUBLIC_SLASH_8S = [ipaddress.IPv4Network(f"{first}.0.0.0/8") for first in (3, 13, 18, 34, 52, 54, 99, 104)]
PUBLIC_BLOCKS: dict[int, list[Network]] = {
    4: list(PUBLIC_SLASH_8S),
    6: [ipaddress.IPv6Network(cidr) for cidr in ("2600:1f00::/32", "2a05:d000::/32", "2406:da00::/32")],
}
"""Public blocks exactly the size of the limit (a /8, a /32 for IPv6): reaching all of one is reaching the internet."""
NARROW_PUBLIC = ["52.94.0.0/16", "3.5.140.0/22", "18.200.1.7/32", "2a05:d000:1::/48", "2600:1f00:7:1::/64"]
PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]
FINEST_CUT = 12
"""How many prefix bits a random cut adds at most: pieces stay few enough for two cores."""


@st.composite
def cut(draw: st.DrawFn, root: Network) -> list[Network]:
    """`root` cut into pieces that cover it exactly: an even split at one depth (two halves, 256 /8s, ...), or
    random uneven halvings."""
    if draw(st.booleans()):
        return list(root.subnets(prefixlen_diff=draw(st.integers(1, 8))))
    pieces = [root]
    for _ in range(draw(st.integers(1, 12))):
        splittable = [piece for piece in pieces if piece.prefixlen < root.prefixlen + FINEST_CUT]
        piece = draw(st.sampled_from(splittable))
        pieces.remove(piece)
        pieces.extend(piece.subnets(prefixlen_diff=draw(st.integers(1, 3))))
    return pieces


def _text(draw: st.DrawFn, network: Network, host_bits: bool) -> str:
    if not host_bits or not draw(st.booleans()):
        return str(network)
    offset = draw(st.integers(0, min(network.num_addresses - 1, 2**64)))
    return f"{network.network_address + offset}/{network.prefixlen}"


@st.composite
def internet_pieces(draw: st.DrawFn, version: int, host_bits: bool = True) -> list[str]:
    """CIDRs that together reach the internet: the whole space or a public block of the limit's size, cut,
    shuffled, maybe with an overlapping extra and, when `host_bits`, some host bits set."""
    root = draw(st.sampled_from([WHOLE[version], *PUBLIC_BLOCKS[version]]))
    pieces = draw(cut(root))
    if draw(st.booleans()):  # an overlapping extra: a part of a piece
        extra: Network = draw(st.sampled_from(pieces))
        pieces.append(ipaddress.ip_network(f"{extra.network_address}/{min(extra.prefixlen + 1, extra.max_prefixlen)}"))
    return draw(st.permutations([_text(draw, piece, host_bits) for piece in pieces]))


@st.composite
def slash_16_pieces(draw: st.DrawFn) -> list[str]:
    """A public /8 as /16s, some cut further: each piece narrow enough for a public endpoint, all of them not."""
    root = draw(st.sampled_from(PUBLIC_SLASH_8S))
    pieces = list(root.subnets(new_prefix=16))
    for index in draw(st.lists(st.integers(0, 255), max_size=8, unique=True)):
        pieces[index : index + 1] = list(pieces[index].subnets(prefixlen_diff=draw(st.integers(1, 4))))
    return draw(st.permutations([str(piece) for piece in pieces]))


def safe_ranges() -> st.SearchStrategy[list[str]]:
    """Narrow public ranges (offices, CI runners) and private ranges of any size: never the internet."""
    return st.lists(st.sampled_from(NARROW_PUBLIC + PRIVATE), min_size=1, max_size=8, unique=True)


def deal(data: st.DataObject, items: list[str], most: int) -> list[list[str]]:
    """`items` dealt, in order, into 1 to `most` non-empty groups."""
    groups = data.draw(st.integers(1, max(1, min(most, len(items)))))
    cuts = data.draw(st.lists(st.integers(1, len(items) - 1), min_size=groups - 1, max_size=groups - 1, unique=True))
    bounds = [0, *sorted(cuts), len(items)]
    return [items[start:end] for start, end in itertools.pairwise(bounds)]


@st.composite
def one_wide_range(draw: st.DrawFn, version: int) -> str:
    """One range that reaches the internet alone (the whole space or a public block of the limit's size, or a
    wider one), perhaps with host bits: what a resource that holds a single CIDR can carry."""
    root = draw(st.sampled_from([WHOLE[version], *PUBLIC_BLOCKS[version]]))
    wider = root.supernet(prefixlen_diff=draw(st.integers(0, min(3, root.prefixlen))))
    return _text(draw, wider, host_bits=True)
