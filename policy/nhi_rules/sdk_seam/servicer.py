"""pulumi_policy's analyzer servicer: the only place its private names are spelled.

The SDK keeps the servicer that answers the engine's Analyzer calls private
(`pulumi_policy.policy._PolicyAnalyzerServicer`) and its state in name-mangled attributes (`self.__policies`
is stored as `_PolicyAnalyzerServicer__policies`). The shortcuts look them up here, and only when applied."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

SDK_MODULE = "pulumi_policy.policy"
SERVICER = "_PolicyAnalyzerServicer"
PACK_VERSION_DEFAULT = "0.0.1"  # what PolicyPack gives its servicer (the CLI takes PulumiPolicy.yaml's instead)


def mangled(attribute: str) -> str:
    """The name under which Python stores the servicer's `self.__<attribute>`."""
    return f"_{SERVICER.lstrip('_')}__{attribute}"


POLICIES = mangled("policies")
STACK_TAGS = mangled("stack_tags")
PACK_NAME = mangled("policy_pack_name")
PACK_VERSION = mangled("policy_pack_version")


def sdk() -> ModuleType:
    return importlib.import_module(SDK_MODULE)


def servicer_class(*attributes: str) -> Any:
    """The SDK's servicer class, checked to still declare the mangled attributes named. Raises AttributeError
    when the SDK has changed."""
    servicer = getattr(sdk(), SERVICER)
    declared = vars(servicer).get("__annotations__", {})
    missing = [attribute for attribute in attributes if attribute not in declared]
    if missing:
        raise AttributeError(f"{SERVICER} no longer declares {', '.join(missing)}")
    return servicer


def new_servicer(name: str, policies: list[Any], enforcement_level: Any) -> Any:
    """The SDK's servicer as PolicyPack builds it, without starting a server: for in-process tests and profiles."""
    return servicer_class()(name, PACK_VERSION_DEFAULT, policies, enforcement_level)
