"""The VPC CNI add-on enforces Kubernetes NetworkPolicies (otherwise they are silently ignored)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_bool, as_str, get, is_map
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-addon-require-network-policy"

MSG_NO_CONFIGURATION = (
    "configurationValues is not set on the vpc-cni add-on, so NetworkPolicies are not enforced: "
    'set configurationValues=\'{{"enableNetworkPolicy": "true"}}\''
)
MSG_INVALID_JSON = "configurationValues of the vpc-cni add-on is not a JSON object: fix the JSON"
MSG_DISABLED = 'configurationValues.enableNetworkPolicy is not "true": set it to "true"'
MSG_NOT_STRICT = (
    "configurationValues.env.NETWORK_POLICY_ENFORCING_MODE is {mode!r}: set it to 'strict' so new "
    "pods get no traffic before their policies resolve"
)

CONFIG = {
    "requireStrictMode": {
        "type": "boolean",
        "default": True,
        "description": "Also require env.NETWORK_POLICY_ENFORCING_MODE='strict' (default-deny for new pods).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    if as_str(get(subject.props, "addonName")) != "vpc-cni":
        return
    raw = get(subject.props, "configurationValues")
    if raw is None:
        yield MSG_NO_CONFIGURATION.format()
        return
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        values = None
    if not is_map(values):
        yield MSG_INVALID_JSON
        return
    if as_bool(get(values, "enableNetworkPolicy")) is not True:
        yield MSG_DISABLED
    mode = as_str(get(values, "env", "NETWORK_POLICY_ENFORCING_MODE")) or "standard"
    if subject.config["requireStrictMode"] and mode != "strict":
        yield MSG_NOT_STRICT.format(mode=mode)


POLICY = resource_rule(
    name=NAME,
    description="The vpc-cni add-on enables network policy enforcement (enableNetworkPolicy).",
    resource_types=("aws:eks/addon:Addon",),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("5.4.4", "Ensure Network Policy is Enabled and set as appropriate"),
    tags=["aws", "eks", "network", "eks-bp:BP-NET-01"],
    remediation_steps='Set configurationValues to JSON with enableNetworkPolicy: "true" and '
    'env.NETWORK_POLICY_ENFORCING_MODE: "strict" (unless the config sets requireStrictMode=false).',
    config=CONFIG,
)
