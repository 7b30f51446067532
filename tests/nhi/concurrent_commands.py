"""Racing `nhi` commands: each in its own process, released together at one barrier, so that their edits of one
stack file overlap as two engineers' (or a pipeline's and an on-call's) would."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier

from nhi.cli import main

FORK = multiprocessing.get_context("fork")  # the children run `main` with this process's imports: no start-up cost


def _child(argv: Sequence[str], barrier: Barrier) -> None:
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    barrier.wait()
    os._exit(main(list(argv)))


def race(*commands: Sequence[str]) -> list[int | None]:
    """Run each command line (`nhi` arguments) in its own process, released together; their exit codes."""
    barrier = FORK.Barrier(len(commands))
    children = [FORK.Process(target=_child, args=(list(command), barrier)) for command in commands]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    return [child.exitcode for child in children]
