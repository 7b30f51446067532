"""`nhi preflight --format json` keeps standard output for the report: whatever the program writes to file
descriptor 1, by any route, lands on standard error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
SIMPLE_PACK = TESTS / "packs" / "simple"

NOISY_PROGRAM = """
import logging, os, subprocess, sys
import pulumi_aws as aws

print("from print")
os.write(1, b"from os.write\\n")
sys.__stdout__.write("from sys.__stdout__\\n")  # buffered: flushed after the program, still to stderr
subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
handler = logging.StreamHandler(sys.__stdout__)
noisy = logging.getLogger("noisy")
noisy.addHandler(handler)
noisy.warning("from a logging handler")
aws.s3.Bucket("data")
"""
ROUTES = ("from print", "from os.write", "from sys.__stdout__", "from a child process", "from a logging handler")


def test_every_route_to_stdout_lands_on_stderr_and_the_json_stays_whole(tmp_path: Path) -> None:
    program = tmp_path / "noisy"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: noisy\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (program / "__main__.py").write_text(NOISY_PROGRAM)
    preflight = ["preflight", "--program", str(program), "--stack", "dev", "--policy-pack", str(SIMPLE_PACK)]
    done = subprocess.run(
        [sys.executable, "-m", "nhi", *preflight, "--format", "json"],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {r["name"] for r in report["resources"]} >= {"data"}
    assert {route for route in ROUTES if route in done.stderr} == set(ROUTES)
