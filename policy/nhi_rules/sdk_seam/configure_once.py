"""Configure the pack's Pulumi runtime once per environment, not once per call.

pulumi_policy 1.21.0 begins every Analyze and AnalyzeStack call with its servicer's
`_configure_runtime_settings`, which re-parses PULUMI_CONFIG (the whole stack config, as JSON) and configures
the runtime anew: ~0.5 ms per resource for a large stack. What it reads is the process's environment, which
does not change under it, so this runs it again only when one of those variables has changed."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from . import servicer
from .gate import Shortcut, Undo, replace

TESTED = {"pulumi_policy": ("1.21.0",)}
# What the SDK's runtime configuration reads.
RUNTIME_ENVIRONMENT = ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")


def _once_per_environment(configure: Callable[[Any], Any]) -> Callable[[Any], Any]:
    configured_for: list[tuple[str | None, ...]] = []
    lock = threading.Lock()

    def call(self: Any) -> Any:
        environment = tuple(os.environ.get(name) for name in RUNTIME_ENVIRONMENT)
        with lock:
            if configured_for == [environment]:
                return None
            result = configure(self)
            configured_for[:] = [environment]
            return result

    return call


def apply() -> Undo:
    analyzer = servicer.servicer_class()
    configure = analyzer._configure_runtime_settings
    return replace((analyzer, {"_configure_runtime_settings": _once_per_environment(configure)}))


SHORTCUT = Shortcut("configure-once", TESTED, apply)
