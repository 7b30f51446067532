"""Every service-account binding points at a role of this stack whose trust policy names that account."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE
from nhi_rules.lib.k8s import SERVICE_ACCOUNT
from nhi_rules.lib.props import as_str
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import (
    POD_IDENTITY_ASSOCIATION,
    RoleIndex,
    bindings,
    by_type,
    known_at,
    trusted_subjects,
)

NAME = "eks-identity-require-matching-trust"

MSG_ROLE_NOT_IN_STACK = (
    "{kind} binding of {subject} points at {role!r}, which is not a role of this stack: create "
    "the role here so its trust policy is reviewed with the binding"
)
MSG_TRUST_MISMATCH = (
    "{kind} binding of {subject} uses role {role!r}, whose trust policy names {trusted}: scope the "
    "trust to system:serviceaccount:{namespace}:{account} (IRSA) or the RequestTag conditions "
    "(Pod Identity)"
)
MSG_NO_SERVICE_ACCOUNT = (
    "Pod Identity association for {subject} names a ServiceAccount that this stack does not "
    "create: create it here (with automountServiceAccountToken: false)"
)

CONFIG = {
    "requireServiceAccountInStack": {
        "type": "boolean",
        "default": True,
        "description": "A Pod Identity association's ServiceAccount must be created by the same stack.",
    },
}


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    roles = RoleIndex(index.get(ROLE, []))
    accounts = set()
    for account in index.get(SERVICE_ACCOUNT, []):
        namespace = known_at(as_str, account.props, "metadata", "namespace")
        name = known_at(as_str, account.props, "metadata", "name")
        if namespace and name:
            accounts.add(f"{namespace}/{name}")
    for binding in bindings(index, roles):
        kind = "Pod Identity" if binding.kind == "pod-identity" else "IRSA"
        if (
            binding.kind == "pod-identity"
            and config["requireServiceAccountInStack"]
            and binding.subject not in accounts
        ):
            yield MSG_NO_SERVICE_ACCOUNT.format(subject=binding.subject), binding.resource.urn
        if binding.role is None:
            if not binding.role_ref.startswith("("):
                yield (
                    MSG_ROLE_NOT_IN_STACK.format(kind=kind, subject=binding.subject, role=binding.role_ref),
                    binding.resource.urn,
                )
            continue
        trusted = trusted_subjects(binding.role)
        if trusted is None:
            continue  # trust policy unknown during preview: judged when known
        if binding.subject not in trusted:
            yield (
                MSG_TRUST_MISMATCH.format(
                    kind=kind,
                    subject=binding.subject,
                    role=binding.role.name,
                    trusted=sorted(trusted) or "no service account",
                    namespace=binding.namespace,
                    account=binding.service_account,
                ),
                binding.resource.urn,
            )


POLICY = stack_rule(
    name=NAME,
    description="Pod Identity associations and IRSA annotations point at in-stack roles whose trust names the account.",
    resource_types=(ROLE, POD_IDENTITY_ASSOCIATION, SERVICE_ACCOUNT),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-11", "Scope the IAM Role trust policy to the service account"),
    tags=["aws", "iam", "kubernetes", "nhi", "stack", "irsa", "pod-identity"],
    remediation_steps="Create the role, the ServiceAccount and the binding in one stack; the role's trust names the "
    "service account exactly.",
    config=CONFIG,
)
