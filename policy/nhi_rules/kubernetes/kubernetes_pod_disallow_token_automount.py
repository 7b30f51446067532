"""Pods do not mount a Kubernetes API token unless they call the API (AWS credentials come separately)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import SERVICE_ACCOUNT, WORKLOAD_TYPES, pod_template
from nhi_rules.lib.props import as_bool, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-pod-disallow-token-automount"

MSG_POD_AUTOMOUNT = (
    "{path}.automountServiceAccountToken is not false: set it to false (IRSA and Pod Identity "
    "inject their own token; the Kubernetes API token is only for pods that call the API)"
)
MSG_SA_AUTOMOUNT = "automountServiceAccountToken is not false on the ServiceAccount: set it to false"


def check(subject: Subject) -> Iterator[str]:
    if subject.type == SERVICE_ACCOUNT:
        if as_bool(get(subject.props, "automountServiceAccountToken")) is not False:
            yield MSG_SA_AUTOMOUNT
        return
    template = pod_template(subject.type, subject.props)
    if template is not None and as_bool(get(template.spec, "automountServiceAccountToken")) is not False:
        yield MSG_POD_AUTOMOUNT.format(path=template.path)


POLICY = resource_rule(
    name=NAME,
    description="Pod templates and service accounts disable Kubernetes API token automounting.",
    resource_types=(*WORKLOAD_TYPES, SERVICE_ACCOUNT),
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks("4.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
    tags=["kubernetes", "identity", "nhi"],
    remediation_steps="Set automountServiceAccountToken=false on the ServiceAccount and the pod spec; exempt "
    "(with a reason) the few pods that call the Kubernetes API.",
)
