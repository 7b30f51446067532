"""No security group is opened to the internet by ingress split across resources: the group's inline `ingress`,
`aws:vpc` SecurityGroupIngressRule resources and `type: ingress` SecurityGroupRule resources that name it
(0.0.0.0/1 on one, 128.0.0.0/1 on another) are added up per group, on every admin port and on every port.

The resource rules (ec2-securitygroup-disallow-open-admin-ports and -open-all-ports) judge each resource alone;
what one resource already opens is theirs to report, so this rule reports only what the resources open together.
Rule resources are linked to their group through the `securityGroupId` property dependency, then by the group's
id, then by their only group dependency; rules naming a group outside the stack are grouped by that id. Values
unknown during preview are left out (the stack is judged on what is known), like the other stack rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.aws import ec2_securitygroup_disallow_open_admin_ports as admin_ports
from nhi_rules.lib.addresses import LIMIT, openings
from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.network import (
    DEFAULT_SECURITY_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    VPC_INGRESS_RULE,
    Ingress,
    all_ports_together,
    ingress_rules,
    port_exposure,
)
from nhi_rules.lib.props import as_str
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known, known_at

NAME = "ec2-securitygroup-limit-combined-ingress"
GROUP_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
RULE_TYPES = (SECURITY_GROUP_RULE, VPC_INGRESS_RULE)
GROUP_REFERENCE = "securityGroupId"

MSG_ADMIN_PORT_ACROSS = (
    "{paths} together open admin port {port} of security group {group} to {reach}, the internet split across "
    "resources ({limit}): restrict them to private CIDRs or a source security group, or use SSM Session Manager "
    "instead of inbound access"
)
MSG_ALL_PORTS_ACROSS = (
    "{paths} together open every {protocols} port of security group {group} to {reach}, the internet split "
    "across resources ({limit}): allow only the ports the service listens on, from the CIDRs or security groups "
    "that need them"
)

CONFIG = {"adminPorts": admin_ports.CONFIG["adminPorts"]}
"""The resource rule's admin ports (one definition; a pack config sets them for each rule by its name)."""


@dataclass(frozen=True)
class Member:
    """One resource that adds ingress to a group, with its known ingress rules (paths start at its name)."""

    resource: PolicyResource
    rules: tuple[Ingress, ...]


@dataclass
class Group:
    label: str
    anchor: PolicyResource | None
    """The group resource when it is in the stack: findings are reported on it."""
    members: list[Member]


def _rules(resource: PolicyResource) -> tuple[Ingress, ...]:
    readers = known(lambda: list(ingress_rules(resource.resource_type, resource.props))) or []
    rules = [rule for rule in (known(read) for read in readers) if rule is not None]
    return tuple(replace(rule, path=f"{resource.name}.{rule.path}" if rule.path else resource.name) for rule in rules)


class _GroupIndex:
    """The stack's security groups by URN and id, and the group each rule resource adds to."""

    def __init__(self, groups: Sequence[PolicyResource]) -> None:
        self.by_urn = {group.urn: group for group in groups}
        self.by_id: dict[str, PolicyResource] = {}
        for group in groups:
            group_id = known_at(as_str, group.props, "id")
            if group_id:
                self.by_id[group_id] = group

    def key_of(self, rule: PolicyResource) -> str | None:
        """The URN of the rule's group, or the group id it names when the group is not in the stack."""
        for dependency in rule.property_dependencies.get(GROUP_REFERENCE, []):
            if dependency.urn in self.by_urn:
                return dependency.urn
        group_id = known_at(as_str, rule.props, GROUP_REFERENCE)
        if group_id:
            group = self.by_id.get(group_id)
            return group.urn if group is not None else group_id
        linked = [dependency for dependency in rule.dependencies if dependency.urn in self.by_urn]
        return linked[0].urn if len(linked) == 1 else None


def groups(resources: Sequence[PolicyResource]) -> list[Group]:
    """Every security group with the resources that add ingress to it (those with no known rule left out)."""
    index = by_type(resources)
    stack_groups = [group for kind in GROUP_TYPES for group in index.get(kind, [])]
    linker = _GroupIndex(stack_groups)
    found: dict[str, Group] = {
        group.urn: Group(repr(known_at(as_str, group.props, "name") or group.name), group, []) for group in stack_groups
    }
    for group in stack_groups:
        found[group.urn].members.append(Member(group, _rules(group)))
    for kind in RULE_TYPES:
        for rule in index.get(kind, []):
            key = linker.key_of(rule)
            if key is not None:
                found.setdefault(key, Group(repr(key), None, [])).members.append(Member(rule, _rules(rule)))
    for gathered in found.values():
        gathered.members = [member for member in gathered.members if member.rules]
    return list(found.values())


def _admin_ports(group: Group, ports: Sequence[int]) -> Iterator[str]:
    for port in ports:
        reaching = [[rule for rule in member.rules if rule.covers(port)] for member in group.members]
        # A family one resource opens alone is the resource rule's finding.
        shown = {opening.version for rules in reaching for opening in port_exposure(rules).openings}
        entries = [entry for rules in reaching for rule in rules for entry in rule.cidrs.entries]
        for opening in openings(entries):
            if opening.version not in shown:
                yield MSG_ADMIN_PORT_ACROSS.format(
                    paths=opening.paths, port=port, group=group.label, reach=opening.reach, limit=LIMIT
                )


def _all_ports(group: Group) -> Iterator[str]:
    shown: dict[int, set[str]] = {}  # the protocols each family has every port open by one resource alone
    for member in group.members:
        for found in all_ports_together(member.rules).found:
            shown.setdefault(found.version, set()).update(found.protocols)
    for found in all_ports_together([rule for member in group.members for rule in member.rules]).found:
        protocols = [protocol for protocol in found.protocols if protocol not in shown.get(found.version, set())]
        if protocols:
            yield MSG_ALL_PORTS_ACROSS.format(
                paths=found.paths, protocols=" and ".join(protocols), group=group.label, reach=found.reach, limit=LIMIT
            )


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    for group in groups(resources):
        if len(group.members) < 2:
            continue  # one resource alone is judged by the resource rules
        anchor = (group.anchor or group.members[0].resource).urn
        for message in (*_admin_ports(group, config["adminPorts"]), *_all_ports(group)):
            yield message, anchor


POLICY = stack_rule(
    name=NAME,
    description="Ingress split across a security group's rule resources does not open admin ports or every port "
    "to the internet.",
    resource_types=(*GROUP_TYPES, *RULE_TYPES),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("5.4.3", "Ensure clusters are created with Private Nodes"),
    tags=["aws", "ec2", "network", "ipv4", "ipv6", "stack"],
    remediation_steps=(
        "Replace the ranges that add up to the internet across the group's inline ingress, SecurityGroupRule and "
        "SecurityGroupIngressRule resources with the private CIDRs or security groups that need the ports; reach "
        "nodes through SSM Session Manager rather than SSH."
    ),
    config=CONFIG,
)
