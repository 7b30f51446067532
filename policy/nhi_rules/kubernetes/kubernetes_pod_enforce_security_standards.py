"""Every pod template meets the Pod Security Standards at the configured level (baseline or restricted)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib import pss
from nhi_rules.lib.frameworks import pss as pss_framework
from nhi_rules.lib.k8s import WORKLOAD_TYPES, PodTemplate, pod_template
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-enforce-security-standards"

# One message per broken control: "[<level>/<control>] <paths>: <fix>".
MSG_CONTROL = "[{level}/{control}] {detail}"
MSG_NO_SPEC = "{path} is not set: a workload needs a pod spec"

CONFIG = {
    "level": {
        "type": "string",
        "enum": list(pss.LEVELS),
        "default": "restricted",
        "description": "Pod Security Standards level every pod template must meet.",
    },
}


def check(subject: Subject) -> Iterator[str]:
    template = pod_template(subject.type, subject.props)
    if template is None:
        return
    if template.spec is None:
        yield MSG_NO_SPEC.format(path=template.path)
        return
    level = subject.config["level"]
    for control in pss.controls(level):
        # Controls are independent: an unknown field one control reads does not hide another's violation.
        yield from subject.apart(_control, template, control, level)


def _control(template: PodTemplate, control: str, level: str) -> Iterator[str]:
    paths = pss.offending_paths(template, control, level)
    if paths:
        detail = pss.MESSAGES[control].format(paths=", ".join(paths[:5]) + (" ..." if len(paths) > 5 else ""))
        yield MSG_CONTROL.format(level=level, control=control, detail=detail)


POLICY = resource_rule(
    name=NAME,
    description="Pod templates of every workload kind meet the Pod Security Standards (baseline or restricted).",
    resource_types=WORKLOAD_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=pss_framework("restricted", "Pod Security Standards, one violation per broken control"),
    tags=["kubernetes", "pod-security", "cis-eks:4.2", "eks-bp:BP-POD"],
    remediation_steps="Fix each control named in the messages; at restricted: runAsNonRoot, no privilege escalation, "
    "drop ALL capabilities, seccomp RuntimeDefault, restricted volume types.",
    config=CONFIG,
)
