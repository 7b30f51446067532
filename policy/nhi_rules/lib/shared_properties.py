"""Convert a resource's properties once per Analyze call, not once per policy.

pulumi_policy 1.21.0 turns the request's protobuf properties into Python values (MessageToDict, then
deserialisation, then the unknown-checking proxy) inside its loop over policies: with 50 policies that is
50 identical conversions per resource, most of the pack's cost (measured: 0.08 ms each, ~4 ms of ~6 ms
per resource on the prod stack). Within one Analyze or AnalyzeStack call this memoises the three steps by
the identity of their argument, so every policy reads the same converted value. Rules only read their
properties (tests/policy/test_shared_properties.py checks it), so sharing is safe.

The patch touches only names the SDK looks up at call time, is applied only to the SDK version it was
written against, and is off when NHI_POLICY_SHARED_PROPERTIES=0 (for comparing verdicts). It also runs the
SDK's per-call runtime configuration (which re-parses the whole stack config) once per environment."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

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
        self.MessageToDict = _memoised(real.MessageToDict)  # noqa: N815 (the real module's name)

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


def install() -> bool:
    """Apply the memoisation to pulumi_policy's servicer. Returns whether it is active."""
    if os.environ.get(SWITCH, "1") == "0":
        return False
    from pulumi_policy import policy as sdk
    from pulumi_policy.version import VERSION

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    needed = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    methods = ("_configure_runtime_settings", "_get_resource_options", "_get_provider_resource", "Analyze",
               "AnalyzeStack")
    if (VERSION != SUPPORTED_SDK_VERSION or servicer is None or not all(hasattr(sdk, n) for n in needed)
            or not all(hasattr(servicer, m) for m in methods)):
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
    servicer.AnalyzeStack = _scoped(servicer.AnalyzeStack)
    servicer._nhi_shared_properties = True
    return True
