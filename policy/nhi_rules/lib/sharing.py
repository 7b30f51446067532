"""The SDK's analyzer servicer, made to do each piece of work once per Analyze call instead of once per policy.

pulumi_policy (pinned 1.21.0) runs every resource through every policy of the pack: for each of ~60 policies
it converts the resource's properties (and its provider's) from protobuf, deserialises and proxies them, then
calls the policy, which for most policies returns at once because the type is not one it judges. Profiled on
prod, that is ~2.3 of ~2.5 ms per resource; the rules themselves take ~0.2 ms. So, within one call:
- only the policies that judge the request's type are run (the others would add nothing to the response);
- each message (properties, provider, options) is converted once and every policy reads the same read-only
  proxy (no rule writes to what it reads).

`install()` is called by policy/__main__.py before the PolicyPack is built. It changes no verdict: a test
compares the servicer's responses with and without it on the broken copy of prod. With an SDK that lacks
these internals it installs nothing and the pack runs as before, only slower.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf import json_format
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

_local = threading.local()
_SDK_NAMES = ("_PolicyAnalyzerServicer", "json_format", "deserialize_properties", "unknown_checking_proxy")
_POLICIES = "_PolicyAnalyzerServicer__policies"  # the servicer's (name-mangled) list of policies


@contextmanager
def _shared(resource_type: str | None = None) -> Iterator[None]:
    """One call's memo and, for Analyze, the type it judges (per thread: the SDK serves calls from a pool)."""
    _local.memo = {}
    _local.resource_type = resource_type
    try:
        yield
    finally:
        _local.memo = None
        _local.resource_type = None


class _PolicyList(list):  # type: ignore[type-arg]
    """The servicer's policies; while an Analyze call runs on this thread, only those that judge its type.

    A policy that declares `resource_types` (every rule of this pack) returns at once for other types and
    reports nothing, so skipping it leaves the response unchanged; any other policy is always kept.
    """

    def __init__(self, policies: list[Any]) -> None:
        super().__init__(policies)
        self._by_type: dict[str, list[Any]] = {}

    def __iter__(self) -> Iterator[Any]:
        resource_type = getattr(_local, "resource_type", None)
        if resource_type is None:
            return super().__iter__()
        chosen = self._by_type.get(resource_type)
        if chosen is None:
            chosen = [p for p in super().__iter__()
                      if getattr(p, "kind", None) == "resource" and resource_type in p.resource_types
                      or not hasattr(p, "resource_types")]
            self._by_type[resource_type] = chosen
        return iter(chosen)


def _once(obj: Any, convert: Callable[[], Any], kind: str = "") -> Any:
    """convert() once per (kind, object) within the current call. The memo keeps the object alive, so its id
    cannot be reused by another object before the call ends."""
    memo: dict[tuple[str, int], tuple[Any, Any]] | None = getattr(_local, "memo", None)
    if memo is None:
        return convert()
    entry = memo.get((kind, id(obj)))
    if entry is not None and entry[0] is obj:
        return entry[1]
    value = convert()
    memo[(kind, id(obj))] = (obj, value)
    return value


class _JsonFormat:
    """json_format as the SDK module sees it, with MessageToDict shared within a call."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 (protobuf's name)
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        return _once(message, lambda: json_format.MessageToDict(message), "dict")


def _deserialize(props: Any, *args: Any, **kwargs: Any) -> Any:
    if args or kwargs:  # the remediation path asks for secret-preserving proxies: not shared
        return deserialize_properties(props, *args, **kwargs)
    return _once(props, lambda: deserialize_properties(props), "deserialized")


def _proxy(props: Any) -> Any:
    return _once(props, lambda: unknown_checking_proxy(props), "proxy")


def shared_servicer(base: type) -> type:
    """The SDK's analyzer servicer, converting each message once per call."""

    class SharedServicer(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            setattr(self, _POLICIES, _PolicyList(getattr(self, _POLICIES)))

        def Analyze(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
            with _shared(request.type):
                return super().Analyze(request, context)

        def AnalyzeStack(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
            with _shared():
                return super().AnalyzeStack(request, context)

        # The resource options and provider of a message, built once per call like its properties.
        def _get_resource_options(self, request: Any) -> Any:
            return _once(request, lambda: super(SharedServicer, self)._get_resource_options(request), "options")

        def _get_provider_resource(self, request: Any) -> Any:
            return _once(request, lambda: super(SharedServicer, self)._get_provider_resource(request), "provider")

    return SharedServicer


def patches() -> dict[str, Any]:
    """The SDK module names `install` replaces, and what with."""
    return {"json_format": _JsonFormat(), "deserialize_properties": _deserialize, "unknown_checking_proxy": _proxy,
            "_PolicyAnalyzerServicer": shared_servicer(sdk._PolicyAnalyzerServicer)}


def install() -> bool:
    """Share the work in the SDK's servicer; False (and nothing changed) if the SDK is not the one expected."""
    if isinstance(getattr(sdk, "json_format", None), _JsonFormat):
        return True  # already installed
    if not all(hasattr(sdk, name) for name in _SDK_NAMES):
        return False
    for name, value in patches().items():
        setattr(sdk, name, value)
    return True
