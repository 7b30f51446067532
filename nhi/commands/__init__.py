"""The commands of `nhi`, one module each: its summary and description, its arguments and `run(args) -> int`.

`COMMANDS` is the registry `nhi/cli.py` builds the parser from, in the order `nhi --help` lists them."""

from __future__ import annotations

import argparse
from typing import Protocol

from . import access_diff, audit, inventory, preflight, revoke, rollout


class Command(Protocol):
    """What a command module provides."""

    SUMMARY: str
    """One line for `nhi --help`."""
    DESCRIPTION: str
    """The paragraph of `nhi <command> --help`, with the command's exit codes."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


COMMANDS: dict[str, Command] = {
    "preflight": preflight,
    "inventory": inventory,
    "access-diff": access_diff,
    "rollout": rollout,
    "audit": audit,
    "revoke": revoke,
}
