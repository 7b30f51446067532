"""The engine's wire forms of property values, and how the preflight presents them.

Captured inputs keep the form the engine sends to analyzers: unknowns as the unknown sentinel string,
secrets as signed objects. Resource references are lowered to the referenced resource's ID (custom) or
URN (component), as the engine does for plugins that do not accept references."""

from __future__ import annotations

from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRETS_SIG = "1b47061264138c4ac30d75fd1eb44270"  # marks a secret value
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
REDACTED = "[secret]"


def has_references(serialised: bytes) -> bool:
    """Whether a serialised Struct may hold a resource reference or an output value (a string that merely
    contains a signature counts too: the caller then takes the slower, always correct path)."""
    return RESOURCE_SIG.encode() in serialised or OUTPUT_SIG.encode() in serialised


def lower_references(value: Any) -> Any:
    """Replace resource references and output values by plain values, keeping unknowns and secrets."""
    if isinstance(value, list):
        return [lower_references(item) for item in value]
    if not isinstance(value, dict):
        return value
    signature = value.get(SIG_KEY)
    if signature == RESOURCE_SIG:
        reference = value.get("id")
        if reference is None:
            return value.get("urn", UNKNOWN)
        return reference if reference != "" else UNKNOWN
    if signature == OUTPUT_SIG:
        inner = lower_references(value["value"]) if "value" in value else UNKNOWN
        if value.get("secret"):
            return {SIG_KEY: SECRETS_SIG, "value": inner}
        return inner
    return {key: lower_references(item) for key, item in value.items()}


def for_display(value: Any) -> Any:
    """A JSON-friendly copy: secrets redacted, integral numbers as integers, unknowns left as the sentinel."""
    if isinstance(value, list):
        return [for_display(item) for item in value]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRETS_SIG:
            return REDACTED
        return {key: for_display(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def reveal(value: Any) -> Any:
    """A plain Python copy with secrets unwrapped (for manifests written to the user's own disk)."""
    if isinstance(value, list):
        return [reveal(item) for item in value]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRETS_SIG:
            return reveal(value.get("value"))
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def contains_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    return False
