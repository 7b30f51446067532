"""No Role or ClusterRole grants the proxy subresource of nodes.

`nodes/proxy` reaches the kubelet's API directly: it runs commands in any pod of the node (and `get` is enough
for the kubelet's WebSocket exec), bypassing admission and the API server's audit of exec.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_k8s
from nhi_rules.lib.rbac import CORE_GROUP, ROLE_TYPES, PolicyRule, granted, policy_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-role-disallow-node-proxy"

VERBS = ("get", "create", "update", "patch", "delete")

MSG_NODE_PROXY = (
    "{path} grants {verb!r} on nodes/proxy, which reaches the kubelet API of every node and runs commands in "
    "any pod there, unaudited by the API server: remove it (read metrics from the metrics API instead)"
)


def _judge(rule: PolicyRule) -> Iterator[str]:
    for verb, _ in granted(rule, VERBS, CORE_GROUP, ("nodes/proxy",)):
        yield MSG_NODE_PROXY.format(path=rule.path, verb=verb)


def check(subject: Subject) -> Iterator[str]:
    for rule in policy_rules(subject.props):
        yield from subject.apart(_judge, rule)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Roles and ClusterRoles do not grant access to nodes/proxy.",
    resource_types=ROLE_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=cis_k8s("5.1.10", "Minimize access to the proxy sub-resource of nodes"),
    tags=["kubernetes", "rbac", "privilege-escalation", "eks-bp:BP-IAM-06"],
    remediation_steps="Remove nodes/proxy (and '*' resources or verbs that include it) from the rules.",
)
