"""Everything `make docs` writes, gathered from its sources in one place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import settings
from nhi_rules.registry import RULE_MODULES
from settings.model import DEFAULT_ADDON_VERSIONS

from . import POLICY_DIR, REPO, access_levels, inventory, rules, settings_reference
from .outputs import Output, Page, Site

OWNED_DIRS = (rules.RULES_DIR, "docs/reference")
"""Directories that hold generated pages only."""
PACK_CONFIG_DIR = POLICY_DIR / "config"


def pack_configs() -> dict[str, dict[str, Any]]:
    """Each environment's pack config, in promotion order (an environment without a file uses the defaults)."""
    configs = {}
    for environment in settings.Environment:
        path = PACK_CONFIG_DIR / f"{environment.value}.json"
        configs[environment.value] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return configs


def settings_page() -> Page:
    appendix = settings_reference.defaults_table(
        "Add-on versions pinned by default", DEFAULT_ADDON_VERSIONS, "Kubernetes version"
    )
    text = settings_reference.render(settings.StackSettings, "settings/model.py", appendix)
    return Page(settings_reference.PATH, text)


def build_site(repo: Path = REPO) -> Site:
    dev = inventory.dev_inventory(repo)
    outputs: tuple[Output, ...] = (
        settings_page(),
        *rules.pages(RULE_MODULES, pack_configs(), repo),
        access_levels.block(),
        inventory.block(dev),
        inventory.picture(dev),
    )
    return Site(outputs, OWNED_DIRS)
