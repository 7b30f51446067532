"""The preflight from end to end: capture the program, then analyze the capture with every pack."""

from __future__ import annotations

import contextlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .analyzer import run_pack
from .capture import capture_program
from .errors import PreflightError
from .pack_config import PolicyPackConfig, load_pack_config
from .program import load_program, stack_config
from .report import Verdict

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PreflightOptions:
    program: Path = REPO_ROOT
    stack: str | None = None
    stack_file: Path | None = None
    packs: tuple[Path, ...] = (REPO_ROOT / "policy",)
    pack_configs: tuple[Path, ...] = field(default_factory=tuple)
    unknowns: bool = False
    startup_timeout: float = 30.0


def _pair_configs(options: PreflightOptions) -> list[PolicyPackConfig | None]:
    """Configs pair with packs in order, as with `pulumi preview --policy-pack A --policy-pack-config A.json`."""
    if len(options.pack_configs) > len(options.packs):
        raise PreflightError(f"{len(options.pack_configs)} --policy-pack-config files for {len(options.packs)} "
                             "--policy-pack directories: give at most one config per pack, in the same order.")
    configs: list[PolicyPackConfig | None] = [load_pack_config(p) for p in options.pack_configs]
    return configs + [None] * (len(options.packs) - len(configs))


def run_preflight(options: PreflightOptions) -> Verdict:
    started = time.perf_counter()
    for pack in options.packs:
        if not pack.is_dir():
            raise PreflightError(f"Policy pack directory {pack} does not exist.")
    pack_configs = _pair_configs(options)
    program = load_program(options.program)
    config = stack_config(program, options.stack, options.stack_file)
    # The program's own prints go to stderr, so that JSON and SARIF on stdout stay parseable.
    with contextlib.redirect_stdout(sys.stderr):
        capture = capture_program(program, config, unknowns=options.unknowns)
    program_seconds = time.perf_counter() - started
    analyzed = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, len(options.packs))) as pool:
        results = list(pool.map(lambda pair: run_pack(pair[0], capture, config, pair[1],
                                                      startup_timeout=options.startup_timeout),
                                zip(options.packs, pack_configs)))
    finished = time.perf_counter()
    return Verdict(capture, results, program_seconds, finished - analyzed, finished - started, config.source)
