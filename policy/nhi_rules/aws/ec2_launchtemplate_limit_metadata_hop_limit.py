"""The IMDS PUT hop limit keeps containers (pods, one network hop further) away from the instance's credentials.

Launch templates are judged whatever uses them: EKS node groups take theirs from one, and a template is where the
hop limit of every instance it starts is set. A plain EC2 instance runs no pods, so an instance is judged only when
its tags mark it as a Kubernetes node (`kubernetes.io/cluster/<name>`, `eks:cluster-name`, `eks:nodegroup-name`,
as EKS and self-managed node tooling tag theirs)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_int, as_str, get, is_map
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-launchtemplate-limit-metadata-hop-limit"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
TYPES = (LAUNCH_TEMPLATE, INSTANCE)
NODE_TAG_PREFIXES = ("kubernetes.io/cluster/", "eks:cluster-name", "eks:nodegroup-name")

MSG_HOP_OMITTED = (
    "metadataOptions.httpPutResponseHopLimit is not set and EKS-optimized and container AMIs default to 2, "
    "which lets containers reach the instance's role: set it to {limit}"
)
MSG_HOP_TOO_HIGH = "metadataOptions.httpPutResponseHopLimit is {value}: set it to at most {limit}"

CONFIG = {
    "maxHopLimit": {
        "type": "integer",
        "minimum": 1,
        "default": 1,
        "description": "Highest allowed hop limit (1 keeps pods from the node's instance profile).",
    },
}


def is_kubernetes_node(props: object) -> bool:
    tags = get(props, "tags")  # the keys say it; a tag's value (often an output) is never read
    return is_map(tags) and any(isinstance(key, str) and key.startswith(NODE_TAG_PREFIXES) for key in tags)


def check(subject: Subject) -> Iterator[str]:
    if subject.type == INSTANCE and not is_kubernetes_node(subject.props):
        return  # no pods on it: the default hop limit of 1 (2 on container AMIs) reaches no other workload
    options = get(subject.props, "metadataOptions")
    if as_str(get(options, "httpEndpoint")) == "disabled":
        return
    limit = subject.config["maxHopLimit"]
    value = as_int(get(options, "httpPutResponseHopLimit"))
    if value is None:
        yield MSG_HOP_OMITTED.format(limit=limit)
    elif value > limit:
        yield MSG_HOP_TOO_HIGH.format(value=value, limit=limit)


POLICY = resource_rule(
    name=NAME,
    description="Launch templates and Kubernetes node instances limit the IMDS hop count to 1 so pods cannot use "
    "the node's role.",
    resource_types=TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-10", "Restrict access to the instance profile assigned to the worker node"),
    tags=["aws", "ec2", "nodes", "imds"],
    remediation_steps="Set metadataOptions.httpPutResponseHopLimit=1.",
    config=CONFIG,
)
