"""One exemption mechanism for every rule.

A resource carries `exempt.policy.nhi-platform.io/<rule-name>: <written reason>`: as a tag on AWS resources
(`tags`), as an annotation on Kubernetes objects (`metadata.annotations`). The pack honours it only when the
environment's pack config sets `allowExemptions: true` for that rule (the default is false, so prod forbids
exemptions by saying nothing) and only with a reason of at least MIN_REASON_LENGTH characters. An honoured
exemption turns the verdict into "not applicable" with the reason, so it stays visible in the engine output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from nhi_rules.contract import EXEMPTION_PREFIX
from nhi_rules.lib.props import get, str_map

MIN_REASON_LENGTH = 15
_PLACEHOLDERS = {"todo", "tbd", "n/a", "na", "none", "exempt", "temporary", "fixme"}

EXEMPTION_FORBIDDEN = " (exemption {key} ignored: this environment's pack config does not allow exemptions)"
EXEMPTION_NO_REASON = (
    " (exemption {key} ignored: write a reason of at least " + str(MIN_REASON_LENGTH) + " characters as its value)"
)


@dataclass(frozen=True)
class Exemption:
    granted: bool
    reason: str = ""
    note: str = ""
    """Appended to violation messages when an exemption was present but not honoured."""


def exemption_key(rule_name: str) -> str:
    return EXEMPTION_PREFIX + rule_name


def exemption_markers(props: Any) -> dict[str, str]:
    """Tags and annotations of a resource; unknown ones count as absent (an exemption must be readable)."""
    markers: dict[str, str] = {}
    for path in (("tags",), ("metadata", "annotations")):
        try:
            markers.update(str_map(get(props, *path)))
        except UnknownValueError:
            continue
    return markers


def find_exemption(props: Any, rule_name: str, allowed: bool) -> Exemption:
    key = exemption_key(rule_name)
    reason = exemption_markers(props).get(key)
    if reason is None:
        return Exemption(False)
    if not allowed:
        return Exemption(False, note=EXEMPTION_FORBIDDEN.format(key=key))
    text = reason.strip()
    if len(text) < MIN_REASON_LENGTH or text.lower() in _PLACEHOLDERS:
        return Exemption(False, note=EXEMPTION_NO_REASON.format(key=key))
    return Exemption(True, reason=text)
