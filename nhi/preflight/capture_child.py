"""Capture a program in its own interpreter: the program's virtualenv runs the same capture (this package, on
PYTHONPATH) with the program's own Pulumi SDK and packages, and hands each registration back as it happens.

The language host runs a program with its virtualenv's `python` (pulumi/pulumi sdk/python/toolchain/pip.go,
Command: the environment activated as ActivateVirtualEnv does), so the SDK and the packages that decide what a
program registers are the program's, not the preflight's.

Parent and child speak in frames (relay.write_frame) of JSON, on a pipe of their own (the child's standard
output carries the program's output, which goes to standard error): {"resource": ...} as each is registered,
then {"capture": ...} or {"failure": message, "detail": traceback}.

    python -m nhi.preflight.capture_child   (the request, JSON, on standard input)"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from . import relay
from .errors import PreflightError
from .lifetime import ending_with_this_process
from .program import Program, StackConfig, load_program

RECORDS_FD_VARIABLE = "NHI_PREFLIGHT_RECORDS_FD"
STANDARD_ERROR_FD = 2
WATCHDOG_GRACE_SECONDS = 30.0
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# The preflight's package and the pack's shared gate (nhi_rules.sdk_seam.gate), importable in the child.
CHILD_PATH = (PACKAGE_ROOT, PACKAGE_ROOT / "policy")


def activated(environment: dict[str, str], python: Path) -> dict[str, str]:
    """The environment as the language host activates a virtualenv (toolchain.go, ActivateVirtualEnv): its
    bin directory first on PATH, VIRTUAL_ENV set, PYTHONHOME removed."""
    virtualenv = python.parent.parent
    result = {key: value for key, value in environment.items() if key != "PYTHONHOME"}
    result["VIRTUAL_ENV"] = str(virtualenv)
    result["PATH"] = os.pathsep.join(filter(None, (str(python.parent), environment.get("PATH", ""))))
    result["PYTHONPATH"] = os.pathsep.join(filter(None, (*map(str, CHILD_PATH), environment.get("PYTHONPATH", ""))))
    return result


def capture_in(
    python: Path,
    program: Program,
    config: StackConfig,
    *,
    unknowns: bool,
    on_resource: Callable[[Any], None] | None,
    timeout: float | None,
) -> Any:
    """Run the capture with `python` and return its Capture; `on_resource` receives each registration as the
    child reports it. Raises PreflightError."""
    read_end, write_end = os.pipe()
    environment = activated(dict(os.environ), python)
    environment[RECORDS_FD_VARIABLE] = str(write_end)
    try:
        child = subprocess.Popen(
            ending_with_this_process([str(python), "-m", "nhi.preflight.capture_child"]),
            cwd=program.directory,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=STANDARD_ERROR_FD,  # the program's output goes where it goes in the preflight's own process
            pass_fds=(write_end,),
        )
    except OSError as error:
        os.close(read_end)
        raise PreflightError(f"The program's interpreter {python} could not start: {error}.") from None
    finally:
        os.close(write_end)
    assert child.stdin is not None  # a pipe
    # The child stops its own program at `timeout` (time_limit); this stops a child that cannot.
    watchdog = threading.Timer(timeout + WATCHDOG_GRACE_SECONDS, child.kill) if timeout is not None else None
    if watchdog is not None:
        watchdog.start()
    try:
        with os.fdopen(read_end, "rb") as frames:
            try:
                child.stdin.write(_request(program, config, unknowns, timeout))
                child.stdin.close()
            except OSError:
                pass  # the child is gone: said below, with its status
            outcome = _read_outcome(frames, on_resource)
        status = child.wait()
    finally:
        if watchdog is not None:
            watchdog.cancel()
    if outcome is None and watchdog is not None and watchdog.finished.is_set() and status < 0:
        raise PreflightError(f"The program did not finish within {timeout:g} s (--timeout) in {python}.")
    if outcome is None:
        raise PreflightError(
            f"The program's interpreter {python} exited with status {status} before the capture finished "
            "(its error output is above). Its virtualenv needs the program's dependencies, pulumi among them."
        )
    if outcome[0] == "failure":
        raise PreflightError(outcome[1], outcome[2])
    return outcome[1]


def _request(program: Program, config: StackConfig, unknowns: bool, timeout: float | None) -> bytes:
    stack = {
        "name": config.name,
        "values": config.values,
        "secretKeys": list(config.secret_keys),
        "source": str(config.source) if config.source else None,
    }
    return json.dumps(
        {"program": str(program.directory), "config": stack, "unknowns": unknowns, "timeout": timeout}
    ).encode()


def _read_outcome(frames: IO[bytes], on_resource: Callable[[Any], None] | None) -> tuple[Any, ...] | None:
    while True:
        frame = relay.read_frame(frames)
        if frame is None:
            return None
        message = json.loads(frame)
        if "resource" in message:
            if on_resource is not None:
                on_resource(_resource(message["resource"]))
            continue
        if "failure" in message:
            return ("failure", message["failure"], message.get("detail"))
        return ("capture", _capture(message["capture"]))


def _bytes(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()


def _encoded_resource(record: Any) -> dict[str, Any]:
    fields = dataclasses.asdict(record)
    fields["wire_inputs"], fields["wire_outputs"] = _bytes(record.wire_inputs), _bytes(record.wire_outputs)
    return fields


def _resource(fields: dict[str, Any]) -> Any:
    from .capture import CapturedResource
    from .remote import ComponentPlugin

    wire_inputs, wire_outputs = fields.pop("wire_inputs"), fields.pop("wire_outputs")
    plugin = fields.pop("plugin", None)
    return CapturedResource(
        **{
            **fields,
            "plugin": None if plugin is None else ComponentPlugin(**plugin),
            "dependencies": tuple(fields["dependencies"]),
            "property_dependencies": {k: tuple(v) for k, v in fields["property_dependencies"].items()},
            "wire_inputs": None if wire_inputs is None else base64.b64decode(wire_inputs),
            "wire_outputs": None if wire_outputs is None else base64.b64decode(wire_outputs),
        }
    )


def _capture(fields: dict[str, Any]) -> Any:
    from .capture import Capture
    from .lookups import AnswerKind, LookupRecord

    lookups = [
        LookupRecord(r["token"], AnswerKind(r["kind"]), r["calls"], tuple(r["stand_ins"]))
        for r in fields.get("lookups", [])
    ]
    return Capture(**{**fields, "resources": [_resource(r) for r in fields["resources"]], "lookups": lookups})


def main() -> int:
    """The child: capture the program named on standard input, reporting on the records pipe."""
    records = os.fdopen(int(os.environ.pop(RECORDS_FD_VARIABLE)), "wb")
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        payload = json.dumps(message).encode()
        with lock:
            relay.write_frame(records, payload)
            records.flush()

    request = json.loads(sys.stdin.buffer.read())
    stack = request["config"]
    config = StackConfig(
        stack["name"], stack["values"], tuple(stack["secretKeys"]), Path(stack["source"]) if stack["source"] else None
    )
    try:
        from .capture import capture_program  # the program's own SDK: imported in its interpreter only

        capture = capture_program(
            load_program(Path(request["program"])),
            config,
            unknowns=request["unknowns"],
            on_resource=lambda record: send({"resource": _encoded_resource(record)}),
            timeout=request["timeout"],
        )
    except PreflightError as error:
        send({"failure": error.message, "detail": error.detail})
        return 0
    except BaseException as error:  # the capture itself failed here (an SDK it does not know): said, not lost
        send(
            {
                "failure": f"The preflight's capture failed in {sys.executable}: {error!r}",
                "detail": traceback.format_exc(),
            }
        )
        return 0
    fields = dataclasses.asdict(capture)
    fields["resources"] = [_encoded_resource(record) for record in capture.resources]
    send({"capture": fields})
    return 0


if __name__ == "__main__":
    sys.exit(main())
