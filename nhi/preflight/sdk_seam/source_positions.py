"""The source positions of a registration without reading source files.

For every resource pulumi 3.272.0 (`pulumi.runtime.resource._get_stack_trace`, private) takes
`traceback.extract_stack()`, which looks up and caches each frame's source line (a `linecache` check per
frame), and turns each file name into a URI with `pathlib` (measured: 5% of a capture, 0.3 s at 2,236
resources). The message it builds uses only file names and line numbers. This builds the same message from
the frames themselves, with each file's URI computed once."""

from __future__ import annotations

import importlib
import pathlib
import sys
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any

from .gate import Shortcut, Undo, replace

TESTED = {"pulumi": ("3.272.0",)}
SDK_MODULE = "pulumi.runtime.resource"
SDK_FUNCTION = "_get_stack_trace"
SOURCE_MODULE = "pulumi.runtime.proto.source_pb2"  # the message types of the trace
# The third `__init__` up the stack is the concrete resource's constructor (Resource, then CustomResource
# or ComponentResource, then the resource class): the SDK's rule, kept as it is.
RESOURCE_INIT_DEPTH = 3

_uris: dict[str, str | None] = {}


def _uri(filename: str) -> str | None:
    if filename not in _uris:
        try:
            _uris[filename] = pathlib.Path(filename).as_uri()
        except BaseException:  # as the SDK: a name that is no absolute path has no position
            _uris[filename] = None
    return _uris[filename]


def _resource_caller() -> FrameType | None:
    """The frame that called the concrete resource's constructor, or None outside one."""
    frame: FrameType | None = sys._getframe(0)
    seen = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            seen += 1
            if seen == RESOURCE_INIT_DEPTH:
                return frame.f_back
        frame = frame.f_back
    return None


def _stack_trace_of(source: ModuleType) -> Callable[[], Any]:
    def stack_trace() -> Any:
        """What the SDK's `_get_stack_trace` returns when called from the same place."""
        caller = _resource_caller()
        if caller is None:
            return source.StackTrace()
        frames = []
        while caller is not None:
            filename, line = caller.f_code.co_filename, caller.f_lineno
            uri = _uri(filename) if filename != "" and line is not None else None
            position = None if uri is None else source.SourcePosition(uri=uri, line=line)
            frames.append(source.StackFrame(pc=position))
            caller = caller.f_back
        return source.StackTrace(frames=frames)

    return stack_trace


def frame_stack_trace() -> Callable[[], Any]:
    """The replacement, building the SDK's own message types."""
    return _stack_trace_of(importlib.import_module(SOURCE_MODULE))


def sdk_stack_trace() -> Callable[[], Any]:
    """The SDK's own function, where it is while this shortcut is not applied (for comparing the two)."""
    function: Callable[[], Any] = getattr(importlib.import_module(SDK_MODULE), SDK_FUNCTION)
    return function


def apply() -> Undo:
    replacement = frame_stack_trace()
    return replace((importlib.import_module(SDK_MODULE), {SDK_FUNCTION: replacement}))


SHORTCUT = Shortcut("source-positions", TESTED, apply)
