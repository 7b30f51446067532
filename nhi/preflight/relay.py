"""A process that carries one pack's Analyze calls, so that the gRPC client work stays off the program's core.

The Pulumi engine is a process of its own: the program registers resources and the engine, not the program,
sends each one to the analyzers. Under the preflight the program runs in our process, and gRPC's Python client
there (per call: Python set-up, then a completion handled by a thread that needs the GIL) costs about 0.6 ms
per resource, taken from the program (measured: 1.3 s of 6.2 s at 2,236 resources). The relay is that
client in a process of its own: the preflight writes each serialised AnalyzeRequest to the relay's standard
input as the resource is registered, the relay sends the calls one at a time, in that order (as the engine
does), keeps the answers, and once the preflight says the program has finished it writes every answer back.
The pack sees exactly the same calls, on the same channel kind, as before.

Frames in both directions: a 4-byte big-endian length, then the payload. To the relay: b"A" + request bytes
(one Analyze call), then b"E" (end). From the relay, one frame per Analyze call in the order received:
b"R" + response bytes, or b"F" + "CODE\\n" + details for a call that failed.

    python -m nhi.preflight.relay HOST:PORT METHOD TIMEOUT_SECONDS

It imports only grpc (not the platform, not protobuf messages): it forwards bytes."""

from __future__ import annotations

import queue
import struct
import sys
import threading
from typing import IO, Any

import grpc

LENGTH = struct.Struct(">I")
ANALYZE, END = b"A", b"E"
RESPONSE, FAILED = b"R", b"F"


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's payload, or None at the end of the stream."""
    header = stream.read(LENGTH.size)
    if len(header) < LENGTH.size:
        return None
    size = LENGTH.unpack(header)[0]
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return payload


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(LENGTH.pack(len(payload)))
    stream.write(payload)


def _answer(call: Any, body: bytes, timeout: float) -> bytes:
    try:
        return RESPONSE + call(body, timeout=timeout)
    except grpc.RpcError as error:
        return FAILED + f"{error.code().name}\n{error.details() or ''}".encode()


def _read_all(requests: IO[bytes], frames: queue.SimpleQueue[bytes | None]) -> None:
    """Read frames as fast as they come, so that the preflight's writes never wait on a slow pack."""
    while True:
        frame = read_frame(requests)
        frames.put(frame)
        if frame is None or frame[:1] != ANALYZE:
            return


def relay(target: str, method: str, timeout: float, requests: IO[bytes], answers: IO[bytes]) -> int:
    """Send the Analyze calls one at a time, each once the previous one has answered, in the order received:
    the engine generates steps one resource at a time and calls each analyzer once per step (pulumi/pulumi
    pkg/resource/deploy/step_generator.go, analyzeAll), so a pack never sees two Analyze calls at once."""
    frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_read_all, args=(requests, frames), daemon=True).start()
    with grpc.insecure_channel(target) as channel:
        # No serialisers: the bytes the preflight wrote go out as they are, and answers come back as bytes.
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        done = []
        while True:
            frame = frames.get()
            if frame is None:
                return 1  # the preflight went away: nothing to answer
            kind, body = frame[:1], frame[1:]
            if kind == END:
                break
            if kind != ANALYZE:
                print(f"relay: unknown frame kind {kind!r}", file=sys.stderr)
                return 2
            done.append(_answer(call, body, timeout))
        for answer in done:
            write_frame(answers, answer)
        answers.flush()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m nhi.preflight.relay HOST:PORT METHOD TIMEOUT_SECONDS", file=sys.stderr)
        return 2
    target, method, timeout = argv[0], argv[1], float(argv[2])
    return relay(target, method, timeout, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
