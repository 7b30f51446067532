"""Run-time allow-listing: the API server itself admits only the images and identities the stack declares, with no
controller to install (ValidatingAdmissionPolicy, GA since Kubernetes 1.30).

Objects (`<name>` is this component):
- `<name>-allowlist-<ns>`: ConfigMap `nhi-admission-allowlist` in each workload namespace, the parameters: the
  images each declared service account may run, by digest, and the stack-file key of each (`allowlist`).
- `<name>-policy-<policy>`: the ValidatingAdmissionPolicies (cluster-scoped, `failurePolicy: Fail`), CEL in
  `expressions`: the allow-list (images and service account of Pods and every pod template), no
  service-account-token Secrets, and, where `entry` is `DENIED`, no exec, attach or ephemeral containers.
- `<name>-binding-<policy>-<ns>`: one binding per policy and workload namespace (`validationActions: [Deny, Audit]`:
  refused, and recorded in the control-plane audit log), the allow-list's with `paramRef` to the namespace's
  ConfigMap and `parameterNotFoundAction: Deny` (a namespace without its list admits no pod).

System namespaces (kube-system and the others EKS runs its add-ons in) get no binding, and every policy also
excludes them in its own match constraints: they are left to EKS. Kubernetes' `default` namespace, which no
workload uses, is bound like a workload namespace with no list: it admits no pod.

Order: parameters, then policies, then bindings (a binding before its ConfigMap would deny every pod of the
namespace). Each workload's rollout waits for what admits its namespace's pods (`admitting`: the policies, that
namespace's list and bindings), so that a release's new digest is in the list before its Deployment changes (see
docs/admission.md). Only those: a rollout waiting for the whole component would carry every namespace's objects
as dependencies (at 400 workloads, +160 MiB for the preflight and the pack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_kubernetes as k8s

from .. import labels
from ..namespaces import RESERVED_NAMESPACES
from .allowlist import NamespaceAllowList
from .expressions import ALLOWLIST, ALLOWLIST_CONFIGMAP, NO_POD_ENTRY, NO_TOKEN_SECRETS, PolicySpec

FAILURE_POLICY = "Fail"
"""An error or a timeout evaluating a policy refuses the request (fail closed)."""
VALIDATION_ACTIONS = ("Deny", "Audit")
PARAMETER_NOT_FOUND = "Deny"
UNUSED_NAMESPACES = ("default",)
"""Kubernetes' namespaces that no workload of the platform uses: every policy is bound there too, with a list that
does not exist, so nothing runs there (`kubectl run` with a stolen credential lands in `default` unless told
otherwise)."""
SYSTEM_NAMESPACES = tuple(sorted(RESERVED_NAMESPACES - set(UNUSED_NAMESPACES)))
"""Left to EKS: its add-ons run there."""


class PodEntry(str, Enum):
    """Whether anyone may enter a running workload pod (`kubectl exec`, `attach`, `debug`)."""

    ALLOWED = "allowed"
    DENIED = "denied"
    """Immutable workloads: a pod is replaced, never changed or entered."""


@dataclass(frozen=True, kw_only=True)
class AdmissionArgs:
    namespaces: tuple[NamespaceAllowList, ...]
    """The allow-list of every workload namespace."""
    pod_entry: PodEntry = PodEntry.DENIED
    """Exec, attach and ephemeral containers in workload pods. Default: denied."""
    namespace_outputs: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Namespace name -> the name as an output of its Namespace resource (objects wait for it). Default: none."""

    def __post_init__(self) -> None:
        names = [n.namespace for n in self.namespaces]
        problems = [f"{n!r} is a system namespace, left to EKS" for n in names if n in RESERVED_NAMESPACES]
        if len(set(names)) != len(names):
            problems.append(f"namespaces repeat: {names}")
        if problems:
            raise ValueError("admission: " + "; ".join(problems))

    @property
    def policies(self) -> tuple[PolicySpec, ...]:
        entry = (NO_POD_ENTRY,) if self.pod_entry is PodEntry.DENIED else ()
        return (ALLOWLIST, NO_TOKEN_SECRETS, *entry)


def _rules(spec: PolicySpec) -> list[k8s.admissionregistration.v1.NamedRuleWithOperationsArgs]:
    return [
        k8s.admissionregistration.v1.NamedRuleWithOperationsArgs(
            api_groups=[rule.api_group],
            api_versions=["*"],
            resources=list(rule.resources),
            operations=list(rule.operations),
            scope="Namespaced",
        )
        for rule in spec.rules
    ]


def policy_spec(spec: PolicySpec) -> k8s.admissionregistration.v1.ValidatingAdmissionPolicySpecArgs:
    return k8s.admissionregistration.v1.ValidatingAdmissionPolicySpecArgs(
        failure_policy=FAILURE_POLICY,
        param_kind=(
            k8s.admissionregistration.v1.ParamKindArgs(api_version="v1", kind="ConfigMap") if spec.uses_params else None
        ),
        match_constraints=k8s.admissionregistration.v1.MatchResourcesArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_expressions=[
                    k8s.meta.v1.LabelSelectorRequirementArgs(
                        key=labels.NAMESPACE_NAME, operator="NotIn", values=list(SYSTEM_NAMESPACES)
                    )
                ]
            ),
            resource_rules=_rules(spec),
        ),
        variables=[
            k8s.admissionregistration.v1.VariableArgs(name=v.name, expression=v.expression) for v in spec.variables
        ]
        or None,
        validations=[
            k8s.admissionregistration.v1.ValidationArgs(
                expression=v.expression, message_expression=v.message_expression, reason=v.reason
            )
            for v in spec.validations
        ],
    )


class Admission(pulumi.ComponentResource):
    """The allow-list parameters, the policies and their per-namespace bindings. Pass the Kubernetes provider in
    `opts.providers`."""

    parameters: dict[str, k8s.core.v1.ConfigMap]
    policies: dict[str, k8s.admissionregistration.v1.ValidatingAdmissionPolicy]
    bindings: dict[tuple[str, str], k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding]
    """(policy, namespace) -> binding."""
    admitting: dict[str, list[pulumi.Resource]]
    """Namespace -> the objects that decide what its pods may run: what a rollout there waits for."""

    def __init__(self, name: str, args: AdmissionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:admission:Admission", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        managed = {labels.PART_OF: labels.PLATFORM, labels.MANAGED_BY: "pulumi"}
        self.parameters = {
            allow.namespace: k8s.core.v1.ConfigMap(
                f"{name}-allowlist-{allow.namespace}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ALLOWLIST_CONFIGMAP,
                    namespace=args.namespace_outputs.get(allow.namespace, allow.namespace),
                    labels=managed,
                ),
                # Immutable would force a replacement (delete, then create) on every release: a moment with no list.
                data=allow.data(),
                opts=child,
            )
            for allow in args.namespaces
        }
        self.policies = {
            spec.name: k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                f"{name}-policy-{spec.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.name, labels=managed),
                spec=policy_spec(spec),
                opts=child,
            )
            for spec in args.policies
        }
        self.bindings = {}
        bound = [allow.namespace for allow in args.namespaces] + list(UNUSED_NAMESPACES)
        for spec in args.policies:
            for namespace in bound:
                waits_for: list[pulumi.Resource] = [self.policies[spec.name]]
                param_ref = None
                if spec.uses_params:
                    if namespace in self.parameters:  # an unused namespace has none: `parameterNotFoundAction`
                        waits_for.append(self.parameters[namespace])
                    param_ref = k8s.admissionregistration.v1.ParamRefArgs(
                        name=ALLOWLIST_CONFIGMAP, namespace=namespace, parameter_not_found_action=PARAMETER_NOT_FOUND
                    )
                self.bindings[(spec.name, namespace)] = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                    f"{name}-binding-{spec.name}-{namespace}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{spec.name}-{namespace}", labels=managed),
                    spec=k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpecArgs(
                        policy_name=spec.name,
                        validation_actions=list(VALIDATION_ACTIONS),
                        param_ref=param_ref,
                        match_resources=k8s.admissionregistration.v1.MatchResourcesArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={labels.NAMESPACE_NAME: namespace}
                            )
                        ),
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for),
                )
        self.admitting = {
            namespace: [
                *self.policies.values(),
                *([self.parameters[namespace]] if namespace in self.parameters else []),
                *(binding for (_, bound), binding in self.bindings.items() if bound == namespace),
            ]
            for namespace in bound
        }
        self.register_outputs({})
