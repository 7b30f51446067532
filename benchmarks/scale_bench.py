"""Preflight at scale, side by side with Checkov.

For each N (default 25, 100, 400) it generates a realistic stack with N workloads (benchmarks/stackgen.py),
runs `nhi preflight` several times as a user would (a fresh process each time) and reports medians:
resources, seconds for the program under mocks, for the pack analysis and in total, peak memory, and
milliseconds per resource. The same run renders the manifests (`--manifests`) and times Checkov on them
(offline), and reports the ratio preflight / Checkov.

Checkov lives in its own virtual environment (its pins conflict with ours): `make bench-setup` creates
benchmarks/.venv-checkov. Without it the Checkov columns say "n/a".

Packs analyze each resource while the program runs (as the engine does), so "packs after" is only the
analysis left once the program has finished; benchmarks/pack_profile.py measures the pack's own cost.

    .venv/bin/python benchmarks/scale_bench.py [--sizes 25 100 400] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stackgen import generate
from table import print_table

REPO = Path(__file__).resolve().parents[1]
CHECKOV = REPO / "benchmarks" / ".venv-checkov" / "bin" / "checkov"


def preflight(stack_file: Path, manifests: Path | None) -> dict[str, float]:
    command = [sys.executable, "-m", "nhi", "preflight", "--stack-file", str(stack_file), "--format", "json"]
    if manifests is not None:
        command += ["--manifests", str(manifests)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"preflight of {stack_file} failed ({done.returncode}):\n{done.stderr}")
    summary = json.loads(done.stdout)["summary"]
    memory = summary.get("peakMemoryMiB", {})
    return {
        "resources": summary["resources"],
        "program": summary["programSeconds"],
        "packs": summary["packSeconds"],
        "total": summary["seconds"],
        "command": wall,
        "mandatory": summary["mandatory"],
        "memory": max(memory.get("preflight", 0.0), memory.get("packs", 0.0)),
    }


# The command, as a user types it (its full text report goes to a pipe, as in CI), and a leaner
# variant (failures only, JSON, no mapping download attempt) that is about 15% faster: both are reported.
CHECKOV_AS_GIVEN: tuple[str, ...] = ()
CHECKOV_LEAN = ("--quiet", "--compact", "-o", "json")


def checkov(directory: Path, extra: tuple[str, ...]) -> float | None:
    if not CHECKOV.exists():
        return None
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    if extra:
        env["BC_SKIP_MAPPING"] = "TRUE"
    started = time.perf_counter()
    subprocess.run(
        [str(CHECKOV), "--skip-download", "--framework", "kubernetes", "-d", str(directory), *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started


def _median_checkov(directory: Path, extra: tuple[str, ...], runs: int) -> float | None:
    seconds = [checkov(directory, extra) for _ in range(runs)]
    measured = [s for s in seconds if s is not None]
    return statistics.median(measured) if len(measured) == len(seconds) else None


def _ratio(command: float, checkov_seconds: float | None) -> str:
    return "n/a" if checkov_seconds is None else f"{command / checkov_seconds:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 100, 400])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    header = (
        "N",
        "resources",
        "program s",
        "packs after s",
        "total s",
        "command s",
        "packs after ms/res",
        "peak MiB",
        "checkov s",
        "command/checkov",
        "checkov lean s",
        "command/lean",
    )
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            stack_file = Path(scratch) / f"Pulumi.bench{size}.yaml"
            stack_file.write_text(yaml.safe_dump(generate(size), sort_keys=False))
            manifests = Path(scratch) / f"manifests-{size}"
            runs = [preflight(stack_file, manifests if i == 0 else None) for i in range(args.runs)]
            median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            as_given = _median_checkov(manifests, CHECKOV_AS_GIVEN, args.runs)
            lean = _median_checkov(manifests, CHECKOV_LEAN, args.runs)
            rows.append(
                (
                    size,
                    f"{median['resources']:.0f}",
                    f"{median['program']:.2f}",
                    f"{median['packs']:.2f}",
                    f"{median['total']:.2f}",
                    f"{median['command']:.2f}",
                    f"{1000 * median['packs'] / max(median['resources'], 1):.2f}",
                    f"{median['memory']:.0f}",
                    "n/a" if as_given is None else f"{as_given:.2f}",
                    _ratio(median["command"], as_given),
                    "n/a" if lean is None else f"{lean:.2f}",
                    _ratio(median["command"], lean),
                )
            )
    print_table(
        f"Preflight at scale, median of {args.runs} runs (command = the whole `nhi preflight` process):", header, rows
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
