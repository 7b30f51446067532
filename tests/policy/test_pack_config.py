"""The per-environment pack configs: the format `pulumi preview --policy-pack-config` takes, holding only what
differs from each rule's declared defaults (its enforcement level and its config schema's defaults)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import jsonschema
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

from nhi.preflight.pack_config import level_name, load_pack_config, resolve_policy_config
from nhi_rules.lib.rule import ALLOW_EXEMPTIONS
from nhi_rules.registry import RULES
from tests.policy.harness import POLICY_DIR
from tests.policy.pack_settings import ENVIRONMENTS, LEVEL, config_path, declared, effective_in, load_config

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
BY_NAME = {rule.name: rule for rule in RULES}
SETTINGS_BEFORE = Path(__file__).parent / "data" / "effective_settings_fa805c1.json"
"""Every setting each rule had in each environment when the configs still restated every default (fa805c1),
as `nhi preflight` resolved them. A deliberate change of an environment's settings, or of a default that an
environment keeps, changes this file in the same commit, so that the review sees what each environment gets."""


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_config_names_only_rules_with_valid_settings(env: str) -> None:
    config = load_config(env)
    assert "all" not in config, "`all` would override every rule's declared level, named in the config or not"
    assert set(config) - set(BY_NAME) == set(), "unknown policy names"
    for name, entry in config.items():
        assert isinstance(entry, dict), f"{name}: an object of the settings that differ from the defaults"
        assert entry.get(LEVEL, "mandatory") in LEVELS
        properties = {key: value for key, value in entry.items() if key != LEVEL}
        schema = {"type": "object", "properties": BY_NAME[name].config_properties, "additionalProperties": False}
        jsonschema.validate(properties, schema)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_config_holds_only_what_differs_from_the_declared_defaults(env: str) -> None:
    for name, entry in load_config(env).items():
        defaults = declared(BY_NAME[name])
        restated = sorted(key for key, value in entry.items() if defaults.get(key) == value)
        assert entry, f"{env}: {name} has an empty entry"
        assert restated == [], f"{env}: {name} restates its defaults {restated}: remove them"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_rule_keeps_the_settings_the_full_configs_gave_it(env: str) -> None:
    before = json.loads(SETTINGS_BEFORE.read_text())[env]
    now = effective_in(env)
    changed = {name: (settings, now.get(name)) for name, settings in before.items() if now.get(name) != settings}
    assert changed == {}, f"{env}: (before, now) per rule"


@pytest.fixture(scope="module")
def analyzer_info() -> Iterator[Any]:
    """The pack's own answer to GetAnalyzerInfo: each rule's declared level and config schema, as the engine
    and `nhi preflight` read them before they resolve a config file."""
    process = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=POLICY_DIR, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        yield info
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_preflight_resolves_each_config_as_the_engine_does(analyzer_info: Any, env: str) -> None:
    resolved = resolve_policy_config(analyzer_info, load_pack_config(config_path(env)), POLICY_DIR)
    settings = {name: {LEVEL: level_name(entry.level), **entry.properties} for name, entry in resolved.items()}
    assert settings == effective_in(env)


def test_prod_blocks_everything_and_forbids_exemptions() -> None:
    for name, settings in effective_in("prod").items():
        assert settings[LEVEL] == "mandatory", name
        assert settings[ALLOW_EXEMPTIONS] is False, name


def test_dev_warns_where_prod_blocks() -> None:
    advisory = {name for name, settings in effective_in("dev").items() if settings[LEVEL] == "advisory"}
    assert advisory, "dev should warn where prod blocks"
    assert {"kubernetes-pod-enforce-security-standards", "iam-policy-disallow-wildcard-actions"} & advisory == set()


def test_pack_starts_and_prints_its_port() -> None:
    process = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=POLICY_DIR, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        assert line.isdigit() and 0 < int(line) < 65536, line
    finally:
        process.terminate()
        process.wait(timeout=10)
