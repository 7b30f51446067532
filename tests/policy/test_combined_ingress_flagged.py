"""Property test: the internet cut into pieces and dealt among the resources that add ingress to one security
group (its inline `ingress`, SecurityGroupRule and SecurityGroupIngressRule resources) is flagged on the admin
port exactly once by the pack: by the resource rule when one resource opens it alone, otherwise by the stack
rule ec2-securitygroup-limit-combined-ingress. Narrow public and private ranges dealt the same way are not."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_rules.aws import ec2_securitygroup_disallow_open_admin_ports as admin_ports
from nhi_rules.cases import UNKNOWN, encode
from nhi_rules.lib.network import SECURITY_GROUP, SECURITY_GROUP_RULE, VPC_INGRESS_RULE
from nhi_rules.stack import ec2_securitygroup_limit_combined_ingress as combined
from tests.policy.harness import build_stack, run_resource, run_stack, template_regex
from tests.policy.unsafe_values import deal, internet_pieces, safe_ranges

FEW = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GROUP_ID = "sg-0web"
CIDR_KEYS = {4: ("cidrBlocks", "cidrIpv4"), 6: ("ipv6CidrBlocks", "cidrIpv6")}
ADMIN_PORTS = [22, 3389]


def reaching(data: st.DataObject, port: int) -> dict[str, Any]:
    """The protocol and ports of an ingress rule that reaches `port` (SecurityGroup / SecurityGroupRule keys)."""
    low = data.draw(st.integers(0, port))
    high = data.draw(st.integers(port, 65535))
    return {"protocol": data.draw(st.sampled_from(["tcp", "6", "-1"])), "fromPort": low, "toPort": high}


def linked(data: st.DataObject, name: str, resource_type: str, props: dict[str, Any]) -> dict[str, Any]:
    """A rule resource tied to the group by a property dependency or by the group's id."""
    if data.draw(st.booleans()):
        return {
            "name": name,
            "type": resource_type,
            "props": {**props, "securityGroupId": encode(UNKNOWN)},
            "propertyDependencies": {"securityGroupId": ["web"]},
        }
    return {"name": name, "type": resource_type, "props": {**props, "securityGroupId": GROUP_ID}}


def stack(data: st.DataObject, cidrs: list[str], version: int, port: int) -> list[dict[str, Any]]:
    """The group and the resources among which `cidrs` are dealt, each reaching `port`."""
    list_key, single_key = CIDR_KEYS[version]
    hands = deal(data, cidrs, 4)
    inline = hands.pop(0) if data.draw(st.booleans()) else []
    ingress = [{**reaching(data, port), list_key: inline}] if inline else []
    resources = [{"name": "web", "type": SECURITY_GROUP, "props": {"name": "web", "id": GROUP_ID, "ingress": ingress}}]
    for index, hand in enumerate(hands):
        spec = reaching(data, port)
        if len(hand) == 1 and data.draw(st.booleans()):  # an aws:vpc ingress rule holds one CIDR
            props = {"ipProtocol": spec["protocol"], "fromPort": spec["fromPort"], "toPort": spec["toPort"]}
            resources.append(linked(data, f"rule-{index}", VPC_INGRESS_RULE, {**props, single_key: hand[0]}))
        else:
            props = {"type": "ingress", **spec, list_key: hand}
            resources.append(linked(data, f"rule-{index}", SECURITY_GROUP_RULE, props))
    return resources


def on_port(messages: list[str], template: str, port: int) -> bool:
    return any(template_regex(template).search(m) and f"admin port {port} " in m for m in messages)


def findings(resources: list[dict[str, Any]], port: int) -> tuple[bool, bool]:
    """(whether a resource rule flags `port` on some resource, whether the stack rule flags it)."""
    alone = any(
        on_port(run_resource(admin_ports.POLICY, r["type"], r["props"]).messages, template, port)
        for r in resources
        for template in (admin_ports.MSG_OPEN_ADMIN_PORT, admin_ports.MSG_OPEN_ADMIN_PORT_TOGETHER)
    )
    together = on_port(
        run_stack(combined.POLICY, build_stack(resources)).messages, combined.MSG_ADMIN_PORT_ACROSS, port
    )
    return alone, together


@FEW
@given(data=st.data(), version=st.sampled_from([4, 6]), port=st.sampled_from(ADMIN_PORTS))
def test_the_internet_dealt_among_a_groups_resources_is_flagged_once(
    data: st.DataObject, version: int, port: int
) -> None:
    resources = stack(data, data.draw(internet_pieces(version)), version, port)
    alone, together = findings(resources, port)
    assert alone != together, (resources, alone, together)


@FEW
@given(data=st.data(), port=st.sampled_from(ADMIN_PORTS))
def test_narrow_public_and_private_ranges_dealt_among_resources_are_not_flagged(data: st.DataObject, port: int) -> None:
    cidrs = [cidr for cidr in data.draw(safe_ranges()) if ":" not in cidr] + ["10.0.0.0/8", "192.168.0.0/16"]
    resources = stack(data, cidrs, 4, port)
    assert run_stack(combined.POLICY, build_stack(resources)).outcome == "pass", resources
