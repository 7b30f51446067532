"""Admission policies fail closed and their bindings deny.

A ValidatingAdmissionPolicy with `failurePolicy: Ignore` admits a request whenever its CEL errors or its
parameter cannot be read, which an attacker can provoke; a binding whose `validationActions` lack `Deny` only
warns or audits. Either way the allow-list the cluster was meant to enforce becomes a report. Advisory by
default (a policy may be rolled out in Audit first); mandatory in prod's pack config.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from nhi_rules.lib.admission import ADMISSION_BINDING, ADMISSION_POLICY, IGNORE, denies
from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get, strings
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-admissionpolicy-require-fail-closed"

MSG_FAILS_OPEN = (
    "spec.failurePolicy is Ignore: a request is admitted whenever the policy cannot be evaluated; set "
    "failurePolicy: Fail (the default)"
)
MSG_NO_DENY = (
    "spec.validationActions is {actions}: a failed validation only warns or audits; add Deny "
    "(validationActions: [Deny, Audit])"
)


def check(subject: Subject) -> Iterator[str]:
    if subject.type == ADMISSION_POLICY:
        if as_str(get(subject.props, "spec", "failurePolicy")) == IGNORE:
            yield MSG_FAILS_OPEN
    elif not denies(subject.props):
        yield MSG_NO_DENY.format(actions=strings(get(subject.props, "spec", "validationActions")) or "not set")


POLICY = resource_rule(
    name=NAME,
    description="ValidatingAdmissionPolicies fail closed (failurePolicy Fail) and their bindings deny.",
    resource_types=(ADMISSION_POLICY, ADMISSION_BINDING),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IMG-04", "Use an admission controller to allow only images from trusted sources"),
    tags=["kubernetes", "admission"],
    remediation_steps="Leave failurePolicy unset or set it to Fail on every ValidatingAdmissionPolicy, and give "
    "every binding validationActions [Deny, Audit].",
    enforcement_level=EnforcementLevel.ADVISORY,
)
