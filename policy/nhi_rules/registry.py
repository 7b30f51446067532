"""Every rule in the pack, found in the layout: each module of a family package is one rule and defines POLICY.

Adding a rule is writing its module and its cases file; nothing here names it. The layout test walks the files
on its own and fails when a module is not a rule, a rule has no cases, or a name breaks the convention.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from types import ModuleType

from pulumi_policy import Policy

from nhi_rules.lib.rule import NhiPolicy

FAMILIES = ("aws", "iam", "kubernetes", "stack")
"""The rule packages, in the order the pack lists their rules (each family's rules by module name)."""

NOT_A_RULE = "{module} is in a rule family package but defines no POLICY built by resource_rule or stack_rule"


def discover(package: str = "nhi_rules", families: Sequence[str] = FAMILIES) -> tuple[ModuleType, ...]:
    """The rule modules of `package`'s families, family by family, each family's modules sorted by name."""
    modules: list[ModuleType] = []
    for family in families:
        family_package = importlib.import_module(f"{package}.{family}")
        found = pkgutil.iter_modules(family_package.__path__, prefix=f"{family_package.__name__}.")
        for info in sorted(found, key=lambda found_module: found_module.name):
            module = importlib.import_module(info.name)
            if not isinstance(getattr(module, "POLICY", None), NhiPolicy):
                raise TypeError(NOT_A_RULE.format(module=info.name))
            modules.append(module)
    return tuple(modules)


RULE_MODULES = discover()

RULES: tuple[NhiPolicy, ...] = tuple(module.POLICY for module in RULE_MODULES)
"""The rules with their metadata (kind, resource types, config schema), for readers such as the docs."""

POLICIES: list[Policy] = list(RULES)
"""The same rules as the SDK's PolicyPack takes them."""
