"""The per-environment pack configs: the format `pulumi preview --policy-pack-config` takes, valid settings."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from nhi_rules.registry import POLICIES
from tests.policy.harness import POLICY_DIR

ENVIRONMENTS = ("dev", "staging", "prod")
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
BY_NAME = {policy.name: policy for policy in POLICIES}


def _load(env: str) -> dict:
    return json.loads((POLICY_DIR / "config" / f"{env}.json").read_text())


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_config_names_only_policies_and_valid_settings(env: str) -> None:
    config = _load(env)
    assert config.pop("all") in LEVELS
    assert set(config) - set(BY_NAME) == set(), "unknown policy names"
    for name, value in config.items():
        if isinstance(value, str):
            assert value in LEVELS
            continue
        assert value.get("enforcementLevel", "mandatory") in LEVELS
        properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        schema = {"type": "object", "properties": BY_NAME[name].config_properties, "additionalProperties": False}
        jsonschema.validate(properties, schema)


def test_prod_blocks_everything_and_forbids_exemptions() -> None:
    prod = _load("prod")
    assert prod["all"] == "mandatory"
    for name in BY_NAME:
        assert prod[name]["enforcementLevel"] == "mandatory", name
        assert prod[name]["allowExemptions"] is False, name


def test_dev_warns_where_prod_blocks() -> None:
    dev = _load("dev")
    advisory = {
        name for name, value in dev.items() if isinstance(value, dict) and value["enforcementLevel"] == "advisory"
    }
    assert advisory, "dev should warn where prod blocks"
    assert {"kubernetes-pod-enforce-security-standards", "iam-policy-disallow-wildcard-actions"} & advisory == set()


def test_pack_starts_and_prints_its_port() -> None:
    process = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=POLICY_DIR, stdout=subprocess.PIPE)
    try:
        line = process.stdout.readline().decode().strip()
        assert line.isdigit() and 0 < int(line) < 65536, line
    finally:
        process.terminate()
        process.wait(timeout=10)
