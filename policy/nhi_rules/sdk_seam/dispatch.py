"""Run only the policies that judge a resource's type, not every policy of the pack.

pulumi_policy 1.21.0 hands each resource to every resource policy: per policy it builds a report callback,
resolves the config, options and provider, and calls the policy, which for most of the pack's rules returns
at once because the type is not one of its `resource_types`. That loop was ~60% of the pack's per-resource time
on prod, even with conversions shared. During one Analyze call this shows the SDK's loop (over the servicer's
name-mangled list of policies) only the policies whose `resource_types` include the request's type; policies
without `resource_types` always run. A skipped policy would have reported nothing, so responses are unchanged."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from . import servicer
from .gate import Shortcut, Undo, replace

TESTED = {"pulumi_policy": ("1.21.0",)}

_scope = threading.local()  # the resource type of the Analyze call running on this thread; None outside one


class _PolicyList(list[Any]):
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


def _typed(analyze: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, request: Any, context: Any) -> Any:
        policies = getattr(self, servicer.POLICIES, None)
        if not isinstance(policies, list):  # not the servicer this was tested with: the SDK's own loop
            return analyze(self, request, context)
        if not isinstance(policies, _PolicyList):
            setattr(self, servicer.POLICIES, _PolicyList(policies))
        _scope.resource_type = request.type
        try:
            return analyze(self, request, context)
        finally:
            _scope.resource_type = None

    return call


def apply() -> Undo:
    analyzer = servicer.servicer_class(servicer.POLICIES)
    return replace((analyzer, {"Analyze": _typed(analyzer.Analyze)}))


SHORTCUT = Shortcut("dispatch-by-type", TESTED, apply)
