"""The source positions of a registration without reading source files.

For every resource the SDK (pulumi 3.272.0, `pulumi.runtime.resource._get_stack_trace`) takes
`traceback.extract_stack()`, which looks up and caches each frame's source line (a `linecache` check per
frame), and turns each file name into a URI with `pathlib` (measured: 5% of a capture, 0.3 s at 2,236
resources). The message it builds uses only file names and line numbers. This builds the same message
from the frames themselves, with each file's URI computed once. It is used by the preflight's capture
only, for the SDK version it was written against (another version keeps its own function); `pulumi up` is
untouched. tests/nhi/preflight/test_source_positions.py compares the two on every registration of a real
program.
"""

from __future__ import annotations

import contextlib
import pathlib
import sys
from collections.abc import Iterator
from importlib import metadata

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

SUPPORTED_SDK_VERSION = "3.272.0"
# The third `__init__` up the stack is the concrete resource's constructor (Resource, then CustomResource
# or ComponentResource, then the resource class): the SDK's rule, kept as it is.
RESOURCE_INIT_DEPTH = 3

_uris: dict[str, str | None] = {}


def _uri(filename: str) -> str | None:
    if filename not in _uris:
        try:
            _uris[filename] = pathlib.Path(filename).as_uri()
        except BaseException:
            _uris[filename] = None
    return _uris[filename]


def stack_trace() -> source_pb2.StackTrace:
    """What `_get_stack_trace` returns when called from the same place."""
    frame = sys._getframe(0)
    seen = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            seen += 1
            if seen == RESOURCE_INIT_DEPTH:
                break
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None or frame.f_back is None:
        return source_pb2.StackTrace()
    frames = []
    caller = frame.f_back
    while caller is not None:
        filename, line = caller.f_code.co_filename, caller.f_lineno
        uri = _uri(filename) if filename != "" and line is not None else None
        frames.append(source_pb2.StackFrame(pc=None if uri is None else source_pb2.SourcePosition(uri=uri, line=line)))
        caller = caller.f_back
    return source_pb2.StackTrace(frames=frames)


def applies() -> bool:
    return metadata.version("pulumi") == SUPPORTED_SDK_VERSION and hasattr(sdk_resource, "_get_stack_trace")


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Use the frame-based stack trace while a program runs under the preflight, then restore the SDK's."""
    if not applies():
        yield
        return
    original = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original
