"""Property test: the internet cut into pieces and dealt among NetworkPolicies that select the same pods (equal
podSelectors, or the namespace's podSelector {} policies) is flagged exactly once by the pack: by the resource
rule when one policy allows it alone, otherwise by the stack rule kubernetes-networkpolicy-limit-combined-peers.
Narrow public and private ranges dealt the same way are not; neither are pieces in different namespaces."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_rules.kubernetes import kubernetes_networkpolicy_disallow_allow_all as allow_all
from nhi_rules.lib.k8s import NETWORK_POLICY
from nhi_rules.stack import kubernetes_networkpolicy_limit_combined_peers as combined
from tests.policy.harness import build_stack, run_resource, run_stack, template_regex
from tests.policy.unsafe_values import deal, internet_pieces, safe_ranges

FEW = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DIRECTIONS = {"ingress": "from", "egress": "to"}
SELECTED = {"matchLabels": {"app": "api"}}


def policy(name: str, namespace: str, selector: dict[str, Any], direction: str, cidrs: list[str]) -> dict[str, Any]:
    """A NetworkPolicy allowing `cidrs` in `direction`, one rule or one peer per CIDR."""
    peers = [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]
    spec = {"podSelector": selector, direction: [{DIRECTIONS[direction]: peers}]}
    return {
        "name": name,
        "type": NETWORK_POLICY,
        "props": {"metadata": {"name": name, "namespace": namespace}, "spec": spec},
    }


def dealt(data: st.DataObject, cidrs: list[str], direction: str, namespaces: list[str]) -> list[dict[str, Any]]:
    """`cidrs` dealt among policies selecting the api pods, some of them with podSelector {}."""
    resources = []
    for index, hand in enumerate(deal(data, cidrs, 4)):
        selector = {} if index and data.draw(st.booleans()) else SELECTED
        namespace = namespaces[index % len(namespaces)]
        resources.append(policy(f"api-{index}", namespace, selector, direction, hand))
    return resources


def stack_messages(resources: list[dict[str, Any]]) -> list[str]:
    return run_stack(combined.POLICY, build_stack(resources)).messages


@FEW
@given(data=st.data(), version=st.sampled_from([4, 6]), direction=st.sampled_from(list(DIRECTIONS)))
def test_the_internet_dealt_among_policies_of_the_same_pods_is_flagged_once(
    data: st.DataObject, version: int, direction: str
) -> None:
    resources = dealt(data, data.draw(internet_pieces(version)), direction, ["shop"])
    alone = any(run_resource(allow_all.POLICY, NETWORK_POLICY, r["props"]).messages for r in resources)
    together = [m for m in stack_messages(resources) if template_regex(combined.MSG_OPEN_TOGETHER).search(m)]
    assert alone != bool(together), (resources, alone, together)
    assert len(together) <= 1, together


@FEW
@given(data=st.data(), direction=st.sampled_from(list(DIRECTIONS)))
def test_narrow_public_and_private_ranges_dealt_among_policies_are_not_flagged(
    data: st.DataObject, direction: str
) -> None:
    cidrs = [cidr for cidr in data.draw(safe_ranges()) if ":" not in cidr] + ["10.0.0.0/8", "192.168.0.0/16"]
    resources = dealt(data, cidrs, direction, ["shop"])
    assert run_stack(combined.POLICY, build_stack(resources)).outcome == "pass", resources


def test_pieces_in_different_namespaces_are_not_added_up() -> None:
    resources = [
        policy("api-low", "shop", SELECTED, "ingress", ["52.0.0.0/9"]),
        policy("api-high", "payments", {}, "ingress", ["52.128.0.0/9"]),
    ]
    assert stack_messages(resources) == []
    resources[1]["props"]["metadata"]["namespace"] = "shop"
    assert len(stack_messages(resources)) == 1


def test_all_pods_policies_adding_up_are_reported_once_not_once_per_selector() -> None:
    resources = [
        policy("everyone-low", "shop", {}, "egress", ["52.0.0.0/9"]),
        policy("everyone-high", "shop", {}, "egress", ["52.128.0.0/9"]),
        policy("api", "shop", SELECTED, "egress", ["10.0.0.0/8"]),
        policy("web", "shop", {"matchLabels": {"app": "web"}}, "egress", ["54.240.0.0/16"]),
    ]
    messages = stack_messages(resources)
    assert len(messages) == 1, messages
    assert "'everyone-low' and 'everyone-high'" in messages[0] and "every pod" in messages[0]


def test_a_policy_without_namespace_is_in_the_default_namespace() -> None:
    resources = [
        policy("api-low", "default", SELECTED, "ingress", ["52.0.0.0/9"]),
        policy(
            "api-high", "default", {"matchLabels": {"app": "api"}, "matchExpressions": []}, "ingress", ["52.128.0.0/9"]
        ),
    ]
    del resources[1]["props"]["metadata"]["namespace"]
    messages = stack_messages(resources)
    assert len(messages) == 1 and "namespace 'default'" in messages[0], messages
