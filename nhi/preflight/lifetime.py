"""Child processes (policy packs, relays) that end with `nhi`, on every exit path.

A normal or failed run stops them in `finally` blocks. What skips those (a program that calls `os._exit`, as
it runs in our own process; `nhi` killed by SIGTERM or SIGKILL) is covered on Linux by the kernel: each child
runs with `prctl(PR_SET_PDEATHSIG, SIGKILL)`, so it is killed when the thread that started it ends, and with
it when `nhi` ends in any way. (The signal follows the starting *thread*: start a child from a thread that
lives as long as the child is needed, such as the preflight's pool threads or the main thread.)

The call is made by a small launcher that then replaces itself with the child's command (the setting
survives exec), not by a `preexec_fn`, which runs Python in a forked copy of a threaded process and can
deadlock on a lock another thread held. On other systems there is no such call: the command runs as given,
and the packs end with `nhi` only on the paths that run `finally`."""

from __future__ import annotations

import os
import sys

PR_SET_PDEATHSIG, SIGKILL = 1, 9  # <linux/prctl.h>, <signal.h>

# argv: the parent's pid, then the command. Exits 1 if the parent is already gone (no signal would come).
_LAUNCHER = (
    "import ctypes,os,sys\n"
    f"ctypes.CDLL(None).prctl({PR_SET_PDEATHSIG},{SIGKILL},0,0,0)\n"
    "if os.getppid()!=int(sys.argv[1]):os._exit(1)\n"
    "os.execv(sys.argv[2],sys.argv[2:])\n"
)


def ending_with_this_process(command: list[str]) -> list[str]:
    """`command` (its first item a path to an executable), launched so that it is killed when this process
    ends (Linux); unchanged elsewhere."""
    if not sys.platform.startswith("linux"):
        return command
    # -I -S: the standard library only, no site packages to import (a few milliseconds).
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *command]
