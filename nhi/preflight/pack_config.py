"""The JSON that `pulumi preview --policy-pack-config FILE` takes, resolved per policy as the engine does:
the policy's own level, then the pack's initial config, then the file (`all` first, then the policy by
name); properties get the schema's defaults and are validated against the policy's config schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format

from .errors import PreflightError

LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
LEVEL_REMEDIATE = LEVELS["remediate"]
_NAMES = {value: name for name, value in LEVELS.items()}


def level_name(value: int) -> str:
    return _NAMES.get(value, "advisory")


@dataclass(frozen=True)
class PolicyPackConfig:
    path: Path
    entries: dict[str, Any]


@dataclass(frozen=True)
class ResolvedPolicyConfig:
    level: int
    properties: dict[str, Any]


def load_pack_config(path: Path) -> PolicyPackConfig:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PreflightError(f"Policy pack config {path} does not exist.") from None
    except UnicodeDecodeError as error:
        raise PreflightError(f"Policy pack config {path} is not UTF-8 text: {error.reason}.") from None
    except OSError as error:  # a directory, no permission
        raise PreflightError(f"Policy pack config {path} cannot be read: {error.strerror or error}.") from None
    except json.JSONDecodeError as error:
        raise PreflightError(f"Policy pack config {path} is not valid JSON: {error}.") from None
    if not isinstance(entries, dict):
        raise PreflightError(f"Policy pack config {path}: expected a JSON object of policy names to levels or objects.")
    for key, value in entries.items():
        _split(value, f"{path}: {key!r}")
    return PolicyPackConfig(path, entries)


def _split(value: Any, where: str) -> tuple[int | None, dict[str, Any]]:
    """An entry is a level string, or an object with an optional `enforcementLevel` and properties."""
    if isinstance(value, str):
        if value not in LEVELS:
            raise PreflightError(f"{where}: expected one of {', '.join(LEVELS)}, got {value!r}.")
        return LEVELS[value], {}
    if isinstance(value, dict):
        properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        level = value.get("enforcementLevel")
        if level is None:
            return None, properties
        if level not in LEVELS:
            raise PreflightError(f"{where}.enforcementLevel: expected one of {', '.join(LEVELS)}, got {level!r}.")
        return LEVELS[level], properties
    raise PreflightError(f"{where}: expected a level string or an object, got {type(value).__name__}.")


def resolve_policy_config(
    info: Any, pack_config: PolicyPackConfig | None, directory: Path
) -> dict[str, ResolvedPolicyConfig]:
    """Per-policy level and properties for the Configure call, as the engine reconciles them
    (pulumi/pulumi pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig). Raises PreflightError where the
    engine refuses: a policy's properties that do not match its schema, a name the pack does not have that
    carries no enforcement level."""
    names = {p.name for p in info.policies}
    initial = {
        key: json_format.MessageToDict(value, preserving_proto_field_name=True)
        for key, value in info.initialConfig.items()
    }
    file_entries = pack_config.entries if pack_config else {}
    _check_unknown_names(file_entries, names, pack_config)
    resolved: dict[str, ResolvedPolicyConfig] = {}
    for policy in info.policies:
        level: int = policy.enforcementLevel
        properties = _schema_defaults(policy)
        for source, entries in (("initial config", _initial_as_entries(initial)), ("config file", file_entries)):
            for key in ("all", policy.name):
                if key in entries:
                    entry_level, entry_properties = _split(entries[key], f"{source} {key!r}")
                    level = entry_level if entry_level is not None else level
                    if key == policy.name:
                        properties.update(entry_properties)
        _validate(policy, properties, pack_config, directory)
        resolved[policy.name] = ResolvedPolicyConfig(level, properties)
    for key in sorted(set(file_entries) - names - {"all"}):  # sent on, as the engine sends them
        extra_level, extra_properties = _split(file_entries[key], key)  # a level: refused above without one
        resolved[key] = ResolvedPolicyConfig(extra_level if extra_level is not None else 0, extra_properties)
    return resolved


def _check_unknown_names(entries: dict[str, Any], names: set[str], pack_config: PolicyPackConfig | None) -> None:
    """A name the pack does not have is accepted as the engine accepts it: `applyConfig` copies every entry
    into the reconciled config (unknown names included) and the pack ignores what it does not know. Only an
    entry the engine cannot send is refused: with no enforcement level it fails the engine's Configure
    (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go: `invalid enforcement level ""`)."""
    for key in sorted(set(entries) - names - {"all"}):
        level, _ = _split(entries[key], key)
        if level is None:
            where = pack_config.path if pack_config else ""
            raise PreflightError(
                f"Policy pack config {where}: {key!r} is not a policy of this pack and has no enforcementLevel; "
                '`pulumi preview` refuses it (invalid enforcement level ""). '
                f"Its policies: {', '.join(sorted(names))}."
            )


def _initial_as_entries(initial: dict[str, Any]) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for key, value in initial.items():
        entry = dict(value.get("properties") or {})
        if "enforcementLevel" in value:
            level = value["enforcementLevel"]
            entry["enforcementLevel"] = level.lower() if isinstance(level, str) else level_name(level)
        entries[key] = entry
    return entries


def _schema(policy: Any) -> dict[str, Any] | None:
    if not policy.HasField("configSchema"):
        return None
    schema = json_format.MessageToDict(policy.configSchema)
    # Stricter than the engine, which passes a misspelt key through (a schema cannot carry additionalProperties).
    return {
        "type": "object",
        "properties": schema.get("properties", {}),
        "required": schema.get("required", []),
        "additionalProperties": False,
    }


def _schema_defaults(policy: Any) -> dict[str, Any]:
    schema = _schema(policy) or {}
    return {
        key: spec["default"]
        for key, spec in schema.get("properties", {}).items()
        if isinstance(spec, dict) and "default" in spec
    }


def _validate(policy: Any, properties: dict[str, Any], pack_config: PolicyPackConfig | None, directory: Path) -> None:
    schema = _schema(policy)
    if schema is None:
        # The engine validates only policies with a schema (validatePolicyPackConfig: `if policy.ConfigSchema
        # == nil { continue }`); the properties reach the pack, which reads them with `args.get_config()`.
        return
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(properties), key=lambda e: list(e.path))
    if errors:
        where = pack_config.path if pack_config else directory
        lines = "; ".join(f"{'.'.join(map(str, e.path)) or '(properties)'}: {e.message}" for e in errors)
        raise PreflightError(f"{where}: configuration of policy {policy.name!r} is invalid: {lines}.")
