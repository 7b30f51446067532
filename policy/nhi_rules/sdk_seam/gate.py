"""The gate every shortcut passes: the seam switched on, an SDK version the shortcut was tested with, and every
private name it needs still there. Otherwise the SDK keeps its own behaviour: nothing raises, it is only slower.

Both seams pass their shortcuts through a `Gate` defined here, each with its own switches: the pack's (`PACK`,
in this package) and the preflight's (`nhi/preflight/sdk_seam`, which imports this module: the repository's
packages are installed together, while the pack itself never imports `nhi/`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

Undo = Callable[[], None]


@dataclass(frozen=True)
class Shortcut:
    """One replacement of SDK internals, with the SDK versions it was tested with."""

    name: str
    tested: Mapping[str, tuple[str, ...]]
    """Distribution name -> the versions of it the shortcut was tested with."""
    apply: Callable[[], Undo]
    """Looks up every private name it needs first (AttributeError when one is gone), then replaces them; returns
    what puts the SDK's own back."""


@dataclass(frozen=True)
class State:
    shortcut: str
    active: bool
    reason: str

    def __str__(self) -> str:
        return f"{self.shortcut}: {'active' if self.active else 'inactive'} ({self.reason})"


@dataclass(frozen=True)
class Gate:
    """One side's gate; its environment variables are all named from its prefix."""

    prefix: str

    @property
    def switch(self) -> str:
        """Set to 0: no shortcut is applied, the SDK's own behaviour everywhere."""
        return self.prefix

    @property
    def debug(self) -> str:
        """Set to 1: one line per shortcut on stderr, saying whether it is active and why."""
        return f"{self.prefix}_DEBUG"

    @property
    def pretend_version(self) -> str:
        """For tests: every SDK distribution reports this version (one the shortcuts were not tested with)."""
        return f"{self.prefix}_PRETEND_VERSION"

    def sdk_version(self, distribution: str) -> str | None:
        """The installed version of an SDK distribution: the one place the shortcuts' versions are read."""
        pretend = os.environ.get(self.pretend_version)
        if pretend:
            return pretend
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return None

    def apply(self, shortcuts: Iterable[Shortcut]) -> tuple[list[State], list[Undo]]:
        """Apply every shortcut that passes the gate; the undos are in the order to call them (last applied
        first)."""
        states: list[State] = []
        undos: list[Undo] = []
        for shortcut in shortcuts:
            state, undo = self._apply(shortcut)
            states.append(state)
            if undo is not None:
                undos.insert(0, undo)
        if os.environ.get(self.debug) == "1":
            for state in states:
                print(f"{self.prefix}: {state}", file=sys.stderr)
        return states, undos

    def _apply(self, shortcut: Shortcut) -> tuple[State, Undo | None]:
        if os.environ.get(self.switch) == "0":
            return State(shortcut.name, False, f"{self.switch}=0: the SDK's own"), None
        versions = {distribution: self.sdk_version(distribution) for distribution in shortcut.tested}
        for distribution, version in versions.items():
            if version not in shortcut.tested[distribution]:
                tested = ", ".join(shortcut.tested[distribution])
                reason = f"{distribution} {version}, tested with {tested}: the SDK's own"
                return State(shortcut.name, False, reason), None
        try:
            undo = shortcut.apply()
        except Exception as error:  # a private name moved or changed: the SDK's own behaviour, never a failure
            reason = f"the SDK changed ({type(error).__name__}: {error}): the SDK's own"
            return State(shortcut.name, False, reason), None
        return State(shortcut.name, True, ", ".join(f"{d} {v}" for d, v in versions.items())), undo


PACK = Gate("NHI_POLICY_SDK_SEAM")
"""The pack's gate."""


def require(target: Any, *names: str) -> None:
    """Raise AttributeError naming what a shortcut reads of the SDK at call time and no longer finds."""
    missing = [name for name in names if not hasattr(target, name)]
    if missing:
        raise AttributeError(f"{getattr(target, '__name__', type(target).__name__)} has no {', '.join(missing)}")


def replace(*targets: tuple[Any, Mapping[str, Any]]) -> Undo:
    """Set attributes of SDK modules or classes, each given as (target, {name: new value}), and return what
    restores the SDK's own. The new values are built by the caller before this runs, so a name that is missing
    fails the shortcut before anything has changed."""
    originals = [(target, {name: getattr(target, name) for name in values}) for target, values in targets]
    for target, values in targets:
        for name, value in values.items():
            setattr(target, name, value)

    def undo() -> None:
        for target, values in reversed(originals):
            for name, value in values.items():
                setattr(target, name, value)

    return undo
