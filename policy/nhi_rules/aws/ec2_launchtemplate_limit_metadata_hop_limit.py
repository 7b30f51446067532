"""The IMDS PUT hop limit keeps pods (one hop further) away from the node's credentials."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_int, as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-launchtemplate-limit-metadata-hop-limit"
TYPES = ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance")

MSG_HOP_OMITTED = (
    "metadataOptions.httpPutResponseHopLimit is not set and EKS AMIs default to 2, which lets pods "
    "reach the node role: set it to {limit}"
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


def check(subject: Subject) -> Iterator[str]:
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
    description="Launch templates and instances limit the IMDS hop count to 1 so pods cannot use the node role.",
    resource_types=TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-10", "Restrict access to the instance profile assigned to the worker node"),
    tags=["aws", "ec2", "nodes", "imds"],
    remediation_steps="Set metadataOptions.httpPutResponseHopLimit=1.",
    config=CONFIG,
)
