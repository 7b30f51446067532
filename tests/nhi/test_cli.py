"""The dispatcher: every registered command is reachable from `nhi` with its own help and arguments, and the
console script the package installs is the dispatcher's entry point."""

from __future__ import annotations

import argparse
import importlib
import tomllib
from pathlib import Path

import pytest

from nhi.cli import main
from nhi.commands import COMMANDS

REPO = Path(__file__).resolve().parents[2]

# The fewest arguments each command accepts, and the name its failures carry. A command added to the registry
# without a line here fails `test_every_registered_command_has_a_case`.
CASES = {
    "preflight": (["--stack", "dev"], "nhi preflight"),
    "inventory": (["--stack", "dev"], "nhi inventory"),
    "access-diff": (["--stack", "dev", "--against", "HEAD"], "nhi access-diff"),
    "rollout": (["status", "--stack", "dev"], "nhi rollout status"),
    "audit": (["--stack", "prod"], "nhi audit"),
    "revoke": (["--stack", "prod", "--workload", "checkout"], "nhi revoke"),
}


def flat(text: str) -> str:
    """Text without its whitespace, to find a help text argparse wrapped (it also breaks lines after hyphens)."""
    return "".join(text.split())


def test_every_registered_command_has_a_case() -> None:
    assert set(CASES) == set(COMMANDS)


def test_nhi_help_lists_every_command_in_the_registry_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("    ") and line.split()[0] in COMMANDS]
    assert listed == list(COMMANDS)
    for command in COMMANDS.values():
        assert flat(command.SUMMARY) in flat(out)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: nhi {name} ")
    assert flat(COMMANDS[name].DESCRIPTION) in flat(out)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_is_dispatched_to_its_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    argv, prog = CASES[name]
    received: list[argparse.Namespace] = []

    def run(args: argparse.Namespace) -> int:
        received.append(args)
        return 42  # no command's own code: proves main returns what run returned

    monkeypatch.setattr(COMMANDS[name], "run", run)
    assert main([name, *argv]) == 42
    [args] = received
    assert (args.command, args.prog) == (name, prog)


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["deploy"])
    assert done.value.code == 2
    assert "invalid choice: 'deploy'" in capsys.readouterr().err


def test_the_console_script_is_the_dispatchers_entry_point() -> None:
    target = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["nhi"]
    module, _, function = target.partition(":")
    assert (module, function) == ("nhi.cli", "run")
    assert callable(getattr(importlib.import_module(module), function))
