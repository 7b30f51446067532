"""The address-range helper: the union of CIDRs per family, measured by the public addresses it reaches, compared
with the forbidden set ("the internet": as many public addresses as a /8, or a /32 for IPv6, or more)."""

from __future__ import annotations

import pytest

from nhi_rules.lib.addresses import (
    INTERNET_PREFIX,
    PUBLIC_ADDRESSES,
    Ranges,
    internet_budget,
    internet_reach,
    listed,
    name_paths,
    openings,
)

ALL_PUBLIC_SLASH_8S = [
    f"{first}.0.0.0/8" for first in range(1, 224) if first not in (10, 127)
]  # 221 /8s: every public /8 (0/8, 10/8, 127/8 and 224/3 are not public)


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/0"],
        [" 0.0.0.0/0 "],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["128.0.0.0/1", "0.0.0.0/1"],
        ["1.2.3.4/1", "200.1.1.1/1"],  # host bits
        ["0.0.0.0/1", "64.0.0.0/2", "128.0.0.0/1"],  # overlaps
        ALL_PUBLIC_SLASH_8S,
    ],
)
def test_the_ipv4_internet_in_any_shape_is_every_public_address(cidrs: list[str]) -> None:
    ranges = Ranges.of(cidrs)
    assert ranges.is_whole_internet(4)
    assert ranges.reaches_internet(4)
    assert ranges.public_addresses(4) == PUBLIC_ADDRESSES[4]
    assert ranges.reach(4) == "every public IPv4 address"


@pytest.mark.parametrize("cidrs", [["::/0"], ["::/1", "8000::/1"], ["8000::/1", "::/2", "4000::/2"]])
def test_the_ipv6_internet_in_any_shape_is_every_public_address(cidrs: list[str]) -> None:
    ranges = Ranges.of(cidrs)
    assert ranges.is_whole_internet(6)
    assert not ranges.reaches_internet(4)


def test_global_unicast_alone_reaches_the_internet() -> None:
    # Space not yet allocated counts as public, so 2000::/3 is not "every" address, but far over the budget.
    ranges = Ranges.of(["2000::/4", "3000::/4"])
    assert ranges.reaches_internet(6)
    assert ranges.reach(6) == "about as many public IPv6 addresses as a /3"


def test_the_budget_is_a_slash_8_of_public_addresses() -> None:
    assert internet_budget(4) == 2 ** (32 - INTERNET_PREFIX[4])
    assert Ranges.of(["52.0.0.0/8"]).reaches_internet(4)
    assert Ranges.of(["52.0.0.0/9", "52.128.0.0/9"]).reaches_internet(4)
    assert not Ranges.of(["52.0.0.0/9"]).reaches_internet(4)
    assert not Ranges.of(["52.0.0.0/9", "52.0.0.0/10"]).reaches_internet(4)  # overlaps count once
    assert Ranges.of(["2600::/32"]).reaches_internet(6)
    assert not Ranges.of(["2600::/33", "2a05:d000::/48"]).reaches_internet(6)


@pytest.mark.parametrize(
    "cidrs", [["10.0.0.0/8"], ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], ["fc00::/7"]]
)
def test_private_ranges_of_any_size_are_never_the_internet(cidrs: list[str]) -> None:
    ranges = Ranges.of(cidrs)
    assert (ranges.public_addresses(4), ranges.public_addresses(6)) == (0, 0)


def test_exceptions_narrow_a_range_but_private_exceptions_leave_the_internet() -> None:
    private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    assert Ranges.of(["0.0.0.0/0"], private).is_whole_internet(4)
    assert Ranges.of(["0.0.0.0/0"], ["1.2.3.4/32"]).reaches_internet(4)
    assert not Ranges.of(["52.0.0.0/8"], ["52.0.0.0/9"]).reaches_internet(4)
    assert Ranges.of(["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"]).public_addresses(4) == 0


@pytest.mark.parametrize(
    "junk", ["", "x", "0.0.0.0/33", "::/129", "\x00", "9" * 30, "0.0.0.0/0/0", None, 7, 1.5, [], {}]
)
def test_what_is_not_a_cidr_reaches_nothing_and_never_raises(junk: object) -> None:
    ranges = Ranges.of([junk, "10.0.0.0/8"], [junk])
    assert (ranges.public_addresses(4), ranges.public_addresses(6)) == (0, 0)


def test_openings_name_each_entry_that_reaches_alone_else_the_pieces_together() -> None:
    halves = openings([listed("a[0]", "0.0.0.0/1"), listed("a[1]", "128.0.0.0/1"), listed("a[2]", "10.0.0.0/8")])
    assert [(o.version, o.paths, o.alone) for o in halves] == [(4, "a[0]", True), (4, "a[1]", True)]
    pieces = openings([listed("a[0]", "52.0.0.0/9"), listed("b[0]", "52.128.0.0/9"), listed("c[0]", "10.0.0.0/8")])
    assert [(o.version, o.paths, o.alone) for o in pieces] == [(4, "a[0] and b[0]", False)]
    assert pieces[0].reach == "about as many public IPv4 addresses as a /8"
    assert openings([listed("a[0]", "52.0.0.0/9"), listed("a[1]", "2a05:d000::/48")]) == []


def test_the_families_are_judged_apart() -> None:
    found = openings([listed("v4", "0.0.0.0/0"), listed("v6[0]", "::/1"), listed("v6[1]", "8000::/1")])
    assert [(o.version, o.paths) for o in found] == [(4, "v4"), (6, "v6[0]"), (6, "v6[1]")]


def test_internet_reach_says_how_much_or_none() -> None:
    assert internet_reach(["0.0.0.0/1"]) == "about as many public IPv4 addresses as a /1"
    assert internet_reach([f"52.{i}.0.0/16" for i in range(256)]) == "about as many public IPv4 addresses as a /8"
    assert internet_reach([f"52.{i}.0.0/16" for i in range(255)]) is None


def test_many_paths_are_counted_after_the_first_five() -> None:
    assert name_paths([f"p[{i}]" for i in range(3)]) == "p[0], p[1] and p[2]"
    assert name_paths([f"p[{i}]" for i in range(221)]) == "p[0], p[1], p[2], p[3], p[4] and 216 more"
