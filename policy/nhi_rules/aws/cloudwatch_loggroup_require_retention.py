"""Log groups keep logs at least as long as investigations need, with an explicit retention."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_int, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "cloudwatch-loggroup-require-retention"

MSG_RETENTION_OMITTED = (
    "retentionInDays is not set (logs never expire, by accident): set retentionInDays to at least {minimum}"
)
MSG_RETENTION_SHORT = "retentionInDays is {value}: set it to at least {minimum}"

CONFIG = {
    "minRetentionDays": {
        "type": "integer",
        "minimum": 1,
        "default": 365,
        "description": "Shortest accepted retention in days (0 = never expire is accepted when explicit); "
        "environments that keep logs for less say so in their config.",
    },
}


def check(subject: Subject) -> Iterator[str]:
    minimum = subject.config["minRetentionDays"]
    value = as_int(get(subject.props, "retentionInDays"))
    if value is None:
        yield MSG_RETENTION_OMITTED.format(minimum=minimum)
    elif value != 0 and value < minimum:
        yield MSG_RETENTION_SHORT.format(value=value, minimum=minimum)


POLICY = resource_rule(
    name=NAME,
    description="CloudWatch log groups set an explicit retention of at least the configured number of days.",
    resource_types=("aws:cloudwatch/logGroup:LogGroup",),
    check=check,
    severity=Severity.LOW,
    framework=cis_eks("2.1.2", "Ensure audit logs are collected and managed"),
    tags=["aws", "logging", "detective"],
    remediation_steps="Set retentionInDays to at least the configured minimum (365 days unless configured).",
    config=CONFIG,
)
