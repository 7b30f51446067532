"""The preflight from end to end: capture the program, then analyze the capture with every pack."""

from __future__ import annotations

import contextlib
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .analyzer import StartedPack
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
    # Packs start while the program runs, as the engine starts analyzers beside the language host.
    with ThreadPoolExecutor(max_workers=max(1, len(options.packs))) as pool:
        starting = [pool.submit(StartedPack, directory, program.project, config, pack_config, options.startup_timeout)
                    for directory, pack_config in zip(options.packs, pack_configs)]
        try:
            # The program's own prints go to stderr, so that JSON and SARIF on stdout stay parseable.
            with contextlib.redirect_stdout(sys.stderr):
                capture = capture_program(program, config, unknowns=options.unknowns)
            program_seconds = time.perf_counter() - started
            packs = [future.result() for future in starting]
        except BaseException:
            for future in starting:
                _stop_when_started(future)
            raise
        analyzed = time.perf_counter()
        try:
            results = list(pool.map(lambda pack: pack.analyze(capture), packs))
        finally:
            for pack in packs:
                pack.stop()
    finished = time.perf_counter()
    return Verdict(capture, results, program_seconds, finished - analyzed, finished - started, config.source)


def _stop_when_started(future: Future[StartedPack]) -> None:
    try:
        future.result().stop()
    except BaseException:  # noqa: BLE001 a pack that failed to start has already stopped itself
        pass
