"""Wait for a program's registrations in linear time.

After the program returns, pulumi's `pulumi.runtime.stack.wait_for_rpcs` (3.272.0) waits for every outstanding
RPC and output with `asyncio.wait(pending, FIRST_COMPLETED)` in a loop: each round re-registers a callback on
every pending output and wakes when only one finishes, so a program with n outputs costs O(n^2) (measured:
40% of the capture of a 2,200-resource stack). This waits for exactly the same things (every queued RPC, then
every output task, then again until nothing new was queued) with one gather per round. It reads the runtime's
private RPC manager (`pulumi.runtime.settings._get_rpc_manager`) and its settings' set of outputs."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from typing import Any

from .gate import Shortcut, Undo, replace, require

TESTED = {"pulumi": ("3.272.0",)}

Wait = Callable[..., Coroutine[Any, Any, None]]


def _linear_wait(rpc_manager_of: Callable[[], Any], settings: Any) -> Wait:
    async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
        rpc_manager = rpc_manager_of()
        while True:
            while rpc_manager.rpcs:
                await asyncio.sleep(0)
                try:
                    await rpc_manager.rpcs.pop()
                except Exception as exn:
                    if rpc_manager.unhandled_exception is not None:
                        raise exn from rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
                    raise
            if rpc_manager.unhandled_exception is not None:
                raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
            if await_all_outstanding_tasks:
                while True:
                    with settings.lock:
                        if not settings.outputs:
                            break
                        pending = list(settings.outputs)
                        settings.outputs.clear()
                    # All of this round at once; a failure is raised as the SDK raises it, from the task.
                    await asyncio.gather(*pending)
            if not rpc_manager.rpcs:
                break

    return wait_for_rpcs


def apply() -> Undo:
    stack = importlib.import_module("pulumi.runtime.stack")
    settings = importlib.import_module("pulumi.runtime.settings")
    rpc_manager_of, state = settings._get_rpc_manager, settings.SETTINGS
    require(rpc_manager_of(), "rpcs", "unhandled_exception", "exception_traceback")  # what the wait reads
    require(state, "lock", "outputs")
    return replace((stack, {"wait_for_rpcs": _linear_wait(rpc_manager_of, state)}))


SHORTCUT = Shortcut("linear-wait", TESTED, apply)
