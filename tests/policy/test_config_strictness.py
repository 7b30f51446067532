"""Prod is at least as strict as staging, and staging as dev, for every rule, whether a config names it or not:
its enforcement level, and each setting whose name tells which way is stricter.

Levels, least to most strict: disabled (not run) < advisory (reported, never blocks) < mandatory = remediate.
Remediate ranks with mandatory: the SDK fixes what the rule's remediation can and reports what is left as
mandatory, so neither lets a violation through (and our rules only validate: for them it is mandatory).

Settings, by the naming convention of rule configs:
- a boolean `allow...` loosens when true (allowExemptions, allowPublicCidrs); `require...` tightens when true;
- an integer `min...` tightens as it grows (minRetentionDays), `max...` as it shrinks;
- a list `allowed...` tightens as it shrinks: a stricter environment allows a subset.
Settings that name each environment's own things (UNORDERED) have no order; any other setting that differs
between environments must follow the convention, so that this test can judge it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.policy.pack_settings import ENVIRONMENTS, LEVEL, Settings, effective_in

LEVEL_STRICTNESS = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}
UNORDERED = {"breakGlassPrincipalArns": "each environment lists its own deploy role"}


def at_least_as_strict(key: str, stricter: Any, looser: Any) -> bool | None:
    """Whether `stricter` is at least as strict as `looser` for the setting `key`; None: no known direction."""
    if key == LEVEL:
        return LEVEL_STRICTNESS[stricter] >= LEVEL_STRICTNESS[looser]
    if isinstance(stricter, bool) and isinstance(looser, bool):
        if key.startswith("allow"):
            return looser or not stricter
        if key.startswith("require"):
            return stricter or not looser
        return None
    if isinstance(stricter, int) and isinstance(looser, int):
        if key.startswith("min"):
            return stricter >= looser
        if key.startswith("max"):
            return stricter <= looser
        return None
    if isinstance(stricter, list) and isinstance(looser, list) and key.startswith("allowed"):
        return all(element in looser for element in stricter)
    return None


def looser_settings(stricter_env: dict[str, Settings], looser_env: dict[str, Settings]) -> list[str]:
    """The settings where the environment meant to be stricter is looser than the other."""
    return [
        f"{rule}.{key}: {value!r} is looser than {looser_env[rule][key]!r}"
        for rule, settings in stricter_env.items()
        for key, value in settings.items()
        if at_least_as_strict(key, value, looser_env[rule][key]) is False
    ]


@pytest.mark.parametrize(("looser", "stricter"), [("dev", "staging"), ("staging", "prod")])
def test_each_environment_is_at_least_as_strict_as_the_one_before(looser: str, stricter: str) -> None:
    assert looser_settings(effective_in(stricter), effective_in(looser)) == []


def test_every_setting_that_differs_between_environments_has_a_direction() -> None:
    settings = {env: effective_in(env) for env in ENVIRONMENTS}
    undirected = {
        f"{rule}.{key}"
        for rule, prod in settings["prod"].items()
        for key, value in prod.items()
        if len({repr(settings[env][rule][key]) for env in ENVIRONMENTS}) > 1
        and key not in UNORDERED
        and at_least_as_strict(key, value, value) is None
    }
    assert undirected == set(), "name these settings by the convention above, or list them in UNORDERED"


def test_a_looser_setting_in_the_stricter_environment_is_caught() -> None:
    prod = effective_in("prod")
    weaker = copy.deepcopy(prod)
    weaker["iam-role-disallow-public-trust"][LEVEL] = "advisory"
    weaker["cloudwatch-loggroup-require-retention"]["minRetentionDays"] = 30
    weaker["kms-key-require-rotation"]["allowExemptions"] = True
    weaker["eks-addon-require-network-policy"]["requireStrictMode"] = False
    weaker["eks-nodegroup-limit-update-disruption"]["maxUnavailable"] = 3
    weaker["iam-role-enforce-github-oidc-trust"]["allowedRepositories"].append("someone/else")
    weaker["iam-policy-disallow-admin-attachment"]["breakGlassPrincipalArns"].append("arn:aws:iam::1:role/x")

    assert sorted(looser_settings(weaker, prod)) == [
        "cloudwatch-loggroup-require-retention.minRetentionDays: 30 is looser than 365",
        "eks-addon-require-network-policy.requireStrictMode: False is looser than True",
        "eks-nodegroup-limit-update-disruption.maxUnavailable: 3 is looser than 1",
        "iam-role-disallow-public-trust.enforcementLevel: 'advisory' is looser than 'mandatory'",
        "iam-role-enforce-github-oidc-trust.allowedRepositories: "
        "['acme/nhi-platform', 'someone/else'] is looser than ['acme/nhi-platform']",
        "kms-key-require-rotation.allowExemptions: True is looser than False",
    ]
    assert looser_settings(prod, weaker) == [], "the original is at least as strict as every loosened copy"
