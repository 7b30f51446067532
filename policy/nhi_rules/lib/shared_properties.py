"""Convert a resource's properties once per Analyze call, not once per policy.

pulumi_policy 1.21.0 turns the request's protobuf properties into Python values (MessageToDict, then
deserialisation, then the unknown-checking proxy) inside its loop over policies: with 50 policies that is
50 identical conversions per resource, most of the pack's cost (measured: 0.08 ms each, ~4 ms of ~6 ms
per resource on the prod stack). Within one Analyze or AnalyzeStack call this memoises the three steps by
the identity of their argument, so every policy reads the same converted value. Rules only read their
properties (tests/policy/test_shared_properties.py checks it), so sharing is safe. AnalyzeStack likewise
builds the stack's resources once for all stack policies, not once per stack policy.

The patch touches only names the SDK looks up at call time, is applied only to the SDK version it was
written against, and is off when NHI_POLICY_SHARED_PROPERTIES=0 (for comparing verdicts). It also runs the
SDK's per-call runtime configuration (which re-parses the whole stack config) once per environment."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

SUPPORTED_SDK_VERSION = "1.21.0"
SWITCH = "NHI_POLICY_SHARED_PROPERTIES"

_scope = threading.local()


def _memoised(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call(argument: Any, *rest: Any, **options: Any) -> Any:
        memo: dict[tuple[int, int], tuple[Any, Any]] | None = getattr(_scope, "memo", None)
        if memo is None or rest or options:
            return function(argument, *rest, **options)
        key = (id(function), id(argument))
        hit = memo.get(key)
        if hit is not None and hit[0] is argument:
            return hit[1]
        result = function(argument)
        memo[key] = (argument, result)  # the argument is kept alive for the call, so its id is not reused
        return result

    return call


def _memoised_method(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The same for the servicer's per-request helpers (resource options, provider), keyed by the request."""
    memoised = _memoised(lambda pair: method(*pair))

    def call(self: Any, request: Any) -> Any:
        if getattr(_scope, "memo", None) is None:
            return method(self, request)
        pairs: dict[int, tuple[Any, Any]] = _scope.__dict__.setdefault("pairs", {})
        pair = pairs.setdefault(id(request), (self, request))  # one tuple per request: a stable memo key
        return memoised(pair)

    return call


# What the SDK's per-call runtime configuration reads; a process's environment does not change under it.
_RUNTIME_ENVIRONMENT = ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")


def _once_per_environment(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The SDK re-parses PULUMI_CONFIG (the whole stack config, JSON) and reconfigures the runtime on every
    Analyze call: ~0.5 ms per resource for a large stack. Do it again only when those variables change."""
    seen: dict[str, Any] = {"key": None}
    lock = threading.Lock()

    def call(self: Any) -> Any:
        import os as environment

        key = tuple(environment.environ.get(name) for name in _RUNTIME_ENVIRONMENT)
        with lock:
            if seen["key"] == key:
                return None
            result = method(self)
            seen["key"] = key
            return result

    return call


class _JsonFormat:
    """Stands in for google.protobuf.json_format inside pulumi_policy.policy, memoising MessageToDict."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.MessageToDict = _memoised(real.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _scoped(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, request: Any, context: Any) -> Any:
        _scope.memo, _scope.pairs = {}, {}
        try:
            return method(self, request, context)
        finally:
            _scope.memo, _scope.pairs = None, None

    return call


def _stack_resources(servicer: Any, request: Any, sdk: Any) -> list[Any]:
    """The stack's resources as the SDK's AnalyzeStack builds them (converted properties, options, provider,
    then parent and dependencies linked to the resource objects), built once for all stack policies."""
    built: list[tuple[Any, str, list[str], dict[str, list[str]]]] = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        resource = sdk.PolicyResource(
            r.type,
            props,
            r.urn,
            r.name,
            servicer._get_resource_options(r),
            servicer._get_provider_resource(r),
            None,
            [],
            {},
        )
        built.append(
            (
                resource,
                r.parent,
                list(r.dependencies),
                {key: list(value.urns) for key, value in r.propertyDependencies.items()},
            )
        )
    by_urn = {resource.urn: resource for resource, *_ in built}
    for resource, parent, dependencies, property_dependencies in built:
        if parent is not None and parent in by_urn:
            resource.parent = by_urn[parent]
        resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for key, urns in property_dependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
    return [resource for resource, *_ in built]


def _analyze_stack_once(sdk: Any) -> Callable[..., Any]:
    """pulumi_policy 1.21.0's AnalyzeStack, with the stack's resources built once rather than once per stack
    policy (the SDK rebuilds all of them in its loop over policies: 0.8 s of 0.9 s at 2,236 resources, the
    rules themselves taking 0.04 s). Each policy gets its own list of the shared resource objects."""

    def analyze_stack(self: Any, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        resources: list[Any] | None = None
        for policy in self._PolicyAnalyzerServicer__policies:
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY  # as the SDK: stack policies cannot remediate
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = _stack_resources(self, request, sdk)
            args = sdk.StackValidationArgs(
                list(resources), self._get_policy_config(policy.name), self._PolicyAnalyzerServicer__stack_tags
            )
            try:
                result = policy.validate(args, report_violation)
                if sdk.isawaitable(result):
                    loop = sdk.asyncio.new_event_loop()
                    task = sdk.asyncio.Task(result, loop=loop)
                    loop.run_until_complete(task)
                    loop.close()
            except sdk.UnknownValueError as error:
                name, version = (
                    self._PolicyAnalyzerServicer__policy_pack_name,
                    self._PolicyAnalyzerServicer__policy_pack_version,
                )
                response.diagnostics.append(
                    sdk.proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during "
                            f"preview: {error.message}"
                        ),
                        urn="",
                        description=policy.description,
                        enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                    )
                )
            except sdk._NotApplicableError as error:
                response.not_applicable.append(
                    sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
                )
        return response

    return analyze_stack


def install() -> bool:
    """Apply the memoisation to pulumi_policy's servicer. Returns whether it is active."""
    if os.environ.get(SWITCH, "1") == "0":
        return False
    from pulumi_policy import policy as sdk
    from pulumi_policy.version import VERSION

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    needed = (
        "json_format",
        "deserialize_properties",
        "unknown_checking_proxy",
        "proto",
        "EnforcementLevel",
        "StackValidationPolicy",
        "StackValidationArgs",
        "PolicyResource",
        "UnknownValueError",
        "_NotApplicableError",
        "isawaitable",
        "asyncio",
    )
    methods = (
        "_configure_runtime_settings",
        "_get_resource_options",
        "_get_provider_resource",
        "Analyze",
        "AnalyzeStack",
        "_get_enforcement_level",
        "_create_report_violation",
        "_get_policy_config",
        "_map_enforcement_level",
    )
    if (
        VERSION != SUPPORTED_SDK_VERSION
        or servicer is None
        or not all(hasattr(sdk, n) for n in needed)
        or not all(hasattr(servicer, m) for m in methods)
    ):
        return False  # another SDK: correct as it is, only slower
    if getattr(servicer, "_nhi_shared_properties", False):
        return True
    servicer._nhi_unshared = {"Analyze": servicer.Analyze, "AnalyzeStack": servicer.AnalyzeStack}  # for tests
    sdk.json_format = _JsonFormat(sdk.json_format)
    sdk.deserialize_properties = _memoised(sdk.deserialize_properties)
    sdk.unknown_checking_proxy = _memoised(sdk.unknown_checking_proxy)
    servicer._configure_runtime_settings = _once_per_environment(servicer._configure_runtime_settings)
    servicer._get_resource_options = _memoised_method(servicer._get_resource_options)
    servicer._get_provider_resource = _memoised_method(servicer._get_provider_resource)
    servicer.Analyze = _scoped(servicer.Analyze)
    servicer.AnalyzeStack = _scoped(_analyze_stack_once(sdk))
    servicer._nhi_shared_properties = True
    return True
