"""Run only the policies that judge a resource's type, not every policy of the pack.

pulumi_policy 1.21.0 hands each resource to every resource policy: it builds a report callback, resolves the
config, options and provider, and calls the policy, which for most of the pack's ~60 rules returns at once
because the type is not one of its `resource_types`. Even with the properties converted once per call
(`shared_properties`), that loop was ~60% of the pack's per-resource time on prod. Within one Analyze call
this shows the SDK's loop only the policies whose `resource_types` include the request's type (policies
without `resource_types` always run). A skipped policy would have reported nothing, so responses are
unchanged (tests/policy/test_dispatch.py compares them on the broken copy of prod and on a first preview).

Like `shared_properties`, it is applied only to the SDK version it was written against, and is off when
NHI_POLICY_DISPATCH=0."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

SUPPORTED_SDK_VERSION = "1.21.0"
SWITCH = "NHI_POLICY_DISPATCH"
POLICIES = "_PolicyAnalyzerServicer__policies"  # the servicer's (name-mangled) list of policies

_scope = threading.local()


class _PolicyList(list):  # type: ignore[type-arg]
    """The servicer's policies; while an Analyze call runs on this thread, only those that judge its type."""

    def __init__(self, policies: list[Any]) -> None:
        super().__init__(policies)
        self._by_type: dict[str, list[Any]] = {}

    def __iter__(self) -> Iterator[Any]:
        resource_type = getattr(_scope, "resource_type", None)
        if resource_type is None:
            return super().__iter__()
        chosen = self._by_type.get(resource_type)
        if chosen is None:  # a race computes the same list twice, harmlessly
            chosen = [
                policy
                for policy in super().__iter__()
                if resource_type in getattr(policy, "resource_types", (resource_type,))
            ]
            self._by_type[resource_type] = chosen
        return iter(chosen)


def _with_policy_list(init: Callable[..., None]) -> Callable[..., None]:
    def call(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        setattr(self, POLICIES, _PolicyList(getattr(self, POLICIES)))

    return call


def _typed(analyze: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, request: Any, context: Any) -> Any:
        _scope.resource_type = request.type
        try:
            return analyze(self, request, context)
        finally:
            _scope.resource_type = None

    return call


def install() -> bool:
    """Apply the dispatch to pulumi_policy's servicer (for servicers built afterwards). Returns whether active."""
    if os.environ.get(SWITCH, "1") == "0":
        return False
    from pulumi_policy import policy as sdk
    from pulumi_policy.version import VERSION

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if VERSION != SUPPORTED_SDK_VERSION or servicer is None or not hasattr(servicer, "Analyze"):
        return False  # another SDK: correct as it is, only slower
    if getattr(servicer, "_nhi_dispatch", False):
        return True
    servicer._nhi_undispatched = servicer.Analyze  # for tests
    servicer.__init__ = _with_policy_list(servicer.__init__)
    servicer.Analyze = _typed(servicer.Analyze)
    servicer._nhi_dispatch = True
    return True
