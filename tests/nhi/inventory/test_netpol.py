"""The evaluator's additions for the inventory (named ports, port ranges) and its refusal of what it does
not implement; the platform's own flows are covered in tests/components/test_workload_network.py."""

from __future__ import annotations

from typing import Any

import pytest

from nhi.inventory.netpol import NetworkModel, UnsupportedPolicy, pod

WEB = pod("web", "shop", {"app": "web"}, [("http", 8080, "TCP")])
CLIENT = pod("client", "shop", {"app": "client"})


def ingress_policy(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "shop", "name": "web"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}], "ports": ports}],
        },
    }


def test_a_named_port_resolves_against_the_destination_pod() -> None:
    model = NetworkModel([ingress_policy([{"port": "http"}])], {})
    assert model.allows(CLIENT, WEB, 8080)
    assert not model.allows(CLIENT, WEB, 9090)
    assert not model.allows(CLIENT, WEB, 8080, "UDP")


def test_a_port_range_allows_its_ends_and_nothing_outside() -> None:
    model = NetworkModel([ingress_policy([{"port": 8000, "endPort": 8100}])], {})
    assert model.allows(CLIENT, WEB, 8000) and model.allows(CLIENT, WEB, 8100)
    assert not model.allows(CLIENT, WEB, 7999) and not model.allows(CLIENT, WEB, 8101)


def test_an_unknown_operator_is_refused_not_guessed() -> None:
    policy = ingress_policy([])
    policy["spec"]["podSelector"] = {"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}
    with pytest.raises(UnsupportedPolicy):
        NetworkModel([policy], {}).allows(CLIENT, WEB, 8080)
