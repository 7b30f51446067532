"""Settings refuse address ranges that reach the internet together, not only `/0`: the public endpoint's CIDRs
and each workload's ingress and egress CIDR flows are measured as a union (nhi_rules.lib.addresses, the pack's own
measure), and the refusal names the key path. Property-based over the shapes of tests/policy/unsafe_values.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import settings as stack_settings
from tests.conftest import stack_file_config
from tests.policy.unsafe_values import NARROW_PUBLIC, internet_pieces, slash_16_pieces

CLUSTER = "nhi-platform:cluster"
WORKLOADS = "nhi-platform:workloads"
GATEWAY = 0
"""The dev stack's first workload (gateway, port 8080), which already takes ingress from a CIDR."""
FEW = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def problems_of(change: Callable[[dict[str, Any]], None]) -> list[str]:
    config = stack_file_config("dev")
    change(config)
    try:
        stack_settings.parse_config(config)
    except stack_settings.SettingsError as error:
        return [str(problem) for problem in error.problems]
    return []


def refused_at(problems: list[str], path: str) -> bool:
    """A problem at `path` or one of its elements (`path[3]`)."""
    return any(problem.startswith((f"{path}: ", f"{path}[")) for problem in problems)


def with_flows(direction: str, cidrs: list[str]) -> Callable[[dict[str, Any]], None]:
    port = 8080 if direction == "ingress" else 443
    return lambda config: config[WORKLOADS][GATEWAY][direction].extend({"cidr": c, "port": port} for c in cidrs)


@FEW
@given(pieces=st.sampled_from([4, 6]).flatmap(lambda version: internet_pieces(version, host_bits=False)))
def test_public_endpoint_cidrs_that_reach_the_internet_are_refused(pieces: list[str]) -> None:
    problems = problems_of(lambda config: config[CLUSTER].update(publicEndpointCidrs=pieces))
    assert refused_at(problems, f"{CLUSTER}.publicEndpointCidrs"), problems


@FEW
@given(pieces=slash_16_pieces())
def test_endpoint_cidrs_each_narrow_enough_are_refused_when_they_add_up(pieces: list[str]) -> None:
    problems = problems_of(lambda config: config[CLUSTER].update(publicEndpointCidrs=pieces))
    assert problems == [
        f"{CLUSTER}.publicEndpointCidrs: together these ranges reach about as many public IPv4 addresses as a /8, "
        "the internet in pieces (the limit is fewer public addresses than a /8, or a /32 for IPv6): list the ranges "
        "of your offices or CI runners"
    ]


@FEW
@given(
    direction=st.sampled_from(["ingress", "egress"]),
    pieces=st.sampled_from([4, 6]).flatmap(lambda version: internet_pieces(version, host_bits=False)),
)
def test_flows_that_reach_the_internet_together_are_refused(direction: str, pieces: list[str]) -> None:
    problems = problems_of(with_flows(direction, pieces))
    assert refused_at(problems, f"{WORKLOADS}[{GATEWAY}].{direction}"), problems


def test_two_flows_that_are_a_slash_8_together_are_refused_with_the_list_path() -> None:
    problems = problems_of(with_flows("egress", ["52.0.0.0/9", "52.128.0.0/9"]))
    assert [p.split(": ")[0] for p in problems] == [f"{WORKLOADS}[{GATEWAY}].egress"]


def test_half_the_internet_in_one_flow_is_refused_with_the_flow_path() -> None:
    problems = problems_of(with_flows("ingress", ["128.0.0.0/1"]))
    assert problems == [
        f"{WORKLOADS}[{GATEWAY}].ingress[1]: ingress from 128.0.0.0/1 is refused: it reaches about as many public "
        "IPv4 addresses as a /1, the internet (the limit is fewer public addresses than a /8, or a /32 for IPv6); "
        "name the range you need"
    ]


@pytest.mark.parametrize("cidrs", [NARROW_PUBLIC, [f"52.{i}.0.0/16" for i in range(255)]])
def test_narrow_ranges_below_the_limit_are_accepted(cidrs: list[str]) -> None:
    assert problems_of(lambda config: config[CLUSTER].update(publicEndpointCidrs=cidrs)) == []
    assert problems_of(with_flows("egress", cidrs)) == []
