"""The preflight from end to end: capture the program, then analyze the capture with every pack."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import program_output
from .analyzer import PackStream, StartedPack
from .capture import CapturedResource, capture_program
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
    program_timeout: float | None = None
    """Seconds the program may run (None: no limit)."""


def _pair_configs(options: PreflightOptions) -> list[PolicyPackConfig | None]:
    """Configs pair with packs in order, as with `pulumi preview --policy-pack A --policy-pack-config A.json`."""
    if len(options.pack_configs) > len(options.packs):
        raise PreflightError(
            f"{len(options.pack_configs)} --policy-pack-config files for {len(options.packs)} "
            "--policy-pack directories: give at most one config per pack, in the same order."
        )
    configs: list[PolicyPackConfig | None] = [load_pack_config(p) for p in options.pack_configs]
    return configs + [None] * (len(options.packs) - len(configs))


class Fanout:
    """Hands each registered resource to every pack stream exactly once: streams attached late (a pack still
    starting when the program began) first receive what was registered before them."""

    def __init__(self) -> None:
        self.records: list[CapturedResource] = []
        self.streams: list[PackStream] = []
        self._lock = threading.Lock()

    def publish(self, record: CapturedResource) -> None:
        with self._lock:
            self.records.append(record)
            streams = list(self.streams)
        for stream in streams:
            stream.submit(record)

    def attach(self, stream: PackStream) -> None:
        with self._lock:
            backlog = list(self.records)
            self.streams.append(stream)
        for record in backlog:
            stream.submit(record)


def run_preflight(options: PreflightOptions) -> Verdict:
    started = time.perf_counter()
    for pack in options.packs:
        if not pack.is_dir():
            raise PreflightError(f"Policy pack directory {pack} does not exist.")
    # Resolved here, before any thread starts: the capture runs the program in its own directory.
    packs = tuple(pack.resolve() for pack in options.packs)
    pack_configs = _pair_configs(options)
    program = load_program(options.program)
    config = stack_config(program, options.stack, options.stack_file)
    fanout = Fanout()

    def start(directory: Path, pack_config: PolicyPackConfig | None) -> PackStream:
        stream = StartedPack(directory, program.project, config, pack_config, options.startup_timeout).stream()
        fanout.attach(stream)
        return stream

    # Packs start while the program runs and analyze each resource as it is registered, as the engine
    # starts analyzers beside the language host and hands them every step.
    with ThreadPoolExecutor(max_workers=max(1, len(options.packs))) as pool:
        starting = [
            pool.submit(start, directory, pack_config)
            for directory, pack_config in zip(packs, pack_configs, strict=True)
        ]
        try:
            # The program's own output goes to stderr, so that JSON and SARIF on stdout stay parseable.
            with program_output.to_stderr():
                capture = capture_program(
                    program,
                    config,
                    unknowns=options.unknowns,
                    on_resource=fanout.publish,
                    timeout=options.program_timeout,
                )
            program_seconds = time.perf_counter() - started
            ready = [future.result() for future in starting]
            analyzed = time.perf_counter()
            results = list(pool.map(lambda stream: stream.finish(capture), ready))
        finally:
            for future in starting:
                _stop_when_started(future)
    finished = time.perf_counter()
    return Verdict(capture, results, program_seconds, finished - analyzed, finished - started, config.source)


def _stop_when_started(future: Future[PackStream]) -> None:
    try:
        stream = future.result()
    except BaseException:
        return
    stream.cancel()
    stream.pack.stop()
