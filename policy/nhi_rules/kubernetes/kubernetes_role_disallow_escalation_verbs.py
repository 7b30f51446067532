"""No Role or ClusterRole grants bind, escalate or impersonate: each lets its holder become cluster-admin."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.rbac import ANY, CORE_GROUP, RBAC_GROUP, ROLE_TYPES, PolicyRule, policy_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-role-disallow-escalation-verbs"

# verb -> (API group, resource) pairs it acts on; '*' verbs grant it there too.
ESCALATION = {
    "bind": ((RBAC_GROUP, "roles"), (RBAC_GROUP, "clusterroles")),
    "escalate": ((RBAC_GROUP, "roles"), (RBAC_GROUP, "clusterroles")),
    "impersonate": (
        (CORE_GROUP, "users"),
        (CORE_GROUP, "groups"),
        (CORE_GROUP, "serviceaccounts"),
        ("authentication.k8s.io", "uids"),
        ("authentication.k8s.io", "userextras"),
    ),
}

MSG_ESCALATION_VERB = (
    "{path}.verbs grants {verb!r}, which lets the holder {effect}: remove it (only the "
    "platform's break-glass roles may, with an exemption)"
)
MSG_ESCALATION_WILDCARD = (
    "{path}.verbs is '*' on {resources}, which includes {verb!r} and lets the holder {effect}: list the verbs it needs"
)
EFFECTS = {
    "bind": "bind any role to itself",
    "escalate": "edit roles to grant itself more",
    "impersonate": "act as other users, groups or service accounts",
}


def _judge(rule: PolicyRule) -> Iterator[str]:
    for verb, targets in ESCALATION.items():
        if verb in rule.verbs:
            yield MSG_ESCALATION_VERB.format(path=rule.path, verb=verb, effect=EFFECTS[verb])
        elif ANY in rule.verbs and any(rule.covers(group, resource) for group, resource in targets):
            yield MSG_ESCALATION_WILDCARD.format(
                path=rule.path, resources=list(rule.resources), verb=verb, effect=EFFECTS[verb]
            )


def check(subject: Subject) -> Iterator[str]:
    for rule in policy_rules(subject.props):
        yield from subject.apart(_judge, rule)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Roles and ClusterRoles do not grant the bind, escalate or impersonate verbs.",
    resource_types=ROLE_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("4.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"),
    tags=["kubernetes", "rbac", "privilege-escalation"],
    remediation_steps="Remove bind, escalate and impersonate (and '*' verbs on roles or identities) from the rules.",
)
