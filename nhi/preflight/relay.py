"""A process that carries one pack's Analyze calls, so that the gRPC client work stays off the program's core.

The Pulumi engine is a process of its own: the program registers resources and the engine, not the program,
sends each one to the analyzers. Under the preflight the program runs in our process, and gRPC's Python client
there (per call: Python set-up, then a completion handled by a thread that needs the GIL) costs about 0.6 ms
per resource, taken from the program (measured: 1.3 s of 6.2 s at 2,236 resources). The relay is that
client in a process of its own: the preflight writes each serialised AnalyzeRequest to the relay's standard
input as the resource is registered, the relay starts the unary call at once and keeps the answers, and
once the preflight says the program has finished it writes every answer back, in order. The pack sees
exactly the same calls, on the same channel kind, as before.

Frames in both directions: a 4-byte big-endian length, then the payload. To the relay: b"A" + request bytes
(one Analyze call), then b"E" (end). From the relay, one frame per Analyze call in the order received:
b"R" + response bytes, or b"F" + "CODE\\n" + details for a call that failed.

    python -m nhi.preflight.relay HOST:PORT METHOD TIMEOUT_SECONDS

It imports only grpc (not the platform, not protobuf messages): it forwards bytes."""

from __future__ import annotations

import struct
import sys
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


def _answer(call: Any) -> bytes:
    try:
        return RESPONSE + call.result()
    except grpc.RpcError as error:
        return FAILED + f"{error.code().name}\n{error.details() or ''}".encode()


def relay(target: str, method: str, timeout: float, requests: IO[bytes], answers: IO[bytes]) -> int:
    with grpc.insecure_channel(target) as channel:
        # No serialisers: the bytes the preflight wrote go out as they are, and answers come back as bytes.
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        pending = []
        while True:
            frame = read_frame(requests)
            if frame is None:
                return 1  # the preflight went away: nothing to answer
            kind, body = frame[:1], frame[1:]
            if kind == END:
                break
            if kind != ANALYZE:
                print(f"relay: unknown frame kind {kind!r}", file=sys.stderr)
                return 2
            pending.append(call.future(body, timeout=timeout))
        for future in pending:
            write_frame(answers, _answer(future))
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
