"""No identity of the stack can become a more privileged one, whatever policies or bindings the path is split over.

Each resource rule sees one document or one Role at a time; an escalation is often split: `iam:PassRole` in one
policy and `lambda:CreateFunction` in another of the same role, or a RoleBinding that lets a service account
create Deployments in a namespace where a pod template runs as an account holding an IAM role. This rule
computes each IAM role's effective permissions (inline, role and attached policies, its boundary applied,
`nhi_rules.lib.identities`) and each service account's RBAC and IAM roles, and reports every path as "A can
become B because ...", naming the statements and rules involved. Tools that find such paths (PMapper,
cloudsplaining) read a live account; this one reads the plan, before deploy.

Paths: a role passes a more privileged role to a service it can run code in; a role edits its own permissions,
another role's, or another role's trust; a service account creates pods, pod controllers, tokens, execs or
impersonates in a namespace where a more privileged service account runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.escalation import (
    CODE_RUNNERS,
    PASSROLE_ACTION,
    POLICY_VERSIONING,
    ROLE_EDITING,
    TRUST_EDITING,
    passes_to,
)
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam_eval import Grant
from nhi_rules.lib.identities import (
    IAM_TYPES,
    IamRole,
    ServiceAccount,
    more_privileged,
    stack_identities,
)
from nhi_rules.lib.k8s import SERVICE_ACCOUNT, WORKLOAD_TYPES
from nhi_rules.lib.rbac import BINDING_TYPES, CORE_GROUP, ROLE_TYPES, PolicyRule
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import POD_IDENTITY_ASSOCIATION, known

NAME = "eks-identity-disallow-escalation-paths"

MSG_PASSES_ROLE = (
    "role {a!r} can become role {b!r} because {pass_path} allows iam:PassRole on it to {service} and {run_path} "
    "allows {run_action}, which runs code there as {b!r} ({example} among what {a!r} lacks): "
    "scope PassRole to roles no more privileged than the holder, or drop {run_action}"
)
MSG_EDITS_ITSELF = (
    "role {a!r} can become more privileged than itself because {path} allows {action} on its own ARN: "
    "no identity may edit its own permissions; remove the action"
)
MSG_EDITS_ROLE = (
    "role {a!r} can widen role {b!r} (and whatever runs as it) because {path} allows {action} on it: remove "
    "the action, or require iam:PermissionsBoundary to be the holder's own boundary"
)
MSG_EDITS_TRUST = (
    "role {a!r} can become role {b!r} because {path} allows iam:UpdateAssumeRolePolicy on it, so it can make "
    "{b!r} trust itself: remove the action"
)
MSG_RUNS_AS = (
    "service account {x} can become service account {y} because {via} allows {verb} {resource} in namespace "
    "{namespace}, where {runner} runs as {y}, which holds {what}: bind a role without {verb} {resource} there, "
    "or move {y} to a namespace of its own"
)
NOTE_OPEN_CONDITIONS = " (when {keys} match, which cannot be evaluated before deploy)"
"""Added to a path whose grants depend on the request (a tag, the source): reported as such, not guessed."""

# (verb, API group, resource) that let a service account act as another of the namespace.
RUN_AS = (
    ("create", CORE_GROUP, "pods"),
    *(
        (verb, group, resource)
        for group, resource in (
            ("apps", "deployments"),
            ("apps", "replicasets"),
            ("apps", "statefulsets"),
            ("apps", "daemonsets"),
            ("batch", "jobs"),
            ("batch", "cronjobs"),
            (CORE_GROUP, "replicationcontrollers"),
        )
        for verb in ("create", "update", "patch")
    ),
    ("create", CORE_GROUP, "pods/exec"),
    ("get", CORE_GROUP, "pods/exec"),
    ("create", CORE_GROUP, "pods/attach"),
    ("create", CORE_GROUP, "serviceaccounts/token"),
    ("impersonate", CORE_GROUP, "serviceaccounts"),
)


def _capped(grant: Grant, holder: IamRole) -> bool:
    """An edit that must set the holder's own boundary on the edited role cannot take it past that boundary."""
    required = [v for values in grant.statement.condition_values("iam:PermissionsBoundary").values() for v in values]
    return bool(required) and holder.boundary_arn is not None and set(required) <= {holder.boundary_arn}


def _noted(message: str, *grants: Grant) -> str:
    keys = list(dict.fromkeys(key for grant in grants for key in grant.open_conditions))
    return message + NOTE_OPEN_CONDITIONS.format(keys=", ".join(keys)) if keys else message


def _edits(holder: IamRole, target: IamRole) -> Iterator[str]:
    assert target.arn is not None
    if holder.holds_everything:
        return  # already holds every action (the admin attachment rule reports that): nothing to gain
    for action in ROLE_EDITING:
        found = [g for g in holder.grants(action, target.arn) if not _capped(g, holder)]
        if found:
            path = found[0].statement.path
            if target is holder:
                yield _noted(MSG_EDITS_ITSELF.format(a=holder.name, path=path, action=action), found[0])
            else:
                yield _noted(MSG_EDITS_ROLE.format(a=holder.name, b=target.name, path=path, action=action), found[0])
            return
    for arn in target.attached_policy_arns:
        for action in POLICY_VERSIONING:
            found = holder.grants(action, arn)
            if found:
                message = MSG_EDITS_ITSELF if target is holder else MSG_EDITS_ROLE
                text = message.format(a=holder.name, b=target.name, path=found[0].statement.path, action=action)
                yield _noted(text, found[0])
                return
    trust = holder.grants(TRUST_EDITING, target.arn) if target is not holder else []
    if trust:
        yield _noted(MSG_EDITS_TRUST.format(a=holder.name, b=target.name, path=trust[0].statement.path), trust[0])


def _passes(holder: IamRole, target: IamRole) -> Iterator[str]:
    assert target.arn is not None
    passing = holder.grants(PASSROLE_ACTION, target.arn)
    if not passing:
        return
    for service, runners in CODE_RUNNERS.items():
        to_service = [grant for grant in passing if passes_to(grant, service)]
        if not to_service or not target.trusts_service(service):
            continue
        for action in runners:
            run = holder.grants(action)
            if not run:
                continue
            example = more_privileged(target.actions, holder.actions)
            if example:
                text = MSG_PASSES_ROLE.format(
                    a=holder.name,
                    b=target.name,
                    pass_path=to_service[0].statement.path,
                    service=service,
                    run_path=run[0].statement.path,
                    run_action=action,
                    example=example,
                )
                yield _noted(text, to_service[0], run[0])
                return


def _listed(find: Callable[[IamRole, IamRole], Iterator[str]], holder: IamRole, target: IamRole) -> list[str]:
    return list(find(holder, target))


EDITING_ACTIONS = (*ROLE_EDITING, *POLICY_VERSIONING, TRUST_EDITING)


def _may(holder: IamRole, actions: Sequence[str]) -> bool:
    """Whether the role holds any of the actions on some resource: most roles hold none, and are not paired
    with every other role (the pairs are what costs, in a stack of hundreds of roles)."""
    return any(known(holder.grants, action) for action in actions)


def _iam_paths(roles: Sequence[IamRole]) -> Iterator[tuple[str, str | None]]:
    targets = [role for role in roles if role.arn is not None]
    for holder in roles:
        edits, passes = _may(holder, EDITING_ACTIONS), _may(holder, (PASSROLE_ACTION,))
        for target in targets if edits or passes else ():
            found = (known(_listed, _edits, holder, target) or []) if edits else []
            if passes and target is not holder:
                found += known(_listed, _passes, holder, target) or []
            for message in found:
                yield message, holder.resource.urn


def _fields(rule: PolicyRule) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return rule.verbs, rule.api_groups, rule.resources


def _stronger(target: ServiceAccount, holder: ServiceAccount) -> str | None:
    """What the target holds and the holder does not: an IAM role's action, or an RBAC permission."""
    held = frozenset().union(*(role.actions for role in holder.iam)) if holder.iam else frozenset()
    for role in target.iam:
        if role not in holder.iam:
            example = more_privileged(role.actions, held)
            if example:
                return f"IAM role {role.name!r} ({example})"
    for grant in target.rbac:
        fields = known(_fields, grant.rule)
        verbs, groups, resources = fields if fields is not None else ((), (), ())
        for verb in verbs:
            for group in groups:
                for resource in resources:
                    if holder.can(verb, group, resource, grant.namespace) is None:
                        return f"RBAC {verb} {resource} through {grant.describe()}"
    return None


def _runner(target: ServiceAccount) -> str:
    for resource in target.runners:
        if resource.resource_type != SERVICE_ACCOUNT:
            return f"{resource.resource_type.rsplit(':', 1)[-1]} {resource.name!r}"
    return "any pod created there"


def _kubernetes_paths(accounts: Sequence[ServiceAccount]) -> Iterator[tuple[str, str | None]]:
    by_namespace: dict[str, list[ServiceAccount]] = defaultdict(list)
    for account in accounts:
        by_namespace[account.namespace].append(account)
    for holder in accounts:
        if not holder.rbac:
            continue  # no binding: nothing to run pods with
        scopes = {grant.namespace for grant in holder.rbac}
        reachable = accounts if None in scopes else [a for n in scopes if n for a in by_namespace.get(n, [])]
        for target in reachable:
            if target is holder:
                continue
            for verb, group, resource in RUN_AS:
                grant = holder.can(verb, group, resource, target.namespace)
                if grant is None:
                    continue
                what = _stronger(target, holder)
                if what:
                    message = MSG_RUNS_AS.format(
                        x=holder.key,
                        y=target.key,
                        via=grant.describe(),
                        verb=verb,
                        resource=resource,
                        namespace=target.namespace,
                        runner=_runner(target),
                        what=what,
                    )
                    yield message, grant.binding.urn
                break


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    roles, accounts = stack_identities(resources)
    yield from _iam_paths(roles)
    yield from _kubernetes_paths(accounts)


POLICY = stack_rule(
    name=NAME,
    description="No IAM role or Kubernetes service account of the stack can become a more privileged one "
    "(passing roles to code it runs, editing permissions or trust, running pods as another account).",
    resource_types=(
        *IAM_TYPES,
        POD_IDENTITY_ASSOCIATION,
        SERVICE_ACCOUNT,
        *ROLE_TYPES,
        *BINDING_TYPES,
        *WORKLOAD_TYPES,
    ),
    check=check,
    severity=Severity.CRITICAL,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "kubernetes", "rbac", "privilege-escalation", "stack", "cis-eks:4.1.4"],
    remediation_steps="Break each reported path: scope iam:PassRole to roles no more privileged than the holder, "
    "remove permission and trust editing from workload identities, and do not let a service account create "
    "pods or controllers, exec, mint tokens or impersonate where a more privileged account runs.",
)
