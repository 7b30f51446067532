"""The pack and relay processes end with `nhi` on every exit path, including those that run no `finally`:
a program that calls `os._exit` (it runs in nhi's own process) and SIGTERM to `nhi`. Linux only (the
kernel's parent-death signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]
SIMPLE_PACK = TESTS / "packs" / "simple"
MARKER = "NHI_TEST_CHILD_MARKER"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")

# The program waits until the pack it is judged by is up: its relay starts once the pack has printed its port
# and been configured, so that there is a running pack to leave behind.
PROGRAM = """
import os, sys, time
import pulumi_aws as aws

aws.s3.Bucket("data")

def pack_running():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read().split(b"\\0")
        except OSError:
            continue
        if b"relay.py" in cmdline and int(pid) != os.getpid() and MARK in environ:
            return True
    return False

deadline = time.monotonic() + 60
while not pack_running() and time.monotonic() < deadline:
    time.sleep(0.05)
print("pack is running", file=sys.stderr, flush=True)
ENDING
"""


def marked_processes(marker: str) -> set[int]:
    """Processes whose environment carries `marker` (the packs and relays of one test's `nhi`)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"{MARKER}={marker}".encode() in environ.split(b"\0") and state != "Z":
            found.add(int(pid))
    return found


def start_nhi(tmp_path: Path, ending: str) -> tuple[subprocess.Popen[str], str]:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: ending\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    marker = uuid.uuid4().hex
    mark = f"{MARKER}={marker}".encode()
    (program / "__main__.py").write_text(PROGRAM.replace("ENDING", ending).replace("MARK", repr(mark)))
    preflight = ["preflight", "--program", str(program), "--stack", "dev", "--policy-pack", str(SIMPLE_PACK)]
    nhi = subprocess.Popen(
        [sys.executable, "-m", "nhi", *preflight],
        cwd=TESTS.parent,
        env={**os.environ, MARKER: marker},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return nhi, marker


def wait_until_gone(marker: str, seconds: float = 10.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while (left := marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_a_program_that_calls_os_exit_leaves_no_pack_behind(tmp_path: Path) -> None:
    nhi, marker = start_nhi(tmp_path, "os._exit(7)")
    try:
        assert nhi.wait(timeout=120) == 7
        assert wait_until_gone(marker) == set()
    finally:
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)


def test_sigterm_to_nhi_leaves_no_pack_behind(tmp_path: Path) -> None:
    nhi, marker = start_nhi(tmp_path, "time.sleep(600)")
    try:
        assert nhi.stderr is not None
        for line in nhi.stderr:
            if "pack is running" in line:
                break
        assert marked_processes(marker), "the pack should be running while the program sleeps"
        nhi.send_signal(signal.SIGTERM)
        nhi.wait(timeout=30)
        assert wait_until_gone(marker) == set()
    finally:
        nhi.kill()
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
