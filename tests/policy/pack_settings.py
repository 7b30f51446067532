"""What each rule gets from an environment's pack config: its enforcement level and its properties.

Resolved as the Pulumi engine resolves a `--policy-pack-config` file before it configures a pack
(ReconcilePolicyPackConfig in pulumi's pkg/resource/analyzer/config.go), and as `nhi preflight` does: the
rule's declared level and its schema's defaults, then the file's `all` level, then the file's entry for the
rule (a level string, or an object with an optional `enforcementLevel` and properties). A rule the file does
not name keeps its declared level and defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nhi_rules.lib.rule import NhiPolicy
from nhi_rules.registry import RULES
from tests.policy.harness import POLICY_DIR

ENVIRONMENTS = ("dev", "staging", "prod")
"""From the least to the most strict."""
LEVEL = "enforcementLevel"

Settings = dict[str, Any]
"""One rule's settings, in the config file's own shape: {"enforcementLevel": level, property: value, ...}."""


def load_config(env: str) -> dict[str, Any]:
    return json.loads(config_path(env).read_text())


def config_path(env: str) -> Path:
    return POLICY_DIR / "config" / f"{env}.json"


def declared(rule: NhiPolicy) -> Settings:
    """The settings a rule has when no config names it."""
    assert rule.enforcement_level is not None, "rule.py's builders give every rule a level (mandatory by default)"
    defaults = {key: prop["default"] for key, prop in rule.config_properties.items()}
    return {LEVEL: rule.enforcement_level.value, **defaults}


def effective(config: Mapping[str, Any], rules: Iterable[NhiPolicy] = RULES) -> dict[str, Settings]:
    """Each rule's settings under `config` (the parsed JSON of a pack config file), by rule name."""
    resolved: dict[str, Settings] = {}
    for rule in rules:
        settings = declared(rule)
        pack_wide = _as_entry(config.get("all"))
        if LEVEL in pack_wide:
            settings[LEVEL] = pack_wide[LEVEL]  # `all` sets only the level, never properties
        settings.update(_as_entry(config.get(rule.name)))
        resolved[rule.name] = settings
    return resolved


def _as_entry(value: Any) -> Settings:
    """A config entry as settings: a level string is an entry with only a level."""
    if isinstance(value, str):
        return {LEVEL: value}
    return dict(value) if isinstance(value, Mapping) else {}


def effective_in(env: str) -> dict[str, Settings]:
    return effective(load_config(env))
