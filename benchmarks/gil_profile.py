"""Where the preflight's own process spends its interpreter lock, as a table.

The preflight is one Python process (program under mocks, requests to the relay, report) beside the pack
and relay processes; on two cores its wall time follows the time it holds the GIL. This samples a whole
`nhi preflight` of a generated stack with py-spy (`record --gil`: only the thread holding the GIL counts)
and prints the functions with the most time, inclusive (the function and what it calls) and self.

    make profile                                   # N = 100
    .venv/bin/python benchmarks/gil_profile.py --size 400 --top 30

py-spy (pinned in benchmarks/requirements-profile.txt, installed by `make profile`) reads another process's
memory: as root, or with ptrace allowed (Linux: kernel.yama.ptrace_scope=0; macOS: sudo).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stackgen import generate
from table import print_table

REPO = Path(__file__).resolve().parents[1]
RATE = 250  # samples per second


def aggregate(raw: Path) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    """Samples in total, and per function: inclusive and self counts (py-spy's raw format: one line per
    distinct stack, frames separated by ';', then the count)."""
    total, inclusive, own = 0, collections.Counter[str](), collections.Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")[1:]  # the first entry names the thread
        total += samples
        if frames:
            own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    return total, inclusive, own


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100, help="workloads in the generated stack (default 100)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit(
            "py-spy is not installed: make profile (or pip install -r benchmarks/requirements-profile.txt)"
        )
    with tempfile.TemporaryDirectory() as scratch:
        stack_file = Path(scratch) / f"Pulumi.bench{args.size}.yaml"
        stack_file.write_text(yaml.safe_dump(generate(args.size), sort_keys=False))
        raw = Path(scratch) / "profile.txt"
        command = [
            py_spy,
            "record",
            "--gil",
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--",
            sys.executable,
            "-m",
            "nhi",
            "preflight",
            "--stack-file",
            str(stack_file),
            "--format",
            "json",
        ]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        if not raw.exists():
            raise SystemExit(f"py-spy recorded nothing ({done.returncode}):\n{done.stderr[-2000:]}")
        total, inclusive, own = aggregate(raw)
    seconds = total / RATE
    print(f"{args.size} workloads: the preflight's process held the GIL for {seconds:.2f} s ({total} samples)\n")
    for title, counter in (("Inclusive (the function and what it calls):", inclusive), ("Self:", own)):
        rows = [
            (f"{count / RATE:.2f}", f"{100 * count / total:.1f}%", frame[:110])
            for frame, count in counter.most_common(args.top)
        ]
        print_table(title, ("s", "share", "function (file:line)"), rows)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
