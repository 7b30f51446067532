"""Builders that give every rule the same shape: SDK metadata, config with defaults, exemptions, unknowns.

A rule module calls `resource_rule(...)` or `stack_rule(...)` with a `check` generator that yields messages
(built from the module's message constants) and knows nothing of exemptions or config plumbing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from nhi_rules.lib.exemptions import find_exemption

P = ParamSpec("P")
T = TypeVar("T")

ALLOW_EXEMPTIONS = "allowExemptions"
_EXEMPTION_SCHEMA = {
    "type": "boolean",
    "default": False,
    "description": "Honour `exempt.policy.nhi-platform.io/<rule>` tags/annotations that carry a written reason.",
}
CONFIG_INVALID = (
    "pack config `{rule}.{key}` is invalid ({problem}); the default {default!r} was used: fix the config file"
)
CONFIG_UNKNOWN = (
    "pack config `{rule}.{key}` is not a setting of this rule (its settings: {known}), so it changes nothing: "
    "fix its spelling in the config file"
)
# Why the pack checks unknown settings itself: a policy's config schema reaches the engine as `properties` and
# `required` only (pulumi_policy's PolicyConfigSchema and the Analyzer protocol carry nothing else, and the engine
# validates `{type: object, properties, required}`), so `additionalProperties: false` cannot travel and
# `pulumi preview --policy-pack-config` passes a misspelt key through. `nhi preflight` refuses it before the run.


@dataclass(frozen=True)
class Subject:
    """What a resource rule sees: the engine's type token, name, URN, camelCase inputs and its config."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    config: Mapping[str, Any]
    set_aside: list[UnknownValueError] = field(default_factory=list, repr=False, compare=False)
    """Unknown values met in parts judged apart; after the check the verdict is "could not run" if any."""

    def apart(self, judge: Callable[P, Iterable[str]], *args: P.args, **kwargs: P.kwargs) -> Iterator[str]:
        """The messages of `judge(*args, **kwargs)` for one independent part (a container, a document, an
        ingress rule, an element).

        An unknown value inside the part is set aside instead of stopping the rule, so the other parts are still
        judged: a known violation is reported whatever the unknown turns out to be, and with no violation the
        verdict stays "could not run". Only for parts whose verdicts do not depend on each other. The arguments
        are evaluated before: pass the part's container or reader, and let `judge` read the values that may be
        unknown.
        """
        try:
            yield from judge(*args, **kwargs)
        except UnknownValueError as error:
            self.set_aside.append(error)

    def known(self, read: Callable[[], T]) -> T | None:
        """`read()`, or None when it meets an unknown value, which is set aside as in `apart` (for a part whose
        value is needed, not only its messages: an ingress rule read before its CIDRs are compared with others)."""
        try:
            return read()
        except UnknownValueError as error:
            self.set_aside.append(error)
            return None


ResourceCheck = Callable[[Subject], Iterable[str]]
StackCheck = Callable[[Sequence[PolicyResource], Mapping[str, Any]], Iterable[tuple[str, str | None]]]


def _type_ok(value: Any, schema: Mapping[str, Any]) -> str | None:
    """A tiny JSON-schema subset (the engine validates too, but other drivers may not): None when valid."""
    kind = schema.get("type")
    checks: dict[str, Callable[[Any], bool]] = {
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, Mapping),
    }
    if kind in checks and not checks[kind](value):
        return f"expected {kind}, got {type(value).__name__}"
    if "enum" in schema and value not in schema["enum"]:
        return f"expected one of {schema['enum']}, got {value!r}"
    if kind == "integer" and "minimum" in schema and value < schema["minimum"]:
        return f"expected at least {schema['minimum']}, got {value}"
    if kind == "array" and "items" in schema:
        for element in value:
            problem = _type_ok(element, schema["items"])
            if problem:
                return f"an item: {problem}"
    return None


def _normalise(value: Any, schema: Mapping[str, Any]) -> Any:
    """Config numbers travel as protobuf doubles: 365.0 is the integer 365."""
    kind = schema.get("type")
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "array" and isinstance(value, list) and "items" in schema:
        return [_normalise(element, schema["items"]) for element in value]
    return value


def effective_config(rule: str, schema: Mapping[str, Mapping[str, Any]], raw: Any) -> tuple[dict[str, Any], list[str]]:
    """Defaults from the schema overlaid with valid configured values; problems (invalid values, settings the
    rule does not have) as messages."""
    config = {key: prop.get("default") for key, prop in schema.items()}
    problems: list[str] = []
    if isinstance(raw, Mapping):
        known = ", ".join(schema)
        problems += [CONFIG_UNKNOWN.format(rule=rule, key=key, known=known) for key in raw if key not in schema]
        for key, prop in schema.items():
            if key in raw:
                value = _normalise(raw[key], prop)
                problem = _type_ok(value, prop)
                if problem:
                    problems.append(
                        CONFIG_INVALID.format(rule=rule, key=key, problem=problem, default=prop.get("default"))
                    )
                else:
                    config[key] = value
    return config, problems


class _Metadata:
    """Shared by both rule kinds: the SDK metadata plus what the index generator reads."""

    kind: str
    resource_types: tuple[str, ...]
    config_properties: Mapping[str, Mapping[str, Any]]

    def _set_up(
        self, kind: str, resource_types: Sequence[str], check: Any, config: Mapping[str, Mapping[str, Any]] | None
    ) -> PolicyConfigSchema:
        """Record what the index generator reads; return the SDK's config schema (with the exemption switch)."""
        self.kind = kind
        self.resource_types = tuple(resource_types)
        self.config_properties = _schema(config)
        self._check = check
        return PolicyConfigSchema(properties=self.config_properties)


def _schema(config: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    properties = {key: dict(value) for key, value in (config or {}).items()}
    properties[ALLOW_EXEMPTIONS] = dict(_EXEMPTION_SCHEMA)
    return properties


class NhiResourcePolicy(ResourceValidationPolicy, _Metadata):
    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: ResourceCheck,
        severity: Severity,
        framework: PolicyComplianceFramework,
        tags: list[str],
        remediation_steps: str,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    ) -> None:
        schema = self._set_up("resource", resource_types, check, config)
        super().__init__(
            name=name,
            description=description,
            validate=self._validate,
            enforcement_level=enforcement_level,
            config_schema=schema,
            severity=severity,
            framework=framework,
            tags=tags,
            remediation_steps=remediation_steps,
        )

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in self.resource_types:
            return
        config, messages = effective_config(self.name, self.config_properties, args.get_config())
        subject = Subject(args.resource_type, args.name, args.urn, args.props, config)
        pending: UnknownValueError | None = None
        try:
            for message in self._check(subject):
                messages.append(message)
        except UnknownValueError as error:
            pending = error  # report what is already certain, then let the SDK say "could not run"
        if pending is None and subject.set_aside:
            pending = subject.set_aside[0]  # the known parts are judged; the unknown ones still leave it open
        if messages:
            exemption = find_exemption(args.props, self.name, bool(config.get(ALLOW_EXEMPTIONS)))
            if exemption.granted:
                args.not_applicable(f"exempted: {exemption.reason}")
            for message in messages:
                report(message + exemption.note, None)
        if pending is not None:
            raise pending


class NhiStackPolicy(StackValidationPolicy, _Metadata):
    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Sequence[str],
        check: StackCheck,
        severity: Severity,
        framework: PolicyComplianceFramework,
        tags: list[str],
        remediation_steps: str,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    ) -> None:
        schema = self._set_up("stack", resource_types, check, config)
        super().__init__(
            name=name,
            description=description,
            validate=self._validate,
            enforcement_level=enforcement_level,
            config_schema=schema,
            severity=severity,
            framework=framework,
            tags=tags,
            remediation_steps=remediation_steps,
        )

    def _validate(self, args: StackValidationArgs, report: ReportViolation) -> None:
        config, problems = effective_config(self.name, self.config_properties, args.get_config())
        for problem in problems:
            report(problem, None)
        by_urn = {resource.urn: resource for resource in args.resources}
        allowed = bool(config.get(ALLOW_EXEMPTIONS))
        for message, urn in self._check(args.resources, config):
            resource = by_urn.get(urn) if urn else None
            note = ""
            if resource is not None:
                exemption = find_exemption(resource.props, self.name, allowed)
                if exemption.granted:
                    continue  # a stack rule cannot mark one resource "not applicable"; the reason is in the code
                note = exemption.note
            report(message + note, urn)


NhiPolicy = NhiResourcePolicy | NhiStackPolicy
"""A rule of this pack: what a rule module's POLICY is."""


def resource_rule(**kwargs: Any) -> NhiResourcePolicy:
    return NhiResourcePolicy(**kwargs)


def stack_rule(**kwargs: Any) -> NhiStackPolicy:
    return NhiStackPolicy(**kwargs)
