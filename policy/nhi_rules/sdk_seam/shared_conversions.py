"""Convert a resource's properties once per Analyze call, not once per policy.

pulumi_policy 1.21.0 turns the request's protobuf properties into Python values (`json_format.MessageToDict`,
then `deserialize_properties`, then the unknown-checking proxy) inside its loop over policies, and builds the
resource options and provider there too: with ~60 policies that is ~60 identical conversions per resource,
most of the pack's cost (measured: ~4 ms of ~6 ms per resource on prod). Within one Analyze call this memoises
those steps by the identity of their argument, so every policy reads the same converted value. Rules only
read their properties, so sharing is safe. The names replaced are the ones the SDK's Analyze looks up when it
runs: three functions of `pulumi_policy.policy` and two helpers of its servicer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from . import servicer
from .gate import Shortcut, Undo, replace

TESTED = {"pulumi_policy": ("1.21.0",)}

_scope = threading.local()  # the memo of the Analyze call running on this thread; None outside one


def _memoised(function: Callable[..., Any]) -> Callable[..., Any]:
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
        pair = _scope.pairs.setdefault(id(request), (self, request))  # one tuple per request: a stable memo key
        return memoised(pair)

    return call


class _JsonFormat:
    """Stands in for google.protobuf.json_format inside pulumi_policy.policy, memoising MessageToDict."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.MessageToDict = _memoised(real.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _scoped(analyze: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, request: Any, context: Any) -> Any:
        _scope.memo, _scope.pairs = {}, {}
        try:
            return analyze(self, request, context)
        finally:
            _scope.memo, _scope.pairs = None, None

    return call


def apply() -> Undo:
    sdk, analyzer = servicer.sdk(), servicer.servicer_class()
    return replace(
        (
            sdk,
            {
                "json_format": _JsonFormat(sdk.json_format),
                "deserialize_properties": _memoised(sdk.deserialize_properties),
                "unknown_checking_proxy": _memoised(sdk.unknown_checking_proxy),
            },
        ),
        (
            analyzer,
            {
                "_get_resource_options": _memoised_method(analyzer._get_resource_options),
                "_get_provider_resource": _memoised_method(analyzer._get_provider_resource),
                "Analyze": _scoped(analyzer.Analyze),
            },
        ),
    )


SHORTCUT = Shortcut("shared-conversions", TESTED, apply)
