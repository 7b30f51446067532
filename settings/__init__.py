"""Stack settings: the only reader of Pulumi config. It turns a stack's `config:` into frozen, typed objects
and reports every problem at once, each with its key path, before any resource is registered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

# The enums and value types of stack files belong to the components that take them; settings re-exports them.
from components.deployer_identity import Environment, OidcProviderMode
from components.identity import IdentityMode
from components.pods import ComputeResources, HealthChecks, ProbeKind
from components.rollout import Slot

from .crosscheck import cross_check
from .errors import UNKNOWN_KEY, Problem, SettingsError, StackFileError, describe_pydantic_error, join_path
from .model import (
    ALLOWED_ACCOUNT_IDS,
    ALLOWED_REGISTRIES,
    CI,
    CLUSTER,
    DEFAULT_TAGS,
    KNOWN_TOP_LEVEL_KEYS,
    PROJECT,
    ROLLOUT_GATE,
    RUNNER,
    VPC_ENDPOINTS,
    WORKLOADS,
    AccessGrant,
    CiSettings,
    ClusterSettings,
    EgressFlow,
    IngressFlow,
    NodeGroupSettings,
    Rollout,
    RolloutGate,
    StackSettings,
    WorkloadSettings,
)
from .stack_yaml import load_stack_file

__all__ = [
    "PROJECT",
    "AccessGrant",
    "CiSettings",
    "ClusterSettings",
    "ComputeResources",
    "EgressFlow",
    "Environment",
    "HealthChecks",
    "IdentityMode",
    "IngressFlow",
    "NodeGroupSettings",
    "OidcProviderMode",
    "ProbeKind",
    "Problem",
    "Rollout",
    "RolloutGate",
    "SettingsError",
    "Slot",
    "StackFileError",
    "StackSettings",
    "WorkloadSettings",
    "load_settings",
    "parse_config",
    "read_stack_file",
    "stack_file_settings",
]

# Keys whose values are objects or lists; Pulumi hands them to programs as JSON text.
STRUCTURED_KEYS = frozenset(
    {ALLOWED_ACCOUNT_IDS, CLUSTER, WORKLOADS, ALLOWED_REGISTRIES, CI, DEFAULT_TAGS, ROLLOUT_GATE, RUNNER, VPC_ENDPOINTS}
)


def parse_config(config: Mapping[str, Any], source: str = "stack configuration") -> StackSettings:
    """Validate decoded config (full keys such as `nhi-platform:cluster` to Python values)."""
    config = dict(config)
    problems = [
        Problem(key, UNKNOWN_KEY) for key in config if key.startswith(f"{PROJECT}:") and key not in KNOWN_TOP_LEVEL_KEYS
    ]
    settings: StackSettings | None = None
    try:
        # JSON mode keeps strictness (3 is not "3") while accepting enum values as strings.
        settings = StackSettings.model_validate_json(json.dumps(config))
    except ValidationError as error:
        problems += [Problem(join_path(e["loc"]), describe_pydantic_error(e)) for e in error.errors()]
    problems += cross_check(config)
    if problems:
        raise SettingsError(sorted(set(problems), key=_problem_order), source)
    assert settings is not None
    return settings


def _problem_order(problem: Problem) -> tuple[Any, ...]:
    # Sort numerically within lists so that workloads[10] follows workloads[9].
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"\[(\d+)\]", problem.path)), problem.message


def load_settings() -> StackSettings:
    """Read the running stack's config through Pulumi (`pulumi up`, `pulumi preview`, or the preflight)."""
    import pulumi

    present = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())
    config: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in sorted(present):
        namespace, _, name = key.partition(":")
        if namespace not in (PROJECT, "aws") or (namespace == "aws" and key not in KNOWN_TOP_LEVEL_KEYS):
            continue
        raw = pulumi.Config(namespace).get(name)
        if raw is None:
            continue
        if key in STRUCTURED_KEYS:
            try:
                config[key] = json.loads(raw)
            except json.JSONDecodeError:
                problems.append(Problem(key, f"expected a YAML object or list, got {raw!r}"))
        else:
            config[key] = raw
    if problems:
        raise SettingsError(problems, f"stack {pulumi.get_stack()!r}")
    return parse_config(config, f"stack {pulumi.get_stack()!r}")


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file, read in the stack-file YAML dialect (settings.stack_yaml). Raises
    SettingsError (a StackFileError when the file cannot be read as that dialect) naming the file."""
    document = load_stack_file(path)
    if document is None:
        document = {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(str(path), "expected a mapping with a `config:` mapping of keys", key="config")
    return dict(document.get("config") or {})


def stack_file_settings(path: Path) -> StackSettings:
    """Validate a stack file directly (used by `nhi` commands that edit or inspect stack files)."""
    return parse_config(read_stack_file(path), str(path))
