"""Instances launched from the template require IMDSv2 session tokens."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ec2-launchtemplate-require-imdsv2"
TYPES = ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance")

MSG_TOKENS_OMITTED = (
    "metadataOptions.httpTokens is not set and IMDSv1 stays allowed: set metadataOptions.httpTokens='required'"
)
MSG_TOKENS_OPTIONAL = "metadataOptions.httpTokens is {value!r}: set it to 'required' (IMDSv2 only)"


def check(subject: Subject) -> Iterator[str]:
    options = get(subject.props, "metadataOptions")
    if as_str(get(options, "httpEndpoint")) == "disabled":
        return  # no metadata service at all: nothing to steal
    tokens = as_str(get(options, "httpTokens"))
    if tokens is None:
        yield MSG_TOKENS_OMITTED
    elif tokens != "required":
        yield MSG_TOKENS_OPTIONAL.format(value=tokens)


POLICY = resource_rule(
    name=NAME,
    description="Launch templates and instances require IMDSv2 (metadataOptions.httpTokens='required').",
    resource_types=TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-10", "Restrict access to the instance profile assigned to the worker node"),
    tags=["aws", "ec2", "nodes", "imds"],
    remediation_steps=(
        "Set metadataOptions={httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1}."
    ),
)
