"""Wait for a program's registrations in linear time.

After the program returns, the SDK's `pulumi.runtime.stack.wait_for_rpcs` (pulumi 3.272) waits for every
outstanding RPC and output with `asyncio.wait(pending, FIRST_COMPLETED)` in a loop: each round re-registers
a callback on every pending output and wakes when only one finishes, so a program with n outputs costs
O(n^2) (measured: 40% of the preflight's capture of a 2,200-resource stack). This waits for exactly the
same things (every queued RPC, then every output task, then again until nothing new was queued) with one
gather per round. It is used by the preflight's capture only; `pulumi up` keeps the SDK's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from pulumi.runtime import stack as sdk_stack
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager


async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    rpc_manager = _get_rpc_manager()
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
                with SETTINGS.lock:
                    if not SETTINGS.outputs:
                        break
                    pending = list(SETTINGS.outputs)
                    SETTINGS.outputs.clear()
                # All of this round at once; a failure is raised as the SDK raises it, from the task.
                await asyncio.gather(*pending)
        if not rpc_manager.rpcs:
            break


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Use the linear waiter while a program runs under the preflight, then restore the SDK's."""
    original = sdk_stack.wait_for_rpcs
    sdk_stack.wait_for_rpcs = wait_for_rpcs
    try:
        yield
    finally:
        sdk_stack.wait_for_rpcs = original
