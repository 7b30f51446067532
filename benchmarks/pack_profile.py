"""Profile the policy pack's analysis in-process: the pack's own servicer receives exactly the requests the
preflight sends over gRPC (Analyze per resource, AnalyzeStack once), with no server in between, so the
numbers are the pack's own cost. Prints per-resource cost, the slowest rules, and cProfile's top entries.

    .venv/bin/python benchmarks/pack_profile.py [--stack prod | --stack-file F] [--repeat 3] [--top 15]
    NHI_POLICY_SDK_SEAM=0 NHI_POLICY_GC=0 .venv/bin/python benchmarks/pack_profile.py   # the SDK's own
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))  # the pack's import root, as Pulumi runs it

from pulumi_policy import EnforcementLevel
from table import print_table

from nhi.preflight.analyzer import _Analysis
from nhi.preflight.capture import capture_program
from nhi.preflight.program import load_program, stack_config
from nhi_rules import sdk_seam
from nhi_rules.lib import collection
from nhi_rules.registry import POLICIES
from nhi_rules.sdk_seam import servicer

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--stack", default="prod")
    which.add_argument("--stack-file", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    tuned = collection.tune()  # as policy/__main__.py does
    shortcuts = sdk_seam.install()
    program = load_program(REPO)
    config = stack_config(program, None if args.stack_file else args.stack, args.stack_file)
    capture = capture_program(program, config)
    analyzer = servicer.new_servicer("nhi-platform", POLICIES, EnforcementLevel.MANDATORY)
    analysis = _Analysis(None, capture, REPO / "policy")
    requests = [analysis.analyze_request(r) for r in capture.resources]
    stack_request = analysis.stack_request()

    # Time each rule on its own, as the SDK calls it (validate with converted properties).
    per_rule: dict[str, float] = defaultdict(float)
    policies: list[Any] = list(POLICIES)
    originals = {p.name: p.validate for p in policies}
    for policy in policies:

        def timed(
            validate_args: Any, report: Any, _name: str = policy.name, _inner: Any = originals[policy.name]
        ) -> Any:
            started = time.perf_counter()
            try:
                return _inner(validate_args, report)
            finally:
                per_rule[_name] += time.perf_counter() - started

        policy.validate = timed

    def analyze_all() -> None:
        for request in requests:
            analyzer.Analyze(request, None)
        analyzer.AnalyzeStack(stack_request, None)

    analyze_all()  # warm: lazy databases load on first use
    collection.freeze_loaded()  # as the pack's warm-up does once its data has loaded
    per_rule.clear()
    started = time.perf_counter()
    for _ in range(args.repeat):
        analyze_all()
    seconds = (time.perf_counter() - started) / args.repeat
    for policy in policies:
        policy.validate = originals[policy.name]

    active = ", ".join(s.shortcut for s in shortcuts if s.active) or "none"
    print(
        f"{len(capture.resources)} resources, {len(policies)} policies, SDK shortcuts: {active}; "
        f"gc tuning {'on' if tuned else 'off'}: {seconds:.3f} s per analysis, "
        f"{1000 * seconds / len(capture.resources):.3f} ms per resource\n"
    )
    slowest = sorted(per_rule.items(), key=lambda kv: -kv[1])[:10]
    print_table(
        "Slowest rules (their own validate, per analysis):",
        ("rule", "ms", "µs/resource"),
        [
            (name, f"{1000 * t / args.repeat:.1f}", f"{1e6 * t / args.repeat / len(capture.resources):.1f}")
            for name, t in slowest
        ],
    )
    print()
    profiler = cProfile.Profile()
    profiler.enable()
    analyze_all()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
